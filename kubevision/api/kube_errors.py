"""Kubernetes and cluster failures → envelope errors (SPEC §1), keeping the API server's message."""

from __future__ import annotations

from kubevision.api.envelope import ApiError, ErrorCode
from kubevision.kube import errors as kube
from kubevision.kube.clusters import ClusterConfigError, ClusterNotFoundError
from kubevision.kube.registry import UnknownResourceError

_CODES: list[tuple[type[kube.KubeError], ErrorCode]] = [
    (kube.NotFoundError, ErrorCode.NOT_FOUND),
    (kube.AlreadyExistsError, ErrorCode.ALREADY_EXISTS),
    (kube.ConflictError, ErrorCode.CONFLICT),
    (kube.InvalidError, ErrorCode.VALIDATION_FAILED),
    (kube.BadRequestError, ErrorCode.PARAM_INVALID),
    (kube.ForbiddenError, ErrorCode.FORBIDDEN),
    (kube.UnsupportedError, ErrorCode.PARAM_INVALID),
    (kube.UnavailableError, ErrorCode.CLUSTER_UNAVAILABLE),
]


def code_for_kube_error(error: kube.KubeError) -> ErrorCode:
    """The business code for a Kubernetes failure."""
    for kind, code in _CODES:
        if isinstance(error, kind):
            return code
    return ErrorCode.INTERNAL


def api_error_for(error: Exception) -> ApiError | None:
    """Translate a Kubernetes-side exception; None when it is not one of ours."""
    if isinstance(error, kube.KubeError):
        code = code_for_kube_error(error)
        data = {"causes": error.causes} if code is ErrorCode.VALIDATION_FAILED else None
        return ApiError(code, error.message, data=data)
    if isinstance(error, ClusterNotFoundError):
        return ApiError(ErrorCode.CLUSTER_NOT_FOUND, str(error))
    if isinstance(error, UnknownResourceError):
        return ApiError(ErrorCode.PARAM_INVALID, str(error))
    if isinstance(error, ClusterConfigError):
        return ApiError(ErrorCode.PARAM_INVALID, str(error))
    return None
