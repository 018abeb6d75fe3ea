"""Pod and node detail for troubleshooting, in Chromium against the real control plane: a pod's containers with
env, mounts and probes (a Secret value masked for a readonly user, never in what the browser receives), a Pending
pod's Logs tab, and a drain from the node page that a PodDisruptionBudget holds back."""

from __future__ import annotations

import base64
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.cluster_objects import LIVE_TIMEOUT_MS, admin_token, cluster_id, kube, wait_running
from tests.browser.conftest import sign_in
from tests.envtest.controlplane import ControlPlane, api_request

pytestmark = pytest.mark.browser

SECRET_VALUE = "s3cr3t-db-password"
VIEWER_PASSWORD = "viewer-password-1"
# The drain's timeout in the dialog: enough for the free pod, short for the one the budget holds.
DRAIN_TIMEOUT_S = 6


def create_env_pod(control_plane: ControlPlane, namespace: str) -> None:
    kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/configmaps", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"level": "debug"}})
    kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/secrets", {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "stringData": {"password": SECRET_VALUE}})
    kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api", "labels": {"app": "api"}},
        "spec": {
            "nodeName": "node1",
            "initContainers": [{"name": "migrate", "image": "registry.example/migrate:1"}],
            "containers": [{
                "name": "main", "image": "registry.example/api:1",
                "ports": [{"containerPort": 8080, "name": "http"}],
                "env": [{"name": "MODE", "value": "production"},
                        {"name": "LEVEL", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "level"}}},
                        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}],
                "volumeMounts": [{"name": "config", "mountPath": "/etc/api", "readOnly": True},
                                 {"name": "scratch", "mountPath": "/tmp/work"}],
                "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "initialDelaySeconds": 5},
                "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 3},
                "resources": {"requests": {"cpu": "250m"}, "limits": {"memory": "256Mi"}},
            }],
            "volumes": [{"name": "config", "configMap": {"name": "settings"}}, {"name": "scratch", "emptyDir": {}}],
        }})


def test_pod_containers_show_env_mounts_and_probes_with_secrets_masked(control_plane, kubelet, namespace,
                                                                        cluster_server, page):
    create_env_pod(control_plane, namespace)
    wait_running(control_plane, namespace, "app=api", 1)
    cluster_server.ok("POST", "/users", {"username": "viewer", "password": VIEWER_PASSWORD, "role": "readonly"},
                      token=admin_token(cluster_server))
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server, "viewer", VIEWER_PASSWORD)
    received: dict[str, str] = {}  # every /api/v1 answer the pod page gets: URL → body

    def record(route) -> None:
        response = route.fetch()
        received[route.request.url] = response.text()
        route.fulfill(response=response)
    page.route("**/api/v1/**", record)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/pods/api", timeout=LIVE_TIMEOUT_MS)

    main = page.get_by_role("group", name="Container main")
    expect(main).to_contain_text("registry.example/api:1")
    expect(main).to_contain_text("http-get http://:8080/healthz delay=5s timeout=1s period=10s #success=1 #failure=3")
    expect(main).to_contain_text("tcp-socket :8080 delay=0s timeout=1s period=3s #success=1 #failure=3")
    expect(main).to_contain_text("cpu: 250m")
    expect(main).to_contain_text("memory: 256Mi")
    env = page.get_by_role("table", name="Environment of main")
    expect(env.get_by_role("row", name=re.compile("MODE"))).to_contain_text("production")
    expect(env.get_by_role("row", name=re.compile("LEVEL"))).to_contain_text("debug")
    secret_row = env.get_by_role("row", name=re.compile("DB_PASSWORD"))
    expect(secret_row).to_contain_text("********", timeout=LIVE_TIMEOUT_MS)
    expect(secret_row).to_contain_text("Secret db key password")
    mounts = page.get_by_role("table", name="Mounts of main")
    expect(mounts.get_by_role("row", name="/etc/api")).to_contain_text("read-only")
    expect(page.get_by_role("group", name="Container migrate")).to_contain_text("registry.example/migrate:1")
    volumes = page.get_by_role("table", name="Volumes")
    expect(volumes.get_by_role("row", name=re.compile("config"))).to_contain_text("ConfigMap settings")
    expect(volumes.get_by_role("row", name=re.compile("scratch"))).to_contain_text("emptyDir")
    expect(page.get_by_role("button", name="Reveal Secret values")).to_have_count(0)

    # Nothing the browser received holds the value, in clear or base64.
    encoded = base64.b64encode(SECRET_VALUE.encode()).decode()
    assert any("/pods/api/environment" in url for url in received), received.keys()
    assert not [url for url, body in received.items() if SECRET_VALUE in body or encoded in body]
    assert SECRET_VALUE not in page.content()
    page.unroute("**/api/v1/**")

    # An admin may reveal it (on request).
    page.context.clear_cookies()
    page.evaluate("localStorage.clear()")
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/pods/api", timeout=LIVE_TIMEOUT_MS)
    env = page.get_by_role("table", name="Environment of main")
    expect(env.get_by_role("row", name=re.compile("DB_PASSWORD"))).to_contain_text("********", timeout=LIVE_TIMEOUT_MS)
    page.get_by_role("button", name="Reveal Secret values").click()
    expect(env.get_by_role("row", name=re.compile("DB_PASSWORD"))).to_contain_text(SECRET_VALUE)


