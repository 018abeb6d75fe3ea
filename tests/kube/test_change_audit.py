"""Every change to a Kubernetes object is audited exactly once with its outcome: a change the access scope
refuses (40300 by role, 40302 by namespace grant), a malformed one (40002) and one Kubernetes refuses each leave one
row with that code; a change that lands leaves one row with 0; each item of a batch has its own row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.envtest.namespaces import create_namespace_sync, delete_namespace_sync
from tests.helpers import ApiSession
from tests.kube.conftest import configmap, make_user

MERGE_LABEL = {"type": "merge", "patch": {"metadata": {"labels": {"audited": "yes"}}}}


@pytest.fixture
def other(control_plane) -> Iterator[str]:
    """A second namespace, outside the grants of the namespace-limited user."""
    name = create_namespace_sync(control_plane.server_url, control_plane.admin_token)
    yield name
    delete_namespace_sync(control_plane.server_url, control_plane.admin_token, name)


async def rows_about(admin: ApiSession, name: str) -> list[tuple[Any, ...]]:
    """(action, username, namespace, resource, code) of every audit row naming the object `name`, oldest first."""
    entries = await admin.ok("GET", "/audit-logs?pageSize=500")
    return [(e["action"], e["username"], e["namespace"], e["resource"], e["code"])
            for e in reversed(entries) if e["name"] == name]


async def test_changes_refused_to_a_readonly_user_leave_one_row_each_with_the_refusal_code(
        admin: ApiSession, cid: int, namespace: str) -> None:
    base = f"/clusters/{cid}/resources/configmaps"
    await admin.ok("POST", f"{base}?namespace={namespace}", json=configmap("kept", namespace))
    readonly = await make_user(admin, "ro-audit", "readonly")
    await readonly.fails("POST", f"{base}?namespace={namespace}", 40300, json=configmap("refused", namespace))
    await readonly.fails("PATCH", f"{base}/kept?namespace={namespace}", 40300, json=MERGE_LABEL)
    await readonly.fails("DELETE", f"{base}/kept?namespace={namespace}", 40300)

    assert await rows_about(admin, "refused") == [("resource.create", "ro-audit", namespace, "configmaps", 40300)]
    assert await rows_about(admin, "kept") == [
        ("resource.create", "admin", namespace, "configmaps", 0),
        ("resource.patch", "ro-audit", namespace, "configmaps", 40300),
        ("resource.delete", "ro-audit", namespace, "configmaps", 40300),
    ]
    assert "audited" not in ((await admin.ok("GET", f"{base}/kept?namespace={namespace}"))["metadata"]
                             .get("labels") or {})


async def test_changes_outside_the_namespace_grants_leave_one_row_each_with_40302(
        admin: ApiSession, cid: int, namespace: str, other: str) -> None:
    base = f"/clusters/{cid}/resources/configmaps"
    await admin.ok("POST", f"{base}?namespace={other}", json=configmap("theirs", other))
    ops = await make_user(admin, "ops-audit", "ops", namespaces=[namespace])
    await ops.fails("POST", f"{base}?namespace={other}", 40302, json=configmap("sneaked", other))
    # The namespace of the manifest is checked as well as the one of the URL.
    await ops.fails("POST", f"{base}?namespace={namespace}", 40002, json=configmap("sneaked-by-body", other))
    await ops.fails("PATCH", f"{base}/theirs?namespace={other}", 40302, json=MERGE_LABEL)
    await ops.fails("DELETE", f"{base}/theirs?namespace={other}", 40302)

    assert await rows_about(admin, "sneaked") == [("resource.create", "ops-audit", other, "configmaps", 40302)]
    assert await rows_about(admin, "sneaked-by-body") == [
        ("resource.create", "ops-audit", namespace, "configmaps", 40002)]
    assert await rows_about(admin, "theirs") == [
        ("resource.create", "admin", other, "configmaps", 0),
        ("resource.patch", "ops-audit", other, "configmaps", 40302),
        ("resource.delete", "ops-audit", other, "configmaps", 40302),
    ]
    # The limited user's own refusals are in the part of the audit log it may read.
    own = await ops.ok("GET", "/audit-logs?action=resource.patch")
    assert [(e["name"], e["code"]) for e in own] == [("theirs", 40302)]


async def test_successful_changes_leave_one_row_each_with_0(admin: ApiSession, cid: int, namespace: str) -> None:
    base = f"/clusters/{cid}/resources/configmaps"
    dev = await make_user(admin, "dev-ok", "dev", namespaces=[namespace])
    await dev.ok("POST", f"{base}?namespace={namespace}", json=configmap("landed", namespace))
    await dev.ok("PATCH", f"{base}/landed?namespace={namespace}", json=MERGE_LABEL)
    await dev.ok("DELETE", f"{base}/landed?namespace={namespace}")
    assert await rows_about(admin, "landed") == [
        ("resource.create", "dev-ok", namespace, "configmaps", 0),
        ("resource.patch", "dev-ok", namespace, "configmaps", 0),
        ("resource.delete", "dev-ok", namespace, "configmaps", 0),
    ]


async def test_malformed_and_kubernetes_refused_changes_leave_one_row_each(admin: ApiSession, cid: int,
                                                                          namespace: str) -> None:
    base = f"/clusters/{cid}/resources/configmaps"
    await admin.ok("POST", f"{base}?namespace={namespace}", json=configmap("shaped", namespace))
    await admin.fails("PATCH", f"{base}/shaped?namespace={namespace}", 40002,
                      json={"type": "merge", "patch": ["not", "an", "object"]})
    await admin.fails("DELETE", f"{base}/shaped?namespace={namespace}&propagationPolicy=Sometimes", 40002)
    await admin.fails("POST", f"{base}?namespace={namespace}", 40002, json={"metadata": "not-an-object"})
    await admin.fails("POST", f"{base}?namespace={namespace}", 40900, json=configmap("shaped", namespace))
    await admin.fails("PATCH", f"{base}/absent?namespace={namespace}", 40400, json=MERGE_LABEL)

    assert await rows_about(admin, "shaped") == [
        ("resource.create", "admin", namespace, "configmaps", 0),
        ("resource.patch", "admin", namespace, "configmaps", 40002),
        ("resource.delete", "admin", namespace, "configmaps", 40002),
        ("resource.create", "admin", namespace, "configmaps", 40900),
    ]
    assert await rows_about(admin, "absent") == [("resource.patch", "admin", namespace, "configmaps", 40400)]
    nameless = [(e["action"], e["code"]) for e in await admin.ok("GET", "/audit-logs?action=resource.create")
                if e["name"] is None]
    assert nameless == [("resource.create", 40002)]  # the body without metadata names no object


async def test_each_batch_item_and_each_applied_document_has_its_own_row(admin: ApiSession, cid: int,
                                                                        namespace: str) -> None:
    base = f"/clusters/{cid}/resources/configmaps"
    await admin.ok("POST", f"{base}?namespace={namespace}", json=configmap("batched", namespace))
    readonly = await make_user(admin, "ro-batch", "readonly")
    items = [{"resource": "configmaps", "namespace": namespace, "name": name} for name in ("batched", "unbatched")]
    refused = await readonly.ok("POST", f"/clusters/{cid}/resources/batch-delete", json={"items": items})
    assert [r["code"] for r in refused] == [40300, 40300]
    done = await admin.ok("POST", f"/clusters/{cid}/resources/batch-delete", json={"items": items})
    assert [r["code"] for r in done] == [0, 40400]
    assert await rows_about(admin, "batched") == [
        ("resource.create", "admin", namespace, "configmaps", 0),
        ("resource.delete", "ro-batch", namespace, "configmaps", 40300),
        ("resource.delete", "admin", namespace, "configmaps", 0),
    ]
    assert await rows_about(admin, "unbatched") == [
        ("resource.delete", "ro-batch", namespace, "configmaps", 40300),
        ("resource.delete", "admin", namespace, "configmaps", 40400),
    ]

    document = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: {namespace}\n"
    await readonly.fails("POST", f"/clusters/{cid}/apply", 40300, json={"yaml": document})
    results = await admin.ok("POST", f"/clusters/{cid}/apply",
                             json={"yaml": document + "---\napiVersion: v1\nkind: Nothing\nmetadata:\n  name: x\n"})
    assert [r["code"] for r in results] == [0, 40002]
    await admin.ok("POST", f"/clusters/{cid}/apply", json={"yaml": document, "dryRun": True})  # dry runs: no row
    applies = [(e["username"], e["name"], e["code"])
               for e in await admin.ok("GET", "/audit-logs?action=resource.apply")]
    assert sorted(applies, key=str) == sorted([("ro-batch", None, 40300), ("admin", "applied", 0),
                                               ("admin", "x", 40002)], key=str)
