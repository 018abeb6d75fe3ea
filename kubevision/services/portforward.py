"""Managed port-forwards (start of issue 16): a forward keeps its local port while the pod behind its service or
workload changes.

A `ManagedForward` owns one `PortForwarder` (the listener) and a supervisor task. The supervisor resolves the
target to a ready pod and serves it (`active`); when that pod stops being ready or goes away, open connections
are ended and it looks again (`reconnecting`), and with no ready pod it waits (`waiting`) — woken by the pod
watch (a listener on the cluster's pods cache), never by polling. Resolution failures that the cluster may
still fix (unreachable, no pod yet) retry with jittered exponential backoff between `RECONNECT_BACKOFF_MIN_S`
and `RECONNECT_BACKOFF_MAX_S`; errors in the definition itself (no such port, target deleted, Forbidden)
end it as `failed` with the reason. New connections while no pod is ready are accepted and closed at once.

Before its first resolution a forward waits for its cluster to answer (`waiting`, retried with the same
backoff) and runs its `authorize` hook (a saved forward started with the server checks its owner's access
there). A forward started with `start_retrying_bind` (saved ones, with the server) whose local port is taken stays
`failed` with the reason and binds it once it is free (backoff `BIND_RETRY_MIN_S` to `BIND_RETRY_MAX_S`). Who may
forward, saved forwards, audit and live state: `services/port_forwards.py`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from kubevision.errors import ApiError, CodedError
from kubevision.kube.cache import CacheEntry, KindCache
from kubevision.kube.clusters import Cluster
from kubevision.kube.errors import ForbiddenError, KubeError, NotFoundError
from kubevision.kube.portforward import (
    DEFAULT_HOST,
    ForwardTarget,
    ForwardTargetError,
    NoReadyPodError,
    PodPortStream,
    PortForwarder,
    ResolvedPort,
    ready_pods,
    resolve_target,
    target_selector,
)
from kubevision.tasks import create_named_task, stop_tasks, wait_set

log = logging.getLogger(__name__)

# Backoff between attempts to find or reach a pod again (doubling, ±20 % jitter, reset once active).
RECONNECT_BACKOFF_MIN_S = 0.2
RECONNECT_BACKOFF_MAX_S = 10.0
BACKOFF_JITTER = 0.2
# Without pod events, the target is read again this often (a changed Service selector is noticed, and the cluster
# is used, so it does not go idle under a forward).
RECHECK_S = 60.0
# A forward started with `start_retrying_bind` (a saved one, when the server starts) whose local port is taken stays
# `failed` and tries to bind it again after this long, doubling (±20 % jitter) up to the maximum, until it can.
BIND_RETRY_MIN_S = 1.0
BIND_RETRY_MAX_S = 30.0
BIND_RETRY_NOTE = "retrying until it is free"
# Errors in the forward's definition: retrying cannot help.
_DEFINITION_ERRORS = (ForwardTargetError, ForbiddenError, NotFoundError)

class ForwardState(enum.StrEnum):
    """Where a managed forward stands."""

    STARTING = "starting"
    ACTIVE = "active"
    RECONNECTING = "reconnecting"
    WAITING = "waiting"  # for a ready pod, or for the cluster to answer (the reason says which)
    FAILED = "failed"
    STOPPED = "stopped"


@dataclasses.dataclass(frozen=True)
class ForwardDefinition:
    """What a user asked to forward (the part a saved forward will store)."""

    cluster_id: int
    target: ForwardTarget
    local_host: str = DEFAULT_HOST
    local_port: int = 0


class ManagedForward:
    """One forward: a local listener that follows its target's ready pods."""

    def __init__(self, definition: ForwardDefinition, cluster: Cluster, *,
                 on_change: Callable[[ManagedForward], None] | None = None,
                 authorize: Callable[[], Awaitable[None]] | None = None) -> None:
        self.definition = definition
        self.cluster = cluster
        self.state = ForwardState.STARTING
        self.reason = ""
        self.current: ResolvedPort | None = None
        self.reconnects = 0
        self.on_change = on_change
        self.forwarder = PortForwarder(self._open_stream, host=definition.local_host, port=definition.local_port,
                                       on_error=self._on_stream_error)
        self._authorize = authorize
        self._pods_cache: KindCache | None = None  # attached once the cluster answers
        self._pods_changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._served = False  # a pod was served once: finding another one counts as a reconnect
        self._reported: tuple[ForwardState, str, str | None] = (self.state, self.reason, None)
        self._refused: ForbiddenError | None = None  # Kubernetes RBAC refused `pods/portforward` to a connection

    @property
    def address(self) -> tuple[str, int]:
        """The local address (stable across reconnects)."""
        return self.forwarder.address

    async def start(self) -> None:
        """Bind the local port (an `OSError` if taken) and start following the target."""
        await self.forwarder.start()
        self._task = create_named_task(self._supervise(), name=f"portforward-{self.definition.target.describe()}")

    async def start_retrying_bind(self, explain: Callable[[OSError], str]) -> OSError | None:
        """Like `start`, but a local port that cannot be bound leaves the forward `failed` with the reason (`explain`
        of the error, and that it is retried) and binds it as soon as it is free (backoff `BIND_RETRY_MIN_S` to
        `BIND_RETRY_MAX_S`), then follows the target. Returns the first bind error, None when it bound at once."""
        try:
            await self.start()
        except OSError as error:
            self._set(ForwardState.FAILED, f"{explain(error)}; {BIND_RETRY_NOTE}")
            self._task = create_named_task(self._bind_then_supervise(explain),
                                           name=f"portforward-bind-{self.definition.target.describe()}")
            return error
        return None

    async def _bind_then_supervise(self, explain: Callable[[OSError], str]) -> None:
        backoff = BIND_RETRY_MIN_S
        while True:
            await self._sleep(backoff)
            backoff = min(backoff * 2, BIND_RETRY_MAX_S)
            try:
                await self.forwarder.start()
            except OSError as error:
                self._set(ForwardState.FAILED, f"{explain(error)}; {BIND_RETRY_NOTE}")
                continue
            self._set(ForwardState.STARTING)
            await self._supervise()
            return

    async def aclose(self) -> None:
        """Stop: the listener, its connections and the supervisor."""
        if self._pods_cache is not None:
            self._pods_cache.listeners.discard(self._on_pod_event)
        if self._task is not None:
            await stop_tasks([self._task])
        await self.forwarder.aclose()
        self._set(ForwardState.STOPPED)

    def describe(self) -> dict[str, Any]:
        """The JSON shape for a forwards list."""
        target, stats = self.definition.target, self.forwarder.stats
        host, port = self.address if self.forwarder.listening else (self.definition.local_host,
                                                                     self.definition.local_port)
        return {"clusterId": self.definition.cluster_id, "kind": target.kind, "namespace": target.namespace,
                "name": target.name, "port": target.port, "state": self.state.value, "reason": self.reason or None,
                "bindAddress": host, "localPort": port, "listening": self.forwarder.listening,
                "pod": self.current.pod if self.current else None,
                "podPort": self.current.port if self.current else None, "reconnects": self.reconnects,
                "connections": stats.connections_active, "connectionsTotal": stats.connections_total,
                "bytesToPod": stats.bytes_to_pod, "bytesFromPod": stats.bytes_from_pod, "errors": stats.errors,
                "lastError": stats.last_error}

    def _set(self, state: ForwardState, reason: str = "") -> None:
        """Change state; `on_change` hears of every change of state, reason or pod."""
        self.state, self.reason = state, reason
        reported = (state, reason, self.current.pod if self.current else None)
        if reported == self._reported:
            return
        self._reported = reported
        log.info("port-forward %s: %s%s", self.definition.target.describe(), state.value,
                 f" ({reason})" if reason else "")
        if self.on_change is not None:
            self.on_change(self)

    def _on_stream_error(self, error: KubeError) -> None:
        """A connection failed: look again (the pod may be gone); RBAC refusing `pods/portforward` ends the forward
        (it would refuse every connection), with the API server's text as the reason."""
        if isinstance(error, ForbiddenError):
            self._refused = error
        self._pods_changed.set()

    def _on_pod_event(self, _event_type: str, entry: CacheEntry) -> None:
        if entry.key[0] == self.definition.target.namespace:
            self._pods_changed.set()

    async def _open_stream(self) -> PodPortStream:
        current = self.current
        if current is None:
            raise NoReadyPodError(f"{self.definition.target.describe()}: {self.state.value}")
        return await PodPortStream.open(self.cluster, self.definition.target.namespace, current.pod, current.port)

    async def _attach(self) -> bool:
        """Wait until the cluster answers (`waiting`, retried with backoff): check the owner's access (when an
        `authorize` hook is given) and attach to the pods cache. False when the forward failed instead."""
        backoff = RECONNECT_BACKOFF_MIN_S
        while True:
            try:
                if self._authorize is not None:
                    await self._authorize()
                registry = await self.cluster.registry()
                break
            except KubeError as error:
                self._set(ForwardState.WAITING, f"cluster {self.cluster.name} does not answer: {error.message}")
            except (ApiError, CodedError) as error:
                self._set(ForwardState.FAILED, error.message)
                return False
            await self._sleep(backoff)
            backoff = min(backoff * 2, RECONNECT_BACKOFF_MAX_S)
        self._pods_cache = self.cluster.caches.cache_for(registry.lookup("pods"))
        self._pods_cache.listeners.add(self._on_pod_event)
        return True

    async def _wait_for_pods(self) -> None:
        """Until a pod event of the namespace, or `RECHECK_S` (the target is then read again, which also keeps
        the cluster from going idle under a forward)."""
        await wait_set(self._pods_changed, RECHECK_S)

    async def _supervise(self) -> None:
        if not await self._attach():
            return
        backoff = RECONNECT_BACKOFF_MIN_S
        while True:
            self._pods_changed.clear()
            try:
                if self._refused is not None:
                    raise self._refused
                resolved = await self._resolve()
            except _DEFINITION_ERRORS as error:
                await self._lose_pod()
                self._set(ForwardState.FAILED, error.message)
                return
            except NoReadyPodError as error:
                await self._lose_pod()
                self._set(ForwardState.WAITING, error.message)
                await self._wait_for_pods()
                continue
            except KubeError as error:
                await self._lose_pod()
                self._set(ForwardState.RECONNECTING, error.message)
                await self._sleep(backoff)
                backoff = min(backoff * 2, RECONNECT_BACKOFF_MAX_S)
                continue
            if self.current is not None and self.current != resolved:
                await self._lose_pod()
            if self.current is None and self._served:
                self.reconnects += 1
            self._served = True
            self.current, backoff = resolved, RECONNECT_BACKOFF_MIN_S
            self._set(ForwardState.ACTIVE)
            await self._wait_for_pods()

    async def _lose_pod(self) -> None:
        """The current pod is no longer served: its open connections fail, new ones wait for the next."""
        if self.current is not None:
            self.current = None
            await self.forwarder.close_connections()

    async def _sleep(self, backoff: float) -> None:
        """Wait out the backoff; a pod event does not cut it short (the cluster may be what failed)."""
        await asyncio.sleep(backoff * random.uniform(1 - BACKOFF_JITTER, 1 + BACKOFF_JITTER))

    async def _resolve(self) -> ResolvedPort:
        """The ready pod and port to serve now (the current one while it stays ready): the target from the API
        server, pods from the cache (listed when the cache does not store pods or has not synced yet)."""
        target = self.definition.target
        kind = (await self.cluster.registry()).lookup(target.kind)
        obj = await self.cluster.request("GET", kind.object_path(target.name, target.namespace))
        if target.kind == "pods":
            return resolve_target(target, obj)
        pods = await self._pods(target, obj)
        current = self.current
        if current is not None and any(pod["metadata"].get("uid") == current.uid
                                       for pod in ready_pods(pods, target_selector(target.kind, obj))):
            return current
        return resolve_target(target, obj, pods)

    async def _pods(self, target: ForwardTarget, obj: dict[str, Any]) -> list[dict[str, Any]]:
        cache = self._pods_cache
        if cache is not None and cache.store and cache.synced:
            return [orjson.loads(entry.raw) for key, entry in cache.entries.items() if key[0] == target.namespace]
        listing = await self.cluster.request("GET", f"/api/v1/namespaces/{target.namespace}/pods",
                                             params={"labelSelector": target_selector(target.kind, obj)})
        return list(listing.get("items") or [])


__all__ = ["ForwardDefinition", "ForwardState", "ManagedForward"]
