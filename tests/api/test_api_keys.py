"""API keys for scripts: shown once, stored hashed, the owner's role per request, expiry, deletion."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from kubevision.auth.passwords import hash_secret
from kubevision.store import STORE
from kubevision.store.models import api_keys
from tests.accounts import create_user, user_session
from tests.helpers import ApiSession


class KeySession(ApiSession):
    """Calls the API with `X-API-Key` only."""

    def __init__(self, client, key: str) -> None:
        super().__init__(client)
        self.key = key

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"X-API-Key": self.key, **(extra or {})}


def keyed(session: ApiSession, key: str) -> ApiSession:
    """A key session on the same test client as `session`."""
    return KeySession(session.client, key)


async def test_key_is_shown_once_and_stored_hashed(app, admin: ApiSession) -> None:
    created = await admin.ok("POST", "/api-keys", json={"name": "ci"})
    key = created["key"]
    assert key.startswith("kv_") and len(key) > 40
    assert created["name"] == "ci" and created["expiresAt"] is None
    listed = await admin.ok("GET", "/api-keys")
    assert [k["id"] for k in listed] == [created["id"]]
    assert "key" not in listed[0] and key not in str(listed)
    assert listed[0]["prefix"] in key
    async with app[STORE].transaction() as conn:
        row = (await conn.execute(sa.select(api_keys))).one()
    assert row.key_hash == hash_secret(key) and key not in str(tuple(row))


async def test_key_authenticates_with_the_owners_role(admin: ApiSession, anonymous: ApiSession) -> None:
    viewer = await user_session(admin, anonymous, "viewer", role="readonly")
    key = (await viewer.ok("POST", "/api-keys", json={"name": "script"}))["key"]
    script = keyed(viewer, key)
    me = await script.ok("GET", "/users/me")
    assert me["username"] == "viewer"
    await script.fails("GET", "/users", 40300)
    listed = await viewer.ok("GET", "/api-keys")
    assert listed[0]["lastUsedAt"] is not None


async def test_role_of_the_owner_is_read_per_request(admin: ApiSession, anonymous: ApiSession) -> None:
    viewer = await user_session(admin, anonymous, "viewer", role="readonly")
    script = keyed(viewer, (await viewer.ok("POST", "/api-keys", json={"name": "s"}))["key"])
    await script.fails("GET", "/users", 40300)
    viewer_id = (await script.ok("GET", "/users/me"))["id"]
    await admin.ok("PUT", f"/users/{viewer_id}", json={"role": "admin"})
    assert len(await script.ok("GET", "/users")) == 2
    await admin.ok("PUT", f"/users/{viewer_id}", json={"active": False})
    await script.fails("GET", "/users/me", 40100)


@pytest.mark.parametrize("bad_key", ["kv_", "kv_nope_nope", "not-a-key", "kv_000000000000_x"])
async def test_wrong_keys_are_40100(admin: ApiSession, bad_key: str) -> None:
    await admin.ok("POST", "/api-keys", json={"name": "ci"})
    await keyed(admin, bad_key).fails("GET", "/users/me", 40100)


async def test_right_prefix_with_wrong_secret_is_40100(admin: ApiSession) -> None:
    real = (await admin.ok("POST", "/api-keys", json={"name": "ci"}))["key"]
    await keyed(admin, real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")).fails(
        "GET", "/users/me", 40100)


async def test_expiry(app, admin: ApiSession) -> None:
    created = await admin.ok("POST", "/api-keys", json={"name": "temp", "expiresInDays": 1})
    expires = dt.datetime.fromisoformat(created["expiresAt"])
    assert dt.timedelta(hours=23) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(days=1)
    script = keyed(admin, created["key"])
    await script.ok("GET", "/users/me")
    async with app[STORE].transaction() as conn:
        await conn.execute(api_keys.update().values(
            expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    await script.fails("GET", "/users/me", 40101)


@pytest.mark.parametrize(("body", "code"), [
    ({}, 40001),
    ({"name": ""}, 40001),
    ({"name": 5}, 40002),
    ({"name": "x" * 101}, 40002),
    ({"name": "ci", "expiresInDays": 0}, 40002),
    ({"name": "ci", "expiresInDays": 3651}, 40002),
    ({"name": "ci", "expiresInDays": "7"}, 40002),
])
async def test_create_validation(admin: ApiSession, body: dict, code: int) -> None:
    await admin.fails("POST", "/api-keys", code, json=body)
    assert await admin.ok("GET", "/api-keys") == []


async def test_delete_revokes_at_once(admin: ApiSession) -> None:
    created = await admin.ok("POST", "/api-keys", json={"name": "ci"})
    script = keyed(admin, created["key"])
    await script.ok("GET", "/users/me")
    assert await admin.ok("DELETE", f"/api-keys/{created['id']}") is None
    await script.fails("GET", "/users/me", 40100)
    await admin.fails("DELETE", f"/api-keys/{created['id']}", 40400)


async def test_keys_are_private_to_their_owner(admin: ApiSession, anonymous: ApiSession) -> None:
    mine = await admin.ok("POST", "/api-keys", json={"name": "admin-key"})
    other = await user_session(admin, anonymous, "other", role="ops")
    assert await other.ok("GET", "/api-keys") == []
    await other.fails("DELETE", f"/api-keys/{mine['id']}", 40400)
    await keyed(admin, mine["key"]).ok("GET", "/users/me")


async def test_deleting_the_owner_deletes_the_keys(admin: ApiSession, anonymous: ApiSession) -> None:
    user = await create_user(admin, "temp", role="ops")
    temp = await anonymous.login("temp", "user-password-1")
    key = (await temp.ok("POST", "/api-keys", json={"name": "k"}))["key"]
    await admin.ok("DELETE", f"/users/{user['id']}")
    await keyed(admin, key).fails("GET", "/users/me", 40100)


async def test_keys_need_a_login(anonymous: ApiSession) -> None:
    await anonymous.fails("GET", "/api-keys", 40100)
    await anonymous.fails("POST", "/api-keys", 40100, json={"name": "x"})
