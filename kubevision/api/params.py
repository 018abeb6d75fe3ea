"""Reading request input: JSON bodies, fields and query parameters, with envelope errors."""

from __future__ import annotations

import asyncio
import re
from typing import Any, TypeVar

import orjson
from aiohttp import web

from kubevision.errors import ApiError, ErrorCode

MAX_BODY_BYTES = 2 * 1024 * 1024
# A request body must arrive whole within this long (2 MiB in 30 s is 70 KB/s); a slower one is answered with
# HTTP 408, and the connection closes once the rest was discarded (`server.LINGERING_TIME_S`).
BODY_READ_TIMEOUT_S = 30.0
# The largest integer input: it fits every database integer column (32-bit on PostgreSQL) and the
# int32 fields of Kubernetes, so an oversized number is a 40002 instead of an overflow deep inside.
MAX_INT = 2**31 - 1
T = TypeVar("T")
_INTEGER_RE = re.compile(r"-?[0-9]+")
_TYPE_NAMES = {str: "a string", int: "an integer", bool: "a boolean", list: "a list", dict: "an object"}


async def read_body(request: web.Request) -> bytes:
    """The whole request body, within `BODY_READ_TIMEOUT_S` (else 40002 with HTTP 408)."""
    try:
        async with asyncio.timeout(BODY_READ_TIMEOUT_S):
            return await request.read()
    except TimeoutError:
        raise ApiError(ErrorCode.PARAM_INVALID, f"request body not received within {BODY_READ_TIMEOUT_S:g} s",
                       http_status=408) from None


async def read_json(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object (40001 when empty, 40002 when malformed or not an object)."""
    raw = await read_body(request)
    # The middleware checks Content-Length; this also catches chunked bodies, which aiohttp's
    # `client_max_size` lets through one byte past the limit.
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(ErrorCode.PARAM_INVALID, "request body exceeds 2 MiB")
    if not raw.strip():
        raise ApiError(ErrorCode.PARAM_MISSING, "request body is required")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(ErrorCode.PARAM_INVALID, f"malformed JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ApiError(ErrorCode.PARAM_INVALID, "request body must be a JSON object")
    return body


def field(body: dict[str, Any], name: str, kind: type[T], *, required: bool = True,
          default: T | None = None) -> T:
    """One typed field of a body: missing → 40001 (if required), wrong type → 40002."""
    value = body.get(name)
    if value is None:
        if required:
            raise ApiError(ErrorCode.PARAM_MISSING, f"{name} is required")
        return default  # type: ignore[return-value]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ApiError(ErrorCode.PARAM_INVALID, f"{name} must be {_TYPE_NAMES.get(kind, kind.__name__)}")
    if kind is int and not -MAX_INT <= value <= MAX_INT:
        raise ApiError(ErrorCode.PARAM_INVALID, f"{name} must be between {-MAX_INT} and {MAX_INT}")
    if kind is str and required and not value:
        raise ApiError(ErrorCode.PARAM_MISSING, f"{name} must not be empty")
    return value


def int_param(value: str | None, name: str, *, default: int, minimum: int = 0,
              maximum: int = MAX_INT) -> int:
    """An integer query or path parameter (ASCII digits) with bounds (40002 when out of range)."""
    if value is None or value == "":
        return default
    if not _INTEGER_RE.fullmatch(value):
        raise ApiError(ErrorCode.PARAM_INVALID, f"{name} must be an integer")
    # A number this long is out of any range; not converting it keeps int() off huge strings.
    if len(value) > len(str(MAX_INT)) + 1 or not minimum <= int(value) <= maximum:
        raise ApiError(ErrorCode.PARAM_INVALID, f"{name} must be between {minimum} and {maximum}")
    return int(value)


def path_id(request: web.Request, name: str = "id") -> int:
    """A numeric id from the URL path."""
    return int_param(request.match_info[name], name, default=0, minimum=1)
