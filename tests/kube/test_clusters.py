"""Clusters imported from the kubeconfig, lazy health, uploads and an unreachable cluster."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.helpers import ApiSession
from tests.kube.conftest import cluster_id


async def test_contexts_are_imported_lazily(admin: ApiSession) -> None:
    clusters = await admin.ok("GET", "/clusters")
    names = {c["name"]: c for c in clusters}
    assert {"envtest-admin", "envtest-nobody"} <= set(names)
    # Nothing was contacted yet: status unknown until first use.
    assert names["envtest-admin"]["status"] == "unknown"
    assert names["envtest-admin"]["source"] == "kubeconfig"
    assert names["envtest-admin"]["server"].startswith("https://127.0.0.1:")


async def test_get_cluster_checks_health(admin: ApiSession, cid: int) -> None:
    cluster = await admin.ok("GET", f"/clusters/{cid}")
    assert cluster["status"] == "healthy"
    assert cluster["version"].startswith("v1.")
    listed = {c["id"]: c for c in await admin.ok("GET", "/clusters")}
    assert listed[cid]["status"] == "healthy"


async def test_unknown_cluster_is_40402(admin: ApiSession) -> None:
    await admin.fails("GET", "/clusters/999", 40402)
    await admin.fails("GET", "/clusters/999/resources/pods", 40402)


async def test_upload_validate_and_delete(admin: ApiSession, admin_kubeconfig: str) -> None:
    text = Path(admin_kubeconfig).read_text()
    added = await admin.ok("POST", "/clusters", json={"name": "uploaded-one", "kubeconfig": text})
    assert added["source"] == "uploaded" and added["status"] == "healthy"
    assert (await admin.ok("GET", f"/clusters/{added['id']}/resources/namespaces"))
    await admin.fails("POST", "/clusters", 40900, json={"name": "uploaded-one", "kubeconfig": text})
    await admin.fails("POST", "/clusters", 40002, json={"name": "bad", "kubeconfig": "not: [valid"})
    await admin.ok("DELETE", f"/clusters/{added['id']}")
    await admin.fails("GET", f"/clusters/{added['id']}", 40402)
    kubeconfig_cluster = await cluster_id(admin, "envtest-admin")
    await admin.fails("DELETE", f"/clusters/{kubeconfig_cluster}", 40002)


async def test_unreachable_cluster_is_50200_naming_it(admin: ApiSession, admin_kubeconfig: str) -> None:
    config = yaml.safe_load(Path(admin_kubeconfig).read_text())
    config["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:1"
    body = await admin.fails("POST", "/clusters", 50200, json={"name": "dead", "kubeconfig": yaml.safe_dump(config)})
    assert "dead" in body["message"] and "unreachable" in body["message"]


@pytest.mark.parametrize(("where", "value", "message"), [
    (("clusters", 0, "cluster", "server"), 5, "needs an http(s) server URL"),
    (("clusters", 0, "cluster", "server"), "https://[::1", "needs an http(s) server URL"),
    (("clusters", 0, "cluster", "server"), "ftp://127.0.0.1", "needs an http(s) server URL"),
    (("clusters", 0, "cluster"), "a string", "must have clusters and contexts"),
    (("contexts",), "a string", "must have clusters and contexts"),
    (("contexts", 0, "name"), ["a list"], "must have clusters and contexts"),
])
async def test_malformed_kubeconfig_upload_is_40002(admin: ApiSession, admin_kubeconfig: str, where: tuple,
                                                   value: object, message: str) -> None:
    config = yaml.safe_load(Path(admin_kubeconfig).read_text())
    parent = config
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    body = await admin.fails("POST", "/clusters", 40002, json={"name": "odd", "kubeconfig": yaml.safe_dump(config)})
    assert message in body["message"]
    assert "odd" not in [c["name"] for c in await admin.ok("GET", "/clusters")]


async def test_non_admin_cannot_add_clusters(admin: ApiSession) -> None:
    await admin.ok("POST", "/users", json={"username": "opsy", "password": "password-123", "role": "ops"})
    ops = await admin.login("opsy", "password-123")
    await ops.fails("POST", "/clusters", 40300, json={"name": "x", "kubeconfig": "apiVersion: v1"})


async def test_cluster_grants_hide_and_refuse(admin: ApiSession, cid: int, nobody_cid: int) -> None:
    await admin.ok("POST", "/users", json={"username": "limited", "password": "password-123", "role": "ops",
                                           "clusters": [nobody_cid]})
    limited = await admin.login("limited", "password-123")
    assert [c["id"] for c in await limited.ok("GET", "/clusters")] == [nobody_cid]
    await limited.fails("GET", f"/clusters/{cid}", 40301)
    await limited.fails("GET", f"/clusters/{cid}/resources/pods", 40301)


async def test_exec_credential_plugin(admin: ApiSession, control_plane, tmp_path: Path) -> None:
    """A kubeconfig whose user runs an exec plugin from PATH (as aws/gke/kubelogin do)."""
    plugin = tmp_path / "kv-test-credential-plugin"
    plugin.write_text(
        "#!/bin/sh\n"
        'echo \'{"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",'
        f' "status": {{"token": "{control_plane.admin_token}"}}}}\'\n'
    )
    plugin.chmod(0o755)
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": "exec",
        "clusters": [{"name": "c", "cluster": {"server": control_plane.server_url,
                                               "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                                  "command": str(plugin), "interactiveMode": "Never"}}}],
        "contexts": [{"name": "exec", "context": {"cluster": "c", "user": "u"}}],
    }
    added = await admin.ok("POST", "/clusters", json={"name": "exec-plugin", "kubeconfig": yaml.safe_dump(config)})
    assert added["status"] == "healthy"
    namespaces = await admin.ok("GET", f"/clusters/{added['id']}/resources/namespaces")
    assert any(n["metadata"]["name"] == "default" for n in namespaces)
