"""Shared benchmark plumbing: a real control plane, a KubeVision server process, seeding, timing, reports."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import aiohttp

from tests.envtest.controlplane import ControlPlane

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_DOC = ROOT / "docs" / "benchmarks.md"
ADMIN_PASSWORD = "benchmark-password-1"
SEED_CONCURRENCY = 100


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the samples fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def median(values: list[float]) -> float:
    """The median."""
    return statistics.median(values)


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB."""
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024  # type: ignore[union-attr]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def control_plane() -> Iterator[ControlPlane]:
    """A private control plane (etcd on tmpfs when available, for seeding speed)."""
    base = "/dev/shm" if Path("/dev/shm").is_dir() else None
    plane = ControlPlane(base_dir=base)
    plane.start()
    try:
        yield plane
    finally:
        plane.stop()


class Server:
    """`python -m kubevision serve` as a subprocess against a kubeconfig."""

    def __init__(self, kubeconfig: str, *, settings: dict[str, str] | None = None) -> None:
        """`settings`: `KUBEVISION_*` environment variables for the server (e.g. `KUBEVISION_TABLE_WINDOW_ROWS`)."""
        self.settings = settings or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._data_dir = tempfile.TemporaryDirectory(prefix="kv-bench-")
        self._kubeconfig = kubeconfig
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start and wait for /readyz."""
        env = {**os.environ, "KUBEVISION_ADMIN_PASSWORD": ADMIN_PASSWORD, **self.settings}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kubevision", "serve", "--no-browser", "--port", str(self.port),
             "--data-dir", self._data_dir.name, "--kubeconfig", self._kubeconfig, "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return
            time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        """Stop and clean up."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)
        self._data_dir.cleanup()

    @property
    def pid(self) -> int:
        """The server's process id."""
        assert self.process is not None
        return self.process.pid


@contextlib.asynccontextmanager
async def kubevision_session(server: Server) -> AsyncIterator[tuple[aiohttp.ClientSession, dict[str, str]]]:
    """An HTTP session to the server and the admin's auth header."""
    async with aiohttp.ClientSession(server.url) as session:
        async with session.post("/api/v1/auth/login",
                                json={"username": "admin", "password": ADMIN_PASSWORD}) as response:
            token = (await response.json())["data"]["accessToken"]
        yield session, {"Authorization": f"Bearer {token}"}


@contextlib.asynccontextmanager
async def apiserver_session(plane: ControlPlane) -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP session straight to the API server as admin."""
    connector = aiohttp.TCPConnector(ssl=False, limit=SEED_CONCURRENCY)
    headers = {"Authorization": f"Bearer {plane.admin_token}"}
    async with aiohttp.ClientSession(plane.server_url, headers=headers, connector=connector) as session:
        yield session


def pod_manifest(name: str, node: str, **labels: str) -> dict[str, Any]:
    """A small pod bound to a node with no kubelet (so it stays put and nothing schedules it)."""
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": {"app": "bench", **labels}},
            "spec": {"nodeName": node, "containers": [{"name": "app", "image": "registry.local/app:1.0",
                                                        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}}


def realistic_pod(name: str, node: str, **labels: str) -> dict[str, Any]:
    """A pod as real clusters hold them (about 4 KB as JSON once its status is written): an app container and a
    sidecar with env (literal, Secret, ConfigMap and field references), volume mounts, probes and resources, and
    four kinds of volumes. `pod_status` is its status."""
    probe = {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, "initialDelaySeconds": 5,
             "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3}
    env = [{"name": f"SETTING_{index}", "value": f"value-{index}-{name}"} for index in range(8)] + [
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
        {"name": "FEATURES", "valueFrom": {"configMapKeyRef": {"name": "features", "key": "flags"}}},
        {"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}},
    ]
    mounts = [{"name": "config", "mountPath": "/etc/app"}, {"name": "tls", "mountPath": "/etc/tls", "readOnly": True},
              {"name": "scratch", "mountPath": "/tmp"}]
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "bench", "app.kubernetes.io/part-of": "bench-suite",
                                              "pod-template-hash": "7d9f8c6b5", **labels},
                     "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9090"}},
        "spec": {
            "nodeName": node, "serviceAccountName": "default", "terminationGracePeriodSeconds": 30,
            "containers": [
                {"name": "app", "image": "registry.local/team/app:1.42.0", "imagePullPolicy": "IfNotPresent",
                 "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"},
                           {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}],
                 "env": env, "volumeMounts": mounts, "livenessProbe": probe, "readinessProbe": probe,
                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                               "limits": {"cpu": "500m", "memory": "256Mi"}}},
                {"name": "proxy", "image": "registry.local/mesh/proxy:1.20.1",
                 "args": ["--config", "/etc/app/proxy.yaml", "--log-level", "info"],
                 "ports": [{"name": "proxy", "containerPort": 15001, "protocol": "TCP"}],
                 "volumeMounts": mounts[:1], "readinessProbe": {**probe, "httpGet": {"path": "/ready", "port": 15021}},
                 "resources": {"requests": {"cpu": "10m", "memory": "40Mi"},
                               "limits": {"cpu": "200m", "memory": "128Mi"}}},
            ],
            "volumes": [
                {"name": "config", "configMap": {"name": "app-config", "defaultMode": 420}},
                {"name": "tls", "secret": {"secretName": "app-tls", "defaultMode": 420}},
                {"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}},
                {"name": "token", "projected": {"sources": [{"serviceAccountToken": {"expirationSeconds": 3607,
                                                                                     "path": "token"}}]}},
            ],
        },
    }


def pod_status(index: int) -> dict[str, Any]:
    """A running pod's status: four conditions, two ready containers, IPs."""
    started = "2026-11-30T08:00:00Z"
    conditions = [{"type": kind, "status": "True", "lastProbeTime": None, "lastTransitionTime": started}
                  for kind in ("Initialized", "Ready", "ContainersReady", "PodScheduled")]
    containers = [{"name": name, "ready": True, "restartCount": index % 3, "started": True,
                   "image": image, "imageID": f"{image}@sha256:{'ab' * 32}",
                   "containerID": f"containerd://{index:064x}", "state": {"running": {"startedAt": started}}}
                  for name, image in (("app", "registry.local/team/app:1.42.0"),
                                      ("proxy", "registry.local/mesh/proxy:1.20.1"))]
    return {"phase": "Running", "conditions": conditions, "containerStatuses": containers, "qosClass": "Burstable",
            "hostIP": "10.0.0.1", "podIP": f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}",
            "podIPs": [{"ip": f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}"}],
            "startTime": started}


