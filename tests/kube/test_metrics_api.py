"""CPU and memory from metrics-server's `metrics.k8s.io` API, served by the real kube-apiserver's aggregation layer.

A second kube-apiserver (same etcd, its own `--etcd-prefix`, so a cluster of its own; with
`--enable-aggregator-routing=true` as no kube-proxy runs) proxies `metrics.k8s.io/v1beta1` to a metrics-server
stand-in (`tests/envtest/metrics_server.py`) through a real Service, Endpoints and APIService. The shared control
plane is left alone: an APIService there would change the discovery every other test sees. Its node has no kubelet
(no address), so the Summary API fails and KubeVision must fall back to `metrics.k8s.io`."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.envtest.controlplane import ControlPlane, ControlPlaneError, api_request
from tests.envtest.kubelet import MIB, NODE_OVERHEAD_BYTES, NODE_OVERHEAD_NANOCORES
from tests.envtest.metrics_server import (
    API_SERVICE_PATH,
    SERVICE_NAME,
    SERVICE_NAMESPACE,
    MetricsServerStandIn,
    NoNonLoopbackAddressError,
    non_loopback_address,
    register_api_service,
    wait_api_service,
)
from tests.helpers import ApiSession, wait_until
from tests.kube.test_metrics import WAIT_S, fast, pod_manifest, sampled, usage_at
from tests.kube.test_overview_rbac import kubeconfig

SECOND_APISERVER = "kube-apiserver-metrics"
SECOND_ETCD_PREFIX = "/registry-metrics-api"
AGGREGATOR_FLAGS = ("--enable-aggregator-routing=true",)
NAMESPACE = "default"


@pytest.fixture(scope="module")
def metrics_cluster(control_plane: ControlPlane) -> Iterator[str]:
    """The URL of a second kube-apiserver that can proxy to an APIService (the admin token works there too)."""
    error = None
    try:
        url = control_plane.start_second_apiserver(SECOND_APISERVER, etcd_prefix=SECOND_ETCD_PREFIX,
                                                   extra_flags=AGGREGATOR_FLAGS)
    except ControlPlaneError as exc:
        error = f"the aggregating API server failed to start: {exc}"
    if error:
        pytest.fail(error, pytrace=False)
    try:
        yield url
    finally:
        control_plane.stop_second_apiserver(SECOND_APISERVER)


@pytest.fixture(scope="module")
def listen_address() -> str:
    """The machine's non-loopback address (Endpoints refuse loopback ones): the test fails without one."""
    error = None
    try:
        return non_loopback_address()
    except NoNonLoopbackAddressError as exc:
        error = str(exc)
    pytest.fail(error, pytrace=False)


class MetricsWorld:
    """The second cluster seen by a test: its URL, the admin token, a node of the test's own and the stand-in."""

    def __init__(self, url: str, token: str, stand_in: MetricsServerStandIn) -> None:
        self.url, self.token, self.stand_in = url, token, stand_in
        self.node = f"mnode-{secrets.token_hex(3)}"
        self.pods: list[str] = []

    async def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        """The API server, from a thread: the stand-in on this test's loop must keep answering the aggregator."""
        return await asyncio.to_thread(api_request, self.url, self.token, method, path, body, **kwargs)

    async def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        status, created = await self.call("POST", path, body)
        assert status == 201, (status, created)
        return created

    async def pod(self, name: str, *, cpu_m: int, memory_mib: int, containers: int = 1,
                  owner: dict[str, Any] | None = None) -> None:
        """A pod on this test's node (no kubelet runs it; metrics-server reports it all the same)."""
        manifest = pod_manifest(name, cpu_m=cpu_m, memory_mib=memory_mib, containers=containers,
                                requests={"cpu": "200m", "memory": "256Mi"} if owner else None)
        manifest["spec"]["nodeName"] = self.node
        if owner is not None:
            manifest["metadata"]["ownerReferences"] = [owner]
        await self.create(f"/api/v1/namespaces/{NAMESPACE}/pods", manifest)
        self.pods.append(name)


