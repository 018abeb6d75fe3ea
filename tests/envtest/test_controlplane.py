"""Checks that the envtest facility itself works: real processes, real API calls, no mocks.

If these fail, every test built on the envtest fixtures will fail too, so they double as a
diagnosis of the environment (binaries, ports, controllers, kubelet stand-in).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp
import pytest
import pytest_asyncio
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException

from .controlplane import ControlPlane
from .kubelet import (
    CH_RESIZE,
    CH_STATUS,
    CH_STDIN,
    CH_STDOUT,
    EXEC_PROTOCOL,
    MISSING_COMMANDS_ANNOTATION,
    PHASE_ANNOTATION,
    KubeletStandIn,
)
from .namespaces import create_namespace, delete_namespace

POD_RUNNING_TIMEOUT_S = 30.0
DEPLOYMENT_READY_TIMEOUT_S = 45.0
WS_RECEIVE_TIMEOUT_S = 10.0
POLL_INTERVAL_S = 0.2
IMAGE = "nginx:1.25"

T = TypeVar("T")


async def wait_for(check: Callable[[], Awaitable[T | None]], timeout_s: float, what: str) -> T:
    """Poll ``check`` until it returns something truthy, else fail with ``what``."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(POLL_INTERVAL_S)
    pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what} (last: {last!r})")


@pytest_asyncio.fixture
async def core(admin_kubeconfig: str) -> AsyncIterator[client.CoreV1Api]:
    """CoreV1Api over the admin kubeconfig (kubernetes_asyncio, as the application uses it)."""
    api_client = await config.new_client_from_config(config_file=admin_kubeconfig)
    async with api_client:
        yield client.CoreV1Api(api_client)


def pod_manifest(name: str, *, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    """A minimal single-container pod (scheduled by the real scheduler)."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "annotations": annotations or {}},
        "spec": {"containers": [{"name": "main", "image": IMAGE}]},
    }


async def create_running_pod(
    core: client.CoreV1Api, namespace: str, name: str, *, annotations: dict[str, str] | None = None
) -> Any:
    """Create a pod and wait until the scheduler bound it and the stand-in made it Running."""
    await core.create_namespaced_pod(namespace, pod_manifest(name, annotations=annotations))

    async def running() -> Any:
        pod = await core.read_namespaced_pod(name, namespace)
        return pod if pod.status.phase == "Running" else None

    return await wait_for(running, POD_RUNNING_TIMEOUT_S, f"pod {namespace}/{name} Running")


def exec_url(cp: ControlPlane, namespace: str, pod: str, command: list[str]) -> str:
    """wss:// URL of ``pods/exec`` on the API server (interactive, tty)."""
    query = urlencode(
        [("container", "main"), ("stdin", "true"), ("stdout", "true"), ("tty", "true")]
        + [("command", c) for c in command]
    )
    return (
        f"{cp.server_url.replace('https://', 'wss://')}/api/v1/namespaces/{namespace}/pods/{pod}/exec?{query}"
    )


async def receive_frame(ws: aiohttp.ClientWebSocketResponse) -> tuple[int, bytes] | None:
    """Next binary frame as ``(channel, payload)``; ``None`` when the socket closed."""
    msg = await ws.receive(timeout=WS_RECEIVE_TIMEOUT_S)
    if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
        return None
    assert msg.type == aiohttp.WSMsgType.BINARY, msg
    return msg.data[0], msg.data[1:]


async def read_until(ws: aiohttp.ClientWebSocketResponse, channel: int, needle: bytes) -> bytes:
    """Collect ``channel`` output until it contains ``needle``."""
    seen = b""
    while needle not in seen:
        frame = await receive_frame(ws)
        assert frame is not None, f"socket closed before {needle!r}; got {seen!r}"
        if frame[0] == channel:
            seen += frame[1]
    return seen


async def read_status(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    """Skip output frames until the channel-3 status arrives."""
    while True:
        frame = await receive_frame(ws)
        assert frame is not None, "socket closed without a status frame"
        if frame[0] == CH_STATUS:
            return json.loads(frame[1])


# -- tests -------------------------------------------------------------------------------


def test_version(control_plane: ControlPlane) -> None:
    status, body = control_plane.request("GET", "/version")
    assert status == 200
    assert body["gitVersion"].startswith("v1.20"), body


def test_kubeconfigs_point_at_server(control_plane: ControlPlane) -> None:
    text = Path(control_plane.admin_kubeconfig).read_text()
    assert control_plane.server_url in text
    assert "insecure-skip-tls-verify: true" in text


@pytest.mark.asyncio
async def test_deployment_gets_replicaset_and_running_pods(
    admin_kubeconfig: str, kubelet: KubeletStandIn, namespace: str
) -> None:
    labels = {"app": "web"}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "main", "image": IMAGE}]},
            },
        },
    }
    api_client = await config.new_client_from_config(config_file=admin_kubeconfig)
    async with api_client:
        apps, core = client.AppsV1Api(api_client), client.CoreV1Api(api_client)
        await apps.create_namespaced_deployment(namespace, deployment)

        async def replicaset() -> Any:
            items = (await apps.list_namespaced_replica_set(namespace)).items
            return items[0] if items else None

        rs = await wait_for(replicaset, DEPLOYMENT_READY_TIMEOUT_S, "the ReplicaSet")
        assert rs.metadata.owner_references[0].kind == "Deployment"

        async def running_pods() -> list[Any] | None:
            pods = (await core.list_namespaced_pod(namespace, label_selector="app=web")).items
            ok = [p for p in pods if p.status.phase == "Running"]
            return ok if len(ok) == 2 else None

        pods = await wait_for(running_pods, DEPLOYMENT_READY_TIMEOUT_S, "2 Running pods")
        for pod in pods:
            assert pod.spec.node_name == kubelet.node_name
            assert pod.metadata.owner_references[0].name == rs.metadata.name
            assert pod.status.container_statuses[0].ready is True
            assert pod.status.host_ip == "127.0.0.1"

        async def deployment_ready() -> Any:
            dep = await apps.read_namespaced_deployment(name="web", namespace=namespace)
            return dep if dep.status.ready_replicas == 2 else None

        await wait_for(deployment_ready, DEPLOYMENT_READY_TIMEOUT_S, "deployment readyReplicas=2")

        node = await core.read_node(kubelet.node_name)
        assert node.status.daemon_endpoints.kubelet_endpoint.port == kubelet.port
        assert [(a.type, a.address) for a in node.status.addresses] == [("InternalIP", "127.0.0.1")]
        assert node.status.allocatable["pods"] == "1100"


