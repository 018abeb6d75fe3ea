"""The users API: admin CRUD, validation, the last-admin guard, roles, /users/me and own password."""

from __future__ import annotations

import pytest

from kubevision.auth.ratelimit import FREE_FAILURES
from tests.accounts import USER_PASSWORD, create_user, sign_in, user_session
from tests.api.test_api_keys import keyed
from tests.helpers import ADMIN_PASSWORD, ApiSession

SECRET_KEYS = {"password", "password_hash", "passwordHash", "totp_secret", "totpSecret"}


async def test_create_list_get_update_delete(admin: ApiSession) -> None:
    created = await create_user(admin, "carol", role="dev", email="carol@example.com",
                                clusters=[1, 2], namespaces=["team-a"])
    assert created["username"] == "carol" and created["role"] == "dev"
    assert created["email"] == "carol@example.com"
    assert created["clusters"] == [1, 2] and created["namespaces"] == ["team-a"]
    assert created["active"] is True and created["totpEnabled"] is False
    assert not SECRET_KEYS & set(created)

    listed = await admin.ok("GET", "/users")
    assert [u["username"] for u in listed] == ["admin", "carol"]
    assert await admin.ok("GET", f"/users/{created['id']}") == created

    updated = await admin.ok("PUT", f"/users/{created['id']}",
                             json={"role": "ops", "clusters": None, "namespaces": ["a", "b", "a"]})
    assert updated["role"] == "ops" and updated["clusters"] is None
    assert updated["namespaces"] == ["a", "b"]
    assert updated["email"] == "carol@example.com"  # untouched fields stay

    assert await admin.ok("DELETE", f"/users/{created['id']}") is None
    await admin.fails("GET", f"/users/{created['id']}", 40401)
    assert [u["username"] for u in await admin.ok("GET", "/users")] == ["admin"]


async def test_omitted_grants_mean_everything(admin: ApiSession) -> None:
    created = await create_user(admin, "dave", role="ops")
    assert created["clusters"] is None and created["namespaces"] is None


@pytest.mark.parametrize(("fields", "code"), [
    ({"username": "bad name"}, 40002),
    ({"username": "x" * 65}, 40002),
    ({"username": ""}, 40001),
    ({"password": "short"}, 40002),
    ({"password": "é" * 40}, 40002),  # 80 bytes: over bcrypt's 72
    ({"role": "superuser"}, 40002),
    ({"role": 3}, 40002),
    ({"email": "not-an-address"}, 40002),
    ({"clusters": ["prod"]}, 40002),
    ({"clusters": [True]}, 40002),
    ({"clusters": 1}, 40002),
    ({"namespaces": [1]}, 40002),
    ({"namespaces": "team-a"}, 40002),
])
async def test_create_validation(admin: ApiSession, fields: dict, code: int) -> None:
    body = {"username": "erin", "password": USER_PASSWORD, "role": "dev", **fields}
    await admin.fails("POST", "/users", code, json=body)
    assert len(await admin.ok("GET", "/users")) == 1


@pytest.mark.parametrize("missing", ["username", "password", "role"])
async def test_create_requires_fields(admin: ApiSession, missing: str) -> None:
    body = {"username": "erin", "password": USER_PASSWORD, "role": "dev"}
    del body[missing]
    await admin.fails("POST", "/users", 40001, json=body)


async def test_custom_role_needs_valid_permissions(admin: ApiSession, anonymous: ApiSession) -> None:
    await admin.fails("POST", "/users", 40001,
                      json={"username": "cu", "password": USER_PASSWORD, "role": "custom"})
    await admin.fails("POST", "/users", 40001,
                      json={"username": "cu", "password": USER_PASSWORD, "role": "custom", "permissions": []})
    for bad in (["pods:fly"], ["pods"], "pods:read", [1], ["Pods:read"]):
        await admin.fails("POST", "/users", 40002, json={"username": "cu", "password": USER_PASSWORD,
                                                         "role": "custom", "permissions": bad})
    created = await create_user(admin, "cu", role="custom", permissions=["pods:read", "*:logs", "secrets:*"])
    assert created["permissions"] == ["pods:read", "*:logs", "secrets:*"]
    session = await anonymous.login("cu", USER_PASSWORD)
    await session.ok("GET", "/users/me")


async def test_custom_role_update_keeps_or_requires_permissions(admin: ApiSession) -> None:
    custom = await create_user(admin, "cu", role="custom", permissions=["pods:read"])
    # Re-stating the role without the list keeps the stored permissions.
    kept = await admin.ok("PUT", f"/users/{custom['id']}", json={"role": "custom", "email": "cu@example.com"})
    assert kept["permissions"] == ["pods:read"]
    # Emptying the list of a custom user is refused.
    await admin.fails("PUT", f"/users/{custom['id']}", 40001, json={"permissions": []})
    # A user without permissions cannot become custom without a list, and can with one.
    dev = await create_user(admin, "dv", role="dev")
    await admin.fails("PUT", f"/users/{dev['id']}", 40001, json={"role": "custom"})
    became = await admin.ok("PUT", f"/users/{dev['id']}", json={"role": "custom", "permissions": ["*:read"]})
    assert became["role"] == "custom" and became["permissions"] == ["*:read"]


