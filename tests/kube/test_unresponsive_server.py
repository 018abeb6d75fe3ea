"""An API server that accepts connections and never answers: concurrent calls fail together, each after the
connect timeout, instead of queueing behind each other (11, 22, 33 s)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubevision.kube.connection import CONNECT_TIMEOUT_S
from tests.helpers import ApiSession
from tests.kube.conftest import cluster_id

CONCURRENT_CALLS = 3


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts every connection, reads nothing and never answers."""

    def __init__(self) -> None:
        self.accepted = 0
        self._held: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None

    async def _accept(self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self._held.append(writer)

    async def start(self) -> int:
        """Listen; returns the port."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close held connections and stop listening."""
        for writer in self._held:
            writer.close()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
async def silent_server() -> AsyncIterator[tuple[SilentServer, int]]:
    """The silent server and its port."""
    server = SilentServer()
    port = await server.start()
    yield server, port
    await server.stop()


@pytest.fixture
def settings_overrides(tmp_path: Path, silent_server: tuple[SilentServer, int]) -> dict[str, Any]:
    """Only a kubeconfig whose cluster is the silent server (https: the TLS handshake never completes)."""
    _, port = silent_server
    config = {"apiVersion": "v1", "kind": "Config",
              "clusters": [{"name": "silent", "cluster": {"server": f"https://127.0.0.1:{port}",
                                                          "insecure-skip-tls-verify": True}}],
              "users": [{"name": "someone", "user": {"token": "t0ken"}}],
              "contexts": [{"name": "silent", "context": {"cluster": "silent", "user": "someone"}}],
              "current-context": "silent"}
    path = tmp_path / "silent.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return {"kubeconfig": str(path)}


async def test_concurrent_calls_time_out_each_on_its_own(admin: ApiSession,
                                                         silent_server: tuple[SilentServer, int]) -> None:
    server, _ = silent_server
    cid = await cluster_id(admin, "silent")
    paths = [f"/clusters/{cid}/resources/pods", f"/clusters/{cid}/resources/configmaps?namespace=default",
             f"/clusters/{cid}/overview"][:CONCURRENT_CALLS]
    started = time.monotonic()
    accepted_at_first_answer: list[int] = []

    async def call(path: str) -> tuple[dict[str, Any], float]:
        body = await admin.fails("GET", path, 50200)
        accepted_at_first_answer.append(server.accepted)
        return body, time.monotonic() - started

    outcomes = await asyncio.gather(*(call(path) for path in paths))
    for body, elapsed in outcomes:
        assert "'silent'" in body["message"] and "timed out" in body["message"], body
        # Each call failed after about the connect timeout, not after the calls before it (2x, 3x).
        assert CONNECT_TIMEOUT_S - 1 <= elapsed < 2 * CONNECT_TIMEOUT_S, (elapsed, body)
    # They shared one attempt: no call opened connections of its own after the first had its answer.
    assert server.accepted > 0
    assert accepted_at_first_answer == [accepted_at_first_answer[0]] * len(paths)
