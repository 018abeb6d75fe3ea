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


# JSON-RPC 2.0 error codes for refusals of a JSON-RPC route (the business code rides along in `error.data.code`).
JSON_RPC_INVALID_REQUEST = -32600
JSON_RPC_INTERNAL_ERROR = -32603
# What a 401 from a JSON-RPC route asks for (RFC 6750); an `X-API-Key` header works as well.
WWW_AUTHENTICATE = 'Bearer realm="kubevision"'


def json_rpc_error_response(request_id: str, error: ApiError, *, message_id: Any = None) -> web.Response:
    """Render an `ApiError` as a JSON-RPC error object (for the MCP endpoint), with the error's HTTP status
    rather than 200: MCP clients read the status (401 starts their sign-in, 403 / 400 / 404 / 405 are errors)."""
    status = error.http_status if error.http_status != 200 else error.code.http_status
    rpc_code = JSON_RPC_INTERNAL_ERROR if status >= 500 else JSON_RPC_INVALID_REQUEST
    data: dict[str, Any] = {"code": int(error.code), "requestId": request_id}
    if error.data is not None:
        data["details"] = error.data
    headers = dict(error.headers)
    if status == 401:
        headers.setdefault("WWW-Authenticate", WWW_AUTHENTICATE)
    body = {"jsonrpc": "2.0", "id": message_id, "error": {"code": rpc_code, "message": error.message, "data": data}}
    return web.Response(body=dumps(body), status=status, headers=headers, content_type=JSON_CONTENT_TYPE,
                        charset="utf-8")
