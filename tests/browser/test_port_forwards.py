"""Port-forwards in the browser, against the real control plane and the kubelet stand-in: "Forward" on a deployment
page starts a forward, the Port forwards page shows its state live, "Open" reaches the HTTP server behind the pod,
the forward follows the deployment to its next pod, and Stop ends it."""

from __future__ import annotations

import http.server
import re
import socket
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.cluster_objects import (
    LIVE_TIMEOUT_MS,
    admin_token,
    cluster_id,
    http_server_on_loopback,
    kube,
    wait_running,
)
from tests.browser.conftest import screenshot, sign_in
from tests.envtest.kubelet import PORT_FORWARD_ANNOTATION

pytestmark = pytest.mark.browser

POD_PORT = 8080


class PodHttpHandler(http.server.BaseHTTPRequestHandler):
    """The process in the pod: answers every GET with the path it was asked for."""

    def do_GET(self) -> None:
        body = f"hello from the api pod: {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        """Quiet."""


@pytest.fixture
def pod_http_server() -> Iterator[int]:
    """An HTTP server on 127.0.0.1 (its port): what the forwarded pod port reaches through the stand-in."""
    with http_server_on_loopback(PodHttpHandler) as port:
        yield port


def create_api_deployment(control_plane, namespace: str, http_port: int) -> None:
    """Deployment `api` (one pod) whose container port `http` (8080) reaches the test's HTTP server."""
    kube(control_plane, "POST", f"/apis/apps/v1/namespaces/{namespace}/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "api"}},
                 "template": {"metadata": {"labels": {"app": "api"},
                                           "annotations": {PORT_FORWARD_ANNOTATION: f"{POD_PORT}={http_port}"}},
                              "spec": {"containers": [{"name": "main", "image": "registry.example/api:1.0",
                                                       "ports": [{"name": "http", "containerPort": POD_PORT}]}]}}},
    })


def test_forward_from_a_deployment_page_reaches_the_pod(control_plane, kubelet, namespace, cluster_server, page,
                                                        pod_http_server) -> None:
    create_api_deployment(control_plane, namespace, pod_http_server)
    [first_pod] = wait_running(control_plane, namespace, "app=api", 1)
    cid = cluster_id(cluster_server)
    cluster_server.ok("POST", "/users", {"username": "viewer", "password": "password-123", "role": "readonly"},
                      token=admin_token(cluster_server))

    # A readonly user sees no Forward action (GET /kinds: no `portforward` verb).
    sign_in(page, cluster_server, "viewer", "password-123")
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/deployments/api")
    expect(page.get_by_role("button", name="Refresh")).to_be_visible()
    expect(page.get_by_role("button", name="Forward", exact=True)).to_have_count(0)
    page.get_by_role("button", name=re.compile("Account menu")).click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page.get_by_label("Username")).to_be_visible()  # signed out (the session is gone from this origin)

    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/deployments/api")
    page.get_by_role("button", name="Forward", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Forward port http · 8080 (main)").click()
    address = dialog.locator(".forward-result .forward-address")
    expect(address).to_have_text(re.compile(r"^127\.0\.0\.1:\d+$"), timeout=LIVE_TIMEOUT_MS)
    local_port = int(address.inner_text().rsplit(":", 1)[1])
    screenshot(page, "60-port-forward-dialog")

    # The Port forwards page: the state arrives live; "Open" shows what the pod's HTTP server answers.
    dialog.get_by_role("link", name="All port forwards").click()
    expect(page.get_by_role("heading", name="Port forwards")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=f"deployments/{namespace}/api")
    expect(row).to_contain_text("active", timeout=LIVE_TIMEOUT_MS)
    expect(row).to_contain_text(f"{first_pod}:{POD_PORT}")
    expect(row).to_contain_text(f"127.0.0.1:{local_port}")
    with page.context.expect_page() as opened:
        row.get_by_role("link", name="Open").click()
    pod_page = opened.value
    expect(pod_page.locator("body")).to_have_text("hello from the api pod: /", timeout=LIVE_TIMEOUT_MS)
    pod_page.close()
    screenshot(page, "61-port-forwards-page")

    # The pod goes away: the forward follows the deployment to the replacement pod, on the same local port.
    kube(control_plane, "DELETE", f"/api/v1/namespaces/{namespace}/pods/{first_pod}")
    expect(row.locator("td").nth(6)).to_have_text("1", timeout=LIVE_TIMEOUT_MS)  # reconnects
    expect(row).to_contain_text("active")
    expect(row).not_to_contain_text(first_pod)
    with socket.create_connection(("127.0.0.1", local_port), timeout=10) as connection:
        connection.sendall(b"GET /again HTTP/1.0\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    assert answer.endswith(b"hello from the api pod: /again")

    row.get_by_role("button", name=re.compile("Stop the forward")).click()
    expect(page.get_by_text("No port forwards")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", local_port), timeout=10).close()
