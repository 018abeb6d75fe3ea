"""Port-forward through the real API server to the kubelet stand-in, which connects each forwarded pod port to
a TCP echo server of the test (pod annotation `kubevision.test/port-forward`): bytes travel client → local
listener → API server → stand-in → echo server and back."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from kubevision.kube.clusters import CLUSTERS, Cluster
from kubevision.kube.errors import ForbiddenError, NotFoundError
from kubevision.kube.portforward import (
    ForwardTarget,
    ForwardTargetError,
    NoReadyPodError,
    PodPortStream,
    PortForwarder,
    PortForwardError,
    ready_pods,
    resolve_target,
)
from kubevision.services.portforward import ForwardDefinition, ForwardState, ManagedForward
from tests.envtest.kubelet import KubeletStandIn
from tests.helpers import ApiSession, wait_until
from tests.kube.forwarding import (
    CLOSE_WAIT_S,
    POD_PORT,
    EchoServer,
    api_deployment,
    assert_eof,
    create,
    forwarded_pod,
    round_trip,
    running_forwarded_pod,
)
from tests.kube.streaming import RECEIVE_TIMEOUT_S

NOTHING_LISTENS_PORT = 9999
LARGE_PAYLOAD_BYTES = 4 * 1024 * 1024


@pytest.fixture
def cluster(client: TestClient, cid: int) -> Cluster:
    return client.app[CLUSTERS].get(cid)


@contextlib.asynccontextmanager
async def forwarding(cluster: Cluster, namespace: str, pod: str, port: int) -> AsyncIterator[PortForwarder]:
    """A started forwarder to one pod port, closed afterwards."""
    forwarder = PortForwarder(lambda: PodPortStream.open(cluster, namespace, pod, port))
    await forwarder.start()
    try:
        yield forwarder
    finally:
        await forwarder.aclose()


@contextlib.asynccontextmanager
async def managed(definition: ForwardDefinition, cluster: Cluster) -> AsyncIterator[ManagedForward]:
    """A started managed forward, stopped afterwards."""
    forward = ManagedForward(definition, cluster)
    await forward.start()
    try:
        yield forward
    finally:
        await forward.aclose()


async def dial(forwarder: PortForwarder) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(*forwarder.address)


async def assert_nothing_open(kubelet: KubeletStandIn, namespace: str, echo: EchoServer,
                              forwarder: PortForwarder | None = None) -> None:
    """Every stand-in stream of the namespace closed, the echo server holds no connection, the listener none."""
    async def all_closed() -> bool:
        sessions = [s for s in kubelet.port_forward_sessions if s.namespace == namespace]
        listener_idle = forwarder is None or forwarder.stats.connections_active == 0
        return bool(sessions) and all(s.closed for s in sessions) and echo.open == 0 and listener_idle
    await wait_until(all_closed, timeout_s=CLOSE_WAIT_S, what="every port-forward connection to close")


async def test_binary_bytes_round_trip_exactly(admin: ApiSession, cid: int, cluster: Cluster, namespace: str,
                                               kubelet: KubeletStandIn, echo: EchoServer) -> None:
    await running_forwarded_pod(admin, cid, namespace, "echo", echo)
    async with forwarding(cluster, namespace, "echo", POD_PORT) as forwarder:
        host, port = forwarder.address
        assert host == "127.0.0.1" and port > 0
        reader, writer = await dial(forwarder)
        assert await round_trip(reader, writer, b"hello\x00\xff") == b"hello\x00\xff"
        payload = os.urandom(LARGE_PAYLOAD_BYTES)
        assert await round_trip(reader, writer, payload) == payload
        assert forwarder.stats.bytes_to_pod == forwarder.stats.bytes_from_pod == len(payload) + 7
        writer.close()
        await assert_nothing_open(kubelet, namespace, echo, forwarder)
        session = next(s for s in kubelet.port_forward_sessions if s.namespace == namespace)
        assert session.pod == "echo" and session.ports == [POD_PORT] and not session.errors
        assert forwarder.stats.connections_total == 1 and forwarder.stats.last_error is None


async def test_concurrent_connections_share_one_local_port(admin: ApiSession, cid: int, cluster: Cluster,
                                                           namespace: str, kubelet: KubeletStandIn,
                                                           echo: EchoServer) -> None:
    await running_forwarded_pod(admin, cid, namespace, "echo", echo)
    async with forwarding(cluster, namespace, "echo", POD_PORT) as forwarder:
        first, second = await dial(forwarder), await dial(forwarder)
        payloads = [os.urandom(256 * 1024) for _ in range(2)]
        echoed = await asyncio.gather(round_trip(*first, payloads[0]), round_trip(*second, payloads[1]))
        assert echoed == payloads
        assert echo.open == 2 and forwarder.stats.connections_active == 2
        open_streams = [s for s in kubelet.port_forward_sessions if s.namespace == namespace and not s.closed]
        assert len(open_streams) == 2  # one API-server stream per local connection
        assert await round_trip(*first, b"still mine") == b"still mine"
        for _, writer in (first, second):
            writer.close()
        await assert_nothing_open(kubelet, namespace, echo, forwarder)
        assert forwarder.stats.connections_total == 2

        forwarder.max_connections = 1
        reader, writer = await dial(forwarder)
        assert await round_trip(reader, writer, b"the one") == b"the one"
        extra_reader, extra_writer = await dial(forwarder)
        await assert_eof(extra_reader)  # over the limit: closed at once
        extra_writer.close()
        assert forwarder.stats.last_error == "refused a connection: 1 connections are open"
        assert await round_trip(reader, writer, b"unaffected") == b"unaffected"
        writer.close()
        await assert_nothing_open(kubelet, namespace, echo, forwarder)


async def test_service_with_named_target_port_and_deployment_pick_a_ready_pod(
        admin: ApiSession, cid: int, cluster: Cluster, namespace: str, kubelet: KubeletStandIn,
        echo: EchoServer) -> None:
    await running_forwarded_pod(admin, cid, namespace, "web-ready", echo, labels={"app": "web"})
    await create(admin, cid, namespace, "pods",
                 forwarded_pod("web-pending", echo, labels={"app": "web"},
                               annotations={"kubevision.test/phase": "Pending"}))
    await create(admin, cid, namespace, "services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"name": "front", "port": 80, "targetPort": "http"}]}})
    await create(admin, cid, namespace, "deployments", api_deployment(echo))
    base = f"/api/v1/namespaces/{namespace}"
    service = await cluster.request("GET", f"{base}/services/web")
    deployment = await cluster.request("GET", f"/apis/apps/v1/namespaces/{namespace}/deployments/api")

    async def pods_with_ready_api_pod() -> list[dict[str, Any]] | None:
        pods = (await cluster.request("GET", f"{base}/pods"))["items"]
        return pods if ready_pods(pods, "app=api") else None
    pods = await wait_until(pods_with_ready_api_pod, timeout_s=30, what="the deployment's pod to be ready")

    for port in (80, "front"):
        chosen = resolve_target(ForwardTarget("services", namespace, "web", port), service, pods)
        assert (chosen.pod, chosen.port) == ("web-ready", POD_PORT)  # the Pending pod is skipped
    chosen = resolve_target(ForwardTarget("deployments", namespace, "api", "http"), deployment, pods)
    assert chosen.pod.startswith("api-") and chosen.port == POD_PORT and chosen.uid

    async with forwarding(cluster, namespace, chosen.pod, chosen.port) as forwarder:
        reader, writer = await dial(forwarder)
        assert await round_trip(reader, writer, b"through the deployment") == b"through the deployment"
        writer.close()
        await assert_nothing_open(kubelet, namespace, echo, forwarder)
    assert any(s.pod == chosen.pod for s in kubelet.port_forward_sessions if s.namespace == namespace)

    pending_only = [p for p in pods if p["metadata"]["name"] != "web-ready"]
    with pytest.raises(NoReadyPodError, match="services 'web' has no ready pod"):
        resolve_target(ForwardTarget("services", namespace, "web", 80), service, pending_only)


async def test_missing_ports_and_pods_give_clear_errors(admin: ApiSession, cid: int, nobody_cid: int,
                                                        client: TestClient, cluster: Cluster, namespace: str,
                                                        kubelet: KubeletStandIn, echo: EchoServer) -> None:
    pod = await running_forwarded_pod(admin, cid, namespace, "echo", echo)
    with pytest.raises(ForwardTargetError, match="pod 'echo' has no container port named 'metrics'"):
        resolve_target(ForwardTarget("pods", namespace, "echo", "metrics"), pod)
    service = {"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"name": "front",
                                                                                            "port": 80}]}}
    with pytest.raises(ForwardTargetError, match=r"service 'web' has no port 81 \(ports: front 80\)"):
        resolve_target(ForwardTarget("services", namespace, "web", 81), service, [pod])
    with pytest.raises(ForwardTargetError, match="neither a number nor a valid port name"):
        ForwardTarget("pods", namespace, "echo", "Not_A_Port")

    # Nothing listens on the pod port: the kubelet's reason arrives on the error channel.
    stream = await PodPortStream.open(cluster, namespace, "echo", NOTHING_LISTENS_PORT)
    with pytest.raises(PortForwardError, match=f"localhost:{NOTHING_LISTENS_PORT}.*connection refused"):
        await asyncio.wait_for(stream.receive(), RECEIVE_TIMEOUT_S)
    await stream.aclose()
    async with forwarding(cluster, namespace, "echo", NOTHING_LISTENS_PORT) as forwarder:
        reader, writer = await dial(forwarder)
        await assert_eof(reader)  # the local connection is closed, not left hanging
        writer.close()
        assert forwarder.stats.errors == 1 and "connection refused" in (forwarder.stats.last_error or "")

    with pytest.raises(NotFoundError, match='pods "gone" not found'):
        await PodPortStream.open(cluster, namespace, "gone", POD_PORT)
    nobody = client.app[CLUSTERS].get(nobody_cid)
    with pytest.raises(ForbiddenError, match='cannot get resource "pods/portforward"'):
        await PodPortStream.open(nobody, namespace, "echo", POD_PORT)
    assert all(s.closed for s in kubelet.port_forward_sessions if s.namespace == namespace)


async def test_local_close_pod_deletion_and_shutdown_close_cleanly(admin: ApiSession, cid: int, cluster: Cluster,
                                                                   namespace: str, kubelet: KubeletStandIn,
                                                                   echo: EchoServer) -> None:
    await running_forwarded_pod(admin, cid, namespace, "echo", echo)
    async with forwarding(cluster, namespace, "echo", POD_PORT) as forwarder:
        reader, writer = await dial(forwarder)
        assert await round_trip(reader, writer, b"bye") == b"bye"
        writer.close()  # the user's side closes first
        await assert_nothing_open(kubelet, namespace, echo, forwarder)

        reader, writer = await dial(forwarder)
        assert await round_trip(reader, writer, b"last words") == b"last words"
        await admin.ok("DELETE", f"/clusters/{cid}/resources/pods/echo?namespace={namespace}")
        await assert_eof(reader)  # the pod went away: its connections end
        writer.close()
        await assert_nothing_open(kubelet, namespace, echo, forwarder)
        assert forwarder.stats.last_error is None

        # Once the pod is gone (the kubelet stand-in confirms deletions asynchronously), a new connection to it
        # is refused by the API server with its reason.
        async def pod_gone() -> bool:
            answer = await admin.call("GET", f"/clusters/{cid}/resources/pods/echo?namespace={namespace}")
            return answer["code"] == 40400
        await wait_until(pod_gone, what="the pod to be gone")
        reader, writer = await dial(forwarder)
        await assert_eof(reader)
        writer.close()

        async def refused_connection_ended() -> bool:
            return forwarder.stats.connections_active == 0
        await wait_until(refused_connection_ended, what="the refused connection to end")
        assert 'pods "echo" not found' in (forwarder.stats.last_error or "")


async def test_aclose_ends_open_connections_and_frees_the_port(admin: ApiSession, cid: int, cluster: Cluster,
                                                               namespace: str, kubelet: KubeletStandIn,
                                                               echo: EchoServer) -> None:
    await running_forwarded_pod(admin, cid, namespace, "echo", echo)
    forwarder = PortForwarder(lambda: PodPortStream.open(cluster, namespace, "echo", POD_PORT))
    address = await forwarder.start()
    reader, writer = await dial(forwarder)
    assert await round_trip(reader, writer, b"open") == b"open"
    await forwarder.aclose()
    await assert_eof(reader)
    writer.close()
    await assert_nothing_open(kubelet, namespace, echo, forwarder)
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection(*address)
    again = PortForwarder(forwarder.open_stream, port=address[1])  # the port is free to listen on again
    assert await again.start() == address
    await again.aclose()


async def test_managed_forward_follows_the_deployment_to_its_replacement_pod(
        admin: ApiSession, cid: int, cluster: Cluster, namespace: str, kubelet: KubeletStandIn,
        echo: EchoServer) -> None:
    await create(admin, cid, namespace, "deployments", api_deployment(echo))
    async with contextlib.AsyncExitStack() as stack:
        forward = await stack.enter_async_context(
            managed(ForwardDefinition(cid, ForwardTarget("deployments", namespace, "api", "http")), cluster))
        states: list[ForwardState] = []
        forward.on_change = lambda changed: states.append(changed.state)

        async def active_on(previous: str | None) -> ManagedForward | None:
            ready = forward.state is ForwardState.ACTIVE and forward.current is not None
            return forward if ready and forward.current.pod != previous else None
        await wait_until(lambda: active_on(None), timeout_s=30, what="the forward to become active")
        first_pod, address = forward.current.pod, forward.address
        states.clear()
        assert forward.describe()["pod"] == first_pod and forward.current.port == POD_PORT

        reader, writer = await asyncio.open_connection(*address)
        assert await round_trip(reader, writer, b"before") == b"before"
        await admin.ok("DELETE", f"/clusters/{cid}/resources/pods/{first_pod}?namespace={namespace}")
        await assert_eof(reader)  # the open connection fails cleanly
        writer.close()

        await wait_until(lambda: active_on(first_pod), timeout_s=30, what="the forward to reach the new pod")
        assert forward.address == address and forward.reconnects == 1
        # Through `waiting`/`reconnecting`, or straight to a replacement that was ready already; never `failed`.
        assert ForwardState.FAILED not in states and forward.state is ForwardState.ACTIVE
        reader, writer = await asyncio.open_connection(*address)
        assert await round_trip(reader, writer, b"after") == b"after"
        writer.close()
        assert any(s.pod == forward.current.pod for s in kubelet.port_forward_sessions if s.namespace == namespace)

        broken = await stack.enter_async_context(
            managed(ForwardDefinition(cid, ForwardTarget("services", namespace, "missing", 80)), cluster))

        async def failed() -> bool:
            return broken.state is ForwardState.FAILED
        await wait_until(failed, what="the forward to a missing service to fail")
        assert broken.reason == 'services "missing" not found'
    assert forward.state is ForwardState.STOPPED and broken.state is ForwardState.STOPPED
    await assert_nothing_open(kubelet, namespace, echo)
