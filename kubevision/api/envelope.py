"""The one place that builds API JSON: the envelope and its rendering of `kubevision.errors.ApiError`.

Every `/api/v1` answer is `{"code", "message", "data", "meta"}` with HTTP 200, except the few deliberate
exceptions in SPEC §1 (rate limiting answers 429, still enveloped). Handlers return data or raise
`ApiError`; only the envelope middleware turns either into a response.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from kubevision.errors import ApiError

JSON_CONTENT_TYPE = "application/json"


class Reply:
    """A successful handler result that carries extra `meta` (total, source, stale, continue)."""

    __slots__ = ("data", "meta")

    def __init__(self, data: Any, **meta: Any) -> None:
        self.data = data
        self.meta = meta


def dumps(value: Any) -> bytes:
    """Serialise to JSON the way every API response does (orjson, non-str keys allowed)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def envelope_body(
    *, code: int = 0, message: str = "success", data: Any = None, meta: dict[str, Any]
) -> bytes:
    """Serialise one envelope."""
    return dumps({"code": code, "message": message, "data": data, "meta": meta})


def envelope_response(
    *,
    request_id: str,
    code: int = 0,
    message: str = "success",
    data: Any = None,
    meta: dict[str, Any] | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """Build the HTTP response for one envelope; `meta.requestId` is always set."""
    full_meta = {**(meta or {}), "requestId": request_id}
    return web.Response(
        body=envelope_body(code=code, message=message, data=data, meta=full_meta),
        status=status,
        headers=headers,
        content_type=JSON_CONTENT_TYPE,
        charset="utf-8",
    )


def error_response(request_id: str, error: ApiError) -> web.Response:
    """Render an `ApiError` as an envelope."""
    return envelope_response(
        request_id=request_id,
        code=int(error.code),
        message=error.message,
        data=error.data,
        status=error.http_status,
        headers=error.headers,
    )
