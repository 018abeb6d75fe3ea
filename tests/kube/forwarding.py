"""Helpers for port-forward tests: a TCP echo server standing in for a pod's process (the kubelet stand-in
connects a forwarded pod port to it through the pod annotation `kubevision.test/port-forward`), pods and a
deployment whose port `http` (8080) reaches it, and byte round trips."""

from __future__ import annotations

import asyncio
from typing import Any

from kubevision.kube.portforward import HALF_CLOSED_IDLE_S
from tests.envtest.kubelet import PORT_FORWARD_ANNOTATION
from tests.helpers import ApiSession
from tests.kube.streaming import NODE, RECEIVE_TIMEOUT_S, pod_manifest, wait_running

POD_PORT = 8080
# The stand-in's stream ends at most this long after the local client closed (the half-close linger + margin).
CLOSE_WAIT_S = HALF_CLOSED_IDLE_S + 10.0


class EchoServer:
    """A process in the pod: echoes every byte back; counts the connections it holds open."""

    def __init__(self) -> None:
        self.accepted = 0
        self.open = 0
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[Any]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(writer)
        self.accepted += 1
        self.open += 1
        try:
            while data := await reader.read(64 * 1024):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            self.open -= 1
            self._writers.discard(writer)
            self._handlers.discard(task)
            writer.close()

    async def aclose(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()


def forwarded_pod(name: str, echo: EchoServer, *, labels: dict[str, str] | None = None,
                  annotations: dict[str, str] | None = None) -> dict[str, Any]:
    """A pod whose port 8080 (named `http`) reaches the echo server."""
    manifest = pod_manifest(name, labels=labels,
                            annotations={PORT_FORWARD_ANNOTATION: f"{POD_PORT}={echo.port}", **(annotations or {})})
    manifest["spec"]["containers"][0]["ports"] = [{"name": "http", "containerPort": POD_PORT}]
    return manifest


async def create(admin: ApiSession, cid: int, namespace: str, plural: str, manifest: dict[str, Any]) -> None:
    await admin.ok("POST", f"/clusters/{cid}/resources/{plural}?namespace={namespace}", json=manifest)


async def running_forwarded_pod(admin: ApiSession, cid: int, namespace: str, name: str, echo: EchoServer,
                                **manifest: Any) -> dict[str, Any]:
    await create(admin, cid, namespace, "pods", forwarded_pod(name, echo, **manifest))
    return await wait_running(admin, cid, namespace, name)


def api_deployment(echo: EchoServer) -> dict[str, Any]:
    """Deployment `api`: one pod (labels app=api, tier=backend) whose port `http` (8080) reaches the echo server."""
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
        "spec": {"replicas": 1,
                 "selector": {"matchLabels": {"app": "api"},
                              "matchExpressions": [{"key": "tier", "operator": "In", "values": ["backend"]}]},
                 "template": {"metadata": {"labels": {"app": "api", "tier": "backend"},
                                           "annotations": {PORT_FORWARD_ANNOTATION: f"{POD_PORT}={echo.port}"}},
                              "spec": {"nodeName": NODE, "containers": [
                                  {"name": "main", "image": "busybox",
                                   "ports": [{"name": "http", "containerPort": POD_PORT}]}]}}}}


async def round_trip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, payload: bytes) -> bytes:
    """Send `payload` while reading its echo (so neither side's bounded buffers stall the other)."""
    async def send() -> None:
        writer.write(payload)
        await writer.drain()
    sending = asyncio.create_task(send())
    try:
        return await asyncio.wait_for(reader.readexactly(len(payload)), RECEIVE_TIMEOUT_S)
    finally:
        await sending


async def assert_eof(reader: asyncio.StreamReader) -> None:
    assert await asyncio.wait_for(reader.read(), CLOSE_WAIT_S) == b""
