"""The MCP endpoint (`/api/v1/mcp`) driven by the official MCP SDK's client (`mcp.client.streamable_http`)
against the real control plane: handshake, tool listing, every read tool, grants, readonly users, the
read-only server, API keys, masking of Secret values, and the transport's refusals (401, 403, 400, 405)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from kubevision.api.mcp_tools import MAX_ROWS, TOOLS
from kubevision.services import approvals
from kubevision.services.approvals import SECOND_PERSON_REFUSED
from tests.envtest.kubelet import KubeletStandIn
from tests.helpers import ApiSession, wait_until
from tests.kube.conftest import cluster_id, configmap, make_user
from tests.kube.streaming import connect, next_frame, running_pod

SECRET_PLAIN = "mcp-value-Q8x2Lk7v"
SECRET_B64 = base64.b64encode(SECRET_PLAIN.encode()).decode()
MCP_PATH = "/api/v1/mcp"
# After the frames a socket should get arrived, this much longer for any that should not come.
QUIET_S = 1.0


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest, admin_kubeconfig: str) -> dict[str, Any]:
    """The admin context, plus whatever the test parametrizes."""
    return {"kubeconfig": admin_kubeconfig, **getattr(request, "param", {})}


@pytest.fixture
async def cid(admin: ApiSession) -> int:
    """Id of the admin context's cluster."""
    return await cluster_id(admin, "envtest-admin")


@contextlib.asynccontextmanager
async def mcp_session(api: ApiSession, headers: dict[str, str] | None = None) -> AsyncIterator[ClientSession]:
    """An initialized SDK client session on the endpoint, as `api`'s user (or with `headers` instead)."""
    url = str(api.client.make_url(MCP_PATH))
    async with (create_mcp_http_client(headers=headers or api.headers()) as http,
                streamable_http_client(url, http_client=http) as (read, write),
                ClientSession(read, write) as session):
        await session.initialize()
        yield session


async def call(session: ClientSession, tool: str, **arguments: Any) -> dict[str, Any]:
    """A tool call that must succeed; its structured content (checked against its text)."""
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.content[0].type == "text" and result.content[0].text
    return result.structured_content


async def refused(session: ClientSession, tool: str, code: int, **arguments: Any) -> str:
    """A tool call that must be a tool error with business `code`; its text."""
    result = await session.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    assert result.structured_content["code"] == code, result.structured_content
    return result.content[0].text


def secret(name: str) -> dict[str, Any]:
    """A Secret with a known value."""
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "data": {"password": SECRET_B64}}


def deployment(name: str) -> dict[str, Any]:
    """A Deployment selecting `app=<name>` (the control plane's controllers create its pod)."""
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "main", "image": "busybox"}]}}}}


async def create(admin: ApiSession, cid: int, namespace: str | None, resource: str, body: dict[str, Any]) -> None:
    where = f"?namespace={namespace}" if namespace else ""
    await admin.ok("POST", f"/clusters/{cid}/resources/{resource}{where}", json=body)


async def test_handshake_and_tool_listing(admin: ApiSession) -> None:
    url = str(admin.client.make_url(MCP_PATH))
    async with (create_mcp_http_client(headers=admin.headers()) as http,
                streamable_http_client(url, http_client=http) as (read, write),
                ClientSession(read, write) as session):
        initialized = await session.initialize()
        assert initialized.server_info.name == "kubevision"
        assert initialized.protocol_version == "2025-11-25"
        assert initialized.capabilities.tools is not None
        listed = await session.list_tools()
    tools = {tool.name: tool for tool in listed.tools}
    assert set(tools) == {tool.name for tool in TOOLS}
    assert {"list_clusters", "list_resources", "get_resource", "describe_resource", "pod_logs", "workload_logs",
            "search", "overview", "topology", "rollout_history", "dry_run_manifest"} <= set(tools)
    for tool in tools.values():
        assert tool.description and tool.input_schema["type"] == "object"
    changes = {name for name, tool in tools.items() if not tool.annotations.read_only_hint}
    assert changes == {"apply_manifest", "scale_workload", "restart_workload", "delete_resource", "patch_resource",
                       "rollback_workload", "cordon_node", "uncordon_node"}
    assert all("approve" in tools[name].description for name in changes)
    assert tools["delete_resource"].annotations.destructive_hint is True
    assert tools["pod_logs"].input_schema["required"] == ["cluster", "namespace", "pod"]


