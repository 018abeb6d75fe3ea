"""Sockets that need the real control plane and the kubelet stand-in: a log reader that stops reading is
closed with 1008 (stall), so is one whose replies fill the send queue, and a terminal flooded with bad
control frames gets a bounded number of warnings, then 1008. Each ends with the socket's memory freed."""

from __future__ import annotations

import dataclasses

import aiohttp
import pytest
from aiohttp import WSCloseCode, web

from kubevision.api import streams as streams_api
from kubevision.api.websocket import BoundedSocket
from tests.envtest.kubelet import LOG_LINES_ANNOTATION, KubeletStandIn
from tests.helpers import ApiSession, wait_until
from tests.kube.streaming import connect, next_frame, running_pod
from tests.sockets import RECEIVE_TIMEOUT_S, assert_freed, read_until_close, server_socket

# Enough log (about 10 MB of frames) that the kernel's socket buffers fill and the server's writer waits.
CHATTY_LINES = 300_000
STALL_TIMEOUT_S = 1.0
WAIT_S = 60.0
# The client reads the megabytes already in the socket buffers before it sees the close frame; on a busy
# machine that can take longer than the endpoints' 5 s, after which the server would abort the transport.
CLOSE_TIMEOUT_S = RECEIVE_TIMEOUT_S
FLOOD_MESSAGES = 100_000


async def chatty_log_socket(admin: ApiSession, cid: int, namespace: str,
                            app: web.Application) -> tuple[aiohttp.ClientWebSocketResponse, BoundedSocket]:
    await running_pod(admin, cid, namespace, "chatty", annotations={LOG_LINES_ANNOTATION: str(CHATTY_LINES)})
    ws = await connect(admin, f"/clusters/{cid}/namespaces/{namespace}/pods/chatty/logs", {"follow": "false"})
    return ws, await server_socket(app)


async def wait_for(predicate, what: str) -> None:
    async def check() -> bool:
        return predicate()
    await wait_until(check, timeout_s=WAIT_S, what=what)


async def test_a_log_reader_that_stops_reading_is_closed(admin: ApiSession, cid: int, namespace: str,
                                                         kubelet: KubeletStandIn, app: web.Application,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    limits = dataclasses.replace(streams_api.LOG_SOCKET_LIMITS, stall_timeout_s=STALL_TIMEOUT_S,
                                 close_timeout_s=CLOSE_TIMEOUT_S)
    monkeypatch.setattr(streams_api, "LOG_SOCKET_LIMITS", limits)
    ws, socket = await chatty_log_socket(admin, cid, namespace, app)
    # The client reads nothing: the server's writer waits on the transport, and gives up after the timeout.
    await wait_for(lambda: socket.violation is not None, "the stalled socket to be closed")
    assert "read nothing" in (socket.violation or "")
    frames = await read_until_close(ws)  # reading now finds what was sent, then the close
    assert frames and frames[0].json()["type"] == "log"
    assert ws.close_code == WSCloseCode.POLICY_VIOLATION
    await assert_freed(socket, limits)


async def test_replies_that_fill_the_send_queue_close_the_socket(admin: ApiSession, cid: int, namespace: str,
                                                                 kubelet: KubeletStandIn, app: web.Application,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    limits = dataclasses.replace(streams_api.LOG_SOCKET_LIMITS, max_queued_frames=8, stall_timeout_s=WAIT_S * 2,
                                 close_timeout_s=CLOSE_TIMEOUT_S, messages_per_second=1000, message_burst=1000)
    monkeypatch.setattr(streams_api, "LOG_SOCKET_LIMITS", limits)
    ws, socket = await chatty_log_socket(admin, cid, namespace, app)
    await wait_for(lambda: socket.queued_frames >= limits.max_queued_frames // 2, "log frames to back up")
    for _ in range(limits.max_queued_frames):  # each ping's pong joins the full queue
        await ws.ping()
    await wait_for(lambda: socket.violation is not None, "the socket to be closed")
    assert "send queue full" in (socket.violation or "")
    await read_until_close(ws)
    assert ws.close_code == WSCloseCode.POLICY_VIOLATION
    await assert_freed(socket, limits)


async def test_a_terminal_flooded_with_bad_resizes_is_closed(admin: ApiSession, cid: int, namespace: str,
                                                             kubelet: KubeletStandIn, app: web.Application) -> None:
    limits = streams_api.TERMINAL_SOCKET_LIMITS
    await running_pod(admin, cid, namespace, "term")
    ws = await connect(admin, f"/clusters/{cid}/namespaces/{namespace}/pods/term/exec")
    socket = await server_socket(app)
    await next_frame(ws, "started")
    for _ in range(FLOOD_MESSAGES):  # never reading; each would be answered with a warning
        await ws.send_str('{"type": "resize", "cols": "wide"}')
    frames = await read_until_close(ws)
    assert ws.close_code == WSCloseCode.POLICY_VIOLATION
    warnings = [m for m in frames if m.type is aiohttp.WSMsgType.TEXT and '"warning"' in m.data]
    assert 0 < len(warnings) <= limits.message_burst * 2
    await assert_freed(socket, limits)
