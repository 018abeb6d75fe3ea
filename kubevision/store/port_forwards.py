"""Saved port-forwards: what a user asked to forward, restarted when the server starts."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from kubevision.store.models import port_forwards
from kubevision.store.users import as_utc


@dataclasses.dataclass(frozen=True, kw_only=True)
class SavedForward:
    """One saved forward (`port` is a number or a port name, as it was asked for)."""

    id: str
    user_id: int
    cluster_id: int
    kind: str
    namespace: str
    name: str
    port: int | str
    bind_address: str
    local_port: int
    created_at: dt.datetime


def _record(row: sa.Row) -> SavedForward:
    values = dict(row._mapping)
    port = values["port"]
    return SavedForward(id=values["id"], user_id=values["user_id"], cluster_id=values["cluster_id"],
                        kind=values["kind"], namespace=values["namespace"], name=values["name"],
                        port=int(port) if port.isdigit() else port, bind_address=values["bind_address"],
                        local_port=values["local_port"], created_at=as_utc(values["created_at"]))


async def list_saved_forwards(conn: AsyncConnection) -> list[SavedForward]:
    """Every saved forward, oldest first."""
    rows = await conn.execute(sa.select(port_forwards).order_by(port_forwards.c.created_at, port_forwards.c.id))
    return [_record(row) for row in rows]


async def insert_saved_forward(conn: AsyncConnection, forward: SavedForward) -> None:
    """Save a forward (its id is the running forward's)."""
    values = dataclasses.asdict(forward)
    values["port"] = str(forward.port)
    await conn.execute(port_forwards.insert().values(**values))


async def delete_saved_forward(conn: AsyncConnection, forward_id: str) -> bool:
    """Forget a saved forward; False when it was not saved."""
    result = await conn.execute(port_forwards.delete().where(port_forwards.c.id == forward_id))
    return result.rowcount == 1
