"""`/api/v1/ws/watch` against the real API server: events for writes, refusals, grants, resync, revocation."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from kubevision.api import watch as watch_module
from kubevision.api import websocket as websocket_module
from tests.envtest.namespaces import create_namespace, delete_namespace_sync
from tests.helpers import ApiSession
from tests.kube.conftest import configmap, make_user

RECEIVE_TIMEOUT_S = 15


async def open_watch(session: ApiSession, **headers: str) -> aiohttp.ClientWebSocketResponse:
    ticket = (await session.ok("POST", "/ws/ticket"))["ticket"]
    return await session.client.ws_connect(f"/api/v1/ws/watch?ticket={ticket}", headers=headers)


async def next_message(ws: aiohttp.ClientWebSocketResponse, wanted: str) -> dict[str, Any]:
    """The next message of type `wanted` (others are skipped)."""
    async def read() -> dict[str, Any]:
        while True:
            message = await ws.receive_json()
            if message["type"] == wanted:
                return message
    return await asyncio.wait_for(read(), RECEIVE_TIMEOUT_S)


async def subscribe(ws: aiohttp.ClientWebSocketResponse, sub: str, **fields: Any) -> dict[str, Any]:
    await ws.send_json({"op": "subscribe", "id": sub, **fields})
    return await next_message(ws, "subscribed")


async def events_until(ws: aiohttp.ClientWebSocketResponse, predicate) -> list[dict[str, Any]]:
    """Collect event payloads until one satisfies `predicate`."""
    collected: list[dict[str, Any]] = []
    while True:
        message = await next_message(ws, "event")
        collected.extend(message["events"])
        if any(predicate(e) for e in message["events"]):
            return collected


async def test_writes_reach_subscribers(admin: ApiSession, cid: int, namespace: str) -> None:
    ws = await open_watch(admin)
    try:
        ack = await subscribe(ws, "s1", cluster=cid, resource="configmaps", namespace=namespace, view="table")
        assert ack["synced"] is True
        base = f"/clusters/{cid}/resources/configmaps"
        await admin.ok("POST", f"{base}?namespace={namespace}", json=configmap("w1", namespace, a="1"))
        added = await events_until(ws, lambda e: e["type"] == "ADDED" and e["name"] == "w1")
        row = next(e for e in added if e["name"] == "w1")["row"]
        assert row["namespace"] == namespace and row["cells"][0] == "w1"
        await admin.ok("PATCH", f"{base}/w1?namespace={namespace}",
                       json={"type": "merge", "patch": {"data": {"a": "2"}}})
        await events_until(ws, lambda e: e["type"] == "MODIFIED" and e["name"] == "w1")
        await admin.ok("DELETE", f"{base}/w1?namespace={namespace}")
        await events_until(ws, lambda e: e["type"] == "DELETED" and e["name"] == "w1")

        await subscribe(ws, "s2", cluster=cid, resource="pods", namespace=namespace)
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "wp"},
               "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
        await admin.ok("POST", f"/clusters/{cid}/resources/pods?namespace={namespace}", json=pod)
        objects = await events_until(ws, lambda e: e["name"] == "wp")
        assert objects[-1]["object"]["kind"] == "Pod" and "managedFields" not in objects[-1]["object"]["metadata"]
        await ws.send_json({"op": "unsubscribe", "id": "s2"})
        await ws.send_json({"op": "bogus", "id": "x"})
        error = await next_message(ws, "error")
        assert error["code"] == 40002
    finally:
        await ws.close()



async def test_a_named_subscription_sees_only_that_object(admin: ApiSession, cid: int, namespace: str) -> None:
    ws = await open_watch(admin)
    try:
        await subscribe(ws, "one", cluster=cid, resource="configmaps", namespace=namespace, name="wanted")
        base = f"/clusters/{cid}/resources/configmaps?namespace={namespace}"
        await admin.ok("POST", base, json=configmap("other", namespace, a="1"))
        await admin.ok("POST", base, json=configmap("wanted", namespace, a="1"))
        seen = await events_until(ws, lambda e: e["name"] == "wanted")
        assert {e["name"] for e in seen} == {"wanted"}
        assert seen[-1]["object"]["data"] == {"a": "1"}, "a named subscription carries the whole object"
        await admin.ok("DELETE", f"/clusters/{cid}/resources/configmaps/wanted?namespace={namespace}")
        gone = await events_until(ws, lambda e: e["type"] == "DELETED")
        assert {e["name"] for e in gone} == {"wanted"}
        await ws.send_json({"op": "subscribe", "id": "bad", "cluster": cid, "resource": "configmaps", "name": 7})
        error = await next_message(ws, "error")
        assert (error["sub"], error["code"]) == ("bad", 40002)
    finally:
        await ws.close()


async def test_label_selector_subscription_sees_objects_enter_and_leave(admin: ApiSession, cid: int,
                                                                        namespace: str) -> None:
    base = f"/clusters/{cid}/resources/configmaps"

    async def create(name: str, tier: str) -> None:
        manifest = configmap(name, namespace, a="1")
        manifest["metadata"]["labels"] = {"tier": tier}
        await admin.ok("POST", f"{base}?namespace={namespace}", json=manifest)

    async def relabel(name: str, tier: str) -> None:
        await admin.ok("PATCH", f"{base}/{name}?namespace={namespace}",
                       json={"type": "merge", "patch": {"metadata": {"labels": {"tier": tier}}}})

    await create("before", "web")
    ws = await open_watch(admin)
    try:
        await subscribe(ws, "s1", cluster=cid, resource="configmaps", namespace=namespace, labelSelector="tier=web",
                        view="table")
        await create("db", "db")
        await create("web", "web")
        seen = await events_until(ws, lambda e: e["name"] == "web")
        await relabel("db", "web")  # enters the selection
        seen += await events_until(ws, lambda e: e["name"] == "db")
        assert [e["type"] for e in seen if e["name"] == "db"] == ["MODIFIED"]
        await relabel("web", "db")  # leaves it: the client is told to drop it
        seen += await events_until(ws, lambda e: e["name"] == "web" and e["type"] == "DELETED")
        await relabel("before", "cache")  # matched before the subscription: leaving is reported too
        seen += await events_until(ws, lambda e: e["name"] == "before" and e["type"] == "DELETED")
        await admin.ok("DELETE", f"{base}/db?namespace={namespace}")
        seen += await events_until(ws, lambda e: e["name"] == "db" and e["type"] == "DELETED")
        assert all(e["row"]["labels"].get("tier") == "web" for e in seen if e["type"] != "DELETED")
    finally:
        await ws.close()

async def test_upgrade_refusals(admin: ApiSession, client) -> None:
    for url, status in (("/api/v1/ws/watch", 401), ("/api/v1/ws/watch?ticket=forged", 401)):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect(url)
        assert refused.value.status == status
    ticket = (await admin.ok("POST", "/ws/ticket"))["ticket"]
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect(f"/api/v1/ws/watch?ticket={ticket}", headers={"Origin": "https://evil.example"})
    assert refused.value.status == 403
    ws = await client.ws_connect(f"/api/v1/ws/watch?ticket={ticket}")
    await ws.close()
    with pytest.raises(aiohttp.WSServerHandshakeError) as reused:
        await client.ws_connect(f"/api/v1/ws/watch?ticket={ticket}")
    assert reused.value.status == 401


async def test_subscriptions_respect_grants(admin: ApiSession, cid: int, namespace: str) -> None:
    limited = await make_user(admin, "watcher", "readonly", namespaces=[namespace])
    ws = await open_watch(limited)
    try:
        await ws.send_json({"op": "subscribe", "id": "other", "cluster": cid, "resource": "configmaps",
                            "namespace": "kube-system"})
        error = await next_message(ws, "error")
        assert error["sub"] == "other" and error["code"] == 40302
        await subscribe(ws, "all", cluster=cid, resource="configmaps")
        await admin.ok("POST", f"/clusters/{cid}/resources/configmaps?namespace=default",
                       json=configmap(f"hidden-{namespace}", "default"))
        await admin.ok("POST", f"/clusters/{cid}/resources/configmaps?namespace={namespace}",
                       json=configmap("visible", namespace))
        seen = await events_until(ws, lambda e: e["name"] == "visible")
        assert {e["namespace"] for e in seen} == {namespace}
    finally:
        await ws.close()
        await admin.call("DELETE", f"/clusters/{cid}/resources/configmaps/hidden-{namespace}?namespace=default")


async def test_slow_consumer_gets_resync(admin: ApiSession, cid: int, namespace: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watch_module, "MAX_PENDING_EVENTS", 3)
    monkeypatch.setattr(watch_module, "BATCH_WINDOW_S", 1.0)
    ws = await open_watch(admin)
    try:
        await subscribe(ws, "s", cluster=cid, resource="configmaps", namespace=namespace)
        await asyncio.gather(*(admin.ok("POST", f"/clusters/{cid}/resources/configmaps?namespace={namespace}",
                                        json=configmap(f"burst-{i}", namespace)) for i in range(10)))
        assert (await next_message(ws, "resync"))["sub"] == "s"
    finally:
        await ws.close()


async def test_revoked_session_closes_socket(admin: ApiSession, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(websocket_module, "REVALIDATE_INTERVAL_S", 0.2)
    ws = await open_watch(admin)
    await admin.ok("POST", "/auth/logout-all")
    message = await asyncio.wait_for(ws.receive(), RECEIVE_TIMEOUT_S)
    assert message.type == aiohttp.WSMsgType.CLOSE and ws.close_code == websocket_module.CloseCode.REVOKED == 4001


async def test_namespace_watch_shows_only_granted_namespaces(admin: ApiSession, cid: int, namespace: str,
                                                             control_plane) -> None:
    limited = await make_user(admin, "ns-watcher", "readonly", namespaces=[namespace])
    ws = await open_watch(limited)
    other = None
    try:
        await subscribe(ws, "ns", cluster=cid, resource="namespaces")
        other = await create_namespace(control_plane.server_url, control_plane.admin_token)
        await admin.ok("PATCH", f"/clusters/{cid}/resources/namespaces/{other}",
                       json={"type": "merge", "patch": {"metadata": {"labels": {"seen": "no"}}}})
        await admin.ok("PATCH", f"/clusters/{cid}/resources/namespaces/{namespace}",
                       json={"type": "merge", "patch": {"metadata": {"labels": {"seen": "yes"}}}})
        seen = await events_until(ws, lambda e: e["name"] == namespace and e["type"] == "MODIFIED")
        assert {e["name"] for e in seen} == {namespace}
    finally:
        await ws.close()
        if other:
            delete_namespace_sync(control_plane.server_url, control_plane.admin_token, other)
