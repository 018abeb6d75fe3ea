"""Typed JWTs: expiry, forgery, wrong types, refresh rotation, revocation and WebSocket tickets."""

from __future__ import annotations

import asyncio
import base64
import json

import jwt
import pytest

from kubevision.app import create_app
from kubevision.auth.service import AUTH
from kubevision.auth.tokens import TokenCodec, TokenType
from kubevision.errors import ApiError
from kubevision.store import STORE
from tests.accounts import USER_PASSWORD, create_user, sign_in
from tests.helpers import ADMIN_PASSWORD, ApiSession


def claims(app, token: str, typ: TokenType) -> dict:
    return app[AUTH].codec.decode(token, typ)


async def test_expired_access_token_is_40101(app, admin: ApiSession) -> None:
    current = claims(app, admin.token, TokenType.ACCESS)
    expired = app[AUTH].codec.issue(TokenType.ACCESS, user_id=current["user_id"], version=current["ver"],
                                    ttl_s=-5)
    body = await ApiSession(admin.client, expired.token).fails("GET", "/users/me", 40101)
    assert "expired" in body["message"]


@pytest.mark.parametrize("settings_overrides", [{"access_token_ttl_s": 1}], indirect=True)
async def test_access_token_expires_after_its_ttl(anonymous: ApiSession) -> None:
    data = await sign_in(anonymous, "admin", ADMIN_PASSWORD)
    assert data["expiresIn"] == 1
    session = ApiSession(anonymous.client, data["accessToken"])
    await session.ok("GET", "/users/me")
    await asyncio.sleep(2.1)
    await session.fails("GET", "/users/me", 40101)
    # The refresh token still gets a new access token: that is what 40101 tells the client to do.
    fresh = await anonymous.ok("POST", "/auth/refresh", json={"refreshToken": data["refreshToken"]})
    await ApiSession(anonymous.client, fresh["accessToken"]).ok("GET", "/users/me")


async def test_token_signed_with_another_key_is_40100(app, admin: ApiSession) -> None:
    current = claims(app, admin.token, TokenType.ACCESS)
    forged = TokenCodec(b"not-the-server-key-" * 2).issue(
        TokenType.ACCESS, user_id=current["user_id"], version=current["ver"], ttl_s=600)
    await ApiSession(admin.client, forged.token).fails("GET", "/users/me", 40100)


async def test_tampered_payload_is_40100(admin: ApiSession) -> None:
    header, payload, signature = admin.token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded["exp"] += 3600
    tampered_payload = base64.urlsafe_b64encode(json.dumps(decoded).encode()).rstrip(b"=").decode()
    tampered = f"{header}.{tampered_payload}.{signature}"
    await ApiSession(admin.client, tampered).fails("GET", "/users/me", 40100)


async def test_unsigned_alg_none_token_is_40100(app, admin: ApiSession) -> None:
    current = claims(app, admin.token, TokenType.ACCESS)
    unsigned = jwt.encode({k: v for k, v in current.items() if k != "user_id"}, None, algorithm="none")
    await ApiSession(admin.client, unsigned).fails("GET", "/users/me", 40100)


async def test_refresh_token_is_not_an_access_token(anonymous: ApiSession) -> None:
    data = await sign_in(anonymous, "admin", ADMIN_PASSWORD)
    body = await ApiSession(anonymous.client, data["refreshToken"]).fails("GET", "/users/me", 40100)
    assert "access" in body["message"]


async def test_access_token_is_not_a_refresh_token(anonymous: ApiSession) -> None:
    data = await sign_in(anonymous, "admin", ADMIN_PASSWORD)
    body = await anonymous.fails("POST", "/auth/refresh", 40100, json={"refreshToken": data["accessToken"]})
    assert "refresh" in body["message"]


async def test_other_token_types_are_refused_as_access(app, admin: ApiSession) -> None:
    current = claims(app, admin.token, TokenType.ACCESS)
    for typ in (TokenType.TWO_FACTOR, TokenType.WEBSOCKET):
        token = app[AUTH].codec.issue(typ, user_id=current["user_id"], version=current["ver"], ttl_s=60)
        await ApiSession(admin.client, token.token).fails("GET", "/users/me", 40100)


