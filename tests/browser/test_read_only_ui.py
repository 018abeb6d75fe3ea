"""A --read-only server: the UI hides write actions even from an admin (the server refuses them anyway)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN_PASSWORD, sign_in, start_server, stop_server
from tests.envtest.controlplane import api_request

pytestmark = pytest.mark.browser


def test_read_only_server_hides_write_actions(control_plane, namespace, admin_kubeconfig, tmp_path, page):
    api_request(control_plane.server_url, control_plane.admin_token, "POST",
                f"/api/v1/namespaces/{namespace}/configmaps",
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "frozen"}, "data": {"k": "v"}})
    server = start_server(tmp_path, admin_password=ADMIN_PASSWORD, kubeconfig=admin_kubeconfig,
                          settings_env={"KUBEVISION_READ_ONLY": "true"})
    try:
        token = server.ok("POST", "/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})["accessToken"]
        assert server.ok("GET", "/info", token=token)["readOnly"] is True
        cid = next(c["id"] for c in server.ok("GET", "/clusters", token=token) if c["name"] == "envtest-admin")
        sign_in(page, server)
        page.goto(f"{server.url}/c/{cid}/ns/{namespace}/configmaps")
        expect(page.get_by_role("row", name=re.compile("frozen"))).to_be_visible()
        expect(page.get_by_role("link", name="Create")).to_have_count(0)
        expect(page.get_by_role("checkbox")).to_have_count(0)
        page.goto(f"{server.url}/c/{cid}/ns/{namespace}/configmaps/frozen")
        expect(page.get_by_role("heading", name="frozen")).to_be_visible()
        for name in ("Edit YAML", "Delete"):
            expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    finally:
        stop_server(server)
