"""In-memory sliding-window rate limiter for sign-in, 2FA verification and token refresh."""

from __future__ import annotations

import collections
import math
import time

WINDOW_S = 60.0


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
