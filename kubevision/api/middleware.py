"""The one middleware stack every request passes through (order set in `app.py`).

request id → envelope → host guard → request checks (Origin, Content-Type, size) → authentication.
Security headers and `X-Request-ID` are added in `on_response_prepare`, which also reaches error
responses, static files and WebSocket handshakes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from aiohttp import web
from ulid import ULID

from kubevision.api.context import CSP_NONCE, PRINCIPAL, REQUEST_ID, client_ip, context_of
from kubevision.api.envelope import Reply, envelope_response, error_response, json_rpc_error_response
from kubevision.api.health import PROBE_PATHS
from kubevision.api.params import MAX_BODY_BYTES
from kubevision.api.routing import API_PREFIX, READ_ONLY_REFUSED, Access, RouteSpec, spec_of
from kubevision.auth.permissions import Principal, Role
from kubevision.config import Settings
from kubevision.errors import ApiError, ErrorCode, api_error_for
from kubevision.services.audit import AUDIT, RequestOrigin, current_origin

log = logging.getLogger(__name__)

_INCOMING_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
Middleware = Callable[..., object]


def is_api_path(path: str) -> bool:
    """True for `/api/...` paths, which answer with envelopes."""
    return path == "/api" or path.startswith("/api/")


@web.middleware
async def request_id_middleware(request: web.Request, handler):
    """Adopt a valid incoming `X-Request-ID` or mint `req_<ULID>`; expose it (and the client address) to logs
    and audit entries."""
    incoming = request.headers.get("X-Request-ID", "")
    request_id = incoming if _INCOMING_ID_RE.match(incoming) else f"req_{ULID()}"
    request[REQUEST_ID] = request_id
    request[CSP_NONCE] = secrets.token_urlsafe(16)
    token = current_origin.set(RequestOrigin(request_id, client_ip(request)))
    try:
        return await handler(request)
    finally:
        current_origin.reset(token)


@web.middleware
async def envelope_middleware(request: web.Request, handler):
    """Wrap API results in the envelope and map every exception to an error code (`kubevision.errors`)."""
    request_id = request[REQUEST_ID]
    api = is_api_path(request.path)
    spec = spec_of(request.match_info.handler)
    render_error = json_rpc_error_response if spec is not None and spec.json_rpc else error_response
    try:
        result = await handler(request)
    except web.HTTPException as exc:
        if not api or exc.status < 400:
            raise
        return render_error(request_id, _http_error(request, exc))
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception as exc:
        error = api_error_for(exc)
        if error is None:
            log.exception("unhandled error in %s %s", request.method, request.path)
            if not api:
                return web.Response(status=500, text=f"internal error (request {request_id})")
            error = ApiError(ErrorCode.INTERNAL, "internal error")
        if not api:
            status = error.http_status if error.http_status != 200 else error.code.http_status
            return web.Response(status=status, text=error.message, headers=error.headers)
        return render_error(request_id, error)
    if isinstance(result, web.StreamResponse):
        return result
    if isinstance(result, Reply):
        return envelope_response(request_id=request_id, data=result.data, meta=result.meta)
    return envelope_response(request_id=request_id, data=result)


def _http_error(request: web.Request, exc: web.HTTPException) -> ApiError:
    if exc.status == 404:
        return ApiError(ErrorCode.NOT_FOUND, f"no API route {request.method} {request.path}")
    if exc.status == 405:
        return ApiError(ErrorCode.NOT_FOUND, f"method {request.method} not allowed on {request.path}")
    if exc.status == 413:
        return ApiError(ErrorCode.PARAM_INVALID, "request body exceeds 2 MiB")
    return ApiError(ErrorCode.PARAM_INVALID, exc.reason or "bad request")


def _bare_host(host_header: str) -> str:
    """`host:port` / `[::1]:port` → host, lower-cased."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost" or host.endswith(".localhost")


def host_guard_middleware(settings: Settings) -> Middleware:
    """Refuse requests whose Host is not an allowed name (DNS-rebinding guard); probes are exempt."""
    allowed = {name.lower() for name in settings.allowed_hosts}
    if settings.host not in ("0.0.0.0", "::", ""):
        allowed.add(settings.host.lower())

    @web.middleware
    async def host_guard(request: web.Request, handler):
        host = _bare_host(request.headers.get("Host", ""))
        if request.path in PROBE_PATHS or "*" in allowed or _is_loopback(host) or host in allowed:
            return await handler(request)
        log.warning("refused Host %r (allow it with --allowed-hosts %s)", host, host)
        raise ApiError(ErrorCode.FORBIDDEN, f"host {host!r} is not allowed; start with --allowed-hosts")

    return host_guard


