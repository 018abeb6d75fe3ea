"""Resource pages against the real control plane: the live pods table, overview, deletion."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN_PASSWORD, screenshot, sign_in
from tests.envtest.controlplane import api_request

pytestmark = pytest.mark.browser

SEEDED_PODS = 24
# Live updates travel API server → watch → cache → socket; allow for a slow CI machine.
LIVE_TIMEOUT_MS = 15_000


def _create_pod(control_plane, namespace: str, name: str) -> None:
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "main", "image": "registry.example/web:1.0"}]}}
    status, answer = api_request(control_plane.server_url, control_plane.admin_token, "POST",
                                 f"/api/v1/namespaces/{namespace}/pods", body)
    assert status == 201, answer


def _cluster_id(server) -> int:
    token = server.ok("POST", "/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})["accessToken"]
    clusters = server.ok("GET", "/clusters", token=token)
    return next(c["id"] for c in clusters if c["name"] == "envtest-admin")


def test_pods_table_lists_updates_live_and_deletes(control_plane, kubelet, namespace, cluster_server, page):
    for index in range(SEEDED_PODS):
        _create_pod(control_plane, namespace, f"web-{index:02d}")
    cid = _cluster_id(cluster_server)

    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/pods")
    expect(page.get_by_role("heading", name="Pods")).to_be_visible()
    expect(page.locator(".count-badge")).to_have_text(str(SEEDED_PODS))
    expect(page.get_by_role("row", name=re.compile("web-00"))).to_be_visible()
    expect(page.locator(".live")).to_have_text("Live", timeout=LIVE_TIMEOUT_MS)
    # The namespace picker follows the URL.
    expect(page.get_by_role("button", name=f"Namespace: {namespace}")).to_be_visible()
    expect(page.locator(".vt-row").first.locator(".status")).to_have_count(2)  # Ready + Status pills
    page.wait_for_timeout(500)
    screenshot(page, "08-pods")

    # A pod created behind the UI's back appears without a reload.
    _create_pod(control_plane, namespace, "live-added")
    row = page.get_by_role("row", name=re.compile("live-added"))
    expect(row).to_be_visible(timeout=LIVE_TIMEOUT_MS)

    # Filter, select, delete through the confirmation dialog.
    page.get_by_label("Filter rows").fill("live-")
    expect(page.locator(".vt-row")).to_have_count(1)
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"{namespace}/live-added")
    screenshot(page, "09-delete-dialog")
    dialog.get_by_role("button", name="Delete 1").click()
    expect(dialog).to_contain_text("1 succeeded")
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_be_hidden()
    # Graceful deletion: the row goes once the pod object is gone (or shows Terminating first).
    expect(page.get_by_role("row", name=re.compile("live-added"))).to_have_count(0, timeout=60_000)


def test_overview_and_sidebar_navigation(control_plane, namespace, cluster_server, page):
    cid = _cluster_id(cluster_server)
    sign_in(page, cluster_server)
    expect(page).to_have_url(re.compile(rf"/c/{cid}/overview$"))
    expect(page.get_by_role("heading", name="envtest-admin")).to_be_visible()
    expect(page.get_by_role("button", name="Cluster: envtest-admin")).to_be_visible()
    page.wait_for_timeout(300)
    screenshot(page, "10-overview")

    page.get_by_role("navigation", name="Resources").get_by_role("link", name="Nodes", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/c/{cid}/ns/_all/nodes$"))
    expect(page.get_by_role("heading", name="Nodes")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Namespace: "))).to_be_disabled()

    page.go_back()
    expect(page).to_have_url(re.compile(rf"/c/{cid}/overview$"))
