"""Sign-in: the session it returns, the refresh cookie, and every way it refuses."""

from __future__ import annotations

from http.cookies import SimpleCookie

from kubevision.auth.service import AUTH
from kubevision.auth.tokens import TokenType
from tests.accounts import USER_PASSWORD, create_user, sign_in
from tests.helpers import ADMIN_PASSWORD, ApiSession

FORBIDDEN_USER_KEYS = {"password_hash", "passwordHash", "totp_secret", "totpSecret", "token_version"}


async def test_login_returns_tokens_and_user(app, anonymous: ApiSession) -> None:
    data = await sign_in(anonymous, "admin", ADMIN_PASSWORD)
    assert set(data) == {"accessToken", "refreshToken", "expiresIn", "user"}
    assert data["expiresIn"] == 15 * 60
    user = data["user"]
    assert user["username"] == "admin" and user["role"] == "admin" and user["active"] is True
    assert not FORBIDDEN_USER_KEYS & set(user)
    assert user["lastLoginAt"] is not None
    codec = app[AUTH].codec
    assert codec.decode(data["accessToken"], TokenType.ACCESS)["user_id"] == user["id"]
    assert codec.decode(data["refreshToken"], TokenType.REFRESH)["user_id"] == user["id"]


async def test_login_sets_httponly_strict_refresh_cookie(client) -> None:
    response = await client.post("/api/v1/auth/login",
                                 json={"username": "admin", "password": ADMIN_PASSWORD})
    body = await response.json()
    cookie = SimpleCookie(response.headers["Set-Cookie"])["kv_refresh"]
    assert cookie.value == body["data"]["refreshToken"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/api/v1/auth"
    assert not cookie["secure"]  # no TLS in this test
    assert int(cookie["max-age"]) == 7 * 24 * 3600


async def test_access_token_works_for_requests(anonymous: ApiSession) -> None:
    admin = await anonymous.login("admin", ADMIN_PASSWORD)
    assert (await admin.ok("GET", "/users/me"))["username"] == "admin"


async def test_wrong_password_is_40100(anonymous: ApiSession) -> None:
    body = await anonymous.fails("POST", "/auth/login", 40100,
                                 json={"username": "admin", "password": "wrong-password"})
    assert body["message"] == "invalid username or password"
    assert body["data"] is None


async def test_unknown_user_looks_like_a_wrong_password(anonymous: ApiSession) -> None:
    body = await anonymous.fails("POST", "/auth/login", 40100,
                                 json={"username": "nobody", "password": "whatever-1"})
    assert body["message"] == "invalid username or password"


async def test_username_is_exact(anonymous: ApiSession) -> None:
    await anonymous.fails("POST", "/auth/login", 40100,
                          json={"username": "ADMIN", "password": ADMIN_PASSWORD})


async def test_overlong_password_is_refused_not_truncated(anonymous: ApiSession) -> None:
    # bcrypt reads 72 bytes only; a password that merely starts like the real one must not pass.
    await anonymous.fails("POST", "/auth/login", 40100,
                          json={"username": "admin", "password": ADMIN_PASSWORD + "x" * 80})


async def test_deactivated_user_cannot_log_in(admin: ApiSession, anonymous: ApiSession) -> None:
    user = await create_user(admin, "leaver")
    await sign_in(anonymous, "leaver")
    await admin.ok("PUT", f"/users/{user['id']}", json={"active": False})
    await anonymous.fails("POST", "/auth/login", 40100,
                          json={"username": "leaver", "password": USER_PASSWORD})
    await admin.ok("PUT", f"/users/{user['id']}", json={"active": True})
    await sign_in(anonymous, "leaver")


async def test_deactivation_ends_running_sessions(admin: ApiSession, anonymous: ApiSession) -> None:
    user = await create_user(admin, "leaver")
    leaver = await anonymous.login("leaver", USER_PASSWORD)
    await admin.ok("PUT", f"/users/{user['id']}", json={"active": False})
    await leaver.fails("GET", "/users/me", 40100)


async def test_missing_or_malformed_authorization_is_40100(client, anonymous: ApiSession) -> None:
    for header in ("Basic YWRtaW46cGFzcw==", "Bearer", "Bearer ", "Bearer not-a-jwt", "token"):
        response = await client.get("/api/v1/users/me", headers={"Authorization": header})
        body = await response.json()
        assert body["code"] == 40100, (header, body)
    await anonymous.fails("GET", "/users/me", 40100)
