"""A CRD created in the test is discovered, browsed and edited through the API."""

from __future__ import annotations

import asyncio
import uuid

from tests.helpers import ApiSession


def crd(group: str) -> dict:
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {
            "group": group, "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wdg"]},
            "versions": [{"name": "v1alpha1", "served": True, "storage": False,
                          "schema": {"openAPIV3Schema": {"type": "object",
                                                         "x-kubernetes-preserve-unknown-fields": True}}},
                         {"name": "v1", "served": True, "storage": True,
                          "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                              "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}}],
        },
    }


async def test_crd_browse_and_edit(admin: ApiSession, cid: int, namespace: str) -> None:
    group = f"kv{uuid.uuid4().hex[:6]}.example.com"
    await admin.ok("POST", f"/clusters/{cid}/resources/customresourcedefinitions", json=crd(group))
    try:
        for _ in range(100):  # established within seconds; discovery is re-read at most every 5 s
            kinds = await admin.ok("GET", f"/clusters/{cid}/kinds")
            found = [k for k in kinds if k["group"] == group]
            if found:
                break
            await asyncio.sleep(0.2)
        else:
            raise AssertionError("CRD never discovered")
        widget_kind = found[0]
        assert widget_kind["custom"] and widget_kind["category"] == "custom"
        assert widget_kind["version"] == "v1", "the preferred version comes from discovery"
        crds = await admin.ok("GET", f"/clusters/{cid}/crds")
        assert any(c["group"] == group and c["storageVersion"] == "v1" for c in crds)

        base = f"/clusters/{cid}/resources/{widget_kind['name']}"
        body = {"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": "w1"}, "spec": {"size": 1}}
        for _ in range(50):  # the new endpoint may answer 404 for a moment after discovery
            response = await admin.call("POST", f"{base}?namespace={namespace}", json=body)
            if response["code"] == 0:
                break
            await asyncio.sleep(0.2)
        assert response["code"] == 0, response
        patched = await admin.ok("PATCH", f"{base}/w1?namespace={namespace}",
                                 json={"type": "merge", "patch": {"spec": {"size": 3}}})
        assert patched["spec"]["size"] == 3
        listed = await admin.ok("GET", f"/clusters/{cid}/resources/widgets.{group}?namespace={namespace}&view=table")
        assert [r["name"] for r in listed["rows"]] == ["w1"]
        bad = await admin.fails("PATCH", f"{base}/w1?namespace={namespace}", 42201,
                                json={"type": "merge", "patch": {"spec": {"size": "big"}}})
        assert "size" in bad["message"]
        await admin.ok("DELETE", f"{base}/w1?namespace={namespace}")
    finally:
        await admin.call("DELETE", f"/clusters/{cid}/resources/customresourcedefinitions/widgets.{group}")
