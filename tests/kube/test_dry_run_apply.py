"""Dry-run diff, multi-document server-side apply and YAML parse errors."""

from __future__ import annotations

import pytest

from tests.helpers import ApiSession
from tests.kube.conftest import configmap


async def test_dry_run_update_diff(admin: ApiSession, cid: int, namespace: str) -> None:
    base = f"/clusters/{cid}/resources/configmaps"
    current = await admin.ok("POST", f"{base}?namespace={namespace}", json=configmap("d1", namespace, color="blue"))
    current["data"]["color"] = "green"
    result = await admin.ok("PUT", f"{base}/d1/dry-run?namespace={namespace}", json=current)
    assert result["valid"] is True and result["causes"] == []
    assert "-  color: blue" in result["diff"] and "+  color: green" in result["diff"]
    assert "managedFields" not in result["diff"] and "resourceVersion" not in result["diff"]
    assert result["proposed"]["data"]["color"] == "green"
    # Nothing was written.
    assert (await admin.ok("GET", f"{base}/d1?namespace={namespace}"))["data"]["color"] == "blue"


async def test_dry_run_create_and_invalid(admin: ApiSession, cid: int, namespace: str) -> None:
    base = f"/clusters/{cid}/resources/configmaps"
    ok = await admin.ok("POST", f"{base}/dry-run?namespace={namespace}", json=configmap("new1", namespace, a="b"))
    assert ok["valid"] and ok["current"] is None and "+  a: b" in ok["diff"]
    await admin.fails("GET", f"{base}/new1?namespace={namespace}", 40400)
    bad = await admin.ok("POST", f"{base}/dry-run?namespace={namespace}", json=configmap("Bad_Name", namespace))
    assert bad["valid"] is False and bad["causes"]


APPLY = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: applied-1
data:
  x: "1"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: Bad_Name
---
apiVersion: example.invalid/v1
kind: Nothing
metadata:
  name: n
"""


async def test_apply_multi_document(admin: ApiSession, cid: int, namespace: str) -> None:
    dry = await admin.ok("POST", f"/clusters/{cid}/apply", json={"yaml": APPLY, "namespace": namespace, "dryRun": True})
    assert [r["code"] for r in dry] == [0, 42201, 40002]
    await admin.fails("GET", f"/clusters/{cid}/resources/configmaps/applied-1?namespace={namespace}", 40400)

    results = await admin.ok("POST", f"/clusters/{cid}/apply", json={"yaml": APPLY, "namespace": namespace})
    assert results[0]["code"] == 0 and results[0]["namespace"] == namespace and results[0]["line"] == 1
    assert results[1]["line"] == 8
    got = await admin.ok("GET", f"/clusters/{cid}/resources/configmaps/applied-1?namespace={namespace}")
    assert got["data"] == {"x": "1"}
    again = await admin.ok("POST", f"/clusters/{cid}/apply",
                           json={"yaml": APPLY.replace('x: "1"', 'x: "2"'), "namespace": namespace})
    assert again[0]["code"] == 0
    got = await admin.ok("GET", f"/clusters/{cid}/resources/configmaps/applied-1?namespace={namespace}")
    assert got["data"] == {"x": "2"}


async def test_bad_yaml_42200_with_position(admin: ApiSession, cid: int) -> None:
    body = await admin.fails("POST", f"/clusters/{cid}/apply", 42200,
                             json={"yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n"})
    assert body["data"]["line"] == 4 and "line 4" in body["message"]
    await admin.fails("POST", f"/clusters/{cid}/apply", 40001, json={"yaml": "   "})
    await admin.fails("POST", f"/clusters/{cid}/apply", 42200, json={"yaml": "---\n---\n"})


@pytest.mark.parametrize(("document", "message"), [
    ("apiVersion: 5\nkind: ConfigMap\nmetadata: {name: a}\n", "needs apiVersion and kind"),
    ("apiVersion: v1\nkind: [ConfigMap]\nmetadata: {name: a}\n", "needs apiVersion and kind"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: 3}\n", "needs metadata.name"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: [x]}\n", "metadata.namespace must be a string"),
])
async def test_apply_document_with_mistyped_fields_is_42200(admin: ApiSession, cid: int, namespace: str,
                                                            document: str, message: str) -> None:
    results = await admin.ok("POST", f"/clusters/{cid}/apply", json={"yaml": document, "namespace": namespace})
    assert len(results) == 1 and results[0]["code"] == 42200
    assert message in results[0]["message"]


HPA_V2BETA2 = """\
apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 4
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
---
apiVersion: apps/v1beta1
kind: Deployment
metadata:
  name: ancient
"""


async def test_apply_uses_the_documents_own_version(admin: ApiSession, cid: int, namespace: str) -> None:
    """autoscaling/v2beta2 is served beside the preferred autoscaling/v1; apps/v1beta1 is not served at all."""
    results = await admin.ok("POST", f"/clusters/{cid}/apply", json={"yaml": HPA_V2BETA2, "namespace": namespace})
    assert results[0]["code"] == 0, results[0]
    assert results[1]["code"] == 40002 and "does not serve apps/v1beta1 Deployment" in results[1]["message"]
    hpa = await admin.ok("GET", f"/clusters/{cid}/resources/horizontalpodautoscalers/web?namespace={namespace}")
    assert hpa["spec"]["maxReplicas"] == 4
    kinds = {k["name"]: k for k in await admin.ok("GET", f"/clusters/{cid}/kinds")}
    assert kinds["horizontalpodautoscalers"]["apiVersion"] == "autoscaling/v1"  # reads stay on the preferred one
