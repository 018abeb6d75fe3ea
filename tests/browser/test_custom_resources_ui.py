"""Custom resources in the browser, on the real control plane: same-named kinds told apart by their group (sidebar,
palette, breadcrumbs), Ctrl+K jumping to kinds and finding custom objects (the current namespace first), and a
custom object's page showing its printer columns, spec and status."""

from __future__ import annotations

import collections
import re
import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.cluster_objects import LIVE_TIMEOUT_MS, admin_token, cluster_id, kube
from tests.browser.conftest import screenshot, sign_in
from tests.envtest.namespaces import create_namespace_sync, delete_namespace_sync

pytestmark = pytest.mark.browser

DISCOVERY_TIMEOUT_S = 40  # CRDs are established within seconds; KubeVision's CRD watch then rediscovers
COLUMNS = [{"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
           {"name": "Phase", "type": "string", "jsonPath": ".status.phase"}]


def widget_crd(group: str) -> dict:
    """A namespaced `widgets` CRD in `group` with two printer columns (no status subresource: status is written
    with the object)."""
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"widgets.{group}"},
            "spec": {"group": group, "scope": "Namespaced",
                     "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                     "versions": [{"name": "v1", "served": True, "storage": True, "schema": schema,
                                   "additionalPrinterColumns": COLUMNS}]}}


def wait_for_kinds(server, names: set[str]) -> None:
    """Until KubeVision's `/kinds` lists every name (discovery has seen the CRDs)."""
    token = admin_token(server)
    cid = cluster_id(server)
    deadline = time.monotonic() + DISCOVERY_TIMEOUT_S
    while time.monotonic() < deadline:
        if names <= {kind["name"] for kind in server.ok("GET", f"/clusters/{cid}/kinds", token=token)}:
            return
        time.sleep(0.3)
    raise AssertionError(f"{names} never discovered")


def create_widget(control_plane, group: str, namespace: str, name: str, spec: dict, status: dict) -> None:
    """A Widget object, retried while the just-established endpoint still answers 404."""
    deadline = time.monotonic() + DISCOVERY_TIMEOUT_S
    while True:
        try:
            kube(control_plane, "POST", f"/apis/{group}/v1/namespaces/{namespace}/widgets", {
                "apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": name}, "spec": spec,
                "status": status})
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_custom_resources_are_told_apart_found_and_shown(control_plane, namespace, cluster_server, page):
    suffix = uuid.uuid4().hex[:6]
    groups = [f"a{suffix}.example.com", f"b{suffix}.example.com"]
    other = create_namespace_sync(control_plane.server_url, control_plane.admin_token)
    for group in groups:
        kube(control_plane, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widget_crd(group))
    try:
        wait_for_kinds(cluster_server, {f"widgets.{group}" for group in groups})
        gear = f"gear{suffix}"
        create_widget(control_plane, groups[0], namespace, f"{gear}-here",
                      {"size": 3, "color": "blue", "parts": [{"name": "cog", "count": 2}], "tags": ["x", "y"]},
                      {"phase": "Spinning", "observedSize": 3,
                       "conditions": [{"type": "Ready", "status": "True", "reason": "AllGood"}]})
        create_widget(control_plane, groups[1], other, gear, {"size": 1}, {"phase": "Idle"})
        cid = cluster_id(cluster_server)
        sign_in(page, cluster_server)
        page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/pods")
        sidebar = page.get_by_role("navigation", name="Resources")

        # The sidebar: each same-named kind carries its group; built-in owners keep the bare name.
        for group in groups:
            expect(sidebar.get_by_role("link", name=f"Widgets · {group}", exact=True)).to_be_visible()
        expect(sidebar.get_by_role("link", name="Events", exact=True)).to_be_visible()
        expect(sidebar.get_by_role("link", name="Events · events.k8s.io", exact=True)).to_be_visible()
        labels = [text.strip() for text in sidebar.locator(".nav-list .nav-item").all_inner_texts()]
        assert [label for label, seen in collections.Counter(labels).items() if seen > 1] == [], labels
        screenshot(page, "70-same-named-kinds")

        # Ctrl+K jumps to kinds by short name and by plural.
        palette = page.get_by_role("dialog", name="Search")
        search = page.get_by_role("combobox", name="Search objects")
        page.keyboard.press("Control+k")
        search.fill("sts")
        expect(palette.get_by_role("option").first).to_contain_text("StatefulSets")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(rf"/c/{cid}/ns/{namespace}/statefulsets$"))
        page.keyboard.press("Control+k")
        search.fill("nodes")
        expect(palette.get_by_role("option").first).to_contain_text("Nodes")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(rf"/c/{cid}/ns/_all/nodes$"))

        # ... and finds custom objects, the current namespace's first (though the other one's name is exact).
        page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/pods")
        expect(sidebar.get_by_role("link", name=f"Widgets · {groups[0]}", exact=True)).to_be_visible()
        page.keyboard.press("Control+k")
        search.fill(gear)
        options = palette.get_by_role("option")
        expect(options).to_have_count(2, timeout=LIVE_TIMEOUT_MS)
        expect(options.nth(0)).to_contain_text(f"{gear}-here")
        expect(options.nth(0)).to_contain_text(f"Widget · {groups[0]}")
        expect(options.nth(1)).to_contain_text(f"Widget · {groups[1]}")
        expect(options.nth(1)).to_contain_text(other)
        screenshot(page, "71-palette-custom-objects")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(rf"/c/{cid}/ns/{namespace}/widgets\.{re.escape(groups[0])}/{gear}-here$"))

        # The custom object's page: printer columns as summary properties, conditions, spec and status nested.
        breadcrumbs = page.get_by_role("navigation", name="Breadcrumb")
        expect(breadcrumbs.get_by_role("link", name=f"Widgets · {groups[0]}")).to_be_visible()
        summary = page.locator(".custom-columns")
        expect(summary.locator(".property", has_text="Size")).to_contain_text("3")
        expect(summary.locator(".property", has_text="Phase")).to_contain_text("Spinning")
        expect(page.get_by_role("table", name="Conditions")).to_contain_text("AllGood")
        spec = page.locator(".custom-spec")
        expect(spec.locator(".property", has_text="color")).to_contain_text("blue")
        expect(spec.locator(".property", has_text="tags")).to_contain_text("x, y")
        expect(spec.locator(".nested-list .property", has_text="name")).to_contain_text("cog")
        status = page.locator(".custom-status")
        expect(status.locator(".property", has_text="observedSize")).to_contain_text("3")
        expect(status).not_to_contain_text("AllGood")  # conditions are their own table
        screenshot(page, "72-custom-object-detail")

        # A change made elsewhere reaches the printer columns and the nested view.
        kube(control_plane, "PATCH", f"/apis/{groups[0]}/v1/namespaces/{namespace}/widgets/{gear}-here",
             [{"op": "replace", "path": "/spec/size", "value": 7}])
        expect(summary.locator(".property", has_text="Size")).to_contain_text("7", timeout=LIVE_TIMEOUT_MS)
        expect(spec.locator(".property", has_text="size").first).to_contain_text("7")
    finally:
        for group in groups:
            kube(control_plane, "DELETE", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.{group}")
        delete_namespace_sync(control_plane.server_url, control_plane.admin_token, other)
