"""Helpers for log and exec socket tests: running pods on the kubelet stand-in, tickets, frames."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

import aiohttp

from tests.helpers import ApiSession, wait_until

RECEIVE_TIMEOUT_S = 15.0
POD_RUNNING_TIMEOUT_S = 30.0
NODE = "node1"


def pod_manifest(name: str, *, containers: tuple[str, ...] = ("main",), labels: dict[str, str] | None = None,
                 annotations: dict[str, str] | None = None) -> dict[str, Any]:
    """A pod bound straight to the stand-in's node (no scheduler round trip)."""
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": labels or {}, "annotations": annotations or {}},
            "spec": {"nodeName": NODE, "containers": [{"name": c, "image": "busybox"} for c in containers]}}


async def wait_running(admin: ApiSession, cid: int, namespace: str, name: str) -> dict[str, Any]:
    """The pod once the stand-in reported it Running."""
    async def running() -> dict[str, Any] | None:
        body = await admin.call("GET", f"/clusters/{cid}/resources/pods/{name}?namespace={namespace}")
        pod = body["data"] if body["code"] == 0 else None
        return pod if pod and (pod.get("status") or {}).get("phase") == "Running" else None
    return await wait_until(running, timeout_s=POD_RUNNING_TIMEOUT_S, what=f"pod {name} Running")


async def running_pod(admin: ApiSession, cid: int, namespace: str, name: str, **manifest: Any) -> dict[str, Any]:
    """Create a pod and wait until it runs."""
    await admin.ok("POST", f"/clusters/{cid}/resources/pods?namespace={namespace}",
                   json=pod_manifest(name, **manifest))
    return await wait_running(admin, cid, namespace, name)


async def ticket(session: ApiSession) -> str:
    """A fresh WebSocket ticket."""
    return (await session.ok("POST", "/ws/ticket"))["ticket"]


async def connect(session: ApiSession, path: str, params: list[tuple[str, Any]] | dict[str, Any] | None = None,
                  **headers: str) -> aiohttp.ClientWebSocketResponse:
    """Open `/api/v1{path}` as a WebSocket with a fresh ticket."""
    items = list(params.items()) if isinstance(params, dict) else list(params or [])
    query = urlencode([("ticket", await ticket(session)), *((k, str(v)) for k, v in items)])
    return await session.client.ws_connect(f"/api/v1{path}?{query}", headers=headers)


async def next_frame(ws: aiohttp.ClientWebSocketResponse, wanted: str | None = None) -> dict[str, Any]:
    """The next JSON frame (of type `wanted`, skipping others)."""
    async def read() -> dict[str, Any]:
        while True:
            message = await ws.receive()
            assert message.type == aiohttp.WSMsgType.TEXT, f"socket ended: {message}"
            frame = message.json()
            if wanted is None or frame["type"] == wanted:
                return frame
    return await asyncio.wait_for(read(), RECEIVE_TIMEOUT_S)


async def frames_until(ws: aiohttp.ClientWebSocketResponse, predicate) -> list[dict[str, Any]]:
    """Every frame up to and including the first that satisfies `predicate`."""
    seen: list[dict[str, Any]] = []
    while True:
        frame = await next_frame(ws)
        seen.append(frame)
        if predicate(frame):
            return seen


async def assert_closed(ws: aiohttp.ClientWebSocketResponse) -> None:
    """The server closes the socket next."""
    message = await asyncio.wait_for(ws.receive(), RECEIVE_TIMEOUT_S)
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING), message
