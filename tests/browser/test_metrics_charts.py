"""Metrics charts in the browser, against the real control plane and the kubelet stand-in (whose Summary API numbers
change over time): a pod's and a node's Metrics tab draw CPU and memory with uPlot, show requests and limits, values
under the cursor, switch ranges (as far back as the server says each series goes), network and restarts (said to be
not kept where they are not), the overview's busiest pods and nodes, and for a cluster whose credentials lack
`nodes/proxy` the server's reason."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.cluster_objects import (
    LIVE_TIMEOUT_MS,
    admin_token,
    cluster_id,
    create_deployment,
    kube,
    wait_running,
)
from tests.browser.conftest import ADMIN_PASSWORD, screenshot, sign_in, start_server, stop_server
from tests.kube.test_metrics import NODE, no_proxy_token, pod_manifest  # noqa: F401 (no_proxy_token: a fixture)
from tests.kube.test_overview_rbac import kubeconfig

pytestmark = pytest.mark.browser

# A sampler round every second and 3-second buckets, so that the 1-hour and the 7-day charts both fill within a test.
FAST_METRICS_ENV = {"KUBEVISION_METRICS_INTERVAL_S": "1", "KUBEVISION_METRICS_BUCKET_S": "3"}
# A usage line pixel: within this distance (sum over R, G, B) of the theme's usage colour.
COLOUR_TOLERANCE = 60
# Enough such pixels to be a line with points, not a legend marker.
MIN_LINE_PIXELS = 30

# Whether the first plot's canvas has at least `minimum` pixels in the usage colour (read from the chart's swatch, as
# the chart does). A function, not an expression: the page's CSP forbids eval.
USAGE_LINE_DRAWN = """([tolerance, minimum]) => {
  const plot = document.querySelector(".metrics-plot");
  const canvas = plot?.querySelector(".u-wrap canvas");
  if (!canvas || !canvas.width) return false;
  const [r, g, b] = getComputedStyle(plot.querySelector("[data-colour=usage]")).color.match(/\\d+/g).map(Number);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    const distance = Math.abs(pixels[i] - r) + Math.abs(pixels[i + 1] - g) + Math.abs(pixels[i + 2] - b);
    if (pixels[i + 3] > 200 && distance < tolerance) count++;
  }
  return count >= minimum;
}"""


@pytest.fixture
def metrics_server(request, tmp_path, admin_kubeconfig) -> Iterator:
    """A server on the control plane whose sampler runs every second."""
    server = start_server(tmp_path, admin_password=ADMIN_PASSWORD, kubeconfig=admin_kubeconfig,
                          settings_env=FAST_METRICS_ENV)
    yield server
    stop_server(server)


def wait_for_drawn_line(page) -> None:
    """Wait until the first plot's canvas shows the usage line."""
    page.wait_for_function(USAGE_LINE_DRAWN, arg=[COLOUR_TOLERANCE, MIN_LINE_PIXELS], timeout=LIVE_TIMEOUT_MS * 3)


def hover_legend(page, plot_title: str) -> list[str]:
    """Move the cursor over the right end of a plot and return its legend's values (time, usage, request, limit)."""
    plot = page.get_by_role("region", name=f"{plot_title} over time")
    box = plot.locator(".u-over").bounding_box()
    page.mouse.move(box["x"] + box["width"] - 4, box["y"] + box["height"] / 2)
    return plot.locator(".u-legend .u-series .u-value").all_inner_texts()


def legend_number(text: str, unit: str) -> float:
    """The number in a legend value such as "104m" or "70.5 MiB" (fails on another unit or "--")."""
    match = re.fullmatch(rf"(\d+(?:\.\d+)?){unit}", text)
    assert match, f"legend value {text!r} is not a number in {unit!r}"
    return float(match.group(1))


