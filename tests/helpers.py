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


_JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "object": dict, "array": list, "string": str, "integer": int, "number": (int, float), "boolean": bool,
    "null": type(None),
}


async def openapi_document(client: TestClient) -> dict[str, Any]:
    """The served OpenAPI document (plain JSON, not an envelope)."""
    response = await client.get("/api/v1/openapi.json")
    assert response.status == 200
    assert response.content_type == "application/json"
    return await response.json()


def documented_data(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """The `data` schema that the OpenAPI document promises for a successful call of one route."""
    operation = document["paths"][f"/api/v1{path}"][method.lower()]
    success = operation["responses"]["200"]["content"]["application/json"]["schema"]["allOf"][1]
    assert success["if"] == {"properties": {"code": {"const": 0}}}, success
    return success["then"]["properties"]["data"]


def schema_problems(value: Any, schema: dict[str, Any], where: str = "data") -> list[str]:
    """Where `value` breaks the JSON Schema keywords the OpenAPI document uses (type, enum, properties,
    required, items, oneOf)."""
    if "oneOf" in schema:
        matching = [branch for branch in schema["oneOf"] if not schema_problems(value, branch, where)]
        return [] if len(matching) == 1 else [f"{where}: matches {len(matching)} oneOf branches"]
    types = schema.get("type")
    names = types if isinstance(types, list) else [types] if types else []
    if names and not any(isinstance(value, _JSON_TYPES[name]) and not (isinstance(value, bool) and name != "boolean")
                         for name in names):
        return [f"{where}: {value!r} is not {types}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} is not one of {schema['enum']}"]
    problems = []
    if isinstance(value, dict):
        problems += [f"{where}.{key}: missing" for key in schema.get("required", ()) if key not in value]
        for key, sub_schema in schema.get("properties", {}).items():
            if key in value:
                problems += schema_problems(value[key], sub_schema, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += schema_problems(item, schema["items"], f"{where}[{index}]")
    return problems
