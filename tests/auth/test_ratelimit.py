"""Rate limits on sign-in, 2FA verification and refresh: per client IP and per username, HTTP 429 + 42900.

Requests come from different loopback source addresses (127.0.0.x) so the per-IP and per-username
limits can be told apart over real connections.
"""

from __future__ import annotations

import types
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from kubevision.auth import ratelimit
from kubevision.auth.ratelimit import RateLimiter
from kubevision.auth.service import AUTH
from kubevision.auth.tokens import TokenType
from tests.helpers import ADMIN_PASSWORD, ApiSession, assert_envelope

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


def assert_limited(status: int, headers: dict, body: dict) -> None:
    assert status == 429, body
    assert_envelope(body, 42900)
    assert 1 <= int(headers["Retry-After"]) <= 60
    assert headers["X-Request-ID"] == body["meta"]["requestId"]


@limited
async def test_per_ip_limit(from_ip) -> None:
    for attempt in range(LIMIT):
        status, _, body = await from_ip("127.0.0.2", "/auth/login", login(f"user{attempt}"))
        assert (status, body["code"]) == (200, 40100)
    assert_limited(*await from_ip("127.0.0.2", "/auth/login", login("someone-else")))
    # Even the right password is refused from that IP now; another IP is unaffected.
    assert_limited(*await from_ip("127.0.0.2", "/auth/login", login("admin", ADMIN_PASSWORD)))
    status, _, body = await from_ip("127.0.0.3", "/auth/login", login("admin", ADMIN_PASSWORD))
    assert (status, body["code"]) == (200, 0)


@limited
async def test_per_username_limit_across_ips(from_ip) -> None:
    for attempt in range(LIMIT):
        status, _, body = await from_ip(f"127.0.1.{attempt + 1}", "/auth/login", login("admin"))
        assert (status, body["code"]) == (200, 40100)
    assert_limited(*await from_ip("127.0.1.9", "/auth/login", login("admin", ADMIN_PASSWORD)))
    assert_limited(*await from_ip("127.0.1.9", "/auth/login", login("ADMIN", ADMIN_PASSWORD)))
    # Other usernames from a fresh IP still get through.
    status, _, body = await from_ip("127.0.1.10", "/auth/login", login("bob"))
    assert (status, body["code"]) == (200, 40100)


@limited
async def test_refresh_is_limited_per_user_across_ips(anonymous: ApiSession, from_ip) -> None:
    data = await anonymous.ok("POST", "/auth/login", json=login("admin", ADMIN_PASSWORD))
    for attempt in range(LIMIT):
        status, _, body = await from_ip(f"127.0.3.{attempt + 1}", "/auth/refresh",
                                        {"refreshToken": data["refreshToken"]})
        assert (status, body["code"]) == (200, 0)
    assert_limited(*await from_ip("127.0.3.9", "/auth/refresh", {"refreshToken": data["refreshToken"]}))


@limited
async def test_refresh_with_garbage_is_limited_per_ip(from_ip) -> None:
    for _ in range(LIMIT):
        status, _, body = await from_ip("127.0.4.1", "/auth/refresh", {"refreshToken": "garbage"})
        assert (status, body["code"]) == (200, 40100)
    assert_limited(*await from_ip("127.0.4.1", "/auth/refresh", {"refreshToken": "garbage"}))


@limited
async def test_two_factor_verify_is_limited_per_user(app, from_ip) -> None:
    # A 2FA session token for the admin (valid signature); wrong codes from several IPs.
    token = app[AUTH].codec.issue(TokenType.TWO_FACTOR, user_id=1, version=1, ttl_s=60).token
    for attempt in range(LIMIT):
        status, _, body = await from_ip(f"127.0.2.{attempt + 1}", "/auth/2fa/verify",
                                        {"sessionToken": token, "code": "000000"})
        assert (status, body["code"]) == (200, 40103)
    assert_limited(*await from_ip("127.0.2.9", "/auth/2fa/verify",
                                  {"sessionToken": token, "code": "000000"}))


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
