"""Per-request values set by the middleware stack."""

from __future__ import annotations

import dataclasses

from aiohttp import web

from kubevision.auth.permissions import Principal
from kubevision.services.context import RequestContext

REQUEST_ID = web.RequestKey("request_id", str)
PRINCIPAL = web.RequestKey("principal", Principal)
CSP_NONCE = web.RequestKey("csp_nonce", str)


def principal_of(request: web.Request) -> Principal:
    """The authenticated caller (the auth middleware guarantees one on non-public routes)."""
    return request[PRINCIPAL]


def client_ip(request: web.Request) -> str:
    """The peer address (no proxy headers are trusted)."""
    return request.remote or "unknown"


def context_of(request: web.Request) -> RequestContext:
    """The request's context for service calls: its id, the caller (None before sign-in) and the client address."""
    return RequestContext(request_id=request[REQUEST_ID], principal=request.get(PRINCIPAL),
                          client_ip=client_ip(request))


def caller_context(request: web.Request, principal: Principal) -> RequestContext:
    """The request's context with `principal` as the caller: for WebSockets, whose caller comes from the ticket
    (and, on a live socket, from each revalidation) rather than from the auth middleware."""
    return dataclasses.replace(context_of(request), principal=principal)
