"""API keys for scripts: shown once, stored hashed, the owner's role per request, expiry, deletion."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from kubevision.auth.passwords import hash_secret
from kubevision.auth.ratelimit import FREE_FAILURES
from kubevision.store import STORE
from kubevision.store.models import api_keys
from tests.accounts import USER_PASSWORD, create_user, user_session
from tests.helpers import ADMIN_PASSWORD, ApiSession

# Creating a key asks for the current password again.
AS_ADMIN = {"currentPassword": ADMIN_PASSWORD}
AS_USER = {"currentPassword": USER_PASSWORD}


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
    created = await admin.ok("POST", "/api-keys", json={"name": "ci", **AS_ADMIN})
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
    key = (await viewer.ok("POST", "/api-keys", json={"name": "script", **AS_USER}))["key"]
    script = keyed(viewer, key)
    me = await script.ok("GET", "/users/me")
    assert me["username"] == "viewer"
    await script.fails("GET", "/users", 40300)
    listed = await viewer.ok("GET", "/api-keys")
    assert listed[0]["lastUsedAt"] is not None


async def test_role_of_the_owner_is_read_per_request(admin: ApiSession, anonymous: ApiSession) -> None:
    viewer = await user_session(admin, anonymous, "viewer", role="readonly")
    script = keyed(viewer, (await viewer.ok("POST", "/api-keys", json={"name": "s", **AS_USER}))["key"])
    await script.fails("GET", "/users", 40300)
    viewer_id = (await script.ok("GET", "/users/me"))["id"]
    await admin.ok("PUT", f"/users/{viewer_id}", json={"role": "admin"})
    assert len(await script.ok("GET", "/users")) == 2
    await admin.ok("PUT", f"/users/{viewer_id}", json={"active": False})
    await script.fails("GET", "/users/me", 40100)


@pytest.mark.parametrize("bad_key", ["kv_", "kv_nope_nope", "not-a-key", "kv_000000000000_x"])
async def test_wrong_keys_are_40100(admin: ApiSession, bad_key: str) -> None:
    await admin.ok("POST", "/api-keys", json={"name": "ci", **AS_ADMIN})
    await keyed(admin, bad_key).fails("GET", "/users/me", 40100)


async def test_right_prefix_with_wrong_secret_is_40100(admin: ApiSession) -> None:
    real = (await admin.ok("POST", "/api-keys", json={"name": "ci", **AS_ADMIN}))["key"]
    await keyed(admin, real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")).fails(
        "GET", "/users/me", 40100)


async def test_expiry(app, admin: ApiSession) -> None:
    created = await admin.ok("POST", "/api-keys", json={"name": "temp", "expiresInDays": 1, **AS_ADMIN})
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
    created = await admin.ok("POST", "/api-keys", json={"name": "ci", **AS_ADMIN})
    script = keyed(admin, created["key"])
    await script.ok("GET", "/users/me")
    assert await admin.ok("DELETE", f"/api-keys/{created['id']}") is None
    await script.fails("GET", "/users/me", 40100)
    await admin.fails("DELETE", f"/api-keys/{created['id']}", 40400)


async def test_keys_are_private_to_their_owner(admin: ApiSession, anonymous: ApiSession) -> None:
    mine = await admin.ok("POST", "/api-keys", json={"name": "admin-key", **AS_ADMIN})
    other = await user_session(admin, anonymous, "other", role="ops")
    assert await other.ok("GET", "/api-keys") == []
    await other.fails("DELETE", f"/api-keys/{mine['id']}", 40400)
    await keyed(admin, mine["key"]).ok("GET", "/users/me")


async def test_deleting_the_owner_deletes_the_keys(admin: ApiSession, anonymous: ApiSession) -> None:
    user = await create_user(admin, "temp", role="ops")
    temp = await anonymous.login("temp", "user-password-1")
    key = (await temp.ok("POST", "/api-keys", json={"name": "k", **AS_USER}))["key"]
    await admin.ok("DELETE", f"/users/{user['id']}")
    await keyed(admin, key).fails("GET", "/users/me", 40100)


async def test_keys_need_a_login(anonymous: ApiSession) -> None:
    await anonymous.fails("GET", "/api-keys", 40100)
    await anonymous.fails("POST", "/api-keys", 40100, json={"name": "x"})


async def test_keys_cannot_manage_credentials(admin: ApiSession) -> None:
    created = await admin.ok("POST", "/api-keys", json={"name": "ci", **AS_ADMIN})
    script = keyed(admin, created["key"])
    attempts = [
        ("GET", "/api-keys", None),
        ("POST", "/api-keys", {"name": "more", **AS_ADMIN}),
        ("DELETE", f"/api-keys/{created['id']}", None),
        ("POST", "/auth/2fa/setup", None),
        ("POST", "/auth/2fa/enable", {"code": "123456", **AS_ADMIN}),
        ("POST", "/auth/2fa/disable", {"code": "123456", **AS_ADMIN}),
        ("PUT", "/users/me/password", {"oldPassword": ADMIN_PASSWORD, "newPassword": "taken-over-1"}),
        ("POST", "/auth/logout-all", {"revokeApiKeys": True}),
    ]
    for method, path, body in attempts:
        refused = await script.fails(method, path, 40300, json=body)
        assert "API keys cannot manage credentials" in refused["message"], (method, path)
    # Nothing changed: one key, the old password, the key and the session still work.
    assert [k["id"] for k in await admin.ok("GET", "/api-keys")] == [created["id"]]
    await admin.login("admin", ADMIN_PASSWORD)
    await script.ok("GET", "/users/me")
    await admin.ok("GET", "/users/me")


async def test_creating_a_key_asks_for_the_password_again(admin: ApiSession) -> None:
    for unconfirmed in ({"name": "ci"}, {"name": "ci", "currentPassword": ""}, {"name": "ci", "code": "123456"}):
        missing = await admin.fails("POST", "/api-keys", 40001, json=unconfirmed)  # a code only works with 2FA on
        assert "currentPassword" in missing["message"]
    wrong = await admin.fails("POST", "/api-keys", 40002, json={"name": "ci", "currentPassword": "not-it-at-all"})
    assert wrong["message"] == "current password is incorrect"
    await admin.fails("POST", "/api-keys", 40002, json={"name": "ci", "currentPassword": 5})
    assert await admin.ok("GET", "/api-keys") == []
    await admin.ok("GET", "/users/me")  # a wrong confirmation never ends the session


async def test_wrong_confirmations_slow_the_account_down(admin: ApiSession) -> None:
    # A stolen session may not guess the password through the confirmation either.
    for _ in range(FREE_FAILURES):
        await admin.fails("POST", "/api-keys", 40002, json={"name": "ci", "currentPassword": "guess-guess"})
    body = await admin.fails("POST", "/api-keys", 42900, status=429, json={"name": "ci", **AS_ADMIN})
    assert "try again in 1 s" in body["message"]
    assert await admin.ok("GET", "/api-keys") == []
    # Each refused attempt is one row of the change it asked for, with its code (the newest first).
    rows = await admin.ok("GET", "/audit-logs?action=apikey.create")
    assert [row["code"] for row in rows] == [42900] + [40002] * FREE_FAILURES
    assert {row["username"] for row in rows} == {"admin"}


async def test_keys_survive_sign_out_everywhere_unless_revoked_too(admin: ApiSession,
                                                                   anonymous: ApiSession) -> None:
    key = (await admin.ok("POST", "/api-keys", json={"name": "ci", **AS_ADMIN}))["key"]
    script = keyed(admin, key)
    await admin.fails("POST", "/auth/logout-all", 40002, json={"revokeApiKeys": "yes"})
    assert await admin.ok("POST", "/auth/logout-all") == {"apiKeysRevoked": 0}
    await admin.fails("GET", "/users/me", 40101)
    await script.ok("GET", "/users/me")

    session = await anonymous.login("admin", ADMIN_PASSWORD)
    await session.ok("PUT", "/users/me/password", json={"oldPassword": ADMIN_PASSWORD, "newPassword": "next-pass-1"})
    await script.ok("GET", "/users/me")  # a password change leaves scripts running too

    session = await anonymous.login("admin", "next-pass-1")
    await session.ok("POST", "/api-keys", json={"name": "second", "currentPassword": "next-pass-1"})
    assert await session.ok("POST", "/auth/logout-all", json={"revokeApiKeys": True}) == {"apiKeysRevoked": 2}
    await script.fails("GET", "/users/me", 40100)
    await session.fails("GET", "/users/me", 40101)
    session = await anonymous.login("admin", "next-pass-1")
    assert await session.ok("GET", "/api-keys") == []
    entries = await session.ok("GET", "/audit-logs?action=logout-all")
    assert [e["detail"] for e in entries] == [{"apiKeysRevoked": 2}, None]
