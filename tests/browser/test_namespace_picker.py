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
