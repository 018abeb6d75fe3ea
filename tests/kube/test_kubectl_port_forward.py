"""`kubectl port-forward` (the real binary) through the real API server to the kubelet stand-in, which serves it
SPDY/3.1 (`tests/envtest/spdy.py`): bytes reach the test's echo server and come back unchanged, several connections
at a time, and a pod port nothing listens on gives kubectl the kubelet's error. kubectl 1.30+ first offers SPDY
tunnelled over WebSocket, which the stand-in refuses like the 1.20 kubelet, so these also show its fallback."""

from __future__ import annotations

import asyncio
import os
import re

import aiohttp
import pytest

from tests.envtest.controlplane import ControlPlane
from tests.envtest.kubectl import kubectl_port_forward
from tests.envtest.kubelet import (
    PORT_FORWARD_PROTOCOL,
    SPDY_PORT_FORWARD_PROTOCOL,
    KubeletStandIn,
    PortForwardSession,
)
from tests.helpers import ApiSession, wait_until
from tests.kube.forwarding import POD_PORT, EchoServer, assert_eof, round_trip, running_forwarded_pod

CONNECTIONS = 4
PAYLOAD_BYTES = 1536 * 1024  # per connection: well over a MB, many SPDY frames each way
NOTHING_LISTENS_PORT = 9999
TUNNELLED_SPDY_PROTOCOL = "SPDY/3.1+portforward.k8s.io"  # what kubectl 1.30+ offers first


def sessions_of(kubelet: KubeletStandIn, namespace: str, pod: str) -> list[PortForwardSession]:
    return [s for s in kubelet.port_forward_sessions if (s.namespace, s.pod) == (namespace, pod)]


async def test_kubectl_port_forward_round_trips_binary_data_on_concurrent_connections(
        admin: ApiSession, cid: int, namespace: str, echo: EchoServer, kubelet: KubeletStandIn,
        admin_kubeconfig: str) -> None:
    await running_forwarded_pod(admin, cid, namespace, "web", echo)
    payloads = [os.urandom(PAYLOAD_BYTES) for _ in range(CONNECTIONS)]

    async def through(port: int, payload: bytes) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            return await round_trip(reader, writer, payload)
        finally:
            writer.close()

    async with kubectl_port_forward(admin_kubeconfig, namespace, "pod/web", POD_PORT) as forward:
        echoed = await asyncio.gather(*(through(forward.local_port, payload) for payload in payloads))
        assert [len(e) for e in echoed] == [PAYLOAD_BYTES] * CONNECTIONS
        assert echoed == payloads
        assert forward.returncode is None, forward.stderr_text
        sessions = sessions_of(kubelet, namespace, "web")
        assert len(sessions) == CONNECTIONS
        assert {s.protocol for s in sessions} == {SPDY_PORT_FORWARD_PROTOCOL}
        assert all(s.ports == [POD_PORT] and not s.errors for s in sessions)
        # Each closed local connection ends its stream pair and the connection into the pod.
        async def all_closed() -> bool:
            return all(s.closed for s in sessions) and echo.open == 0

        await wait_until(all_closed, timeout_s=15, what="the stand-in's stream pairs to close")
        assert echo.accepted == CONNECTIONS and "error" not in forward.stderr_text.lower()


async def test_kubectl_port_forward_to_a_port_nothing_listens_on_reports_the_kubelets_error(
        admin: ApiSession, cid: int, namespace: str, echo: EchoServer, kubelet: KubeletStandIn,
        admin_kubeconfig: str) -> None:
    pod = await running_forwarded_pod(admin, cid, namespace, "closed", echo)
    uid = pod["metadata"]["uid"]

    async with kubectl_port_forward(admin_kubeconfig, namespace, "pod/closed", NOTHING_LISTENS_PORT) as forward:
        reader, writer = await asyncio.open_connection("127.0.0.1", forward.local_port)
        writer.write(b"anyone there?")
        await assert_eof(reader)
        writer.close()
        expected = (f"an error occurred forwarding {forward.local_port} -> {NOTHING_LISTENS_PORT}: error forwarding "
                    f"port {NOTHING_LISTENS_PORT} to pod closed, uid {uid}: failed to connect to localhost:"
                    f"{NOTHING_LISTENS_PORT} inside the pod: dial tcp4 127.0.0.1:{NOTHING_LISTENS_PORT}: connect: "
                    "connection refused")
        await forward.wait_for_output(re.escape(expected))
    [session] = sessions_of(kubelet, namespace, "closed")
    assert session.protocol == SPDY_PORT_FORWARD_PROTOCOL and session.ports == [NOTHING_LISTENS_PORT]
    assert len(session.errors) == 1 and session.errors[0] in expected
    assert echo.accepted == 0


async def test_a_websocket_asking_only_for_tunnelled_spdy_is_refused_like_the_kubelet_does(
        admin: ApiSession, cid: int, namespace: str, echo: EchoServer, kubelet: KubeletStandIn,
        control_plane: ControlPlane) -> None:
    """The refusal kubectl 1.30+ takes as its cue to fall back to plain SPDY (a 1.20 API server proxies the
    upgrade to the kubelet untranslated); the channel protocol on the same URL still works."""
    await running_forwarded_pod(admin, cid, namespace, "tunnel", echo)
    url = f"{control_plane.server_url}/api/v1/namespaces/{namespace}/pods/tunnel/portforward?ports={POD_PORT}"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {control_plane.admin_token}"}) as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(url, protocols=(TUNNELLED_SPDY_PROTOCOL,), ssl=False)
        assert refused.value.status == 403
        async with session.ws_connect(url, protocols=(PORT_FORWARD_PROTOCOL,), ssl=False) as ws:
            assert ws.protocol == PORT_FORWARD_PROTOCOL
    assert [s.protocol for s in sessions_of(kubelet, namespace, "tunnel")] == [PORT_FORWARD_PROTOCOL]
