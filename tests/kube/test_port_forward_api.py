"""`/api/v1/port-forwards` on the real control plane: forwards made through the API reach the echo server behind a
deployment; owners, roles, grants and bind addresses are enforced and every start and stop is audited; saved
forwards start again with the server (a cluster that does not answer leaves them waiting); the watch socket
pushes their state."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient

from kubevision.services.port_forwards import PORT_FORWARDS
from kubevision.store import STORE
from kubevision.store import port_forwards as repo
from kubevision.store.users import utcnow
from tests.envtest.kubelet import KubeletStandIn
from tests.helpers import ApiSession, documented_data, openapi_document, schema_problems, wait_until
from tests.kube.conftest import make_user
from tests.kube.forwarding import (
    EchoServer,
    api_deployment,
    assert_eof,
    create,
    round_trip,
    running_forwarded_pod,
)

RECEIVE_TIMEOUT_S = 15.0
UNREACHABLE_ID = "01UNREACHABLE0000000000000"  # a saved forward to a cluster that does not answer


def forward_request(cid: int, namespace: str, **overrides: Any) -> dict[str, Any]:
    """A forward of deployment `api`'s port `http`."""
    return {"cluster": cid, "namespace": namespace, "kind": "deployments", "name": "api", "port": "http",
            **overrides}


async def active(session: ApiSession, forward_id: str, *, other_than: str | None = None) -> dict[str, Any]:
    """The forward once it serves a pod (other than `other_than`)."""
    async def serving() -> dict[str, Any] | None:
        forward = await session.ok("GET", f"/port-forwards/{forward_id}")
        ready = forward["state"] == "active" and forward["pod"] and forward["pod"] != other_than
        return forward if ready else None
    return await wait_until(serving, timeout_s=30, what=f"port-forward {forward_id} to be active")


