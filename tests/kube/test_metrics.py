"""CPU and memory metrics on the real control plane: the kubelet stand-in's Summary API through the node proxy, the
sampler's numbers against the stand-in's functions of time, sums per workload and namespace, downsampling,
persistence across a restart, namespace grants, and a Kubernetes user without `nodes/proxy`."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from kubevision.app import create_app
from kubevision.config import Settings
from kubevision.kube.clusters import CLUSTERS
from tests.envtest.controlplane import ControlPlane
from tests.envtest.kubelet import (
    CPU_ANNOTATION,
    MEMORY_ANNOTATION,
    MIB,
    NODE_OVERHEAD_BYTES,
    NODE_OVERHEAD_NANOCORES,
    POD_RX_BYTES_PER_S,
    POD_TX_BYTES_PER_S,
    RESTARTS_ANNOTATION,
    KubeletStandIn,
    container_usage,
)
from tests.envtest.namespaces import create_namespace_sync, delete_namespace_sync
from tests.envtest.rbac import service_account_token
from tests.helpers import ADMIN_PASSWORD, ApiSession, wait_until
from tests.kube.conftest import make_user
from tests.kube.test_overview_rbac import kubeconfig

# A round every second and 3-second buckets, so that downsampling shows within a test.
fast = pytest.mark.parametrize("settings_overrides", [{"metrics_interval_s": 1, "metrics_bucket_s": 3}],
                               indirect=True)
NODE = "node1"
WAIT_S = 60.0


def pod_manifest(name: str, *, cpu_m: int, memory_mib: int, containers: int = 1,
                 requests: dict[str, str] | None = None) -> dict[str, Any]:
    """A pod on the stand-in's node whose containers each use `cpu_m` millicores and `memory_mib` MiB (+ sawtooth)."""
    resources = {"requests": requests, "limits": requests} if requests else {}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "annotations": {CPU_ANNOTATION: str(cpu_m), MEMORY_ANNOTATION: str(memory_mib)}},
            "spec": {"nodeName": NODE, "containers": [{"name": f"c{i}", "image": "busybox", "resources": resources}
                                                      for i in range(containers)]}}


def deployment(name: str, *, replicas: int, cpu_m: int, memory_mib: int, requests: dict[str, str]) -> dict[str, Any]:
    """A Deployment whose pods run on the stand-in's node with these usages and requests (= limits)."""
    template = pod_manifest(name, cpu_m=cpu_m, memory_mib=memory_mib, requests=requests)
    template["metadata"] = {"labels": {"app": name}, "annotations": template["metadata"]["annotations"]}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": template["metadata"], "spec": template["spec"]}}}


def usage_at(t: float, *, cpu_m: int, memory_mib: int, containers: int = 1) -> tuple[float, int]:
    """What the stand-in reports for such a pod at second `t`: (cores, bytes)."""
    pod = {"metadata": {"annotations": {CPU_ANNOTATION: str(cpu_m), MEMORY_ANNOTATION: str(memory_mib)}}}
    nanocores, working_set = container_usage(pod, int(t))
    return nanocores * containers / 1e9, working_set * containers


async def running(kubelet: KubeletStandIn, namespace: str, count: int) -> None:
    """Wait until the stand-in runs `count` pods of the namespace."""
    async def check() -> bool:
        return sum(1 for pod in kubelet.running_pods() if pod["metadata"]["namespace"] == namespace) >= count
    await wait_until(check, timeout_s=WAIT_S, interval_s=0.2, what=f"{count} running pods in {namespace}")


async def sampled(session: ApiSession, path: str, check) -> dict[str, Any]:
    """The first answer of a metrics listing that passes `check` (rounds every second)."""
    async def attempt() -> dict[str, Any] | None:
        data = await session.ok("GET", path)
        return data if check(data) else None
    return await wait_until(attempt, timeout_s=WAIT_S, interval_s=0.5, what=f"metrics at {path}")


