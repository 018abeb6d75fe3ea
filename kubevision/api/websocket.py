"""WebSocket plumbing shared by watch, logs and exec (the protocols on top live in api/watch.py and
api/streams.py): ticket and Origin checks before the upgrade, the `BoundedSocket` every endpoint sends through,
the close codes (`CloseCode`), `error` frames and the fail-and-close built from the error catalogue, the loop
that re-reads an open socket's user (`revalidate`), and the set of open sockets that shutdown closes with
GOING_AWAY.

Memory per socket is bounded whatever the client does:
- Every frame the server sends (data, replies to client messages, pongs, the close) passes through one
  bounded queue, drained by one writer. Server data (`send`) waits while the queue is half full, so producers
  slow down with the client; replies caused by the client (`reply`) never wait, and a reply that finds the
  queue full closes the socket with 1008: the client asks faster than it reads.
- A frame that cannot be written for `stall_timeout_s` (the transport stayed above its high-water mark: the
  client stopped reading) closes the socket with 1008.
- Messages from the client are limited by a token bucket (rate and burst) and by size (`max_message_bytes`;
  aiohttp closes a larger message with 1009, "message too big").
- Closing frees everything: the queue is dropped, the writer cancelled, and a transport still holding unsent
  bytes `close_timeout_s` after the close frame is aborted (a peer that never reads cannot keep it).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import enum
import logging
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import WSMessage, WSMsgType, web

from kubevision.api.envelope import dumps
from kubevision.api.middleware import origin_allowed
from kubevision.api.routing import READ_ONLY_REFUSED, spec_of
from kubevision.auth.permissions import Principal
from kubevision.auth.service import AUTH
from kubevision.config import SETTINGS
from kubevision.errors import ApiError, ErrorCode, error_fields
from kubevision.tasks import create_named_task, stop_tasks

log = logging.getLogger(__name__)

# Pings keep idle sockets open through proxies and detect dead peers.
HEARTBEAT_S = 20.0
# How often an open socket re-reads its user (revoked sessions close it; changed rights are re-checked).
REVALIDATE_INTERVAL_S = 15.0
# Longest close reason (a close frame's payload is at most 125 bytes, 2 of them the code).
MAX_CLOSE_REASON_BYTES = 120
# How often a closing socket looks whether its last bytes have left.
TRANSPORT_DRAIN_POLL_S = 0.05


class CloseCode(enum.IntEnum):
    """Every close code the server sends (RFC 6455's numbers, plus one of the 4000-4999 private range)."""

    NORMAL = 1000  # the stream ended (log `end`, terminal `exit`, an `error` frame before it)
    GOING_AWAY = 1001  # server shutdown
    POLICY_VIOLATION = 1008  # the client broke the socket's limits (floods, or stopped reading)
    MESSAGE_TOO_BIG = 1009  # a client message over `max_message_bytes` (sent by aiohttp itself)
    REVOKED = 4001  # the user's session was revoked (logout-all, password change, deactivation)


@dataclasses.dataclass(frozen=True, kw_only=True)
class SocketLimits:
    """What one socket may cost; each endpoint has its own (see the endpoint modules)."""

    max_message_bytes: int  # a larger client message closes the socket with 1009
    messages_per_second: float  # client messages (of any kind, pings included) allowed on average...
    message_burst: int  # ...and at once; more closes the socket with 1008
    max_queued_frames: int = 256  # outgoing frames waiting for the client (`send` waits at half)
    max_queued_bytes: int = 1024 * 1024  # and their bytes
    stall_timeout_s: float = 10.0  # one frame not accepted by the transport for this long: 1008
    close_timeout_s: float = 5.0  # close handshake, after which unsent bytes are dropped (transport aborted)


class _MessageRate:
    """Token bucket: `burst` messages at once, refilled at `per_second`."""

    def __init__(self, per_second: float, burst: int) -> None:
        self._per_second = per_second
        self._burst = burst
        self._tokens = float(burst)
        self._last = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._per_second)
        self._last = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


