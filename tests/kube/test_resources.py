"""Generic CRUD through the API against the real API server, with every error mapping."""

from __future__ import annotations

import asyncio

import pytest

from tests.helpers import ApiSession, documented_data, openapi_document, schema_problems
from tests.kube.conftest import configmap


async def test_configmap_life_cycle(admin: ApiSession, cid: int, namespace: str) -> None:
    base = f"/clusters/{cid}/resources/configmaps"
    created = await admin.ok("POST", f"{base}?namespace={namespace}", json=configmap("cm1", namespace, a="1"))
    assert created["metadata"]["name"] == "cm1"
    assert "managedFields" not in created["metadata"]

    got = await admin.call("GET", f"{base}/cm1?namespace={namespace}")
    assert got["data"]["data"] == {"a": "1"} and got["meta"]["source"] == "apiserver"

    got["data"]["data"]["b"] = "2"
    replaced = await admin.ok("PUT", f"{base}/cm1?namespace={namespace}", json=got["data"])
    assert replaced["data"] == {"a": "1", "b": "2"}

    merged = await admin.ok("PATCH", f"{base}/cm1?namespace={namespace}",
                            json={"type": "merge", "patch": {"data": {"c": "3"}}})
    assert merged["data"]["c"] == "3"
    jsonpatched = await admin.ok("PATCH", f"{base}/cm1?namespace={namespace}",
                                 json={"type": "json", "patch": [{"op": "remove", "path": "/data/a"}]})
    assert "a" not in jsonpatched["data"]
    strategic = await admin.ok("PATCH", f"{base}/cm1?namespace={namespace}",
                               json={"type": "strategic", "patch": {"metadata": {"labels": {"x": "y"}}}})
    assert strategic["metadata"]["labels"] == {"x": "y"}

    listed = await admin.call("GET", f"{base}?namespace={namespace}&labelSelector=x%3Dy")
    assert [o["metadata"]["name"] for o in listed["data"]] == ["cm1"]
    assert listed["meta"]["total"] == 1 and listed["meta"]["source"] == "apiserver"
    assert listed["data"][0]["kind"] == "ConfigMap"

    assert await admin.ok("DELETE", f"{base}/cm1?namespace={namespace}") is None
    await admin.fails("GET", f"{base}/cm1?namespace={namespace}", 40400)


async def test_error_mappings(admin: ApiSession, cid: int, namespace: str) -> None:
    base = f"/clusters/{cid}/resources/configmaps"
    await admin.ok("POST", f"{base}?namespace={namespace}", json=configmap("dup", namespace))
    collision = await admin.fails("POST", f"{base}?namespace={namespace}", 40900, json=configmap("dup", namespace))
    assert "already exists" in collision["message"]

    current = await admin.ok("GET", f"{base}/dup?namespace={namespace}")
    await admin.ok("PATCH", f"{base}/dup?namespace={namespace}", json={"type": "merge", "patch": {"data": {"k": "v"}}})
    stale = await admin.fails("PUT", f"{base}/dup?namespace={namespace}", 40901, json=current)
    assert "modified" in stale["message"]

    invalid = configmap("Invalid_Name", namespace)
    body = await admin.fails("POST", f"{base}?namespace={namespace}", 42201, json=invalid)
    assert body["data"]["causes"] and body["data"]["causes"][0]["field"] == "metadata.name"

    await admin.fails("GET", f"{base}/missing?namespace={namespace}", 40400)
    await admin.fails("DELETE", f"{base}/missing?namespace={namespace}", 40400)
    await admin.fails("GET", f"/clusters/{cid}/resources/nonsense", 40002)
    await admin.fails("GET", f"{base}?namespace={namespace}&labelSelector=%3D%3D%3D", 40002)
    await admin.fails("GET", f"{base}/dup", 40001)
    await admin.fails("PATCH", f"{base}/dup?namespace={namespace}", 40002, json={"type": "yaml", "patch": {}})
    await admin.fails("PUT", f"{base}/dup?namespace={namespace}", 40002,
                      json={**current, "metadata": {**current["metadata"], "namespace": "other"}})
    await admin.fails("GET", f"{base}?sort=size", 40002)