@pytest.fixture
async def world(metrics_cluster: str, control_plane: ControlPlane, listen_address: str) -> AsyncIterator[MetricsWorld]:
    """A node without a kubelet, a ReplicaSet `web-<id>` owning 2 pods (100m + 64 MiB each, requests = limits
    200m/256Mi), a two-container pod (30m + 16 MiB each), and the stand-in registered as `v1beta1.metrics.k8s.io`,
    Available."""
    stand_in = MetricsServerStandIn(metrics_cluster, control_plane.admin_token, address=listen_address)
    await stand_in.start()
    world = MetricsWorld(metrics_cluster, control_plane.admin_token, stand_in)
    try:
        await world.create("/api/v1/nodes", {"metadata": {"name": world.node}})
        suffix = world.node.removeprefix("mnode-")
        labels = {"app": f"web-{suffix}"}
        replica_set = await world.create(f"/apis/apps/v1/namespaces/{NAMESPACE}/replicasets", {
            "metadata": {"name": f"web-{suffix}"},
            "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "c0", "image": "busybox"}]}}}})
        owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": replica_set["metadata"]["name"],
                 "uid": replica_set["metadata"]["uid"], "controller": True}
        for index in range(2):
            await world.pod(f"web-{suffix}-{index}", cpu_m=100, memory_mib=64, owner=owner)
        await world.pod(f"solo-{suffix}", cpu_m=30, memory_mib=16, containers=2)
        await asyncio.to_thread(register_api_service, metrics_cluster, world.token, address=listen_address,
                                port=stand_in.port)
        await asyncio.to_thread(wait_api_service, metrics_cluster, world.token, available=True)
        yield world
    finally:
        await stand_in.aclose()
        for path in (API_SERVICE_PATH, f"/api/v1/namespaces/{SERVICE_NAMESPACE}/services/{SERVICE_NAME}",
                     f"/api/v1/namespaces/{SERVICE_NAMESPACE}/endpoints/{SERVICE_NAME}",
                     f"/apis/apps/v1/namespaces/{NAMESPACE}/replicasets/web-{world.node.removeprefix('mnode-')}",
                     *(f"/api/v1/namespaces/{NAMESPACE}/pods/{pod}?gracePeriodSeconds=0" for pod in world.pods),
                     f"/api/v1/nodes/{world.node}"):
            await world.call("DELETE", path)


async def add_cluster(admin: ApiSession, world: MetricsWorld, name: str) -> int:
    """Import the second cluster (admin token) into KubeVision; return its id."""
    added = await admin.ok("POST", "/clusters", json={"name": name, "kubeconfig": kubeconfig(world.url, world.token)})
    return added["id"]


def cores(nanocores: int) -> float:
    return nanocores / 1e9


@fast
async def test_without_a_kubelet_the_numbers_come_from_metrics_k8s_io(admin: ApiSession,
                                                                      world: MetricsWorld) -> None:
    cid = await add_cluster(admin, world, "metrics-api")
    pods = await sampled(admin, f"/clusters/{cid}/metrics/pods?namespace={NAMESPACE}",
                         lambda data: {item["name"] for item in data["items"]} >= set(world.pods))
    assert pods["available"] and pods["source"] == "metrics.k8s.io" and pods["reason"] is None
    assert world.stand_in.requests >= 2
    mine = {item["name"]: item for item in pods["items"] if item["name"] in world.pods}
    web = [item for name, item in mine.items() if name.startswith("web-")]
    solo = next(item for name, item in mine.items() if name.startswith("solo-"))
    # Each pod: the stand-in's function at the pod's own `timestamp`, on the pod's node (metrics.k8s.io names none).
    solo_cores, solo_memory = usage_at(solo["time"], cpu_m=30, memory_mib=16, containers=2)
    assert solo["cpu"] == pytest.approx(solo_cores) and solo["memory"] == solo_memory
    assert [c["name"] for c in solo["containers"]] == ["c0", "c1"]
    assert solo["containers"][1]["memory"] == solo_memory // 2
    assert solo["node"] == world.node and solo["workload"] is None
    for item in web:
        web_cores, web_memory = usage_at(item["time"], cpu_m=100, memory_mib=64)
        assert item["cpu"] == pytest.approx(web_cores) and item["memory"] == web_memory
        assert item["workload"] == {"kind": "replicasets", "name": f"web-{world.node.removeprefix('mnode-')}"}
        assert item["cpuRequest"] == 0.2 and item["memoryLimit"] == 256 * MIB and item["node"] == world.node

    # Nodes: metrics-server's own number (overhead + its pods, at the round's time); the pods counted by the cache.
    nodes = await admin.ok("GET", f"/clusters/{cid}/metrics/nodes")
    assert nodes["source"] == "metrics.k8s.io"
    node = next(item for item in nodes["items"] if item["name"] == world.node)
    web_cores, web_memory = usage_at(nodes["sampledAt"], cpu_m=100, memory_mib=64)
    solo_cores, solo_memory = usage_at(nodes["sampledAt"], cpu_m=30, memory_mib=16, containers=2)
    assert node["pods"] == 3
    assert node["cpu"] == pytest.approx(cores(NODE_OVERHEAD_NANOCORES) + 2 * web_cores + solo_cores)
    assert node["memory"] == NODE_OVERHEAD_BYTES + 2 * web_memory + solo_memory

    # Sums: the workload's and namespace's are their pods' of the same round.
    async def same_round() -> tuple[dict[str, Any], dict[str, Any]] | None:
        listed = await admin.ok("GET", f"/clusters/{cid}/metrics/replicasets?namespace={NAMESPACE}")
        pods_now = await admin.ok("GET", f"/clusters/{cid}/metrics/pods?namespace={NAMESPACE}")
        return (listed, pods_now) if listed["sampledAt"] == pods_now["sampledAt"] else None

    listed, pods_now = await wait_until(same_round, timeout_s=WAIT_S, interval_s=0.1, what="answers of one round")
    (workload,) = [item for item in listed["items"] if item["name"] == f"web-{world.node.removeprefix('mnode-')}"]
    members = [item for item in pods_now["items"] if item["name"] in world.pods and item["name"].startswith("web-")]
    assert workload["pods"] == 2 and workload["cpuRequest"] == 0.4
    assert workload["cpu"] == pytest.approx(sum(item["cpu"] for item in members))
    assert workload["memory"] == sum(item["memory"] for item in members)

    # The node's series: every point is metrics-server's number at that point's time.
    series = await sampled(admin, f"/clusters/{cid}/metrics/nodes/{world.node}/series?range=15m",
                           lambda data: len([c for c in data["points"]["cpu"] if c is not None]) >= 3)
    assert series["available"] and series["source"] == "metrics.k8s.io"
    checked = 0
    for t, cpu, memory in zip(series["points"]["t"], series["points"]["cpu"], series["points"]["memory"],
                              strict=True):
        if cpu is None:
            continue
        web_cores, web_memory = usage_at(t, cpu_m=100, memory_mib=64)
        solo_cores, solo_memory = usage_at(t, cpu_m=30, memory_mib=16, containers=2)
        assert cpu == pytest.approx(cores(NODE_OVERHEAD_NANOCORES) + 2 * web_cores + solo_cores)
        assert memory == NODE_OVERHEAD_BYTES + 2 * web_memory + solo_memory
        checked += 1
    assert checked >= 3


@fast
async def test_an_unavailable_or_removed_metrics_api_is_named(admin: ApiSession, world: MetricsWorld) -> None:
    cid = await add_cluster(admin, world, "metrics-api-gone")
    await sampled(admin, f"/clusters/{cid}/metrics/pods", lambda data: data["source"] == "metrics.k8s.io")

    # The stand-in stops: the APIService turns unavailable and the API server answers 503 for the group.
    await world.stand_in.aclose()
    await asyncio.to_thread(wait_api_service, world.url, world.token, available=False)
    gone = await sampled(admin, f"/clusters/{cid}/metrics/pods", lambda data: not data["available"])
    assert gone["source"] is None and gone["items"] == []
    assert "summary: " in gone["reason"] and "get nodes/proxy (the kubelet Summary API) failed" in gone["reason"]
    assert "metrics.k8s.io: list pods and nodes of metrics.k8s.io failed" in gone["reason"]
    # The API server's own words (its plain-text 503), without the text body's newline.
    assert "API server error: error trying to reach service" in gone["reason"] and "\n" not in gone["reason"]
    overview = await admin.ok("GET", f"/clusters/{cid}/overview")
    assert overview["metricsAvailable"] is False and overview["metrics"]["reason"] == gone["reason"]

    # The APIService is deleted: a cluster discovered afterwards does not serve the group at all.
    status, body = await world.call("DELETE", API_SERVICE_PATH)
    assert status == 200, body
    later = await add_cluster(admin, world, "metrics-api-removed")
    removed = await admin.ok("GET", f"/clusters/{later}/metrics/pods")
    assert removed["available"] is False
    assert "metrics.k8s.io: the cluster does not serve the metrics.k8s.io API (no metrics-server)" in removed["reason"]