async def test_update_validation(admin: ApiSession) -> None:
    user = await create_user(admin, "frank")
    path = f"/users/{user['id']}"
    await admin.fails("PUT", path, 40002, json={"password": "new-password-1"})
    await admin.fails("PUT", path, 40002, json={"active": "no"})
    await admin.fails("PUT", path, 40002, json={"role": "root"})
    await admin.fails("PUT", path, 40002, json={"clusters": ["x"]})
    assert await admin.ok("GET", path) == user


async def test_duplicate_username_is_40900(admin: ApiSession) -> None:
    await create_user(admin, "gina")
    await admin.fails("POST", "/users", 40900, json={"username": "gina", "password": USER_PASSWORD,
                                                     "role": "ops"})
    await admin.fails("POST", "/users", 40900, json={"username": "admin", "password": USER_PASSWORD,
                                                     "role": "ops"})


@pytest.mark.parametrize(("method", "path", "json"), [
    ("GET", "/users/999", None),
    ("PUT", "/users/999", {"role": "ops"}),
    ("DELETE", "/users/999", None),
    ("POST", "/users/999/reset-password", {"password": "new-password-1"}),
    ("POST", "/users/999/reset-2fa", None),
])
async def test_unknown_user_is_40401(admin: ApiSession, method: str, path: str, json) -> None:
    await admin.fails(method, path, 40401, json=json)


@pytest.mark.parametrize("path", ["/users/abc", "/users/0", "/users/-1"])
async def test_malformed_user_id_is_40002(admin: ApiSession, path: str) -> None:
    await admin.fails("GET", path, 40002)


async def test_last_admin_cannot_be_deleted_demoted_or_deactivated(admin: ApiSession) -> None:
    me = await admin.ok("GET", "/users/me")
    path = f"/users/{me['id']}"
    await admin.fails("DELETE", path, 40300)
    await admin.fails("PUT", path, 40300, json={"role": "ops"})
    await admin.fails("PUT", path, 40300, json={"active": False})
    still = await admin.ok("GET", path)
    assert still["role"] == "admin" and still["active"] is True


async def test_admin_can_step_down_when_another_admin_exists(admin: ApiSession,
                                                              anonymous: ApiSession) -> None:
    me = await admin.ok("GET", "/users/me")
    second = await create_user(admin, "second-admin", role="admin")
    inactive = await create_user(admin, "sleeper", role="admin")
    await admin.ok("PUT", f"/users/{inactive['id']}", json={"active": False})
    await admin.ok("PUT", f"/users/{me['id']}", json={"role": "ops"})
    # Only one active admin is left now, and the inactive one does not count.
    other = await anonymous.login("second-admin", USER_PASSWORD)
    await other.fails("DELETE", f"/users/{second['id']}", 40300)
    await other.ok("DELETE", f"/users/{inactive['id']}")


async def test_non_admin_gets_40300_on_user_admin(admin: ApiSession, anonymous: ApiSession) -> None:
    for role in ("ops", "dev", "readonly"):
        session = await user_session(admin, anonymous, f"{role}-user", role=role)
        await session.fails("GET", "/users", 40300)
        await session.fails("GET", "/users/1", 40300)
        await session.fails("POST", "/users", 40300,
                            json={"username": "x", "password": USER_PASSWORD, "role": "admin"})
        await session.fails("PUT", "/users/1", 40300, json={"role": "readonly"})
        await session.fails("DELETE", "/users/1", 40300)
        await session.fails("POST", "/users/1/reset-password", 40300, json={"password": "hijacked-pass"})
        assert (await session.ok("GET", "/users/me"))["role"] == role
    await anonymous.fails("GET", "/users", 40100)
    await anonymous.login("admin", ADMIN_PASSWORD)  # nothing above changed the admin


async def test_readonly_user_sees_itself_only(admin: ApiSession, anonymous: ApiSession) -> None:
    viewer = await user_session(admin, anonymous, "viewer", role="readonly")
    me = await viewer.ok("GET", "/users/me")
    assert me["username"] == "viewer" and me["role"] == "readonly"
    assert not SECRET_KEYS & set(me)
    await viewer.fails("GET", "/audit-logs", 40300)
    await viewer.fails("GET", "/users", 40300)


async def test_promotion_applies_at_once(admin: ApiSession, anonymous: ApiSession) -> None:
    user = await create_user(admin, "hank", role="readonly")
    await admin.ok("PUT", f"/users/{user['id']}", json={"role": "admin"})
    hank = await anonymous.login("hank", USER_PASSWORD)
    assert len(await hank.ok("GET", "/users")) == 2


