"""The store: migrations, transactions, and the repository guards that make single use race-free."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from kubevision.store import Store
from kubevision.store import users as user_repo
from kubevision.store.migrations import MIGRATIONS, schema_migrations
from kubevision.store.models import metadata, revoked_tokens


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    await store.start()
    yield store
    await store.aclose()


async def new_user(store: Store, username: str = "u") -> user_repo.UserRecord:
    async with store.transaction() as conn:
        return await user_repo.insert_user(conn, username=username, password_hash="x", role="dev",
                                           active=True, token_version=1, must_change_password=False,
                                           totp_enabled=False)


async def test_fresh_database_gets_every_table_and_records_migrations(store: Store) -> None:
    async with store.transaction() as conn:
        tables = set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))
        applied = set((await conn.execute(sa.select(schema_migrations.c.name))).scalars())
    assert set(metadata.tables) <= tables
    assert applied == {name for name, _ in MIGRATIONS}


async def test_restart_applies_nothing_and_keeps_data(tmp_path: Path, store: Store) -> None:
    await new_user(store)
    await store.aclose()
    again = Store(store.url)
    await again.start()
    try:
        async with again.transaction() as conn:
            assert await user_repo.count_users(conn) == 1
            rows = (await conn.execute(sa.select(sa.func.count()).select_from(schema_migrations))).scalar()
        assert rows == len(MIGRATIONS)
    finally:
        await again.aclose()


async def test_transaction_rolls_back_on_error(store: Store) -> None:
    async def insert_then_fail() -> None:
        async with store.transaction() as conn:
            await user_repo.insert_user(conn, username="ghost", password_hash="x", role="dev", active=True,
                                        token_version=1, must_change_password=False, totp_enabled=False)
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError, match="abort"):
        await insert_then_fail()
    async with store.transaction() as conn:
        assert await user_repo.get_user_by_name(conn, "ghost") is None


async def test_ping_and_closed_store(store: Store) -> None:
    assert await store.ping()
    await store.aclose()
    assert not await store.ping()
    with pytest.raises(RuntimeError, match="not started"):
        _ = store.engine


async def test_totp_steps_only_move_forward(store: Store) -> None:
    user = await new_user(store)
    async with store.transaction() as conn:
        assert await user_repo.claim_totp_step(conn, user.id, 100)
        assert not await user_repo.claim_totp_step(conn, user.id, 100)
        assert not await user_repo.claim_totp_step(conn, user.id, 99)
        assert await user_repo.claim_totp_step(conn, user.id, 101)


async def test_recovery_code_is_marked_used_once(store: Store) -> None:
    user = await new_user(store)
    async with store.transaction() as conn:
        await user_repo.replace_recovery_codes(conn, user.id, ["h1", "h2"])
        (first_id, _), _second = sorted(await user_repo.unused_recovery_codes(conn, user.id))
        assert await user_repo.mark_recovery_code_used(conn, first_id)
        assert not await user_repo.mark_recovery_code_used(conn, first_id)
        assert [h for _, h in await user_repo.unused_recovery_codes(conn, user.id)] == ["h2"]
        await user_repo.replace_recovery_codes(conn, user.id, [])
        assert await user_repo.unused_recovery_codes(conn, user.id) == []


async def test_revocation_list_prunes_expired_ids(store: Store) -> None:
    now = dt.datetime.now(dt.UTC)
    async with store.transaction() as conn:
        await user_repo.revoke_token(conn, "old", now - dt.timedelta(seconds=1))
        await user_repo.revoke_token(conn, "live", now + dt.timedelta(hours=1))
        await user_repo.revoke_token(conn, "live", now + dt.timedelta(hours=1))  # twice is fine
        assert await user_repo.is_token_revoked(conn, "live")
        ids = set((await conn.execute(sa.select(revoked_tokens.c.jti))).scalars())
    assert ids == {"live"}  # "old" expired and was dropped when "live" was added


async def test_token_version_bump_and_last_admin_count(store: Store) -> None:
    user = await new_user(store)
    async with store.transaction() as conn:
        await user_repo.bump_token_version(conn, user.id)
        assert (await user_repo.get_user(conn, user.id)).token_version == 2
        await user_repo.update_user(conn, user.id, role="admin")
        assert await user_repo.count_users(conn, role="admin", active_only=True) == 1
        await user_repo.update_user(conn, user.id, active=False)
        assert await user_repo.count_users(conn, role="admin", active_only=True) == 0
        assert await user_repo.count_users(conn, role="admin") == 1


async def test_datetimes_come_back_timezone_aware(store: Store) -> None:
    user = await new_user(store)
    assert user.created_at.tzinfo is not None
    assert abs(user.created_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