@pytest.fixture
async def world(admin: ApiSession, cid: int, namespace: str, kubelet: KubeletStandIn) -> dict[str, Any]:
    """A Deployment `web` (2 pods: 100m + 64 MiB, requests/limits 200m/256Mi) and a two-container pod `solo`
    (each 30m + 16 MiB), running on the stand-in."""
    await admin.ok("POST", f"/clusters/{cid}/resources/deployments?namespace={namespace}",
                   json=deployment("web", replicas=2, cpu_m=100, memory_mib=64,
                                   requests={"cpu": "200m", "memory": "256Mi"}))
    await admin.ok("POST", f"/clusters/{cid}/resources/pods?namespace={namespace}",
                   json=pod_manifest("solo", cpu_m=30, memory_mib=16, containers=2))
    await running(kubelet, namespace, 3)
    return {"namespace": namespace}


def test_summary_api_through_the_node_proxy(control_plane: ControlPlane, kubelet: KubeletStandIn,
                                            namespace: str) -> None:
    status, _ = control_plane.request("POST", f"/api/v1/namespaces/{namespace}/pods",
                                      pod_manifest("probe", cpu_m=7, memory_mib=9, containers=2))
    assert status == 201

    def probe_running() -> bool:
        return any(p["metadata"]["name"] == "probe" for p in kubelet.running_pods())

    deadline = time.monotonic() + WAIT_S
    while not probe_running():
        assert time.monotonic() < deadline, "the probe pod never ran"
        time.sleep(0.2)
    status, first = control_plane.request("GET", f"/api/v1/nodes/{NODE}/proxy/stats/summary")
    assert status == 200, first
    pod = next(p for p in first["pods"] if p["podRef"] == {"name": "probe", "namespace": namespace,
                                                           "uid": p["podRef"]["uid"]})
    t = int(dt.datetime.fromisoformat(pod["cpu"]["time"].replace("Z", "+00:00")).timestamp())
    phase = t % 60
    assert [c["name"] for c in pod["containers"]] == ["c0", "c1"]
    assert pod["containers"][0]["cpu"]["usageNanoCores"] == (7 + phase) * 1_000_000
    assert pod["containers"][1]["memory"]["workingSetBytes"] == (9 + phase) * MIB
    assert pod["cpu"]["usageNanoCores"] == 2 * (7 + phase) * 1_000_000
    node = first["node"]
    assert node["nodeName"] == NODE and node["cpu"]["time"] == pod["cpu"]["time"]
    assert node["cpu"]["usageNanoCores"] == NODE_OVERHEAD_NANOCORES + sum(p["cpu"]["usageNanoCores"]
                                                                          for p in first["pods"])
    assert node["memory"]["workingSetBytes"] == NODE_OVERHEAD_BYTES + sum(p["memory"]["workingSetBytes"]
                                                                          for p in first["pods"])
    time.sleep(1.1)
    _, second = control_plane.request("GET", f"/api/v1/nodes/{NODE}/proxy/stats/summary")
    again = next(p for p in second["pods"] if p["podRef"]["name"] == "probe" and p["podRef"]["namespace"] == namespace)
    assert again["cpu"]["time"] != pod["cpu"]["time"]
    assert again["network"]["rxBytes"] > pod["network"]["rxBytes"]


