"""Route declarations with their access policy and OpenAPI description.

Every `/api/v1` handler is declared through `ApiRoutes`, which attaches a `RouteSpec` to it. The auth
middleware enforces `access` from that spec, the OpenAPI document is generated from it, and
`check_policies` makes start-up fail if any `/api` route lacks one (strict, as in jupyter_server).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from kubevision.auth.permissions import Role

API_PREFIX = "/api/v1"
Handler = Callable[[web.Request], Awaitable[Any]]


class Access(enum.StrEnum):
    """Who may call a route."""

    PUBLIC = "public"  # no credentials needed
    USER = "user"  # any signed-in user (finer checks happen in services)
    ADMIN = "admin"  # admin role only
    TICKET = "ticket"  # WebSocket upgrade authenticated by a `?ticket=` (checked by the handler)
    LINK = "link"  # authenticated by the secret in the path (a port-forward proxy link; checked by the handler)


@dataclasses.dataclass(frozen=True, kw_only=True)
class QueryParam:
    """A documented query parameter."""

    name: str
    description: str
    schema: dict[str, Any] = dataclasses.field(default_factory=lambda: {"type": "string"})
    required: bool = False


@dataclasses.dataclass(frozen=True, kw_only=True)
class RouteSpec:
    """What a route is, who may call it, and how it is documented."""

    method: str
    path: str
    access: Access
    summary: str
    tag: str
    roles: frozenset[Role] | None = None
    body: dict[str, Any] | None = None
    query: tuple[QueryParam, ...] = ()
    data: dict[str, Any] | None = None
    read_only_safe: bool = False
    websocket: bool = False
    # A GET that changes state all the same (a terminal can change anything in its container): refused by
    # --read-only like a write.
    changes_state: bool = False
    # A POST that only reads (its body is a query too long for a URL): not `mutating`, so --read-only, the readonly
    # role and the audit of refusals treat it as the read it is.
    reads_only: bool = False
    # Manages credentials (API keys, 2FA, password, sessions): a signed-in session only, never an API key.
    session_only: bool = False
    # Answers while the caller must still change their password; every other route is 40300 until then.
    before_password_change: bool = False
    # Speaks JSON-RPC 2.0 (the MCP endpoint), a deliberate exception to the envelope: refusals before the handler
    # (credentials, Origin, policy) are JSON-RPC error bodies with their HTTP status (`json_rpc_error_response`).
    json_rpc: bool = False
    # Carries another server's requests (the port-forward proxy): any body and content type, no Origin check by the
    # middleware (the handler applies its own rules); the answer is the other server's, errors are envelopes.
    passthrough: bool = False
    # Longer text for the OpenAPI operation.
    description: str = ""

    @property
    def mutating(self) -> bool:
        """True for methods that change state (but routes declared `reads_only`), and for routes declared
        `changes_state`."""
        return self.changes_state or (self.method in ("POST", "PUT", "PATCH", "DELETE") and not self.reads_only)

    def refused_when_read_only(self, settings_read_only: bool) -> bool:
        """Whether `--read-only` refuses this route."""
        return settings_read_only and self.mutating and not self.read_only_safe


SPEC_ATTRIBUTE = "api_spec"
READ_ONLY_REFUSED = "the server runs in read-only mode"


def spec_of(handler: object) -> RouteSpec | None:
    """The `RouteSpec` attached to a handler, if any."""
    return getattr(handler, SPEC_ATTRIBUTE, None)


class ApiRoutes:
    """A route table for one API module (paths relative to `/api/v1`)."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self._entries: list[tuple[RouteSpec, Handler]] = []

    def route(self, method: str, path: str, *, access: Access, summary: str,
              **details: Any) -> Callable[[Handler], Handler]:
        """Declare a handler; `details` are the optional `RouteSpec` fields."""
        spec = RouteSpec(method=method, path=path, access=access, summary=summary, tag=self.tag,
                         **details)

        def register(handler: Handler) -> Handler:
            setattr(handler, SPEC_ATTRIBUTE, spec)
            self._entries.append((spec, handler))
            return handler

        return register

    def get(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        """Declare a GET route."""
        return self.route("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        """Declare a POST route."""
        return self.route("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        """Declare a PUT route."""
        return self.route("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        """Declare a PATCH route."""
        return self.route("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        """Declare a DELETE route."""
        return self.route("DELETE", path, **kwargs)

    def add_to(self, router: web.UrlDispatcher) -> None:
        """Register every declared route under `/api/v1`."""
        for spec, handler in self._entries:
            router.add_route(spec.method, API_PREFIX + spec.path, handler)

    @property
    def specs(self) -> list[RouteSpec]:
        """The declared routes."""
        return [spec for spec, _ in self._entries]


def check_policies(app: web.Application) -> None:
    """Fail start-up when an `/api` route was registered without a `RouteSpec`."""
    missing = []
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if path.startswith("/api") and route.method != "HEAD" and spec_of(route.handler) is None:
            missing.append(f"{route.method} {path}")
    if missing:
        raise RuntimeError(f"API routes without an access policy: {', '.join(missing)}")
