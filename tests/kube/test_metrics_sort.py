"""Lists sorted server-side by the metrics sampler's current values (`sort=metrics.cpu`, ...) on the real control
plane with the kubelet stand-in: the order of the stand-in's known numbers (every pod of a round shares its second,
so the order does not depend on when the round ran), rows without a value last in both directions, ties by
namespace then name, stable pages, namespace grants, and the errors."""

from __future__ import annotations

from kubevision.kube.registry import NODE_METRIC_FIELDS, USAGE_METRIC_FIELDS
from tests.envtest.controlplane import ControlPlane
from tests.envtest.kubelet import KubeletStandIn
from tests.envtest.namespaces import create_namespace_sync, delete_namespace_sync
from tests.helpers import ApiSession
from tests.kube.conftest import make_user
from tests.kube.test_metrics import fast, no_proxy_token, pod_manifest, running, sampled  # noqa: F401 (a fixture)
from tests.kube.test_overview_rbac import kubeconfig

# name: (millicores, MiB) of the pod's one container; charlie and delta tie on CPU.
USAGE = {"alpha": (50, 10), "bravo": (10, 40), "charlie": (30, 20), "delta": (30, 30)}
PENDING = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pending"},  # fits no node: never sampled
           "spec": {"nodeSelector": {"kubevision.test/no-such-node": "true"},
                    "containers": [{"name": "c", "image": "busybox"}]}}


async def create_pods(admin: ApiSession, cid: int, namespace: str, kubelet: KubeletStandIn) -> None:
    """The `USAGE` pods on the stand-in's node and `pending` on none; waits for a round that has the four."""
    for name, (cpu_m, memory_mib) in USAGE.items():
        await admin.ok("POST", f"/clusters/{cid}/resources/pods?namespace={namespace}",
                       json=pod_manifest(name, cpu_m=cpu_m, memory_mib=memory_mib))
    await admin.ok("POST", f"/clusters/{cid}/resources/pods?namespace={namespace}", json=PENDING)
    await running(kubelet, namespace, len(USAGE))
    await sampled(admin, f"/clusters/{cid}/metrics/pods?namespace={namespace}",
                  lambda data: len(data["items"]) == len(USAGE))


async def names(session: ApiSession, path: str) -> list[str]:
    """The row names of a `view=table` list."""
    return [row["name"] for row in (await session.ok("GET", path))["rows"]]


@fast
async def test_pods_sort_by_the_samplers_values(admin: ApiSession, cid: int, namespace: str,
                                                kubelet: KubeletStandIn) -> None:
    await create_pods(admin, cid, namespace, kubelet)
    pods = f"/clusters/{cid}/resources/pods?namespace={namespace}&view=table"
    # Ties (charlie, delta) by name, reversed with the rest when descending; the unsampled pod last both ways.
    assert await names(admin, f"{pods}&sort=metrics.cpu") == ["bravo", "charlie", "delta", "alpha", "pending"]
    assert await names(admin, f"{pods}&sort=-metrics.cpu") == ["alpha", "delta", "charlie", "bravo", "pending"]
    assert await names(admin, f"{pods}&sort=-metrics.memory") == ["bravo", "delta", "charlie", "alpha", "pending"]
    assert await names(admin, f"{pods}&sort=metrics.memory") == ["alpha", "charlie", "delta", "bravo", "pending"]
    # No requests set: no % of request for anyone, so every row is "without a value", by namespace and name.
    assert await names(admin, f"{pods}&sort=-metrics.cpuOfRequest") == sorted([*USAGE, "pending"], reverse=True)

    # Pages cut from one order: together they are the whole list, each row once.
    paged = [name for page in (1, 2, 3)
             for name in await names(admin, f"{pods}&sort=-metrics.cpu&page={page}&pageSize=2")]
    assert paged == ["alpha", "delta", "charlie", "bravo", "pending"]
    listing = await admin.call("GET", f"{pods}&sort=-metrics.cpu&page=2&pageSize=2")
    assert listing["meta"]["total"] == 5 and listing["meta"]["source"] == "cache"
    # A list across clusters in the same order (each cluster's rows by its own sampler's values), paged alike.
    across = f"/resources/pods?clusters={cid}&namespace={namespace}&view=table&sort=-metrics.cpu"
    assert [row["name"] for row in (await admin.ok("GET", across))["rows"]] == paged
    assert [row["name"] for row in (await admin.ok("GET", f"{across}&page=2&pageSize=2"))["rows"]] == paged[2:4]

    # Objects (not only table rows) come in the same order; the namespaces by their pods' sums.
    objects = await admin.ok("GET", f"/clusters/{cid}/resources/pods?namespace={namespace}&sort=-metrics.memory")
    assert [obj["metadata"]["name"] for obj in objects] == ["bravo", "delta", "charlie", "alpha", "pending"]
    for sort in ("metrics.cpu", "-metrics.cpu"):  # a namespace with pods before one without, both ways
        ranked = await names(admin, f"/clusters/{cid}/resources/namespaces?view=table&sort={sort}&pageSize=all")
        assert ranked.index(namespace) < ranked.index("kube-public")


