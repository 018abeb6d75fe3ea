"""Sign-in limits: per client (the whole loopback range is one client) for sign-in, 2FA verification and
refresh, and the per-user throttle of failed attempts (a growing delay, shared through the database). Limited
answers are HTTP 429 + 42900.

Requests come from several loopback source addresses (127.x.y.z) over real connections, to show that they
count as one client.
"""

from __future__ import annotations

import types
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from kubevision.app import create_app
from kubevision.auth import ratelimit
from kubevision.auth.ratelimit import FAILURE_MEMORY_S, FREE_FAILURES, MAX_DELAY_S, RateLimiter, client_key
from kubevision.auth.service import AUTH, REFRESH_RATE_PER_MINUTE
from kubevision.auth.tokens import TokenType
from kubevision.config import load_settings
from tests.auth.conftest import SignInClock
from tests.helpers import ADMIN_PASSWORD, ApiSession, assert_envelope
from tests.postgres import PostgresServer

LIMIT = 3
limited = pytest.mark.parametrize("settings_overrides", [{"login_rate_per_minute": LIMIT}], indirect=True)


@pytest.fixture
async def from_ip(client) -> AsyncIterator[Callable]:
    """`await from_ip("127.0.0.2", path, json)` → (HTTP status, headers, envelope)."""
    sessions: dict[str, aiohttp.ClientSession] = {}

    async def post(source: str, path: str, json: dict) -> tuple[int, dict, dict]:
        if source not in sessions:
            sessions[source] = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(local_addr=(source, 0)))
        async with sessions[source].post(client.make_url(f"/api/v1{path}"), json=json) as response:
            return response.status, dict(response.headers), await response.json()

    yield post
    for session in sessions.values():
        await session.close()


def login(username: str, password: str = "wrong-password") -> dict:
    return {"username": username, "password": password}


def assert_limited(status: int, headers: dict, body: dict) -> dict:
    assert status == 429, body
    assert_envelope(body, 42900)
    assert 1 <= int(headers["Retry-After"]) <= 60
    assert f"try again in {headers['Retry-After']} s" in body["message"]
    assert headers["X-Request-ID"] == body["meta"]["requestId"]
    return body


@limited
async def test_the_loopback_range_is_one_client(from_ip) -> None:
    for attempt, source in enumerate(("127.0.0.2", "127.0.0.3", "127.1.2.3")):
        status, _, body = await from_ip(source, "/auth/login", login(f"user{attempt}"))
        assert (status, body["code"]) == (200, 40100)
    # Every other loopback address is the same client: refused, even with the right password.
    assert_limited(*await from_ip("127.0.0.4", "/auth/login", login("someone-else")))
    body = assert_limited(*await from_ip("127.255.0.9", "/auth/login", login("admin", ADMIN_PASSWORD)))
    assert "from this client" in body["message"]


@pytest.mark.parametrize(("first", "second", "same"), [
    ("127.0.0.1", "127.45.6.7", True),
    ("127.0.0.1", "::1", True),
    ("::ffff:127.0.0.2", "127.0.0.9", True),
    ("::ffff:10.1.2.3", "10.1.2.3", True),
    ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", True),  # one /64
    ("10.1.2.3", "10.1.2.4", False),
    ("2001:db8:1:2::1", "2001:db8:1:3::1", False),
    ("127.0.0.1", "10.0.0.1", False),
])
def test_client_keys(first: str, second: str, same: bool) -> None:
    assert (client_key(first) == client_key(second)) is same


def test_clients_are_limited_separately() -> None:
    limiter = RateLimiter(1)
    assert limiter.hit(("login-ip", client_key("10.0.0.1"))) is None
    assert limiter.hit(("login-ip", client_key("10.0.0.1"))) is not None
    assert limiter.hit(("login-ip", client_key("10.0.0.2"))) is None


@limited
async def test_refresh_with_a_valid_token_has_its_own_larger_limit(anonymous: ApiSession, from_ip) -> None:
    # Many tabs renewing one session are not sign-in attempts: far more than the sign-in limit pass.
    data = await anonymous.ok("POST", "/auth/login", json=login("admin", ADMIN_PASSWORD))
    for attempt in range(REFRESH_RATE_PER_MINUTE):
        status, _, body = await from_ip(f"127.0.3.{attempt % 4 + 1}", "/auth/refresh",
                                        {"refreshToken": data["refreshToken"]})
        assert (status, body["code"]) == (200, 0), attempt
    body = assert_limited(*await from_ip("127.0.3.9", "/auth/refresh", {"refreshToken": data["refreshToken"]}))
    assert "session renewals" in body["message"]


@limited
async def test_refresh_with_garbage_is_limited_per_ip(from_ip) -> None:
    for _ in range(LIMIT):
        status, _, body = await from_ip("127.0.4.1", "/auth/refresh", {"refreshToken": "garbage"})
        assert (status, body["code"]) == (200, 40100)
    assert_limited(*await from_ip("127.0.4.1", "/auth/refresh", {"refreshToken": "garbage"}))


@limited
async def test_two_factor_verify_is_limited_per_client(app, from_ip) -> None:
    # 2FA session tokens of two users (valid signatures): the client's window counts both.
    tokens = [app[AUTH].codec.issue(TokenType.TWO_FACTOR, user_id=1, version=1, ttl_s=60).token for _ in range(2)]
    for attempt in range(LIMIT):
        status, _, body = await from_ip(f"127.0.2.{attempt + 1}", "/auth/2fa/verify",
                                        {"sessionToken": tokens[attempt % 2], "code": "000000"})
        assert (status, body["code"]) == (200, 40103)
    assert_limited(*await from_ip("127.0.2.9", "/auth/2fa/verify",
                                  {"sessionToken": tokens[0], "code": "000000"}))


