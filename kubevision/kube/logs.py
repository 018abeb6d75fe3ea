"""Pod log streams: one container's log, or many pods' logs merged, fed into a bounded `LogBuffer`.

Design:
- Logs are streamed from `GET .../pods/{name}/log` (chunked, `follow=true` keeps it open), split into
  lines here (a line longer than `MAX_LINE_BYTES` is cut into pieces) and decoded as UTF-8 with
  replacement, so a binary log cannot break a JSON frame.
- Back-pressure: readers `await LogBuffer.put_lines()`, which waits while `MAX_BUFFERED_BYTES` are queued.
  A reader that waits stops reading its HTTP response; aiohttp then stops reading the socket and TCP
  flow control slows the API server (and the kubelet) down. The writer empties the buffer only as fast as
  the browser's WebSocket accepts frames, so a slow browser never makes the server buffer without bound.
- Control frames (`end`, `error`, `pod-start`, `pod-end`, `pod-error`) share the buffer's FIFO with the
  lines, so a pod's `pod-end` always follows its last line, but they never wait (they are few).
- Aggregated logs follow the pod informer (`cluster.caches.cache_for(pods)`): a listener starts a stream
  per container for each matching pod once it has started, and ends the pod's streams with a `pod-end`
  when the pod is deleted or stops matching the selector. No extra watch per socket.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson

from kubevision.errors import ApiError, ErrorCode, api_error_for, error_fields
from kubevision.kube.cache import CacheEntry, KindCache
from kubevision.kube.clusters import Cluster
from kubevision.kube.errors import KubeError
from kubevision.kube.registry import path_segment
from kubevision.kube.selectors import Predicate, SelectorError, parse_label_selector
from kubevision.tasks import create_named_task, stop_tasks, wait_set

log = logging.getLogger(__name__)

Frame = dict[str, Any]

# A line longer than this is cut into several (a log without newlines must not grow a buffer forever).
MAX_LINE_BYTES = 64 * 1024
# Lines per `log` frame; a frame is sent once this many are waiting or the batch window has passed.
MAX_BATCH_LINES = 500
# The first line of a batch waits at most this long for company before it is sent.
BATCH_WINDOW_S = 0.1
# Bytes of lines queued per socket before readers stop reading their upstream responses.
MAX_BUFFERED_BYTES = 1024 * 1024
# Concurrent container streams of one aggregated socket (kubectl's default is 5; a dashboard shows more).
MAX_LOG_STREAMS = 50
# Without `tailLines`, aggregated streams start this many lines back per container (as `kubectl logs -l`).
DEFAULT_AGGREGATED_TAIL_LINES = 10
# How long an aggregated stream waits for the pod informer's first list before using a live list.
POD_CACHE_SYNC_TIMEOUT_S = 10.0
DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"
TERMINAL_FRAMES = frozenset({"end", "error"})
STARTED_PHASES = frozenset({"Running", "Succeeded", "Failed"})
FINISHED_PHASES = frozenset({"Succeeded", "Failed"})


@dataclasses.dataclass(frozen=True, kw_only=True)
class LogOptions:
    """Query options of a log stream, as the API server's `pods/log` takes them."""

    container: str | None = None
    tail_lines: int | None = None
    follow: bool = True
    timestamps: bool = False
    previous: bool = False
    since_seconds: int | None = None
    # One pod's socket only (not sent to the API server): after the container restarts, stream the new one.
    follow_restarts: bool = False

    def from_first_line(self) -> LogOptions:
        """These options for a new container instance: its whole log, however far back the first stream began."""
        return dataclasses.replace(self, tail_lines=None, since_seconds=None)

    def params(self, container: str) -> dict[str, Any]:
        """The `pods/log` query for one container."""
        return {"container": container, "follow": self.follow, "tailLines": self.tail_lines,
                "timestamps": self.timestamps, "previous": self.previous, "sinceSeconds": self.since_seconds}


