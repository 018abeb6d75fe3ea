"""Port-forward to a pod through the API server's `pods/{name}/portforward` subresource, over WebSocket.

Protocol `v4.channel.k8s.io` (as the kubelet serves it in `pkg/kubelet/cri/streaming/portforward/websocket.go`
with `apiserver/pkg/util/wsstream`): the query names the ports (`ports=8080`); port `i` gets a data channel
`2i` (both ways) and an error channel `2i+1` (server to client). Every binary message starts with its channel
byte. The first message the server sends on each channel carries the port as 2 bytes, little-endian; later
messages are payload. Client messages carry no such prefix. The error channel carries text (the kubelet's
"error forwarding port ...") just before the server closes. There is no half-close: one WebSocket is one TCP
connection to the pod port, so a local listener opens one stream per accepted connection.

WebSocket (a GET) rather than SPDY (a POST): aiohttp speaks WebSocket and no maintained Python library speaks
SPDY/3.1. The API server therefore authorizes `get` on `pods/portforward` (SPDY: `create`); 1.35+ with the
`AuthorizePodWebsocketUpgradeCreatePermission` gate also requires `create`. Newer API servers additionally
accept SPDY tunnelled over WebSocket (`SPDY/3.1+portforward.k8s.io`, kubectl 1.30+); they still proxy
`v4.channel.k8s.io` to the kubelet unchanged.

Backpressure (each direction holds a bounded amount and then stops reading from its source):
local → pod: at most `LOCAL_READ_CHUNK_BYTES` per read (the stream reader pauses its socket at twice that),
then the WebSocket writer waits for its transport to drain; pod → local: one message at a time, written to
the local socket and drained down to `LOCAL_WRITE_HIGH_WATER_BYTES` before the next is read (aiohttp's
WebSocket reader pauses the API server's socket once 128 KiB are queued).

Target resolution (`resolve_target`) is pure: a service or workload and the namespace's pods go in, a ready
pod and its container port number come out.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
import struct
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import aiohttp

from kubevision.errors import ErrorCode
from kubevision.kube.clusters import Cluster
from kubevision.kube.errors import KubeError
from kubevision.kube.registry import Capability, builtin_plurals, path_segment
from kubevision.kube.selectors import parse_label_selector
from kubevision.tasks import create_named_task

log = logging.getLogger(__name__)

PORTFORWARD_PROTOCOL = "v4.channel.k8s.io"
CH_DATA, CH_ERROR = 0, 1
PORT_PREFIX = struct.Struct("<H")  # the first message on each channel: the port, uint16 little-endian
DEFAULT_HOST = "127.0.0.1"

# Bytes read from a local connection per WebSocket message (the reader buffers at most twice this).
LOCAL_READ_CHUNK_BYTES = 64 * 1024
# Bytes queued for a local connection before reading the next message from the pod waits.
LOCAL_WRITE_HIGH_WATER_BYTES = 256 * 1024
# Open connections per local listener; more are accepted and closed at once (the error is recorded).
MAX_CONNECTIONS_PER_FORWARD = 128
# Pending connections in the listen queue.
LISTEN_BACKLOG = 128
# Error-channel text kept per stream (the kubelet sends one line).
MAX_ERROR_BYTES = 4096
# After the local side stopped sending (half-close), the pod's answer is still relayed until it closes or
# sends nothing for this long (the channel protocol has no half-close to pass on).
HALF_CLOSED_IDLE_S = 3.0
# Closing a stream waits this long for the server's close frame.
STREAM_CLOSE_TIMEOUT_S = 2.0
# Handshake refusals whose reason is fetched with a plain GET (RBAC, missing pod: decided by the API server).
EXPLAINED_REFUSALS = frozenset({403, 404})

TARGET_KINDS = builtin_plurals(Capability.PORT_FORWARD)
_PORT_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$")  # IANA_SVC_NAME, as Kubernetes validates it

Obj = Mapping[str, Any]


class PortForwardError(KubeError):
    """The stream to the pod port failed: the kubelet's error-channel text, or a broken or garbled stream."""

    error_code = ErrorCode.CLUSTER_UNAVAILABLE


class ForwardTargetError(KubeError):
    """The target has no such port, or its ports cannot be forwarded (UDP, no selector)."""

    error_code = ErrorCode.PARAM_INVALID