@pytest.mark.asyncio
async def test_pod_logs_through_apiserver(
    core: client.CoreV1Api, kubelet: KubeletStandIn, namespace: str
) -> None:
    await create_running_pod(core, namespace, "logger")

    text = await core.read_namespaced_pod_log("logger", namespace, container="main", tail_lines=3)
    last = kubelet.log_lines
    assert text.splitlines() == [f"line {i} from logger/main" for i in range(last - 2, last + 1)]

    full = await core.read_namespaced_pod_log("logger", namespace)
    assert len(full.splitlines()) == kubelet.log_lines

    stamped = await core.read_namespaced_pod_log("logger", namespace, tail_lines=1, timestamps=True)
    assert re.fullmatch(
        rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{9}}Z line {last} from logger/main\n", stamped
    )

    previous = await core.read_namespaced_pod_log("logger", namespace, previous=True, tail_lines=1)
    assert previous == f"previous line {last} from logger/main\n"

    recent = await core.read_namespaced_pod_log("logger", namespace, since_seconds=90)
    assert len(recent.splitlines()) == 2  # historic lines are 60 s apart, the last one "now"


@pytest.mark.asyncio
async def test_follow_logs_streams_until_closed(
    control_plane: ControlPlane, core: client.CoreV1Api, kubelet: KubeletStandIn, namespace: str
) -> None:
    await create_running_pod(core, namespace, "follower")
    url = f"{control_plane.server_url}/api/v1/namespaces/{namespace}/pods/follower/log"
    params = {"follow": "true", "tailLines": "1"}
    headers = {"Authorization": f"Bearer {control_plane.admin_token}"}
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as session,
        session.get(url, params=params, headers=headers) as resp,
    ):
        assert resp.status == 200
        lines = []
        while len(lines) < 3:
            line = await asyncio.wait_for(resp.content.readline(), WS_RECEIVE_TIMEOUT_S)
            lines.append(line.decode().rstrip("\n"))
    n = kubelet.log_lines
    assert lines == [f"line {i} from follower/main" for i in (n, n + 1, n + 2)]