async def test_change_own_password(admin: ApiSession, anonymous: ApiSession) -> None:
    ivy = await user_session(admin, anonymous, "ivy")
    await ivy.fails("PUT", "/users/me/password", 40002,
                    json={"oldPassword": "not-my-password", "newPassword": "new-password-1"})
    await ivy.fails("PUT", "/users/me/password", 40002,
                    json={"oldPassword": USER_PASSWORD, "newPassword": "short"})
    await ivy.fails("PUT", "/users/me/password", 40002,
                    json={"oldPassword": USER_PASSWORD, "newPassword": USER_PASSWORD})
    await ivy.fails("PUT", "/users/me/password", 40001, json={"oldPassword": USER_PASSWORD})
    await ivy.ok("GET", "/users/me")  # failed attempts revoke nothing
    await ivy.ok("PUT", "/users/me/password",
                 json={"oldPassword": USER_PASSWORD, "newPassword": "new-password-1"})
    await anonymous.fails("POST", "/auth/login", 40100, json={"username": "ivy", "password": USER_PASSWORD})
    await sign_in(anonymous, "ivy", "new-password-1")


async def test_password_change_clears_must_change(admin: ApiSession, anonymous: ApiSession) -> None:
    user = await create_user(admin, "jill")
    await admin.ok("POST", f"/users/{user['id']}/reset-password", json={"password": "temporary-pw-1"})
    jill = await anonymous.login("jill", "temporary-pw-1")
    assert (await jill.ok("GET", "/users/me"))["mustChangePassword"] is True
    await jill.ok("PUT", "/users/me/password",
                  json={"oldPassword": "temporary-pw-1", "newPassword": "jills-own-pw"})
    assert (await sign_in(anonymous, "jill", "jills-own-pw"))["user"]["mustChangePassword"] is False


async def test_must_change_password_allows_only_the_change(admin: ApiSession, anonymous: ApiSession) -> None:
    user = await create_user(admin, "jill", role="ops")
    jill = await anonymous.login("jill", USER_PASSWORD)
    key = (await jill.ok("POST", "/api-keys", json={"name": "ci", "currentPassword": USER_PASSWORD}))["key"]
    await admin.ok("POST", f"/users/{user['id']}/reset-password", json={"password": "temporary-pw-1"})
    jill = await anonymous.login("jill", "temporary-pw-1")
    script = keyed(jill, key)
    for session in (jill, script):
        assert (await session.ok("GET", "/users/me"))["mustChangePassword"] is True
        for method, path in (("GET", "/clusters"), ("GET", "/favorites"), ("POST", "/ws/ticket"),
                             ("GET", "/audit-logs"), ("GET", "/auth/2fa/status")):
            body = await session.fails(method, path, 40300)
            assert "must change your password first" in body["message"], (method, path)
    await jill.fails("GET", "/api-keys", 40300)
    assert (await jill.ok("GET", "/info"))["version"]
    await jill.ok("PUT", "/users/me/password", json={"oldPassword": "temporary-pw-1", "newPassword": "jills-own-pw"})
    jill = await anonymous.login("jill", "jills-own-pw")
    assert await jill.ok("GET", "/favorites") == []
    assert (await script.ok("GET", "/auth/2fa/status"))["enabled"] is False


async def test_a_user_who_must_change_the_password_may_sign_out_everywhere(admin: ApiSession,
                                                                          anonymous: ApiSession) -> None:
    user = await create_user(admin, "kay")
    await admin.ok("POST", f"/users/{user['id']}/reset-password", json={"password": "temporary-pw-1"})
    kay = await anonymous.login("kay", "temporary-pw-1")
    assert await kay.ok("POST", "/auth/logout-all") == {"apiKeysRevoked": 0}
    await kay.fails("GET", "/users/me", 40101)


async def test_wrong_old_passwords_slow_the_account_down(admin: ApiSession, anonymous: ApiSession) -> None:
    ivy = await user_session(admin, anonymous, "ivy")
    for _ in range(FREE_FAILURES):
        await ivy.fails("PUT", "/users/me/password", 40002,
                        json={"oldPassword": "guess-guess", "newPassword": "new-password-1"})
    await ivy.fails("PUT", "/users/me/password", 42900, status=429,
                    json={"oldPassword": USER_PASSWORD, "newPassword": "new-password-1"})
    await ivy.ok("GET", "/users/me")  # slowed down, never signed out


async def test_admin_password_reset_validates(admin: ApiSession) -> None:
    user = await create_user(admin, "kim")
    await admin.fails("POST", f"/users/{user['id']}/reset-password", 40002, json={"password": "short"})
    await admin.fails("POST", f"/users/{user['id']}/reset-password", 40001, json={})