@limited
async def test_failed_logins_are_audited_until_the_limit(admin: ApiSession) -> None:
    # The admin fixture used one attempt; two failures fill the window; the next is limited.
    for _ in range(LIMIT - 1):
        await admin.fails("POST", "/auth/login", 40100, json=login("admin"))
    body = await admin.call("POST", "/auth/login", json=login("admin", ADMIN_PASSWORD), status=429)
    assert_envelope(body, 42900)
    failed = await admin.ok("GET", "/audit-logs?action=login.failed")
    assert len(failed) == LIMIT - 1


def test_window_slides(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    limiter = RateLimiter(2)
    key = ("login-ip", "10.0.0.1")
    assert limiter.hit(key) is None
    now[0] += 30
    assert limiter.hit(key) is None
    wait = limiter.hit(key)
    assert wait == pytest.approx(30.0)
    assert RateLimiter.retry_after(wait) == "30"
    now[0] += 30.5  # the first hit left the window
    assert limiter.hit(key) is None
    assert limiter.hit(key) is not None


def test_refused_attempts_do_not_extend_the_block(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    limiter = RateLimiter(1)
    assert limiter.hit(("a", "b")) is None
    for _ in range(10):
        assert limiter.hit(("a", "b")) is not None
    now[0] += 60.1
    assert limiter.hit(("a", "b")) is None


# -- the per-user throttle -----------------------------------------------------------------------------------


async def attempt(session: ApiSession, username: str, password: str = "wrong-password") -> dict:
    """One sign-in attempt; returns the envelope (HTTP 429 allowed)."""
    response = await session.client.post("/api/v1/auth/login", json=login(username, password))
    body = await response.json()
    assert response.status == (429 if body["code"] == 42900 else 200), body
    if body["code"] == 42900:
        assert response.headers["Retry-After"] in body["message"]
    return body


async def fail_freely(session: ApiSession, username: str) -> None:
    """Use up the failures that cost no delay."""
    for _ in range(FREE_FAILURES):
        assert (await attempt(session, username))["code"] == 40100


async def test_wrong_passwords_slow_an_account_down_without_locking_it_out(anonymous: ApiSession,
                                                                          sign_in_clock: SignInClock) -> None:
    await fail_freely(anonymous, "admin")
    # Now each attempt waits a second after the last: the right password too, and refusals change nothing.
    for _ in range(3):
        body = await attempt(anonymous, "ADMIN", ADMIN_PASSWORD)
        assert body["code"] == 42900 and "try again in 1 s" in body["message"]
    sign_in_clock.advance(1.0)
    assert (await attempt(anonymous, "admin", ADMIN_PASSWORD))["code"] == 0
    # Success cleared the count: the free failures are back.
    await fail_freely(anonymous, "admin")


async def test_the_delay_doubles_up_to_its_cap(anonymous: ApiSession, sign_in_clock: SignInClock) -> None:
    await fail_freely(anonymous, "admin")
    waits = []
    for _ in range(9):
        body = await attempt(anonymous, "admin")
        assert body["code"] == 42900
        wait = int(body["message"].rsplit("try again in ", 1)[1].split()[0])
        waits.append(wait)
        sign_in_clock.advance(wait - 0.5)
        assert (await attempt(anonymous, "admin"))["code"] == 42900  # not yet
        sign_in_clock.advance(0.5)
        assert (await attempt(anonymous, "admin"))["code"] == 40100
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert max(waits) == MAX_DELAY_S
    # However many failures: the right password gets in once the current delay has passed.
    sign_in_clock.advance(MAX_DELAY_S)
    assert (await attempt(anonymous, "admin", ADMIN_PASSWORD))["code"] == 0


async def test_unknown_names_are_throttled_alike(anonymous: ApiSession, sign_in_clock: SignInClock) -> None:
    # A refusal must not tell which usernames exist; one name's failures do not slow another name down.
    await fail_freely(anonymous, "ghost")
    assert (await attempt(anonymous, "ghost"))["code"] == 42900
    assert (await attempt(anonymous, "admin", ADMIN_PASSWORD))["code"] == 0


async def test_failures_are_forgotten_after_a_quiet_spell(anonymous: ApiSession,
                                                          sign_in_clock: SignInClock) -> None:
    await fail_freely(anonymous, "admin")
    sign_in_clock.advance(FAILURE_MEMORY_S)
    await fail_freely(anonymous, "admin")
    assert (await attempt(anonymous, "admin"))["code"] == 42900


async def test_the_throttle_is_shared_by_instances_on_one_database(aiohttp_client, tmp_path,
                                                                   postgres: PostgresServer,
                                                                   sign_in_clock: SignInClock) -> None:
    database_url = postgres.create_database()
    instances = []
    for index in range(2):
        settings = load_settings({"data_dir": str(tmp_path / f"data{index}"), "database_url": database_url,
                                  "admin_password": ADMIN_PASSWORD, "no_browser": True,
                                  "login_rate_per_minute": 1000}, environ={})
        instances.append(ApiSession(await aiohttp_client(create_app(settings))))
    first, second = instances
    await fail_freely(first, "admin")
    assert (await attempt(second, "admin", ADMIN_PASSWORD))["code"] == 42900
    sign_in_clock.advance(1.0)
    assert (await attempt(second, "admin", ADMIN_PASSWORD))["code"] == 0
    assert (await attempt(first, "admin", ADMIN_PASSWORD))["code"] == 0  # cleared for both