# -- containers and selectors --------------------------------------------------------------------------
def container_names(pod: dict[str, Any], *, including_init: bool = False) -> list[str]:
    """Names of the pod's containers (optionally init and ephemeral containers too)."""
    spec = pod.get("spec") or {}
    names = [c.get("name") for c in spec.get("containers") or []]
    if including_init:
        names += [c.get("name") for c in (spec.get("initContainers") or []) + (spec.get("ephemeralContainers") or [])]
    return [n for n in names if n]


def choose_container(pod: dict[str, Any], requested: str | None) -> str:
    """The container to use: the requested one (40400 if absent), the only one, the
    `kubectl.kubernetes.io/default-container` annotation, else 40001 listing the choices."""
    metadata = pod.get("metadata") or {}
    name = metadata.get("name")
    names = container_names(pod)
    every = container_names(pod, including_init=True)
    if requested:
        if requested in every:
            return requested
        raise ApiError(ErrorCode.NOT_FOUND, f"container {requested!r} not found in pod {name!r}; "
                                            f"containers: {', '.join(every)}", data={"containers": every})
    if len(names) == 1:
        return names[0]
    default = (metadata.get("annotations") or {}).get(DEFAULT_CONTAINER_ANNOTATION)
    if default in names:
        return default
    raise ApiError(ErrorCode.PARAM_MISSING, f"pod {name!r} has several containers; choose one with "
                                            f"container=: {', '.join(every)}", data={"containers": every})


def workload_selector(workload: dict[str, Any]) -> str:
    """A workload's `spec.selector` (matchLabels + matchExpressions) as a label-selector string."""
    selector = (workload.get("spec") or {}).get("selector") or {}
    parts = [f"{key}={value}" for key, value in (selector.get("matchLabels") or {}).items()]
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key"), expression.get("operator")
        values = ",".join(expression.get("values") or [])
        if operator == "In":
            parts.append(f"{key} in ({values})")
        elif operator == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif operator == "Exists":
            parts.append(str(key))
        elif operator == "DoesNotExist":
            parts.append(f"!{key}")
        else:
            raise ApiError(ErrorCode.PARAM_INVALID, f"unsupported selector operator {operator!r}")
    if not parts:
        name = (workload.get("metadata") or {}).get("name")
        raise ApiError(ErrorCode.PARAM_INVALID, f"{name!r} has no pod selector")
    return ",".join(parts)


def selector_predicate(selector: str) -> Predicate:
    """The in-memory predicate of a label selector (40002 when invalid, 40001 when empty)."""
    try:
        predicate = parse_label_selector(selector)
    except SelectorError as exc:
        raise ApiError(ErrorCode.PARAM_INVALID, str(exc)) from None
    if predicate is None:
        raise ApiError(ErrorCode.PARAM_MISSING, "labelSelector is required")
    return predicate


# -- reading one stream --------------------------------------------------------------------------------
def log_path(namespace: str, pod: str) -> str:
    """The `pods/log` URL."""
    return f"/api/v1/namespaces/{path_segment(namespace, 'namespace')}/pods/{path_segment(pod, 'pod')}/log"


@contextlib.asynccontextmanager
async def open_log(cluster: Cluster, namespace: str, pod: str, container: str,
                   options: LogOptions) -> AsyncIterator[aiohttp.ClientResponse]:
    """The open `pods/log` response (status already checked: errors raise `KubeError` here)."""
    cluster.touch()
    async with cluster.connection.stream(log_path(namespace, pod), params=options.params(container)) as response:
        yield response


def _decode(raw: bytes) -> str:
    return raw.rstrip(b"\r").decode("utf-8", "replace")


async def read_lines(response: aiohttp.ClientResponse) -> AsyncIterator[list[str]]:
    """Complete lines of a log response, in groups of at most `MAX_BATCH_LINES` per chunk read."""
    pending = b""
    async for chunk in response.content.iter_any():
        pending += chunk
        *complete, pending = pending.split(b"\n")
        while len(pending) > MAX_LINE_BYTES:
            complete.append(pending[:MAX_LINE_BYTES])
            pending = pending[MAX_LINE_BYTES:]
        for start in range(0, len(complete), MAX_BATCH_LINES):
            yield [_decode(line) for line in complete[start:start + MAX_BATCH_LINES]]
    if pending:
        yield [_decode(pending)]


