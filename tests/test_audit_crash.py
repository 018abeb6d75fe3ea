"""Audit rows survive a crash: `kubevision serve` on the real control plane is killed with SIGKILL in the middle
of a stream of PATCHes from several clients. After a restart on the same data dir every change that was
acknowledged has its row with code 0, the changes in flight have a row as attempted (code null) or completed,
or none and were never sent: the value each client's last landed PATCH wrote is on record."""

from __future__ import annotations

import json
import threading
from http.client import HTTPException
from pathlib import Path
from typing import Any

from tests.postgres import free_port
from tests.test_postgres_serve import api
from tests.test_serve import http, running

ADMIN_PASSWORD = "crash-admin-password-1"
CLIENTS = 6
# SIGKILL once this many PATCHes were acknowledged (the clients keep sending until the server is gone).
ACKNOWLEDGED_BEFORE_KILL = 150
AUDIT_PAGE_SIZE = 500


class PatchStream(threading.Thread):
    """One client: PATCHes label `client-<n>` of the ConfigMap to 1, 2, 3, … until the server stops answering.
    Each request carries the id `crash-<n>-<value>`; `outcomes` maps it to the answer's code, or None (no answer)."""

    def __init__(self, number: int, url: str, token: str, acknowledged: threading.Semaphore) -> None:
        super().__init__(daemon=True)
        self.number = number
        self.url = url
        self.token = token
        self.acknowledged = acknowledged
        self.outcomes: dict[str, int | None] = {}

    def run(self) -> None:
        value = 0
        while True:
            value += 1
            request_id = f"crash-{self.number}-{value}"
            patch = {"type": "merge", "patch": {"metadata": {"labels": {f"client-{self.number}": str(value)}}}}
            try:
                _, _, body = http("PATCH", self.url, patch, {"Authorization": f"Bearer {self.token}",
                                                              "X-Request-ID": request_id})
                self.outcomes[request_id] = json.loads(body)["code"]
            except (OSError, HTTPException, ValueError):  # killed before it answered (in full)
                self.outcomes[request_id] = None
                return
            if self.outcomes[request_id] == 0:
                self.acknowledged.release()


def audit_rows(url: str, token: str) -> dict[str, dict[str, Any]]:
    """Every `resource.patch` row, by request id."""
    rows: dict[str, dict[str, Any]] = {}
    page = 1
    while True:
        entries = api(url, "GET", f"/audit-logs?action=resource.patch&pageSize={AUDIT_PAGE_SIZE}&page={page}",
                      token=token)
        rows.update((entry["requestId"], entry) for entry in entries)
        if len(entries) < AUDIT_PAGE_SIZE:
            return rows
        page += 1


def test_every_acknowledged_change_is_audited_after_sigkill(tmp_path: Path, admin_kubeconfig: str,
                                                            namespace: str) -> None:
    env = {"KUBEVISION_ADMIN_PASSWORD": ADMIN_PASSWORD, "KUBECONFIG": admin_kubeconfig}

    def serve_args() -> list[str]:
        return ["serve", "--no-browser", "--port", str(free_port()), "--data-dir", str(tmp_path / "data")]

    with running(serve_args(), env) as server:
        url = server.wait_for_banner()["Open"]
        token = api(url, "POST", "/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})["accessToken"]
        cid = next(c["id"] for c in api(url, "GET", "/clusters", token=token) if c["name"] == "envtest-admin")
        base = f"{url}api/v1/clusters/{cid}/resources/configmaps"
        manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "stream", "namespace": namespace}}
        api(url, "POST", f"/clusters/{cid}/resources/configmaps?namespace={namespace}", manifest, token=token)

        acknowledged = threading.Semaphore(0)
        streams = [PatchStream(number, f"{base}/stream?namespace={namespace}", token, acknowledged)
                   for number in range(CLIENTS)]
        for stream in streams:
            stream.start()
        for _ in range(ACKNOWLEDGED_BEFORE_KILL):
            assert acknowledged.acquire(timeout=30), "the PATCH stream stalled"
        server.process.kill()
        server.process.wait()
        for stream in streams:
            stream.join(timeout=30)
            assert not stream.is_alive()

    outcomes = {request_id: code for stream in streams for request_id, code in stream.outcomes.items()}
    done = {request_id for request_id, code in outcomes.items() if code == 0}
    in_flight = {request_id for request_id, code in outcomes.items() if code is None}
    assert len(done) >= ACKNOWLEDGED_BEFORE_KILL and len(in_flight) == CLIENTS
    assert set(outcomes) == done | in_flight  # no PATCH failed while the server ran

    with running(serve_args(), env) as server:
        url = server.wait_for_banner()["Open"]
        token = api(url, "POST", "/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})["accessToken"]
        rows = audit_rows(url, token)
        labels = api(url, "GET", f"/clusters/{cid}/resources/configmaps/stream?namespace={namespace}",
                     token=token)["metadata"]["labels"]
        assert server.stop() == 0

    missing = sorted(done - set(rows))
    assert not missing, f"{len(missing)} of {len(done)} acknowledged changes have no audit row: {missing[:10]}"
    assert all(rows[request_id]["code"] == 0 for request_id in done)
    assert set(rows) <= set(outcomes)  # one row per PATCH, nothing invented
    assert all(rows[request_id]["code"] in (None, 0) for request_id in in_flight & set(rows))
    # What each client's last landed PATCH wrote is on record, as completed or at least attempted.
    for stream in streams:
        landed = f"crash-{stream.number}-{labels[f'client-{stream.number}']}"
        assert landed in rows, f"{landed} changed the ConfigMap but has no audit row"