class NoReadyPodError(KubeError):
    """No ready pod behind the service or workload right now (a forward waits for one)."""

    error_code = ErrorCode.NOT_FOUND


# -- one stream ------------------------------------------------------------------------------------------


class PodPortStream:
    """One TCP connection to a port of a pod, carried by one WebSocket through the API server."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, *, namespace: str, pod: str, port: int,
                 cluster_name: str) -> None:
        self.namespace = namespace
        self.pod = pod
        self.port = port
        self.cluster_name = cluster_name
        self.messages_received = 0
        self._ws = ws
        self._prefix_missing = {CH_DATA: PORT_PREFIX.size, CH_ERROR: PORT_PREFIX.size}
        self._prefix = {CH_DATA: b"", CH_ERROR: b""}
        self._error = bytearray()

    @classmethod
    async def open(cls, cluster: Cluster, namespace: str, pod: str, port: int) -> PodPortStream:
        """Connect to `port` of the pod; refusals (RBAC, missing pod) raise the API server's error."""
        port = check_port_number(port)
        path = portforward_path(namespace, pod)
        params = [("ports", str(port))]
        cluster.touch()
        try:
            ws = await cluster.connection.ws_connect(path, params=params, protocols=(PORTFORWARD_PROTOCOL,))
        except KubeError as refused:
            what = f"pod {namespace}/{pod} port {port}"
            raise await _explain_refusal(cluster, path, params, refused, what=what) from refused
        return cls(ws, namespace=namespace, pod=pod, port=port, cluster_name=cluster.name)

    @property
    def closed(self) -> bool:
        """True once the WebSocket is closed (by either side)."""
        return self._ws.closed

    @property
    def error(self) -> str:
        """Error-channel text received so far."""
        return self._error.decode("utf-8", "replace")

    async def receive(self) -> bytes:
        """The next bytes from the pod port; b"" once the pod side closed. Raises `PortForwardError` with the
        kubelet's reason when it reported one, or when the stream broke."""
        while True:
            message = await self._ws.receive()
            if message.type == aiohttp.WSMsgType.BINARY:
                if not message.data:
                    continue
                channel, payload = message.data[0], self._payload(message.data[0], message.data[1:])
                if channel == CH_DATA and payload:
                    self.messages_received += 1
                    return payload
                if channel == CH_ERROR and payload:
                    self._error += payload[:MAX_ERROR_BYTES - len(self._error)]
                continue
            if message.type == aiohttp.WSMsgType.TEXT:
                continue  # the binary protocol never sends text; ignore rather than guess
            if self._error:
                raise self._failure(self.error)
            if message.type == aiohttp.WSMsgType.ERROR:
                raise self._failure(f"the stream broke: {self._ws.exception() or 'connection lost'}")
            return b""

    def _payload(self, channel: int, data: bytes) -> bytes:
        """Strip (and check) the port prefix of the first message(s) of a channel."""
        missing = self._prefix_missing.get(channel)
        if missing is None:
            raise self._failure(f"protocol error: message on unknown channel {channel}")
        if not missing:
            return data
        self._prefix[channel] += data[:missing]
        self._prefix_missing[channel] = PORT_PREFIX.size - len(self._prefix[channel])
        if not self._prefix_missing[channel] and PORT_PREFIX.unpack(self._prefix[channel])[0] != self.port:
            announced = PORT_PREFIX.unpack(self._prefix[channel])[0]
            raise self._failure(f"protocol error: channel {channel} announced port {announced}")
        return data[missing:]

    def _failure(self, reason: str) -> PortForwardError:
        return PortForwardError(f"port-forward to pod {self.namespace}/{self.pod} port {self.port}: {reason}",
                                cluster=self.cluster_name)

    async def send(self, data: bytes) -> None:
        """Bytes to the pod port (waits while the WebSocket's transport is full)."""
        await self._ws.send_bytes(bytes([CH_DATA]) + data)

    async def aclose(self) -> None:
        """Close the WebSocket (ends the connection to the pod port)."""
        if self._ws.closed:
            return
        with contextlib.suppress(TimeoutError, aiohttp.ClientError, ConnectionError):
            async with asyncio.timeout(STREAM_CLOSE_TIMEOUT_S):
                await self._ws.close()


