"""A saved forward whose local port is taken when the server starts: `failed` with the reason, retried with bounded
backoff, and serving on its own port once the port is free (real control plane, kubelet stand-in, echo server)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from aiohttp.test_utils import TestClient

from kubevision.services.port_forwards import PORT_FORWARDS
from kubevision.services.portforward import BIND_RETRY_MAX_S, BIND_RETRY_MIN_S
from tests.envtest.kubelet import KubeletStandIn
from tests.helpers import ApiSession, wait_until
from tests.kube.conftest import make_user
from tests.kube.forwarding import EchoServer, running_forwarded_pod
from tests.kube.test_port_forward_api import audit_rows, echoes

# The port is freed after the first retry; the next one comes at most this long after (jitter included).
RECOVERY_TIMEOUT_S = 4 * BIND_RETRY_MIN_S * 1.2 + 15.0


async def test_a_saved_forward_waits_for_its_taken_port_and_recovers(
        admin: ApiSession, client: TestClient, cid: int, namespace: str, echo: EchoServer,
        kubelet: KubeletStandIn) -> None:
    assert BIND_RETRY_MIN_S < BIND_RETRY_MAX_S <= 60  # bounded
    await running_forwarded_pod(admin, cid, namespace, "echo", echo)
    dev = await make_user(admin, "dev-port", "dev", namespaces=[namespace])
    saved = await dev.ok("POST", "/port-forwards", json={"cluster": cid, "namespace": namespace, "kind": "pods",
                                                         "name": "echo", "port": 8080, "saved": True})
    port = saved["localPort"]
    service = client.app[PORT_FORWARDS]
    await service.aclose()

    taken = socket.socket()
    try:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        await service.start()  # as when the server starts while another program holds the port
        forward = await dev.ok("GET", f"/port-forwards/{saved['id']}")
        assert forward["state"] == "failed" and not forward["listening"] and forward["localPort"] == port
        assert forward["reason"] == (f"local port {port} on 127.0.0.1 is in use: choose another, or 0 for a free "
                                     "one; retrying until it is free")
        await asyncio.sleep(BIND_RETRY_MIN_S * 1.5)  # the first retry found the port still taken
        still = await dev.ok("GET", f"/port-forwards/{saved['id']}")
        assert (still["state"], still["reason"], still["listening"]) == ("failed", forward["reason"], False)
    finally:
        taken.close()

    async def serving() -> dict[str, Any] | None:
        answer = await dev.ok("GET", f"/port-forwards/{saved['id']}")
        return answer if answer["state"] == "active" else None
    recovered = await wait_until(serving, timeout_s=RECOVERY_TIMEOUT_S, what="the forward to bind its port")
    assert recovered["localPort"] == port and recovered["listening"] and recovered["reason"] is None
    assert await echoes(port, b"port is free again") == b"port is free again"

    starts = [row for row in await audit_rows(admin, "portforward.start", namespace)
              if row["detail"]["id"] == saved["id"] and row["detail"].get("restarted")]
    assert [(row["code"], row["detail"].get("retried")) for row in starts] == [(0, True), (40900, None)]  # newest 1st
    await dev.ok("DELETE", f"/port-forwards/{saved['id']}")
