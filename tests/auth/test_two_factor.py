"""TOTP two-factor authentication: setup, enable, the second sign-in step, replay guard, recovery codes,
status and disable; enabling and disabling ask for the password again, API keys may do none of it, and wrong
codes slow the account down."""

from __future__ import annotations

import urllib.parse

import pyotp

from kubevision.auth.ratelimit import FREE_FAILURES
from kubevision.auth.service import AUTH
from kubevision.auth.tokens import TokenType
from tests.accounts import USER_PASSWORD, create_user
from tests.api.test_api_keys import keyed
from tests.auth.conftest import SignInClock, TotpClock
from tests.helpers import ApiSession

CONFIRMED = {"currentPassword": USER_PASSWORD}


def wrong_code(clock: TotpClock, secret: str) -> str:
    """A six-digit code that no step within the window accepts."""
    valid = {clock.code(secret, steps=step) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


async def two_factor_login(anonymous: ApiSession, username: str = "alice") -> str:
    """Step one of a 2FA sign-in; returns the session token."""
    body = await anonymous.fails("POST", "/auth/login", 40102,
                                 json={"username": username, "password": USER_PASSWORD})
    assert body["data"]["requires2fa"] is True
    return body["data"]["sessionToken"]


async def verify(anonymous: ApiSession, session_token: str, code: str, expect: int = 0) -> dict:
    body = await anonymous.call("POST", "/auth/2fa/verify", json={"sessionToken": session_token, "code": code},
                                status=429 if expect == 42900 else 200)
    assert body["code"] == expect, body
    return body


async def enabled_user(admin: ApiSession, anonymous: ApiSession, clock: TotpClock) -> tuple[ApiSession, dict]:
    """alice with 2FA on (enabled with the previous step's code); returns her session and setup data."""
    await create_user(admin, "alice", role="dev")
    alice = await anonymous.login("alice", USER_PASSWORD)
    setup = await alice.ok("POST", "/auth/2fa/setup")
    await alice.ok("POST", "/auth/2fa/enable", json={"code": clock.code(setup["secret"], steps=-1), **CONFIRMED})
    return alice, setup


async def test_setup_returns_secret_url_qr_and_ten_codes(admin: ApiSession, anonymous: ApiSession) -> None:
    await create_user(admin, "alice")
    alice = await anonymous.login("alice", USER_PASSWORD)
    setup = await alice.ok("POST", "/auth/2fa/setup")
    url = urllib.parse.urlparse(setup["otpauthUrl"])
    assert url.scheme == "otpauth" and url.netloc == "totp"
    query = urllib.parse.parse_qs(url.query)
    assert query["secret"] == [setup["secret"]] and query["issuer"] == ["KubeVision"]
    assert "alice" in urllib.parse.unquote(url.path)
    assert pyotp.TOTP(setup["secret"]).now().isdigit()
    assert setup["qrSvg"].startswith("data:image/svg+xml")
    codes = setup["recoveryCodes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    # Setting up is not enabling: sign-in still needs no code.
    assert await alice.ok("GET", "/auth/2fa/status") == {"enabled": False, "recoveryCodesRemaining": 0}
    await anonymous.login("alice", USER_PASSWORD)


async def test_enable_needs_setup_and_a_right_code(admin: ApiSession, anonymous: ApiSession,
                                                   totp_clock: TotpClock) -> None:
    await create_user(admin, "alice")
    alice = await anonymous.login("alice", USER_PASSWORD)
    await alice.fails("POST", "/auth/2fa/enable", 40002, json={"code": "123456", **CONFIRMED})
    setup = await alice.ok("POST", "/auth/2fa/setup")
    await alice.fails("POST", "/auth/2fa/enable", 40001, json={})
    await alice.fails("POST", "/auth/2fa/enable", 40103,
                      json={"code": wrong_code(totp_clock, setup["secret"]), **CONFIRMED})
    await alice.fails("POST", "/auth/2fa/enable", 40103,
                      json={"code": totp_clock.code(setup["secret"], steps=-2), **CONFIRMED})  # outside ±1 step
    # The current password is asked for again; a wrong one is 40002 (40100 would sign the browser out).
    missing = await alice.fails("POST", "/auth/2fa/enable", 40001, json={"code": totp_clock.code(setup["secret"])})
    assert "currentPassword" in missing["message"]
    wrong = await alice.fails("POST", "/auth/2fa/enable", 40002,
                              json={"code": totp_clock.code(setup["secret"]), "currentPassword": "not-my-password"})
    assert wrong["message"] == "current password is incorrect"
    await alice.ok("POST", "/auth/2fa/enable", json={"code": totp_clock.code(setup["secret"]), **CONFIRMED})
    await alice.fails("POST", "/auth/2fa/setup", 40002)  # already on: disable first
    assert (await alice.ok("GET", "/users/me"))["totpEnabled"] is True


async def test_full_life_cycle(app, admin: ApiSession, anonymous: ApiSession,
                               totp_clock: TotpClock) -> None:
    alice, setup = await enabled_user(admin, anonymous, totp_clock)
    secret, recovery = setup["secret"], setup["recoveryCodes"]
    assert await alice.ok("GET", "/auth/2fa/status") == {"enabled": True, "recoveryCodesRemaining": 10}

    # Login step one: no tokens, only a 5-minute session token usable for the verify step.
    session_token = await two_factor_login(anonymous)
    token_claims = app[AUTH].codec.decode(session_token, TokenType.TWO_FACTOR)
    assert token_claims["exp"] - token_claims["iat"] == 300
    await ApiSession(anonymous.client, session_token).fails("GET", "/users/me", 40100)

    # Step two with the current TOTP code.
    current = totp_clock.code(secret)
    data = (await verify(anonymous, session_token, current))["data"]
    await ApiSession(anonymous.client, data["accessToken"]).ok("GET", "/users/me")
    # The session token is single use.
    await verify(anonymous, session_token, totp_clock.code(secret, steps=1), expect=40100)

    # The same TOTP code is refused within its window (replay guard), and so is an older one.
    await verify(anonymous, await two_factor_login(anonymous), current, expect=40103)
    await verify(anonymous, await two_factor_login(anonymous), totp_clock.code(secret, steps=-1),
                 expect=40103)
    # A wrong code too; the next step's code then works.
    await verify(anonymous, await two_factor_login(anonymous), wrong_code(totp_clock, secret), expect=40103)
    totp_clock.advance(1)
    await verify(anonymous, await two_factor_login(anonymous), totp_clock.code(secret))

    # A recovery code works once (case and spaces do not matter), a second use is 40103.
    await verify(anonymous, await two_factor_login(anonymous), f"  {recovery[0].upper()} ")
    await verify(anonymous, await two_factor_login(anonymous), recovery[0], expect=40103)
    assert (await alice.ok("GET", "/auth/2fa/status"))["recoveryCodesRemaining"] == 9
    await verify(anonymous, await two_factor_login(anonymous), recovery[1])
    assert (await alice.ok("GET", "/auth/2fa/status"))["recoveryCodesRemaining"] == 8

    # Disabling needs the current password and a current code; it then signs the user out everywhere.
    await alice.fails("POST", "/auth/2fa/disable", 40001, json={})
    await alice.fails("POST", "/auth/2fa/disable", 40001, json={"code": totp_clock.code(secret, steps=1)})
    await alice.fails("POST", "/auth/2fa/disable", 40002,
                      json={"code": totp_clock.code(secret, steps=1), "currentPassword": "not-my-password"})
    await alice.fails("POST", "/auth/2fa/disable", 40103, json={"code": "12345", **CONFIRMED})
    await alice.fails("POST", "/auth/2fa/disable", 40103, json={"code": totp_clock.code(secret), **CONFIRMED})  # used
    totp_clock.advance(1)
    assert await alice.ok("POST", "/auth/2fa/disable", json={"code": totp_clock.code(secret), **CONFIRMED}) == \
        {"enabled": False}
    await alice.fails("GET", "/auth/2fa/status", 40101)
    again = await anonymous.login("alice", USER_PASSWORD)  # no 2FA step any more
    assert await again.ok("GET", "/auth/2fa/status") == {"enabled": False, "recoveryCodesRemaining": 0}
    await again.fails("POST", "/auth/2fa/disable", 40002, json={"code": "123456", **CONFIRMED})


async def test_disable_with_a_recovery_code(admin: ApiSession, anonymous: ApiSession,
                                            totp_clock: TotpClock) -> None:
    alice, setup = await enabled_user(admin, anonymous, totp_clock)
    await alice.ok("POST", "/auth/2fa/disable", json={"code": setup["recoveryCodes"][3], **CONFIRMED})
    await anonymous.login("alice", USER_PASSWORD)


async def test_codes_of_a_previous_setup_stop_working(admin: ApiSession, anonymous: ApiSession,
                                                      totp_clock: TotpClock) -> None:
    alice, setup = await enabled_user(admin, anonymous, totp_clock)
    totp_clock.advance(1)
    await alice.ok("POST", "/auth/2fa/disable", json={"code": totp_clock.code(setup["secret"]), **CONFIRMED})
    alice = await anonymous.login("alice", USER_PASSWORD)
    new_setup = await alice.ok("POST", "/auth/2fa/setup")
    assert new_setup["secret"] != setup["secret"]
    totp_clock.advance(1)
    await alice.ok("POST", "/auth/2fa/enable", json={"code": totp_clock.code(new_setup["secret"]), **CONFIRMED})
    totp_clock.advance(1)
    session_token = await two_factor_login(anonymous)
    await verify(anonymous, session_token, setup["recoveryCodes"][0], expect=40103)
    await verify(anonymous, session_token, totp_clock.code(setup["secret"]), expect=40103)
    await verify(anonymous, session_token, new_setup["recoveryCodes"][0])


async def test_expired_session_token_is_40101(app, admin: ApiSession, anonymous: ApiSession,
                                              totp_clock: TotpClock) -> None:
    _alice, setup = await enabled_user(admin, anonymous, totp_clock)
    claims = app[AUTH].codec.decode(await two_factor_login(anonymous), TokenType.TWO_FACTOR)
    expired = app[AUTH].codec.issue(TokenType.TWO_FACTOR, user_id=claims["user_id"], version=claims["ver"],
                                    ttl_s=-1)
    await verify(anonymous, expired.token, totp_clock.code(setup["secret"]), expect=40101)


async def test_access_token_is_not_a_session_token(admin: ApiSession, anonymous: ApiSession,
                                                   totp_clock: TotpClock) -> None:
    alice, setup = await enabled_user(admin, anonymous, totp_clock)
    await verify(anonymous, alice.token, totp_clock.code(setup["secret"]), expect=40100)


async def test_failed_second_factor_is_audited(admin: ApiSession, anonymous: ApiSession,
                                               totp_clock: TotpClock) -> None:
    _alice, setup = await enabled_user(admin, anonymous, totp_clock)
    await verify(anonymous, await two_factor_login(anonymous), wrong_code(totp_clock, setup["secret"]),
                 expect=40103)
    rows = await admin.ok("GET", "/audit-logs?user=alice&action=login.failed")
    assert rows and rows[0]["code"] == 40103


async def test_admin_resets_a_lost_authenticator(admin: ApiSession, anonymous: ApiSession,
                                                 totp_clock: TotpClock) -> None:
    await enabled_user(admin, anonymous, totp_clock)
    alice_id = (await admin.ok("GET", "/users"))[-1]["id"]
    await admin.ok("POST", f"/users/{alice_id}/reset-2fa")
    alice = await anonymous.login("alice", USER_PASSWORD)
    assert (await alice.ok("GET", "/users/me"))["totpEnabled"] is False
    await admin.fails("POST", "/users/999/reset-2fa", 40401)


async def test_api_keys_cannot_manage_two_factor(admin: ApiSession, anonymous: ApiSession,
                                                 totp_clock: TotpClock) -> None:
    await create_user(admin, "alice", role="dev")
    alice = await anonymous.login("alice", USER_PASSWORD)
    script = keyed(alice, (await alice.ok("POST", "/api-keys", json={"name": "ci", **CONFIRMED}))["key"])
    body = await script.fails("POST", "/auth/2fa/setup", 40300)
    assert "API keys cannot manage credentials" in body["message"]
    setup = await alice.ok("POST", "/auth/2fa/setup")
    await script.fails("POST", "/auth/2fa/enable", 40300, json={"code": totp_clock.code(setup["secret"]), **CONFIRMED})
    assert (await alice.ok("GET", "/auth/2fa/status"))["enabled"] is False  # the key locked nobody out
    await alice.ok("POST", "/auth/2fa/enable", json={"code": totp_clock.code(setup["secret"]), **CONFIRMED})
    totp_clock.advance(1)
    await script.fails("POST", "/auth/2fa/disable", 40300, json={"code": totp_clock.code(setup["secret"]), **CONFIRMED})
    assert (await alice.ok("GET", "/auth/2fa/status"))["enabled"] is True


async def test_wrong_codes_slow_the_account_down(admin: ApiSession, anonymous: ApiSession, totp_clock: TotpClock,
                                                 sign_in_clock: SignInClock) -> None:
    _alice, setup = await enabled_user(admin, anonymous, totp_clock)
    secret = setup["secret"]
    first = await two_factor_login(anonymous)
    for _ in range(FREE_FAILURES - 2):
        await verify(anonymous, first, wrong_code(totp_clock, secret), expect=40103)
    # Signing in again does not wipe out wrong codes: the right password neither counts nor clears.
    session_token = await two_factor_login(anonymous)
    for _ in range(2):
        await verify(anonymous, session_token, wrong_code(totp_clock, secret), expect=40103)
    body = await verify(anonymous, session_token, totp_clock.code(secret), expect=42900)
    assert "try again in 1 s" in body["message"]
    sign_in_clock.advance(1.0)
    await verify(anonymous, session_token, totp_clock.code(secret))


async def test_a_stolen_session_cannot_guess_the_code_to_disable(admin: ApiSession, anonymous: ApiSession,
                                                                 totp_clock: TotpClock) -> None:
    alice, setup = await enabled_user(admin, anonymous, totp_clock)
    for _ in range(FREE_FAILURES):
        await alice.fails("POST", "/auth/2fa/disable", 40103,
                          json={"code": wrong_code(totp_clock, setup["secret"]), **CONFIRMED})
    await alice.fails("POST", "/auth/2fa/disable", 42900, status=429,
                      json={"code": totp_clock.code(setup["secret"]), **CONFIRMED})
    assert (await alice.ok("GET", "/auth/2fa/status"))["enabled"] is True
    rows = await admin.ok("GET", "/audit-logs?user=alice&action=2fa.disable")
    assert [row["code"] for row in rows] == [42900] + [40103] * FREE_FAILURES


async def test_with_2fa_on_a_code_confirms_instead_of_the_password(admin: ApiSession, anonymous: ApiSession,
                                                                   totp_clock: TotpClock) -> None:
    alice, setup = await enabled_user(admin, anonymous, totp_clock)
    missing = await alice.fails("POST", "/api-keys", 40001, json={"name": "ci"})
    assert "currentPassword" in missing["message"] and "code" in missing["message"]
    await alice.fails("POST", "/api-keys", 40103, json={"name": "ci", "code": wrong_code(totp_clock, setup["secret"])})
    # Recovery codes are kept for a lost device: they do not confirm.
    await alice.fails("POST", "/api-keys", 40103, json={"name": "ci", "code": setup["recoveryCodes"][0]})
    code = totp_clock.code(setup["secret"])
    assert (await alice.ok("POST", "/api-keys", json={"name": "ci", "code": code}))["key"]
    await alice.fails("POST", "/api-keys", 40103, json={"name": "again", "code": code})  # replay guard
    assert (await alice.ok("POST", "/api-keys", json={"name": "by-password", **CONFIRMED}))["key"]
    assert len(await alice.ok("GET", "/api-keys")) == 2
