"""Every account change is audited once, by its service, with its outcome: users, the own password, 2FA, API
keys, and signing in and out. A refused attempt leaves exactly one row with its refusal code, a success exactly
one row with 0; a change refused by the route's access declaration is one `access.refused` row."""

from __future__ import annotations

from tests.accounts import USER_PASSWORD, create_user, sign_in, user_session
from tests.api.test_api_keys import keyed
from tests.audit_rows import audited_once, request_id
from tests.auth.conftest import TotpClock
from tests.auth.test_two_factor import CONFIRMED, two_factor_login, wrong_code
from tests.helpers import ADMIN_PASSWORD, ApiSession


async def test_user_administration(admin: ApiSession) -> None:
    weak = request_id("user")
    await admin.fails("POST", "/users", 40002, headers=weak,
                      json={"username": "newbie", "password": "short", "role": "dev"})
    row = await audited_once(admin, weak, "user.create", 40002)
    assert (row["name"], row["resource"], row["username"]) == ("newbie", "users", "admin")

    created = request_id("user")
    user = await admin.ok("POST", "/users", headers=created,
                          json={"username": "newbie", "password": USER_PASSWORD, "role": "dev"})
    assert (await audited_once(admin, created, "user.create", 0))["detail"] == {"role": "dev"}

    taken = request_id("user")
    await admin.fails("POST", "/users", 40900, headers=taken,
                      json={"username": "newbie", "password": USER_PASSWORD, "role": "dev"})
    await audited_once(admin, taken, "user.create", 40900)

    invalid = request_id("user")
    await admin.fails("PUT", f"/users/{user['id']}", 40002, headers=invalid, json={"role": "emperor"})
    assert (await audited_once(admin, invalid, "user.update", 40002))["name"] == "newbie"

    updated = request_id("user")
    await admin.ok("PUT", f"/users/{user['id']}", headers=updated, json={"role": "ops", "namespaces": ["a"]})
    assert (await audited_once(admin, updated, "user.update", 0))["detail"] == {"fields": ["namespaces", "role"]}

    reset = request_id("user")
    await admin.ok("POST", f"/users/{user['id']}/reset-password", headers=reset, json={"password": "another-pass-1"})
    await audited_once(admin, reset, "user.reset-password", 0)

    last_admin = request_id("user")
    await admin.fails("DELETE", "/users/1", 40300, headers=last_admin)
    assert (await audited_once(admin, last_admin, "user.delete", 40300))["name"] == "admin"

    deleted = request_id("user")
    await admin.ok("DELETE", f"/users/{user['id']}", headers=deleted)
    await audited_once(admin, deleted, "user.delete", 0)

    unknown = request_id("user")
    await admin.fails("POST", "/users/999/reset-2fa", 40401, headers=unknown)
    row = await audited_once(admin, unknown, "user.reset-2fa", 40401)
    assert row["name"] is None and row["detail"] == {"userId": 999}


async def test_a_change_refused_by_the_route_is_audited_once_by_the_middleware(admin: ApiSession,
                                                                               anonymous: ApiSession) -> None:
    viewer = await user_session(admin, anonymous, "viewer", role="readonly")
    refused = request_id("route")
    await viewer.fails("POST", "/users", 40300, headers=refused,
                       json={"username": "sneaky", "password": USER_PASSWORD, "role": "admin"})
    row = await audited_once(admin, refused, "access.refused", 40300)
    assert row["username"] == "viewer" and row["clientIp"] == "127.0.0.1"
    assert row["detail"] == {"method": "POST", "route": "/api/v1/users", "reason": "administrators only"}

    script = request_id("route")  # a credential change with an API key: refused by the route's declaration too
    key = (await viewer.ok("POST", "/api-keys", json={"name": "ci", **CONFIRMED}))["key"]
    await keyed(viewer, key).fails("POST", "/auth/2fa/setup", 40300, headers=script)
    assert (await audited_once(admin, script, "access.refused", 40300))["detail"]["route"] == "/api/v1/auth/2fa/setup"

    read = request_id("route")  # a refused read changes nothing: no row
    await viewer.fails("GET", "/users", 40300, headers=read)
    entries = await admin.ok("GET", "/audit-logs?pageSize=500")
    assert [entry for entry in entries if entry["requestId"] == read["X-Request-ID"]] == []


async def test_own_password(admin: ApiSession, anonymous: ApiSession) -> None:
    kay = await user_session(admin, anonymous, "kay", role="dev")
    wrong = request_id("password")
    await kay.fails("PUT", "/users/me/password", 40002, headers=wrong,
                    json={"oldPassword": "not-the-password", "newPassword": "brand-new-pass-1"})
    row = await audited_once(admin, wrong, "user.password", 40002)
    assert (row["username"], row["name"]) == ("kay", "kay")

    changed = request_id("password")
    await kay.ok("PUT", "/users/me/password", headers=changed,
                 json={"oldPassword": USER_PASSWORD, "newPassword": "brand-new-pass-1"})
    await audited_once(admin, changed, "user.password", 0)