async def test_refresh_far_from_expiry_keeps_the_refresh_token(app, anonymous: ApiSession) -> None:
    data = await sign_in(anonymous, "admin", ADMIN_PASSWORD)
    refreshed = await anonymous.ok("POST", "/auth/refresh", json={"refreshToken": data["refreshToken"]})
    assert refreshed["refreshToken"] is None
    assert claims(app, refreshed["accessToken"], TokenType.ACCESS)["jti"] != \
        claims(app, data["accessToken"], TokenType.ACCESS)["jti"]
    await ApiSession(anonymous.client, refreshed["accessToken"]).ok("GET", "/users/me")
    # Not rotated, so the same refresh token keeps working.
    await anonymous.ok("POST", "/auth/refresh", json={"refreshToken": data["refreshToken"]})


@pytest.mark.parametrize("settings_overrides", [{"refresh_token_ttl_s": 23 * 3600}], indirect=True)
async def test_refresh_within_24h_of_expiry_rotates(anonymous: ApiSession) -> None:
    data = await sign_in(anonymous, "admin", ADMIN_PASSWORD)
    rotated = await anonymous.ok("POST", "/auth/refresh", json={"refreshToken": data["refreshToken"]})
    assert rotated["refreshToken"] and rotated["refreshToken"] != data["refreshToken"]
    # The old refresh token is spent; the new one works.
    await anonymous.fails("POST", "/auth/refresh", 40101, json={"refreshToken": data["refreshToken"]})
    await anonymous.ok("POST", "/auth/refresh", json={"refreshToken": rotated["refreshToken"]})


async def test_expired_refresh_token_is_40101(app, anonymous: ApiSession) -> None:
    data = await sign_in(anonymous, "admin", ADMIN_PASSWORD)
    current = claims(app, data["refreshToken"], TokenType.REFRESH)
    expired = app[AUTH].codec.issue(TokenType.REFRESH, user_id=current["user_id"], version=current["ver"],
                                    ttl_s=-1)
    await anonymous.fails("POST", "/auth/refresh", 40101, json={"refreshToken": expired.token})


async def test_refresh_needs_a_token(client, anonymous: ApiSession) -> None:
    client.session.cookie_jar.clear()
    await anonymous.fails("POST", "/auth/refresh", 40001)
    await anonymous.fails("POST", "/auth/refresh", 40002, json={"refreshToken": 7})


async def test_refresh_from_the_cookie_alone(client, anonymous: ApiSession) -> None:
    await sign_in(anonymous, "admin", ADMIN_PASSWORD)  # the client keeps the HttpOnly cookie
    refreshed = await anonymous.ok("POST", "/auth/refresh")
    await ApiSession(client, refreshed["accessToken"]).ok("GET", "/users/me")


async def test_logout_revokes_the_refresh_token(client, anonymous: ApiSession) -> None:
    data = await sign_in(anonymous, "admin", ADMIN_PASSWORD)
    response = await client.post("/api/v1/auth/logout", json={"refreshToken": data["refreshToken"]})
    assert (await response.json())["code"] == 0
    assert 'kv_refresh=""' in response.headers["Set-Cookie"]  # the cookie is cleared
    await anonymous.fails("POST", "/auth/refresh", 40101, json={"refreshToken": data["refreshToken"]})
    # Another session of the same user is untouched.
    other = await sign_in(anonymous, "admin", ADMIN_PASSWORD)
    await anonymous.ok("POST", "/auth/refresh", json={"refreshToken": other["refreshToken"]})


async def test_logout_through_the_cookie(anonymous: ApiSession) -> None:
    data = await sign_in(anonymous, "admin", ADMIN_PASSWORD)
    await anonymous.ok("POST", "/auth/logout")
    await anonymous.fails("POST", "/auth/refresh", 40101, json={"refreshToken": data["refreshToken"]})


async def test_logout_all_revokes_every_token(anonymous: ApiSession) -> None:
    first = await sign_in(anonymous, "admin", ADMIN_PASSWORD)
    second = await sign_in(anonymous, "admin", ADMIN_PASSWORD)
    session = ApiSession(anonymous.client, first["accessToken"])
    await session.ok("POST", "/auth/logout-all")
    for data in (first, second):
        await ApiSession(anonymous.client, data["accessToken"]).fails("GET", "/users/me", 40101)
        await anonymous.fails("POST", "/auth/refresh", 40101, json={"refreshToken": data["refreshToken"]})
    fresh = await anonymous.login("admin", ADMIN_PASSWORD)
    await fresh.ok("GET", "/users/me")


