"""A metrics-server stand-in served through the real API server's aggregation layer (`metrics.k8s.io/v1beta1`).

Design notes:

- The aggregator proxies `/apis/metrics.k8s.io/v1beta1/...` to the Service an APIService names. The test control
  plane runs no kube-proxy, so the API server must be started with `--enable-aggregator-routing=true` (it then
  dials the Service's Endpoints address itself), and Endpoints validation refuses loopback addresses: the stand-in
  listens on the machine's non-loopback IPv4 address (`non_loopback_address`), over HTTPS with a throw-away
  certificate (the APIService sets `insecureSkipTLSVerify`). No front-proxy client certificate is configured: the
  stand-in does not authenticate the aggregator (a real metrics-server would; nothing here depends on it).
- Answers have the JSON shapes of `k8s.io/metrics/pkg/apis/metrics/v1beta1` (NodeMetrics, PodMetrics and their
  lists; CPU in nanocores `"123n"`, memory in `Ki`, as metrics-server writes them). Every pod the API server has
  uses `container_usage(pod, t)` of the kubelet stand-in per container at the whole second `t` of the answer (its
  `timestamp`); a node uses `NODE_OVERHEAD_*` plus its pods' sum, so the numbers are a known function of time.
- Pods and nodes are read from the API server on every request (admin token), so the answers follow the cluster.
  Only the lists are served (all, or one namespace's pods), as KubeVision reads nothing else: no single-object GETs,
  no label or field selectors. `requests` counts the answers.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from tests.envtest.controlplane import api_request
from tests.envtest.kubelet import (
    NODE_OVERHEAD_BYTES,
    NODE_OVERHEAD_NANOCORES,
    container_usage,
    make_self_signed_cert,
    rfc3339,
)

GROUP_VERSION = "metrics.k8s.io/v1beta1"
PREFIX = f"/apis/{GROUP_VERSION}"
WINDOW = "30s"  # metrics-server's default scrape window
READ_TIMEOUT_S = 15.0
# A UDP "connection" to this TEST-NET-3 address sends nothing; it only makes the kernel pick the source address.
ROUTE_PROBE_ADDRESS = ("203.0.113.1", 9)

RESOURCES = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": GROUP_VERSION, "resources": [
    {"name": "nodes", "singularName": "", "namespaced": False, "kind": "NodeMetrics", "verbs": ["get", "list"]},
    {"name": "pods", "singularName": "", "namespaced": True, "kind": "PodMetrics", "verbs": ["get", "list"]}]}


class NoNonLoopbackAddressError(RuntimeError):
    """The machine has no non-loopback IPv4 address, which an Endpoints object (and so an APIService) needs."""


def non_loopback_address() -> str:
    """The IPv4 address this machine's default route leaves from; raises `NoNonLoopbackAddressError` without one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(ROUTE_PROBE_ADDRESS)
            address = str(probe.getsockname()[0])
    except OSError as exc:
        raise NoNonLoopbackAddressError(f"no route leaves this machine ({exc}): an APIService's Endpoints need a "
                                        "non-loopback address to reach the metrics-server stand-in") from exc
    if ipaddress.ip_address(address).is_loopback or address == "0.0.0.0":
        raise NoNonLoopbackAddressError(f"the only address found is {address}: Endpoints refuse loopback addresses")
    return address


def cpu_quantity(nanocores: int) -> str:
    """CPU as metrics-server writes it."""
    return f"{nanocores}n"


def memory_quantity(size: int) -> str:
    """Memory as metrics-server writes it (whole KiB)."""
    return f"{size // 1024}Ki"


def _metadata(obj: dict[str, Any]) -> dict[str, Any]:
    source = obj.get("metadata") or {}
    kept = {key: source[key] for key in ("name", "namespace", "labels") if key in source}
    return {**kept, "creationTimestamp": rfc3339(dt.datetime.now(dt.UTC))}


def pod_metrics(pod: dict[str, Any], t: int) -> dict[str, Any]:
    """The PodMetrics of `pod` at whole epoch second `t`."""
    nanocores, working_set = container_usage(pod, t)
    return {"kind": "PodMetrics", "apiVersion": GROUP_VERSION, "metadata": _metadata(pod),
            "timestamp": rfc3339(dt.datetime.fromtimestamp(t, dt.UTC)), "window": WINDOW,
            "containers": [{"name": container["name"],
                            "usage": {"cpu": cpu_quantity(nanocores), "memory": memory_quantity(working_set)}}
                           for container in (pod.get("spec") or {}).get("containers") or []]}