def test_pod_and_node_charts_draw_switch_range_and_show_values(control_plane, kubelet, namespace, metrics_server,
                                                                page) -> None:
    server = metrics_server
    manifest = pod_manifest("busy", cpu_m=100, memory_mib=64, requests={"cpu": "200m", "memory": "256Mi"})
    manifest["metadata"]["labels"] = {"app": "busy"}
    kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/pods", manifest)
    create_deployment(control_plane, namespace, "web", replicas=1)
    wait_running(control_plane, namespace, "app=busy", 1)
    wait_running(control_plane, namespace, "app=web", 1)
    cid = cluster_id(server)

    sign_in(page, server)
    page.goto(f"{server.url}/c/{cid}/ns/{namespace}/pods/busy")
    page.get_by_role("tab", name="Metrics").click()
    expect(page.get_by_role("tab", name="Metrics")).to_have_attribute("aria-selected", "true")
    ranges = page.get_by_role("radiogroup", name="Time range")
    # A pod's history covers 1 hour (the server's maxRangeSeconds): no longer ranges offered.
    expect(ranges.get_by_role("radio")).to_have_text(["15 min", "1 hour"], timeout=LIVE_TIMEOUT_MS)
    expect(ranges.get_by_role("radio", name="1 hour")).to_have_attribute("aria-checked", "true")
    expect(page.get_by_text("Source: kubelet Summary API")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    wait_for_drawn_line(page)

    cpu = page.get_by_role("region", name="CPU over time")
    memory = page.get_by_role("region", name="Memory over time")
    # Requests and limits are lines of their own (200m / 256Mi on this pod) with values in the legend.
    expect(cpu.locator(".u-legend .u-series .u-label")).to_have_text(["Time", "CPU", "Request", "Limit"])
    expect(memory.locator(".u-legend .u-series .u-label")).to_have_text(["Time", "Memory", "Request", "Limit"])
    # The stand-in reports 100m and 64 MiB plus a sawtooth of up to 59 (m, MiB): the legend shows them under the cursor.
    _, usage, request, limit = hover_legend(page, "CPU")
    assert 100 <= legend_number(usage, "m") < 160 and (request, limit) == ("200m", "200m")
    _, usage, request, limit = hover_legend(page, "Memory")
    assert 64 <= legend_number(usage, " MiB") < 124 and (request, limit) == ("256 MiB", "256 MiB")
    # Restarts are drawn; a pod's network is its current rate only, and the chart says so.
    restarts = page.get_by_role("region", name="Restarts over time")
    expect(restarts.locator(".u-legend .u-series .u-label")).to_have_text(["Time", "Restarts"])
    network = page.get_by_role("region", name="Network over time")
    expect(network).to_contain_text("Network: not kept over time for pods")
    expect(network).to_contain_text(re.compile(r"Now: receive (1000 B|—)/?s?, transmit"))

    # A theme switch draws the lines again in the dark theme's usage colour (the light one is out of tolerance).
    page.get_by_role("button", name="Switch to light").click()
    page.get_by_role("button", name="Switch to dark").click()
    wait_for_drawn_line(page)

    with page.expect_response(lambda r: "/metrics/namespaces/" in r.url and "range=15m" in r.url) as answer:
        ranges.get_by_role("radio", name="15 min").click()
    assert answer.value.ok
    expect(ranges.get_by_role("radio", name="15 min")).to_have_attribute("aria-checked", "true")
    wait_for_drawn_line(page)
    screenshot(page, "metrics-pod")

    page.goto(f"{server.url}/c/{cid}/ns/_all/nodes/{NODE}?tab=metrics")
    expect(ranges.get_by_role("radio")).to_have_text(["15 min", "1 hour", "6 hours", "24 hours", "7 days"])
    wait_for_drawn_line(page)
    # A node has neither requests nor limits lines; its usage includes the stand-in's node overhead.
    expect(cpu.locator(".u-legend .u-series .u-label")).to_have_text(["Time", "CPU"])
    with page.expect_response(lambda r: f"/metrics/nodes/{NODE}/series" in r.url and "range=7d" in r.url):
        ranges.get_by_role("radio", name="7 days").click()
    # Downsampled buckets (3 s here) draw the 7-day chart too.
    wait_for_drawn_line(page)
    screenshot(page, "metrics-node-7d")

    # Network and restarts are kept for an hour: beyond, the chart says so instead of drawing nothing.
    network = page.get_by_role("region", name="Network over time")
    expect(network).to_contain_text("Network: kept for the last 1 hour only")
    expect(page.get_by_role("region", name="Restarts over time")).to_contain_text(
        "Restarts: kept for the last 1 hour only")

    # A workload and a namespace (sums of their pods) have the tab; a kind without the `metrics` capability has none.
    page.goto(f"{server.url}/c/{cid}/ns/{namespace}/deployments/web?tab=metrics")
    wait_for_drawn_line(page)
    expect(cpu.locator(".u-legend .u-series .u-label")).to_have_text(["Time", "CPU", "Request"])
    # Its network: receive and transmit lines, 1000 and 500 B/s for its one pod (once two rounds have counted).
    expect(network.locator(".u-legend .u-series .u-label")).to_have_text(["Time", "Receive", "Transmit"])
    expect(network.locator("canvas").first).to_be_visible()
    page.goto(f"{server.url}/c/{cid}/ns/_all/namespaces/{namespace}?tab=metrics")
    wait_for_drawn_line(page)
    page.goto(f"{server.url}/c/{cid}/ns/{namespace}/configmaps/kube-root-ca.crt")
    expect(page.get_by_role("tab", name="YAML")).to_be_visible()
    expect(page.get_by_role("tab", name="Metrics")).to_have_count(0)


def test_without_nodes_proxy_the_chart_says_why(control_plane, kubelet, metrics_server, page,
                                               no_proxy_token) -> None:  # noqa: F811 (the imported fixture)
    server = metrics_server
    limited = server.ok("POST", "/clusters", {"name": "no-proxy",
                                              "kubeconfig": kubeconfig(control_plane.server_url, no_proxy_token)},
                        token=admin_token(server))

    sign_in(page, server)
    page.goto(f"{server.url}/c/{limited['id']}/ns/_all/nodes/{NODE}?tab=metrics")
    expect(page.get_by_role("heading", name="Metrics are not available for this cluster")).to_be_visible(
        timeout=LIVE_TIMEOUT_MS)
    expect(page.locator(".empty-state-text")).to_contain_text("may not get nodes/proxy")
    expect(page.locator(".empty-state-text")).to_contain_text("does not serve the metrics.k8s.io API")
    expect(page.locator(".metrics-plot")).to_have_count(0)
    screenshot(page, "metrics-no-proxy")
    page.goto(f"{server.url}/c/{limited['id']}/overview")
    expect(page.locator(".busiest-unavailable")).to_contain_text("Metrics are not available for this cluster",
                                                                 timeout=LIVE_TIMEOUT_MS)
    expect(page.locator(".busiest-unavailable")).to_contain_text("may not get nodes/proxy")


def test_overview_lists_the_busiest_pods_and_nodes(control_plane, kubelet, namespace, metrics_server, page) -> None:
    server = metrics_server
    manifest = pod_manifest("hungry", cpu_m=3000, memory_mib=3000)
    manifest["metadata"]["labels"] = {"app": "hungry"}
    kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/pods", manifest)
    wait_running(control_plane, namespace, "app=hungry", 1)
    cid = cluster_id(server)
    sign_in(page, server)
    page.goto(f"{server.url}/c/{cid}/overview")
    by_cpu = page.get_by_role("list", name="Pods by CPU")
    by_memory = page.get_by_role("list", name="Pods by memory")
    # The stand-in reports 3000m / 3000 MiB plus a sawtooth under 60 (m, MiB): far above any other test pod.
    expect(by_cpu.get_by_role("listitem").first).to_contain_text(re.compile(rf"{namespace}/hungry3(\.\d+)? cores"),
                                                                 timeout=LIVE_TIMEOUT_MS)
    expect(by_memory.get_by_role("listitem").first).to_contain_text(re.compile(rf"{namespace}/hungry\d(\.\d+)? GiB"))
    expect(page.get_by_role("list", name="Nodes by CPU")).to_contain_text(NODE)
    expect(page.get_by_role("list", name="Nodes by memory")).to_contain_text(NODE)
    screenshot(page, "metrics-overview-busiest")
    by_cpu.get_by_role("link", name=f"{namespace}/hungry").click()
    expect(page).to_have_url(re.compile(rf"/c/{cid}/ns/{namespace}/pods/hungry"))


def test_lists_have_cpu_and_memory_columns_sorted_in_the_browser(control_plane, kubelet, namespace, metrics_server,
                                                                 page) -> None:
    server = metrics_server
    for name, cpu_m in (("light", 10), ("heavy", 400)):
        manifest = pod_manifest(name, cpu_m=cpu_m, memory_mib=32, requests={"cpu": "1", "memory": "1Gi"})
        manifest["metadata"]["labels"] = {"app": "columns"}
        kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/pods", manifest)
    wait_running(control_plane, namespace, "app=columns", 2)
    cid = cluster_id(server)
    sign_in(page, server)
    page.goto(f"{server.url}/c/{cid}/ns/{namespace}/pods")
    grid = page.get_by_role("grid", name="Pods")
    header = grid.get_by_role("columnheader", name="CPU", exact=True)
    expect(header).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(grid.get_by_role("columnheader", name="Memory", exact=True)).to_be_visible()
    heavy = grid.get_by_role("row").filter(has_text="heavy")
    # The stand-in's heavy pod uses 400m plus a sawtooth under 60m: 40-46% of its 1-core request.
    expect(heavy).to_contain_text(re.compile(r"4[0-5]\dm4[0-6]%"), timeout=LIVE_TIMEOUT_MS)
    header.click()  # ascending
    header.click()  # descending: the busiest first
    names = grid.locator(".vt-body [role=row]").all_inner_texts()
    order = [name for text in names for name in ("heavy", "light") if text.startswith(name)]
    assert order == ["heavy", "light"], names
