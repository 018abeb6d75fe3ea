"""Resource detail, YAML editing, create-from-YAML and batch actions in the browser, on the real
control plane. Every page also fails on console errors, so CSP violations (inline styles from the
editor, for instance) fail these tests too."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN_PASSWORD, screenshot, sign_in
from tests.envtest.controlplane import api_request

pytestmark = pytest.mark.browser

READONLY_PASSWORD = "readonly-pass-123"
EDITOR = ".yaml-editor .cm-content"


def _kube(control_plane, method: str, path: str, body=None):
    status, answer = api_request(control_plane.server_url, control_plane.admin_token, method, path, body)
    return status, answer


def _create(control_plane, path: str, body) -> dict:
    status, answer = _kube(control_plane, "POST", path, body)
    assert status == 201, answer
    return answer


def _configmap(control_plane, namespace: str, name: str, data: dict[str, str]) -> dict:
    return _create(control_plane, f"/api/v1/namespaces/{namespace}/configmaps",
                   {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data})


def _admin_token(server) -> str:
    return server.ok("POST", "/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})["accessToken"]


def _cluster_id(server) -> int:
    clusters = server.ok("GET", "/clusters", token=_admin_token(server))
    return next(c["id"] for c in clusters if c["name"] == "envtest-admin")


def _detail_url(server, cid: int, namespace: str, resource: str, name: str, tab: str = "") -> str:
    return f"{server.url}/c/{cid}/ns/{namespace}/{resource}/{name}" + (f"?tab={tab}" if tab else "")


def _replace_line_value(page, old: str, new: str) -> None:
    """Put the cursor at the end of the editor line showing `old` and retype its value like a user."""
    line = page.locator(".yaml-editor .cm-line", has_text=old)
    line.click()
    page.keyboard.press("End")
    for _ in range(len(old)):
        page.keyboard.press("Backspace")
    page.keyboard.type(new)


def _edit_after_someone_else_wrote(page, control_plane, namespace: str, name: str,
                                   theirs: dict[str, str]) -> tuple[dict, object, object]:
    """With the editor open on ConfigMap `name`, another writer stores `theirs` as its data; the user then
    changes `color` from blue to green and previews. Returns the object as it was before the other write,
    the conflict dialog and the review region (the dialog is open when this returns)."""
    path = f"/api/v1/namespaces/{namespace}/configmaps/{name}"
    status, current = _kube(control_plane, "GET", path)
    status, _ = _kube(control_plane, "PUT", path, {**current, "data": theirs})
    assert status == 200

    _replace_line_value(page, "blue", "green")
    page.get_by_role("button", name="Preview changes").click()
    dialog = page.get_by_role("dialog", name=re.compile("changed since you opened it"))
    review = page.get_by_role("region", name="Review changes")
    # The API server checks the resourceVersion on the dry run too; if it ever did not, Apply meets it.
    expect(dialog.or_(review.get_by_role("button", name="Apply"))).to_be_visible()
    if not dialog.is_visible():
        review.get_by_role("button", name="Apply").click()
    expect(dialog).to_be_visible()
    return current, dialog, review


def _set_editor_text(page, text: str) -> None:
    page.locator(EDITOR).click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def test_edit_configmap_with_preview_diff_and_apply(control_plane, namespace, cluster_server, page):
    _configmap(control_plane, namespace, "settings", {"color": "blue", "size": "1"})
    cid = _cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(_detail_url(cluster_server, cid, namespace, "configmaps", "settings", "yaml"))

    editor = page.locator(EDITOR)
    expect(editor).to_contain_text("color: blue")
    expect(page.locator(".yaml-editor .cm-lineNumbers").first).to_be_visible()
    expect(editor).to_have_attribute("contenteditable", "true")  # read-only is a state, not a lock on focus
    page.wait_for_timeout(200)
    screenshot(page, "20-yaml-view")

    page.get_by_role("button", name="Edit", exact=True).click()
    expect(page.get_by_role("button", name="Preview changes")).to_be_visible()
    expect(editor).not_to_contain_text("status:")
    _replace_line_value(page, "blue", "green")
    page.get_by_role("button", name="Preview changes").click()

    review = page.get_by_role("region", name="Review changes")
    expect(review).to_contain_text("Dry run passed")
    expect(review.locator(".diff-add")).to_contain_text("color: green")
    expect(review.locator(".diff-del")).to_contain_text("color: blue")
    page.wait_for_timeout(200)
    screenshot(page, "21-yaml-edit-diff")
    # The editor and diff follow the theme (colours are CSS custom properties).
    toggle = page.locator(".topbar .theme-toggle")
    toggle.click()
    toggle.click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    background = page.locator(".yaml-editor .cm-editor").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(21, 26, 34)", background
    page.wait_for_timeout(300)  # let the buttons' background transition finish
    screenshot(page, "21b-yaml-edit-diff-dark")

    review.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status").filter(has_text="Saved ConfigMap settings")).to_be_visible()
    expect(page.get_by_role("button", name="Edit", exact=True)).to_be_visible()
    expect(editor).to_contain_text("color: green")

    status, stored = _kube(control_plane, "GET", f"/api/v1/namespaces/{namespace}/configmaps/settings")
    assert status == 200 and stored["data"] == {"color": "green", "size": "1"}, stored


def test_validation_causes_are_listed_with_lines(control_plane, namespace, cluster_server, page):
    _configmap(control_plane, namespace, "checked", {"a": "1"})
    cid = _cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(_detail_url(cluster_server, cid, namespace, "configmaps", "checked", "yaml"))
    page.get_by_role("button", name="Edit", exact=True).click()
    expect(page.locator(EDITOR)).to_contain_text("a: \"1\"")
    # A label value with a space is invalid for the API server, not for YAML.
    _set_editor_text(page, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: checked\n"
                           f"  namespace: {namespace}\n  labels:\n    team: not valid\ndata:\n  a: \"1\"\n")
    page.get_by_role("button", name="Preview changes").click()
    review = page.get_by_role("region", name="Review changes")
    expect(review).to_contain_text("rejected")
    causes = review.get_by_role("list", name="Validation errors")
    expect(causes).to_contain_text("metadata.labels")
    expect(causes.locator(".cause-line").first).to_have_text(re.compile(r"line [67]"))
    expect(page.locator(".yaml-editor .cm-markedLine")).to_have_count(1)

    # A YAML syntax error is caught in the browser, with its line.
    _set_editor_text(page, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [checked\n")
    page.get_by_role("button", name="Preview changes").click()
    expect(page.get_by_role("alert").filter(has_text="YAML error")).to_contain_text("line")


def test_conflict_offers_reload_and_reapply(control_plane, namespace, cluster_server, page):
    _configmap(control_plane, namespace, "shared", {"color": "blue", "size": "1"})
    cid = _cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(_detail_url(cluster_server, cid, namespace, "configmaps", "shared", "yaml"))
    page.get_by_role("button", name="Edit", exact=True).click()
    expect(page.locator(EDITOR)).to_contain_text("color: blue")

    # Someone else changes the object after the editor was opened.
    current, dialog, review = _edit_after_someone_else_wrote(page, control_plane, namespace, "shared",
                                                             {"color": "blue", "size": "2"})
    expect(dialog).to_contain_text("40901")
    page.wait_for_timeout(200)
    screenshot(page, "22-yaml-conflict")

    dialog.get_by_role("button", name="Reload and reapply").click()
    expect(dialog).to_be_hidden()
    expect(review).to_contain_text("Dry run passed")
    expect(review.locator(".diff-add").filter(has_text="color: green")).to_have_count(1)
    # Only the user's own edit is reapplied: the other writer's size stays.
    expect(review.locator(".diff-del").filter(has_text="size")).to_have_count(0)
    expect(page.locator(EDITOR)).to_contain_text('size: "2"')
    review.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status").filter(has_text="Saved ConfigMap shared")).to_be_visible()

    status, stored = _kube(control_plane, "GET", f"/api/v1/namespaces/{namespace}/configmaps/shared")
    assert status == 200
    assert stored["data"] == {"color": "green", "size": "2"}, stored
    assert int(stored["metadata"]["resourceVersion"]) > int(current["metadata"]["resourceVersion"])


def test_reapply_shows_a_real_overlap_as_a_conflict_to_resolve(control_plane, namespace, cluster_server, page):
    _configmap(control_plane, namespace, "overlap", {"color": "blue"})
    cid = _cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(_detail_url(cluster_server, cid, namespace, "configmaps", "overlap", "yaml"))
    page.get_by_role("button", name="Edit", exact=True).click()
    expect(page.locator(EDITOR)).to_contain_text("color: blue")

    # Someone else changes the same key, and adds another one.
    _current, dialog, review = _edit_after_someone_else_wrote(page, control_plane, namespace, "overlap",
                                                              {"color": "red", "extra": "1"})
    dialog.get_by_role("button", name="Reload and reapply").click()

    conflicts = page.get_by_role("region", name="Merge conflicts")
    expect(conflicts).to_contain_text("data.color")
    expect(conflicts).to_contain_text('Yours: "green"')
    expect(conflicts).to_contain_text('Latest: "red"')
    preview = conflicts.get_by_role("button", name="Preview merged result")
    expect(preview).to_be_disabled()
    expect(page.get_by_role("button", name="Preview changes")).to_be_disabled()
    expect(page.locator(EDITOR)).to_contain_text('extra: "1"')  # their other change is merged in

    conflicts.get_by_role("button", name="Take latest").click()
    expect(page.locator(EDITOR)).to_contain_text("color: red")
    conflicts.get_by_role("button", name="Keep mine").click()
    expect(page.locator(EDITOR)).to_contain_text("color: green")
    preview.click()
    expect(review).to_contain_text("Dry run passed")
    expect(review.locator(".diff-add").filter(has_text="color: green")).to_have_count(1)
    expect(review.locator(".diff-del").filter(has_text="extra")).to_have_count(0)
    review.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status").filter(has_text="Saved ConfigMap overlap")).to_be_visible()

    status, stored = _kube(control_plane, "GET", f"/api/v1/namespaces/{namespace}/configmaps/overlap")
    assert status == 200
    assert stored["data"] == {"color": "green", "extra": "1"}, stored


def test_create_from_yaml_reports_each_document(control_plane, namespace, cluster_server, page):
    cid = _cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/configmaps")
    page.get_by_role("link", name="Create").click()
    expect(page).to_have_url(re.compile(rf"/c/{cid}/create\?resource=configmaps&namespace={namespace}$"))
    expect(page.locator(EDITOR)).to_contain_text("kind: ConfigMap")
    expect(page.get_by_label("Default namespace")).to_have_value(namespace)

    bad = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\ndata:\n  a: \"1\"\n---\n"
           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\ndata:\n  b: \"2\"\n")
    _set_editor_text(page, bad)
    page.get_by_role("button", name="Dry run").click()
    results = page.get_by_role("region", name="Results")
    expect(results).to_contain_text("Dry run: 1 of 2 documents valid")
    failed = results.locator(".doc-result.is-error")
    expect(failed).to_contain_text("Bad_Name")
    expect(failed.locator(".cause-line").first).to_have_text("line 8")  # the document starts after `---`
    expect(page.locator(".yaml-editor .cm-markedLine").first).to_be_visible()

    good = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\ndata:\n  a: \"1\"\n---\n"
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: second\nstringData:\n  token: abc\n")
    _set_editor_text(page, good)
    page.get_by_role("button", name="Apply").click()
    expect(results).to_contain_text("Apply: 2 of 2 documents applied")
    expect(results.locator(".doc-result.is-ok")).to_have_count(2)
    expect(results.get_by_role("link", name=f"Secret {namespace}/second")).to_be_visible()
    page.wait_for_timeout(200)
    screenshot(page, "23-create-results")

    for path in (f"/api/v1/namespaces/{namespace}/configmaps/first", f"/api/v1/namespaces/{namespace}/secrets/second"):
        status, answer = _kube(control_plane, "GET", path)
        assert status == 200, answer


def test_batch_delete_with_multi_select(control_plane, namespace, cluster_server, page):
    for name in ("keep-me", "old-a", "old-b"):
        _configmap(control_plane, namespace, name, {"k": "v"})
    cid = _cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/configmaps")
    expect(page.get_by_role("row", name=re.compile("old-a"))).to_be_visible()
    expect(page.locator(".source-hint")).to_have_text(re.compile("cached|direct"))
    page.get_by_role("row", name=re.compile("old-a")).get_by_role("checkbox").check()
    page.get_by_role("row", name=re.compile("old-b")).get_by_role("checkbox").check()
    expect(page.locator(".selection-bar")).to_contain_text("2 selected")
    expect(page.get_by_role("button", name="Restart")).to_have_count(0)  # ConfigMaps cannot be restarted
    screenshot(page, "24-list-selection")

    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog")
    objects = dialog.get_by_role("list", name="Selected objects")
    expect(objects).to_contain_text(f"{namespace}/old-a")
    expect(objects).to_contain_text(f"{namespace}/old-b")
    expect(objects.locator("li")).to_have_count(2)
    screenshot(page, "25-batch-delete-confirm")
    dialog.get_by_role("button", name="Delete 2").click()
    expect(dialog).to_contain_text("2 succeeded")
    expect(dialog.get_by_role("list", name="Results").locator("li.is-ok")).to_have_count(2)
    screenshot(page, "26-batch-delete-results")
    dialog.get_by_role("button", name="Done").click()
    expect(page.get_by_role("row", name=re.compile("old-a"))).to_have_count(0, timeout=15_000)

    for name, expected in (("old-a", 404), ("old-b", 404), ("keep-me", 200)):
        status, _ = _kube(control_plane, "GET", f"/api/v1/namespaces/{namespace}/configmaps/{name}")
        assert status == expected, name

    # A plain click on a row opens the object.
    page.get_by_role("row", name=re.compile("keep-me")).locator(".vt-cell").nth(2).click()
    expect(page).to_have_url(re.compile(r"/configmaps/keep-me$"))


def test_secret_values_are_masked_and_revealed_for_admin(control_plane, namespace, cluster_server, page):
    _create(control_plane, f"/api/v1/namespaces/{namespace}/secrets",
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
             "stringData": {"password": "s3cret-value"}})
    cid = _cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(_detail_url(cluster_server, cid, namespace, "secrets", "db"))
    data = page.get_by_label("Secret data")
    expect(data).to_contain_text("password")
    expect(data).not_to_contain_text("s3cret-value")
    expect(data.locator(".is-masked")).to_have_count(1)
    page.get_by_role("button", name="Reveal values").click()
    expect(data).to_contain_text("s3cret-value")
    page.get_by_role("button", name="Hide values").click()
    expect(data).not_to_contain_text("s3cret-value")
    # The YAML tab shows the masked form.
    page.get_by_role("tab", name="YAML").click()
    expect(page.locator(EDITOR)).to_contain_text("********")


def test_readonly_user_sees_no_write_actions(control_plane, namespace, cluster_server, page):
    _configmap(control_plane, namespace, "ro-config", {"k": "v"})
    _create(control_plane, f"/api/v1/namespaces/{namespace}/secrets",
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "ro-secret"}, "stringData": {"k": "v"}})
    token = _admin_token(cluster_server)
    cluster_server.ok("POST", "/users", {"username": "viewer", "password": READONLY_PASSWORD, "role": "readonly"},
                      token=token)
    cid = _cluster_id(cluster_server)

    sign_in(page, cluster_server, "viewer", READONLY_PASSWORD)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/configmaps")
    expect(page.get_by_role("row", name=re.compile("ro-config"))).to_be_visible()
    expect(page.get_by_role("link", name="Create")).to_have_count(0)
    expect(page.get_by_role("checkbox")).to_have_count(0)

    page.goto(_detail_url(cluster_server, cid, namespace, "configmaps", "ro-config"))
    expect(page.get_by_role("heading", name="ro-config")).to_be_visible()
    expect(page.get_by_role("button", name="Refresh")).to_be_visible()
    for name in ("Edit YAML", "Delete", "Restart"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    page.get_by_role("tab", name="YAML").click()
    expect(page.locator(EDITOR)).to_contain_text("ro-config")
    expect(page.get_by_role("button", name="Edit", exact=True)).to_have_count(0)

    page.goto(_detail_url(cluster_server, cid, namespace, "secrets", "ro-secret"))
    expect(page.get_by_label("Secret data")).to_contain_text("k")
    expect(page.get_by_role("button", name="Reveal values")).to_have_count(0)
    expect(page.get_by_text("Your role cannot reveal Secret values")).to_be_visible()


def test_deployment_detail_summary_kubectl_and_delete(control_plane, namespace, cluster_server, page):
    _create(control_plane, f"/apis/apps/v1/namespaces/{namespace}/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "main", "image": "registry.example/web:1.2"}]}}},
    })
    cid = _cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(_detail_url(cluster_server, cid, namespace, "deployments", "web"))
    expect(page.get_by_role("heading", name="web")).to_be_visible()
    expect(page.locator(".stat").filter(has_text="Desired")).to_contain_text("2")
    expect(page.locator(".properties").first).to_contain_text("RollingUpdate")
    expect(page.locator(".properties").first).to_contain_text("registry.example/web:1.2")
    commands = page.get_by_role("list", name="kubectl commands")
    expect(commands).to_contain_text(f"kubectl get deployment web -n {namespace} -o yaml")
    expect(commands).to_contain_text(f"kubectl scale deployment web -n {namespace} --replicas=2")
    expect(commands).to_contain_text(f"kubectl rollout restart deployment web -n {namespace}")
    # The controller-manager creates a ReplicaSet, shown as a related object.
    expect(page.get_by_role("list", name="Related objects")).to_contain_text("ReplicaSet", timeout=15_000)
    for tab in ("Overview", "YAML", "Events", "Logs"):
        expect(page.get_by_role("tab", name=tab)).to_be_visible()
    expect(page.get_by_role("tab", name="Terminal")).to_have_count(0)
    page.wait_for_timeout(300)
    screenshot(page, "27-deployment-overview")

    # The selector's labels lead to the deployment's pods.
    page.locator(".properties").first.get_by_title("List objects with app=web").click()
    expect(page).to_have_url(re.compile(rf"/c/{cid}/ns/{namespace}/pods\?labelSelector=app%3Dweb$"))
    expect(page.get_by_label("Label selector")).to_have_value("app=web")
    page.go_back()

    # The YAML editor loads exactly one copy of @codemirror/state through the import map.
    page.get_by_role("tab", name="YAML").click()
    expect(page.locator(EDITOR)).to_contain_text("kind: Deployment")
    states = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)"
                           ".filter(n => n.includes('@codemirror/state'))")
    assert len(states) == 1, states
    page.get_by_role("tab", name="Events").click()
    expect(page.get_by_role("tabpanel")).to_contain_text(re.compile("event"))

    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog", name="Delete Deployment web?")
    expect(dialog.get_by_role("radio", name=re.compile("Background"))).to_be_checked()
    dialog.get_by_role("radio", name=re.compile("Foreground")).check()
    dialog.get_by_role("checkbox", name=re.compile("Force")).check()
    page.wait_for_timeout(150)
    screenshot(page, "28-delete-dialog")
    dialog.get_by_role("button", name="Delete Deployment").click()
    expect(page).to_have_url(re.compile(rf"/c/{cid}/ns/{namespace}/deployments$"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, _ = _kube(control_plane, "GET", f"/apis/apps/v1/namespaces/{namespace}/deployments/web")
        if status == 404:
            break
        time.sleep(0.3)
    assert status == 404


def test_pod_detail_links_to_its_owners(control_plane, kubelet, namespace, cluster_server, page):
    deployment = _create(control_plane, f"/apis/apps/v1/namespaces/{namespace}/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "api"}},
                 "template": {"metadata": {"labels": {"app": "api"}},
                              "spec": {"containers": [{"name": "main", "image": "registry.example/api:2"}]}}},
    })
    assert deployment["metadata"]["name"] == "api"
    pod_name = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not pod_name:
        _, pods = _kube(control_plane, "GET", f"/api/v1/namespaces/{namespace}/pods?labelSelector=app%3Dapi")
        pod_name = next((p["metadata"]["name"] for p in pods.get("items", [])), None)
        time.sleep(0.3)
    assert pod_name, "the controller-manager did not create the pod"
    cid = _cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(_detail_url(cluster_server, cid, namespace, "pods", pod_name))
    expect(page.get_by_role("table", name="Containers")).to_contain_text("registry.example/api:2")
    related = page.get_by_role("list", name="Related objects")
    expect(related.get_by_role("link", name="api", exact=True)).to_be_visible(timeout=15_000)
    expect(related).to_contain_text("ReplicaSet")
    expect(page.get_by_role("list", name="kubectl commands")).to_contain_text(f"kubectl logs {pod_name} -n {namespace}")
    expect(page.get_by_role("tab", name="Terminal")).to_be_visible()
    related.get_by_role("link", name="api", exact=True).click()
    expect(page).to_have_url(re.compile(r"/deployments/api$"))