@fast
async def test_sampler_numbers_and_sums_follow_the_stand_in(admin: ApiSession, cid: int, world: dict[str, Any],
                                                            kubelet: KubeletStandIn, client: TestClient) -> None:
    namespace = world["namespace"]
    pods = await sampled(admin, f"/clusters/{cid}/metrics/pods?namespace={namespace}",
                         lambda data: len(data["items"]) == 3)
    assert pods["available"] and pods["source"] == "summary" and pods["reason"] is None
    by_name = {item["name"]: item for item in pods["items"]}
    solo = by_name.pop("solo")
    cores, memory = usage_at(solo["time"], cpu_m=30, memory_mib=16, containers=2)
    assert solo["cpu"] == pytest.approx(cores) and solo["memory"] == memory
    assert [c["name"] for c in solo["containers"]] == ["c0", "c1"]
    assert solo["containers"][0]["cpu"] == pytest.approx(cores / 2)
    assert solo["workload"] is None and solo["cpuRequest"] is None and solo["cpuOfRequest"] is None
    for item in by_name.values():
        cores, memory = usage_at(item["time"], cpu_m=100, memory_mib=64)
        assert item["cpu"] == pytest.approx(cores) and item["memory"] == memory
        assert item["workload"] == {"kind": "deployments", "name": "web"}
        assert item["cpuRequest"] == 0.2 and item["memoryLimit"] == 256 * MIB
        assert item["cpuOfRequest"] == pytest.approx(100 * cores / 0.2, abs=0.1)
    # Sorted by CPU, descending, by default.
    assert [item["cpu"] for item in pods["items"]] == sorted((item["cpu"] for item in pods["items"]), reverse=True)
    # A limited page is the start of the full order, whichever the sort (only the first ones are ordered).
    for sort in ("cpu", "-cpu", "memory", "-memory", "name", "-name"):
        for _ in range(3):
            path = f"/clusters/{cid}/metrics/pods?namespace={namespace}&sort={sort}"
            full, first = await admin.ok("GET", path), await admin.ok("GET", f"{path}&limit=2")
            if full["sampledAt"] == first["sampledAt"]:
                break
        names = [(item["namespace"], item["name"]) for item in full["items"]]
        assert [(item["namespace"], item["name"]) for item in first["items"]] == names[:2], sort
        if sort.endswith("name"):
            assert names == sorted(names, reverse=sort.startswith("-"))

    workloads = await sampled(admin, f"/clusters/{cid}/metrics/deployments?namespace={namespace}",
                              lambda data: data["items"] and data["items"][0]["network"]["rxBytesPerSecond"])
    (web,) = workloads["items"]
    cores, memory = usage_at(workloads["sampledAt"], cpu_m=100, memory_mib=64)
    assert (web["kind"], web["name"], web["pods"]) == ("deployments", "web", 2)
    assert web["cpu"] == pytest.approx(2 * cores) and web["memory"] == 2 * memory
    assert web["cpuRequest"] == 0.4 and web["memoryRequest"] == 512 * MIB and web["cpuLimit"] == 0.4
    assert web["network"]["rxBytesPerSecond"] == pytest.approx(2 * 1000, rel=0.01)
    replica_sets = await admin.ok("GET", f"/clusters/{cid}/metrics/replicasets?namespace={namespace}")
    assert replica_sets["items"] == []  # their pods count under the Deployment
    await admin.fails("GET", f"/clusters/{cid}/metrics/configmaps", 40002)
    kinds = {kind["name"]: kind for kind in await admin.ok("GET", f"/clusters/{cid}/kinds")}
    assert {name for name, kind in kinds.items() if "metrics" in kind["capabilities"]} == {
        "pods", "deployments", "statefulsets", "daemonsets", "replicasets", "jobs", "nodes", "namespaces"}

    spaces = await admin.ok("GET", f"/clusters/{cid}/metrics/namespaces?sort=name")
    mine = next(item for item in spaces["items"] if item["name"] == namespace)
    web_cores, web_memory = usage_at(spaces["sampledAt"], cpu_m=100, memory_mib=64)
    solo_cores, solo_memory = usage_at(spaces["sampledAt"], cpu_m=30, memory_mib=16, containers=2)
    assert mine["pods"] == 3
    assert mine["cpu"] == pytest.approx(2 * web_cores + solo_cores)
    assert mine["memory"] == 2 * web_memory + solo_memory
    assert mine["cpuRequest"] == 0.4 and mine["cpuLimit"] is None  # solo sets no limit

    nodes = await admin.ok("GET", f"/clusters/{cid}/metrics/nodes")
    node = next(item for item in nodes["items"] if item["name"] == NODE)
    assert node["cpuAllocatable"] == 8 and node["cpuOfAllocatable"] == pytest.approx(100 * node["cpu"] / 8, abs=0.1)
    assert node["pods"] >= 3 and node["cpu"] >= 0.1 + 2 * web_cores + solo_cores - 1e-6

    # One Summary request per node per round, never one per pod.
    metrics = client.app[CLUSTERS].get(cid).metrics
    rounds, requests = metrics.rounds, kubelet.summary_requests

    async def three_more_rounds() -> bool:
        return metrics.rounds >= rounds + 3

    await wait_until(three_more_rounds, timeout_s=WAIT_S, what="3 rounds")
    assert metrics.rounds - rounds <= kubelet.summary_requests - requests <= metrics.rounds - rounds + 1

    # The pod's series: every point is the stand-in's function at that second.
    pod = next(iter(by_name))
    series = await sampled(admin, f"/clusters/{cid}/metrics/namespaces/{namespace}/pods/{pod}/series?range=15m",
                           lambda data: len(data["points"]["t"]) >= 3)
    assert series["resolutionSeconds"] == 1 and series["rangeSeconds"] == 900
    assert series["requests"] == {"cpu": 0.2, "memory": 256 * MIB} and series["limits"] == series["requests"]
    points = series["points"]
    for t, cpu, memory in zip(points["t"], points["cpu"], points["memory"], strict=True):
        if cpu is None:  # before the pod existed
            continue
        cores, expected_memory = usage_at(t, cpu_m=100, memory_mib=64)
        assert cpu == pytest.approx(cores) and memory == expected_memory


