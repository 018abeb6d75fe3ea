"""Per-request values set by the middleware stack."""

from __future__ import annotations

from aiohttp import web

from kubevision.auth.permissions import Principal

REQUEST_ID = web.RequestKey("request_id", str)
PRINCIPAL = web.RequestKey("principal", Principal)
CSP_NONCE = web.RequestKey("csp_nonce", str)


def principal_of(request: web.Request) -> Principal:
    """The authenticated caller (the auth middleware guarantees one on non-public routes)."""
    return request[PRINCIPAL]


def client_ip(request: web.Request) -> str:
    """The peer address (no proxy headers are trusted)."""
    return request.remote or "unknown"
