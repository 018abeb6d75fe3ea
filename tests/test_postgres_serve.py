"""`kubevision serve --database-url postgresql://…` as a real process on the session's PostgreSQL server:
sign in, create a user, read the audit trail, then restart on the same database and sign in as that user."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.postgres import PostgresServer, free_port
from tests.test_serve import http, running

ADMIN_PASSWORD = "pg-admin-password-1"
USER_PASSWORD = "alice-password-1"


def api(base_url: str, method: str, path: str, body: dict[str, Any] | None = None,
        token: str | None = None) -> Any:
    """A `/api/v1` call that must succeed (HTTP 200, code 0); returns `data`."""
    status, _, raw = http(method, f"{base_url}api/v1{path}", body,
                          {"Authorization": f"Bearer {token}"} if token else None)
    envelope = json.loads(raw)
    assert status == 200 and envelope["code"] == 0, envelope
    return envelope["data"]


def test_serve_on_postgresql_keeps_users_and_audit_across_restarts(tmp_path: Path, postgres: PostgresServer) -> None:
    database_url = postgres.create_database()
    data_dir = tmp_path / "data"  # reused: it holds the secrets that sign tokens and encrypt TOTP seeds
    env = {"KUBEVISION_ADMIN_PASSWORD": ADMIN_PASSWORD, "KUBECONFIG": str(tmp_path / "no-kubeconfig")}

    def serve_args() -> list[str]:
        return ["serve", "--no-browser", "--port", str(free_port()), "--data-dir", str(data_dir),
                "--database-url", database_url]

    with running(serve_args(), env) as server:
        url = server.wait_for_banner()["Open"]
        status, _, body = http("GET", url + "readyz")
        assert status == 200 and json.loads(body)["database"] == "ok"
        admin = api(url, "POST", "/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})
        created = api(url, "POST", "/users", {"username": "alice", "password": USER_PASSWORD, "role": "dev"},
                      token=admin["accessToken"])
        assert created["username"] == "alice" and created["role"] == "dev"
        entries = api(url, "GET", "/audit-logs", token=admin["accessToken"])
        assert [(e["action"], e["username"], e["name"]) for e in entries] == [
            ("user.create", "admin", "alice"), ("login", "admin", None)]
        assert server.stop() == 0
        assert "Traceback" not in server.output()

    with running(serve_args(), env) as server:
        url = server.wait_for_banner()["Open"]
        alice = api(url, "POST", "/auth/login", {"username": "alice", "password": USER_PASSWORD})
        me = api(url, "GET", "/users/me", token=alice["accessToken"])
        assert (me["id"], me["username"], me["role"]) == (created["id"], "alice", "dev")
        admin = api(url, "POST", "/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})
        creations = api(url, "GET", "/audit-logs?action=user.create", token=admin["accessToken"])
        assert [e["id"] for e in creations] == [entries[0]["id"]]  # the first run's trail is still there
        assert server.stop() == 0
        assert "Traceback" not in server.output()
    assert not (data_dir / "kubevision.db").exists()  # everything went to PostgreSQL