async def create_all(api: aiohttp.ClientSession, items: Iterable[tuple[str, dict[str, Any]]], *,
                     with_status: bool = False) -> None:
    """POST every (collection path, body), SEED_CONCURRENCY at a time; with `with_status` the body's `status` is
    then written through the status subresource (a create ignores it)."""
    queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)

    async def worker() -> None:
        while not queue.empty():
            path, body = queue.get_nowait()
            async with api.post(path, json=body) as response:
                if response.status >= 300:
                    raise RuntimeError(f"seeding {path} failed: {response.status} {await response.text()}")
                created = await response.json()
            if with_status and "status" in body:
                created["status"] = body["status"]
                name = created["metadata"]["name"]
                async with api.put(f"{path}/{name}/status", json=created) as response:
                    if response.status >= 300:
                        raise RuntimeError(f"status of {path}/{name}: {response.status} {await response.text()}")

    await asyncio.gather(*(worker() for _ in range(SEED_CONCURRENCY)))


async def seed_pods(api: aiohttp.ClientSession, namespace: str, count: int, *, node: str = "bench-node",
                    realistic: bool = False) -> float:
    """Create a bare Node, the namespace and `count` pods in parallel (`realistic`: `realistic_pod`s with their
    status written); returns the seconds it took."""
    await api.post("/api/v1/nodes", json={"apiVersion": "v1", "kind": "Node", "metadata": {"name": node}})
    await api.post("/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace",
                                               "metadata": {"name": namespace}})
    started = time.monotonic()

    def manifest(index: int) -> dict[str, Any]:
        name = f"pod-{index:06d}"
        if realistic:
            return {**realistic_pod(name, node, shard=str(index % 10)), "status": pod_status(index)}
        return pod_manifest(name, node, shard=str(index % 10))

    await create_all(api, ((f"/api/v1/namespaces/{namespace}/pods", manifest(index)) for index in range(count)),
                     with_status=realistic)
    return time.monotonic() - started


async def timed(session: aiohttp.ClientSession, path: str, runs: int, **kwargs: Any) -> list[float]:
    """Wall times in ms of `runs` GETs (bodies read fully)."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        async with session.get(path, **kwargs) as response:
            await response.read()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def write_section(name: str, markdown: str) -> None:
    """Replace (or append) the `name` section of docs/benchmarks.md, leaving the others alone."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = BENCHMARKS_DOC.read_text() if BENCHMARKS_DOC.exists() else "# Benchmarks\n"
    block = f"{start}\n{markdown.rstrip()}\n{end}"
    if start in text and end in text:
        text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    BENCHMARKS_DOC.parent.mkdir(exist_ok=True)
    BENCHMARKS_DOC.write_text(text)


def benchmark_main(doc: str, configure: Callable[[argparse.ArgumentParser], None],
                   run: Callable[[argparse.Namespace], tuple[str, str]], argv: list[str] | None = None) -> int:
    """The command line of a benchmark: parse (`configure` adds its options; `--no-write` is common), run
    (returns the docs section name and its markdown), print the markdown, write it into docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    configure(parser)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args(argv)
    name, markdown = run(args)
    print(markdown)
    if not args.no_write:
        write_section(name, markdown)
    return 0
