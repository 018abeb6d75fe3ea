"""`--read-only`: every mutating route is refused with 40300, while signing in and reading still work."""

from __future__ import annotations

import re

import pytest

from kubevision.api.routing import spec_of
from tests.helpers import ADMIN_PASSWORD, ApiSession

PATH_PARAM_RE = re.compile(r"{(\w+)(?::([^}]*))?}")


def sample_value(match: re.Match) -> str:
    """A value that satisfies a path parameter (numeric ids, names otherwise)."""
    name, pattern = match.group(1), match.group(2) or ""
    return "1" if name in ("id", "cluster") or "\\d" in pattern else "x"


pytestmark = pytest.mark.parametrize("settings_overrides", [{"read_only": True}], indirect=True)


async def test_user_changes_are_refused(admin: ApiSession) -> None:
    body = await admin.fails("POST", "/users", 40300,
                             json={"username": "new", "password": "long-enough-1", "role": "dev"})
    assert "read-only" in body["message"]
    await admin.fails("PUT", "/users/1", 40300, json={"email": "a@b.c"})
    await admin.fails("DELETE", "/users/1", 40300)
    await admin.fails("POST", "/users/1/reset-password", 40300, json={"password": "long-enough-1"})
    users = await admin.ok("GET", "/users")
    assert [(u["username"], u["email"]) for u in users] == [("admin", None)]


async def test_sign_in_and_own_session_still_work(admin: ApiSession, anonymous: ApiSession) -> None:
    data = await anonymous.ok("POST", "/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    await anonymous.ok("POST", "/auth/refresh", json={"refreshToken": data["refreshToken"]})
    await admin.ok("POST", "/ws/ticket")
    await admin.ok("GET", "/users/me")
    await admin.ok("GET", "/audit-logs")
    await anonymous.ok("POST", "/auth/logout", json={"refreshToken": data["refreshToken"]})


async def test_every_unsafe_mutating_route_is_refused(app, admin: ApiSession) -> None:
    unsafe = {}
    for route in app.router.routes():
        spec = spec_of(route.handler)
        if spec is not None and spec.mutating and not spec.read_only_safe and route.method != "HEAD":
            unsafe[(route.method, route.resource.canonical.removeprefix("/api/v1"))] = spec
    assert ("GET", "/clusters/{id}/namespaces/{ns}/pods/{name}/exec") in unsafe  # a terminal changes state
    for (method, path), spec in unsafe.items():
        concrete = PATH_PARAM_RE.sub(sample_value, path)
        # A WebSocket is refused before the upgrade: HTTP 403 with the envelope.
        body = await admin.call(method, concrete, json={}, status=403 if spec.websocket else 200)
        assert body["code"] == 40300 and "read-only" in body["message"], (method, path, body)


async def test_info_reports_read_only(admin: ApiSession) -> None:
    info = await admin.ok("GET", "/info")
    assert info["readOnly"] is True and info["version"]
