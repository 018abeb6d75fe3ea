"""Reading request input: JSON bodies, fields and query parameters, with envelope errors."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from aiohttp import web

from kubevision.api.envelope import ApiError, ErrorCode

MAX_BODY_BYTES = 2 * 1024 * 1024
T = TypeVar("T")
_TYPE_NAMES = {str: "a string", int: "an integer", bool: "a boolean", list: "a list", dict: "an object"}


async def read_json(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object (40001 when empty, 40002 when malformed or not an object)."""
    raw = await request.read()
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
    if kind is str and required and not value:
        raise ApiError(ErrorCode.PARAM_MISSING, f"{name} must not be empty")
    return value


def int_param(value: str | None, name: str, *, default: int, minimum: int = 0,
              maximum: int | None = None) -> int:
    """An integer query or path parameter with bounds (40002 when out of range)."""
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ApiError(ErrorCode.PARAM_INVALID, f"{name} must be an integer") from None
    if number < minimum or (maximum is not None and number > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise ApiError(ErrorCode.PARAM_INVALID, f"{name} must be {bound}")
    return number


def path_id(request: web.Request, name: str = "id") -> int:
    """A numeric id from the URL path."""
    return int_param(request.match_info[name], name, default=0, minimum=1)
