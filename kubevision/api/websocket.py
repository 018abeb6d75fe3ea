"""WebSocket plumbing shared by watch, logs and exec: ticket and Origin checks before the upgrade,
and the set of open sockets that shutdown closes with GOING_AWAY."""

from __future__ import annotations

import weakref

from aiohttp import WSCloseCode, web

from kubevision.api.envelope import ApiError, ErrorCode
from kubevision.api.middleware import origin_allowed
from kubevision.auth.permissions import Principal
from kubevision.auth.service import AUTH
from kubevision.config import SETTINGS

# Pings keep idle sockets open through proxies and detect dead peers.
HEARTBEAT_S = 20.0

OPEN_SOCKETS = web.AppKey("open_sockets", weakref.WeakSet)


async def authorize_upgrade(request: web.Request) -> Principal:
    """Check Origin (HTTP 403) and the single-use `?ticket=` (HTTP 401) before upgrading.

    The refusal is an `ApiError` with an HTTP status, so the client gets an envelope and no upgrade.
    """
    allowed = {o.rstrip("/").lower() for o in request.app[SETTINGS].allowed_origins}
    if not origin_allowed(request, allowed):
        raise ApiError(ErrorCode.FORBIDDEN, "cross-origin WebSocket refused", http_status=403)
    ticket = request.query.get("ticket")
    if not ticket:
        raise ApiError(ErrorCode.NOT_LOGGED_IN, "ticket is required", http_status=401)
    try:
        return await request.app[AUTH].consume_ws_ticket(ticket)
    except ApiError as exc:
        raise ApiError(exc.code, exc.message, http_status=401) from None


async def open_websocket(request: web.Request) -> web.WebSocketResponse:
    """Upgrade (after `authorize_upgrade`) and register the socket for shutdown."""
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=1024 * 1024)
    await ws.prepare(request)
    request.app[OPEN_SOCKETS].add(ws)
    return ws


async def close_open_sockets(app: web.Application) -> None:
    """`on_shutdown`: tell every client the server is going away."""
    for ws in list(app[OPEN_SOCKETS]):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
