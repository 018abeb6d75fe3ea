"""Resource pages against the real control plane: the live pods table, overview, deletion."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.cluster_objects import create_pod, kube
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


def test_label_selector_narrows_the_list_and_its_live_updates(control_plane, kubelet, namespace, cluster_server,
                                                              page):
    for name, tier in (("api-1", "api"), ("api-2", "api"), ("db-1", "db")):
        create_pod(control_plane, namespace, name, labels={"tier": tier})
    cid = _cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/pods")
    expect(page.locator(".count-badge")).to_have_text("3")

    selector = page.get_by_label("Label selector")
    selector.fill("tier=api")
    selector.press("Enter")
    expect(page).to_have_url(re.compile(r"labelSelector=tier%3Dapi"))
    expect(page.locator(".count-badge")).to_have_text("2")
    expect(page.get_by_role("row", name=re.compile("db-1"))).to_have_count(0)
    expect(page.locator(".live")).to_have_text("Live", timeout=LIVE_TIMEOUT_MS)

    # Live: a pod relabelled out of the selection leaves it; a new matching pod joins.
    kube(control_plane, "PATCH", f"/api/v1/namespaces/{namespace}/pods/api-2",
         [{"op": "replace", "path": "/metadata/labels/tier", "value": "db"}])
    expect(page.get_by_role("row", name=re.compile("api-2"))).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    create_pod(control_plane, namespace, "api-3", labels={"tier": "api"})
    expect(page.get_by_role("row", name=re.compile("api-3"))).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(page.locator(".count-badge")).to_have_text("2")
    screenshot(page, "08b-pods-label-selector")

    # A label on a detail page links to the list filtered by it; the selector is in the URL.
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/pods/db-1")
    page.get_by_title("List objects with tier=db").click()
    expect(page).to_have_url(re.compile(r"/pods\?labelSelector=tier%3Ddb$"))
    expect(page.get_by_label("Label selector")).to_have_value("tier=db")
    expect(page.locator(".count-badge")).to_have_text("2")  # db-1 and the relabelled api-2
    # A malformed selector is explained, not toasted.
    page.get_by_label("Label selector").fill("tier in api")
    page.get_by_label("Label selector").press("Enter")
    expect(page.get_by_role("heading", name="Invalid label selector")).to_be_visible()
    expect(page.get_by_label("Label selector")).to_have_attribute("aria-invalid", "true")
