"""Audit log rows: insert in batches, query with filters."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from kubevision.store.models import audit_logs, fit_to_columns
from kubevision.store.users import as_utc


async def insert_audit_entries(conn: AsyncConnection, entries: list[dict[str, Any]]) -> list[int]:
    """Insert many audit rows at once and return their ids in the order given (over-long strings, e.g. a failed
    login's username, are cut to fit)."""
    if not entries:
        return []
    statement = audit_logs.insert().returning(audit_logs.c.id, sort_by_parameter_order=True)
    result = await conn.execute(statement, [fit_to_columns(audit_logs, entry) for entry in entries])
    return list(result.scalars())


async def update_audit_outcomes(conn: AsyncConnection, outcomes: list[tuple[int, int, dict[str, Any] | None]]) -> None:
    """Record the outcome of rows written as intents: (id, code, detail) each."""
    if outcomes:
        statement = audit_logs.update().where(audit_logs.c.id == sa.bindparam("row_id")).values(
            code=sa.bindparam("outcome_code"), detail=sa.bindparam("outcome_detail"))
        await conn.execute(statement, [{"row_id": row_id, "outcome_code": code, "outcome_detail": detail}
                                       for row_id, code, detail in outcomes])


@dataclasses.dataclass(frozen=True)
class AuditScope:
    """What a reader with grants may see: their own rows, and rows about objects in the clusters and namespaces
    granted to them (None = every cluster / namespace). Rows about nothing in a cluster (other users' sign-ins,
    user administration) and about cluster-scoped objects (for namespace-limited readers) stay hidden."""

    user_id: int
    cluster_ids: frozenset[int] | None
    namespaces: frozenset[str] | None

    def condition(self) -> sa.ColumnElement[bool]:
        """The SQL condition for rows inside this scope."""
        about_granted = [audit_logs.c.cluster_id.is_not(None)]
        if self.cluster_ids is not None:
            about_granted.append(audit_logs.c.cluster_id.in_(sorted(self.cluster_ids)))
        if self.namespaces is not None:
            granted = sorted(self.namespaces)
            about_granted.append(sa.or_(
                audit_logs.c.namespace.in_(granted),
                sa.and_(audit_logs.c.namespace.is_(None), audit_logs.c.resource == "namespaces",
                        audit_logs.c.name.in_(granted)),
            ))
        return sa.or_(audit_logs.c.user_id == self.user_id, sa.and_(*about_granted))


async def query_audit_entries(
    conn: AsyncConnection,
    *,
    visible_to: AuditScope | None = None,
    username: str | None = None,
    action: str | None = None,
    cluster_id: int | None = None,
    since: dt.datetime | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[dict[str, Any]], int]:
    """Rows matching the filters (within `visible_to`, when given), newest first, and the total before paging."""
    conditions = [visible_to.condition()] if visible_to is not None else []
    if username:
        conditions.append(audit_logs.c.username == username)
    if action:
        conditions.append(audit_logs.c.action == action)
    if cluster_id is not None:
        conditions.append(audit_logs.c.cluster_id == cluster_id)
    if since is not None:
        conditions.append(audit_logs.c.created_at >= since)
    total = (await conn.execute(
        sa.select(sa.func.count()).select_from(audit_logs).where(*conditions)
    )).scalar_one()
    rows = await conn.execute(
        sa.select(audit_logs).where(*conditions)
        .order_by(audit_logs.c.id.desc()).offset(offset).limit(limit)
    )
    entries = []
    for row in rows:
        entry = dict(row._mapping)
        entry["created_at"] = as_utc(entry["created_at"])
        entries.append(entry)
    return entries, int(total)
