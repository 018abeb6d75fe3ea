"""The one data table of list pages: its error state (message, request id, Retry) and its empty states."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.cluster_objects import admin_token, cluster_id, kube
from tests.browser.conftest import sign_in
from tests.envtest.namespaces import create_namespace_sync, delete_namespace_sync

pytestmark = pytest.mark.browser

LIMITED_PASSWORD = "limited-pass-123"


def test_a_refused_list_shows_the_message_and_request_id_and_retry_lists_once_allowed(
        control_plane, namespace, cluster_server, page, console):
    other = create_namespace_sync(control_plane.server_url, control_plane.admin_token)
    try:
        kube(control_plane, "POST", f"/api/v1/namespaces/{other}/configmaps",
             {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "elsewhere"}, "data": {"k": "v"}})
        token = admin_token(cluster_server)
        limited = cluster_server.ok("POST", "/users", {"username": "limited", "password": LIMITED_PASSWORD,
                                                       "role": "dev", "namespaces": [namespace]}, token=token)
        cid = cluster_id(cluster_server)
        # The refused list request (and the freshness poll) fail in the network log, as they should.
        console.expect(r"status of 403")
        sign_in(page, cluster_server, "limited", LIMITED_PASSWORD)

        with page.expect_response(re.compile(rf"/clusters/{cid}/resources/configmaps.*namespace={other}")) as answer:
            page.goto(f"{cluster_server.url}/c/{cid}/ns/{other}/configmaps")
        envelope = answer.value.json()
        assert envelope["code"] == 40302, envelope
        state = page.locator(".empty-state-error")
        expect(state.get_by_role("heading")).to_have_text("Could not list configmaps")
        expect(state).to_contain_text(f"no access to namespace '{other}'")
        expect(state).to_contain_text(f"Request {envelope['meta']['requestId']}")
        expect(page.get_by_role("grid")).to_have_count(0)

        cluster_server.ok("PUT", f"/users/{limited['id']}", {"namespaces": [namespace, other]}, token=token)
        state.get_by_role("button", name="Retry").click()
        expect(page.get_by_role("row", name=re.compile("elsewhere"))).to_be_visible()
        expect(page.locator(".empty-state-error")).to_have_count(0)
    finally:
        delete_namespace_sync(control_plane.server_url, control_plane.admin_token, other)


def test_empty_lists_say_so(control_plane, namespace, cluster_server, page):
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)

    # A live list: the header stays and the table body gives the page's message.
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/configmaps?labelSelector=app%3Dnothing")
    expect(page.get_by_role("grid", name="ConfigMaps")).to_contain_text(
        "No configmaps match the label selector “app=nothing”.")

    # Small server-paged tables: the empty state with its hint instead of a table.
    page.goto(f"{cluster_server.url}/terminal-sessions")
    empty = page.locator(".empty-state")
    expect(empty.get_by_role("heading")).to_have_text("No terminal sessions")
    expect(empty).to_contain_text("Open a pod's Terminal tab to start one.")
    expect(page.get_by_role("table", name="Terminal sessions")).to_have_count(0)
