"""`/api/v1/ws/watch`: one multiplexed socket per browser tab carrying every live-table subscription.

Client → server: `{"op": "subscribe", "id", "cluster", "resource", "namespace"?, "labelSelector"?,
"name"?, "view"?: "table"}` (`name`: only that object, for detail pages), `{"op": "subscribe", "id",
"resource": "port-forwards"}` (the caller's port-forwards, no cluster), `{"op": "subscribe", "id", "resource":
"change-requests"}` (the agents' change requests the caller may see) and `{"op": "unsubscribe", "id"}`.
Server → client: `subscribed`, batched `event`
messages (one per subscription, flushed within `BATCH_WINDOW_S`), `resync` when events had to be dropped
for a slow client (re-fetch the list), and `error`. A bounded number of pending events per socket keeps
memory bounded: past it the affected subscription's backlog is dropped and `resync` is sent instead.
Replies to the client's messages (`subscribed`, `error`, `pong`) go straight into the socket's bounded send
queue, and the client's messages are rate limited (`WATCH_SOCKET_LIMITS`): a client that floods the socket or
stops reading is closed with 1008.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from kubevision.api.context import caller_context
from kubevision.api.routing import Access, ApiRoutes, QueryParam
from kubevision.api.websocket import (
    BoundedSocket,
    SocketLimits,
    authorize_upgrade,
    error_frame,
    open_websocket,
    revalidate,
)
from kubevision.auth.permissions import Principal
from kubevision.errors import ApiError, ErrorCode, api_error_for
from kubevision.services.approvals import APPROVALS, ApprovalSubscription
from kubevision.services.port_forwards import PORT_FORWARDS, ForwardSubscription
from kubevision.services.resource_reads import RESOURCE_READER, Subscription
from kubevision.tasks import create_named_task, stop_tasks

log = logging.getLogger(__name__)
routes = ApiRoutes("watch")

# Events reach the browser at most this long after the first one of a batch.
BATCH_WINDOW_S = 0.05
# Pending events per socket before the slowest subscription is dropped and told to resync.
MAX_PENDING_EVENTS = 10_000
MAX_SUBSCRIPTIONS = 100
# `{"op": "subscribe", "id", "resource": "port-forwards"}` (no cluster): the caller's port-forwards.
PORT_FORWARDS_RESOURCE = "port-forwards"
# `{"op": "subscribe", "id", "resource": "change-requests"}` (no cluster): change requests, as GET /approvals.
CHANGE_REQUESTS_RESOURCE = "change-requests"
# Client messages are small JSON (subscribe / unsubscribe / ping); a page subscribes to a few tables at once,
# and a reconnecting tab re-subscribes everything (at most MAX_SUBSCRIPTIONS).
WATCH_SOCKET_LIMITS = SocketLimits(max_message_bytes=64 * 1024, messages_per_second=20, message_burst=200)


class WatchSession:
    """The subscriptions and the outgoing queue of one socket."""

    def __init__(self, request: web.Request, socket: BoundedSocket, principal: Principal) -> None:
        self.request = request
        self.socket = socket
        self.principal = principal
        self.subscriptions: dict[str, tuple[Subscription | ForwardSubscription | ApprovalSubscription,
                                            dict[str, Any]]] = {}
        self.pending: dict[str, list[dict[str, Any]]] = {}
        self.pending_count = 0
        self.resync: set[str] = set()
        self.wake = asyncio.Event()
        # Subscriptions being opened: each in its own task, so a cluster that is slow to answer holds up
        # neither the socket's other subscriptions nor its pings.
        self.subscribing: dict[str, asyncio.Task[None]] = {}

    def _error(self, error: ApiError, sub: str | None = None) -> None:
        self.socket.reply(error_frame(error, sub=sub))

    def _deliverer(self, sub: str):
        def deliver(event: dict[str, Any]) -> None:
            if sub in self.resync:
                return
            if self.pending_count >= MAX_PENDING_EVENTS:
                dropped = self.pending.pop(sub, [])
                self.pending_count -= len(dropped)
                self.resync.add(sub)
                self.wake.set()
                return
            self.pending.setdefault(sub, []).append(event)
            self.pending_count += 1
            self.wake.set()
        return deliver

    async def run(self) -> None:
        """Serve the socket until the client goes away (or its session is revoked)."""
        writer = create_named_task(self._write_loop(), name="watch-writer")
        checker = create_named_task(revalidate(self.socket, self.principal, on_change=self._resubscribe),
                                    name="watch-revalidate")
        try:
            async for message in self.socket.messages():
                if message.type == WSMsgType.TEXT:
                    self._handle(message.data)
        finally:
            await stop_tasks([writer, checker, *self.subscribing.values()])
            for subscription, _ in self.subscriptions.values():
                subscription.cancel()
            self.subscriptions.clear()

    def _handle(self, text: str) -> None:
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            self._error(ApiError(ErrorCode.PARAM_INVALID, "messages must be JSON"))
            return
        if not isinstance(message, dict):
            self._error(ApiError(ErrorCode.PARAM_INVALID, "messages must be JSON objects"))
            return
        op, sub = message.get("op"), message.get("id")
        if op == "ping":
            self.socket.reply({"type": "pong"})
            return
        if not isinstance(sub, str) or not sub:
            self._error(ApiError(ErrorCode.PARAM_MISSING, "id (a string) is required"))
            return
        if op == "unsubscribe":
            self._stop_subscribing(sub)
            self._drop(sub)
        elif op == "subscribe":
            self._start_subscribing(sub, message)
        else:
            self._error(ApiError(ErrorCode.PARAM_INVALID, f"unknown op {op!r}"), sub)

    async def _subscribe(self, sub: str, message: dict[str, Any]) -> None:
        cluster, resource = message.get("cluster"), message.get("resource")
        if resource in (PORT_FORWARDS_RESOURCE, CHANGE_REQUESTS_RESOURCE):
            self._subscribe_own(sub, message)
            return
        if not isinstance(cluster, int) or not isinstance(resource, str):
            self._error(ApiError(ErrorCode.PARAM_MISSING, "cluster (integer) and resource are required"), sub)
            return
        name = message.get("name")
        if name is not None and not isinstance(name, str):
            self._error(ApiError(ErrorCode.PARAM_INVALID, "name must be a string"), sub)
            return
        if not self._room_for(sub):
            return
        self._drop(sub)
        try:
            subscription = await self.request.app[RESOURCE_READER].subscribe(
                caller_context(self.request, self.principal), cluster, resource=resource,
                namespace=message.get("namespace") or None,
                label_selector=message.get("labelSelector") or None, name=name or None,
                table=message.get("view") == "table", deliver=self._deliverer(sub))
        except Exception as exc:
            error = api_error_for(exc)
            if error is None:
                raise
            self._error(error, sub)
            return
        self.subscriptions[sub] = (subscription, message)
        cache = subscription.cache
        self.socket.reply({"type": "subscribed", "sub": sub, "synced": cache.synced})

    def _start_subscribing(self, sub: str, message: dict[str, Any]) -> None:
        """Open the subscription in its own task (replacing one still being opened under the same id)."""
        self._stop_subscribing(sub)
        task = create_named_task(self._subscribe(sub, message), name=f"watch-subscribe-{sub}")
        self.subscribing[sub] = task
        task.add_done_callback(lambda done: self.subscribing.pop(sub, None) if self.subscribing.get(sub) is done
                               else None)

    def _stop_subscribing(self, sub: str) -> None:
        task = self.subscribing.pop(sub, None)
        if task is not None:
            task.cancel()

    def _room_for(self, sub: str) -> bool:
        """False (and an error frame) when a new subscription would pass `MAX_SUBSCRIPTIONS` (those being opened
        count too)."""
        if len((self.subscriptions.keys() | self.subscribing.keys()) - {sub}) >= MAX_SUBSCRIPTIONS:
            self._error(ApiError(ErrorCode.PARAM_INVALID, f"at most {MAX_SUBSCRIPTIONS} subscriptions"), sub)
            return False
        return True

    def _subscribe_own(self, sub: str, message: dict[str, Any]) -> None:
        """The caller's port-forwards (an admin's: all) or the change requests they may see: their changes as
        events carrying whole forwards or requests."""
        if not self._room_for(sub):
            return
        self._drop(sub)
        service = self.request.app[PORT_FORWARDS if message["resource"] == PORT_FORWARDS_RESOURCE else APPROVALS]
        subscription = service.subscribe(caller_context(self.request, self.principal), self._deliverer(sub))
        self.subscriptions[sub] = (subscription, message)
        self.socket.reply({"type": "subscribed", "sub": sub, "synced": True})

    def _drop(self, sub: str) -> None:
        entry = self.subscriptions.pop(sub, None)
        if entry is not None:
            entry[0].cancel()
        self.pending_count -= len(self.pending.pop(sub, []))
        self.resync.discard(sub)

    async def _write_loop(self) -> None:
        with contextlib.suppress(ConnectionError):  # the socket is closing
            await self._write_batches()

    async def _write_batches(self) -> None:
        while True:
            await self.wake.wait()
            await asyncio.sleep(BATCH_WINDOW_S)
            self.wake.clear()
            pending, self.pending, self.pending_count = self.pending, {}, 0
            resync, self.resync = self.resync, set()
            messages = [*({"type": "event", "sub": sub, "events": events} for sub, events in pending.items()),
                        *({"type": "resync", "sub": sub} for sub in resync if sub in self.subscriptions)]
            for message in messages:
                await self.socket.send(message)

    async def _resubscribe(self, current: Principal) -> None:
        """Role or grants changed: subscribe again under the new rights (refusals become errors)."""
        self.principal = current
        for sub, (_, message) in list(self.subscriptions.items()):
            self._start_subscribing(sub, message)


@routes.get("/ws/watch", access=Access.TICKET, websocket=True,
            summary="WebSocket: live events for table subscriptions (see docs/websockets.md)",
            query=(QueryParam(name="ticket", description="from POST /ws/ticket", required=True),))
async def watch_socket(request: web.Request) -> web.StreamResponse:
    """Ticket and Origin are checked before the upgrade; then subscriptions are served."""
    principal = await authorize_upgrade(request)
    async with open_websocket(request, WATCH_SOCKET_LIMITS) as socket:
        await WatchSession(request, socket, principal).run()
    return socket.ws
