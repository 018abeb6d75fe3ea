""""Forward" beside each port on a pod's and a service's Overview (offered where GET /kinds says the kind can be
forwarded to and the user may), and "Via KubeVision" on the Port forwards page: the pod's web page opened through
KubeVision's HTTP proxy runs sandboxed (no access to KubeVision's storage) and its relative requests reach the pod."""

from __future__ import annotations

import http.server
import re
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
# The pod's page: fetches `data` (a relative URL, so through the proxy) and tries KubeVision's localStorage.
PAGE = """<!doctype html><title>pod page</title><p id="out">loading</p><script>
let storage;
try { localStorage.getItem("kubevision.session"); storage = "storage readable"; }
catch (error) { storage = "storage blocked"; }
fetch("data").then((r) => r.text())
  .then((text) => { document.getElementById("out").textContent = `${text} / ${storage}`; });
</script>"""


class PodPageHandler(http.server.BaseHTTPRequestHandler):
    """The process in the pod: its page at `/`, and `data` for the page's own request."""

    def do_GET(self) -> None:
        body, kind = (PAGE, "text/html") if self.path == "/" else (f"data from the pod at {self.path}", "text/plain")
        encoded = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(encoded)))
        self.end_headers()
        self.wfile.write(encoded)

    def log_message(self, *_args: object) -> None:
        """Quiet."""


@pytest.fixture
def pod_page_server() -> Iterator[int]:
    with http_server_on_loopback(PodPageHandler) as port:
        yield port


def create_web_pod_and_service(control_plane, namespace: str, http_port: int) -> None:
    """Pod `web` (container port `http` 8080 reaching the test's server, and a UDP port); service `web` (80 → http)."""
    kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/pods", {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "labels": {"app": "web"},
                     "annotations": {PORT_FORWARD_ANNOTATION: f"{POD_PORT}={http_port}"}},
        "spec": {"nodeName": "node1", "containers": [{
            "name": "main", "image": "registry.example/web:1.0",
            "ports": [{"name": "http", "containerPort": POD_PORT}, {"name": "dns", "containerPort": 53,
                                                                    "protocol": "UDP"}]}]}})
    kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"name": "front", "port": 80, "targetPort": "http"}]}})


def test_forward_beside_a_port_opens_the_dialog_with_that_port(control_plane, kubelet, namespace, cluster_server,
                                                               page, pod_page_server) -> None:
    create_web_pod_and_service(control_plane, namespace, pod_page_server)
    wait_running(control_plane, namespace, "app=web", 1)
    cid = cluster_id(cluster_server)
    cluster_server.ok("POST", "/users", {"username": "viewer2", "password": "password-123", "role": "readonly"},
                      token=admin_token(cluster_server))

    # A readonly user may not forward: no Forward beside the ports (GET /kinds: no `portforward` verb on pods).
    sign_in(page, cluster_server, "viewer2", "password-123")
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/pods/web")
    expect(page.get_by_role("table", name="Containers")).to_contain_text("8080/TCP (http)", timeout=LIVE_TIMEOUT_MS)
    expect(page.get_by_role("button", name=re.compile("^Forward port"))).to_have_count(0)
    page.get_by_role("button", name=re.compile("Account menu")).click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page.get_by_label("Username")).to_be_visible()

    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/pods/web")
    containers = page.get_by_role("table", name="Containers")
    beside = containers.get_by_role("button", name="Forward port 8080/TCP (http) of main")
    expect(beside).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(containers.get_by_role("button", name="Forward port 53/UDP (dns) of main")).to_have_count(0)  # TCP only
    beside.click()
    dialog = page.get_by_role("dialog")
    chosen = dialog.locator(".forward-port[aria-current='true']")
    expect(chosen).to_contain_text("http · 8080 (main)")
    expect(chosen.get_by_role("button", name="Forward port http · 8080 (main)")).to_be_focused()
    page.keyboard.press("Enter")  # one more key starts it
    address = dialog.locator(".forward-result .forward-address")
    expect(address).to_have_text(re.compile(r"^127\.0\.0\.1:\d+$"), timeout=LIVE_TIMEOUT_MS)
    expect(dialog.locator(".forward-result")).to_contain_text("pods/web:8080")
    screenshot(page, "62-forward-beside-a-port")
    dialog.get_by_role("button", name="Close").click()

    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/services/web")
    ports = page.get_by_role("table", name="Ports")
    ports.get_by_role("button", name="Forward port front · 80").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator(".forward-port[aria-current='true']")).to_contain_text("front · 80")
    dialog.get_by_role("button", name="Forward port front · 80").click()
    expect(dialog.locator(".forward-result")).to_contain_text("services/web:80", timeout=LIVE_TIMEOUT_MS)

    # Through KubeVision's proxy: the page runs sandboxed, and its relative request reaches the pod.
    dialog.get_by_role("link", name="All port forwards").click()
    row = page.get_by_role("row").filter(has_text=f"services/{namespace}/web")
    expect(row).to_contain_text("active", timeout=LIVE_TIMEOUT_MS)
    with page.context.expect_page() as opened:
        row.get_by_role("button", name="Via KubeVision").click()
    proxied = opened.value
    expect(proxied.locator("#out")).to_have_text("data from the pod at /data / storage blocked",
                                                 timeout=LIVE_TIMEOUT_MS)
    assert re.search(r"/api/v1/port-forwards/\w+/proxy/[\w-]+/$", proxied.url), proxied.url
    proxied.close()
