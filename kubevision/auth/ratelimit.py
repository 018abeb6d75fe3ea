"""Sign-in limits: a sliding-window limiter per client (in memory) for sign-in, 2FA verification and token
refresh, and a per-user throttle of failed attempts with a growing delay (in the database).

The per-client windows stay in memory: they are a cheap first line against one noisy source, checked before
anything touches the database, so a flood of attempts costs no writes. What bounds guessing for an account is
the per-user throttle, which every instance on one database shares.
"""

from __future__ import annotations

import collections
import contextlib
import ipaddress
import math
import time
from collections.abc import AsyncIterator, Callable

from kubevision.errors import ApiError, ErrorCode
from kubevision.store import Store
from kubevision.store import login_failures as failure_repo
from kubevision.store.models import fit_to_columns, login_failures

WINDOW_S = 60.0
# Every IPv6 address of one /64 is one client (a host is handed a whole /64, as it is one IPv4 address).
IPV6_CLIENT_PREFIX = 64
LOOPBACK_CLIENT = "loopback"

# Per-user throttle: the first failures are free, then each further attempt for that username waits 1 s,
# 2 s, 4 s … after the previous one, capped; a success clears the count, and so does a quiet spell.
FREE_FAILURES = 5
FIRST_DELAY_S = 1.0
MAX_DELAY_S = 60.0
FAILURE_MEMORY_S = 15 * 60.0
# Compare-and-set rounds before an attempt that keeps losing to concurrent ones is told to wait.
CLAIM_ROUNDS = 3


def client_key(address: str) -> str:
    """The client an address belongs to for the per-client limits: the whole loopback range (127.0.0.0/8,
    ::1 and their IPv4-mapped forms) is one client, an IPv6 address counts by its /64, IPv4 as itself."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return LOOPBACK_CLIENT
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, IPV6_CLIENT_PREFIX), strict=False))
    return str(ip)


class RateLimiter:
    """Allows `limit` hits per key within a sliding minute. Keys are e.g. ("login-ip", "127.0.0.1")."""

    def __init__(self, limit: int, *, window_s: float = WINDOW_S) -> None:
        self.limit = limit
        self.window_s = window_s
        self._hits: dict[tuple[str, str], collections.deque[float]] = {}

    def hit(self, *keys: tuple[str, str]) -> float | None:
        """Record one attempt under every key; return seconds to wait if any key is over its limit."""
        now = time.monotonic()
        wait = 0.0
        for key in keys:
            window = self._hits.setdefault(key, collections.deque())
            while window and window[0] <= now - self.window_s:
                window.popleft()
            if len(window) >= self.limit:
                wait = max(wait, window[0] + self.window_s - now)
        if wait > 0:
            return wait
        for key in keys:
            self._hits[key].append(now)
        self._prune(now)
        return None

    def _prune(self, now: float) -> None:
        """Forget keys whose window is empty so memory stays bounded by active clients."""
        if len(self._hits) < 1024:
            return
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window_s]:
            del self._hits[key]

    @staticmethod
    def retry_after(wait_s: float) -> str:
        """The Retry-After header value for a wait."""
        return str(max(1, math.ceil(wait_s)))


def rate_limited(what: str, wait_s: float) -> ApiError:
    """The 42900 answer (HTTP 429 with Retry-After) for an attempt that must wait `wait_s` seconds."""
    retry_after = RateLimiter.retry_after(wait_s)
    return ApiError(ErrorCode.RATE_LIMITED, f"{what}: try again in {retry_after} s", http_status=429,
                    headers={"Retry-After": retry_after})


def delay_after(failures: int) -> float:
    """Seconds the next attempt must wait after the latest of `failures` failed attempts."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(FIRST_DELAY_S * 2 ** (failures - FREE_FAILURES), MAX_DELAY_S)


class LoginThrottle:
    """Failed sign-in attempts per username, kept in the database.

    `claim` counts an attempt as failed before the password (or code) is checked, atomically, so concurrent
    attempts cannot slip past a delay together; `clear` forgets the failures once an attempt succeeds. A
    refused attempt is not counted and does not extend the wait, so the right password is never kept out
    for longer than the current delay (at most `MAX_DELAY_S`).
    """

    def __init__(self, store: Store, *, clock: Callable[[], float] | None = None) -> None:
        self._store = store
        self._clock = clock  # wall-clock seconds (time.time, read at each call): the count is shared by the database

    @staticmethod
    def _key(username: str) -> str:
        return fit_to_columns(login_failures, {"username": username.lower()})["username"]

    async def claim(self, username: str) -> None:
        """Count one attempt for `username`; 42900 (HTTP 429, "try again in N s") when it comes too soon."""
        wait = await self._wait_or_claim(self._key(username))
        if wait is not None:
            raise rate_limited("too many failed attempts for this account", wait)

    async def _wait_or_claim(self, key: str) -> float | None:
        for _ in range(CLAIM_ROUNDS):
            now = self._clock() if self._clock is not None else time.time()
            async with self._store.transaction() as conn:
                seen = await failure_repo.get_failures(conn, key)
                if seen is None:
                    await failure_repo.prune_failures(conn, now - FAILURE_MEMORY_S)
                    if await failure_repo.insert_first_failure(conn, key, now):
                        return None
                    continue
                remembered = seen.failures if now - seen.last_attempt_at < FAILURE_MEMORY_S else 0
                wait = seen.last_attempt_at + delay_after(remembered) - now
                if wait > 0:
                    return wait
                if await failure_repo.replace_failures(conn, key, seen, failures=remembered + 1, now=now):
                    return None
        return FIRST_DELAY_S

    async def uncount(self, username: str) -> None:
        """The attempt was right but is not finished (the password of a 2FA account): take it back off the
        count without clearing it, so that signing in again cannot wipe out wrong codes."""
        async with self._store.transaction() as conn:
            await failure_repo.uncount_one(conn, self._key(username))

    @contextlib.asynccontextmanager
    async def attempt(self, username: str) -> AsyncIterator[None]:
        """`claim`, run the check in the block, and `clear` when it did not raise."""
        await self.claim(username)
        yield
        await self.clear(username)

    async def clear(self, username: str) -> None:
        """The attempt succeeded: forget the failures of `username`."""
        async with self._store.transaction() as conn:
            await failure_repo.clear_failures(conn, self._key(username))
