"""The error catalogue, below every layer: business codes with their default message and HTTP status, the
`ApiError` any layer raises, and the one translation from an exception to a code.

Lower layers raise `ApiError`, or their own exceptions that subclass `CodedError` and name their code
(Kubernetes failures, unknown clusters and kinds). `api_error_for` turns any of them into an `ApiError`; the
HTTP middleware, every WebSocket error frame and every per-item batch or apply result go through it, and
the API layer only renders the result.
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar


class ErrorCode(enum.IntEnum):
    """Business status codes with their default message."""

    def __new__(cls, value: int, message: str, http_status: int = 400) -> ErrorCode:
        member = int.__new__(cls, value)
        member._value_ = value
        member.default_message = message  # type: ignore[attr-defined]
        member.default_http_status = http_status  # type: ignore[attr-defined]
        return member

    SUCCESS = 0, "success", 200
    PARAM_MISSING = 40001, "required parameter missing"
    PARAM_INVALID = 40002, "parameter format invalid"
    NOT_LOGGED_IN = 40100, "not logged in", 401
    TOKEN_EXPIRED = 40101, "token expired", 401
    TWO_FACTOR_REQUIRED = 40102, "two-factor authentication required"
    TWO_FACTOR_FAILED = 40103, "two-factor code invalid"
    FORBIDDEN = 40300, "no permission for this action", 403
    CLUSTER_FORBIDDEN = 40301, "no access to this cluster", 403
    NAMESPACE_FORBIDDEN = 40302, "no access to this namespace", 403
    NOT_FOUND = 40400, "resource not found", 404
    USER_NOT_FOUND = 40401, "user not found"
    CLUSTER_NOT_FOUND = 40402, "cluster configuration not found"
    ALREADY_EXISTS = 40900, "resource already exists"
    CONFLICT = 40901, "resource version conflict, re-fetch and retry"
    MANIFEST_INVALID = 42200, "manifest cannot be parsed"
    VALIDATION_FAILED = 42201, "rejected by the API server's validation"
    RATE_LIMITED = 42900, "too many requests", 429
    INTERNAL = 50000, "internal error", 500
    CLUSTER_UNAVAILABLE = 50200, "Kubernetes API server unavailable", 502

    @property
    def message(self) -> str:
        """The default human-readable message."""
        return self.default_message  # type: ignore[attr-defined]

    @property
    def http_status(self) -> int:
        """The HTTP status where no envelope is sent (pages, WebSocket handshakes); envelopes answer 200."""
        return self.default_http_status  # type: ignore[attr-defined]


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


class CodedError(Exception):
    """A lower layer's failure that knows its business code; `error_data()` rides along in the envelope."""

    error_code: ClassVar[ErrorCode] = ErrorCode.INTERNAL

    def error_data(self) -> Any:
        """Extra `data` for the envelope (none by default)."""
        return None


def api_error_for(error: BaseException) -> ApiError | None:
    """The `ApiError` an exception stands for; None for unexpected ones (a bug: 50000 with a traceback)."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, CodedError):
        message = getattr(error, "message", None) or str(error) or error.error_code.message
        return ApiError(error.error_code, message, data=error.error_data())
    return None


def code_for(error: BaseException) -> ErrorCode:
    """The business code of any exception (50000 for unexpected ones)."""
    translated = api_error_for(error)
    return translated.code if translated is not None else ErrorCode.INTERNAL


def error_fields(error: ApiError) -> dict[str, Any]:
    """`code`, `message` and (when set) `data` of an error: what every WebSocket error frame and per-item
    batch or apply result carries."""
    fields: dict[str, Any] = {"code": int(error.code), "message": error.message}
    if error.data is not None:
        fields["data"] = error.data
    return fields
