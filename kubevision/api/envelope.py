"""The one place that builds API JSON: the envelope, the error-code catalogue and `ApiError`.

Every `/api/v1` answer is `{"code", "message", "data", "meta"}` with HTTP 200, except the few deliberate
exceptions in SPEC §1 (rate limiting answers 429, still enveloped). Handlers return data or raise
`ApiError`; only the envelope middleware turns either into a response.
"""

from __future__ import annotations

import enum
from typing import Any

import orjson
from aiohttp import web

JSON_CONTENT_TYPE = "application/json"


class ErrorCode(enum.IntEnum):
    """Business status codes with their default message."""

    def __new__(cls, value: int, message: str) -> ErrorCode:
        member = int.__new__(cls, value)
        member._value_ = value
        member.default_message = message  # type: ignore[attr-defined]
        return member

    SUCCESS = 0, "success"
    PARAM_MISSING = 40001, "required parameter missing"
    PARAM_INVALID = 40002, "parameter format invalid"
    NOT_LOGGED_IN = 40100, "not logged in"
    TOKEN_EXPIRED = 40101, "token expired"
    TWO_FACTOR_REQUIRED = 40102, "two-factor authentication required"
    TWO_FACTOR_FAILED = 40103, "two-factor code invalid"
    FORBIDDEN = 40300, "no permission for this action"
    CLUSTER_FORBIDDEN = 40301, "no access to this cluster"
    NAMESPACE_FORBIDDEN = 40302, "no access to this namespace"
    NOT_FOUND = 40400, "resource not found"
    USER_NOT_FOUND = 40401, "user not found"
    CLUSTER_NOT_FOUND = 40402, "cluster configuration not found"
    ALREADY_EXISTS = 40900, "resource already exists"
    CONFLICT = 40901, "resource version conflict, re-fetch and retry"
    MANIFEST_INVALID = 42200, "manifest cannot be parsed"
    VALIDATION_FAILED = 42201, "rejected by the API server's validation"
    RATE_LIMITED = 42900, "too many requests"
    INTERNAL = 50000, "internal error"
    CLUSTER_UNAVAILABLE = 50200, "Kubernetes API server unavailable"

    @property
    def message(self) -> str:
        """The default human-readable message."""
        return self.default_message  # type: ignore[attr-defined]


class ApiError(Exception):
    """A business error that the envelope middleware renders; `data` rides along (e.g. causes)."""

    def __init__(
        self,
        code: ErrorCode,
        message: str | None = None,
        *,
        data: Any = None,
        http_status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code
        self.message = message or code.message
        self.data = data
        self.http_status = http_status
        self.headers = headers or {}
        super().__init__(f"{int(code)} {self.message}")


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