class MetricsServerStandIn:
    """HTTPS server answering `metrics.k8s.io/v1beta1` from the pods and nodes of the API server at `server_url`."""

    def __init__(self, server_url: str, token: str, *, address: str) -> None:
        self.server_url = server_url.rstrip("/")
        self.address = address
        self.port = 0
        self.requests = 0
        self._token = token
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    async def start(self) -> None:
        """Listen on `address` (a free port)."""
        self._tmp = tempfile.TemporaryDirectory(prefix="kubevision-metrics-server-")
        cert, key = make_self_signed_cert(Path(self._tmp.name))
        ssl_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_ctx.load_cert_chain(cert, key)
        app = web.Application()
        app.router.add_get(PREFIX, self._discovery)
        app.router.add_get(f"{PREFIX}/nodes", self._nodes)
        app.router.add_get(f"{PREFIX}/pods", self._pods)
        app.router.add_get(f"{PREFIX}/namespaces/{{namespace}}/pods", self._pods)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.address, 0))
        self.port = int(sock.getsockname()[1])
        self._session = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
            connector=aiohttp.TCPConnector(ssl=False), timeout=aiohttp.ClientTimeout(total=READ_TIMEOUT_S))
        await web.SockSite(self._runner, sock, ssl_context=ssl_ctx).start()

    async def aclose(self) -> None:
        """Stop serving (the APIService then becomes unavailable)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    async def _list(self, path: str) -> list[dict[str, Any]]:
        assert self._session is not None
        async with self._session.get(f"{self.server_url}{path}") as resp:
            resp.raise_for_status()
            return (await resp.json())["items"]

    async def _discovery(self, request: web.Request) -> web.Response:
        return web.json_response(RESOURCES)

    async def _nodes(self, request: web.Request) -> web.Response:
        self.requests += 1
        t = int(time.time())
        nodes, pods = await self._list("/api/v1/nodes"), await self._list("/api/v1/pods")
        used: dict[str, list[int]] = defaultdict(lambda: [NODE_OVERHEAD_NANOCORES, NODE_OVERHEAD_BYTES])
        for pod in pods:
            node = (pod.get("spec") or {}).get("nodeName")
            if node:
                nanocores, working_set = container_usage(pod, t)
                count = len((pod.get("spec") or {}).get("containers") or [])
                used[node][0] += nanocores * count
                used[node][1] += working_set * count
        items = [{"kind": "NodeMetrics", "apiVersion": GROUP_VERSION, "metadata": _metadata(node),
                  "timestamp": rfc3339(dt.datetime.fromtimestamp(t, dt.UTC)), "window": WINDOW,
                  "usage": {"cpu": cpu_quantity(used[name][0]), "memory": memory_quantity(used[name][1])}}
                 for node in nodes for name in [node["metadata"]["name"]]]
        return _listing("NodeMetrics", items)

    async def _pods(self, request: web.Request) -> web.Response:
        self.requests += 1
        t = int(time.time())
        namespace = request.match_info.get("namespace")
        pods = await self._list(f"/api/v1/namespaces/{namespace}/pods" if namespace else "/api/v1/pods")
        return _listing("PodMetrics", [pod_metrics(pod, t) for pod in pods])


def _listing(kind: str, items: list[dict[str, Any]]) -> web.Response:
    return web.json_response({"kind": f"{kind}List", "apiVersion": GROUP_VERSION, "metadata": {}, "items": items})


SERVICE_NAMESPACE, SERVICE_NAME = "kube-system", "metrics-server"
API_SERVICE = "v1beta1.metrics.k8s.io"
API_SERVICE_PATH = f"/apis/apiregistration.k8s.io/v1/apiservices/{API_SERVICE}"
AVAILABLE_TIMEOUT_S = 60.0
POLL_INTERVAL_S = 0.5


def _created(result: tuple[int, Any]) -> None:
    status, body = result
    if status not in (201, 409):
        raise RuntimeError(f"registering the metrics-server stand-in failed: HTTP {status} {body}")


def register_api_service(server_url: str, token: str, *, address: str, port: int) -> None:
    """Create the Service (no selector), its Endpoints (`address:port`) and the APIService `v1beta1.metrics.k8s.io`
    pointing at them, as metrics-server's manifests do (with `insecureSkipTLSVerify`)."""
    service_path = f"/api/v1/namespaces/{SERVICE_NAMESPACE}"
    _created(api_request(server_url, token, "POST", f"{service_path}/services", {
        "metadata": {"name": SERVICE_NAME},
        "spec": {"ports": [{"name": "https", "port": 443, "targetPort": port, "protocol": "TCP"}]}}))
    _created(api_request(server_url, token, "POST", f"{service_path}/endpoints", {
        "metadata": {"name": SERVICE_NAME},
        "subsets": [{"addresses": [{"ip": address}], "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}]}))
    _created(api_request(server_url, token, "POST", "/apis/apiregistration.k8s.io/v1/apiservices", {
        "metadata": {"name": API_SERVICE},
        "spec": {"service": {"namespace": SERVICE_NAMESPACE, "name": SERVICE_NAME, "port": 443},
                 "group": "metrics.k8s.io", "version": "v1beta1", "insecureSkipTLSVerify": True,
                 "groupPriorityMinimum": 100, "versionPriority": 100}}))


def api_service_available(server_url: str, token: str) -> tuple[bool, str]:
    """Whether the APIService's `Available` condition is True, and its message."""
    status, body = api_request(server_url, token, "GET", API_SERVICE_PATH)
    if status != 200:
        return False, f"HTTP {status} {body}"
    for condition in (body.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Available":
            return condition.get("status") == "True", f"{condition.get('reason')}: {condition.get('message')}"
    return False, "no Available condition yet"


def wait_api_service(server_url: str, token: str, *, available: bool, timeout_s: float = AVAILABLE_TIMEOUT_S) -> None:
    """Wait until the APIService is (or is no longer) Available; fail with its condition's message. Available also
    waits for the API server to proxy the group's discovery: its proxy handler is registered a little after the
    condition turns True (it answers a plain 404 until then)."""
    deadline = time.monotonic() + timeout_s
    while True:
        now_available, message = api_service_available(server_url, token)
        if now_available and available:
            status, body = api_request(server_url, token, "GET", PREFIX)
            now_available, message = status == 200, f"discovery through the API server: HTTP {status} {body}"
        if now_available == available:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"APIService {API_SERVICE} not {'available' if available else 'unavailable'} "
                                 f"after {timeout_s:.0f} s: {message}")
        time.sleep(POLL_INTERVAL_S)