@fast
async def test_a_pods_new_owner_counts_from_the_next_rounds(admin: ApiSession, cid: int, world: dict[str, Any],
                                                            control_plane: ControlPlane) -> None:
    """Pod facts are kept between rounds per cached object: a changed pod (an owner given, then taken away) is
    counted under its new workload (or none) in the rounds after the change."""
    namespace = world["namespace"]
    status, holder = control_plane.request("POST", f"/api/v1/namespaces/{namespace}/configmaps",
                                           {"metadata": {"name": "holder"}})
    assert status == 201, holder

    def solo_workload(expected: dict[str, str] | None):
        def check(data: dict[str, Any]) -> bool:
            return any(item["name"] == "solo" and item["workload"] == expected for item in data["items"])
        return check

    listing = f"/clusters/{cid}/metrics/pods?namespace={namespace}"
    await sampled(admin, listing, solo_workload(None))
    owner = {"apiVersion": "v1", "kind": "ConfigMap", "name": "holder", "uid": holder["metadata"]["uid"],
             "controller": True}
    for references, expected in (([owner], {"kind": "configmaps", "name": "holder"}), (None, None)):
        status, patched = control_plane.request("PATCH", f"/api/v1/namespaces/{namespace}/pods/solo",
                                                {"metadata": {"ownerReferences": references}},
                                                content_type="application/merge-patch+json")
        assert status == 200, patched
        await sampled(admin, listing, solo_workload(expected))


@fast
async def test_busiest_pods_and_nodes_are_the_top_of_the_round(admin: ApiSession, cid: int,
                                                               world: dict[str, Any]) -> None:
    """`/metrics/top` answers from the sampler's latest round: compared with the full listing of the same round."""
    async def same_round() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]] | None:
        top = await admin.ok("GET", f"/clusters/{cid}/metrics/top?limit=3")
        pods = await admin.ok("GET", f"/clusters/{cid}/metrics/pods")
        nodes = await admin.ok("GET", f"/clusters/{cid}/metrics/nodes")
        return (top, pods, nodes) if top["sampledAt"] == pods["sampledAt"] == nodes["sampledAt"] else None

    await sampled(admin, f"/clusters/{cid}/metrics/pods?namespace={world['namespace']}",
                  lambda data: len(data["items"]) == 3)
    top, pods, nodes = await wait_until(same_round, timeout_s=WAIT_S, interval_s=0.1, what="answers of one round")
    assert top["available"] and top["source"] == "summary"
    for field in ("cpu", "memory"):
        busiest = sorted(pods["items"], key=lambda item: item[field], reverse=True)[:3]
        assert [item[field] for item in top["pods"][field]] == [item[field] for item in busiest]
        assert top["pods"][field][0] == busiest[0]  # the same item as in the listing
        heaviest = sorted(nodes["items"], key=lambda item: item[field], reverse=True)[:3]
        assert [item[field] for item in top["nodes"][field]] == [item[field] for item in heaviest]