def origin_allowed(request: web.Request, allowed_origins: set[str]) -> bool:
    """True when the request has no Origin, or one that is this server or explicitly allowed."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if origin.rstrip("/").lower() in allowed_origins:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == request.host.lower()


def request_checks_middleware(settings: Settings) -> Middleware:
    """Origin on mutating API requests; JSON content type and the 2 MiB limit on bodies."""
    allowed_origins = {origin.rstrip("/").lower() for origin in settings.allowed_origins}

    @web.middleware
    async def request_checks(request: web.Request, handler):
        if not is_api_path(request.path) or request.method in ("GET", "HEAD", "OPTIONS"):
            return await handler(request)
        spec = spec_of(request.match_info.handler)
        if spec is not None and spec.passthrough:
            return await handler(request)
        if not origin_allowed(request, allowed_origins):
            log.warning("refused Origin %r (allow it with --allowed-origins)", request.headers["Origin"])
            raise ApiError(ErrorCode.FORBIDDEN, "cross-origin request refused")
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            raise ApiError(ErrorCode.PARAM_INVALID, "request body exceeds 2 MiB")
        if request.body_exists and request.content_type != "application/json":
            raise ApiError(ErrorCode.PARAM_INVALID, "Content-Type must be application/json")
        return await handler(request)

    return request_checks


API_KEY_REFUSED = ("API keys cannot manage credentials (API keys, 2FA, password, sessions): "
                   "sign in with your password and do it from your account")
PASSWORD_CHANGE_FIRST = ("you must change your password first (PUT /api/v1/users/me/password); "
                         "until then only that, GET /users/me and signing out are allowed")


def auth_middleware(settings: Settings, authenticate: Callable) -> Middleware:
    """Authenticate by Bearer token or X-API-Key and enforce the route's access policy: credential routes refuse
    API keys, and a user who must change their password reaches only the routes allowed before that.

    A change (POST, PUT, PATCH, DELETE) refused here never reaches its service, so it is audited here, once:
    `access.refused` with the refusal's code, the route and the reason. Refused reads are not audited, nor are
    requests without valid credentials (anyone could fill the log with those)."""

    def refusal(spec: RouteSpec, principal: Principal) -> ApiError | None:
        if spec.session_only and principal.via_api_key:
            return ApiError(ErrorCode.FORBIDDEN, API_KEY_REFUSED)
        if principal.must_change_password and not spec.before_password_change:
            return ApiError(ErrorCode.FORBIDDEN, PASSWORD_CHANGE_FIRST)
        if spec.access is Access.ADMIN and principal.role is not Role.ADMIN:
            return ApiError(ErrorCode.FORBIDDEN, "administrators only")
        if spec.roles is not None and principal.role not in spec.roles:
            return ApiError(ErrorCode.FORBIDDEN, f"role {principal.role} may not use this endpoint")
        if spec.refused_when_read_only(settings.read_only):
            return ApiError(ErrorCode.FORBIDDEN, READ_ONLY_REFUSED)
        return None

    @web.middleware
    async def authentication(request: web.Request, handler):
        spec = spec_of(request.match_info.handler)
        if spec is None or spec.access in (Access.PUBLIC, Access.TICKET, Access.LINK):
            return await handler(request)
        principal = await authenticate(request)
        request[PRINCIPAL] = principal
        refused = refusal(spec, principal)
        if refused is not None:
            if spec.mutating:
                request.app[AUDIT].record(
                    "access.refused", code=int(refused.code), **context_of(request).audit_fields(),
                    detail={"method": spec.method, "route": API_PREFIX + spec.path, "reason": refused.message})
            raise refused
        return await handler(request)

    return authentication


def content_security_policy(nonce: str | None) -> str:
    """The CSP: no inline script except the nonce'd import map, nothing from other origins."""
    script = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    return (
        f"default-src 'self'; script-src {script}; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare` hook: request id and security headers on every response."""
    if REQUEST_ID in request:
        response.headers["X-Request-ID"] = request[REQUEST_ID]
    response.headers.setdefault("Content-Security-Policy", content_security_policy(request.get(CSP_NONCE)))
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if is_api_path(request.path):
        response.headers.setdefault("Cache-Control", "no-store")
