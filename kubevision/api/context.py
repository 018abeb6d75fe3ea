"""Per-request values set by the middleware stack."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubevision.auth.permissions import Principal
from kubevision.services.audit import AUDIT
from kubevision.services.context import RequestContext

REQUEST_ID = web.RequestKey("request_id", str)
PRINCIPAL = web.RequestKey("principal", Principal)
CSP_NONCE = web.RequestKey("csp_nonce", str)


def principal_of(request: web.Request) -> Principal:
    """The authenticated caller (the auth middleware guarantees one on non-public routes)."""
    return request[PRINCIPAL]


def audit(request: web.Request, action: str, **fields: Any) -> None:
    """Queue an audit row for this request: the caller, its address and the request id are filled in."""
    principal = request.get(PRINCIPAL)
    request.app[AUDIT].record(
        action, request_id=request[REQUEST_ID], client_ip=client_ip(request),
        user_id=principal.user_id if principal else None, username=principal.username if principal else None,
        **fields,
    )


def client_ip(request: web.Request) -> str:
    """The peer address (no proxy headers are trusted)."""
    return request.remote or "unknown"


def context_of(request: web.Request) -> RequestContext:
    """The request's context for service calls: its id, the caller (None before sign-in) and the client address."""
    return RequestContext(request_id=request[REQUEST_ID], principal=request.get(PRINCIPAL),
                          client_ip=client_ip(request))