_Outgoing = tuple[WSMsgType, bytes, int]  # (TEXT | BINARY | PONG | CLOSE, payload, close code)


class BoundedSocket:
    """A server WebSocket with a bounded send queue, a client message rate limit and a stall watchdog."""

    def __init__(self, request: web.Request, limits: SocketLimits) -> None:
        self.request = request
        self.limits = limits
        self.ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=limits.max_message_bytes,
                                        autoping=False, timeout=limits.close_timeout_s)
        self._queue: collections.deque[_Outgoing] = collections.deque()
        self._queued_bytes = 0
        self.peak_queued_frames = 0
        self.peak_queued_bytes = 0
        self._changed = asyncio.Event()  # the queue changed (a frame was added or taken) or the socket closed
        self._rate = _MessageRate(limits.messages_per_second, limits.message_burst)
        self._violation: str | None = None
        self._accepting = True
        self._writer_closing = False
        self._closer: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._transport: asyncio.Transport | None = None

    @property
    def queued_frames(self) -> int:
        """Frames waiting for the writer."""
        return len(self._queue)

    @property
    def queued_bytes(self) -> int:
        """Their bytes."""
        return self._queued_bytes

    @property
    def violation(self) -> str | None:
        """Why the socket was closed with 1008, if it was."""
        return self._violation

    async def prepare(self) -> None:
        """Upgrade, then start the writer."""
        await self.ws.prepare(self.request)
        self._transport = self.request.transport  # type: ignore[assignment]
        self._writer = create_named_task(self._write_loop(), name="ws-writer")

    # -- outgoing ------------------------------------------------------------------------------------------
    async def send(self, frame: dict[str, Any] | str | bytes) -> None:
        """Queue server data (a dict is sent as JSON text, bytes as binary); waits while the queue is half
        full. Raises `ConnectionResetError` once the socket is closing."""
        kind, payload = _encode(frame)
        while self._accepting and self._queue and (
                len(self._queue) >= self.limits.max_queued_frames // 2
                or self._queued_bytes + len(payload) > self.limits.max_queued_bytes // 2):
            self._changed.clear()
            await self._changed.wait()
        if not self._accepting:
            raise ConnectionResetError("the WebSocket is closing")
        self._put((kind, payload, 0))

    def reply(self, frame: dict[str, Any] | str | bytes) -> None:
        """Queue a frame the client caused (an answer, an error, a warning); never waits. A full queue means
        the client sends faster than it reads: the socket is closed with 1008."""
        if not self._accepting:
            return
        kind, payload = _encode(frame)
        self._reply((kind, payload, 0))

    def _reply(self, item: _Outgoing) -> None:
        if (len(self._queue) >= self.limits.max_queued_frames
                or self._queued_bytes + len(item[1]) > self.limits.max_queued_bytes):
            self._violate(f"send queue full ({self.limits.max_queued_frames} frames or "
                          f"{self.limits.max_queued_bytes} bytes): the client sends faster than it reads")
            return
        self._put(item)

    def _put(self, item: _Outgoing) -> None:
        self._queue.append(item)
        self._queued_bytes += len(item[1])
        self.peak_queued_frames = max(self.peak_queued_frames, len(self._queue))
        self.peak_queued_bytes = max(self.peak_queued_bytes, self._queued_bytes)
        self._changed.set()

    async def close(self, code: int = CloseCode.NORMAL, message: str = "") -> None:
        """Send what is queued, then close with `code` (waits for the close, at most the limits' timeouts)."""
        if self._accepting:
            self._accepting = False
            self._queue.append((WSMsgType.CLOSE, message.encode()[:MAX_CLOSE_REASON_BYTES], code))
            self._changed.set()
        if self._writer is not None:
            await asyncio.wait([self._writer])

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while not self._queue:
                self._changed.clear()
                await self._changed.wait()
            kind, payload, code = self._queue.popleft()
            self._queued_bytes -= len(payload)
            self._changed.set()
            if kind is WSMsgType.CLOSE:
                self._writer_closing = True
                await asyncio.wait([self._start_close(code, payload)])
                return
            started = loop.time()
            try:
                async with asyncio.timeout(self.limits.stall_timeout_s):
                    # Shielded: aiohttp's writers share one drain future, and cancelling a send that waits on
                    # it (the stall timeout, or closing) would cancel that future too, so the close frame's own
                    # drain would fail at once and the close frame be lost with the aborted transport.
                    if kind is WSMsgType.PONG:
                        await asyncio.shield(self.ws.pong(payload))
                    else:
                        await asyncio.shield(self.ws.send_frame(payload, kind))
            except TimeoutError:
                self._violate(f"the client read nothing for {loop.time() - started:.0f} s")
                return
            except ConnectionError:
                self._start_close(CloseCode.NORMAL, b"")
                return

    # -- incoming ------------------------------------------------------------------------------------------
    async def messages(self) -> AsyncIterator[WSMessage]:
        """The client's text and binary messages until the socket closes; pings are answered (through the
        queue), and every message counts against the rate limit."""
        async for message in self.ws:
            if message.type is WSMsgType.ERROR:
                return
            if not self._rate.allow():
                self._violate(f"more than {self.limits.message_burst} messages at once or "
                              f"{self.limits.messages_per_second:g} per second")
                return
            if message.type is WSMsgType.PING:
                if self._accepting:
                    self._reply((WSMsgType.PONG, message.data, 0))
            elif message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                yield message
            if self._violation is not None:
                return

    # -- closing -------------------------------------------------------------------------------------------
    def _violate(self, reason: str) -> None:
        """Close with 1008 now: what is queued is dropped."""
        if self._violation is not None or self._closer is not None:
            return
        self._violation = reason
        log.warning("closing WebSocket %s with 1008: %s (peak queue %d frames, %d bytes)", self.request.path,
                    reason, self.peak_queued_frames, self.peak_queued_bytes)
        self._start_close(CloseCode.POLICY_VIOLATION, reason.encode())

    def _start_close(self, code: int, message: bytes) -> asyncio.Task[None]:
        if self._closer is None:
            self._closer = create_named_task(self._shut(code, message[:MAX_CLOSE_REASON_BYTES]), name="ws-close")
        return self._closer

    async def _shut(self, code: int, message: bytes) -> None:
        """Stop sending and drop the queue; then the close frame and the bytes before it get `close_timeout_s`
        to leave (the close handshake included), after which a transport still holding data is aborted."""
        self._accepting = False
        if not self._writer_closing and self._writer is not None:
            await stop_tasks([self._writer])
        self._drop_queue()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self.limits.close_timeout_s):
                await self.ws.close(code=code, message=message)
                while self.unsent_bytes:  # noqa: ASYNC110 - a transport has no "buffer empty" event
                    await asyncio.sleep(TRANSPORT_DRAIN_POLL_S)
        self._abort_if_stuck()

    def _drop_queue(self) -> None:
        self._queue.clear()
        self._queued_bytes = 0
        self._changed.set()  # wakes senders, which then see the socket closing

    @property
    def unsent_bytes(self) -> int:
        """Bytes written to the transport that the client has not taken yet."""
        return 0 if self._transport is None else self._transport.get_write_buffer_size()

    def _abort_if_stuck(self) -> None:
        if self._transport is not None and self.unsent_bytes:
            self._transport.abort()

    async def aclose(self) -> None:
        """End of the handler: finish a close under way, or close with 1000; then free everything."""
        if self._closer is None and not self.ws.closed:
            await self.close()
        if self._closer is not None:
            await asyncio.wait([self._closer])
        if self._writer is not None:
            await stop_tasks([self._writer])
        self._accepting = False
        self._drop_queue()
        self._abort_if_stuck()

    async def shutdown(self) -> None:
        """Server shutdown: close with 1001 now (queued frames are dropped)."""
        await asyncio.wait([self._start_close(CloseCode.GOING_AWAY, b"server shutdown")])