@fast
async def test_a_namespace_limited_user_sees_only_their_rows_in_order(admin: ApiSession, cid: int, namespace: str,
                                                                      kubelet: KubeletStandIn,
                                                                      control_plane: ControlPlane) -> None:
    other = create_namespace_sync(control_plane.server_url, control_plane.admin_token)
    try:
        await admin.ok("POST", f"/clusters/{cid}/resources/pods?namespace={other}",
                       json=pod_manifest("theirs", cpu_m=40, memory_mib=25))
        await create_pods(admin, cid, namespace, kubelet)
        await sampled(admin, f"/clusters/{cid}/metrics/pods?namespace={other}", lambda data: data["items"])
        limited = await make_user(admin, "sort-limited", "dev", namespaces=[namespace])
        everything = f"/clusters/{cid}/resources/pods?view=table&pageSize=all"
        for sort, expected in (("-metrics.cpu", ["alpha", "delta", "charlie", "bravo", "pending"]),
                               ("metrics.memory", ["alpha", "charlie", "delta", "bravo", "pending"])):
            rows = (await limited.ok("GET", f"{everything}&sort={sort}"))["rows"]
            assert {row["namespace"] for row in rows} == {namespace}
            assert [row["name"] for row in rows] == expected
            listing = await limited.call("GET", f"{everything}&sort={sort}")
            assert listing["meta"]["total"] == len(expected)
            admin_rows = (await admin.ok("GET", f"{everything}&sort={sort}"))["rows"]
            assert [row["name"] for row in admin_rows if row["namespace"] == namespace] == expected
            assert "theirs" in [row["name"] for row in admin_rows]
        first = await limited.ok("GET", f"{everything.replace('pageSize=all', 'pageSize=1')}&sort=-metrics.cpu")
        assert [row["name"] for row in first["rows"]] == ["alpha"]  # not `theirs` (40m, the admin's second)
        await limited.fails("GET", f"/clusters/{cid}/resources/pods?namespace={other}&sort=-metrics.cpu", 40302)
        await limited.fails("GET", f"/clusters/{cid}/resources/nodes?sort=-metrics.cpu", 40302)
        assert await names(limited, f"/clusters/{cid}/resources/namespaces?view=table&sort=-metrics.cpu") == [
            namespace]
    finally:
        delete_namespace_sync(control_plane.server_url, control_plane.admin_token, other)


@fast
async def test_bad_metric_sorts_are_refused(admin: ApiSession, cid: int) -> None:
    refused = await admin.fails("GET", f"/clusters/{cid}/resources/configmaps?sort=-metrics.cpu", 40002)
    assert "no CPU and memory usage is kept for configmaps" in refused["message"]
    unknown = await admin.fails("GET", f"/clusters/{cid}/resources/pods?sort=metrics.disk", 40002)
    assert all(f"metrics.{field}" in unknown["message"] for field in USAGE_METRIC_FIELDS)
    assert "restarts" in unknown["message"]  # the columns are listed too
    # Any unknown id of a metered kind lists the metric ids with the columns; nodes have % of allocatable instead.
    column = await admin.fails("GET", f"/clusters/{cid}/resources/pods?sort=size", 40002)
    assert "metrics.memoryOfLimit" in column["message"]
    nodes = await admin.fails("GET", f"/clusters/{cid}/resources/nodes?sort=metrics.cpuOfRequest", 40002)
    assert all(f"metrics.{field}" in nodes["message"] for field in NODE_METRIC_FIELDS)
    assert "metrics.cpuOfLimit" not in nodes["message"]
    await admin.ok("GET", f"/clusters/{cid}/resources/nodes?sort=-metrics.cpuOfAllocatable")
    chunked = await admin.fails("GET", f"/clusters/{cid}/resources/pods?sort=metrics.cpu&limit=10", 40002)
    assert "page and pageSize" in chunked["message"]
    await admin.fails("GET", f"/clusters/{cid}/resources/pods?sort=metrics.cpu.x", 40002)


@fast
async def test_without_a_metrics_source_a_metric_sort_says_why(admin: ApiSession, control_plane: ControlPlane,
                                                               no_proxy_token: str) -> None:  # noqa: F811 (fixture)
    cluster = await admin.ok("POST", "/clusters", json={
        "name": "no-proxy-sort", "kubeconfig": kubeconfig(control_plane.server_url, no_proxy_token)})
    refused = await admin.fails("GET", f"/clusters/{cluster['id']}/resources/pods?sort=-metrics.cpu", 40002)
    assert "no CPU and memory usage is available" in refused["message"]
    assert "may not get nodes/proxy" in refused["message"]
    assert "rows" in await admin.ok("GET", f"/clusters/{cluster['id']}/resources/pods?view=table&sort=name")

