"""Change requests of AI agents waiting for a person's decision (see services/approvals.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from kubevision.store.models import change_requests, fit_to_columns, users
from kubevision.store.users import as_utc, utcnow


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChangeRequest:
    """One request; `id` is 0 until it is stored."""

    id: int = 0
    user_id: int
    username: str
    token_version: int
    via_api_key: bool
    client: str
    client_ip: str
    action: str
    cluster_id: int
    resource: str
    namespace: str | None
    name: str
    payload: str
    diff: str
    status: str
    created_at: dt.datetime
    expires_at: dt.datetime
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    comment: str | None = None
    outcome_code: int | None = None
    outcome_message: str | None = None


def _record(row: sa.Row) -> ChangeRequest:
    values = dict(row._mapping)
    for column in ("created_at", "expires_at", "decided_at"):
        values[column] = as_utc(values[column])
    return ChangeRequest(**values)


async def insert_change_request(conn: AsyncConnection, request: ChangeRequest) -> ChangeRequest:
    """Store a request; returns it with its id."""
    values = fit_to_columns(change_requests, {k: v for k, v in dataclasses.asdict(request).items() if k != "id"})
    result = await conn.execute(change_requests.insert().values(**values))
    return dataclasses.replace(request, id=result.inserted_primary_key[0])


async def get_change_request(conn: AsyncConnection, request_id: int) -> ChangeRequest | None:
    """One request, or None."""
    row = (await conn.execute(sa.select(change_requests).where(change_requests.c.id == request_id))).first()
    return _record(row) if row is not None else None


async def list_change_requests(conn: AsyncConnection, *, status: str | None, limit: int) -> list[ChangeRequest]:
    """The newest requests (of one status, if given)."""
    query = sa.select(change_requests).order_by(change_requests.c.id.desc()).limit(limit)
    if status:
        query = query.where(change_requests.c.status == status)
    return [_record(row) for row in await conn.execute(query)]


async def update_change_request(conn: AsyncConnection, request_id: int, *, from_status: str,
                                **values: object) -> bool:
    """Move a request on from `from_status` (False when it was no longer there: someone else decided first)."""
    result = await conn.execute(change_requests.update().where(
        change_requests.c.id == request_id, change_requests.c.status == from_status).values(
        **fit_to_columns(change_requests, values)))
    return result.rowcount == 1


async def get_auto_approved_actions(conn: AsyncConnection, user_id: int) -> list[str]:
    """The actions a user's MCP calls run without approval (empty: none, the default)."""
    value = (await conn.execute(sa.select(users.c.auto_approved_actions).where(users.c.id == user_id))).scalar()
    return list(value or [])


async def set_auto_approved_actions(conn: AsyncConnection, user_id: int, actions: list[str]) -> None:
    """Replace a user's list of actions run without approval."""
    await conn.execute(users.update().where(users.c.id == user_id).values(auto_approved_actions=actions,
                                                                           updated_at=utcnow()))
