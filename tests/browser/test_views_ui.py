"""Overview dashboard, topology, Cmd/Ctrl+K search, workload action dialogs and favorites."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.cluster_objects import (
    LIVE_TIMEOUT_MS,
    cluster_id,
    create_deployment,
    kube,
    wait_running,
)
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def _wait_replicasets(control_plane, namespace: str, count: int, timeout_s: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    items: list[dict] = []
    while time.monotonic() < deadline:
        items = kube(control_plane, "GET", f"/apis/apps/v1/namespaces/{namespace}/replicasets")["items"]
        if len(items) >= count:
            return items
        time.sleep(0.3)
    raise AssertionError(f"{count} replicasets expected, got {len(items)}")


def test_overview_topology_and_search(control_plane, kubelet, namespace, cluster_server, page):
    create_deployment(control_plane, namespace, "web", replicas=2)
    pods = wait_running(control_plane, namespace, "app=web", 2)
    kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)

    # Visiting the namespace makes it the current one; the overview then summarises it too.
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/pods")
    expect(page.get_by_role("row", name=re.compile(pods[0]))).to_be_visible()
    page.get_by_role("navigation", name="Resources").get_by_role("link", name="Overview").click()
    expect(page.get_by_role("heading", name="envtest-admin")).to_be_visible()
    summary = page.get_by_role("region", name=re.compile(f"Namespace {namespace}"))
    expect(summary.locator(".ns-count", has_text="Pods")).to_contain_text("2")
    expect(summary.locator(".ns-count", has_text="Deployments")).to_contain_text("1")
    expect(summary.locator(".ns-count", has_text="Services")).to_contain_text("1")
    expect(page.locator(".stat-card", has_text="Nodes")).to_contain_text("1")
    expect(page.get_by_role("region", name="Capacity")).to_contain_text("CPU requests")
    expect(page.get_by_role("img", name=re.compile("pods: Running"))).to_be_visible()
    page.wait_for_timeout(300)
    screenshot(page, "36-overview")

    # Topology: Service → Pods, Deployment → ReplicaSet → Pods; click a node to open it.
    page.get_by_role("navigation", name="Resources").get_by_role("link", name="Topology").click()
    expect(page).to_have_url(re.compile(rf"/c/{cid}/ns/{namespace}/topology$"))
    graph = page.get_by_role("group", name=f"Topology of {namespace}")
    expect(graph.locator('[data-id="Deployment/web"]')).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(graph.locator('[data-id^="ReplicaSet/web-"]')).to_have_count(1)
    for pod in pods:
        expect(graph.locator(f'[data-id="Pod/{pod}"]')).to_be_visible()
    expect(graph.locator('[data-id="Service/web"]')).to_be_visible()
    expect(graph.locator(".topo-edge-owns")).to_have_count(3)
    expect(graph.locator(".topo-edge-selects")).to_have_count(2)
    # Pan and zoom move the drawing.
    before = graph.locator("g").first.get_attribute("transform")
    box = page.locator(".topo-box").bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + box["height"] - 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 140, box["y"] + box["height"] - 60, steps=5)
    page.mouse.up()
    page.mouse.wheel(0, -300)
    expect(graph.locator("g").first).not_to_have_attribute("transform", before)
    page.get_by_role("button", name="Fit to screen").click()
    page.wait_for_timeout(300)
    screenshot(page, "37-topology")
    graph.locator('[data-id="Deployment/web"]').click()
    expect(page).to_have_url(re.compile(rf"/c/{cid}/ns/{namespace}/deployments/web$"))

    # Cmd/Ctrl+K finds a pod; Enter opens it; the palette remembers it as recent.
    page.keyboard.press("Control+k")
    palette = page.get_by_role("dialog", name="Search")
    expect(palette).to_be_visible()
    page.get_by_role("combobox", name="Search objects").fill(pods[1][-5:])
    option = palette.get_by_role("option", name=re.compile(pods[1]))
    expect(option).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    screenshot(page, "38-search-palette")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/c/{cid}/ns/{namespace}/pods/{pods[1]}$"))
    expect(palette).to_be_hidden()
    page.keyboard.press("Control+k")
    expect(palette.get_by_role("listbox", name="Recent")).to_contain_text(pods[1])
    page.keyboard.press("Escape")
    expect(palette).to_be_hidden()


def test_action_dialogs_and_favorites(control_plane, kubelet, namespace, cluster_server, page):
    create_deployment(control_plane, namespace, "api", replicas=1, image="registry.example/api:1.0")
    wait_running(control_plane, namespace, "app=api", 1)
    _wait_replicasets(control_plane, namespace, 1)
    # A second revision with another image, for the rollback.
    kube(control_plane, "PATCH", f"/apis/apps/v1/namespaces/{namespace}/deployments/api",
         [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "registry.example/api:2.0"}])
    _wait_replicasets(control_plane, namespace, 2)
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/deployments/api")
    expect(page.get_by_role("heading", name="api")).to_be_visible()

    # Scale with the kubectl equivalent, confirmed.
    page.get_by_role("button", name="Scale", exact=True).click()
    dialog = page.get_by_role("dialog", name="Scale api")
    dialog.get_by_role("button", name="One more").click()
    dialog.get_by_role("button", name="One more").click()
    expect(dialog.get_by_role("list", name="kubectl commands")).to_contain_text(
        f"kubectl scale deployment api -n {namespace} --replicas=3")
    screenshot(page, "39-scale-dialog")
    dialog.get_by_role("button", name="Scale", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status").filter(has_text="Scaled api to 3")).to_be_visible()
    deployment = kube(control_plane, "GET", f"/apis/apps/v1/namespaces/{namespace}/deployments/api")
    assert deployment["spec"]["replicas"] == 3

    # Rollback: history with images, and the template diff of the chosen revision.
    page.get_by_role("button", name="Rollback", exact=True).click()
    dialog = page.get_by_role("dialog", name="Roll back api")
    history = dialog.get_by_role("table", name="Rollout history")
    expect(history).to_contain_text("registry.example/api:1.0", timeout=LIVE_TIMEOUT_MS)
    expect(history).to_contain_text("registry.example/api:2.0")
    diff = dialog.get_by_role("region", name="Changes")
    expect(diff).to_contain_text("registry.example/api:1.0")
    expect(dialog.locator(".diff-del")).to_contain_text("registry.example/api:2.0")
    expect(dialog).to_contain_text(f"kubectl rollout undo deployment/api -n {namespace} --to-revision=1")
    screenshot(page, "40-rollback-dialog")
    dialog.get_by_role("button", name="Roll back to revision 1").click()
    expect(dialog).to_be_hidden()
    deadline = time.monotonic() + 15
    image = ""
    while time.monotonic() < deadline:
        deployment = kube(control_plane, "GET", f"/apis/apps/v1/namespaces/{namespace}/deployments/api")
        image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        if image == "registry.example/api:1.0":
            break
        time.sleep(0.3)
    assert image == "registry.example/api:1.0"

    # Pause asks first and shows kubectl; then the button offers Resume.
    page.get_by_role("button", name="Pause", exact=True).click()
    dialog = page.get_by_role("dialog", name=re.compile("Pause the rollout"))
    expect(dialog).to_contain_text(f"kubectl rollout pause deployment api -n {namespace}")
    dialog.get_by_role("button", name="Pause", exact=True).click()
    # The dialog closes (the live page may turn its labels to "Resume" while it does).
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("button", name="Resume", exact=True)).to_be_visible()

    # Favorites: star the object and a list view; both appear in the sidebar and survive a reload.
    page.get_by_role("button", name="Add Deployment api to favorites").click()
    favorites = page.get_by_role("list", name="Favorites")
    expect(favorites.get_by_role("link", name="Deployment api")).to_be_visible()
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/pods")
    page.get_by_role("button", name=re.compile("Add Pods .* to favorites")).click()
    expect(favorites.get_by_role("link")).to_have_count(2)
    page.reload()
    expect(page.get_by_role("list", name="Favorites").get_by_role("link")).to_have_count(2)
    page.get_by_role("list", name="Favorites").get_by_role("link", name="Deployment api").click()
    expect(page).to_have_url(re.compile(r"/deployments/api$"))
    expect(page.get_by_role("button", name="Remove Deployment api from favorites")).to_be_visible()
    screenshot(page, "41-favorites")


def test_node_cordon_dialog(control_plane, kubelet, cluster_server, page):
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/_all/nodes/node1")
    page.get_by_role("button", name="Cordon", exact=True).click()
    dialog = page.get_by_role("dialog", name="Cordon node node1?")
    expect(dialog).to_contain_text("kubectl cordon node1")
    dialog.get_by_role("button", name="Cordon", exact=True).click()
    expect(dialog).to_be_hidden(timeout=LIVE_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Uncordon", exact=True)).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    node = kube(control_plane, "GET", "/api/v1/nodes/node1")
    assert node["spec"].get("unschedulable") is True
    page.get_by_role("button", name="Uncordon", exact=True).click()
    dialog = page.get_by_role("dialog", name="Uncordon node node1?")
    dialog.get_by_role("button", name="Uncordon", exact=True).click()
    expect(dialog).to_be_hidden(timeout=LIVE_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Cordon", exact=True)).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    assert not kube(control_plane, "GET", "/api/v1/nodes/node1")["spec"].get("unschedulable")
