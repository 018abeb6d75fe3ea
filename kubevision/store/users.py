"""User, recovery-code and refresh-token-revocation records."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from kubevision.store.models import insert_on_conflict, recovery_codes, revoked_tokens, users


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive datetimes; treat them as the UTC they were stored as."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserRecord:
    """One row of `users`."""

    id: int
    username: str
    email: str | None
    password_hash: str
    role: str
    permissions: list[str]
    cluster_grants: list[int] | None
    namespace_grants: list[str] | None
    active: bool
    token_version: int
    must_change_password: bool
    totp_secret: bytes | None
    totp_enabled: bool
    totp_last_step: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    last_login_at: dt.datetime | None
    auto_approved_actions: list[str] = dataclasses.field(default_factory=list)

    @classmethod
    def from_row(cls, row: sa.Row) -> UserRecord:
        """Build from a result row."""
        values = dict(row._mapping)
        for key in ("created_at", "updated_at", "last_login_at"):
            values[key] = as_utc(values[key])
        values["permissions"] = list(values["permissions"] or [])
        values["auto_approved_actions"] = list(values.get("auto_approved_actions") or [])
        return cls(**values)


async def get_user(conn: AsyncConnection, user_id: int) -> UserRecord | None:
    """The user with this id, or None."""
    row = (await conn.execute(sa.select(users).where(users.c.id == user_id))).first()
    return UserRecord.from_row(row) if row else None


async def get_user_by_name(conn: AsyncConnection, username: str) -> UserRecord | None:
    """The user with this username, or None."""
    row = (await conn.execute(sa.select(users).where(users.c.username == username))).first()
    return UserRecord.from_row(row) if row else None


async def list_users(conn: AsyncConnection) -> list[UserRecord]:
    """All users by id."""
    rows = await conn.execute(sa.select(users).order_by(users.c.id))
    return [UserRecord.from_row(row) for row in rows]


async def count_users(conn: AsyncConnection, *, role: str | None = None, active_only: bool = False) -> int:
    """How many users (optionally with a role, optionally only active ones)."""
    query = sa.select(sa.func.count()).select_from(users)
    if role is not None:
        query = query.where(users.c.role == role)
    if active_only:
        query = query.where(users.c.active.is_(True))
    return int((await conn.execute(query)).scalar_one())


async def insert_user(conn: AsyncConnection, **values: Any) -> UserRecord:
    """Insert a user and return it."""
    now = utcnow()
    values.setdefault("permissions", [])
    result = await conn.execute(users.insert().values(created_at=now, updated_at=now, **values))
    created = await get_user(conn, result.inserted_primary_key[0])
    assert created is not None
    return created


async def update_user(conn: AsyncConnection, user_id: int, **values: Any) -> None:
    """Update columns of one user."""
    await conn.execute(users.update().where(users.c.id == user_id).values(updated_at=utcnow(), **values))


async def bump_token_version(conn: AsyncConnection, user_id: int) -> None:
    """Invalidate every token issued to this user so far."""
    await conn.execute(
        users.update().where(users.c.id == user_id)
        .values(token_version=users.c.token_version + 1, updated_at=utcnow())
    )


async def delete_user(conn: AsyncConnection, user_id: int) -> None:
    """Delete one user (its recovery codes and API keys cascade)."""
    await conn.execute(recovery_codes.delete().where(recovery_codes.c.user_id == user_id))
    await conn.execute(users.delete().where(users.c.id == user_id))


async def replace_recovery_codes(conn: AsyncConnection, user_id: int, code_hashes: list[str]) -> None:
    """Drop a user's recovery codes and store new ones (hashed)."""
    await conn.execute(recovery_codes.delete().where(recovery_codes.c.user_id == user_id))
    if code_hashes:
        await conn.execute(
            recovery_codes.insert(), [{"user_id": user_id, "code_hash": h} for h in code_hashes]
        )


async def unused_recovery_codes(conn: AsyncConnection, user_id: int) -> list[tuple[int, str]]:
    """(id, hash) of the codes not used yet."""
    rows = await conn.execute(
        sa.select(recovery_codes.c.id, recovery_codes.c.code_hash)
        .where(recovery_codes.c.user_id == user_id, recovery_codes.c.used_at.is_(None))
    )
    return [(row.id, row.code_hash) for row in rows]


async def mark_recovery_code_used(conn: AsyncConnection, code_id: int) -> bool:
    """Mark a code used; False if it was used meanwhile (so two racing requests cannot both win)."""
    result = await conn.execute(
        recovery_codes.update()
        .where(recovery_codes.c.id == code_id, recovery_codes.c.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return result.rowcount == 1


async def claim_totp_step(conn: AsyncConnection, user_id: int, step: int) -> bool:
    """Record `step` as the newest accepted TOTP step; False when it (or a later one) was used already."""
    result = await conn.execute(
        users.update()
        .where(users.c.id == user_id)
        .where(sa.or_(users.c.totp_last_step.is_(None), users.c.totp_last_step < step))
        .values(totp_last_step=step)
    )
    return result.rowcount == 1


async def revoke_token(conn: AsyncConnection, jti: str, expires_at: dt.datetime) -> None:
    """Deny a refresh token id until it would have expired anyway (revoking it again, even concurrently, is
    fine); prunes expired entries."""
    await use_token_once(conn, jti, expires_at)


async def use_token_once(conn: AsyncConnection, jti: str, expires_at: dt.datetime) -> bool:
    """Spend a single-use token id (a WebSocket ticket, a 2FA session token); False when it was spent before.
    Atomic, and kept in the database, so instances sharing one database refuse a second use too."""
    await conn.execute(revoked_tokens.delete().where(revoked_tokens.c.expires_at < utcnow()))
    result = await conn.execute(insert_on_conflict(conn, revoked_tokens).values(jti=jti, expires_at=expires_at)
                                .on_conflict_do_nothing(index_elements=[revoked_tokens.c.jti]))
    return result.rowcount == 1


async def is_token_revoked(conn: AsyncConnection, jti: str) -> bool:
    """True when this refresh token id was revoked."""
    row = (await conn.execute(sa.select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == jti))).first()
    return row is not None
