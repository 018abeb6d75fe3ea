"""Terminal (exec) session records: one row per session, written at start and completed at the end."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from kubevision.store.models import terminal_sessions
from kubevision.store.users import as_utc


@dataclasses.dataclass(frozen=True, kw_only=True)
class TerminalSessionRecord:
    """One row of `terminal_sessions`."""

    id: str
    user_id: int
    username: str
    cluster_id: int
    cluster_name: str | None
    namespace: str
    pod: str
    container: str
    command: list[str]
    started_at: dt.datetime
    ended_at: dt.datetime | None
    exit_status: str | None
    exit_code: int | None
    bytes: int
    file: str | None

    @classmethod
    def from_row(cls, row: sa.Row) -> TerminalSessionRecord:
        """Build from a result row."""
        values = dict(row._mapping)
        for key in ("started_at", "ended_at"):
            values[key] = as_utc(values[key])
        values["command"] = list(values["command"] or [])
        return cls(**values)


async def insert_terminal_session(conn: AsyncConnection, **values: Any) -> None:
    """Store a session that has just started (the columns of `terminal_sessions`)."""
    await conn.execute(terminal_sessions.insert().values(**values))


async def finish_terminal_session(conn: AsyncConnection, session_id: str, *, ended_at: dt.datetime,
                                  exit_status: str | None, exit_code: int | None, size: int) -> None:
    """Record how and when a session ended."""
    await conn.execute(terminal_sessions.update().where(terminal_sessions.c.id == session_id).values(
        ended_at=ended_at, exit_status=exit_status, exit_code=exit_code, bytes=size))


async def get_terminal_session(conn: AsyncConnection, session_id: str) -> TerminalSessionRecord | None:
    """One session by id."""
    row = (await conn.execute(sa.select(terminal_sessions).where(terminal_sessions.c.id == session_id))).first()
    return TerminalSessionRecord.from_row(row) if row else None


async def list_terminal_sessions(conn: AsyncConnection, *, user_id: int | None, offset: int,
                                 limit: int) -> tuple[list[TerminalSessionRecord], int]:
    """Sessions (of one user, or everyone's for `user_id` None), newest first, and their total."""
    conditions = [] if user_id is None else [terminal_sessions.c.user_id == user_id]
    total = (await conn.execute(
        sa.select(sa.func.count()).select_from(terminal_sessions).where(*conditions))).scalar_one()
    rows = await conn.execute(
        sa.select(terminal_sessions).where(*conditions)
        .order_by(terminal_sessions.c.started_at.desc(), terminal_sessions.c.id.desc())
        .offset(offset).limit(limit))
    return [TerminalSessionRecord.from_row(row) for row in rows], int(total)


async def delete_terminal_sessions_before(conn: AsyncConnection, cutoff: dt.datetime) -> list[str | None]:
    """Delete sessions started before `cutoff`; returns their recording file names."""
    old = terminal_sessions.c.started_at < cutoff
    files = list((await conn.execute(sa.select(terminal_sessions.c.file).where(old))).scalars())
    await conn.execute(terminal_sessions.delete().where(old))
    return files
