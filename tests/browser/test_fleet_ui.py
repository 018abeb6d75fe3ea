"""One kind across clusters in the browser: the test control plane under two names and a loopback port where
nothing listens; a Cluster column, each cluster's count or error, choosing clusters, rows leading to their cluster."""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

from tests.browser.cluster_objects import LIVE_TIMEOUT_MS, admin_token, kube
from tests.browser.conftest import ADMIN_PASSWORD, RunningServer, _server_fixture, sign_in

pytestmark = pytest.mark.browser

TWIN, REFUSED = "envtest-twin", "loopback-refused"
NAMESPACE_SETTLE_TIMEOUT_S = 90


@pytest.fixture
def fleet_server(request: pytest.FixtureRequest, tmp_path: Path, control_plane,
                 admin_kubeconfig: str) -> Iterator[RunningServer]:
    """A server that sees the control plane as `envtest-admin` and `envtest-twin`, and a dead loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        refused_port = probe.getsockname()[1]
    servers = {TWIN: control_plane.server_url, REFUSED: f"https://127.0.0.1:{refused_port}"}
    config = {
        "apiVersion": "v1", "kind": "Config", "preferences": {}, "current-context": TWIN,
        "clusters": [{"name": name, "cluster": {"server": url, "insecure-skip-tls-verify": True}}
                     for name, url in servers.items()],
        "users": [{"name": "fleet-admin", "user": {"token": control_plane.admin_token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": "fleet-admin"}} for name in servers],
    }
    path = tmp_path / "fleet.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    yield from _server_fixture(request, tmp_path, ADMIN_PASSWORD, os.pathsep.join((admin_kubeconfig, str(path))))


def test_one_kind_across_clusters(control_plane, namespace, fleet_server, page):
    clusters = {c["name"]: c["id"] for c in fleet_server.ok("GET", "/clusters", token=admin_token(fleet_server))}
    kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "fleet-web"}, "spec": {"ports": [{"port": 80}]}})
    sign_in(page, fleet_server)
    page.goto(f"{fleet_server.url}/c/{clusters['envtest-admin']}/ns/{namespace}/services")
    page.get_by_role("button", name="Cluster: envtest-admin").click()
    page.get_by_role("option", name="All clusters").click()
    expect(page).to_have_url(f"{fleet_server.url}/all-clusters/services")
    expect(page.get_by_role("button", name="Cluster: All clusters")).to_be_visible()
    table = page.get_by_role("grid", name="Services in all clusters")
    expect(table.get_by_role("columnheader", name="Cluster", exact=True)).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    page.get_by_label("Filter rows").fill("fleet-web")
    rows = table.get_by_role("row").filter(has_text="fleet-web")
    expect(rows).to_have_count(2, timeout=LIVE_TIMEOUT_MS)
    expect(rows.filter(has_text="envtest-admin")).to_have_count(1)
    expect(rows.filter(has_text=TWIN)).to_have_count(1)
    listed = page.get_by_role("list", name="Clusters")
    expect(listed.get_by_role("listitem").filter(has_text=REFUSED).get_by_role("status")).to_be_visible()

    # Live: a Service created and deleted behind the page comes and goes in both clusters' rows.
    kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "fleet-web-2"}, "spec": {"ports": [{"port": 80}]}})
    expect(rows).to_have_count(4, timeout=LIVE_TIMEOUT_MS)
    kube(control_plane, "DELETE", f"/api/v1/namespaces/{namespace}/services/fleet-web-2")
    expect(rows).to_have_count(2, timeout=LIVE_TIMEOUT_MS)

    # Only the twin: one row, and it leads to the twin's page of the object.
    for name in ("envtest-admin", REFUSED):
        listed.get_by_role("listitem").filter(has_text=name).get_by_role("checkbox").uncheck()
    expect(page).to_have_url(re.compile(rf"/all-clusters/services\?(.*&)?clusters={clusters[TWIN]}(&|$)"))
    expect(rows).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    rows.first.click()
    expect(page).to_have_url(f"{fleet_server.url}/c/{clusters[TWIN]}/ns/{namespace}/services/fleet-web")


def settled_namespace_count(control_plane) -> int:
    """How many namespaces the API server lists once none is terminating (an earlier test's namespace may still be
    on its way out, and the page would count it or not depending on the moment)."""
    deadline = time.monotonic() + NAMESPACE_SETTLE_TIMEOUT_S
    while True:
        items = kube(control_plane, "GET", "/api/v1/namespaces")["items"]
        terminating = [ns["metadata"]["name"] for ns in items if ns["metadata"].get("deletionTimestamp")]
        if not terminating:
            return len(items)
        assert time.monotonic() < deadline, f"namespaces still terminating: {terminating}"
        time.sleep(0.5)


def test_every_cluster_at_a_glance(control_plane, namespace, fleet_server, page):
    """The overview of all clusters: each cluster's nodes as the API server lists them, the dead port as its own
    row with its reason, totals over the two that answered, and links to lists across clusters."""
    clusters = {c["name"]: c["id"] for c in fleet_server.ok("GET", "/clusters", token=admin_token(fleet_server))}
    nodes = kube(control_plane, "GET", "/api/v1/nodes")["items"]
    ready = sum(any(c["type"] == "Ready" and c["status"] == "True" for c in (n.get("status") or {}).get(
        "conditions") or []) for n in nodes)
    namespaces = settled_namespace_count(control_plane)
    sign_in(page, fleet_server)
    page.goto(f"{fleet_server.url}/c/{clusters['envtest-admin']}/overview")
    page.get_by_role("button", name="Cluster: envtest-admin").click()
    page.get_by_role("option", name="All clusters").click()
    expect(page).to_have_url(f"{fleet_server.url}/all-clusters")
    table = page.get_by_role("table", name="Clusters")
    for name in ("envtest-admin", TWIN):
        row = table.get_by_role("row").filter(has=page.get_by_role("link", name=name, exact=True))
        expect(row.get_by_role("cell").nth(2)).to_have_text(f"{ready} / {len(nodes)}", timeout=LIVE_TIMEOUT_MS)
        expect(row.get_by_role("cell").nth(5)).to_have_text(str(namespaces))
    refused = table.get_by_role("row").filter(has_text=REFUSED)
    expect(refused.get_by_role("status")).to_contain_text(REFUSED)
    totals = table.get_by_role("row").filter(has_text="Total")
    expect(totals).to_contain_text("2 of 3 answered")
    expect(totals.get_by_role("cell").nth(1)).to_have_text(f"{2 * ready} / {2 * len(nodes)}")
    expect(totals.get_by_role("cell").nth(4)).to_have_text(str(2 * namespaces))

    table.get_by_role("link", name=TWIN, exact=True).click()
    expect(page).to_have_url(f"{fleet_server.url}/c/{clusters[TWIN]}/overview")
    page.go_back()
    page.get_by_role("link", name="Pods in all clusters").click()
    expect(page).to_have_url(f"{fleet_server.url}/all-clusters/pods")
    expect(page.get_by_role("grid", name="Pods in all clusters")).to_be_visible()
