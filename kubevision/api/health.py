"""Liveness and readiness probes (plain JSON, outside the envelope, 503 when not ready)."""

from __future__ import annotations

from aiohttp import web

from kubevision.store import STORE

# Probes answer whatever the Host header says: kubelet sends the pod IP, which no allowlist knows, and
# the answers ("ok") reveal nothing a rebinding page could use.
PROBE_PATHS = frozenset({"/healthz", "/readyz"})


async def healthz(_request: web.Request) -> web.Response:
    """The process is up."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """The database answers."""
    if await request.app[STORE].ping():
        return web.json_response({"status": "ok", "database": "ok"})
    return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)


def add_health_routes(router: web.UrlDispatcher) -> None:
    """Register `/healthz` and `/readyz`."""
    router.add_get("/healthz", healthz)
    router.add_get("/readyz", readyz)
