"""App RBAC (role ∩ cluster ∩ namespace grants), batch operations and the audit trail of mutations."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.envtest.namespaces import create_namespace_sync, delete_namespace_sync
from tests.helpers import ApiSession, documented_data, openapi_document, schema_problems
from tests.kube.conftest import configmap, make_user


@pytest.fixture
def other(control_plane) -> Iterator[str]:
    """A second namespace, outside the grants of the users these tests make."""
    name = create_namespace_sync(control_plane.server_url, control_plane.admin_token)
    yield name
    delete_namespace_sync(control_plane.server_url, control_plane.admin_token, name)


async def test_namespace_grants(admin: ApiSession, cid: int, namespace: str, other: str) -> None:
    base = f"/clusters/{cid}/resources/configmaps"
    await admin.ok("POST", f"{base}?namespace={namespace}", json=configmap("mine", namespace))
    await admin.ok("POST", f"{base}?namespace={other}", json=configmap("theirs", other))
    dev = await make_user(admin, "dev1", "dev", namespaces=[namespace])

    everything = await dev.ok("GET", base)
    assert {o["metadata"]["namespace"] for o in everything} == {namespace}
    await dev.fails("GET", f"{base}?namespace={other}", 40302)
    await dev.fails("GET", f"{base}/theirs?namespace={other}", 40302)
    await dev.fails("POST", f"{base}?namespace={other}", 40302, json=configmap("x", other))
    await dev.ok("POST", f"{base}?namespace={namespace}", json=configmap("devs", namespace))
    names = [o["metadata"]["name"] for o in await dev.ok("GET", f"/clusters/{cid}/resources/namespaces")]
    assert names == [namespace]
    await dev.fails("GET", f"/clusters/{cid}/resources/nodes", 40302)


async def test_role_verbs(admin: ApiSession, cid: int, namespace: str) -> None:
    base = f"/clusters/{cid}/resources/configmaps"
    await admin.ok("POST", f"{base}?namespace={namespace}", json=configmap("ro", namespace))
    readonly = await make_user(admin, "ro1", "readonly")
    assert await readonly.ok("GET", f"{base}/ro?namespace={namespace}")
    await readonly.fails("DELETE", f"{base}/ro?namespace={namespace}", 40300)
    await readonly.fails("POST", f"{base}?namespace={namespace}", 40300, json=configmap("no", namespace))
    custom = await make_user(admin, "cu1", "custom", permissions=["configmaps:read", "configmaps:delete"])
    await custom.fails("GET", f"/clusters/{cid}/resources/pods?namespace={namespace}", 40300)
    await custom.ok("DELETE", f"{base}/ro?namespace={namespace}")
    dev = await make_user(admin, "dev2", "dev")
    await dev.fails("DELETE", f"/clusters/{cid}/resources/namespaces/{namespace}", 40300)


async def test_batch_delete_and_restart(admin: ApiSession, cid: int, namespace: str) -> None:
    base = f"/clusters/{cid}/resources/configmaps"
    for name in ("b1", "b2"):
        await admin.ok("POST", f"{base}?namespace={namespace}", json=configmap(name, namespace))
    readonly = await make_user(admin, "ro2", "readonly")
    items = [{"resource": "configmaps", "namespace": namespace, "name": n} for n in ("b1", "b2", "nope")]
    refused = await readonly.ok("POST", f"/clusters/{cid}/resources/batch-delete", json={"items": items[:1]})
    assert refused[0]["code"] == 40300
    results = await admin.ok("POST", f"/clusters/{cid}/resources/batch-delete",
                             json={"items": [*items, {"resource": "namespaces", "name": "nope"}]})
    assert [r["code"] for r in results] == [0, 0, 40400, 40400]
    assert results[3]["namespace"] is None
    document = await openapi_document(admin.client)
    assert schema_problems(results, documented_data(document, "POST", "/clusters/{id}/resources/batch-delete")) == []
    await admin.fails("POST", f"/clusters/{cid}/resources/batch-delete", 40001, json={"items": []})
    await admin.fails("POST", f"/clusters/{cid}/resources/batch-delete", 40002, json={"items": items * 40})
    body = await admin.fails("POST", f"/clusters/{cid}/resources/batch-delete", 40002,
                             json={"items": [{"resource": "configmaps", "namespace": 5, "name": "b1"}]})
    assert "'namespace'" in body["message"]
    await admin.ok("POST", f"{base}?namespace={namespace}", json=configmap("kept", namespace))
    emptied = await admin.ok("POST", f"/clusters/{cid}/resources/batch-delete",
                             json={"items": [{"resource": "configmaps", "namespace": namespace, "name": ""}]})
    assert emptied[0]["code"] == 40002
    assert await admin.ok("GET", f"{base}/kept?namespace={namespace}")

    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                  "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                           "template": {"metadata": {"labels": {"app": "web"}},
                                        "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}}}
    await admin.ok("POST", f"/clusters/{cid}/resources/deployments?namespace={namespace}", json=deployment)
    restart = await admin.ok("POST", f"/clusters/{cid}/batch-restart", json={"items": [
        {"kind": "deployments", "namespace": namespace, "name": "web"},
        {"kind": "configmaps", "namespace": namespace, "name": "x"},
    ]})
    assert [r["code"] for r in restart] == [0, 40002]
    assert schema_problems(restart, documented_data(document, "POST", "/clusters/{id}/batch-restart")) == []
    got = await admin.ok("GET", f"/clusters/{cid}/resources/deployments/web?namespace={namespace}")
    assert "kubectl.kubernetes.io/restartedAt" in got["spec"]["template"]["metadata"]["annotations"]


async def test_mutations_are_audited(admin: ApiSession, cid: int, namespace: str) -> None:
    base = f"/clusters/{cid}/resources/configmaps"
    await admin.ok("POST", f"{base}?namespace={namespace}", json=configmap("aud", namespace))
    await admin.ok("DELETE", f"{base}/aud?namespace={namespace}")
    await admin.fails("DELETE", f"{base}/aud?namespace={namespace}", 40400)
    entries = await admin.call("GET", f"/audit-logs?cluster={cid}")
    actions = [(e["action"], e["name"], e["code"]) for e in entries["data"]]
    assert actions[:3] == [("resource.delete", "aud", 40400), ("resource.delete", "aud", 0),
                           ("resource.create", "aud", 0)]
    assert entries["data"][0]["namespace"] == namespace and entries["data"][0]["resource"] == "configmaps"
    # Entries recorded inside the Kubernetes services still name the request and the client.
    assert all(e["clientIp"] == "127.0.0.1" and e["requestId"].startswith("req_") for e in entries["data"][:3])
    assert entries["meta"]["total"] >= 3


async def test_namespace_objects_outside_the_grants_are_refused_by_name(admin: ApiSession, cid: int, namespace: str,
                                                                       other: str) -> None:
    base = f"/clusters/{cid}/resources/namespaces"
    dev = await make_user(admin, "dev-ns", "dev", namespaces=[namespace])
    assert (await dev.ok("GET", f"{base}/{namespace}"))["metadata"]["name"] == namespace
    for name in (other, "kube-system", "no-such-namespace"):  # refused whether it exists or not
        body = await dev.fails("GET", f"{base}/{name}", 40302)
        assert name in body["message"]
    unlimited = await make_user(admin, "ro-ns", "readonly")
    assert (await unlimited.ok("GET", f"{base}/{other}"))["metadata"]["name"] == other


async def test_ops_with_grants_read_only_their_part_of_the_audit_log(admin: ApiSession, cid: int, namespace: str,
                                                                     other: str) -> None:
    base = f"/clusters/{cid}/resources/configmaps"
    limited = await make_user(admin, "ops-ns", "ops", namespaces=[namespace])
    await limited.ok("POST", f"{base}?namespace={namespace}", json=configmap("by-ops", namespace))
    await admin.ok("POST", f"{base}?namespace={namespace}", json=configmap("by-admin", namespace))
    await admin.ok("POST", f"{base}?namespace={other}", json=configmap("elsewhere", other))
    await admin.ok("PATCH", f"/clusters/{cid}/resources/namespaces/{namespace}",
                   json={"type": "merge", "patch": {"metadata": {"labels": {"audited": "yes"}}}})
    await admin.ok("PATCH", f"/clusters/{cid}/resources/namespaces/{other}",
                   json={"type": "merge", "patch": {"metadata": {"labels": {"audited": "no"}}}})
    await admin.fails("POST", "/auth/login", 40100, json={"username": "admin", "password": "wrong-password"})

    everything = await admin.ok("GET", "/audit-logs")
    assert {e["name"] for e in everything} >= {"by-ops", "by-admin", "elsewhere", namespace, other}
    rows = await limited.call("GET", "/audit-logs")
    seen = [(e["username"], e["action"], e["name"]) for e in rows["data"]]
    # Own rows (the sign-in too), and rows about objects inside the grant by anyone; nothing else.
    assert ("ops-ns", "login", None) in seen
    assert ("ops-ns", "resource.create", "by-ops") in seen
    assert ("admin", "resource.create", "by-admin") in seen
    assert ("admin", "resource.patch", namespace) in seen
    assert all(e["username"] == "ops-ns" or (e["clusterId"] == cid and namespace in (e["namespace"], e["name"]))
               for e in rows["data"]), seen
    assert rows["meta"]["total"] == len(rows["data"])
    # Filters narrow the scope, never widen it.
    assert await limited.ok("GET", "/audit-logs?user=admin&action=login.failed") == []
    assert await limited.ok("GET", "/audit-logs?user=admin&action=user.create") == []
    unlimited = await make_user(admin, "ops-all", "ops")
    assert len(await unlimited.ok("GET", "/audit-logs?pageSize=500")) == len(
        await admin.ok("GET", "/audit-logs?pageSize=500"))