@pytest.mark.parametrize(("patch", "message"), [
    ([{"op": "add", "path": 5, "value": "x"}], "patch[0] (add) needs 'path', 'value'"),
    ([{"op": "add", "path": "/data/b"}], "patch[0] (add) needs 'path', 'value'"),
    ([{"op": "move", "from": ["/data/a"], "path": "/data/b"}], "patch[0] (move) needs 'path', 'from'"),
    ([{"op": "remove", "path": "/data/a"}, []], "patch[1] must be an object whose op is one of"),
    ([{"op": "bogus", "path": "/data/a"}], "patch[0] must be an object whose op is one of"),
    ({"op": "remove", "path": "/data/a"}, "a json patch is a list of operations"),
])
async def test_malformed_json_patch_is_40002(admin: ApiSession, cid: int, namespace: str, patch: object,
                                             message: str) -> None:
    base = f"/clusters/{cid}/resources/configmaps"
    await admin.ok("POST", f"{base}?namespace={namespace}", json=configmap("jp", namespace, a="1"))
    body = await admin.fails("PATCH", f"{base}/jp?namespace={namespace}", 40002, json={"type": "json", "patch": patch})
    assert message in body["message"]
    assert (await admin.ok("GET", f"{base}/jp?namespace={namespace}"))["data"] == {"a": "1"}


async def test_nobody_kubeconfig_gets_40300(admin: ApiSession, nobody_cid: int, namespace: str) -> None:
    body = await admin.fails("GET", f"/clusters/{nobody_cid}/resources/pods?namespace={namespace}", 40300)
    assert "forbidden" in body["message"].lower()


async def test_cluster_scoped_and_table_view(admin: ApiSession, cid: int, namespace: str) -> None:
    table = await admin.call("GET", f"/clusters/{cid}/resources/namespaces?view=table&q={namespace}")
    data = table["data"]
    assert [c["name"] for c in data["columns"]][:2] == ["Name", "Status"]
    assert [r["name"] for r in data["rows"]] == [namespace]
    assert data["rows"][0]["cells"][0] == namespace
    assert table["meta"]["total"] == 1
    assert data["rows"][0]["namespace"] is None
    document = await openapi_document(admin.client)
    assert schema_problems(data, documented_data(document, "GET", "/clusters/{id}/resources/{resource}")) == []


async def test_paging_sort_and_limit_continue(admin: ApiSession, cid: int, namespace: str) -> None:
    base = f"/clusters/{cid}/resources/configmaps"
    await asyncio.gather(*(admin.ok("POST", f"{base}?namespace={namespace}", json=configmap(f"cm-{i:02d}", namespace))
                           for i in range(12)))
    page2 = await admin.call("GET", f"{base}?namespace={namespace}&q=cm-&sort=-name&page=2&pageSize=5")
    assert [o["metadata"]["name"] for o in page2["data"]] == [f"cm-{i:02d}" for i in (6, 5, 4, 3, 2)]
    assert page2["meta"]["total"] == 12
    first = await admin.call("GET", f"{base}?namespace={namespace}&limit=5")
    assert len(first["data"]) == 5 and first["meta"]["continue"]
    seen = [o["metadata"]["name"] for o in first["data"]]
    token = first["meta"]["continue"]
    while token:
        more = await admin.call("GET", f"{base}?namespace={namespace}&limit=5&continue={token}")
        seen += [o["metadata"]["name"] for o in more["data"]]
        token = more["meta"].get("continue")
    assert len([n for n in seen if n.startswith("cm-")]) == 12
    assert more["meta"]["continue"] is None
    meta_schema = (await openapi_document(admin.client))["components"]["schemas"]["Envelope"]["properties"]["meta"]
    assert schema_problems(more["meta"], meta_schema, "meta") == []


async def test_delete_with_propagation_policy(admin: ApiSession, cid: int, namespace: str) -> None:
    base = f"/clusters/{cid}/resources/configmaps"
    await admin.ok("POST", f"{base}?namespace={namespace}", json=configmap("gone", namespace))
    await admin.fails("DELETE", f"{base}/gone?namespace={namespace}&propagationPolicy=Sideways", 40002)
    await admin.ok("DELETE", f"{base}/gone?namespace={namespace}&propagationPolicy=Background")
    await admin.fails("GET", f"{base}/gone?namespace={namespace}", 40400)
