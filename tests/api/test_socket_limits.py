"""Clients that flood `/ws/watch` are closed with 1008 (1009 for an oversized message), and what they made the
server queue stays within the socket's bounds. These floods need no cluster (pings, bad messages); sockets
that need one (logs, exec, a reader that stops) are in tests/kube/test_socket_limits.py."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import WSCloseCode, web

from kubevision.api.watch import WATCH_SOCKET_LIMITS
from tests.helpers import ApiSession
from tests.sockets import assert_freed, read_until_close, server_socket

RECEIVE_TIMEOUT_S = 15.0
FLOOD_MESSAGES = 100_000


async def open_watch(session: ApiSession) -> aiohttp.ClientWebSocketResponse:
    ticket = (await session.ok("POST", "/ws/ticket"))["ticket"]
    return await session.client.ws_connect(f"/api/v1/ws/watch?ticket={ticket}", autoping=False)


@pytest.mark.parametrize("flood", ['{"op": "ping"}', "not json", '{"op": "nonsense", "id": "s1"}'],
                         ids=["pings", "invalid-json", "unknown-op"])
async def test_a_flood_of_messages_is_closed_with_1008(admin: ApiSession, app: web.Application, flood: str) -> None:
    ws = await open_watch(admin)
    socket = await server_socket(app)
    for _ in range(FLOOD_MESSAGES):  # never reading
        await ws.send_str(flood)
    replies = await read_until_close(ws)
    assert ws.close_code == WSCloseCode.POLICY_VIOLATION
    # At most the burst was answered (plus what the rate refilled while the flood was read), not 100,000.
    assert 0 < len(replies) <= WATCH_SOCKET_LIMITS.message_burst * 2
    assert socket.violation is not None and "messages at once" in socket.violation
    await assert_freed(socket, WATCH_SOCKET_LIMITS)


async def test_a_flood_of_protocol_pings_is_closed_with_1008(admin: ApiSession, app: web.Application) -> None:
    ws = await open_watch(admin)
    socket = await server_socket(app)
    for _ in range(FLOOD_MESSAGES // 10):
        await ws.ping()
    pongs = await read_until_close(ws)
    assert ws.close_code == WSCloseCode.POLICY_VIOLATION
    assert all(m.type is aiohttp.WSMsgType.PONG for m in pongs)
    assert 0 < len(pongs) <= WATCH_SOCKET_LIMITS.message_burst * 2
    await assert_freed(socket, WATCH_SOCKET_LIMITS)


async def test_a_client_within_the_rate_keeps_its_socket(admin: ApiSession, app: web.Application) -> None:
    ws = await open_watch(admin)
    for _ in range(WATCH_SOCKET_LIMITS.message_burst // 2):
        await ws.send_str('{"op": "ping"}')
    for _ in range(WATCH_SOCKET_LIMITS.message_burst // 2):
        assert (await asyncio.wait_for(ws.receive_json(), RECEIVE_TIMEOUT_S)) == {"type": "pong"}
    await ws.close()


async def test_an_oversized_message_is_closed_with_1009(admin: ApiSession, app: web.Application) -> None:
    ws = await open_watch(admin)
    socket = await server_socket(app)
    await ws.send_str("x" * (WATCH_SOCKET_LIMITS.max_message_bytes + 1))
    assert await read_until_close(ws) == []
    assert ws.close_code == WSCloseCode.MESSAGE_TOO_BIG
    await assert_freed(socket, WATCH_SOCKET_LIMITS)
