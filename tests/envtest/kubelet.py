"""A kubelet stand-in so ``pods/log``, ``pods/exec`` and ``pods/portforward`` work through the real API server.

Design notes:

- The API server proxies ``pods/log``, ``pods/exec`` and ``pods/portforward`` to
  ``https://<node InternalIP>:<status.daemonEndpoints.kubeletEndpoint.Port>`` and, without a
  kubelet CA flag, does not verify the kubelet's certificate. So a small aiohttp HTTPS server with a
  throw-away self-signed certificate, registered as a Node whose only address is
  ``InternalIP 127.0.0.1`` (a ``Hostname`` address would make the API server try DNS), is enough.
- It talks to the API server with plain aiohttp and the admin bearer token: a list+watch of pods
  bound to its node (reconnecting forever, so it survives ``ControlPlane.restart_apiserver()``) and
  merge patches of the ``status`` subresource. No client library types in the way, nothing to mock.
- Pods become ``Running`` with ready container statuses (override per pod with the annotation
  ``kubevision.test/phase``: ``Pending`` leaves the pod alone, ``Succeeded``/``Failed`` terminate
  it). Pods with a ``deletionTimestamp`` are deleted with grace period 0, as the real kubelet
  confirms deletions; otherwise pods (and so namespaces) would hang in Terminating.
- Output is deterministic so tests can assert on it: log line ``i`` of a container is
  ``line {i} from {pod}/{container}`` (``previous line ...`` for ``previous=true``), and historic
  line ``i`` is stamped ``LOG_LINE_SPACING_S * (log_lines - i)`` seconds before the request, which
  makes ``sinceSeconds`` predictable. A pod can ask for another number of historic lines with the
  annotation ``kubevision.test/log-lines`` (used to load 100,000 lines into the log viewer).
- Container restarts: raising the annotation ``kubevision.test/restarts`` of a running pod to ``N``
  ends its open log streams, as a container exit does, and sets every container's ``restartCount``
  to ``N`` (``lastState`` terminated, ``state`` running again). Lines of the new container instance
  read ``line {i} from {pod}/{container} after restart {N}``. Follow streams also end when the pod is
  deleted, as its containers stop. Exec
  echoes stdin, reports resizes as ``resize COLSxROWS`` and records sessions/resizes for assertions.
- Port-forward (``/portForward/{namespace}/{pod}?port=P``, WebSocket ``v4.channel.k8s.io`` as the kubelet
  serves it): the annotation ``kubevision.test/port-forward`` (``80=45123,8080=45124``) maps a pod port to a
  TCP port on 127.0.0.1 that the test listens on, so bytes really travel client → API server → stand-in →
  that server and back. Each port gets data channel ``2i`` and error channel ``2i+1``, both opened with the
  port as 2 little-endian bytes; an unmapped port answers on the error channel with a "connection refused"
  text like the real kubelet's, then the stream closes. A stream closes when its TCP connection closes,
  when the client closes it, and when the pod is deleted. ``port_forward_sessions`` records them.
  ``kubectl port-forward`` speaks SPDY/3.1 instead (``Upgrade: SPDY/3.1``, subprotocol ``portforward.k8s.io``;
  framing in ``tests/envtest/spdy.py``): every local connection opens an ``error`` and a ``data`` stream with the
  headers ``port`` and ``requestID``; the pair is connected like a WebSocket port, the error text goes on the error
  stream, and both streams end (FIN) when the TCP connection does. The pod's deletion ends open pairs and later
  pairs get an error. A WebSocket asking only for subprotocols the kubelet does not serve (kubectl 1.30+ offers
  ``SPDY/3.1+portforward.k8s.io``) is refused with 403, as the kubelet's handshake does, so kubectl falls back to
  plain SPDY.
- Summary API (``/stats/summary``, what ``/api/v1/nodes/{node}/proxy/stats/summary`` reaches; the JSON shape of
  the kubelet's ``pkg/kubelet/apis/stats/v1alpha1`` types): every Running pod's containers use
  ``container_usage(pod, t)`` at the whole second ``t`` of the answer (its ``time`` fields), a deterministic
  sawtooth over ``USAGE_CYCLE_S`` above the base of the annotations ``kubevision.test/cpu-millicores`` and
  ``kubevision.test/memory-mib``; pod network counters grow by ``POD_RX_BYTES_PER_S``/``POD_TX_BYTES_PER_S``; the
  node's usage is its pods' plus ``NODE_OVERHEAD_*``. ``summary_requests`` counts the answers.
- ``KubeletThread`` runs the stand-in on its own event loop in a daemon thread, so a session-wide
  instance is independent of whatever loop (scope) pytest-asyncio gives each test.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import json
import logging
import platform
import socket
import ssl
import struct
import tempfile
import threading
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.envtest import spdy

log = logging.getLogger("kubevision.tests.kubelet")

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
REQUEST_TIMEOUT_S = 15.0
CONNECT_TIMEOUT_S = 5.0
WATCH_TIMEOUT_S = 300
RETRY_INTERVAL_S = 0.5
NODE_HEARTBEAT_INTERVAL_S = 10.0
FOLLOW_INTERVAL_S = 0.2
LOG_LINE_SPACING_S = 60
DEFAULT_LOG_LINES = 20

PHASE_ANNOTATION = "kubevision.test/phase"
LOG_LINES_ANNOTATION = "kubevision.test/log-lines"
RESTARTS_ANNOTATION = "kubevision.test/restarts"
MISSING_COMMANDS_ANNOTATION = "kubevision.test/missing-commands"
PORT_FORWARD_ANNOTATION = "kubevision.test/port-forward"

EXEC_PROTOCOL = "v4.channel.k8s.io"
CH_STDIN, CH_STDOUT, CH_STDERR, CH_STATUS, CH_RESIZE = 0, 1, 2, 3, 4
STATUS_SUCCESS = {"metadata": {}, "status": "Success"}
MISSING_BINARY_EXIT_CODE = 126
PORT_FORWARD_PROTOCOL = "v4.channel.k8s.io"
# The WebSocket subprotocols the kubelet serves for port-forward ("" = none asked for is also fine).
PORT_FORWARD_WEBSOCKET_PROTOCOLS = frozenset({"v4.channel.k8s.io", "v4.base64.channel.k8s.io"})
SPDY_PORT_FORWARD_PROTOCOL = "portforward.k8s.io"
SPDY_FORWARD_LINGER_S = 1.0  # once one direction of a pair ends, wait this long for the other (containerd's 1 s)
PORT_FORWARD_CHUNK_BYTES = 32 * 1024  # the kubelet copies with io.Copy's 32 KiB buffer

NODE_CAPACITY = {"cpu": "8", "memory": "32Gi", "pods": "1100", "ephemeral-storage": "100Gi"}

# Summary API numbers (see `container_usage`): per-container base from the pod's annotations, plus a sawtooth.
CPU_ANNOTATION = "kubevision.test/cpu-millicores"
MEMORY_ANNOTATION = "kubevision.test/memory-mib"
DEFAULT_CPU_MILLICORES = 10
DEFAULT_MEMORY_MIB = 32
USAGE_CYCLE_S = 60  # the sawtooth adds 1 millicore and 1 MiB per second of this cycle
MIB = 1024 * 1024
POD_RX_BYTES_PER_S = 1000
POD_TX_BYTES_PER_S = 500
NODE_OVERHEAD_NANOCORES = 100_000_000  # the node's own use besides its pods: 100m
NODE_OVERHEAD_BYTES = 512 * MIB
NODE_CAPACITY_BYTES = 32 * 1024 * MIB


@dataclass
class ExecSession:
    """One exec request seen by the stand-in."""

    namespace: str
    pod: str
    container: str
    command: list[str]
    tty: bool
    stdin: bool
    stdin_data: bytearray = field(default_factory=bytearray)
    resizes: list[tuple[int, int]] = field(default_factory=list)
    status: dict[str, Any] | None = None


@dataclass
class PortForwardSession:
    """One port-forward stream seen by the stand-in (``errors``: the error-channel texts it sent)."""

    namespace: str
    pod: str
    ports: list[int]
    errors: list[str] = field(default_factory=list)
    closed: bool = False
    protocol: str = PORT_FORWARD_PROTOCOL  # or SPDY_PORT_FORWARD_PROTOCOL (one session per stream pair)


@dataclass(frozen=True)
class ResizeEvent:
    """A terminal resize received on channel 4 (``cols`` = Width, ``rows`` = Height)."""

    namespace: str
    pod: str
    container: str
    cols: int
    rows: int


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def rfc3339(ts: dt.datetime) -> str:
    """RFC 3339 with seconds precision, as Kubernetes writes object timestamps."""
    return ts.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339nano(ts: dt.datetime) -> str:
    """RFC 3339 with fixed 9-digit fraction, as the kubelet prefixes log lines."""
    ts = ts.astimezone(dt.UTC)
    return f"{ts:%Y-%m-%dT%H:%M:%S}.{ts.microsecond:06d}000Z"


def _log_text(index: int, pod: str, container: str, previous: bool, restarts: int) -> str:
    """Log line `index` of a container: of its previous instance, or of its current one."""
    if previous:
        return f"previous line {index} from {pod}/{container}"
    return f"line {index} from {pod}/{container}" + (f" after restart {restarts}" if restarts else "")


def container_usage(pod: dict[str, Any], t: int) -> tuple[int, int]:
    """(usageNanoCores, workingSetBytes) of each container of `pod` at whole epoch second `t`: the annotations'
    base (millicores, MiB) plus 1 millicore and 1 MiB per second into the current `USAGE_CYCLE_S` cycle."""
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    millicores = int(annotations.get(CPU_ANNOTATION, DEFAULT_CPU_MILLICORES))
    mebibytes = int(annotations.get(MEMORY_ANNOTATION, DEFAULT_MEMORY_MIB))
    phase = t % USAGE_CYCLE_S
    return (millicores + phase) * 1_000_000, (mebibytes + phase) * MIB


def _cpu_stats(stamp: str, nanocores: int, t: int) -> dict[str, Any]:
    # Cumulative as if started at midnight UTC (bounded: since 1970 it would overflow JSON's 64-bit integers).
    return {"time": stamp, "usageNanoCores": nanocores, "usageCoreNanoSeconds": nanocores * (t % 86400)}


def _memory_stats(stamp: str, working_set: int) -> dict[str, Any]:
    return {"time": stamp, "workingSetBytes": working_set, "usageBytes": working_set, "rssBytes": working_set,
            "pageFaults": 0, "majorPageFaults": 0}


def _network_stats(stamp: str, t: int, pods: int) -> dict[str, Any]:
    rx, tx = POD_RX_BYTES_PER_S * t * pods, POD_TX_BYTES_PER_S * t * pods
    interface = {"name": "eth0", "rxBytes": rx, "rxErrors": 0, "txBytes": tx, "txErrors": 0}
    return {"time": stamp, **interface, "interfaces": [interface]}


def _connection_refused(port: int, pod: str, uid: str) -> str:
    """The kubelet's error text for a forwarded port nothing listens on."""
    return (f"error forwarding port {port} to pod {pod}, uid {uid}: failed to connect to localhost:{port} inside "
            f"the pod: dial tcp4 127.0.0.1:{port}: connect: connection refused")


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def make_self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """Write ``kubelet.crt``/``kubelet.key`` for 127.0.0.1 into ``directory``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubelet-stand-in")])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "kubelet.crt", directory / "kubelet.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def read_kubeconfig(path: str) -> tuple[str, str]:
    """Return ``(server_url, token)`` of the current context of a token kubeconfig."""
    config = yaml.safe_load(Path(path).read_text())
    ctx_name = config["current-context"]
    ctx = next(c["context"] for c in config["contexts"] if c["name"] == ctx_name)
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == ctx["cluster"])
    user = next(u["user"] for u in config["users"] if u["name"] == ctx["user"])
    return cluster["server"], user["token"]


class KubeletStandIn:
    """Fake kubelet: registers a Node, runs its pods (on paper), serves logs and exec.

    Attributes useful in tests: ``port``, ``node_name``, ``exec_sessions``, ``resize_events``,
    ``port_forward_sessions`` and
    ``missing_commands`` (a set; commands in it, or in a pod's ``kubevision.test/missing-commands``
    annotation, fail like a missing binary: OCI error text and exit code 126).
    """

    def __init__(
        self,
        server_url: str,
        token: str,
        *,
        node_name: str = "node1",
        missing_commands: Collection[str] = (),
        log_lines: int = DEFAULT_LOG_LINES,
        follow_interval_s: float = FOLLOW_INTERVAL_S,
        delete_node_on_close: bool = True,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.node_name = node_name
        self.missing_commands: set[str] = set(missing_commands)
        self.log_lines = log_lines
        self.follow_interval_s = follow_interval_s
        self.delete_node_on_close = delete_node_on_close
        self.port = 0
        self.exec_sessions: list[ExecSession] = []
        self.resize_events: list[ResizeEvent] = []
        self.port_forward_sessions: list[PortForwardSession] = []
        self.summary_requests = 0
        self._pod_gone: dict[tuple[str, str], set[asyncio.Event]] = {}
        self.pods: dict[tuple[str, str], dict[str, Any]] = {}
        self._restarts: dict[tuple[str, str], int] = {}
        self._token = token
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._ip_counter = 0
        self._boot_id = str(uuid.uuid4())

    @classmethod
    def from_kubeconfig(cls, path: str, **kwargs: Any) -> KubeletStandIn:
        """Build a stand-in that uses the server and token of a (token) kubeconfig."""
        server_url, token = read_kubeconfig(path)
        return cls(server_url, token, **kwargs)

    @property
    def url(self) -> str:
        """Base URL of the stand-in's HTTPS server."""
        return f"https://127.0.0.1:{self.port}"

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Serve HTTPS, register the Node and start the pod watch and heartbeat loops."""
        self._tmp = tempfile.TemporaryDirectory(prefix="kubevision-kubelet-")
        cert, key = make_self_signed_cert(Path(self._tmp.name))
        ssl_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_ctx.load_cert_chain(cert, key)

        app = web.Application()
        app.router.add_get("/containerLogs/{namespace}/{pod}/{container}", self._handle_logs)
        app.router.add_route("*", "/exec/{namespace}/{pod}/{container}", self._handle_exec)
        app.router.add_route("*", "/portForward/{namespace}/{pod}", self._handle_port_forward)
        app.router.add_get("/healthz", self._handle_healthz)
        app.router.add_get("/stats/summary", self._handle_summary)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = int(sock.getsockname()[1])
        await web.SockSite(self._runner, sock, ssl_context=ssl_ctx).start()

        self._session = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
            connector=aiohttp.TCPConnector(ssl=False),
        )
        await self._register_node()
        self._tasks = [
            asyncio.create_task(self._heartbeat_loop(), name="kubelet-heartbeat"),
            asyncio.create_task(self._watch_loop(), name="kubelet-pod-watch"),
        ]

    async def aclose(self) -> None:
        """Stop loops and the server; delete the Node unless told not to."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        if self._session is not None:
            if self.delete_node_on_close:
                with contextlib.suppress(Exception):
                    await self._api("DELETE", f"/api/v1/nodes/{self.node_name}")
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    async def __aenter__(self) -> KubeletStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- API server side -------------------------------------------------------------------

    async def _api(
        self, method: str, path: str, body: Any = None, *, content_type: str = "application/json"
    ) -> tuple[int, Any]:
        assert self._session is not None
        kwargs: dict[str, Any] = {"timeout": aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["headers"] = {"Content-Type": content_type}
        async with self._session.request(method, f"{self.server_url}{path}", **kwargs) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text) if text else None
            except ValueError:
                return resp.status, text

    def _node_status(self) -> dict[str, Any]:
        now = rfc3339(_now())

        def condition(ctype: str, status: str, reason: str, message: str) -> dict[str, str]:
            return {
                "type": ctype,
                "status": status,
                "reason": reason,
                "message": message,
                "lastHeartbeatTime": now,
                "lastTransitionTime": now,
            }

        return {
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": self.port}},
            "capacity": dict(NODE_CAPACITY),
            "allocatable": dict(NODE_CAPACITY),
            "nodeInfo": {
                "machineID": uuid.uuid5(uuid.NAMESPACE_DNS, self.node_name).hex,
                "systemUUID": str(uuid.uuid5(uuid.NAMESPACE_URL, self.node_name)),
                "bootID": self._boot_id,
                "kernelVersion": platform.release(),
                "osImage": "KubeVision kubelet stand-in",
                "containerRuntimeVersion": "containerd://1.7.0",
                "kubeletVersion": "v1.20.2",
                "kubeProxyVersion": "v1.20.2",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
            "conditions": [
                condition(
                    "MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory"
                ),
                condition(
                    "DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"
                ),
                condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID"),
                condition("Ready", "True", "KubeletReady", "kubelet stand-in is posting ready status"),
            ],
        }

    async def _register_node(self) -> None:
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": self.node_name,
                "labels": {
                    "kubernetes.io/hostname": self.node_name,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "beta.kubernetes.io/os": "linux",
                    "beta.kubernetes.io/arch": "amd64",
                },
            },
        }
        status, body = await self._api("POST", "/api/v1/nodes", node)
        if status not in (201, 409):
            raise RuntimeError(f"registering node {self.node_name} failed: HTTP {status} {body}")
        await self._patch_node_status(raise_on_error=True)

    async def _patch_node_status(self, *, raise_on_error: bool = False) -> None:
        status, body = await self._api(
            "PATCH",
            f"/api/v1/nodes/{self.node_name}/status",
            {"status": self._node_status()},
            content_type="application/merge-patch+json",
        )
        if status == 404:  # someone deleted the Node: register it again
            await self._register_node()
        elif status != 200:
            msg = f"patching node {self.node_name} status failed: HTTP {status} {body}"
            if raise_on_error:
                raise RuntimeError(msg)
            log.warning(msg)

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(NODE_HEARTBEAT_INTERVAL_S)
            try:
                await self._patch_node_status()
            except (aiohttp.ClientError, TimeoutError, RuntimeError) as exc:
                log.debug("node heartbeat failed (API server restarting?): %r", exc)

    async def _watch_loop(self) -> None:
        selector = f"spec.nodeName={self.node_name}"
        while True:
            try:
                status, body = await self._api("GET", f"/api/v1/pods?fieldSelector={selector}")
                if status != 200:
                    raise RuntimeError(f"listing pods: HTTP {status} {body}")
                self.pods = {}
                for pod in body.get("items", []):
                    await self._on_pod(pod)
                await self._watch(selector, body["metadata"]["resourceVersion"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.debug("pod watch failed (API server restarting?): %r", exc)
                await asyncio.sleep(RETRY_INTERVAL_S)

    async def _watch(self, selector: str, resource_version: str) -> None:
        """Follow one watch until it ends (timeout, 410 Gone, connection loss)."""
        assert self._session is not None
        params = {
            "watch": "1",
            "fieldSelector": selector,
            "resourceVersion": resource_version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": str(WATCH_TIMEOUT_S),
        }
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT_S)
        async with self._session.get(
            f"{self.server_url}/api/v1/pods", params=params, timeout=timeout
        ) as resp:
            if resp.status != 200:
                raise RuntimeError(f"watching pods: HTTP {resp.status} {await resp.text()}")
            buffer = b""
            async for chunk in resp.content.iter_any():
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    etype, obj = event.get("type"), event.get("object") or {}
                    if etype == "ERROR":
                        return  # usually 410 Gone: relist
                    if etype == "DELETED":
                        meta = obj.get("metadata", {})
                        key = (meta.get("namespace", ""), meta.get("name", ""))
                        self.pods.pop(key, None)
                        self._end_port_forwards(key)
                    elif etype in ("ADDED", "MODIFIED"):
                        await self._on_pod(obj)

    async def _on_pod(self, pod: dict[str, Any]) -> None:
        meta = pod.get("metadata", {})
        key = (meta.get("namespace", ""), meta.get("name", ""))
        self.pods[key] = pod
        try:
            if meta.get("deletionTimestamp"):
                self._end_port_forwards(key)  # its containers stop, so do connections into them
                await self._api(
                    "DELETE",
                    f"/api/v1/namespaces/{key[0]}/pods/{key[1]}",
                    {
                        "kind": "DeleteOptions",
                        "apiVersion": "v1",
                        "gracePeriodSeconds": 0,
                        "preconditions": {"uid": meta.get("uid")},
                    },
                )
                return
            annotations = meta.get("annotations") or {}
            wanted = annotations.get(PHASE_ANNOTATION, "Running")
            phase = (pod.get("status") or {}).get("phase", "Pending")
            restarts = int(annotations.get(RESTARTS_ANNOTATION, "0"))
            if phase == "Running" and restarts > self._restarts.get(key, 0):
                self._restarts[key] = restarts  # open follow streams notice this and end
                await self._patch_pod_status(key, self._pod_status(pod, phase, restarts=restarts))
                return
            if phase != "Pending" or wanted == "Pending":
                return
            await self._patch_pod_status(key, self._pod_status(pod, wanted))
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.debug("updating pod %s/%s failed: %r", *key, exc)
            raise

    async def _patch_pod_status(self, key: tuple[str, str], status: dict[str, Any]) -> None:
        code, body = await self._api(
            "PATCH",
            f"/api/v1/namespaces/{key[0]}/pods/{key[1]}/status",
            {"status": status},
            content_type="application/merge-patch+json",
        )
        if code not in (200, 404, 409):
            log.warning("patching pod %s/%s status: HTTP %s %s", *key, code, body)

    def _pod_status(self, pod: dict[str, Any], phase: str, *, restarts: int = 0) -> dict[str, Any]:
        now = rfc3339(_now())
        pod_ip = (pod.get("status") or {}).get("podIP")
        if not pod_ip:  # a restart keeps the pod's address
            self._ip_counter += 1
            pod_ip = f"10.244.{(self._ip_counter // 250) % 250}.{self._ip_counter % 250 + 2}"
        running = phase == "Running"
        exit_code = 0 if phase == "Succeeded" else 1

        def container_status(container: dict[str, Any], *, init: bool = False) -> dict[str, Any]:
            cid = uuid.uuid5(uuid.NAMESPACE_OID, f"{pod['metadata'].get('uid')}/{container['name']}").hex
            if running and not init:
                state: dict[str, Any] = {"running": {"startedAt": now}}
            else:
                code = 0 if init else exit_code
                state = {
                    "terminated": {
                        "exitCode": code,
                        "reason": "Completed" if code == 0 else "Error",
                        "startedAt": now,
                        "finishedAt": now,
                        "containerID": f"containerd://{cid}",
                    }
                }
            return {
                "name": container["name"],
                "image": container.get("image", ""),
                "imageID": f"docker.io/library/{container.get('image', 'unknown')}@sha256:{'0' * 64}",
                "containerID": f"containerd://{cid}",
                "ready": running and not init,
                "started": running and not init,
                "restartCount": 0 if init else restarts,
                "state": state,
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": now, "finishedAt": now,
                                             "containerID": f"containerd://{cid}"}} if restarts and not init else {},
            }

        spec = pod.get("spec") or {}
        ready = "True" if running else "False"
        status: dict[str, Any] = {
            "phase": phase,
            "hostIP": "127.0.0.1",
            "podIP": pod_ip,
            "podIPs": [{"ip": pod_ip}],
            "startTime": now,
            "qosClass": (pod.get("status") or {}).get("qosClass", "BestEffort"),
            "conditions": [
                {"type": "Initialized", "status": "True", "lastTransitionTime": now},
                {"type": "Ready", "status": ready, "lastTransitionTime": now},
                {"type": "ContainersReady", "status": ready, "lastTransitionTime": now},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
            ],
            "containerStatuses": [container_status(c) for c in spec.get("containers", [])],
        }
        if spec.get("initContainers"):
            status["initContainerStatuses"] = [container_status(c, init=True) for c in spec["initContainers"]]
        return status

    # -- kubelet HTTP side -----------------------------------------------------------------

    async def _handle_healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    def running_pods(self) -> list[dict[str, Any]]:
        """The pods this node runs now (Running, not being deleted); safe to call from another thread."""
        return [pod for pod in list(self.pods.values())
                if (pod.get("status") or {}).get("phase") == "Running"
                and not (pod.get("metadata") or {}).get("deletionTimestamp")]

    def summary(self, t: int) -> dict[str, Any]:
        """The Summary API answer at whole epoch second `t` (see `container_usage`)."""
        stamp = rfc3339(dt.datetime.fromtimestamp(t, dt.UTC))
        pods, node_cpu, node_memory = [], NODE_OVERHEAD_NANOCORES, NODE_OVERHEAD_BYTES
        for pod in self.running_pods():
            meta = pod["metadata"]
            nanocores, working_set = container_usage(pod, t)
            names = [c["name"] for c in (pod.get("spec") or {}).get("containers", [])]
            started = (pod.get("status") or {}).get("startTime") or stamp
            containers = [{"name": name, "startTime": started, "cpu": _cpu_stats(stamp, nanocores, t),
                           "memory": _memory_stats(stamp, working_set)} for name in names]
            pod_cpu, pod_memory = nanocores * len(names), working_set * len(names)
            node_cpu += pod_cpu
            node_memory += pod_memory
            pods.append({"podRef": {"name": meta["name"], "namespace": meta["namespace"], "uid": meta.get("uid")},
                         "startTime": started, "containers": containers, "cpu": _cpu_stats(stamp, pod_cpu, t),
                         "memory": _memory_stats(stamp, pod_memory), "network": _network_stats(stamp, t, 1)})
        memory = {**_memory_stats(stamp, node_memory), "availableBytes": NODE_CAPACITY_BYTES - node_memory}
        node = {"nodeName": self.node_name, "startTime": stamp, "systemContainers": [],
                "cpu": _cpu_stats(stamp, node_cpu, t), "memory": memory,
                "network": _network_stats(stamp, t, len(pods))}
        return {"node": node, "pods": pods}

    async def _handle_summary(self, request: web.Request) -> web.Response:
        self.summary_requests += 1
        return web.json_response(self.summary(int(time.time())))

    def _log_line_count(self, namespace: str, pod: str) -> int:
        """Historic lines per container: the pod's annotation, else the stand-in's default."""
        annotations = (self.pods.get((namespace, pod)) or {}).get("metadata", {}).get("annotations") or {}
        try:
            return int(annotations.get(LOG_LINES_ANNOTATION, self.log_lines))
        except ValueError:
            return self.log_lines

    def _historic_lines(
        self, pod: str, container: str, count: int, *, previous: bool, restarts: int
    ) -> list[tuple[dt.datetime, str]]:
        now = _now()
        spacing = dt.timedelta(seconds=LOG_LINE_SPACING_S)
        return [
            (now - spacing * (count - i), _log_text(i, pod, container, previous, restarts)) for i in range(1, count + 1)
        ]

    def _unknown_container(self, namespace: str, pod: str, container: str) -> str | None:
        cached = self.pods.get((namespace, pod))
        if cached is None:
            return None
        spec = cached.get("spec") or {}
        names = [c["name"] for c in spec.get("containers", []) + spec.get("initContainers", [])]
        if container in names:
            return None
        return f'container "{container}" in pod "{pod}" is not valid'

    async def _handle_logs(self, request: web.Request) -> web.StreamResponse:
        ns, pod, container = (request.match_info[k] for k in ("namespace", "pod", "container"))
        if problem := self._unknown_container(ns, pod, container):
            return web.Response(status=400, text=problem)
        query = request.query
        follow, timestamps, previous = (
            _flag(query.get("follow")),
            _flag(query.get("timestamps")),
            _flag(query.get("previous")),
        )
        try:
            tail = int(query["tailLines"]) if "tailLines" in query else None
            since = int(query["sinceSeconds"]) if "sinceSeconds" in query else None
            limit = int(query["limitBytes"]) if "limitBytes" in query else None
        except ValueError:
            return web.Response(status=400, text="invalid integer query parameter")

        def render(ts: dt.datetime, text: str) -> bytes:
            return (f"{rfc3339nano(ts)} {text}\n" if timestamps else f"{text}\n").encode()

        count = self._log_line_count(ns, pod)
        restarts = self._restarts.get((ns, pod), 0)
        lines = self._historic_lines(pod, container, count, previous=previous, restarts=restarts)
        if since is not None:
            cutoff = _now() - dt.timedelta(seconds=since)
            lines = [(ts, text) for ts, text in lines if ts >= cutoff]
        if tail is not None:
            lines = lines[-tail:] if tail > 0 else []
        payload = b"".join(render(ts, text) for ts, text in lines)
        if limit is not None:
            payload = payload[:limit]

        resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        try:
            await resp.write(payload)
            if follow and not previous and limit is None:
                n = count
                while True:
                    await asyncio.sleep(self.follow_interval_s)
                    current = self.pods.get((ns, pod))
                    if current is None or current["metadata"].get("deletionTimestamp"):
                        break  # the pod is being deleted: its containers stop, so do their streams
                    if self._restarts.get((ns, pod), 0) != restarts:
                        break  # the container exited: its log stream ends
                    n += 1
                    await resp.write(render(_now(), _log_text(n, pod, container, False, restarts)))
        except (ConnectionError, asyncio.CancelledError):
            return resp  # client (the API server) went away
        await resp.write_eof()
        return resp

    def _missing(self, namespace: str, pod: str, command: list[str]) -> bool:
        if not command:
            return False
        binary = command[0].rsplit("/", 1)[-1]
        annotations = ((self.pods.get((namespace, pod)) or {}).get("metadata") or {}).get("annotations") or {}
        per_pod = {
            c.strip() for c in annotations.get(MISSING_COMMANDS_ANNOTATION, "").split(",") if c.strip()
        }
        return binary in self.missing_commands or binary in per_pod

    async def _handle_exec(self, request: web.Request) -> web.StreamResponse:
        ns, pod, container = (request.match_info[k] for k in ("namespace", "pod", "container"))
        query = request.query
        session = ExecSession(
            namespace=ns,
            pod=pod,
            container=container,
            command=list(query.getall("command", [])),
            tty=_flag(query.get("tty")),
            stdin=_flag(query.get("input")),
        )
        if problem := self._unknown_container(ns, pod, container):
            return web.Response(status=400, text=problem)
        ws = web.WebSocketResponse(protocols=(EXEC_PROTOCOL,), compress=False)
        await ws.prepare(request)
        self.exec_sessions.append(session)
        out_ch = CH_STDOUT if _flag(query.get("output")) or session.tty else CH_STDERR

        async def send(channel: int, data: bytes) -> None:
            await ws.send_bytes(bytes([channel]) + data)

        async def finish(status: dict[str, Any]) -> web.WebSocketResponse:
            session.status = status
            with contextlib.suppress(ConnectionError):
                await send(CH_STATUS, json.dumps(status, separators=(",", ":")).encode())
                await ws.close()
            return ws

        # Like the real kubelet: an empty frame on the lowest writable channel says "connected".
        await send(out_ch, b"")
        if self._missing(ns, pod, session.command):
            binary = session.command[0]
            err_ch = out_ch if session.tty or not _flag(query.get("error")) else CH_STDERR
            await send(
                err_ch,
                (
                    "OCI runtime exec failed: exec failed: unable to start container process: "
                    f'exec: "{binary}": executable file not found in $PATH: unknown\r\n'
                ).encode(),
            )
            return await finish(
                {
                    "metadata": {},
                    "status": "Failure",
                    "message": (
                        "command terminated with non-zero exit code: error executing command "
                        f"{session.command}, exit code {MISSING_BINARY_EXIT_CODE}"
                    ),
                    "reason": "NonZeroExitCode",
                    "details": {"causes": [{"reason": "ExitCode", "message": str(MISSING_BINARY_EXIT_CODE)}]},
                }
            )
        if not session.stdin:
            if session.command[:1] == ["echo"]:
                await send(out_ch, (" ".join(session.command[1:]) + "\n").encode())
            return await finish(STATUS_SUCCESS)

        recent = b""
        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.BINARY or not msg.data:
                    continue
                channel, data = msg.data[0], msg.data[1:]
                if channel == CH_STDIN:
                    session.stdin_data += data
                    if data:
                        await send(out_ch, data)
                    recent = (recent + data)[-64:]
                    if b"exit" in recent:
                        return await finish(STATUS_SUCCESS)
                elif channel == CH_RESIZE:
                    try:
                        size = json.loads(data)
                        cols, rows = int(size["Width"]), int(size["Height"])
                    except (ValueError, KeyError, TypeError):
                        continue
                    session.resizes.append((cols, rows))
                    self.resize_events.append(ResizeEvent(ns, pod, container, cols, rows))
                    await send(out_ch, f"resize {cols}x{rows}\r\n".encode())
        except ConnectionError:
            pass
        return ws

    def _watch_pod_gone(self, key: tuple[str, str]) -> asyncio.Event:
        """An event set when the pod is deleted (already set if it is being deleted now); the caller discards it
        from ``_pod_gone[key]`` when done."""
        gone = asyncio.Event()
        self._pod_gone.setdefault(key, set()).add(gone)
        if (self.pods.get(key) or {}).get("metadata", {}).get("deletionTimestamp") or key not in self.pods:
            gone.set()  # its containers are stopping: connections into them end
        return gone

    def _end_port_forwards(self, key: tuple[str, str]) -> None:
        for gone in self._pod_gone.get(key, ()):
            gone.set()

    @staticmethod
    def _forward_targets(pod: dict[str, Any]) -> dict[int, int]:
        """Pod port → local TCP port, from the pod's ``kubevision.test/port-forward`` annotation."""
        annotation = ((pod.get("metadata") or {}).get("annotations") or {}).get(PORT_FORWARD_ANNOTATION, "")
        pairs = (item.split("=", 1) for item in annotation.split(",") if "=" in item)
        return {int(pod_port): int(local_port) for pod_port, local_port in pairs}

    async def _handle_port_forward(self, request: web.Request) -> web.StreamResponse:
        ns, pod = request.match_info["namespace"], request.match_info["pod"]
        cached = self.pods.get((ns, pod))
        if cached is None:
            return web.Response(status=404, text="pod does not exist")
        if request.headers.get("Upgrade", "").lower() == spdy.UPGRADE_TOKEN.lower():
            return await self._serve_spdy_port_forward(request, ns, pod)
        offered = {p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()}
        if offered and not offered & PORT_FORWARD_WEBSOCKET_PROTOCOLS:
            return web.Response(status=403, text="unable to upgrade: requested protocol(s) are not supported")
        try:
            # The API server takes `ports` from its client and passes them on as `port=P1,P2` (api.PortHeader).
            ports = [int(p) for value in request.query.getall("port", []) for p in value.split(",")]
        except ValueError:
            return web.Response(status=400, text="unable to parse the port query parameter")
        if not ports or not all(0 < p < 65536 for p in ports):
            return web.Response(status=400, text='query parameter "port" is required (ports 1-65535)')
        ws = web.WebSocketResponse(protocols=(PORT_FORWARD_PROTOCOL,), compress=False)
        await ws.prepare(request)
        session = PortForwardSession(ns, pod, ports)
        self.port_forward_sessions.append(session)
        gone = self._watch_pod_gone((ns, pod))
        try:
            await self._forward_ports(ws, session, cached, gone)
        finally:
            self._pod_gone[(ns, pod)].discard(gone)
            session.closed = True
        return ws

    async def _forward_ports(
        self, ws: web.WebSocketResponse, session: PortForwardSession, pod: dict[str, Any], gone: asyncio.Event
    ) -> None:
        """Connect each port to its local server and relay until the connections, the client or the pod end."""
        targets = self._forward_targets(pod)
        uid = pod["metadata"].get("uid", "")
        writers: dict[int, asyncio.StreamWriter] = {}
        pumps: list[asyncio.Task[None]] = []

        async def pod_to_client(index: int, reader: asyncio.StreamReader) -> None:
            while data := await reader.read(PORT_FORWARD_CHUNK_BYTES):
                await ws.send_bytes(bytes([2 * index]) + data)

        async def client_to_pod() -> None:
            async for message in ws:
                if message.type != aiohttp.WSMsgType.BINARY or len(message.data) < 2 or message.data[0] % 2:
                    continue
                writer = writers.get(message.data[0] // 2)
                if writer is not None:
                    writer.write(message.data[1:])
                    await writer.drain()

        try:
            for index, port in enumerate(session.ports):
                prefix = struct.pack("<H", port)
                await ws.send_bytes(bytes([2 * index]) + prefix)
                await ws.send_bytes(bytes([2 * index + 1]) + prefix)
            for index, port in enumerate(session.ports):
                try:
                    if port not in targets:
                        raise ConnectionRefusedError("connection refused")
                    reader, writers[index] = await asyncio.open_connection("127.0.0.1", targets[port])
                except OSError:
                    error = _connection_refused(port, session.pod, uid)
                    session.errors.append(error)
                    await ws.send_bytes(bytes([2 * index + 1]) + error.encode())
                    continue
                pumps.append(asyncio.create_task(pod_to_client(index, reader), name=f"kubelet-forward-{port}"))
            if pumps:
                ended = [asyncio.create_task(client_to_pod(), name="kubelet-forward-in"),
                         asyncio.create_task(gone.wait(), name="kubelet-forward-pod-gone"),
                         asyncio.create_task(asyncio.wait(pumps), name="kubelet-forward-ports-done")]
                try:
                    await asyncio.wait(ended, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for task in ended:
                        task.cancel()
                    await asyncio.gather(*ended, return_exceptions=True)
        except ConnectionError:
            pass  # the client (the API server) went away
        finally:
            for task in pumps:
                task.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            for writer in writers.values():
                writer.close()
            with contextlib.suppress(ConnectionError):
                await ws.close()

    async def _serve_spdy_port_forward(self, request: web.Request, ns: str, pod: str) -> web.StreamResponse:
        """Port-forward over SPDY/3.1 (kubectl): pair each requestID's error and data streams, then forward."""
        connection = await spdy.accept_upgrade(request, SPDY_PORT_FORWARD_PROTOCOL)
        if isinstance(connection, web.Response):
            return connection
        halves: dict[str, dict[str, spdy.SpdyStream]] = {}
        forwards: set[asyncio.Task[None]] = set()
        gone = self._watch_pod_gone((ns, pod))

        def accept(stream: spdy.SpdyStream) -> bool:
            kind, request_id, port = stream.header("streamType"), stream.header("requestID"), stream.header("port")
            if kind not in ("error", "data") or not port.isdigit() or not 0 < int(port) < 65536:
                return False  # the kubelet resets streams it cannot use
            pair = halves.setdefault(request_id, {})
            if kind in pair:
                return False
            pair[kind] = stream
            if len(pair) == 2:
                del halves[request_id]
                task = asyncio.create_task(self._forward_spdy_pair(ns, pod, pair["error"], pair["data"], gone),
                                           name=f"kubelet-spdy-forward-{port}")
                forwards.add(task)
                task.add_done_callback(forwards.discard)
            return True

        try:
            await connection.serve(accept)
        finally:
            for task in list(forwards):
                task.cancel()
            await asyncio.gather(*forwards, return_exceptions=True)
            self._pod_gone[(ns, pod)].discard(gone)
            await connection.aclose()
        return connection.response

    async def _forward_spdy_pair(self, ns: str, pod: str, error_stream: spdy.SpdyStream,
                                 data_stream: spdy.SpdyStream, gone: asyncio.Event) -> None:
        """Connect one stream pair to the pod port's local server; errors go on the error stream, as text."""
        port = int(data_stream.header("port"))
        session = PortForwardSession(ns, pod, [port], protocol=SPDY_PORT_FORWARD_PROTOCOL)
        self.port_forward_sessions.append(session)
        current = self.pods.get((ns, pod))
        uid = (current or {}).get("metadata", {}).get("uid", "")
        writer: asyncio.StreamWriter | None = None
        try:
            await error_stream.discard_input()  # kubectl half-closes it at once; it only reads from it
            error = None
            if current is None or gone.is_set():
                error = f"error forwarding port {port} to pod {pod}, uid {uid}: the pod's sandbox is gone"
            else:
                try:
                    if port not in (targets := self._forward_targets(current)):
                        raise ConnectionRefusedError("connection refused")
                    reader, writer = await asyncio.open_connection("127.0.0.1", targets[port])
                except OSError:
                    error = _connection_refused(port, pod, uid)
            if error is not None:
                session.errors.append(error)
                await error_stream.write(error.encode())
                return
            assert writer is not None
            await self._relay_spdy(data_stream, reader, writer, gone)
        except ConnectionError:
            pass  # the client (the API server) went away
        finally:
            if writer is not None:
                writer.close()
            for stream in (error_stream, data_stream):
                await stream.discard_input()
                await stream.close()
                stream.connection.forget(stream)
            session.closed = True

    @staticmethod
    async def _relay_spdy(stream: spdy.SpdyStream, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                          gone: asyncio.Event) -> None:
        """Copy both ways; the client's FIN half-closes the TCP connection and the pod's EOF half-closes the
        stream. Once one direction ends the other gets `SPDY_FORWARD_LINGER_S`; the pod's deletion ends both."""
        async def client_to_pod() -> None:
            while chunk := await stream.read():
                writer.write(chunk)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()

        async def pod_to_client() -> None:
            while chunk := await reader.read(PORT_FORWARD_CHUNK_BYTES):
                await stream.write(chunk)
            await stream.close()

        copies = {asyncio.create_task(client_to_pod(), name="kubelet-spdy-in"),
                  asyncio.create_task(pod_to_client(), name="kubelet-spdy-out")}
        deleted = asyncio.create_task(gone.wait(), name="kubelet-spdy-pod-gone")
        try:
            done, pending = await asyncio.wait(copies | {deleted}, return_when=asyncio.FIRST_COMPLETED)
            if deleted not in done and pending - {deleted}:
                await asyncio.wait(pending, timeout=SPDY_FORWARD_LINGER_S, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (*copies, deleted):
                task.cancel()
            results = await asyncio.gather(*copies, deleted, return_exceptions=True)
        for result in results:
            if isinstance(result, ConnectionError):
                raise result


class KubeletThread:
    """Run a ``KubeletStandIn`` on a private event loop in a daemon thread (sync start/stop)."""

    def __init__(self, kubelet: KubeletStandIn) -> None:
        self.kubelet = kubelet
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=f"kubelet-{kubelet.node_name}", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def start(self, timeout_s: float = START_TIMEOUT_S) -> KubeletStandIn:
        """Start the loop thread and the stand-in; return the stand-in."""
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.kubelet.start(), self._loop).result(timeout_s)
        except BaseException:
            self.stop()
            raise
        return self.kubelet

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Close the stand-in and stop the loop thread."""
        if self._loop.is_closed():
            return
        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self.kubelet.aclose(), self._loop).result(timeout_s)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout_s)
        if not self._thread.is_alive():
            self._loop.close()