def _encode(frame: dict[str, Any] | str | bytes) -> tuple[WSMsgType, bytes]:
    if isinstance(frame, bytes):
        return WSMsgType.BINARY, frame
    return WSMsgType.TEXT, (frame.encode() if isinstance(frame, str) else dumps(frame))


def error_frame(error: ApiError, *, frame_type: str = "error", **fields: Any) -> dict[str, Any]:
    """The frame that reports `error` on any socket: `type` (`error`, or `warning` when the socket goes on),
    the protocol's own `fields` (the watch's `sub`), then the catalogue's code, message and data."""
    return {"type": frame_type, **fields, **error_fields(error)}


async def fail(socket: BoundedSocket, error: ApiError) -> None:
    """Send the `error` frame for `error` after what is queued, then close the socket (1000)."""
    with contextlib.suppress(ConnectionError):
        await socket.send(error_frame(error))
    await socket.close()


async def revalidate(socket: BoundedSocket, principal: Principal, *,
                     on_change: Callable[[Principal], Awaitable[None]]) -> None:
    """Re-read the socket's user every `REVALIDATE_INTERVAL_S` for as long as the socket is open (run it as a
    task). A revoked session closes the socket with `CloseCode.REVOKED`; when the user's role or grants changed,
    `on_change(current)` re-checks what the socket does, and an `ApiError` it raises ends the socket with that
    error frame."""
    auth = socket.request.app[AUTH]
    while True:
        await asyncio.sleep(REVALIDATE_INTERVAL_S)
        try:
            current = await auth.revalidate(principal)
        except ApiError as exc:
            await socket.close(CloseCode.REVOKED, exc.message)
            return
        if current == principal:
            continue
        principal = current
        try:
            await on_change(current)
        except ApiError as exc:
            await fail(socket, exc)
            return