# -- the bounded, ordered buffer -----------------------------------------------------------------------
class LogBuffer:
    """FIFO of line groups and control frames between readers and the one socket writer."""

    def __init__(self, max_bytes: int = MAX_BUFFERED_BYTES) -> None:
        self._items: collections.deque[tuple[list[Any] | None, Frame | None, int]] = collections.deque()
        self._bytes = 0
        self._lines = 0
        self._max_bytes = max_bytes
        self._space = asyncio.Event()
        self._space.set()
        self._ready = asyncio.Event()

    @property
    def buffered_bytes(self) -> int:
        """Bytes of lines waiting for the writer."""
        return self._bytes

    async def put_lines(self, lines: list[Any], size: int) -> None:
        """Queue lines (`size` their bytes); waits while the buffer is full (back-pressure)."""
        while self._bytes >= self._max_bytes:
            self._space.clear()
            await self._space.wait()
        self._items.append((lines, None, size))
        self._bytes += size
        self._lines += len(lines)
        self._ready.set()

    def put_frame(self, frame: Frame) -> None:
        """Queue a control frame (never waits)."""
        self._items.append((None, frame, 0))
        self._ready.set()

    async def next_frames(self) -> AsyncIterator[Frame]:
        """Frames in order: line groups merged into `log` frames of ≤ `MAX_BATCH_LINES` lines, sent once that
        many wait or `BATCH_WINDOW_S` after the first; space is released as frames are taken."""
        while True:
            while not self._items:
                self._ready.clear()
                await self._ready.wait()
            if self._items[0][0] is not None and self._lines < MAX_BATCH_LINES:
                await asyncio.sleep(BATCH_WINDOW_S)
            while self._items:
                yield self._pop_frame()

    def _pop_frame(self) -> Frame:
        lines, frame, size = self._items.popleft()
        if frame is not None:
            return frame
        assert lines is not None
        batch = list(lines)
        released = size
        while self._items and self._items[0][0] is not None and len(batch) + len(self._items[0][0]) <= MAX_BATCH_LINES:
            more, _, more_size = self._items.popleft()
            assert more is not None
            batch.extend(more)
            released += more_size
        self._bytes -= released
        self._lines -= len(batch)
        if self._bytes < self._max_bytes:
            self._space.set()
        return {"type": "log", "lines": batch}


def stream_error(error: BaseException) -> ApiError:
    """The coded error a stream's failure is reported as: a coded error's own, 50200 for a broken connection
    to the API server, 50000 (not described) for an unexpected one."""
    if (translated := api_error_for(error)) is not None:
        return translated
    if isinstance(error, (aiohttp.ClientError, OSError)):
        return ApiError(ErrorCode.CLUSTER_UNAVAILABLE,
                        f"log stream from the API server broke: {error or type(error).__name__}")
    return ApiError(ErrorCode.INTERNAL, "internal error")


def error_frame(error: BaseException) -> Frame:
    """The `error` frame for a failure (an unexpected one is not described)."""
    return {"type": "error", **error_fields(stream_error(error))}


STREAM_ERRORS = (KubeError, aiohttp.ClientError, OSError)