async def test_password_change_revokes_every_token(admin: ApiSession, anonymous: ApiSession) -> None:
    await create_user(admin, "changer")
    data = await sign_in(anonymous, "changer")
    session = ApiSession(anonymous.client, data["accessToken"])
    await session.ok("PUT", "/users/me/password",
                     json={"oldPassword": USER_PASSWORD, "newPassword": "brand-new-pass-2"})
    await session.fails("GET", "/users/me", 40101)
    await anonymous.fails("POST", "/auth/refresh", 40101, json={"refreshToken": data["refreshToken"]})
    await anonymous.login("changer", "brand-new-pass-2")


async def test_admin_password_reset_revokes_the_users_tokens(admin: ApiSession,
                                                             anonymous: ApiSession) -> None:
    user = await create_user(admin, "forgetful")
    data = await sign_in(anonymous, "forgetful")
    await admin.ok("POST", f"/users/{user['id']}/reset-password", json={"password": "temporary-pw-3"})
    await ApiSession(anonymous.client, data["accessToken"]).fails("GET", "/users/me", 40101)
    fresh = await sign_in(anonymous, "forgetful", "temporary-pw-3")
    assert fresh["user"]["mustChangePassword"] is True


async def test_role_change_revokes_tokens_but_other_edits_do_not(admin: ApiSession,
                                                                 anonymous: ApiSession) -> None:
    user = await create_user(admin, "mover", role="dev")
    session = await anonymous.login("mover", USER_PASSWORD)
    await admin.ok("PUT", f"/users/{user['id']}", json={"email": "mover@example.com"})
    await session.ok("GET", "/users/me")
    await admin.ok("PUT", f"/users/{user['id']}", json={"role": "ops"})
    await session.fails("GET", "/users/me", 40101)
    fresh = await anonymous.login("mover", USER_PASSWORD)
    assert (await fresh.ok("GET", "/users/me"))["role"] == "ops"


async def test_token_of_a_deleted_user_is_40100(admin: ApiSession, anonymous: ApiSession) -> None:
    user = await create_user(admin, "gone")
    session = await anonymous.login("gone", USER_PASSWORD)
    await admin.ok("DELETE", f"/users/{user['id']}")
    await session.fails("GET", "/users/me", 40100)


async def test_ws_ticket_is_short_lived_single_use_and_typed(app, admin: ApiSession) -> None:
    issued = await admin.ok("POST", "/ws/ticket")
    assert issued["expiresIn"] == 30
    ticket_claims = claims(app, issued["ticket"], TokenType.WEBSOCKET)
    assert ticket_claims["exp"] - ticket_claims["iat"] == 30
    principal = await app[AUTH].consume_ws_ticket(issued["ticket"])
    assert principal.username == "admin"
    with pytest.raises(ApiError) as used:
        await app[AUTH].consume_ws_ticket(issued["ticket"])
    assert int(used.value.code) == 40100
    await ApiSession(admin.client, issued["ticket"]).fails("GET", "/users/me", 40100)


async def test_single_use_tokens_are_spent_for_every_instance_on_the_database(settings, app,
                                                                              admin: ApiSession) -> None:
    """Two instances on one database and data dir (a team server's replicas): a ticket spent on one is refused
    by the other."""
    other = create_app(settings)
    other[AUTH].start()  # the shared secrets file and the shared store
    await other[STORE].start()
    try:
        ticket = (await admin.ok("POST", "/ws/ticket"))["ticket"]
        assert (await other[AUTH].consume_ws_ticket(ticket)).username == "admin"
        with pytest.raises(ApiError) as used:
            await app[AUTH].consume_ws_ticket(ticket)
        assert int(used.value.code) == 40100 and "already used" in used.value.message
    finally:
        await other[STORE].aclose()

async def test_ws_ticket_needs_a_login(anonymous: ApiSession) -> None:
    await anonymous.fails("POST", "/ws/ticket", 40100)