def portforward_path(namespace: str, pod: str) -> str:
    """The `pods/portforward` URL of a pod."""
    return (f"/api/v1/namespaces/{path_segment(namespace, 'namespace')}/pods/"
            f"{path_segment(pod, 'pod')}/portforward")


async def _explain_refusal(cluster: Cluster, path: str, params: list[tuple[str, str]], refused: KubeError,
                           *, what: str) -> KubeError:
    """The refusal with the API server's own text. aiohttp drops the body of a refused WebSocket handshake;
    the same GET without the upgrade passes the same authorization (403) and pod lookup (404) and is then
    answered "Upgrade request required" without reaching the kubelet, so its `Status` explains those two."""
    if refused.status not in EXPLAINED_REFUSALS:
        return refused
    try:
        await cluster.connection.request("GET", path, params=dict(params))
    except KubeError as detailed:
        if detailed.status == refused.status:
            return detailed
    return type(refused)(f"port-forward to {what} was refused (HTTP {refused.status})",
                         status=refused.status, cluster=cluster.name)


# -- the local listener ----------------------------------------------------------------------------------

StreamOpener = Callable[[], Awaitable[PodPortStream]]


@dataclasses.dataclass
class ForwardStats:
    """Counters of one listener (for the forwards page)."""

    connections_active: int = 0
    connections_total: int = 0
    bytes_to_pod: int = 0
    bytes_from_pod: int = 0
    errors: int = 0
    last_error: str | None = None


class PortForwarder:
    """A local TCP listener; every accepted connection gets its own stream from `open_stream`.

    `open_stream` may be replaced while listening (a forward that moves to another pod keeps its port);
    `close_connections()` ends the open ones. Errors are counted, kept in `stats.last_error` and passed to
    `on_error`.
    """

    def __init__(self, open_stream: StreamOpener, *, host: str = DEFAULT_HOST, port: int = 0,
                 max_connections: int = MAX_CONNECTIONS_PER_FORWARD,
                 on_error: Callable[[KubeError], None] | None = None) -> None:
        self.open_stream = open_stream
        self.host = host
        self.requested_port = port
        self.max_connections = max_connections
        self.on_error = on_error
        self.stats = ForwardStats()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[Any]] = set()

    async def start(self) -> tuple[str, int]:
        """Listen; returns the bound (host, port). A port in use raises `OSError`."""
        self._server = await asyncio.start_server(self._accept, self.host, self.requested_port,
                                                  limit=LOCAL_READ_CHUNK_BYTES, backlog=LISTEN_BACKLOG)
        return self.address

    @property
    def listening(self) -> bool:
        """Whether `start` bound the port (and `aclose` has not released it)."""
        return self._server is not None and bool(self._server.sockets)

    @property
    def address(self) -> tuple[str, int]:
        """The bound address (after `start`)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the forwarder is not listening")
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    async def close_connections(self) -> None:
        """End every open connection (their streams are closed; the listener stays)."""
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def aclose(self) -> None:
        """Stop listening and end every connection."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await self.close_connections()

    def _record(self, error: KubeError) -> None:
        self.stats.errors += 1
        self.stats.last_error = error.message
        log.warning("port-forward %s:%s: %s", self.host, self.requested_port, error.message)
        if self.on_error is not None:
            self.on_error(error)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(self._connections) >= self.max_connections:
            self._record(PortForwardError(f"refused a connection: {self.max_connections} connections are open"))
            writer.close()
            return
        connection = create_named_task(self._serve(reader, writer),
                                       name=f"portforward-{self.host}:{self.requested_port}-connection")
        self._connections.add(connection)
        connection.add_done_callback(self._connections.discard)
        # Waited for, not awaited: asyncio's stream server (3.11) logs an error for a handler that ends cancelled.
        await asyncio.wait((connection,))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.connections_active += 1
        self.stats.connections_total += 1
        try:
            try:
                stream = await self.open_stream()
            except KubeError as exc:
                self._record(exc)
                return
            try:
                await self._relay(reader, writer, stream)
            finally:
                await stream.aclose()
        finally:
            self.stats.connections_active -= 1
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     stream: PodPortStream) -> None:
        writer.transport.set_write_buffer_limits(high=LOCAL_WRITE_HIGH_WATER_BYTES)
        name = f"portforward-{stream.namespace}/{stream.pod}:{stream.port}"
        upstream = create_named_task(self._to_pod(reader, stream), name=f"{name}-up")
        downstream = create_named_task(self._from_pod(stream, writer), name=f"{name}-down")
        try:
            await asyncio.wait((upstream, downstream), return_when=asyncio.FIRST_COMPLETED)
            if not downstream.done() and upstream.result():
                await self._linger(downstream, stream)
            if downstream.done() and (error := downstream.result()) is not None:
                self._record(error)
        finally:
            for task in (upstream, downstream):
                task.cancel()
            await asyncio.gather(upstream, downstream, return_exceptions=True)

    @staticmethod
    async def _linger(downstream: asyncio.Task[KubeError | None], stream: PodPortStream) -> None:
        """The local side half-closed: relay the pod's answer until it ends or idles `HALF_CLOSED_IDLE_S`."""
        while not downstream.done():
            seen = stream.messages_received
            await asyncio.wait((downstream,), timeout=HALF_CLOSED_IDLE_S)
            if stream.messages_received == seen:
                return

    async def _to_pod(self, reader: asyncio.StreamReader, stream: PodPortStream) -> bool:
        """Local bytes to the pod until the local side stops sending (True) or either side fails (False)."""
        try:
            while data := await reader.read(LOCAL_READ_CHUNK_BYTES):
                await stream.send(data)
                self.stats.bytes_to_pod += len(data)
        except (ConnectionError, aiohttp.ClientError):
            return False
        return True

    async def _from_pod(self, stream: PodPortStream, writer: asyncio.StreamWriter) -> KubeError | None:
        """The pod's bytes to the local connection until the pod side closes; its error, if it reported one."""
        try:
            while data := await stream.receive():
                writer.write(data)
                await writer.drain()
                self.stats.bytes_from_pod += len(data)
        except KubeError as error:
            return error
        except ConnectionError:
            pass  # the local side went away
        return None