@fast
async def test_network_and_restarts_over_time(admin: ApiSession, cid: int, world: dict[str, Any],
                                              control_plane: ControlPlane) -> None:
    namespace = world["namespace"]
    web = f"/clusters/{cid}/metrics/namespaces/{namespace}/deployments/web/series"

    def both_pods_rated(data: dict[str, Any]) -> bool:
        rates = [rx for rx in data["points"]["rxBytesPerSecond"] if rx is not None]
        return bool(rates) and rates[-1] == pytest.approx(2 * POD_RX_BYTES_PER_S, rel=0.01)

    series = await sampled(admin, f"{web}?range=15m", both_pods_rated)
    assert series["maxRangeSeconds"] == {"cpu": 7 * 86400, "memory": 7 * 86400, "network": 3600, "restarts": 3600}
    points = series["points"]
    assert len(points["rxBytesPerSecond"]) == len(points["txBytesPerSecond"]) == len(points["restarts"]) == len(
        points["t"])
    # Each web pod's counters grow by POD_RX_BYTES_PER_S and POD_TX_BYTES_PER_S: the Deployment's rates are twice.
    sent = [tx for tx in points["txBytesPerSecond"] if tx is not None]
    assert sent[-1] == pytest.approx(2 * POD_TX_BYTES_PER_S, rel=0.01)
    assert series["network"]["rxBytesPerSecond"] == pytest.approx(2 * POD_RX_BYTES_PER_S, rel=0.01)
    assert {restarts for restarts in points["restarts"] if restarts is not None} == {0}
    # Beyond an hour: CPU and memory from the buckets, network and restarts not kept (null, not empty).
    long = await admin.ok("GET", f"{web}?range=6h")
    assert long["points"]["rxBytesPerSecond"] is None and long["points"]["restarts"] is None
    assert long["resolutionSeconds"] == 3

    pods = await admin.ok("GET", f"/clusters/{cid}/metrics/pods?namespace={namespace}")
    pod = next(item["name"] for item in pods["items"] if item["workload"] == {"kind": "deployments", "name": "web"})
    status, body = control_plane.request("PATCH", f"/api/v1/namespaces/{namespace}/pods/{pod}",
                                         {"metadata": {"annotations": {RESTARTS_ANNOTATION: "2"}}},
                                         content_type="application/merge-patch+json")
    assert status == 200, body

    def restarted(data: dict[str, Any]) -> bool:
        counts = [count for count in data["points"]["restarts"] if count is not None]
        return bool(counts) and counts[-1] == 2

    web_after = await sampled(admin, f"{web}?range=15m", restarted)
    counts = [count for count in web_after["points"]["restarts"] if count is not None]
    assert counts[0] == 0 and set(counts) == {0, 2} and web_after["restarts"] == 2
    pod_series = await sampled(admin, f"/clusters/{cid}/metrics/namespaces/{namespace}/pods/{pod}/series?range=15m",
                               restarted)
    assert pod_series["maxRangeSeconds"] == {"cpu": 3600, "memory": 3600, "network": 0, "restarts": 3600}
    pod_points = pod_series["points"]
    assert pod_points["rxBytesPerSecond"] is None and pod_points["txBytesPerSecond"] is None  # current only
    assert pod_series["network"]["rxBytesPerSecond"] == pytest.approx(POD_RX_BYTES_PER_S, rel=0.01)
    # A null where the pod had no CPU value (before it ran), its count elsewhere: 0, then 2 from the change on.
    assert [count is None for count in pod_points["restarts"]] == [cpu is None for cpu in pod_points["cpu"]]
    assert next(count for count in pod_points["restarts"] if count is not None) == 0
    spaces = await sampled(admin, f"/clusters/{cid}/metrics/namespaces/{namespace}/series?range=15m", restarted)
    assert spaces["restarts"] == 2
    node = await admin.ok("GET", f"/clusters/{cid}/metrics/nodes/{NODE}/series?range=15m")
    assert node["restarts"] >= 2 and node["network"]["rxBytesPerSecond"] >= 3 * POD_RX_BYTES_PER_S * 0.99
    listed = await admin.ok("GET", f"/clusters/{cid}/metrics/deployments?namespace={namespace}")
    assert listed["items"][0]["restarts"] == 2
    await admin.fails("GET", f"/clusters/{cid}/metrics/namespaces/{namespace}/pods/{pod}/series?range=2h", 40002)


