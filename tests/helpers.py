"""Shared test helpers: the one envelope assertion and a small API session wrapper."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient

REQUEST_ID_RE = re.compile(r"^req_[0-9A-HJKMNP-TV-Z]{26}$")
ADMIN_PASSWORD = "admin-password-1"


def assert_envelope(body: dict[str, Any], code: int = 0) -> dict[str, Any]:
    """Check the envelope shape and business code; returns `data`."""
    assert set(body) == {"code", "message", "data", "meta"}, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    if code == 0:
        assert body["message"] == "success"
    assert isinstance(body["meta"], dict) and body["meta"].get("requestId"), body
    return body["data"]


class ApiSession:
    """Calls `/api/v1` as one user and returns parsed envelopes (HTTP 200 asserted unless told)."""

    def __init__(self, client: TestClient, token: str | None = None) -> None:
        self.client = client
        self.token = token

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """Authorization plus `extra`."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    async def call(self, method: str, path: str, *, json: Any = None, status: int = 200,
                   headers: dict[str, str] | None = None, **kwargs: Any) -> dict[str, Any]:
        """One request; returns the whole envelope."""
        response = await self.client.request(method, f"/api/v1{path}", json=json,
                                             headers=self.headers(headers), **kwargs)
        assert response.status == status, await response.text()
        body = await response.json()
        assert REQUEST_ID_RE.match(body["meta"]["requestId"]) or headers, body
        return body

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """A request that must succeed; returns `data`."""
        return assert_envelope(await self.call(method, path, **kwargs), 0)

    async def fails(self, method: str, path: str, code: int, **kwargs: Any) -> dict[str, Any]:
        """A request that must fail with `code`; returns the envelope."""
        body = await self.call(method, path, **kwargs)
        assert_envelope(body, code)
        return body

    async def login(self, username: str, password: str) -> ApiSession:
        """Sign in and return a session for that user."""
        data = await self.ok("POST", "/auth/login", json={"username": username, "password": password})
        return ApiSession(self.client, data["accessToken"])


async def wait_until(check, *, timeout_s: float = 15.0, interval_s: float = 0.1, what: str = "condition"):
    """Poll an async `check()` until it returns something truthy; fail after `timeout_s`."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(interval_s)
