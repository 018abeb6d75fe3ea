"""Reads across several clusters: the test control plane under two names, a no-rights context, a loopback port
where nothing listens and one where nothing answers; lists, search and overview, with grants."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubevision.services.fleet import CLUSTER_PART_TIMEOUT_S
from tests.helpers import ApiSession, documented_data, openapi_document, schema_problems
from tests.kube.conftest import cluster_id, make_user
from tests.kube.test_watch import RECEIVE_TIMEOUT_S, events_until, open_watch

TWIN, REFUSED, SILENT = "envtest-twin", "loopback-refused", "loopback-silent"
SEARCH_TRIES = 40


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections (the kernel completes them) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


@pytest.fixture
def refused_port() -> int:
    """A loopback port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def settings_overrides(tmp_path: Path, control_plane, admin_kubeconfig: str, nobody_kubeconfig: str,
                       silent_port: int, refused_port: int) -> dict[str, Any]:
    """Five contexts: admin, nobody, the same control plane again as admin, and two dead loopback ports."""
    servers = {TWIN: control_plane.server_url, REFUSED: f"https://127.0.0.1:{refused_port}",
               SILENT: f"https://127.0.0.1:{silent_port}"}
    config = {
        "apiVersion": "v1", "kind": "Config", "preferences": {}, "current-context": TWIN,
        "clusters": [{"name": name, "cluster": {"server": server, "insecure-skip-tls-verify": True}}
                     for name, server in servers.items()],
        "users": [{"name": "fleet-admin", "user": {"token": control_plane.admin_token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": "fleet-admin"}} for name in servers],
    }
    path = tmp_path / "fleet.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return {"kubeconfig": os.pathsep.join((admin_kubeconfig, nobody_kubeconfig, str(path)))}


def service(name: str, namespace: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
            "spec": {"ports": [{"port": 80}]}}


def parts(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {part["name"]: part for part in data["clusters"]}


async def test_a_list_across_clusters_keeps_each_clusters_answer_apart(admin: ApiSession, namespace: str) -> None:
    cid, twin = await cluster_id(admin, "envtest-admin"), await cluster_id(admin, TWIN)
    for name in ("fleet-b", "fleet-a"):
        await admin.ok("POST", f"/clusters/{cid}/resources/services?namespace={namespace}",
                       json=service(name, namespace))
    body = await admin.call("GET", f"/resources/services?namespace={namespace}&view=table&sort=name")
    data = body["data"]
    by_name = parts(data)
    assert set(by_name) == {"envtest-admin", "envtest-nobody", TWIN, REFUSED, SILENT}
    assert by_name["envtest-admin"]["code"] == 0 and by_name[TWIN]["code"] == 0
    assert by_name["envtest-admin"]["total"] == 2 == by_name[TWIN]["total"]
    assert by_name["envtest-nobody"]["code"] == 40300  # Kubernetes RBAC refuses that context: its own error
    assert by_name[REFUSED]["code"] == 50200 and by_name[REFUSED]["total"] is None
    assert by_name[SILENT]["code"] == 50200
    assert f"within {CLUSTER_PART_TIMEOUT_S:.0f} s" in by_name[SILENT]["message"]
    assert data["columns"][0] == {"id": "cluster", "name": "Cluster", "type": "text", "priority": 0}
    # Merged in the sort order, ties broken by cluster name: each object once per cluster that has it.
    assert [(row["cells"][0], row["cells"][1]) for row in data["rows"]] == [
        ("envtest-admin", "fleet-a"), (TWIN, "fleet-a"), ("envtest-admin", "fleet-b"), (TWIN, "fleet-b")]
    assert [row["cluster"] for row in data["rows"]] == [cid, twin, cid, twin]
    assert body["meta"]["total"] == 4
    document = await openapi_document(admin.client)
    assert schema_problems(data, documented_data(document, "GET", "/resources/{resource}")) == []

    # Named clusters, another order, and a page of the merged rows.
    named = await admin.ok("GET", f"/resources/services?clusters={twin},{cid}&namespace={namespace}&view=table"
                                  f"&sort=-cluster&page=2&pageSize=2")
    assert set(parts(named)) == {"envtest-admin", TWIN}
    # The cluster that did not answer now counts as unreachable (so the next read gives it the short deadline).
    statuses = {cluster["name"]: cluster["status"] for cluster in await admin.ok("GET", "/clusters")}
    assert statuses[SILENT] == "unreachable"
    again = parts(await admin.ok("GET", f"/resources/services?namespace={namespace}&view=table"))
    assert again[SILENT]["code"] == 50200 and again[TWIN]["code"] == 0
    assert [(row["cells"][0], row["cells"][1]) for row in named["rows"]] == [
        ("envtest-admin", "fleet-b"), ("envtest-admin", "fleet-a")]
    objects = await admin.ok("GET", f"/resources/services?clusters={cid},{twin}&namespace={namespace}&pageSize=3")
    assert [(item["cluster"], item["object"]["metadata"]["name"]) for item in objects["items"]] == [
        (cid, "fleet-a"), (twin, "fleet-a"), (cid, "fleet-b")]
    assert schema_problems(objects, documented_data(document, "GET", "/resources/{resource}")) == []


async def test_bad_input_and_grants_across_clusters(admin: ApiSession, namespace: str) -> None:
    cid, twin = await cluster_id(admin, "envtest-admin"), await cluster_id(admin, TWIN)
    await admin.fails("GET", "/resources/services?clusters=1,x", 40002)
    await admin.fails("GET", "/resources/services?clusters=999", 40402)
    await admin.fails("GET", f"/resources/services?clusters={cid}&limit=5", 40002)
    # The same refusal from every cluster is the request's own error, not a part.
    await admin.fails("GET", f"/resources/services?clusters={cid},{twin}&sort=nonsense", 40002)
    await admin.fails("GET", f"/resources/nonsense?clusters={cid},{twin}", 40002)

    limited = await make_user(admin, "one-cluster", "readonly", clusters=[cid], namespaces=[namespace])
    seen = await limited.ok("GET", "/resources/services?view=table")
    assert set(parts(seen)) == {"envtest-admin"}
    await limited.fails("GET", f"/resources/services?clusters={cid},{twin}", 40301)
    await limited.fails("GET", "/resources/nodes?view=table", 40302)  # cluster-scoped: every part refuses


async def test_search_and_overview_across_clusters(admin: ApiSession, namespace: str) -> None:
    cid, twin = await cluster_id(admin, "envtest-admin"), await cluster_id(admin, TWIN)
    await admin.ok("POST", f"/clusters/{cid}/resources/services?namespace={namespace}",
                   json=service("fleet-findme", namespace))
    for _ in range(SEARCH_TRIES):  # a cache learns of the new Service from its watch, a moment later
        found = await admin.ok("GET", "/search?q=fleet-findme&kinds=services")
        if len(found["results"]) == 2:
            break
        await asyncio.sleep(0.25)
    assert sorted((r["clusterName"], r["name"]) for r in found["results"]) == [
        ("envtest-admin", "fleet-findme"), (TWIN, "fleet-findme")]
    assert {r["cluster"] for r in found["results"]} == {cid, twin}
    assert parts(found)[REFUSED]["code"] == 50200
    document = await openapi_document(admin.client)
    assert schema_problems(found, documented_data(document, "GET", "/search")) == []
    await admin.fails("GET", f"/search?clusters={cid},{twin}&q=", 40001)

    overview = await admin.ok("GET", f"/overview?clusters={cid},{twin}")
    each = {part["name"]: part["overview"]["counts"]["services"] for part in overview["clusters"]}
    assert each["envtest-admin"] == each[TWIN] >= 1
    assert overview["totals"]["counts"]["services"] == 2 * each[TWIN]
    assert schema_problems(overview, documented_data(document, "GET", "/overview")) == []
    # Nodes, pods and resources add up too (the twin is the same control plane: each total is twice its part).
    one, totals = overview["clusters"][0]["overview"], overview["totals"]
    assert totals["nodes"] == {key: 2 * value for key, value in one["nodes"].items()}
    assert totals["workloads"]["pods"]["total"] == 2 * one["workloads"]["pods"]["total"]
    cpu = totals["resources"]["cpu"]
    assert cpu["unit"] == "cores" and cpu["requests"] == 2 * one["resources"]["cpu"]["requests"]
    assert totals["podPhases"]["Running"] == 2 * one["podPhases"]["Running"]
    # No cluster answers: every total but the counts is null, and the answer still matches the document.
    nothing = await admin.ok("GET", f"/overview?clusters={await cluster_id(admin, REFUSED)}")
    assert nothing["clusters"][0]["code"] == 50200 and nothing["totals"]["counts"] == {}
    assert nothing["totals"]["nodes"] is None and nothing["totals"]["resources"] is None
    assert schema_problems(nothing, documented_data(document, "GET", "/overview")) == []


async def test_a_silent_cluster_holds_up_no_other_subscription(admin: ApiSession, namespace: str) -> None:
    """One socket, a subscription to the cluster where nothing answers, then one to a cluster that does: the
    second is served (and pings answered) while the first is still waiting; dropping the first ends its wait."""
    silent, cid = await cluster_id(admin, SILENT), await cluster_id(admin, "envtest-admin")
    ws = await open_watch(admin)
    try:
        await ws.send_json({"op": "subscribe", "id": "silent", "cluster": silent, "resource": "services"})
        await ws.send_json({"op": "subscribe", "id": "answers", "cluster": cid, "resource": "services",
                            "namespace": namespace})
        await ws.send_json({"op": "ping", "id": "p"})
        seen = [await ws.receive_json(timeout=RECEIVE_TIMEOUT_S) for _ in range(2)]
        assert sorted(message["type"] for message in seen) == ["pong", "subscribed"]
        assert next(message for message in seen if message["type"] == "subscribed")["sub"] == "answers"
        await admin.ok("POST", f"/clusters/{cid}/resources/services?namespace={namespace}",
                       json=service("fleet-live", namespace))
        events = await events_until(ws, lambda event: event["name"] == "fleet-live")
        assert {event["type"] for event in events if event["name"] == "fleet-live"} == {"ADDED"}
        await ws.send_json({"op": "unsubscribe", "id": "silent"})
    finally:
        await ws.close()