@pytest.mark.asyncio
async def test_exec_websocket_echoes_stdin(
    control_plane: ControlPlane, core: client.CoreV1Api, kubelet: KubeletStandIn, namespace: str
) -> None:
    await create_running_pod(core, namespace, "shell")
    headers = {"Authorization": f"Bearer {control_plane.admin_token}"}
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as session,
        session.ws_connect(
            exec_url(control_plane, namespace, "shell", ["/bin/sh"]),
            protocols=(EXEC_PROTOCOL,),
            headers=headers,
        ) as ws,
    ):
        assert ws.protocol == EXEC_PROTOCOL
        await ws.send_bytes(bytes([CH_STDIN]) + b"hello kubevision\n")
        assert b"hello kubevision\n" in await read_until(ws, CH_STDOUT, b"hello kubevision\n")

        await ws.send_bytes(bytes([CH_RESIZE]) + json.dumps({"Width": 120, "Height": 40}).encode())
        await read_until(ws, CH_STDOUT, b"resize 120x40")

        await ws.send_bytes(bytes([CH_STDIN]) + b"exit\n")
        assert await read_status(ws) == {"metadata": {}, "status": "Success"}
        assert await receive_frame(ws) is None

    session_seen = next(s for s in kubelet.exec_sessions if s.namespace == namespace and s.pod == "shell")
    assert session_seen.command == ["/bin/sh"]
    assert session_seen.tty
    assert session_seen.resizes == [(120, 40)]


@pytest.mark.asyncio
async def test_exec_missing_binary_reports_failure(
    control_plane: ControlPlane, core: client.CoreV1Api, kubelet: KubeletStandIn, namespace: str
) -> None:
    await create_running_pod(core, namespace, "nobash", annotations={MISSING_COMMANDS_ANNOTATION: "bash"})
    headers = {"Authorization": f"Bearer {control_plane.admin_token}"}
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as session,
        session.ws_connect(
            exec_url(control_plane, namespace, "nobash", ["bash"]),
            protocols=(EXEC_PROTOCOL,),
            headers=headers,
        ) as ws,
    ):
        status = await read_status(ws)
    assert status["status"] == "Failure"
    assert status["reason"] == "NonZeroExitCode"
    assert status["details"]["causes"][0]["message"] == "126"


@pytest.mark.asyncio
async def test_nobody_is_forbidden(nobody_kubeconfig: str, namespace: str) -> None:
    api_client = await config.new_client_from_config(config_file=nobody_kubeconfig)
    async with api_client:
        with pytest.raises(ApiException) as info:
            await client.CoreV1Api(api_client).list_namespaced_pod(namespace)
    assert info.value.status == 403


@pytest.mark.asyncio
async def test_phase_annotation_controls_pod_state(
    core: client.CoreV1Api, kubelet: KubeletStandIn, namespace: str
) -> None:
    await core.create_namespaced_pod(
        namespace, pod_manifest("broken", annotations={PHASE_ANNOTATION: "Failed"})
    )
    await core.create_namespaced_pod(
        namespace, pod_manifest("waiting", annotations={PHASE_ANNOTATION: "Pending"})
    )

    async def failed() -> Any:
        pod = await core.read_namespaced_pod("broken", namespace)
        return pod if pod.status.phase == "Failed" else None

    pod = await wait_for(failed, POD_RUNNING_TIMEOUT_S, "pod broken Failed")
    assert pod.status.container_statuses[0].state.terminated.exit_code == 1
    waiting = await core.read_namespaced_pod("waiting", namespace)
    assert waiting.status.phase == "Pending"
    assert waiting.spec.node_name == kubelet.node_name


@pytest.mark.asyncio
async def test_namespace_with_running_pods_is_deleted(
    control_plane: ControlPlane, core: client.CoreV1Api, kubelet: KubeletStandIn
) -> None:
    name = await create_namespace(control_plane.server_url, control_plane.admin_token)
    assert name.startswith("kv-test-")
    await create_running_pod(core, name, "doomed")
    # Pods bound to a node are only removed once "the kubelet" confirms; the stand-in does.
    await delete_namespace(control_plane.server_url, control_plane.admin_token, name, wait=True)


@pytest.mark.asyncio
async def test_restart_apiserver_keeps_state_and_kubelet_recovers(
    control_plane: ControlPlane, core: client.CoreV1Api, kubelet: KubeletStandIn, namespace: str
) -> None:
    started = time.monotonic()
    await asyncio.to_thread(control_plane.restart_apiserver)
    assert time.monotonic() - started < 60
    status, body = control_plane.request("GET", f"/api/v1/namespaces/{namespace}")
    assert status == 200, body
    # The stand-in's watch must reconnect by itself and keep running new pods.
    await create_running_pod(core, namespace, "after-restart")