async def test_every_read_tool(admin: ApiSession, cid: int, namespace: str, kubelet: KubeletStandIn) -> None:
    await create(admin, cid, namespace, "configmaps", configmap("settings", namespace, mode="fast"))
    await create(admin, cid, namespace, "deployments", deployment("web"))
    await running_pod(admin, cid, namespace, "solo", labels={"app": "solo"})
    async with mcp_session(admin) as session:
        clusters = (await call(session, "list_clusters"))["clusters"]
        assert [c["name"] for c in clusters] == ["envtest-admin"] and clusters[0]["id"] == cid

        table = await call(session, "list_resources", cluster=cid, resource="configmaps", namespace=namespace,
                           q="sett")
        assert [row["name"] for row in table["rows"]] == ["settings"] and table["total"] == 1
        assert {"name", "namespace", "data"} <= {column["id"] for column in table["columns"]}
        pods = await call(session, "list_resources", cluster=cid, resource="pods", namespace=namespace,
                          labelSelector="app=solo", sort="-name", pageSize=1)
        assert [row["name"] for row in pods["rows"]] == ["solo"]
        text = await refused(session, "list_resources", 40002, cluster=cid, resource="pods", pageSize=MAX_ROWS + 1)
        assert "pageSize" in text

        got = (await call(session, "get_resource", cluster=cid, resource="configmaps", name="settings",
                          namespace=namespace))["object"]
        assert got["data"] == {"mode": "fast"}
        await refused(session, "get_resource", 40400, cluster=cid, resource="configmaps", name="missing",
                      namespace=namespace)

        described = await call(session, "describe_resource", cluster=cid, resource="pods", name="solo",
                               namespace=namespace)
        assert described["object"]["metadata"]["name"] == "solo" and isinstance(described["events"], list)

        async def web_running() -> dict[str, Any] | None:
            logs = await call(session, "workload_logs", cluster=cid, namespace=namespace, resource="deployments",
                              name="web", tailLines=1)
            return logs if logs["pods"] and logs["pods"][0].get("lines") else None

        workload = await wait_until(web_running, timeout_s=60, interval_s=0.5, what="the deployment's pod logs")
        web_pod = workload["pods"][0]["pod"]
        assert web_pod.startswith("web-") and workload["podsTotal"] == 1
        assert workload["pods"][0]["lines"] == [f"line {kubelet.log_lines} from {web_pod}/main"]
        described = await call(session, "describe_resource", cluster=cid, resource="deployments", name="web",
                               namespace=namespace)
        assert described["object"]["kind"] == "Deployment"
        assert [entry["revision"] for entry in described["rolloutHistory"]] == [1]
        replica_sets = [e for e in described["events"] if e["reason"] == "ScalingReplicaSet"]
        assert replica_sets and described["eventsTotal"] >= len(replica_sets)

        n = kubelet.log_lines
        log = await call(session, "pod_logs", cluster=cid, namespace=namespace, pod="solo", tailLines=3)
        assert log["container"] == "main"
        assert log["lines"] == [f"line {i} from solo/main" for i in range(n - 2, n + 1)]
        grepped = await call(session, "pod_logs", cluster=cid, namespace=namespace, pod="solo", grep="LINE 1 ")
        assert grepped["lines"] == ["line 1 from solo/main"]

        found = await call(session, "search", cluster=cid, q="settings", kinds="configmaps")
        assert [(r["name"], r["namespace"]) for r in found["results"]] == [("settings", namespace)]
        overview = (await call(session, "overview", cluster=cid))["overview"]
        assert overview["counts"]["pods"] >= 1
        graph = await call(session, "topology", cluster=cid, namespace=namespace)
        assert any(node.get("name") == "solo" for node in graph["nodes"])
        history = await call(session, "rollout_history", cluster=cid, namespace=namespace, name="web")
        assert [(entry["revision"], entry["current"]) for entry in history["revisions"]] == [(1, True)]

        update = await call(session, "dry_run_manifest", cluster=cid, resource="configmaps", namespace=namespace,
                            manifest=configmap("settings", namespace, mode="slow"))
        assert update["valid"] and update["change"] == "update"
        assert "-  mode: fast" in update["diff"] and "+  mode: slow" in update["diff"]
        new = await call(session, "dry_run_manifest", cluster=cid, resource="configmaps", namespace=namespace,
                         manifest=configmap("other", namespace, mode="x"))
        assert new["valid"] and new["change"] == "create"
    # Dry runs changed nothing.
    current = await admin.ok("GET", f"/clusters/{cid}/resources/configmaps/settings?namespace={namespace}")
    assert current["data"] == {"mode": "fast"}
    await admin.fails("GET", f"/clusters/{cid}/resources/configmaps/other?namespace={namespace}", 40400)


