"""Custom resources get their CRD's printer columns (`additionalPrinterColumns`), compared cell by cell with
the API server's own Table (`as=Table`) on the real control plane, for cached and live reads; a CRD update
that adds a column reaches both without a restart (the CRD watch rediscovers); sorting follows column types.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import Any

import pytest

from tests.envtest.controlplane import ControlPlane
from tests.helpers import ApiSession, wait_until
from tests.kube.test_tables_reference import cell_problem, server_table

GROUP = "kvcolumns.example.com"
PLURAL = "gizmos"
CRD_NAME = f"{PLURAL}.{GROUP}"
CRD_PATH = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{CRD_NAME}"
SETTLE_TIMEOUT_S = 40
OUR_TYPES = {"string": "text", "integer": "number", "number": "number", "boolean": "boolean", "date": "age"}
COLUMNS = [
    {"name": "Size", "type": "integer", "format": "int32", "jsonPath": ".spec.size"},
    {"name": "Ratio", "type": "number", "jsonPath": ".spec.ratio", "description": "how much"},
    {"name": "Enabled", "type": "boolean", "jsonPath": ".spec.enabled"},
    {"name": "Owner", "type": "string", "jsonPath": ".spec.owner"},
    {"name": "Tags", "type": "string", "jsonPath": ".spec.tags"},
    {"name": "First Tag", "type": "string", "jsonPath": ".spec.tags[*]"},
    {"name": "Last Tag", "type": "string", "jsonPath": ".spec.tags[-1]", "priority": 1},
    {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
    {"name": "Started", "type": "date", "format": "date-time", "jsonPath": ".status.startedAt"},
    {"name": "Big", "type": "string", "jsonPath": ".spec.big", "priority": 1},
    {"name": "Meta", "type": "string", "jsonPath": ".spec.meta", "priority": 1},
    {"name": "App", "type": "string", "jsonPath": ".metadata.labels.app\\.kubernetes\\.io/name", "priority": 2},
    {"name": "Missing", "type": "integer", "jsonPath": ".spec.nothing.here"},
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
]
ADDED_COLUMN = {"name": "Color", "type": "string", "jsonPath": ".spec.color"}


def crd(columns: list[dict[str, Any]]) -> dict[str, Any]:
    """A namespaced CRD that keeps unknown fields (nulls and wrong types reach the printer) with `columns`."""
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": CRD_NAME},
        "spec": {"group": GROUP, "scope": "Namespaced",
                 "names": {"plural": PLURAL, "singular": "gizmo", "kind": "Gizmo"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": schema,
                               "additionalPrinterColumns": columns}]},
    }


def gizmo(name: str, spec: dict[str, Any], status: dict[str, Any] | None = None, **labels: str) -> dict[str, Any]:
    return {"apiVersion": f"{GROUP}/v1", "kind": "Gizmo", "metadata": {"name": name, "labels": labels},
            "spec": spec, **({"status": status} if status else {})}


def _ago(seconds: int) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


GIZMOS = [
    gizmo("g-full", {"size": 3, "ratio": 1.5, "enabled": True, "owner": "ana", "tags": ["a", "b<c>"], "big": 1234567.5,
                     "meta": {"z": 1, "a": [True, None]}, "color": "blue"},
          {"startedAt": _ago(7200), "conditions": [{"type": "Synced", "status": "False"},
                                                   {"type": "Ready", "status": "True"}]},
          **{"app.kubernetes.io/name": "shop"}),
    gizmo("g-empty", {}),
    # Wrong types: the server prints nothing, truncates, converts, or prints `<invalid>` / `<no value>`.
    gizmo("g-odd", {"size": 2.7, "ratio": 3, "enabled": "yes", "owner": None, "tags": [], "big": 0.00001,
                    "meta": [1, "x"]},
          {"startedAt": "yesterday", "conditions": [{"type": "Ready"}]}),
    gizmo("g-zero", {"size": -1, "ratio": -0.25, "enabled": False, "owner": 42, "tags": ["only"], "big": True},
          {"startedAt": "0001-01-01T00:00:00Z"}),
    gizmo("g-late", {"size": 10, "ratio": 0.5, "enabled": True, "owner": "bo", "tags": "not-a-list"},
          {"startedAt": _ago(90).replace("Z", "+00:00")}),
]


def _cell_problem(column: dict[str, Any], server: Any, ours: Any, *, fetched_at: float) -> str | None:
    if column["type"] == "age" and server in (None, "<invalid>"):  # no date, or a string that is not RFC 3339
        return None if ours == server else f"server {server!r}, ours {ours!r}"
    return cell_problem(column, server, ours, fetched_at=fetched_at)


async def compare_with_server(admin: ApiSession, cid: int, control_plane: ControlPlane, namespace: str, *,
                              live: bool, headers: list[str]) -> None:
    """Our `view=table` (cached, or live through a field selector) against the server's Table at the same object
    versions, once the server prints `headers`: column facts and every cell."""
    query = {"view": "table", "pageSize": "all", "namespace": namespace}
    if live:
        query["fieldSelector"] = f"metadata.namespace={namespace}"
    url = f"/clusters/{cid}/resources/{PLURAL}?{urllib.parse.urlencode(query)}"

    async def settled() -> tuple[dict[str, Any], dict[str, Any], float] | None:
        answer = await admin.call("GET", url)
        ours, fetched_at = answer["data"], dt.datetime.now(dt.UTC).timestamp()
        if (answer["meta"].get("source") == "cache") is live:
            return None
        server = server_table(control_plane, f"/apis/{GROUP}/v1/namespaces/{namespace}/{PLURAL}")
        versions = {row["name"]: row["resourceVersion"] for row in ours["rows"]}
        if [c["name"] for c in server["columnDefinitions"]] != headers or \
                [c["name"] for c in ours["columns"] if c["name"] != "Namespace"] != headers:
            return None
        if any(versions.get(row["object"]["metadata"]["name"]) != row["object"]["metadata"]["resourceVersion"]
               for row in server["rows"]) or len(versions) != len(server["rows"]):
            return None
        return ours, server, fetched_at
    ours, server, fetched_at = await wait_until(settled, timeout_s=SETTLE_TIMEOUT_S, interval_s=0.3,
                                                what=f"{'live' if live else 'cached'} rows with columns {headers}")
    by_header = {c["name"]: (i, c) for i, c in enumerate(ours["columns"])}
    for definition in server["columnDefinitions"][1:]:
        column = by_header[definition["name"]][1]
        assert column["type"] == OUR_TYPES[definition["type"]], definition
        assert column["priority"] == definition["priority"], definition
        assert column.get("format", "") == definition["format"], definition
        assert column["description"] == definition["description"], definition
    rows = {row["name"]: row for row in ours["rows"]}
    problems = []
    for row in server["rows"]:
        name = row["object"]["metadata"]["name"]
        for definition, server_cell in zip(server["columnDefinitions"], row["cells"], strict=True):
            index, column = by_header[definition["name"]]
            problem = _cell_problem(column, server_cell, rows[name]["cells"][index], fetched_at=fetched_at)
            if problem:
                problems.append(f"{'live' if live else 'cached'} {name} {definition['name']}: {problem}")
    assert not problems, "\n".join(problems)


async def sorted_names(admin: ApiSession, cid: int, namespace: str, sort: str, *, live: bool) -> list[str]:
    query = {"view": "table", "pageSize": "all", "namespace": namespace, "sort": sort}
    if live:
        query["fieldSelector"] = f"metadata.namespace={namespace}"
    table = await admin.ok("GET", f"/clusters/{cid}/resources/{PLURAL}?{urllib.parse.urlencode(query)}")
    return [row["name"] for row in table["rows"]]


@pytest.mark.parametrize("settings_overrides", [{"cached_kinds": PLURAL}], indirect=True)
async def test_crd_printer_columns(admin: ApiSession, cid: int, control_plane: ControlPlane, namespace: str) -> None:
    control_plane.request("DELETE", CRD_PATH)  # a leftover of an interrupted run
    await wait_until(lambda: _absent(control_plane), timeout_s=60, what="no leftover CRD")
    status, answer = control_plane.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                                           crd(COLUMNS))
    assert status == 201, answer
    try:
        async def discovered() -> dict[str, Any] | None:
            kinds = await admin.ok("GET", f"/clusters/{cid}/kinds")
            return next((k for k in kinds if k["group"] == GROUP), None)
        kind = await wait_until(discovered, timeout_s=30, interval_s=0.3, what="the CRD's kind")
        declared = [c["name"] for c in COLUMNS]
        assert [c["name"] for c in kind["columns"]] == ["Name", "Namespace", *declared], "no Age added: declared"
        size = next(c for c in kind["columns"] if c["name"] == "Size")
        assert size["id"] == "size" and size["type"] == "number" and size["format"] == "int32"
        assert next(c for c in kind["columns"] if c["name"] == "First Tag")["id"] == "firstTag"

        async def created() -> bool:
            for body in GIZMOS:
                response = await admin.call("POST", f"/clusters/{cid}/resources/{PLURAL}?namespace={namespace}",
                                            json=body)
                if response["code"] not in (0, 40900):  # the new endpoint may 404 for a moment
                    return False
            return True
        await wait_until(created, timeout_s=30, interval_s=0.3, what="gizmos created")

        for live in (False, True):
            await compare_with_server(admin, cid, control_plane, namespace, live=live, headers=["Name", *declared])
            # Sorting by CRD columns, by their types (empty cells first, ties by name).
            assert await sorted_names(admin, cid, namespace, "size", live=live) == \
                ["g-empty", "g-zero", "g-odd", "g-full", "g-late"]
            assert await sorted_names(admin, cid, namespace, "-ratio", live=live) == \
                ["g-odd", "g-full", "g-late", "g-zero", "g-empty"]
            assert await sorted_names(admin, cid, namespace, "enabled", live=live) == \
                ["g-empty", "g-odd", "g-zero", "g-full", "g-late"]
            # Ages: youngest first; no age and `<invalid>` sort as missing.
            assert await sorted_names(admin, cid, namespace, "started", live=live) == \
                ["g-empty", "g-odd", "g-zero", "g-late", "g-full"]

        # A CRD update adds a column while the server runs: the CRD watch rediscovers (no /kinds call here) and
        # the cached rows are recomputed from the stored objects (none of them changed).
        status, answer = control_plane.request(
            "PATCH", CRD_PATH, [{"op": "add", "path": "/spec/versions/0/additionalPrinterColumns/1",
                                 "value": ADDED_COLUMN}], content_type="application/json-patch+json")
        assert status == 200, answer
        headers = ["Name", declared[0], ADDED_COLUMN["name"], *declared[1:]]
        for live in (False, True):
            await compare_with_server(admin, cid, control_plane, namespace, live=live, headers=headers)
            assert await sorted_names(admin, cid, namespace, "-color", live=live) == \
                ["g-full", "g-zero", "g-odd", "g-late", "g-empty"]  # descending: ties by name descend too
    finally:
        control_plane.request("DELETE", CRD_PATH)


async def _absent(control_plane: ControlPlane) -> bool:
    status, _ = control_plane.request("GET", CRD_PATH)
    return status == 404