async def pump_pod_log(cluster: Cluster, namespace: str, pod: str, container: str, options: LogOptions,
                       buffer: LogBuffer, *, pod_cache: KindCache | None = None, restarts: int = 0,
                       waiting: Frame | None = None, start_cache: KindCache | None = None) -> None:
    """Copy one container's log into the buffer, then an `end` (or an `error`) frame.

    A container that has not started yet (`waiting`, from `container_waiting`) has no log to ask the API server
    for: the `waiting` frame says why; with a `start_cache` (follow) the stream waits for the pod informer to show
    it started (a new `waiting` frame each time the reason changes), sends `started` and streams; without one,
    or when the pod goes away first, `end` follows.

    With a `pod_cache` (follow with `follow_restarts`), the end of the stream is not the end: once the
    container's `restartCount` passes `restarts`, `container-restart` is sent and the new instance's whole
    log follows; `end` comes when the pod finishes or is deleted."""
    try:
        if waiting is not None:
            buffer.put_frame(waiting)
            if start_cache is None or not await wait_for_start(start_cache, namespace, pod, container, buffer,
                                                                waiting):
                buffer.put_frame({"type": "end"})
                return
            buffer.put_frame({"type": "started", "container": container})
        while True:
            async with open_log(cluster, namespace, pod, container, options) as response:
                async for lines in read_lines(response):
                    await buffer.put_lines(lines, sum(len(line) for line in lines))
            if pod_cache is None or (restarts := await wait_for_restart(pod_cache, namespace, pod, container,
                                                                        restarts)) is None:
                break
            buffer.put_frame({"type": "container-restart", "container": container, "restartCount": restarts})
            options = options.from_first_line()
    except STREAM_ERRORS as exc:
        buffer.put_frame(error_frame(exc))
        return
    buffer.put_frame({"type": "end"})


