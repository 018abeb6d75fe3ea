"""Helpers for WebSocket limit tests: the server side of a socket, reading up to the close, checking it freed."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from kubevision.api.websocket import OPEN_SOCKETS, BoundedSocket, SocketLimits
from tests.helpers import wait_until

RECEIVE_TIMEOUT_S = 30.0


async def server_socket(app: web.Application) -> BoundedSocket:
    """The server side of the test's one open socket."""
    async def only() -> BoundedSocket | None:
        sockets = list(app[OPEN_SOCKETS])
        return sockets[0] if len(sockets) == 1 else None
    return await wait_until(only, timeout_s=RECEIVE_TIMEOUT_S, what="the server socket")


async def read_until_close(ws: aiohttp.ClientWebSocketResponse) -> list[aiohttp.WSMessage]:
    """Every message up to the server's close (which is not included)."""
    async def read() -> list[aiohttp.WSMessage]:
        seen = []
        while (message := await ws.receive()).type is not aiohttp.WSMsgType.CLOSE:
            assert message.type is not aiohttp.WSMsgType.CLOSED, "the connection was dropped without a close frame"
            seen.append(message)
        return seen
    return await asyncio.wait_for(read(), RECEIVE_TIMEOUT_S)


async def assert_freed(socket: BoundedSocket, limits: SocketLimits) -> None:
    """The server finished the socket and holds nothing for it."""
    async def freed() -> bool:
        return socket.ws.closed and socket.queued_frames == 0 and socket.unsent_bytes == 0
    await wait_until(freed, timeout_s=RECEIVE_TIMEOUT_S, what="the socket closed, its queue and buffer freed")
    assert socket.queued_bytes == 0
    assert socket.peak_queued_frames <= limits.max_queued_frames
    assert socket.peak_queued_bytes <= limits.max_queued_bytes
