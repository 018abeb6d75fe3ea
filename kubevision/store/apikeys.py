"""API key records (only a hash of each key is stored)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from kubevision.store.models import api_keys
from kubevision.store.users import as_utc, utcnow


@dataclasses.dataclass(frozen=True, kw_only=True)
class ApiKeyRecord:
    """One row of `api_keys`."""

    id: int
    user_id: int
    name: str
    prefix: str
    key_hash: str
    expires_at: dt.datetime | None
    created_at: dt.datetime
    last_used_at: dt.datetime | None

    @classmethod
    def from_row(cls, row: sa.Row) -> ApiKeyRecord:
        """Build from a result row."""
        values = dict(row._mapping)
        for key in ("expires_at", "created_at", "last_used_at"):
            values[key] = as_utc(values[key])
        return cls(**values)


async def insert_api_key(
    conn: AsyncConnection, *, user_id: int, name: str, prefix: str, key_hash: str,
    expires_at: dt.datetime | None,
) -> ApiKeyRecord:
    """Store a new key."""
    result = await conn.execute(api_keys.insert().values(
        user_id=user_id, name=name, prefix=prefix, key_hash=key_hash, expires_at=expires_at,
        created_at=utcnow(),
    ))
    row = (await conn.execute(
        sa.select(api_keys).where(api_keys.c.id == result.inserted_primary_key[0])
    )).one()
    return ApiKeyRecord.from_row(row)


async def get_api_key_by_prefix(conn: AsyncConnection, prefix: str) -> ApiKeyRecord | None:
    """The key whose public prefix this is."""
    row = (await conn.execute(sa.select(api_keys).where(api_keys.c.prefix == prefix))).first()
    return ApiKeyRecord.from_row(row) if row else None


async def list_api_keys(conn: AsyncConnection, user_id: int) -> list[ApiKeyRecord]:
    """A user's keys, newest first."""
    rows = await conn.execute(
        sa.select(api_keys).where(api_keys.c.user_id == user_id).order_by(api_keys.c.id.desc())
    )
    return [ApiKeyRecord.from_row(row) for row in rows]


async def delete_api_key(conn: AsyncConnection, *, key_id: int, user_id: int) -> bool:
    """Delete one of a user's keys; False if there was none."""
    result = await conn.execute(
        api_keys.delete().where(api_keys.c.id == key_id, api_keys.c.user_id == user_id)
    )
    return result.rowcount == 1


async def delete_user_api_keys(conn: AsyncConnection, user_id: int) -> int:
    """Delete every key of a user; returns how many there were."""
    result = await conn.execute(api_keys.delete().where(api_keys.c.user_id == user_id))
    return result.rowcount


async def touch_api_key(conn: AsyncConnection, key_id: int) -> None:
    """Record that the key was used now."""
    await conn.execute(api_keys.update().where(api_keys.c.id == key_id).values(last_used_at=utcnow()))