@fast
async def test_downsampled_history_survives_a_restart(admin: ApiSession, cid: int, world: dict[str, Any],
                                                      client: TestClient, settings: Settings, aiohttp_client) -> None:
    namespace = world["namespace"]
    path = f"/clusters/{cid}/metrics/namespaces/{namespace}/deployments/web/series"
    long = await sampled(admin, f"{path}?range=2h", lambda data: len(data["points"]["t"]) >= 3)
    assert long["resolutionSeconds"] == 3
    full = (await admin.ok("GET", f"{path}?range=15m"))["points"]
    buckets = long["points"]
    # Each bucket is the average of the full-resolution points inside it (the web pods' sawtooth).
    checked = 0
    for start, cpu, memory in zip(buckets["t"], buckets["cpu"], buckets["memory"], strict=True):
        inside = [(c, m) for t, c, m in zip(full["t"], full["cpu"], full["memory"], strict=True)
                  if start <= t < start + 3 and c is not None]
        if not inside:
            continue
        assert start % 3 == 0
        assert cpu == pytest.approx(sum(c for c, _ in inside) / len(inside), rel=1e-5)
        assert memory == pytest.approx(sum(m for _, m in inside) / len(inside), rel=1e-5)
        checked += 1
    assert checked >= 2
    namespace_long = await admin.ok("GET", f"/clusters/{cid}/metrics/namespaces/{namespace}/series?range=7d")
    assert len(namespace_long["points"]["t"]) >= 2

    await client.close()  # the server stops; its data directory (the database) stays
    restarted = ApiSession(await aiohttp_client(create_app(settings)))
    admin_again = await restarted.login("admin", ADMIN_PASSWORD)
    after = await admin_again.ok("GET", f"{path}?range=2h")
    saved = dict(zip(buckets["t"], buckets["cpu"], strict=True))
    reloaded = dict(zip(after["points"]["t"], after["points"]["cpu"], strict=True))
    assert set(saved) <= set(reloaded)
    assert all(reloaded[t] == pytest.approx(cpu, rel=1e-6) for t, cpu in saved.items())
    # Pods keep no downsampled history.
    await admin_again.fails("GET", f"/clusters/{cid}/metrics/namespaces/{namespace}/pods/solo/series?range=2h", 40002)


@fast
async def test_namespace_grants_apply(admin: ApiSession, cid: int, world: dict[str, Any],
                                      control_plane: ControlPlane) -> None:
    namespace = world["namespace"]
    other = create_namespace_sync(control_plane.server_url, control_plane.admin_token)
    try:
        await admin.ok("POST", f"/clusters/{cid}/resources/pods?namespace={other}",
                       json=pod_manifest("theirs", cpu_m=5, memory_mib=5))
        await sampled(admin, f"/clusters/{cid}/metrics/pods?namespace={other}", lambda data: data["items"])
        limited = await make_user(admin, "metrics-limited", "dev", namespaces=[namespace])
        everything = await limited.ok("GET", f"/clusters/{cid}/metrics/pods")
        assert {item["namespace"] for item in everything["items"]} == {namespace}
        assert len(everything["items"]) == 3
        await limited.fails("GET", f"/clusters/{cid}/metrics/pods?namespace={other}", 40302)
        await limited.fails("GET", f"/clusters/{cid}/metrics/namespaces/{other}/pods/theirs/series", 40302)
        await limited.fails("GET", f"/clusters/{cid}/metrics/nodes", 40302)
        await limited.fails("GET", f"/clusters/{cid}/metrics/nodes/{NODE}/series", 40302)
        await limited.fails("GET", f"/clusters/{cid}/metrics/namespaces/{other}/series", 40302)
        assert [i["name"] for i in (await limited.ok("GET", f"/clusters/{cid}/metrics/namespaces"))["items"]] == [
            namespace]
        workloads = await limited.ok("GET", f"/clusters/{cid}/metrics/deployments")
        assert [(i["namespace"], i["name"]) for i in workloads["items"]] == [(namespace, "web")]
        series = await limited.ok("GET", f"/clusters/{cid}/metrics/namespaces/{namespace}/series?range=15m")
        assert series["points"]["t"]
        await limited.fails("GET", f"/clusters/{cid}/metrics/namespaces/{namespace}/pods/solo/series?range=3m", 40002)
        await limited.fails("GET", f"/clusters/{cid}/metrics/pods?sort=size", 40002)
        await limited.fails("GET", f"/clusters/{cid}/metrics/pods/solo/series", 40001)  # names no namespace

        # The busiest pods: only of the granted namespace (the other's pod is among the admin's); no nodes.
        top = await limited.ok("GET", f"/clusters/{cid}/metrics/top?limit=2")
        assert top["nodes"] is None and top["limit"] == 2
        assert [len(top["pods"]["cpu"]), len(top["pods"]["memory"])] == [2, 2]
        assert {item["namespace"] for item in top["pods"]["cpu"] + top["pods"]["memory"]} == {namespace}
        admin_top = await admin.ok("GET", f"/clusters/{cid}/metrics/top?limit=50")
        assert (other, "theirs") in {(item["namespace"], item["name"]) for item in admin_top["pods"]["memory"]}
        assert NODE in {item["name"] for item in admin_top["nodes"]["cpu"]}
        await limited.fails("GET", f"/clusters/{cid}/metrics/top?limit=51", 40002)
    finally:
        delete_namespace_sync(control_plane.server_url, control_plane.admin_token, other)