def test_a_pending_pods_logs_say_why_and_stream_once_it_runs(control_plane, kubelet, namespace, cluster_server,
                                                             page):
    kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stuck", "labels": {"app": "stuck"}},
        "spec": {"nodeSelector": {"kubevision.test/no-such-label": "x"},
                 "containers": [{"name": "main", "image": "registry.example/main:1"}]}})
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/pods/stuck?tab=logs", timeout=LIVE_TIMEOUT_MS)
    notice = page.locator(".log-waiting")
    expect(notice).to_contain_text("Container main has not started yet", timeout=LIVE_TIMEOUT_MS)
    expect(notice).to_contain_text("Its log will stream here as soon as it runs")
    expect(page.get_by_role("alert").filter(has_text="50200")).to_have_count(0)

    # Bound to a node, the pod runs: the same tab streams its log without a reload.
    kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/pods/stuck/binding", {
        "apiVersion": "v1", "kind": "Binding", "metadata": {"name": "stuck"},
        "target": {"apiVersion": "v1", "kind": "Node", "name": kubelet.node_name}})
    view = page.get_by_role("region", name="Log lines")
    expect(view).to_contain_text("line 20 from stuck/main", timeout=LIVE_TIMEOUT_MS)
    expect(notice).to_have_count(0)
    expect(view).to_contain_text("container main started")


def test_drain_from_the_node_page(control_plane, namespace, spare_node, cluster_server, page):
    for name in ("guarded-a", "guarded-b"):
        kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/pods", {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "guarded"}},
            "spec": {"nodeName": spare_node, "terminationGracePeriodSeconds": 0,
                     "containers": [{"name": "main", "image": "registry.example/main:1"}]}})
    kube(control_plane, "POST", f"/apis/policy/v1beta1/namespaces/{namespace}/poddisruptionbudgets", {
        "apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget", "metadata": {"name": "guard"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "guarded"}}}})
    deadline = time.monotonic() + 60
    while (kube(control_plane, "GET", f"/apis/policy/v1beta1/namespaces/{namespace}/poddisruptionbudgets/guard")
           .get("status", {}).get("disruptionsAllowed")) != 1:
        assert time.monotonic() < deadline, "the budget never allowed a disruption"
        time.sleep(0.5)

    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/_all/nodes/{spare_node}", timeout=LIVE_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Cordon")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    page.get_by_role("button", name="Drain", exact=True).click()
    dialog = page.get_by_role("dialog", name=f"Drain node {spare_node}?")
    plan = dialog.get_by_role("table", name="Drain plan")
    # Bare pods block (nothing recreates them) until force is set; the dry run says so and nothing changed.
    expect(plan.get_by_role("row", name=re.compile("guarded-a"))).to_contain_text("Blocks", timeout=LIVE_TIMEOUT_MS)
    expect(dialog.get_by_role("button", name="Drain", exact=True)).to_be_disabled()
    dialog.get_by_label("Evict pods no controller manages (force)").check()
    expect(plan.get_by_role("row", name=re.compile("guarded-b"))).to_contain_text("Evict (waits)",
                                                                                  timeout=LIVE_TIMEOUT_MS)
    expect(plan.get_by_role("row", name=re.compile("guarded-b"))).to_contain_text("PodDisruptionBudget guard")
    expect(plan.get_by_role("row", name=re.compile("guarded-a"))).to_contain_text("Evict")
    command = dialog.locator(".kubectl-command")
    expect(command).to_contain_text(f"kubectl drain {spare_node} --ignore-daemonsets --force")
    node = kube(control_plane, "GET", f"/api/v1/nodes/{spare_node}")
    assert not node["spec"].get("unschedulable")

    dialog.get_by_label("Timeout in seconds").fill(str(DRAIN_TIMEOUT_S))
    expect(dialog.locator(".kubectl-command")).to_contain_text(f"--timeout={DRAIN_TIMEOUT_S}s")
    expect(dialog.get_by_role("button", name="Drain", exact=True)).to_be_enabled(timeout=LIVE_TIMEOUT_MS)
    dialog.get_by_role("button", name="Drain", exact=True).click()
    progress = dialog.get_by_role("table", name="Drain progress")
    # Live: the budget refuses one eviction while the other guarded pod goes (they run concurrently: either).
    expect(progress.get_by_role("row").filter(has_text="waiting")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(progress.get_by_role("row").filter(has_text="timedOut")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(dialog.get_by_role("alert")).to_contain_text("could not be evicted")
    expect(dialog.locator(".drain-summary")).to_contain_text("Stopped: 1 of 2 evicted")
    kept = progress.get_by_role("row").filter(has_text="timedOut").inner_text()
    remaining = {name for name in ("guarded-a", "guarded-b")
                 if api_request(control_plane.server_url, control_plane.admin_token, "GET",
                                f"/api/v1/namespaces/{namespace}/pods/{name}")[0] == 200}
    assert len(remaining) == 1 and remaining.pop() in kept
    assert kube(control_plane, "GET", f"/api/v1/nodes/{spare_node}")["spec"]["unschedulable"] is True
    dialog.get_by_role("button", name="Close").click()
    expect(page.locator(".chip-warn").filter(has_text="Unschedulable")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
