"""Kubernetes failures as our own exception hierarchy, each carrying the API server's `Status` body.

Callers branch on the class; each class names its business code (`kubevision.errors`).
"""

from __future__ import annotations

from typing import Any

from kubevision.errors import CodedError, ErrorCode


class KubeError(CodedError):
    """A Kubernetes request failed. `status` is the HTTP status (0 when none was received)."""

    def __init__(self, message: str, *, status: int = 0, reason: str = "",
                 body: dict[str, Any] | None = None, cluster: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason
        self.body = body or {}
        self.cluster = cluster

    @property
    def causes(self) -> list[dict[str, Any]]:
        """Field errors from `Status.details.causes` (validation failures)."""
        details = self.body.get("details") or {}
        return list(details.get("causes") or [])


class NotFoundError(KubeError):
    """404 NotFound."""

    error_code = ErrorCode.NOT_FOUND


class AlreadyExistsError(KubeError):
    """409 AlreadyExists."""

    error_code = ErrorCode.ALREADY_EXISTS


class ConflictError(KubeError):
    """409 Conflict: stale resourceVersion."""

    error_code = ErrorCode.CONFLICT


class InvalidError(KubeError):
    """422 Invalid: validation failed."""

    error_code = ErrorCode.VALIDATION_FAILED

    def error_data(self) -> Any:
        """The API server's field errors ride along as `data.causes`."""
        return {"causes": self.causes}


class BadRequestError(KubeError):
    """400 BadRequest."""

    error_code = ErrorCode.PARAM_INVALID


class ForbiddenError(KubeError):
    """403 Forbidden by Kubernetes RBAC."""

    error_code = ErrorCode.FORBIDDEN


class GoneError(KubeError):
    """410 Gone: the resourceVersion is too old (watch must relist)."""


class UnavailableError(KubeError):
    """The API server is unreachable, timed out, refused our credentials or answered 5xx."""

    error_code = ErrorCode.CLUSTER_UNAVAILABLE


class UnsupportedError(KubeError):
    """The kind does not support the requested verb (405 / MethodNotAllowed)."""

    error_code = ErrorCode.PARAM_INVALID


_BY_REASON: dict[str, type[KubeError]] = {
    "NotFound": NotFoundError,
    "AlreadyExists": AlreadyExistsError,
    "Conflict": ConflictError,
    "Invalid": InvalidError,
    "BadRequest": BadRequestError,
    "Forbidden": ForbiddenError,
    "Gone": GoneError,
    "Expired": GoneError,
    "Unauthorized": UnavailableError,
    "MethodNotAllowed": UnsupportedError,
}
_BY_STATUS: dict[int, type[KubeError]] = {
    400: BadRequestError, 401: UnavailableError, 403: ForbiddenError, 404: NotFoundError,
    405: UnsupportedError, 409: ConflictError, 410: GoneError, 422: InvalidError,
}


def error_from_status(status: int, body: dict[str, Any] | None, *, cluster: str,
                      fallback: str = "") -> KubeError:
    """Build the right `KubeError` for an HTTP status and (maybe) a `Status` body."""
    body = body if isinstance(body, dict) else {}
    reason = str(body.get("reason") or "")
    message = str(body.get("message") or fallback.strip() or f"HTTP {status}")  # a text body ends with a newline
    if status == 401:
        message = f"cluster {cluster!r} refused the credentials: {message}"
    elif status >= 500:
        message = f"cluster {cluster!r} API server error: {message}"
    kind = _BY_REASON.get(reason) or _BY_STATUS.get(status)
    if kind is None:
        kind = UnavailableError if status >= 500 else KubeError
    return kind(message, status=status, reason=reason, body=body, cluster=cluster)
