"""The store on SQLite and on PostgreSQL: migrations, transactions, the repository guards that make single use
race-free, and values one backend accepts and the other would refuse."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

from kubevision.auth.ratelimit import FREE_FAILURES, LoginThrottle
from kubevision.config import async_database_url
from kubevision.errors import ApiError
from kubevision.services.audit import AuditLog
from kubevision.store import Store
from kubevision.store import clusters as cluster_repo
from kubevision.store import users as user_repo
from kubevision.store.audit import insert_audit_entries, query_audit_entries
from kubevision.store.favorites import insert_favorite
from kubevision.store.migrations import MIGRATIONS, schema_migrations
from kubevision.store.models import metadata, revoked_tokens
from tests.audit_faults import failing_audit_inserts
from tests.postgres import PostgresServer


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A started store on an empty database of each backend (PostgreSQL: the session's private server)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database()
    store = Store(async_database_url(url))
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



async def test_single_use_token_ids_are_spent_once(store: Store) -> None:
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    async with store.transaction() as conn:
        assert await user_repo.use_token_once(conn, "ticket-1", expires) is True
        assert await user_repo.use_token_once(conn, "ticket-1", expires) is False
        assert await user_repo.is_token_revoked(conn, "ticket-1")

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


async def test_instances_starting_together_on_one_postgresql_database_migrate_once(postgres: PostgresServer) -> None:
    url = async_database_url(postgres.create_database())
    instances = [Store(url) for _ in range(3)]
    try:
        await asyncio.gather(*(instance.start() for instance in instances))
        async with instances[0].transaction() as conn:
            applied = list((await conn.execute(sa.select(schema_migrations.c.name))).scalars())
    finally:
        for instance in instances:
            await instance.aclose()
    assert sorted(applied) == [name for name, _ in MIGRATIONS]


async def test_concurrent_upserts_and_revocations_do_not_collide(store: Store) -> None:
    async def import_context(server: str) -> cluster_repo.ClusterRecord:
        async with store.transaction() as conn:
            return await cluster_repo.upsert_cluster(conn, name="prod", source="kubeconfig", context="prod",
                                                     server=server)

    async def revoke() -> None:
        async with store.transaction() as conn:
            await user_repo.revoke_token(conn, "jti-1", dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))

    imported = await asyncio.gather(*(import_context("https://prod") for _ in range(5)))
    await asyncio.gather(*(revoke() for _ in range(5)))
    updated = await import_context("https://prod-2")
    assert {record.id for record in imported} == {updated.id}
    async with store.transaction() as conn:
        assert await cluster_repo.list_cluster_records(conn) == [updated]
        assert updated.server == "https://prod-2"
        assert await user_repo.is_token_revoked(conn, "jti-1")


async def test_strings_postgresql_would_refuse_are_kept_with_the_rest_of_their_batch(store: Store) -> None:
    # PostgreSQL enforces VARCHAR(n) and cannot store NUL in text; SQLite does neither.
    now = dt.datetime.now(dt.UTC)
    async with store.transaction() as conn:
        await insert_audit_entries(conn, [
            {"created_at": now, "action": "login.failed", "username": "x" * 300, "code": 40100},
            {"created_at": now, "action": "login.failed", "username": "nul\x00name", "code": 40100},
            {"created_at": now, "action": "login", "username": "admin", "code": 0},
        ])
        entries, total = await query_audit_entries(conn)
        by_nul_name, _ = await query_audit_entries(conn, username="nul\x00name")
        assert await user_repo.get_user_by_name(conn, "nul\x00name") is None
    stored_nul = "\x00" if store.is_sqlite else "\ufffd"
    assert [entry["username"] for entry in entries] == ["admin", f"nul{stored_nul}name", "x" * 64]
    assert total == 3 and [entry["id"] for entry in by_nul_name] == [entries[1]["id"]]


async def test_favorite_descriptions_are_cut_to_their_columns(store: Store) -> None:
    user = await new_user(store)
    async with store.transaction() as conn:
        favorite = await insert_favorite(conn, user_id=user.id, path="/c/1/ns/n/pods/p", title="t" * 300,
                                         cluster_id=1, resource="pods", namespace="n" * 300, name="p" * 300)
    assert (favorite["title"], favorite["namespace"], favorite["name"]) == ("t" * 253, "n" * 253, "p" * 253)
    assert favorite["path"] == "/c/1/ns/n/pods/p"


async def test_an_older_database_gets_nullable_audit_codes_and_keeps_its_rows(store: Store) -> None:
    def make_old(connection: sa.Connection) -> None:  # the schema before intent rows (code NOT NULL)
        with Operations(MigrationContext.configure(connection)).batch_alter_table("audit_logs") as batch:
            batch.alter_column("code", existing_type=sa.Integer(), nullable=False)
        connection.execute(schema_migrations.delete().where(schema_migrations.c.name == "0005_audit_outcome_nullable"))

    now = dt.datetime.now(dt.UTC)
    async with store.transaction() as conn:
        await conn.run_sync(make_old)
        await insert_audit_entries(conn, [{"created_at": now, "action": "login", "username": "old", "code": 0}])
    with pytest.raises(sa.exc.IntegrityError):
        async with store.transaction() as conn:
            await insert_audit_entries(conn, [{"created_at": now, "action": "resource.patch", "code": None}])
    await store.aclose()

    again = Store(store.url)
    await again.start()
    try:
        async with again.transaction() as conn:
            [attempted] = await insert_audit_entries(conn, [{"created_at": now, "action": "resource.patch",
                                                              "code": None}])
            entries, total = await query_audit_entries(conn)
    finally:
        await again.aclose()
    assert total == 2
    assert [(e["action"], e["code"], e["username"]) for e in entries] == [("resource.patch", None, None),
                                                                          ("login", 0, "old")]
    assert entries[0]["id"] == attempted


async def test_audit_writer_retries_a_failing_database_until_it_takes_the_rows(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    audit = AuditLog(store)
    audit.start()
    try:
        async with failing_audit_inserts(store):
            intent = asyncio.create_task(audit.begin("resource.patch", username="admin", name="web"))
            audit.record("login", username="admin")
            await asyncio.sleep(0.5)  # attempts 50, 100 and 200 ms apart fail
            assert not intent.done()  # the change may not be sent yet
            assert audit.pending == 2
        entry = await intent
        entries, _ = await audit.query()
        assert {(e["action"], e["code"]) for e in entries} == {("resource.patch", None), ("login", 0)}
        await audit.finish(entry, 0, replicas=3)
        entries, total = await audit.query(action="resource.patch")
    finally:
        await audit.aclose()
    assert total == 1 and (entries[0]["id"], entries[0]["code"]) == (entry.id, 0)
    assert entries[0]["detail"] == {"replicas": 3} and audit.pending == 0
    failures = [r for r in caplog.records if r.name == "kubevision.services.audit" and "could not write" in r.message]
    assert len(failures) >= 3


async def test_concurrent_sign_in_attempts_cannot_slip_past_the_throttle(store: Store) -> None:
    """Attempts are counted before they are checked, with a compare-and-set: of many at once, no more than the
    free ones get through (instances on one database share the count the same way). The clock stands still: on a
    slow machine the first delay could otherwise run out while the thirty attempts are still being counted."""
    now = time.time()
    throttles = [LoginThrottle(store, clock=lambda: now) for _ in range(3)]

    async def attempt(index: int) -> int:
        """0 when the attempt may go ahead, else the refusal's code."""
        try:
            await throttles[index % 3].claim("Mallory")
        except ApiError as refused:
            return int(refused.code)
        return 0

    outcomes = await asyncio.gather(*(attempt(index) for index in range(30)))
    assert set(outcomes) == {0, 42900}
    assert 1 <= outcomes.count(0) <= FREE_FAILURES
    await throttles[0].clear("mallory")  # a success clears the name, whatever its case
    assert await attempt(0) == 0