# -- target resolution (pure) ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ForwardTarget:
    """What a forward points at: a pod, service or workload and one of its ports (number or name)."""

    kind: str
    namespace: str
    name: str
    port: int | str

    def __post_init__(self) -> None:
        if self.kind not in TARGET_KINDS:
            raise ForwardTargetError(f"cannot forward to {self.kind!r}: use one of {', '.join(TARGET_KINDS)}")
        object.__setattr__(self, "port", parse_port(self.port))

    def describe(self) -> str:
        """`kind/namespace/name:port`, for messages."""
        return f"{self.kind}/{self.namespace}/{self.name}:{self.port}"


@dataclasses.dataclass(frozen=True)
class ResolvedPort:
    """The pod a forward connects to now, and the container port number on it."""

    pod: str
    uid: str
    port: int


def check_port_number(port: int) -> int:
    """A TCP port number (1-65535)."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ForwardTargetError(f"port {port!r} must be a number from 1 to 65535")
    return port


def parse_port(value: int | str) -> int | str:
    """A port number, or a port name as Kubernetes allows them (IANA service name)."""
    if isinstance(value, str) and value.isdigit():
        return check_port_number(int(value))
    if isinstance(value, str):
        if not _PORT_NAME.match(value) or not re.search("[a-z]", value):
            raise ForwardTargetError(f"port {value!r} is neither a number nor a valid port name")
        return value
    return check_port_number(value)


def label_selector_text(selector: Obj | None) -> str:
    """A `LabelSelector` (matchLabels + matchExpressions) as `kubectl -l` text."""
    selector = selector or {}
    parts = [f"{key}={value}" for key, value in (selector.get("matchLabels") or {}).items()]
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key", ""), expression.get("operator", "")
        values = ",".join(expression.get("values") or [])
        rendered = {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})", "Exists": key,
                    "DoesNotExist": f"!{key}"}.get(operator)
        if rendered is None:
            raise ForwardTargetError(f"unknown selector operator {operator!r}")
        parts.append(rendered)
    return ",".join(parts)


def target_selector(kind: str, obj: Obj) -> str:
    """The label selector of the pods behind a service or workload; a selector-less one cannot be forwarded."""
    spec = obj.get("spec") or {}
    name = (obj.get("metadata") or {}).get("name", "")
    if kind == "services":
        selector = ",".join(f"{key}={value}" for key, value in (spec.get("selector") or {}).items())
    else:
        selector = label_selector_text(spec.get("selector"))
    if not selector:
        raise ForwardTargetError(f"{kind} {name!r} selects no pods (it has no selector)")
    return selector


def pod_is_ready(pod: Obj) -> bool:
    """Running, not being deleted, and its `Ready` condition is True."""
    status = pod.get("status") or {}
    if status.get("phase") != "Running" or (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])


def container_port(pod: Obj, port: int | str) -> int | None:
    """The number of a pod port: a number as given (like kubectl, undeclared ports are allowed), a name
    looked up among the containers' TCP ports (None when no container declares it)."""
    if isinstance(port, int):
        return port
    for container in (pod.get("spec") or {}).get("containers") or []:
        for declared in container.get("ports") or []:
            if declared.get("name") == port and declared.get("protocol", "TCP") == "TCP":
                return int(declared["containerPort"])
    return None


