"""The Release tab of a Helm release in the browser, on the real control plane, with records written as Helm
writes them: history, masked values, a diff against the latest revision, a rollback through its dry-run preview
(records read back with the independent decoder) and an uninstall that keeps the history."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import helm_records as helm
from tests.browser.cluster_objects import cluster_id
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_release_tab_history_diff_rollback_and_uninstall(control_plane, namespace, cluster_server, page):
    cluster = helm.Cluster(control_plane)
    cluster.store(helm.release("shop", namespace, 1, status="superseded", config={"color": "blue"},
                               manifest=helm.configmap_doc("shop-cm", color="blue"), notes="first"))
    cluster.store(helm.release("shop", namespace, 2, config={"color": "green"}, chart_version="1.1.0",
                               manifest=helm.configmap_doc("shop-cm", color="green"), description="Upgrade complete"))
    cluster.call("POST", f"/api/v1/namespaces/{namespace}/configmaps", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "shop-cm"}, "data": {"color": "green"}})
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/releases.helm.sh/shop?tab=release")

    history = page.get_by_role("table", name="Release history")
    expect(history.locator("tbody tr")).to_have_count(2, timeout=30_000)  # the release cache lists first
    expect(history.locator("tbody tr").first).to_contain_text("Upgrade complete")
    expect(page.locator(".helm-tab pre").first).to_contain_text('color: "********"')
    page.get_by_role("button", name="Reveal values").click()
    expect(page.locator(".helm-tab pre").first).to_contain_text("color: green")

    page.get_by_label("Revision 1").check()
    compare = page.locator(".helm-compare")
    expect(compare.locator(".diff-del").first).to_contain_text("color: \"blue\"")
    expect(compare.locator(".diff-add").last).to_contain_text("color: green")  # values, revealed
    screenshot(page, "helm-release-tab")

    page.get_by_role("button", name="Roll back to revision 1").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator(".helm-plan")).to_contain_text("shop-cm")
    expect(dialog.locator(".diff-add").first).to_contain_text("color: \"blue\"")
    dialog.get_by_role("button", name="Roll back to revision 1").click()
    expect(page.get_by_role("status").filter(has_text="Rolled back shop to revision 1")).to_be_visible()
    releases = cluster.releases(namespace, "shop")
    assert sorted(releases) == [1, 2, 3]
    assert (releases[3]["info"]["status"], releases[3]["info"]["description"]) == ("deployed", "Rollback to 1")
    assert releases[2]["info"]["status"] == "superseded"
    assert cluster.call("GET", f"/api/v1/namespaces/{namespace}/configmaps/shop-cm")["data"] == {"color": "blue"}
    expect(history.locator("tbody tr")).to_have_count(3)  # the page follows the release live

    page.get_by_role("button", name="Uninstall").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Keep history").check()
    expect(dialog.locator(".helm-plan")).to_contain_text("mark uninstalled")
    dialog.get_by_role("button", name="Uninstall").click()
    expect(page.get_by_role("status").filter(has_text="Uninstalled shop")).to_be_visible()
    assert cluster.releases(namespace, "shop")[3]["info"]["status"] == "uninstalled"
    assert not cluster.exists(f"/api/v1/namespaces/{namespace}/configmaps/shop-cm")


def test_release_tab_diffs_any_two_revisions(control_plane, namespace, cluster_server, page):
    cluster = helm.Cluster(control_plane)
    for revision, color in ((1, "blue"), (2, "green"), (3, "red")):
        cluster.store(helm.release("paint", namespace, revision, status="deployed" if revision == 3 else "superseded",
                                   config={"color": color}, manifest=helm.configmap_doc("paint-cm", color=color)))
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/releases.helm.sh/paint?tab=release")
    expect(page.get_by_role("table", name="Release history").locator("tbody tr")).to_have_count(3, timeout=30_000)
    page.get_by_role("button", name="Reveal values").click()

    # Neither revision is the latest (3): revision 1 against revision 2, values and manifest.
    page.get_by_label("Compare from").select_option("1")
    page.get_by_label("Compare to").select_option("2")
    compare = page.locator(".helm-compare")
    expect(compare.get_by_role("heading")).to_have_text("Revision 1 → 2")
    expect(compare.locator(".diff-del").first).to_contain_text('color: "blue"')  # the manifest
    expect(compare.locator(".diff-add").first).to_contain_text('color: "green"')
    expect(compare.locator(".diff-del").last).to_contain_text("color: blue")  # the values
    expect(compare.locator(".diff-add").last).to_contain_text("color: green")
    expect(compare).not_to_contain_text("red")
    # Either end can be changed, in either direction.
    page.get_by_label("Compare from").select_option("3")
    expect(compare.get_by_role("heading")).to_have_text("Revision 3 → 2")
    expect(compare.locator(".diff-del").last).to_contain_text("color: red")
    expect(compare.locator(".diff-add").last).to_contain_text("color: green")
    screenshot(page, "helm-release-compare")