OPEN_SOCKETS = web.AppKey("open_sockets", weakref.WeakSet)


async def authorize_upgrade(request: web.Request) -> Principal:
    """Check Origin (HTTP 403) and the single-use `?ticket=` (HTTP 401) before upgrading.

    The refusal is an `ApiError` with an HTTP status, so the client gets an envelope and no upgrade.
    """
    allowed = {o.rstrip("/").lower() for o in request.app[SETTINGS].allowed_origins}
    if not origin_allowed(request, allowed):
        raise ApiError(ErrorCode.FORBIDDEN, "cross-origin WebSocket refused", http_status=403)
    spec = spec_of(request.match_info.handler)
    if spec is not None and spec.refused_when_read_only(request.app[SETTINGS].read_only):
        raise ApiError(ErrorCode.FORBIDDEN, READ_ONLY_REFUSED, http_status=403)
    ticket = request.query.get("ticket")
    if not ticket:
        raise ApiError(ErrorCode.NOT_LOGGED_IN, "ticket is required", http_status=401)
    try:
        return await request.app[AUTH].consume_ws_ticket(ticket)
    except ApiError as exc:
        raise ApiError(exc.code, exc.message, http_status=401) from None


@contextlib.asynccontextmanager
async def open_websocket(request: web.Request, limits: SocketLimits) -> AsyncIterator[BoundedSocket]:
    """Upgrade (after `authorize_upgrade`), register the socket for shutdown, and free it on exit (closing it
    with 1000 unless it was closed otherwise)."""
    socket = BoundedSocket(request, limits)
    await socket.prepare()
    request.app[OPEN_SOCKETS].add(socket)
    try:
        yield socket
    finally:
        await socket.aclose()


async def close_open_sockets(app: web.Application) -> None:
    """`on_shutdown`: tell every client the server is going away."""
    await asyncio.gather(*(socket.shutdown() for socket in list(app[OPEN_SOCKETS])))
