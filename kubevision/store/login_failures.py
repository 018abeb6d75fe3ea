"""Failed sign-in attempts per username: read, claim an attempt atomically, clear, prune."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from kubevision.store.models import insert_on_conflict, login_failures


@dataclasses.dataclass(frozen=True)
class FailureRecord:
    """How many attempts for one username failed (or are still being checked), and when the last began."""

    failures: int
    last_attempt_at: float


async def get_failures(conn: AsyncConnection, username: str) -> FailureRecord | None:
    """The record for a username, or None when it has no failures on record."""
    row = (await conn.execute(
        sa.select(login_failures.c.failures, login_failures.c.last_attempt_at)
        .where(login_failures.c.username == username)
    )).first()
    return FailureRecord(row.failures, row.last_attempt_at) if row else None


async def insert_first_failure(conn: AsyncConnection, username: str, now: float) -> bool:
    """Record a first attempt; False when another request recorded one for this name first."""
    result = await conn.execute(
        insert_on_conflict(conn, login_failures).values(username=username, failures=1, last_attempt_at=now)
        .on_conflict_do_nothing(index_elements=[login_failures.c.username])
    )
    return result.rowcount == 1


async def replace_failures(conn: AsyncConnection, username: str, seen: FailureRecord, *,
                           failures: int, now: float) -> bool:
    """Compare-and-set: store `failures` only if the record is still `seen` (no concurrent attempt won)."""
    result = await conn.execute(
        login_failures.update()
        .where(login_failures.c.username == username, login_failures.c.failures == seen.failures,
               login_failures.c.last_attempt_at == seen.last_attempt_at)
        .values(failures=failures, last_attempt_at=now)
    )
    return result.rowcount == 1


async def uncount_one(conn: AsyncConnection, username: str) -> None:
    """Take one attempt back off a username's count."""
    await conn.execute(
        login_failures.update().where(login_failures.c.username == username, login_failures.c.failures > 0)
        .values(failures=login_failures.c.failures - 1)
    )


async def clear_failures(conn: AsyncConnection, username: str) -> None:
    """Forget a username's failures (after a successful sign-in)."""
    await conn.execute(login_failures.delete().where(login_failures.c.username == username))


async def prune_failures(conn: AsyncConnection, before: float) -> None:
    """Delete records whose last attempt is older than `before` (Unix seconds)."""
    await conn.execute(login_failures.delete().where(login_failures.c.last_attempt_at < before))
