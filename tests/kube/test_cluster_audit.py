"""Cluster uploads and deletions, on the real control plane, are audited once each by the cluster service with
their outcome; an upload refused by the route's access declaration is one `access.refused` row."""

from __future__ import annotations

from pathlib import Path

from tests.audit_rows import audited_once, request_id
from tests.helpers import ApiSession
from tests.kube.conftest import make_user


async def test_uploads_and_deletions(admin: ApiSession, admin_kubeconfig: str, cid: int) -> None:
    text = Path(admin_kubeconfig).read_text()
    invalid = request_id("cluster")
    await admin.fails("POST", "/clusters", 40002, headers=invalid, json={"name": "bad", "kubeconfig": "not: [valid"})
    row = await audited_once(admin, invalid, "cluster.create", 40002)
    assert (row["name"], row["clusterId"], row["username"]) == ("bad", None, "admin")

    added_headers = request_id("cluster")
    added = await admin.ok("POST", "/clusters", headers=added_headers, json={"name": "uploaded", "kubeconfig": text})
    row = await audited_once(admin, added_headers, "cluster.create", 0)
    assert (row["name"], row["clusterId"]) == ("uploaded", added["id"])

    taken = request_id("cluster")
    await admin.fails("POST", "/clusters", 40900, headers=taken, json={"name": "uploaded", "kubeconfig": text})
    await audited_once(admin, taken, "cluster.create", 40900)

    kept = request_id("cluster")  # kubeconfig contexts come back at start: deleting one is refused
    await admin.fails("DELETE", f"/clusters/{cid}", 40002, headers=kept)
    assert (await audited_once(admin, kept, "cluster.delete", 40002))["name"] == "envtest-admin"

    deleted = request_id("cluster")
    await admin.ok("DELETE", f"/clusters/{added['id']}", headers=deleted)
    row = await audited_once(admin, deleted, "cluster.delete", 0)
    assert (row["name"], row["clusterId"]) == ("uploaded", added["id"])

    gone = request_id("cluster")
    await admin.fails("DELETE", f"/clusters/{added['id']}", 40402, headers=gone)
    await audited_once(admin, gone, "cluster.delete", 40402)


async def test_refusals_by_grants_and_by_the_route(admin: ApiSession, cid: int, nobody_cid: int) -> None:
    limited_admin = await make_user(admin, "limited-admin", "admin", clusters=[nobody_cid])
    outside = request_id("cluster")
    await limited_admin.fails("DELETE", f"/clusters/{cid}", 40301, headers=outside)
    row = await audited_once(admin, outside, "cluster.delete", 40301)
    assert (row["username"], row["clusterId"]) == ("limited-admin", cid)
    assert [c["id"] for c in await limited_admin.ok("GET", "/clusters")] == [nobody_cid]

    ops = await make_user(admin, "opsy", "ops")
    refused = request_id("cluster")
    await ops.fails("POST", "/clusters", 40300, headers=refused, json={"name": "x", "kubeconfig": "apiVersion: v1"})
    row = await audited_once(admin, refused, "access.refused", 40300)
    assert row["username"] == "opsy" and row["detail"]["route"] == "/api/v1/clusters"
