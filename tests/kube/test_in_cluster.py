"""Running inside a pod: the service account is imported as the `in-cluster` cluster and works."""

from __future__ import annotations

from pathlib import Path

import pytest
from kubernetes_asyncio.config import incluster_config

from kubevision.kube import clusters as clusters_module
from tests.helpers import ApiSession


@pytest.fixture
def service_account(tmp_path: Path, control_plane, monkeypatch: pytest.MonkeyPatch) -> None:
    """The files and environment Kubernetes gives a pod, pointing at the test API server."""
    token = tmp_path / "token"
    token.write_text(control_plane.admin_token)
    ca = next(Path(control_plane.workdir).rglob("apiserver.crt"))
    monkeypatch.setattr(clusters_module, "IN_CLUSTER_TOKEN", token)
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(ca))
    host, port = control_plane.server_url.removeprefix("https://").rsplit(":", 1)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", host)
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", port)


@pytest.mark.usefixtures("service_account")
async def test_in_cluster_service_account(admin: ApiSession) -> None:
    clusters = {c["name"]: c for c in await admin.ok("GET", "/clusters")}
    in_cluster = clusters["in-cluster"]
    assert in_cluster["source"] == "in-cluster"
    checked = await admin.ok("GET", f"/clusters/{in_cluster['id']}")
    assert checked["status"] == "healthy", checked
    names = [n["metadata"]["name"] for n in await admin.ok("GET", f"/clusters/{in_cluster['id']}/resources/namespaces")]
    assert "default" in names
