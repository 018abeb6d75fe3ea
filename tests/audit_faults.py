"""A database-level fault for the audit tests: a trigger that makes every insert into `audit_logs` fail (on
SQLite and PostgreSQL), so the writer's retries meet a real database error, not a mock."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import sqlalchemy as sa

from kubevision.store import Store

_FAULT_ON = {
    "sqlite": [
        "CREATE TRIGGER audit_fault BEFORE INSERT ON audit_logs BEGIN SELECT RAISE(ABORT, 'injected fault'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION audit_fault() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'injected fault'; END $$",
        "CREATE TRIGGER audit_fault BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION audit_fault()",
    ],
}
_FAULT_OFF = {
    "sqlite": ["DROP TRIGGER audit_fault"],
    "postgresql": ["DROP TRIGGER audit_fault ON audit_logs", "DROP FUNCTION audit_fault()"],
}


async def _execute(store: Store, statements: dict[str, list[str]]) -> None:
    async with store.transaction() as conn:
        for statement in statements[conn.dialect.name]:
            await conn.execute(sa.text(statement))


@contextlib.asynccontextmanager
async def failing_audit_inserts(store: Store) -> AsyncIterator[None]:
    """Every insert into `audit_logs` fails inside the block."""
    await _execute(store, _FAULT_ON)
    try:
        yield
    finally:
        await _execute(store, _FAULT_OFF)