@fast
async def test_overview_usage_is_the_samplers_latest_round(admin: ApiSession, cid: int,
                                                           world: dict[str, Any]) -> None:
    """The overview's CPU and memory in use: the nodes' own usage for a caller who may read nodes, the sum over
    their pods for a namespace-limited one; both equal the metrics listings of the same round."""
    namespace = world["namespace"]
    await sampled(admin, f"/clusters/{cid}/metrics/pods?namespace={namespace}", lambda data: len(data["items"]) == 3)
    limited = await make_user(admin, "overview-usage", "dev", namespaces=[namespace])

    def same_round(session: ApiSession, listing: str):
        async def attempt() -> tuple[dict[str, Any], dict[str, Any]] | None:
            overview = await session.ok("GET", f"/clusters/{cid}/overview")
            items = await session.ok("GET", listing)
            return (overview, items) if overview["metrics"]["sampledAt"] == items["sampledAt"] else None
        return wait_until(attempt, timeout_s=WAIT_S, interval_s=0.1, what="an overview and a listing of one round")

    for session, listing in ((admin, f"/clusters/{cid}/metrics/nodes"), (limited, f"/clusters/{cid}/metrics/pods")):
        overview, listed = await same_round(session, listing)
        assert overview["metricsAvailable"] is True and overview["metrics"]["source"] == "summary"
        cpu, memory = overview["resources"]["cpu"]["usage"], overview["resources"]["memory"]["usage"]
        assert cpu == pytest.approx(sum(item["cpu"] for item in listed["items"]))
        assert memory == pytest.approx(sum(item["memory"] for item in listed["items"]), abs=len(listed["items"]))
    assert {item["namespace"] for item in listed["items"]} == {namespace}


@pytest.fixture
def no_proxy_token(control_plane: ControlPlane, namespace: str) -> Iterator[str]:
    """A service-account token that may read nodes and pods, but not `nodes/proxy`."""
    rules = [{"apiGroups": [""], "resources": ["nodes", "pods", "namespaces"], "verbs": ["get", "list", "watch"]},
             {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": ["get", "list", "watch"]}]
    with service_account_token(control_plane, namespace, "metrics-reader", rules=rules) as token:
        yield token


@fast
async def test_without_nodes_proxy_the_answer_says_why(admin: ApiSession, control_plane: ControlPlane,
                                                       kubelet: KubeletStandIn, no_proxy_token: str,
                                                       nobody_cid: int) -> None:
    limited = await admin.ok("POST", "/clusters", json={
        "name": "no-proxy", "kubeconfig": kubeconfig(control_plane.server_url, no_proxy_token)})
    data = await admin.ok("GET", f"/clusters/{limited['id']}/metrics/pods")
    assert data["available"] is False and data["source"] is None and data["items"] == []
    assert "may not get nodes/proxy" in data["reason"] and "forbidden" in data["reason"]
    assert "metrics.k8s.io: the cluster does not serve the metrics.k8s.io API" in data["reason"]
    overview = await admin.ok("GET", f"/clusters/{limited['id']}/overview")
    assert overview["metricsAvailable"] is False and overview["resources"]["cpu"]["usage"] is None
    assert overview["metrics"]["reason"] == data["reason"]
    series = await admin.ok("GET", f"/clusters/{limited['id']}/metrics/nodes/{NODE}/series")
    assert series["available"] is False and series["points"] == {
        "t": [], "cpu": [], "memory": [], "rxBytesPerSecond": [], "txBytesPerSecond": [], "restarts": []}
    top = await admin.ok("GET", f"/clusters/{limited['id']}/metrics/top")
    assert top["available"] is False and "may not get nodes/proxy" in top["reason"]
    assert top["pods"] == top["nodes"] == {"cpu": [], "memory": []}
    # A user without any rights cannot even list the nodes.
    nothing = await admin.ok("GET", f"/clusters/{nobody_cid}/metrics/namespaces")
    assert "may not list nodes" in nothing["reason"]
