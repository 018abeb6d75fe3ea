"""List rows on the real control plane: the row actions menu ("⋮" and right-click), Shift-click range selection,
bulk restart, columns sized to their content, "/" for the filter, and the detail header at phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.cluster_objects import (
    LIVE_TIMEOUT_MS,
    admin_token,
    cluster_id,
    create_deployment,
    create_pod,
    kube,
)
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

READONLY_PASSWORD = "readonly-pass-123"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


def _configmap(control_plane, namespace: str, name: str, data: dict[str, str] | None = None) -> None:
    kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/configmaps",
         {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data or {"k": "v"}})


def _row(page, name: str):
    return page.get_by_role("row", name=re.compile(rf"\b{re.escape(name)}\b"))


def _menu_items(menu) -> list[str]:
    return [text.strip() for text in menu.get_by_role("menuitem").all_inner_texts()]


def test_row_menu_scales_from_the_button_and_deletes_from_a_right_click(control_plane, namespace, cluster_server, page):
    create_deployment(control_plane, namespace, "web", replicas=1)
    create_deployment(control_plane, namespace, "api", replicas=1)
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/deployments")
    expect(_row(page, "web")).to_be_visible()

    # The "⋮" opens the menu of what a deployment can do and the admin may do; the focus is on its first item.
    button = page.get_by_role("button", name="Actions for web")
    button.click()
    menu = page.get_by_role("menu", name="Actions for web")
    expect(menu).to_be_visible()
    assert _menu_items(menu) == ["Logs", "Edit YAML", "Scale", "Restart", "Port forward", "Delete"]
    expect(menu.get_by_role("menuitem", name="Logs")).to_be_focused()
    # Arrow keys move through the items (wrapping), Escape closes and gives the focus back to the button.
    page.keyboard.press("ArrowUp")
    expect(menu.get_by_role("menuitem", name="Delete")).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(menu.get_by_role("menuitem", name="Edit YAML")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_have_count(0)
    expect(button).to_be_focused()

    # One menu at a time: a right-click on another row moves it there; a click outside closes it.
    button.click()
    expect(page.get_by_role("menu", name="Actions for web")).to_be_visible()
    _row(page, "api").locator(".vt-cell").nth(3).click(button="right")
    expect(page.get_by_role("menu")).to_have_count(1)
    expect(page.get_by_role("menu", name="Actions for api")).to_be_visible()
    page.get_by_role("heading", name="Deployments").click()
    expect(page.get_by_role("menu")).to_have_count(0)
    # The "⋮" of the open menu closes it again.
    button.click()
    expect(page.get_by_role("menu")).to_have_count(1)
    button.click()
    expect(page.get_by_role("menu")).to_have_count(0)

    # Scale from the menu: the detail page's dialog, and the live row follows the API server.
    button.click()
    page.get_by_role("menu", name="Actions for web").get_by_role("menuitem", name="Scale").click()
    dialog = page.get_by_role("dialog", name="Scale web")
    expect(dialog).to_contain_text("Currently 1 replica")
    dialog.get_by_role("button", name="One more").click()
    dialog.get_by_role("button", name="One more").click()
    expect(dialog.get_by_role("list", name="kubectl commands")).to_contain_text(
        f"kubectl scale deployment web -n {namespace} --replicas=3")
    screenshot(page, "row-menu-scale")
    dialog.get_by_role("button", name="Scale", exact=True).click()
    expect(dialog).to_have_count(0)
    assert kube(control_plane, "GET", f"/apis/apps/v1/namespaces/{namespace}/deployments/web")["spec"]["replicas"] == 3
    expect(_row(page, "web")).to_contain_text(re.compile(r"\d/3"), timeout=LIVE_TIMEOUT_MS)

    # Delete from a right-click on the row (keyboard: the menu item is chosen with Enter).
    _row(page, "api").locator(".vt-cell").nth(3).click(button="right")
    menu = page.get_by_role("menu", name="Actions for api")
    menu.get_by_role("menuitem", name="Delete").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Delete Deployment api?")
    dialog.get_by_role("button", name="Delete Deployment").click()
    expect(dialog).to_have_count(0)
    expect(_row(page, "api")).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    expect(page.get_by_role("status").filter(has_text="Deleted Deployment api")).to_be_visible()
    remaining = kube(control_plane, "GET", f"/apis/apps/v1/namespaces/{namespace}/deployments")["items"]
    assert [d["metadata"]["name"] for d in remaining] == ["web"]
    expect(_row(page, "web")).to_be_visible()


def test_row_menu_opens_logs_shell_and_the_yaml_editor_of_a_pod(control_plane, kubelet, namespace, cluster_server,
                                                                page):
    create_pod(control_plane, namespace, "worker")
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)
    list_url = f"{cluster_server.url}/c/{cid}/ns/{namespace}/pods"
    page.goto(list_url)
    expect(_row(page, "worker")).to_be_visible()

    # The keyboard opens the menu of the active row too (ContextMenu key), inside the viewport.
    page.locator(".vt-scroll").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Shift+F10")
    menu = page.get_by_role("menu", name="Actions for worker")
    assert _menu_items(menu) == ["Logs", "Shell", "Edit YAML", "Port forward", "Delete"]
    box = menu.bounding_box()
    assert box["x"] + box["width"] <= 1440 and box["y"] + box["height"] <= 900, box

    expected = {"Logs": ("logs", "tab", "Logs"), "Shell": ("terminal", "tab", "Terminal")}
    for item, (tab, role, name) in expected.items():
        page.get_by_role("button", name="Actions for worker").click()
        page.get_by_role("menuitem", name=item).click()
        expect(page).to_have_url(re.compile(rf"/pods/worker\?tab={tab}$"))
        expect(page.get_by_role(role, name=name)).to_have_attribute("aria-selected", "true")
        page.goto(list_url)

    # Edit YAML opens the detail page's editor (and the flag leaves the URL).
    _row(page, "worker").locator(".vt-cell").nth(3).click(button="right")
    page.get_by_role("menuitem", name="Edit YAML").click()
    expect(page).to_have_url(re.compile(r"/pods/worker\?tab=yaml$"))
    expect(page.locator(".yaml-editor .cm-content")).to_contain_text("worker")
    expect(page.get_by_role("button", name="Preview changes")).to_be_visible()


def test_the_row_menu_offers_only_what_the_user_may(control_plane, namespace, cluster_server, page):
    _configmap(control_plane, namespace, "settings")
    create_deployment(control_plane, namespace, "web", replicas=1)
    cluster_server.ok("POST", "/users", {"username": "viewer", "password": READONLY_PASSWORD, "role": "readonly"},
                      token=admin_token(cluster_server))
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server, "viewer", READONLY_PASSWORD)

    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/configmaps")
    expect(_row(page, "settings")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Actions for"))).to_have_count(0)
    _row(page, "settings").locator(".vt-cell").nth(1).click(button="right")
    expect(page.get_by_role("menu")).to_have_count(0)

    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/deployments")
    page.get_by_role("button", name="Actions for web").click()
    assert _menu_items(page.get_by_role("menu", name="Actions for web")) == ["Logs"]


def test_shift_click_selects_a_range_of_rows(control_plane, namespace, cluster_server, page):
    names = [f"cm-{i}" for i in range(7)]
    for name in names:
        _configmap(control_plane, namespace, name)
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/configmaps")
    expect(_row(page, "cm-6")).to_be_visible()

    page.get_by_role("checkbox", name=f"Select {namespace}/cm-1").click()
    page.get_by_role("checkbox", name=f"Select {namespace}/cm-4").click(modifiers=["Shift"])
    bar = page.locator(".selection-bar")
    expect(bar).to_contain_text("4 selected")
    for name in names:
        expect(page.get_by_role("checkbox", name=f"Select {namespace}/{name}")).to_be_checked(
            checked=name in {"cm-1", "cm-2", "cm-3", "cm-4"})

    # Shift-click on a row (not its link) extends the range from the row toggled last; it does not open the row.
    _row(page, "cm-6").locator(".vt-cell").nth(3).click(modifiers=["Shift"])
    expect(bar).to_contain_text("6 selected")
    expect(page).to_have_url(re.compile(r"/configmaps$"))
    # Shift-clicking a checked box clears the range from the row toggled last (cm-6) to it.
    page.get_by_role("checkbox", name=f"Select {namespace}/cm-5").click(modifiers=["Shift"])
    expect(bar).to_contain_text("4 selected")
    for name in names:
        expect(page.get_by_role("checkbox", name=f"Select {namespace}/{name}")).to_be_checked(
            checked=name in {"cm-1", "cm-2", "cm-3", "cm-4"})


def test_bulk_restart_restarts_each_selected_deployment(control_plane, namespace, cluster_server, page):
    for name in ("web", "api", "db"):
        create_deployment(control_plane, namespace, name, replicas=1)
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/deployments")
    expect(_row(page, "web")).to_be_visible()

    page.get_by_role("checkbox", name=f"Select {namespace}/api").click()
    page.get_by_role("checkbox", name=f"Select {namespace}/web").click()
    bar = page.locator(".selection-bar")
    expect(bar).to_contain_text("2 selected")
    # Restart sits next to Delete.
    expect(bar.get_by_role("button")).to_have_text(["Clear", "Restart", "Delete"])
    bar.get_by_role("button", name="Restart").click()
    dialog = page.get_by_role("dialog", name=re.compile("^Restart 2 Deployments"))  # "…?", then "…: results"
    expect(dialog).to_have_accessible_name("Restart 2 Deployments?")
    expect(dialog.get_by_role("list", name="Selected objects").locator("li")).to_have_text(
        [f"{namespace}/api", f"{namespace}/web"])
    dialog.get_by_role("button", name="Restart 2").click()
    expect(dialog).to_contain_text("2 succeeded")
    dialog.get_by_role("button", name="Done").click()

    def template_annotations(name: str) -> dict:
        deployment = kube(control_plane, "GET", f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}")
        return deployment["spec"]["template"]["metadata"].get("annotations") or {}

    for name in ("api", "web"):
        assert RESTARTED_AT in template_annotations(name), name
    assert RESTARTED_AT not in template_annotations("db")


def test_slash_focuses_the_filter_unless_typing(control_plane, namespace, cluster_server, page):
    _configmap(control_plane, namespace, "alpha")
    _configmap(control_plane, namespace, "beta")
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/configmaps")
    expect(_row(page, "beta")).to_be_visible()
    filter_field = page.get_by_role("searchbox", name="Filter rows")

    page.locator(".vt-scroll").focus()
    page.keyboard.press("/")
    expect(filter_field).to_be_focused()
    expect(filter_field).to_have_value("")  # the "/" itself is not typed
    page.keyboard.type("bet")
    expect(_row(page, "alpha")).to_have_count(0)
    expect(_row(page, "beta")).to_be_visible()

    # In another field "/" is just a character.
    selector = page.get_by_role("searchbox", name="Label selector")
    selector.click()
    page.keyboard.type("app.kubernetes.io/name")
    expect(selector).to_have_value("app.kubernetes.io/name")
    expect(selector).to_be_focused()


def test_columns_fit_their_content_and_keep_their_widths_while_scrolling(control_plane, namespace, cluster_server,
                                                                        page):
    long_name = "a-configmap-with-a-rather-long-name-for-its-column-0"
    _configmap(control_plane, namespace, long_name)
    for i in range(150):
        _configmap(control_plane, namespace, f"cm-{i:03d}")
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/configmaps")
    expect(_row(page, long_name)).to_be_visible()

    def header_widths() -> list[float]:
        return page.locator(".vt-header > [role=columnheader]").evaluate_all(
            "cells => cells.map((c) => c.getBoundingClientRect().width)")

    # The long name is shown whole; the narrow columns take their content's width (Data: a number, Age: "5s").
    link = _row(page, long_name).get_by_role("link", name=long_name)
    assert link.evaluate("el => el.scrollWidth <= el.clientWidth")
    headers = page.locator(".vt-header > [role=columnheader]")
    labels = [text.strip() for text in headers.all_inner_texts()]
    widths = dict(zip(labels, header_widths(), strict=True))
    assert widths["Data"] < 100 and widths["Age"] < 80, widths  # the widths declared for them before rows show
    for label in ("Data", "Age"):
        header = headers.nth(labels.index(label))
        assert header.evaluate("el => el.scrollWidth <= el.clientWidth"), label

    # Scrolling renders other rows; no column moves.
    before = header_widths()
    scroller = page.locator(".vt-scroll")
    for fraction in (0.5, 0.2, 1.0):
        scroller.evaluate("(el, f) => { el.scrollTop = (el.scrollHeight - el.clientHeight) * f; }", fraction)
        page.wait_for_timeout(100)
        assert header_widths() == before
    expect(_row(page, "cm-149")).to_be_visible()
    # Rows line up with the header.
    row_widths = _row(page, "cm-149").locator("[role=gridcell]").evaluate_all(
        "cells => cells.map((c) => c.getBoundingClientRect().width)")
    assert row_widths == before


def test_detail_header_holds_at_phone_width(control_plane, namespace, cluster_server, page):
    create_deployment(control_plane, namespace, "web", replicas=1)
    page.set_viewport_size({"width": 390, "height": 844})
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/deployments/web")
    header = page.locator(".page-header")
    expect(header.get_by_role("heading", name="web")).to_be_visible()
    expect(header.get_by_role("button", name="Scale")).to_be_visible()
    screenshot(page, "detail-header-390")

    # The kind badge shows its whole word.
    badge = header.locator(".page-heading .chip", has_text="Deployment")
    assert badge.inner_text().strip() == "Deployment"
    assert badge.evaluate("el => el.scrollWidth <= el.clientWidth"), badge.bounding_box()
    # The metadata line uses the width of the page: at most two lines, not one word per line.
    subtitle = header.locator(".page-subtitle")
    expect(subtitle).to_contain_text(f"Namespace {namespace}")
    box = subtitle.bounding_box()
    line_height = subtitle.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)")
    assert box["width"] >= 300, box
    assert box["height"] <= 2 * line_height + 1, (box, line_height)
    # Nothing in the header is wider than the screen, and the actions are all inside it.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for button in header.locator(".page-actions .button:visible").all():
        action = button.bounding_box()
        assert action["x"] >= 0 and action["x"] + action["width"] <= 390, (button.inner_text(), action)
    # The top bar's two pickers sit side by side inside the screen, neither drawn over the other.
    pickers = [page.locator(f".topbar .{name}-picker .picker-button") for name in ("cluster", "namespace")]
    boxes = [picker.bounding_box() for picker in pickers]
    assert all(b["x"] >= 0 and b["x"] + b["width"] <= 390 for b in boxes), boxes
    assert boxes[0]["x"] + boxes[0]["width"] <= boxes[1]["x"], boxes
    assert all(b["width"] >= 80 for b in boxes), boxes
    for picker in pickers:
        value = picker.locator(".picker-value")
        inside = value.bounding_box()
        outer = picker.bounding_box()
        assert outer["x"] <= inside["x"], (inside, outer)
        assert inside["x"] + inside["width"] <= outer["x"] + outer["width"], (inside, outer)
