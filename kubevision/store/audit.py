"""Audit log rows: insert in batches, query with filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from kubevision.store.models import audit_logs, fit_to_columns
from kubevision.store.users import as_utc


async def insert_audit_entries(conn: AsyncConnection, entries: list[dict[str, Any]]) -> None:
    """Insert many audit rows at once (over-long strings, e.g. a failed login's username, are cut to fit)."""
    if entries:
        await conn.execute(audit_logs.insert(), [fit_to_columns(audit_logs, entry) for entry in entries])


async def query_audit_entries(
    conn: AsyncConnection,
    *,
    username: str | None = None,
    action: str | None = None,
    cluster_id: int | None = None,
    since: dt.datetime | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[dict[str, Any]], int]:
    """Rows matching the filters, newest first, and the total count before paging."""
    conditions = []
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