async def test_secret_values_are_masked(admin: ApiSession, cid: int, namespace: str) -> None:
    await create(admin, cid, namespace, "secrets", secret("db"))
    async with mcp_session(admin) as session:
        results = [await session.call_tool(tool, {"cluster": cid, "resource": "secrets", "name": "db",
                                                  "namespace": namespace})
                   for tool in ("get_resource", "describe_resource")]
        results.append(await session.call_tool("list_resources", {"cluster": cid, "resource": "secrets",
                                                                  "namespace": namespace}))
        results.append(await session.call_tool("dry_run_manifest", {
            "cluster": cid, "resource": "secrets", "namespace": namespace,
            "manifest": {**secret("db"), "metadata": {"name": "db", "labels": {"x": "y"}}}}))
    for result in results:
        assert not result.is_error, result.content
        everything = json.dumps(result.structured_content) + result.content[0].text
        assert SECRET_PLAIN not in everything and SECRET_B64 not in everything
    assert results[0].structured_content["object"]["data"] == {"password": "********"}


async def test_a_namespace_limited_user_sees_only_its_grants(admin: ApiSession, cid: int, namespace: str) -> None:
    other = f"kv-mcp-{secrets.token_hex(4)}"
    await admin.ok("POST", f"/clusters/{cid}/resources/namespaces",
                   json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": other}})
    try:
        await create(admin, cid, namespace, "configmaps", configmap("mine", namespace))
        await create(admin, cid, other, "configmaps", configmap("theirs", other))
        limited = await make_user(admin, "mcp-limited", "dev", clusters=[cid], namespaces=[namespace])
        async with mcp_session(limited) as session:
            table = await call(session, "list_resources", cluster=cid, resource="configmaps", q="i")
            names = {row["name"] for row in table["rows"]}
            assert "mine" in names and "theirs" not in names
            assert {row["namespace"] for row in table["rows"]} == {namespace}
            await refused(session, "get_resource", 40302, cluster=cid, resource="configmaps", name="theirs",
                          namespace=other)
            await refused(session, "describe_resource", 40302, cluster=cid, resource="configmaps", name="theirs",
                          namespace=other)
            await refused(session, "list_resources", 40302, cluster=cid, resource="configmaps", namespace=other)
            found = await call(session, "search", cluster=cid, q="theirs")
            assert found["results"] == []
            await refused(session, "topology", 40302, cluster=cid, namespace=other)
            await refused(session, "get_resource", 40301, cluster=cid + 1000, resource="configmaps", name="mine",
                          namespace=namespace)
            assert [c["id"] for c in (await call(session, "list_clusters"))["clusters"]] == [cid]
    finally:
        await admin.call("DELETE", f"/clusters/{cid}/resources/namespaces/{other}")


async def test_a_readonly_user_cannot_change_anything(admin: ApiSession, cid: int, namespace: str) -> None:
    await create(admin, cid, namespace, "configmaps", configmap("settings", namespace, mode="fast"))
    readonly = await make_user(admin, "mcp-readonly", "readonly")
    async with mcp_session(readonly) as session:
        text = await refused(session, "dry_run_manifest", 40300, cluster=cid, resource="configmaps",
                             namespace=namespace, manifest=configmap("settings", namespace, mode="slow"))
        assert text.startswith("error 40300")
        got = await call(session, "get_resource", cluster=cid, resource="configmaps", name="settings",
                         namespace=namespace)
        assert got["object"]["data"] == {"mode": "fast"}
        for tool, arguments in (("apply_manifest", {"manifest": configmap("settings", namespace, mode="slow")}),
                                ("scale_workload", {"name": "web", "replicas": 3}),
                                ("restart_workload", {"name": "web"}),
                                ("delete_resource", {"name": "settings"})):
            resource = "configmaps" if tool in ("apply_manifest", "delete_resource") else "deployments"
            await refused(session, tool, 40300, cluster=cid, resource=resource, namespace=namespace, **arguments)
    assert await admin.ok("GET", "/approvals") == []  # refused at once: nothing waits for anyone
    refusals = await admin.ok("GET", "/audit-logs?action=change.request")
    assert {(row["username"], row["code"]) for row in refusals} == {("mcp-readonly", 40300)}


@pytest.mark.parametrize("settings_overrides", [{"read_only": True}], indirect=True)
async def test_a_read_only_server_reads_but_refuses_dry_runs(admin: ApiSession, cid: int, namespace: str) -> None:
    async with mcp_session(admin) as session:
        assert (await call(session, "list_clusters"))["clusters"][0]["id"] == cid
        text = await refused(session, "dry_run_manifest", 40300, cluster=cid, resource="configmaps",
                             namespace=namespace, manifest=configmap("x", namespace))
        assert "read-only" in text


async def test_an_api_key_works(admin: ApiSession, cid: int, namespace: str) -> None:
    await create(admin, cid, namespace, "configmaps", configmap("settings", namespace))
    viewer = await make_user(admin, "mcp-key", "readonly", namespaces=[namespace])
    key = (await viewer.ok("POST", "/api-keys", json={"name": "agent", "currentPassword": "password-123"}))["key"]
    async with mcp_session(viewer, headers={"X-API-Key": key}) as session:
        table = await call(session, "list_resources", cluster=cid, resource="configmaps")
        assert {row["namespace"] for row in table["rows"]} == {namespace}
        assert "settings" in {row["name"] for row in table["rows"]}


async def post(api: ApiSession, message: Any, *, headers: dict[str, str] | None = None,
               method: str = "POST") -> tuple[int, dict[str, str], Any]:
    """A raw request to the endpoint: status, headers and the JSON body (None when empty)."""
    response = await api.client.request(method, MCP_PATH, json=message,
                                        headers={"Accept": "application/json, text/event-stream", **(headers or {})})
    text = await response.text()
    return response.status, dict(response.headers), json.loads(text) if text else None


PING = {"jsonrpc": "2.0", "id": 7, "method": "ping"}


async def test_bad_or_missing_credentials_are_401_with_a_json_rpc_error(anonymous: ApiSession) -> None:
    for headers in ({"Authorization": "Bearer not-a-token"}, {"X-API-Key": "kv_nonsense"}, {}):
        status, response_headers, body = await post(anonymous, PING, headers=headers)
        assert status == 401, body
        assert response_headers["WWW-Authenticate"].startswith("Bearer")
        assert body["jsonrpc"] == "2.0" and body["id"] is None
        assert body["error"]["code"] == -32600 and body["error"]["data"]["code"] in (40100, 40101)


async def test_transport_rules(admin: ApiSession) -> None:
    auth = admin.headers()
    status, _, body = await post(admin, PING, headers=auth)
    assert (status, body) == (200, {"jsonrpc": "2.0", "id": 7, "result": {}})
    status, _, body = await post(admin, PING, headers={**auth, "Origin": "https://evil.example"})
    assert status == 403 and body["error"]["code"] == -32600
    status, _, body = await post(admin, PING, headers={**auth, "MCP-Protocol-Version": "1999-01-01"})
    assert status == 400 and "1999-01-01" in body["error"]["message"]
    status, _, body = await post(admin, {"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=auth)
    assert (status, body) == (202, None)
    status, _, body = await post(admin, {"jsonrpc": "2.0", "id": 1, "method": "server/discover"}, headers=auth)
    assert status == 200 and body["error"]["code"] == -32601
    status, _, body = await post(admin, {"id": 1, "method": "ping"}, headers=auth)
    assert status == 400 and body["error"]["code"] == -32600
    status, _, body = await post(admin, {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                                         "params": {"name": "no_such_tool", "arguments": {}}}, headers=auth)
    assert body["error"]["code"] == -32602 and "no_such_tool" in body["error"]["message"]
    for method in ("GET", "DELETE"):
        status, response_headers, body = await post(admin, None, headers=auth, method=method)
        assert status == 405 and response_headers["Allow"] == "POST" and body["error"]["code"] == -32600


async def pending_request(approver: ApiSession) -> dict[str, Any]:
    """The one pending change request, once the agent's call has stored it."""
    async def pending() -> list[dict[str, Any]]:
        return await approver.ok("GET", "/approvals?status=pending")
    requests = await wait_until(pending, what="a pending change request")
    assert len(requests) == 1, requests
    return requests[0]


async def test_a_change_waits_for_approval_and_then_runs(admin: ApiSession, cid: int, namespace: str) -> None:
    await create(admin, cid, namespace, "configmaps", configmap("settings", namespace, mode="fast"))
    agent = await make_user(admin, "mcp-agent", "ops")
    readonly = await make_user(admin, "mcp-bystander", "readonly")
    async with mcp_session(agent) as session:
        call_task = asyncio.ensure_future(session.call_tool("apply_manifest", {
            "cluster": cid, "resource": "configmaps", "manifest": configmap("settings", namespace, mode="slow")}))
        request = await pending_request(admin)
        assert (request["action"], request["name"], request["requestedBy"]) == ("apply", "settings", "mcp-agent")
        assert "-  mode: fast" in request["diff"] and "+  mode: slow" in request["diff"]
        assert not call_task.done()
        # Someone who may not do the change neither sees nor decides it.
        assert await readonly.ok("GET", "/approvals") == []
        await readonly.fails("POST", f"/approvals/{request['id']}/approve", 40400, json={})
        decided = await admin.ok("POST", f"/approvals/{request['id']}/approve", json={"comment": "go ahead"})
        assert (decided["status"], decided["decidedBy"], decided["outcomeCode"]) == ("done", "admin", 0), decided
        result = await asyncio.wait_for(call_task, 10)
    assert not result.is_error and result.structured_content["status"] == "done"
    assert "approved by admin" in result.content[0].text
    current = await admin.ok("GET", f"/clusters/{cid}/resources/configmaps/settings?namespace={namespace}")
    assert current["data"] == {"mode": "slow"}
    await admin.fails("POST", f"/approvals/{request['id']}/deny", 40901, json={})
    approvals = await admin.ok("GET", "/audit-logs?action=change.approve")
    assert [(row["username"], row["code"], row["detail"]["requestedBy"]) for row in approvals] == [
        ("admin", 0, "mcp-agent")]
    replaced = await admin.ok("GET", "/audit-logs?action=resource.update")
    assert [(row["username"], row["name"]) for row in replaced] == [("mcp-agent", "settings")]


async def test_a_denied_change_does_nothing(admin: ApiSession, cid: int, namespace: str) -> None:
    await create(admin, cid, namespace, "configmaps", configmap("settings", namespace, mode="fast"))
    agent = await make_user(admin, "mcp-agent", "ops")
    async with mcp_session(agent) as session:
        call_task = asyncio.ensure_future(session.call_tool("delete_resource", {
            "cluster": cid, "resource": "configmaps", "name": "settings", "namespace": namespace}))
        request = await pending_request(admin)
        assert request["diff"].startswith("delete configmaps/settings")
        await admin.ok("POST", f"/approvals/{request['id']}/deny", json={"comment": "not in production"})
        result = await asyncio.wait_for(call_task, 10)
    assert result.structured_content["status"] == "denied"
    assert "not in production" in result.content[0].text
    await admin.ok("GET", f"/clusters/{cid}/resources/configmaps/settings?namespace={namespace}")


@pytest.mark.parametrize("settings_overrides", [{"mcp_approval_wait_s": 0}], indirect=True)
async def test_pending_then_expired_or_requester_lost_the_right(admin: ApiSession, cid: int, namespace: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    await create(admin, cid, namespace, "configmaps", configmap("settings", namespace, mode="fast"))
    agent_user = await admin.ok("POST", "/users", json={"username": "mcp-agent", "password": "password-123",
                                                        "role": "ops"})
    agent = await admin.login("mcp-agent", "password-123")
    scale = {"cluster": cid, "resource": "configmaps", "namespace": namespace}
    async with mcp_session(agent) as session:
        monkeypatch.setattr(approvals, "REQUEST_TTL_S", 1)
        early = await call(session, "apply_manifest", **scale, manifest=configmap("settings", namespace, mode="a"))
        assert early["status"] == "pending"
        assert "get_change_request" in (await session.call_tool("get_change_request", {"id": early["id"]})
                                        ).content[0].text
        monkeypatch.setattr(approvals, "REQUEST_TTL_S", 600)
        late = await call(session, "apply_manifest", **scale, manifest=configmap("settings", namespace, mode="b"))
        await asyncio.sleep(1.2)
        assert (await call(session, "get_change_request", id=early["id"]))["status"] == "expired"
    await admin.fails("POST", f"/approvals/{early['id']}/approve", 40901, json={})
    # A Secret asked for: its values appear nowhere a person or the agent reads the request.
    async with mcp_session(agent) as session:
        secret_request = await session.call_tool("apply_manifest", {"cluster": cid, "resource": "secrets",
                                                                    "namespace": namespace, "manifest": secret("db")})
    listed = await admin.call("GET", "/approvals")
    audited = await admin.call("GET", "/audit-logs?action=change.request")
    for shown in (json.dumps(secret_request.structured_content), secret_request.content[0].text, json.dumps(listed),
                  json.dumps(audited)):
        assert SECRET_PLAIN not in shown and SECRET_B64 not in shown
    assert secret_request.structured_content["payload"]["manifest"]["data"] == {"password": "********"}
    # The requester is readonly by the time someone approves: nothing runs.
    await admin.ok("PUT", f"/users/{agent_user['id']}", json={"role": "readonly"})
    decided = await admin.ok("POST", f"/approvals/{late['id']}/approve", json={})
    assert decided["status"] == "failed" and decided["outcomeCode"] in (40300, 40101), decided
    current = await admin.ok("GET", f"/clusters/{cid}/resources/configmaps/settings?namespace={namespace}")
    assert current["data"] == {"mode": "fast"}


async def approve_next(approver: ApiSession, session_call: Any, *, comment: str = "ok") -> tuple[dict[str, Any], Any]:
    """Start a change tool call, approve the request it makes, and return the request and the tool's result."""
    task = asyncio.ensure_future(session_call)
    request = await pending_request(approver)
    decided = await approver.ok("POST", f"/approvals/{request['id']}/approve", json={"comment": comment})
    assert decided["status"] == "done", decided
    return request, await asyncio.wait_for(task, 10)


async def test_patch_rollback_and_cordon_wait_for_approval(admin: ApiSession, cid: int, namespace: str) -> None:
    await create(admin, cid, namespace, "configmaps", configmap("settings", namespace, mode="fast"))
    await create(admin, cid, namespace, "deployments", deployment("web"))
    await create(admin, cid, None, "nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "mcp-node"}})
    web = f"/clusters/{cid}/resources/deployments/web?namespace={namespace}"
    try:
        agent = await make_user(admin, "mcp-agent", "ops")
        async with mcp_session(agent) as session:
            request, result = await approve_next(admin, session.call_tool("patch_resource", {
                "cluster": cid, "resource": "configmaps", "namespace": namespace, "name": "settings",
                "type": "json", "patch": [{"op": "replace", "path": "/data/mode", "value": "slow"}]}))
            assert (request["action"], request["payload"]["type"]) == ("patch", "json")
            assert "-  mode: fast" in request["diff"] and "+  mode: slow" in request["diff"]
            assert result.structured_content["status"] == "done"
            await refused(session, "patch_resource", 40002, cluster=cid, resource="configmaps", namespace=namespace,
                          name="settings", type="json", patch={"op": "add"})

            # A second revision, then a rollback to the first one.
            await admin.ok("PATCH", web, json={"type": "strategic", "patch": {"spec": {"template": {"spec": {
                "containers": [{"name": "main", "image": "busybox:1.36"}]}}}}})

            async def two_revisions() -> bool:
                history = await admin.ok("GET", f"/clusters/{cid}/namespaces/{namespace}/deployments/web/history")
                return [entry["revision"] for entry in history] == [2, 1]
            await wait_until(two_revisions, timeout_s=60, what="revision 2 of the deployment")
            request, result = await approve_next(admin, session.call_tool("rollback_workload", {
                "cluster": cid, "namespace": namespace, "name": "web", "revision": 1}))
            assert "-        image: busybox:1.36" in request["diff"] and "+        image: busybox" in request["diff"]
            assert "rolled back to revision 1" in result.content[0].text
            deployed = await admin.ok("GET", web)
            assert deployed["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox"
            await refused(session, "rollback_workload", 40400, cluster=cid, namespace=namespace, name="web",
                          revision=9)

            request, result = await approve_next(admin, session.call_tool("cordon_node", {
                "cluster": cid, "name": "mcp-node"}))
            assert "+  unschedulable: true" in request["diff"] and request["namespace"] is None
            node = await admin.ok("GET", f"/clusters/{cid}/resources/nodes/mcp-node")
            assert node["spec"]["unschedulable"] is True
            request, result = await approve_next(admin, session.call_tool("uncordon_node", {
                "cluster": cid, "name": "mcp-node"}))
            assert "-  unschedulable: true" in request["diff"]
            node = await admin.ok("GET", f"/clusters/{cid}/resources/nodes/mcp-node")
            assert "unschedulable" not in node["spec"]
        current = await admin.ok("GET", f"/clusters/{cid}/resources/configmaps/settings?namespace={namespace}")
        assert current["data"] == {"mode": "slow"}
        done = await admin.ok("GET", "/approvals?status=done")
        assert [r["action"] for r in done] == ["uncordon", "cordon", "rollback", "patch"]
        # Each ran as the requester, audited once by its service with its outcome.
        rows = await admin.ok("GET", "/audit-logs?user=mcp-agent&pageSize=500")
        ran = [(row["action"], row["code"]) for row in rows
               if not row["action"].startswith(("change.", "mcp.", "login"))]
        assert sorted(ran) == [("deployment.rollback", 0), ("node.cordon", 0), ("node.uncordon", 0),
                               ("resource.patch", 0)]
    finally:
        await admin.call("DELETE", f"/clusters/{cid}/resources/nodes/mcp-node")


async def test_secret_patches_follow_the_masking_rules(admin: ApiSession, cid: int, namespace: str) -> None:
    await create(admin, cid, namespace, "secrets", secret("db"))
    dev = await make_user(admin, "mcp-dev", "dev", namespaces=[namespace])
    where = {"cluster": cid, "resource": "secrets", "namespace": namespace, "name": "db"}
    async with mcp_session(dev) as session:
        # A json patch may not copy a masked value somewhere readable (as on PATCH /resources).
        text = await refused(session, "patch_resource", 40300, **where, type="json", patch=[
            {"op": "copy", "from": "/data/password", "path": "/metadata/labels/leak"}])
        assert "reveal" in text
        assert await admin.ok("GET", "/approvals") == []
        new_value = base64.b64encode(b"rotated-Zq81").decode()
        request, result = await approve_next(admin, session.call_tool("patch_resource", {
            **where, "type": "merge", "patch": {"data": {"password": new_value}}}))
    for shown in (json.dumps(request), json.dumps(result.structured_content), result.content[0].text):
        assert new_value not in shown and SECRET_B64 not in shown
    assert request["payload"]["patch"] == {"data": {"password": "********"}}
    revealed = await admin.ok("GET", f"/clusters/{cid}/resources/secrets/db?namespace={namespace}&reveal=true")
    assert revealed["data"]["password"] == new_value


async def test_every_read_tool_call_is_audited_with_the_client(admin: ApiSession, cid: int, namespace: str) -> None:
    reader = await make_user(admin, "mcp-reader", "readonly")
    async with mcp_session(reader, headers={**reader.headers(), "User-Agent": "claude-code/2.1"}) as session:
        await call(session, "list_clusters")
        await refused(session, "get_resource", 40400, cluster=cid, resource="configmaps", name="missing",
                      namespace=namespace)
    rows = await admin.ok("GET", "/audit-logs?action=mcp.read")
    assert [(row["username"], row["code"], row["detail"]["tool"]) for row in reversed(rows)] == [
        ("mcp-reader", 0, "list_clusters"), ("mcp-reader", 40400, "get_resource")]
    assert all(row["detail"]["via"] == "MCP" and row["detail"]["client"] == "claude-code/2.1" for row in rows)
    assert (rows[0]["clusterId"], rows[0]["namespace"], rows[0]["resource"], rows[0]["name"]) == (
        cid, namespace, "configmaps", "missing")


@pytest.mark.parametrize("settings_overrides", [{}, {"approval_second_person": True}], indirect=True)
async def test_approving_your_own_request_unless_a_second_person_is_required(
        admin: ApiSession, cid: int, namespace: str, settings_overrides: dict[str, Any]) -> None:
    second_person = settings_overrides.get("approval_second_person", False)
    await create(admin, cid, namespace, "deployments", deployment("web"))
    async with mcp_session(admin) as session:
        task = asyncio.ensure_future(session.call_tool("scale_workload", {
            "cluster": cid, "resource": "deployments", "namespace": namespace, "name": "web", "replicas": 2}))
        request = await pending_request(admin)
        assert (await admin.ok("GET", "/approvals/settings"))["secondPersonRequired"] is second_person
        if second_person:
            refusal = await admin.fails("POST", f"/approvals/{request['id']}/approve", 40300, json={})
            assert refusal["message"] == SECOND_PERSON_REFUSED
            assert (await admin.ok("GET", f"/approvals/{request['id']}"))["status"] == "pending"
            other = await make_user(admin, "mcp-second", "ops")
            await other.ok("POST", f"/approvals/{request['id']}/approve", json={})
        else:
            await admin.ok("POST", f"/approvals/{request['id']}/approve", json={})
        result = await asyncio.wait_for(task, 10)
    assert result.structured_content["decidedBy"] == ("mcp-second" if second_person else "admin")
    scaled = await admin.ok("GET", f"/clusters/{cid}/resources/deployments/web?namespace={namespace}")
    assert scaled["spec"]["replicas"] == 2
    refusals = [row for row in await admin.ok("GET", "/audit-logs?action=change.approve") if row["code"] == 40300]
    assert len(refusals) == (1 if second_person else 0)


async def test_auto_approved_actions_are_the_users_choice_not_a_keys(admin: ApiSession, cid: int,
                                                                     namespace: str) -> None:
    await create(admin, cid, namespace, "deployments", deployment("web"))
    agent = await make_user(admin, "mcp-agent", "ops")
    key = (await agent.ok("POST", "/api-keys", json={"name": "agent", "currentPassword": "password-123"}))["key"]
    by_key = {"X-API-Key": key}
    keyed = ApiSession(agent.client)  # the key alone, no session token
    assert (await agent.ok("GET", "/approvals/settings"))["autoApprovedActions"] == []  # off by default
    refusal = await keyed.fails("PUT", "/approvals/settings", 40300, json={"autoApprovedActions": ["scale"]},
                                headers=by_key)
    assert "API key" in refusal["message"]
    await agent.fails("PUT", "/approvals/settings", 40002, json={"autoApprovedActions": ["scale", "nuke"]})
    chosen = await agent.ok("PUT", "/approvals/settings", json={"autoApprovedActions": ["scale", "scale"]})
    assert chosen["autoApprovedActions"] == ["scale"] and chosen["autoApprovalInEffect"] is True
    # The key still cannot widen the list, and the list is the user's own.
    await keyed.fails("PUT", "/approvals/settings", 40300, json={"autoApprovedActions": ["scale", "delete"]},
                      headers=by_key)
    assert (await keyed.ok("GET", "/approvals/settings", headers=by_key))["autoApprovedActions"] == ["scale"]
    assert (await admin.ok("GET", "/approvals/settings"))["autoApprovedActions"] == []
    async with mcp_session(agent, headers=by_key) as session:
        scaled = await call(session, "scale_workload", cluster=cid, resource="deployments", namespace=namespace,
                            name="web", replicas=3)
        assert (scaled["status"], scaled["decidedBy"], scaled["comment"]) == ("done", "mcp-agent",
                                                                             "approved automatically")
        restart = asyncio.ensure_future(session.call_tool("restart_workload", {
            "cluster": cid, "resource": "deployments", "namespace": namespace, "name": "web"}))
        pending = await pending_request(admin)
        assert pending["action"] == "restart"  # not on the list: it waits for a person
        await admin.ok("POST", f"/approvals/{pending['id']}/deny", json={})
        assert (await asyncio.wait_for(restart, 10)).structured_content["status"] == "denied"
    deployed = await admin.ok("GET", f"/clusters/{cid}/resources/deployments/web?namespace={namespace}")
    assert deployed["spec"]["replicas"] == 3
    approvals = await admin.ok("GET", "/audit-logs?action=change.approve")
    assert [(row["username"], row["detail"].get("approvedAutomatically"), row["detail"]["comment"])
            for row in approvals] == [("mcp-agent", True, "approved automatically")]
    settings_rows = await admin.ok("GET", "/audit-logs?action=change.auto_approve")
    assert sorted(row["code"] for row in settings_rows) == [0, 40002, 40300, 40300]


async def test_change_requests_are_pushed_live_to_whoever_may_see_them(admin: ApiSession, cid: int,
                                                                        namespace: str) -> None:
    await create(admin, cid, namespace, "configmaps", configmap("settings", namespace))
    agent = await make_user(admin, "mcp-agent", "ops")
    bystander = await make_user(admin, "mcp-bystander", "readonly")
    approver_ws, bystander_ws = await connect(admin, "/ws/watch"), await connect(bystander, "/ws/watch")
    try:
        for ws in (approver_ws, bystander_ws):
            await ws.send_json({"op": "subscribe", "id": "cr", "resource": "change-requests"})
            assert (await next_frame(ws, "subscribed"))["sub"] == "cr"
        async with mcp_session(agent) as session:
            task = asyncio.ensure_future(session.call_tool("delete_resource", {
                "cluster": cid, "resource": "configmaps", "name": "settings", "namespace": namespace}))
            [asked] = (await next_frame(approver_ws, "event"))["events"]
            assert (asked["type"], asked["object"]["status"], asked["object"]["requestedBy"]) == (
                "MODIFIED", "pending", "mcp-agent")
            await admin.ok("POST", f"/approvals/{asked['object']['id']}/deny", json={"comment": "no"})
            [denied] = (await next_frame(approver_ws, "event"))["events"]
            assert (denied["name"], denied["object"]["status"]) == (asked["name"], "denied")
            await asyncio.wait_for(task, 10)
        with pytest.raises(TimeoutError):  # a readonly user may not decide a delete: nothing of it reaches them
            await asyncio.wait_for(bystander_ws.receive(), QUIET_S)
    finally:
        await approver_ws.close()
        await bystander_ws.close()