async def echoes(port: int, payload: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return await round_trip(reader, writer, payload)
    finally:
        writer.close()


async def audit_rows(admin: ApiSession, action: str, namespace: str) -> list[dict[str, Any]]:
    return [row for row in await admin.ok("GET", f"/audit-logs?action={action}&pageSize=500")
            if row["namespace"] == namespace]


async def test_a_forward_made_through_the_api_reaches_the_deployment(
        admin: ApiSession, cid: int, namespace: str, echo: EchoServer, kubelet: KubeletStandIn) -> None:
    await create(admin, cid, namespace, "deployments", api_deployment(echo))
    dev = await make_user(admin, "dev1", "dev", namespaces=[namespace])
    other = await make_user(admin, "dev2", "dev", namespaces=[namespace])

    created = await dev.ok("POST", "/port-forwards", json=forward_request(cid, namespace))
    assert created["bindAddress"] == "127.0.0.1" and created["localPort"] > 0 and created["listening"]
    assert created["owner"]["username"] == "dev1" and not created["saved"] and created["scheme"] == "http"
    forward = await active(dev, created["id"])
    assert forward["pod"].startswith("api-") and forward["podPort"] == 8080
    assert await echoes(forward["localPort"], b"through the API\x00\xff") == b"through the API\x00\xff"
    counted = await dev.ok("GET", f"/port-forwards/{created['id']}")
    assert counted["connectionsTotal"] == 1 and counted["bytesToPod"] == counted["bytesFromPod"] == 17

    document = await openapi_document(admin.client)
    for method, path, answer in (("POST", "/port-forwards", created), ("GET", "/port-forwards/{forward}", counted),
                                 ("GET", "/port-forwards", await dev.ok("GET", "/port-forwards"))):
        schema = documented_data(document, method, path)
        assert not schema_problems(answer, schema), (method, path)
        assert set(answer[0] if isinstance(answer, list) else answer) == set(
            (schema.get("items") or schema)["properties"])  # every field is documented
    parameter = next(p for p in document["paths"]["/api/v1/port-forwards/{forward}"]["get"]["parameters"]
                     if p["name"] == "forward")
    assert not schema_problems(created["id"], parameter["schema"])  # a ULID: the path parameter is a string
    assert [f["id"] for f in await dev.ok("GET", "/port-forwards")] == [created["id"]]
    assert await other.ok("GET", "/port-forwards") == []  # each forward belongs to its user
    refused = await other.fails("GET", f"/port-forwards/{created['id']}", 40300)
    assert "belongs to another user" in refused["message"]
    await other.fails("DELETE", f"/port-forwards/{created['id']}", 40300)
    assert [f["id"] for f in await admin.ok("GET", "/port-forwards")] == [created["id"]]  # admins see all

    await dev.ok("DELETE", f"/port-forwards/{created['id']}")
    await dev.fails("GET", f"/port-forwards/{created['id']}", 40400)
    with socket.socket() as probe:  # the local port is free again
        probe.bind(("127.0.0.1", forward["localPort"]))

    starts = await audit_rows(admin, "portforward.start", namespace)
    assert [(row["username"], row["code"], row["resource"], row["name"]) for row in starts] == [
        ("dev1", 0, "deployments", "api")]
    assert starts[0]["detail"]["id"] == created["id"] and starts[0]["detail"]["localPort"] == forward["localPort"]
    stops = await audit_rows(admin, "portforward.stop", namespace)
    assert sorted((row["username"], row["code"]) for row in stops) == [("dev1", 0), ("dev2", 40300)]


async def test_refusals_are_clear_and_audited(admin: ApiSession, cid: int, nobody_cid: int, namespace: str,
                                             echo: EchoServer, kubelet: KubeletStandIn) -> None:
    await create(admin, cid, namespace, "deployments", api_deployment(echo))
    readonly = await make_user(admin, "viewer", "readonly")
    elsewhere = await make_user(admin, "dev-elsewhere", "dev", namespaces=["kube-system"])
    dev = await make_user(admin, "dev3", "dev", namespaces=[namespace])
    request = forward_request(cid, namespace)

    message = (await readonly.fails("POST", "/port-forwards", 40300, json=request))["message"]
    assert message == "role readonly may not portforward pods"
    await elsewhere.fails("POST", "/port-forwards", 40302, json=request)
    message = (await dev.fails("POST", "/port-forwards", 40300, json={**request, "bindAddress": "0.0.0.0"}))["message"]
    assert "only admins may bind 0.0.0.0" in message
    await dev.fails("POST", "/port-forwards", 40001, json={k: v for k, v in request.items() if k != "port"})
    assert "kind must be one of" in (await dev.fails("POST", "/port-forwards", 40002,
                                                     json={**request, "kind": "jobs"}))["message"]
    assert "neither a number nor a valid port name" in (await dev.fails(
        "POST", "/port-forwards", 40002, json={**request, "port": "Not_A_Port"}))["message"]
    assert "not an IP address" in (await dev.fails("POST", "/port-forwards", 40002,
                                                   json={**request, "bindAddress": "localhost:80"}))["message"]
    await dev.fails("POST", "/port-forwards", 40002, json={**request, "localPort": 70000})
    assert 'deployments.apps "missing" not found' in (await dev.fails(
        "POST", "/port-forwards", 40400, json={**request, "name": "missing"}))["message"]
    # Kubernetes RBAC answers too: the no-rights context cannot even read the deployment.
    assert "cannot get resource" in (await admin.fails(
        "POST", "/port-forwards", 40300, json={**request, "cluster": nobody_cid}))["message"]

    everywhere = await admin.ok("POST", "/port-forwards", json={**request, "bindAddress": "0.0.0.0"})
    assert everywhere["bindAddress"] == "0.0.0.0"  # admins may bind any address
    await admin.ok("DELETE", f"/port-forwards/{everywhere['id']}")

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        message = (await dev.fails("POST", "/port-forwards", 40900, json={**request, "localPort": port}))["message"]
        assert message == f"local port {port} on 127.0.0.1 is in use: choose another, or 0 for a free one"
    assert await dev.ok("GET", "/port-forwards") == []

    starts = await audit_rows(admin, "portforward.start", namespace)
    assert sorted((row["username"], row["code"]) for row in starts) == sorted([
        ("viewer", 40300), ("dev-elsewhere", 40302), ("dev3", 40300), ("dev3", 40002), ("dev3", 40002),
        ("dev3", 40002), ("dev3", 40400), ("admin", 40300), ("admin", 0), ("dev3", 40900)])  # 40001 / kind: refused
    # before the service


async def test_kubernetes_refusing_pods_portforward_fails_the_forward_with_its_text(
        admin: ApiSession, cid: int, nobody_cid: int, namespace: str, echo: EchoServer,
        kubelet: KubeletStandIn) -> None:
    await running_forwarded_pod(admin, cid, namespace, "echo", echo)
    # The no-rights context's user may read pods in the namespace, but not `pods/portforward`.
    rbac = "rbac.authorization.k8s.io"
    await create(admin, cid, namespace, "roles", {
        "apiVersion": f"{rbac}/v1", "kind": "Role", "metadata": {"name": "pod-reader"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]})
    await create(admin, cid, namespace, "rolebindings", {
        "apiVersion": f"{rbac}/v1", "kind": "RoleBinding", "metadata": {"name": "nobody-reads-pods"},
        "subjects": [{"kind": "User", "name": "nobody", "apiGroup": rbac}],
        "roleRef": {"kind": "Role", "name": "pod-reader", "apiGroup": rbac}})
    created = await admin.ok("POST", "/port-forwards", json={"cluster": nobody_cid, "namespace": namespace,
                                                             "kind": "pods", "name": "echo", "port": 8080})
    await active(admin, created["id"])
    reader, writer = await asyncio.open_connection("127.0.0.1", created["localPort"])
    await assert_eof(reader)  # the connection is refused by the API server and closed
    writer.close()

    async def failed() -> dict[str, Any] | None:
        forward = await admin.ok("GET", f"/port-forwards/{created['id']}")
        return forward if forward["state"] == "failed" else None
    forward = await wait_until(failed, what="the forward to fail")
    assert 'User "nobody" cannot get resource "pods/portforward"' in forward["reason"]
    assert forward["pod"] is None and echo.accepted == 0
    await admin.ok("DELETE", f"/port-forwards/{created['id']}")


async def test_saved_forwards_start_again_and_owners_who_lose_access_lose_them(
        admin: ApiSession, client: TestClient, cid: int, namespace: str, echo: EchoServer,
        kubelet: KubeletStandIn) -> None:
    await running_forwarded_pod(admin, cid, namespace, "echo", echo)
    dev = await make_user(admin, "dev4", "dev", namespaces=[namespace])
    pod_port = {"cluster": cid, "namespace": namespace, "kind": "pods", "name": "echo", "port": 8080}
    saved = await dev.ok("POST", "/port-forwards", json={**pod_port, "saved": True})
    unsaved = await dev.ok("POST", "/port-forwards", json=pod_port)
    assert saved["saved"] and (await active(dev, saved["id"]))["pod"] == "echo"
    assert (await dev.ok("PATCH", f"/port-forwards/{unsaved['id']}", json={"saved": True}))["saved"]
    assert not (await dev.ok("PATCH", f"/port-forwards/{unsaved['id']}", json={"saved": False}))["saved"]

    # A saved forward whose cluster does not answer: saved as if before that cluster went away.
    uploaded = await vanished_cluster(admin)
    async with client.app[STORE].transaction() as conn:
        await repo.insert_saved_forward(conn, repo.SavedForward(
            id=UNREACHABLE_ID, user_id=saved["owner"]["id"], cluster_id=uploaded["id"], kind="pods",
            namespace=namespace, name="echo", port=8080, bind_address="127.0.0.1", local_port=0,
            created_at=utcnow()))

    # The server's forwards stop and start again, as when the server restarts (the saved ones come back).
    service = client.app[PORT_FORWARDS]
    await service.aclose()
    await service.start()
    listed = {f["id"]: f for f in await dev.ok("GET", "/port-forwards")}
    assert set(listed) == {saved["id"], UNREACHABLE_ID}  # the unsaved one is gone
    again = await active(dev, saved["id"])
    assert again["localPort"] == saved["localPort"] and again["saved"]
    assert await echoes(again["localPort"], b"after a restart") == b"after a restart"

    async def waiting() -> dict[str, Any] | None:
        forward = await dev.ok("GET", f"/port-forwards/{UNREACHABLE_ID}")
        return forward if forward["state"] == "waiting" and forward["reason"] else None
    stuck = await wait_until(waiting, timeout_s=30, what="the forward to an unreachable cluster to wait")
    assert stuck["reason"].startswith("cluster gone does not answer") and stuck["listening"]

    # The owner loses the portforward verb: at the next access check the forward stops and is forgotten. The one
    # whose cluster does not answer serves nothing; it checks its owner again before it would.
    await admin.ok("PUT", f"/users/{saved['owner']['id']}", json={"role": "readonly"})
    await service.recheck_access()
    assert [f["id"] for f in await admin.ok("GET", "/port-forwards")] == [UNREACHABLE_ID]
    async with client.app[STORE].transaction() as conn:
        assert [record.id for record in await repo.list_saved_forwards(conn)] == [UNREACHABLE_ID]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", saved["localPort"]))
    lost = await audit_rows(admin, "portforward.stop", namespace)
    assert [row["detail"]["reason"] for row in lost if row["detail"]["id"] == saved["id"]] == [
        "no longer allowed: role readonly may not portforward pods"]
    restarts = await audit_rows(admin, "portforward.start", namespace)
    assert sorted(row["detail"]["id"] for row in restarts if row["detail"].get("restarted")) == sorted(
        [saved["id"], UNREACHABLE_ID])
    await admin.ok("DELETE", f"/port-forwards/{UNREACHABLE_ID}")


async def vanished_cluster(admin: ApiSession) -> dict[str, Any]:
    """An uploaded cluster "gone" whose API server answered `/version` once (the upload checks it), then went away."""
    async def version(_request: web.Request) -> web.Response:
        return web.json_response({"gitVersion": "v1.20.0"})
    app = web.Application()
    app.router.add_get("/version", version)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    kubeconfig = f"""apiVersion: v1
kind: Config
clusters: [{{name: gone, cluster: {{server: "http://127.0.0.1:{port}"}}}}]
users: [{{name: gone, user: {{token: nothing}}}}]
contexts: [{{name: gone, context: {{cluster: gone, user: gone}}}}]
current-context: gone
"""
    try:
        return await admin.ok("POST", "/clusters", json={"name": "gone", "kubeconfig": kubeconfig})
    finally:
        await runner.cleanup()


async def test_state_changes_are_pushed_over_the_watch_socket(
        admin: ApiSession, cid: int, namespace: str, echo: EchoServer, kubelet: KubeletStandIn) -> None:
    await create(admin, cid, namespace, "deployments", api_deployment(echo))
    dev = await make_user(admin, "dev5", "dev", namespaces=[namespace])
    other = await make_user(admin, "dev6", "dev", namespaces=[namespace])
    watching, bystander = await open_watch(dev), await open_watch(other)
    try:
        for ws in (watching, bystander):
            await ws.send_json({"op": "subscribe", "id": "pf", "resource": "port-forwards"})
            assert (await next_frame(ws, "subscribed")) == {"type": "subscribed", "sub": "pf", "synced": True}
        created = await dev.ok("POST", "/port-forwards", json=forward_request(cid, namespace))
        seen: list[tuple[str, str, str | None]] = []

        async def until_active() -> dict[str, Any]:
            while True:
                frame = await next_frame(watching, "event")
                for event in frame["events"]:
                    assert event["name"] == created["id"]
                    seen.append((event["type"], event["object"]["state"], event["object"]["pod"]))
                    if event["object"]["state"] == "active":
                        return event["object"]
        first = await asyncio.wait_for(until_active(), RECEIVE_TIMEOUT_S)
        assert seen[0][0] == "ADDED" and seen[-1][0] == "MODIFIED"

        await admin.ok("DELETE", f"/clusters/{cid}/resources/pods/{first['pod']}?namespace={namespace}")
        states: list[str] = []

        async def until_moved() -> dict[str, Any]:
            while True:
                for event in (await next_frame(watching, "event"))["events"]:
                    states.append(event["object"]["state"])
                    if event["object"]["state"] == "active" and event["object"]["pod"] != first["pod"]:
                        return event["object"]
        moved = await asyncio.wait_for(until_moved(), 30)
        assert moved["reconnects"] == 1 and moved["localPort"] == first["localPort"]
        # Through `waiting` / `reconnecting`, or straight to the new pod when it was ready before the old one went.
        assert set(states) <= {"waiting", "reconnecting", "active"}

        await dev.ok("DELETE", f"/port-forwards/{created['id']}")
        async def until_deleted() -> list[dict[str, Any]]:
            events: list[dict[str, Any]] = []
            while not any(event["type"] == "DELETED" for event in events):
                events += (await next_frame(watching, "event"))["events"]
            return events
        last = await asyncio.wait_for(until_deleted(), RECEIVE_TIMEOUT_S)
        assert {event["name"] for event in last} == {created["id"]} and last[-1]["type"] == "DELETED"
        await bystander.send_json({"op": "ping"})
        assert (await next_frame(bystander, "pong")) == {"type": "pong"}  # nothing about dev5's forward came
        reconnects = await audit_rows(admin, "portforward.reconnect", namespace)
        assert [row["detail"]["pod"] for row in reconnects] == [moved["pod"]]
    finally:
        await watching.close()
        await bystander.close()


async def open_watch(session: ApiSession) -> aiohttp.ClientWebSocketResponse:
    ticket = (await session.ok("POST", "/ws/ticket"))["ticket"]
    return await session.client.ws_connect(f"/api/v1/ws/watch?ticket={ticket}")


async def next_frame(ws: aiohttp.ClientWebSocketResponse, wanted: str) -> dict[str, Any]:
    """The next frame of type `wanted`; any other frame but `pong`/`subscribed` fails the test."""
    async def read() -> dict[str, Any]:
        while True:
            frame = await ws.receive_json()
            if frame["type"] == wanted:
                return frame
            assert frame["type"] in ("pong", "subscribed"), frame
    return await asyncio.wait_for(read(), RECEIVE_TIMEOUT_S)