async def test_two_factor(admin: ApiSession, anonymous: ApiSession, totp_clock: TotpClock) -> None:
    alice = await user_session(admin, anonymous, "alice", role="dev")
    setup_headers = request_id("2fa")
    setup = await alice.ok("POST", "/auth/2fa/setup", headers=setup_headers)
    await audited_once(admin, setup_headers, "2fa.setup", 0)
    secret = setup["secret"]

    wrong = request_id("2fa")
    await alice.fails("POST", "/auth/2fa/enable", 40103, headers=wrong,
                      json={"code": wrong_code(totp_clock, secret), **CONFIRMED})
    assert (await audited_once(admin, wrong, "2fa.enable", 40103))["username"] == "alice"
    bad_password = request_id("2fa")
    await alice.fails("POST", "/auth/2fa/enable", 40002, headers=bad_password,
                      json={"code": totp_clock.code(secret), "currentPassword": "not-it-at-all"})
    await audited_once(admin, bad_password, "2fa.enable", 40002)
    enabled = request_id("2fa")
    await alice.ok("POST", "/auth/2fa/enable", headers=enabled, json={"code": totp_clock.code(secret), **CONFIRMED})
    await audited_once(admin, enabled, "2fa.enable", 0)

    session_token = await two_factor_login(anonymous)
    bad_code = request_id("2fa")
    await anonymous.fails("POST", "/auth/2fa/verify", 40103, headers=bad_code,
                          json={"sessionToken": session_token, "code": wrong_code(totp_clock, secret)})
    assert (await audited_once(admin, bad_code, "login.failed", 40103))["detail"] == {"reason": "bad 2FA code"}
    totp_clock.advance(1)
    verified = request_id("2fa")
    await anonymous.ok("POST", "/auth/2fa/verify", headers=verified,
                       json={"sessionToken": session_token, "code": totp_clock.code(secret)})
    assert (await audited_once(admin, verified, "login", 0))["detail"] == {"twoFactor": True}

    totp_clock.advance(1)
    refused = request_id("2fa")
    await alice.fails("POST", "/auth/2fa/disable", 40103, headers=refused,
                      json={"code": wrong_code(totp_clock, secret), **CONFIRMED})
    await audited_once(admin, refused, "2fa.disable", 40103)
    disabled = request_id("2fa")
    await alice.ok("POST", "/auth/2fa/disable", headers=disabled, json={"code": totp_clock.code(secret), **CONFIRMED})
    await audited_once(admin, disabled, "2fa.disable", 0)


async def test_api_keys(admin: ApiSession) -> None:
    wrong = request_id("key")
    await admin.fails("POST", "/api-keys", 40002, headers=wrong, json={"name": "ci", "currentPassword": "guess-it"})
    row = await audited_once(admin, wrong, "apikey.create", 40002)
    assert (row["name"], row["detail"]) == ("ci", None)
    too_long = request_id("key")
    await admin.fails("POST", "/api-keys", 40002, headers=too_long,
                      json={"name": "ci", "expiresInDays": 4000, "currentPassword": ADMIN_PASSWORD})
    await audited_once(admin, too_long, "apikey.create", 40002)

    created = request_id("key")
    key = await admin.ok("POST", "/api-keys", headers=created, json={"name": "ci", "currentPassword": ADMIN_PASSWORD})
    assert (await audited_once(admin, created, "apikey.create", 0))["detail"] == {"keyId": key["id"]}

    unknown = request_id("key")
    await admin.fails("DELETE", "/api-keys/999", 40400, headers=unknown)
    await audited_once(admin, unknown, "apikey.delete", 40400)
    deleted = request_id("key")
    await admin.ok("DELETE", f"/api-keys/{key['id']}", headers=deleted)
    assert (await audited_once(admin, deleted, "apikey.delete", 0))["detail"] == {"keyId": key["id"]}


async def test_sign_in_refresh_and_sign_out(admin: ApiSession, anonymous: ApiSession) -> None:
    await create_user(admin, "sam", role="dev")
    wrong = request_id("session")
    await anonymous.fails("POST", "/auth/login", 40100, headers=wrong,
                          json={"username": "sam", "password": "not-his-password"})
    assert (await audited_once(admin, wrong, "login.failed", 40100))["username"] == "sam"
    signed_in = request_id("session")
    await anonymous.ok("POST", "/auth/login", headers=signed_in, json={"username": "sam", "password": USER_PASSWORD})
    await audited_once(admin, signed_in, "login", 0)

    refresh_token = (await sign_in(anonymous, "sam"))["refreshToken"]
    garbage = request_id("session")
    await anonymous.fails("POST", "/auth/refresh", 40100, headers=garbage, json={"refreshToken": "not-a-token"})
    assert (await audited_once(admin, garbage, "refresh", 40100))["userId"] is None
    renewed = request_id("session")
    await anonymous.ok("POST", "/auth/refresh", headers=renewed, json={"refreshToken": refresh_token})
    row = await audited_once(admin, renewed, "refresh", 0)
    assert (row["username"], row["detail"]) == ("sam", {"rotated": False})

    signed_out = request_id("session")
    await anonymous.ok("POST", "/auth/logout", headers=signed_out, json={"refreshToken": refresh_token})
    assert (await audited_once(admin, signed_out, "logout", 0))["userId"] == row["userId"]
    revoked = request_id("session")
    await anonymous.fails("POST", "/auth/refresh", 40101, headers=revoked, json={"refreshToken": refresh_token})
    await audited_once(admin, revoked, "refresh", 40101)

    sam = await anonymous.login("sam", USER_PASSWORD)
    everywhere = request_id("session")
    await sam.ok("POST", "/auth/logout-all", headers=everywhere)
    row = await audited_once(admin, everywhere, "logout-all", 0)
    assert (row["username"], row["detail"]) == ("sam", None)
