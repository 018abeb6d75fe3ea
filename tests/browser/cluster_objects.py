"""Shared set-up for the logs/terminal, views and account browser tests (real control plane)."""

from __future__ import annotations

import contextlib
import http.server
import threading
import time
from collections.abc import Iterator

from tests.browser.conftest import ADMIN_PASSWORD
from tests.envtest.controlplane import api_request

LIVE_TIMEOUT_MS = 20_000


def admin_token(server) -> str:
    """An admin access token for API set-up."""
    return server.ok("POST", "/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})["accessToken"]


def cluster_id(server) -> int:
    """The id of the control plane's cluster in KubeVision."""
    clusters = server.ok("GET", "/clusters", token=admin_token(server))
    return next(c["id"] for c in clusters if c["name"] == "envtest-admin")


def kube(control_plane, method: str, path: str, body=None):
    """A Kubernetes API call as admin; returns the decoded answer (PATCH bodies are JSON patches)."""
    content_type = "application/json-patch+json" if method == "PATCH" else "application/json"
    status, answer = api_request(control_plane.server_url, control_plane.admin_token, method, path, body,
                                 content_type=content_type)
    assert status < 300, (status, answer)
    return answer


def create_pod(control_plane, namespace: str, name: str, containers=("main",), labels=None, annotations=None) -> None:
    """A pod bound to the kubelet stand-in's node, so it runs and serves logs and exec."""
    kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/pods", {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {"app": name}, "annotations": annotations or {}},
        "spec": {"nodeName": "node1",
                 "containers": [{"name": c, "image": f"registry.example/{c}:1.0"} for c in containers]},
    })


def create_deployment(control_plane, namespace: str, name: str, replicas: int = 2,
                      image: str = "registry.example/web:1.0") -> None:
    """A Deployment whose pods the scheduler places on node1."""
    kube(control_plane, "POST", f"/apis/apps/v1/namespaces/{namespace}/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{
                                  "name": "main", "image": image,
                                  "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]}}},
    })


def wait_running(control_plane, namespace: str, selector: str, count: int, timeout_s: float = 60) -> list[str]:
    """Names of `count` Running pods matching `selector`."""
    deadline = time.monotonic() + timeout_s
    names: list[str] = []
    while time.monotonic() < deadline:
        pods = kube(control_plane, "GET", f"/api/v1/namespaces/{namespace}/pods?labelSelector={selector}")["items"]
        names = sorted(p["metadata"]["name"] for p in pods if (p.get("status") or {}).get("phase") == "Running"
                       and not p["metadata"].get("deletionTimestamp"))
        if len(names) >= count:
            return names
        time.sleep(0.3)
    raise AssertionError(f"pods {selector} not running: {names}")


@contextlib.contextmanager
def http_server_on_loopback(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[int]:
    """An HTTP server on 127.0.0.1 in a thread (its port): what a forwarded pod port reaches through the stand-in."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name=f"http-{handler.__name__}", daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