def service_target_port(service: Obj, port: int | str) -> int | str:
    """The `targetPort` behind a service port given by number or name (defaults to the port itself)."""
    ports = (service.get("spec") or {}).get("ports") or []
    name = (service.get("metadata") or {}).get("name", "")
    for declared in ports:
        if port in (declared.get("port"), declared.get("name")):
            if declared.get("protocol", "TCP") != "TCP":
                raise ForwardTargetError(f"service {name!r} port {port} is {declared['protocol']}; "
                                         "port-forward carries TCP only")
            return parse_port(declared.get("targetPort") or declared["port"])
    offered = ", ".join(f"{p.get('name') or '-'} {p.get('port')}" for p in ports) or "none"
    raise ForwardTargetError(f"service {name!r} has no port {port!r} (ports: {offered})")


def ready_pods(pods: Iterable[Obj], selector: str) -> list[Obj]:
    """The ready pods a selector matches, oldest first (then by name), so the choice is stable."""
    matches = parse_label_selector(selector)
    chosen = [pod for pod in pods
              if pod_is_ready(pod) and (matches is None or matches((pod.get("metadata") or {}).get("labels") or {}))]
    return sorted(chosen, key=lambda pod: (pod["metadata"].get("creationTimestamp") or "", pod["metadata"]["name"]))


def resolve_target(target: ForwardTarget, obj: Obj, pods: Iterable[Obj] = ()) -> ResolvedPort:
    """The pod and container port a forward connects to: `obj` is the target object (the pod itself for
    `pods`), `pods` the namespace's pods (for services and workloads). Pure: no I/O."""
    if target.kind == "pods":
        meta, phase = obj.get("metadata") or {}, (obj.get("status") or {}).get("phase")
        if phase != "Running" or meta.get("deletionTimestamp"):
            state = "being deleted" if meta.get("deletionTimestamp") else f"phase {phase or 'unknown'}"
            raise NoReadyPodError(f"pod {target.name!r} is not running ({state})")
        number = container_port(obj, target.port)
        if number is None:
            raise ForwardTargetError(f"pod {target.name!r} has no container port named {target.port!r}")
        return ResolvedPort(target.name, str(meta.get("uid", "")), number)
    wanted = service_target_port(obj, target.port) if target.kind == "services" else target.port
    candidates = ready_pods(pods, target_selector(target.kind, obj))
    if not candidates:
        raise NoReadyPodError(f"{target.kind} {target.name!r} has no ready pod")
    for pod in candidates:
        number = container_port(pod, wanted)
        if number is not None:
            return ResolvedPort(pod["metadata"]["name"], str(pod["metadata"].get("uid", "")), number)
    raise ForwardTargetError(f"no ready pod of {target.kind} {target.name!r} has a container port named {wanted!r}")


__all__ = [
    "PORTFORWARD_PROTOCOL", "ForwardStats", "ForwardTarget", "ForwardTargetError", "NoReadyPodError",
    "PodPortStream", "PortForwardError", "PortForwarder", "ResolvedPort", "container_port", "label_selector_text",
    "parse_port", "pod_is_ready", "portforward_path", "ready_pods", "resolve_target", "service_target_port",
    "target_selector",
]
