"""Approvals in the browser, against the real control plane: an AI agent (the official MCP SDK's client, with its
user's API key) asks for a scale; a second user sees the request arrive live on the Approvals page (who asked,
the client, the dry-run diff), approves it with a comment, and the agent's tool call returns done with the
deployment scaled on the API server. A request denied in the browser makes the tool return denied."""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from playwright.sync_api import expect

from tests.browser.cluster_objects import LIVE_TIMEOUT_MS, admin_token, cluster_id, create_deployment, kube
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

AGENT_CLIENT = "approvals-test-agent/1.0"
# A tool call waits for the decision up to the server's mcp_approval_wait_s (30 s by default); the test waits a
# little longer for its answer.
TOOL_ANSWER_TIMEOUT_S = 45
# The app's first load fetches about 200 modules; on a loaded test machine that took longer than Playwright's 10 s.
NAVIGATION_TIMEOUT_MS = 60_000


def call_tool(url: str, key: str, tool: str, arguments: dict[str, Any]) -> Any:
    """One tool call through the SDK client (in its own event loop; Playwright's sync API owns this thread's)."""
    async def run() -> Any:
        async with (create_mcp_http_client(headers={"X-API-Key": key, "User-Agent": AGENT_CLIENT}) as http,
                    streamable_http_client(f"{url}/api/v1/mcp", http_client=http) as (read, write),
                    ClientSession(read, write) as session):
            await session.initialize()
            return await session.call_tool(tool, arguments)
    return asyncio.run(run())


def replicas(control_plane, namespace: str) -> int:
    """spec.replicas of deployment `web`, as the API server has it."""
    return kube(control_plane, "GET", f"/apis/apps/v1/namespaces/{namespace}/deployments/web")["spec"]["replicas"]


def test_an_agents_scale_is_approved_and_another_denied_in_the_browser(control_plane, namespace, cluster_server,
                                                                        page) -> None:
    create_deployment(control_plane, namespace, "web", replicas=1)
    cid = cluster_id(cluster_server)
    token = admin_token(cluster_server)
    for username in ("agent-owner", "approver"):
        cluster_server.ok("POST", "/users", {"username": username, "password": "password-123", "role": "ops"},
                          token=token)
    owner = cluster_server.ok("POST", "/auth/login", {"username": "agent-owner", "password": "password-123"})
    key = cluster_server.ok("POST", "/api-keys", {"name": "agent", "currentPassword": "password-123"},
                            token=owner["accessToken"])["key"]
    scale = {"cluster": cid, "resource": "deployments", "namespace": namespace, "name": "web"}

    page.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    sign_in(page, cluster_server, "approver", "password-123")
    page.get_by_role("link", name="Approvals").click()
    expect(page.get_by_role("heading", name="Approvals", exact=True)).to_be_visible()
    expect(page.get_by_text("Nothing waits for a decision.")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    pending = page.get_by_role("region", name="Pending requests")

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as agent:
        # The request arrives on the open page through the watch socket.
        asked = agent.submit(call_tool, cluster_server.url, key, "scale_workload", {**scale, "replicas": 3})
        card = pending.get_by_role("article").filter(has_text=f"Scale deployments/web in {namespace} to 3")
        expect(card).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        expect(card).to_contain_text("agent-owner")
        expect(card).to_contain_text("an API key")
        expect(card).to_contain_text(AGENT_CLIENT)
        expect(card.get_by_role("region", name="Changes")).to_contain_text("replicas: 3")
        screenshot(page, "70-approvals-pending")
        card.get_by_label("Comment for the agent (optional)").fill("go ahead")
        card.get_by_role("button", name="Approve").click()
        result = asked.result(timeout=TOOL_ANSWER_TIMEOUT_S)
        assert not result.is_error and result.structured_content["status"] == "done", result.content
        assert result.structured_content["decidedBy"] == "approver"
        assert "approved by approver" in result.content[0].text
        assert replicas(control_plane, namespace) == 3
        decided = page.get_by_role("region", name="Decided requests").get_by_role("article").filter(
            has_text=f"Scale deployments/web in {namespace} to 3")
        expect(decided).to_contain_text("done", timeout=LIVE_TIMEOUT_MS)
        expect(decided).to_contain_text("go ahead")

        asked = agent.submit(call_tool, cluster_server.url, key, "scale_workload", {**scale, "replicas": 7})
        card = pending.get_by_role("article").filter(has_text=f"Scale deployments/web in {namespace} to 7")
        expect(card).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        card.get_by_label("Comment for the agent (optional)").fill("not during the sale")
        card.get_by_role("button", name="Deny").click()
        result = asked.result(timeout=TOOL_ANSWER_TIMEOUT_S)
    assert result.structured_content["status"] == "denied", result.content
    assert "not during the sale" in result.content[0].text
    assert replicas(control_plane, namespace) == 3
    expect(page.get_by_text("Nothing waits for a decision.")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    screenshot(page, "71-approvals-decided")
