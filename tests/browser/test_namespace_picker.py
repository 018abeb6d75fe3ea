"""The namespace picker lists the namespaces visited most recently first, marked as recent."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN_PASSWORD, sign_in
from tests.envtest.namespaces import create_namespace_sync, delete_namespace_sync

pytestmark = pytest.mark.browser


def test_recent_namespaces_come_first(control_plane, namespace, cluster_server, page):
    other = create_namespace_sync(control_plane.server_url, control_plane.admin_token)
    try:
        token = cluster_server.ok("POST", "/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})[
            "accessToken"]
        cid = next(c["id"] for c in cluster_server.ok("GET", "/clusters", token=token) if c["name"] == "envtest-admin")
        sign_in(page, cluster_server)
        for visited in (namespace, other):
            page.goto(f"{cluster_server.url}/c/{cid}/ns/{visited}/configmaps")
            expect(page.get_by_role("button", name=f"Namespace: {visited}")).to_be_visible()
        page.get_by_role("button", name=f"Namespace: {other}").click()
        options = page.get_by_role("option")
        expect(options.nth(0)).to_contain_text("All namespaces")
        expect(options.nth(1)).to_contain_text(other)
        expect(options.nth(1)).to_contain_text("recent")
        expect(options.nth(2)).to_contain_text(namespace)
        expect(options.nth(2)).to_contain_text("recent")
    finally:
        delete_namespace_sync(control_plane.server_url, control_plane.admin_token, other)


def test_several_namespaces_at_once(control_plane, namespace, cluster_server, page):
    others = [create_namespace_sync(control_plane.server_url, control_plane.admin_token) for _ in range(2)]
    try:
        token = cluster_server.ok("POST", "/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})[
            "accessToken"]
        cid = next(c["id"] for c in cluster_server.ok("GET", "/clusters", token=token) if c["name"] == "envtest-admin")
        for ns in (namespace, *others):
            cluster_server.ok("POST", f"/clusters/{cid}/resources/configmaps?namespace={ns}",
                              {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{ns}"}}, token=token)
        sign_in(page, cluster_server)
        page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/configmaps")
        expect(page.get_by_role("row", name=f"cm-{namespace}")).to_be_visible()
        page.get_by_role("button", name=f"Namespace: {namespace}").click()
        page.get_by_role("option", name=others[0]).get_by_role("checkbox").click()
        expect(page.get_by_role("button", name="Namespace: 2 namespaces")).to_be_visible()
        shown = sorted((namespace, others[0]))
        expect(page).to_have_url(f"{cluster_server.url}/c/{cid}/ns/{','.join(shown)}/configmaps")
        for ns in shown:
            expect(page.get_by_role("row", name=f"cm-{ns}")).to_be_visible()
        expect(page.get_by_role("row", name=f"cm-{others[1]}")).to_have_count(0)
        expect(page.get_by_role("columnheader", name="Namespace")).to_be_visible()
        # Picking a namespace's name (not its box) goes back to that one alone.
        page.get_by_role("option", name=others[1]).locator(".picker-option-label").click()
        expect(page).to_have_url(f"{cluster_server.url}/c/{cid}/ns/{others[1]}/configmaps")
        expect(page.get_by_role("row", name=f"cm-{others[1]}")).to_be_visible()
    finally:
        for ns in others:
            delete_namespace_sync(control_plane.server_url, control_plane.admin_token, ns)