def container_waiting(pod: dict[str, Any], container: str) -> Frame | None:
    """Why a container has not started (a `waiting` frame: `container`, `reason`, `message`), from its state's
    waiting reason or, before the kubelet reports it, the pod's scheduling condition; None once it has started
    (an earlier instance counts: its log is there) or the pod has finished."""
    status = pod.get("status") or {}
    if status.get("phase") in FINISHED_PHASES:
        return None

    def frame(reason: str, message: str) -> Frame:
        return {"type": "waiting", "container": container, "reason": reason, "message": message}

    statuses = [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]
    current = next((entry for entry in statuses if entry.get("name") == container), None)
    if current is not None:
        state = current.get("state") or {}
        if "running" in state or "terminated" in state or "terminated" in (current.get("lastState") or {}):
            return None
        waiting = state.get("waiting") or {}
        return frame(str(waiting.get("reason") or "Waiting"), str(waiting.get("message") or ""))
    scheduled = next((c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"), None)
    if scheduled is not None and scheduled.get("status") == "False":
        return frame(str(scheduled.get("reason") or "Unschedulable"), str(scheduled.get("message") or ""))
    if not (pod.get("spec") or {}).get("nodeName"):
        return frame("Pending", "the pod is not scheduled to a node yet")
    return frame("Pending", "the kubelet has not reported the container yet")


async def _pod_changes(pod_cache: KindCache, namespace: str, pod: str) -> AsyncIterator[dict[str, Any] | None]:
    """The pod as the pod informer holds it now and after each of its events; None once it is gone (then the
    iteration ends). Ends too when the informer is not synced (nothing to wait with). Costs no requests."""
    changed = asyncio.Event()

    def listener(event_type: str, entry: CacheEntry) -> None:
        if entry.key == (namespace, pod):
            changed.set()

    pod_cache.listeners.add(listener)
    try:
        await wait_set(pod_cache.synced_event, POD_CACHE_SYNC_TIMEOUT_S)
        while pod_cache.synced:
            entry = pod_cache.entries.get((namespace, pod))
            changed.clear()
            yield None if entry is None else orjson.loads(entry.raw)
            if entry is None:
                return
            await changed.wait()
    finally:
        pod_cache.listeners.discard(listener)


async def wait_for_start(pod_cache: KindCache, namespace: str, pod: str, container: str, buffer: LogBuffer,
                         waiting: Frame) -> bool:
    """Wait until the container has started (True), or the pod is gone (False); a changed reason is sent as a
    new `waiting` frame. Driven by the pod informer's events, so waiting costs no requests."""
    async with contextlib.aclosing(_pod_changes(pod_cache, namespace, pod)) as changes:
        async for current in changes:
            if current is None:
                return False
            now = container_waiting(current, container)
            if now is None:
                return True
            if now != waiting:
                buffer.put_frame(now)
                waiting = now
    return False  # the pod informer never synced: nothing to wait with


async def wait_for_restart(pod_cache: KindCache, namespace: str, pod: str, container: str, seen: int) -> int | None:
    """Wait until the container's `restartCount` passes `seen` (returns it), or None once the pod has finished
    or is gone. Driven by the pod informer's events, so waiting costs no requests."""
    async with contextlib.aclosing(_pod_changes(pod_cache, namespace, pod)) as changes:
        async for current in changes:
            if current is None:
                return None
            count = restart_counts(current).get(container, 0)
            if count > seen:
                return count
            if (current.get("status") or {}).get("phase") in FINISHED_PHASES:
                return None
    return None  # the pod informer never synced: nothing to wait with


# -- many pods -------------------------------------------------------------------------------------------
@dataclasses.dataclass
class _PodStreams:
    """The open container streams of one pod, and the restart count of each container instance streamed."""

    tasks: dict[str, asyncio.Task[None]] = dataclasses.field(default_factory=dict)
    restarts: dict[str, int] = dataclasses.field(default_factory=dict)


def restart_counts(pod: dict[str, Any]) -> dict[str, int]:
    """`restartCount` per container name, for containers whose current instance has started (not waiting)."""
    return {status["name"]: int(status.get("restartCount") or 0)
            for status in (pod.get("status") or {}).get("containerStatuses") or []
            if "waiting" not in (status.get("state") or {})}


class AggregatedLogs:
    """Merged logs of every pod matching a selector in one namespace; pods join and leave live.

    Lines are `{pod, container, line}` objects. `pod-start` (with its containers) precedes a pod's lines,
    `pod-end` (reason `deleted`, `unmatched` or `completed`) follows them, `pod-error` reports one container
    stream that could not be opened. With `follow`, a container that restarts is followed again: its old
    stream ends, `container-restart` (with the new `restartCount`) follows, then the new instance's whole
    log; the pod ends (`completed`) once it has finished. Without `follow` the socket ends (`end`) once
    every initial stream ended.
    """

    def __init__(self, cluster: Cluster, pod_cache: KindCache, *, namespace: str, selector: str,
                 options: LogOptions, buffer: LogBuffer) -> None:
        self._cluster = cluster
        self._cache = pod_cache
        self._namespace = namespace
        self._selector = selector
        self._matches = selector_predicate(selector)
        self._options = options if options.tail_lines is not None or options.since_seconds is not None else \
            dataclasses.replace(options, tail_lines=DEFAULT_AGGREGATED_TAIL_LINES)
        self._buffer = buffer
        self._pods: dict[str, _PodStreams] = {}
        self._finished: set[str] = set()
        self._stream_count = 0
        self._idle = asyncio.Event()

    async def run(self) -> None:
        """Stream until cancelled (follow) or until the initial pods' streams ended (no follow)."""
        listener = self._on_event
        if self._options.follow:
            self._cache.listeners.add(listener)
        try:
            for pod in await self._initial_pods():
                self._consider(pod)
            if not self._options.follow:
                if self._pods:
                    await self._idle.wait()
                self._buffer.put_frame({"type": "end"})
                return
            await asyncio.Event().wait()  # until cancelled: pods keep joining and leaving
        finally:
            self._cache.listeners.discard(listener)
            tasks = [task for streams in self._pods.values() for task in streams.tasks.values()]
            self._pods.clear()
            await stop_tasks(tasks)

    async def _initial_pods(self) -> list[dict[str, Any]]:
        if self._cache.store:
            await wait_set(self._cache.synced_event, POD_CACHE_SYNC_TIMEOUT_S)
            if self._cache.synced:
                return [orjson.loads(entry.raw) for key, entry in list(self._cache.entries.items())
                        if key[0] == self._namespace and self._matches(entry.row["labels"])]
        listing = await self._cluster.request("GET", self._cache.kind.collection_path(self._namespace),
                                              params={"labelSelector": self._selector})
        return list(listing.get("items") or [])

    def _on_event(self, event_type: str, entry: CacheEntry) -> None:
        namespace, name = entry.key
        if namespace != self._namespace:
            return
        if event_type == "DELETED":
            self._finished.discard(name)  # a StatefulSet pod may come back under the same name
            self._end_pod(name, "deleted")
        elif not self._matches(entry.row["labels"]):
            self._end_pod(name, "unmatched")
        else:
            self._consider(orjson.loads(entry.raw))

    def _consider(self, pod: dict[str, Any]) -> None:
        """Start streaming a matching pod once its containers have started (idempotent); follow restarts."""
        name = (pod.get("metadata") or {}).get("name") or ""
        if name in self._pods:
            self._follow_restarts(pod, self._pods[name])
            return
        if name in self._finished:
            return
        if (pod.get("status") or {}).get("phase") not in STARTED_PHASES:
            return  # Pending: a later MODIFIED event brings it back here
        containers = container_names(pod)
        wanted = self._options.container
        if wanted:
            if wanted not in container_names(pod, including_init=True):
                return
            containers = [wanted]
        streams = _PodStreams()
        self._pods[name] = streams
        self._buffer.put_frame({"type": "pod-start", "pod": name, "containers": containers})
        restarts = restart_counts(pod)
        for container in containers:
            self._start_stream(name, container, streams, restarts.get(container, 0), self._options)
        if not streams.tasks:
            self._end_pod(name, "completed")

    def _start_stream(self, pod: str, container: str, streams: _PodStreams, restarts: int,
                      options: LogOptions) -> None:
        streams.restarts[container] = restarts
        if self._stream_count >= MAX_LOG_STREAMS:
            self._buffer.put_frame({"type": "pod-error", "pod": pod, "container": container,
                                    "code": int(ErrorCode.PARAM_INVALID),
                                    "message": f"at most {MAX_LOG_STREAMS} log streams per socket"})
            return
        self._stream_count += 1
        streams.tasks[container] = create_named_task(self._pump(pod, container, options),
                                                     name=f"logs-{self._namespace}/{pod}/{container}")

    def _follow_restarts(self, pod: dict[str, Any], streams: _PodStreams) -> None:
        """Stream the new instance of each ended container that has restarted; end a pod that has finished."""
        name = pod["metadata"]["name"]
        if not self._options.follow:
            return
        for container, restarts in restart_counts(pod).items():
            if container in streams.restarts and container not in streams.tasks \
                    and restarts > streams.restarts[container]:
                self._buffer.put_frame({"type": "container-restart", "pod": name, "container": container,
                                        "restartCount": restarts})
                self._start_stream(name, container, streams, restarts, self._options.from_first_line())
        if not streams.tasks and (pod.get("status") or {}).get("phase") != "Running":
            self._end_pod(name, "completed")

    async def _pump(self, pod: str, container: str, options: LogOptions) -> None:
        overhead = len(pod) + len(container) + 32
        try:
            async with open_log(self._cluster, self._namespace, pod, container, options) as response:
                async for lines in read_lines(response):
                    await self._buffer.put_lines(
                        [{"pod": pod, "container": container, "line": line} for line in lines],
                        sum(len(line) + overhead for line in lines))
        except STREAM_ERRORS as exc:
            self._buffer.put_frame({**error_frame(exc), "type": "pod-error", "pod": pod, "container": container})
        self._stream_done(pod, container)

    def _stream_done(self, pod: str, container: str) -> None:
        self._stream_count -= 1
        streams = self._pods.get(pod)
        if streams is None:
            return
        streams.tasks.pop(container, None)
        if self._options.follow:
            entry = self._cache.entries.get((self._namespace, pod))
            if entry is None:  # its DELETED event came first
                self._end_pod(pod, "deleted")
            else:
                self._follow_restarts(orjson.loads(entry.raw), streams)  # it may have restarted already
        elif not streams.tasks:
            self._end_pod(pod, "completed")

    def _end_pod(self, pod: str, reason: str) -> None:
        streams = self._pods.pop(pod, None)
        if streams is None:
            return
        for task in streams.tasks.values():
            if task is not asyncio.current_task():
                task.cancel()
                self._stream_count -= 1
        if reason == "completed":
            self._finished.add(pod)  # not restarted by its later MODIFIED events
        self._buffer.put_frame({"type": "pod-end", "pod": pod, "reason": reason})
        if not self._pods:
            self._idle.set()
