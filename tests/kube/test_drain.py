"""Node drain on the real control plane: the plan (and what `kubectl drain --dry-run=server` evicts for the same
node), a drain that evicts through the Eviction API while a PodDisruptionBudget holds back its last pod, dry runs
that change nothing, refusals, and the audit trail. The node is a kubelet stand-in of its own, so that its pods
really run (the disruption controller counts them healthy) and evictions really delete them."""

from __future__ import annotations

import asyncio
import re
import subprocess
from typing import Any

from tests.envtest.controlplane import kubectl_binary
from tests.envtest.kubelet import KubeletStandIn
from tests.helpers import ApiSession, wait_until
from tests.kube.conftest import make_user

# The drain's own timeout in the test that runs into the budget: a few refused attempts, then the report.
BLOCKED_DRAIN_TIMEOUT_S = 6
KUBECTL_TIMEOUT_S = 120


def pod(name: str, node: str, *, labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None,
        empty_dir: bool = False) -> dict[str, Any]:
    """A bare pod bound to `node`."""
    spec: dict[str, Any] = {"nodeName": node, "terminationGracePeriodSeconds": 0,
                            "containers": [{"name": "c", "image": "busybox"}]}
    if empty_dir:
        spec["volumes"] = [{"name": "scratch", "emptyDir": {}}]
        spec["containers"][0]["volumeMounts"] = [{"name": "scratch", "mountPath": "/scratch"}]
    return {"metadata": {"name": name, "labels": labels or {}, "annotations": annotations or {}}, "spec": spec}


async def create(admin: ApiSession, cid: int, namespace: str, resource: str, manifest: dict[str, Any]) -> None:
    await admin.ok("POST", f"/clusters/{cid}/resources/{resource}?namespace={namespace}", json=manifest)


async def pod_names(admin: ApiSession, cid: int, namespace: str) -> set[str]:
    return {p["metadata"]["name"] for p in await admin.ok("GET", f"/clusters/{cid}/resources/pods?namespace="
                                                                 f"{namespace}")}


async def populate(admin: ApiSession, cid: int, namespace: str, node: str) -> str:
    """Two pods one budget guards (minAvailable 1), a free pod, an emptyDir pod, a mirror pod and a DaemonSet pod,
    all running on `node`; returns the DaemonSet pod's name once it is bound to the node and the budget allows
    exactly one disruption."""
    guarded = {"app": "guarded"}
    for manifest in (pod("guarded-a", node, labels=guarded), pod("guarded-b", node, labels=guarded), pod("free", node),
                     pod("scratch", node, empty_dir=True),
                     pod("static-web", node, annotations={"kubernetes.io/config.mirror": "hash-1"})):
        await create(admin, cid, namespace, "pods", manifest)
    await create(admin, cid, namespace, "daemonsets", {
        "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "template": {"metadata": {"labels": {"app": "agent"}},
                              "spec": {"nodeSelector": {"kubernetes.io/hostname": node},
                                       "containers": [{"name": "c", "image": "busybox"}]}}}})
    await create(admin, cid, namespace, "poddisruptionbudgets", {
        "metadata": {"name": "guard"}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "guarded"}}}})

    async def ready() -> str | None:
        budget = await admin.ok("GET", f"/clusters/{cid}/resources/poddisruptionbudgets/guard?namespace={namespace}")
        # The DaemonSet's pod counts once the scheduler has bound it to the node (the plan lists the node's pods).
        agents = [p["metadata"]["name"] for p in await admin.ok(
            "GET", f"/clusters/{cid}/resources/pods?namespace={namespace}&labelSelector=app%3Dagent")
            if p["spec"].get("nodeName") == node]
        allowed = (budget.get("status") or {}).get("disruptionsAllowed")
        return agents[0] if allowed == 1 and agents else None
    return await wait_until(ready, timeout_s=60, interval_s=0.5, what="the budget allows one disruption")


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in report["pods"]}


def kubectl_dry_run(kubeconfig: str, node: str) -> set[str]:
    """The pods `kubectl drain --dry-run=client` would evict (names). Client dry run: kubectl picks the pods
    itself either way, and a 1.20 API server cannot dry-run an eviction (the kubectl `build.py test` installs
    from Debian is 1.20's; newer ones print `evicting pod ns/name`, older ones `pod/name evicted (dry run)`)."""
    done = subprocess.run(
        [kubectl_binary(), f"--kubeconfig={kubeconfig}", "drain", node, "--dry-run=client", "--force",
         "--ignore-daemonsets", "--delete-emptydir-data"],
        capture_output=True, text=True, timeout=KUBECTL_TIMEOUT_S, check=False)
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    return set(re.findall(r"evicting pod \S+/(\S+)", output)) | set(re.findall(r"pod/(\S+) evicted", output))


async def test_drain_evicts_and_a_budget_holds_the_last_pod(admin: ApiSession, cid: int, namespace: str,
                                                             spare_node: str, admin_kubeconfig: str,
                                                             kubelet: KubeletStandIn) -> None:
    agent = await populate(admin, cid, namespace, spare_node)
    base = f"/clusters/{cid}/nodes/{spare_node}/drain"
    before = await pod_names(admin, cid, namespace)

    plan = await admin.ok("POST", base, json={"dryRun": True, "force": True, "deleteEmptyDirData": True})
    pods = by_name(plan)
    assert plan["state"] == "planned" and plan["dryRun"] and not plan["cordoned"]
    assert {name for name, entry in pods.items() if entry["action"] == "evict"} == {
        "guarded-a", "guarded-b", "free", "scratch"}
    assert pods[agent]["action"] == "skip" and "DaemonSet agent" in pods[agent]["reason"]
    assert pods["static-web"]["action"] == "skip" and "mirror pod" in pods["static-web"]["reason"]
    # The budget allows one disruption: the second pod it guards would wait.
    assert pods["guarded-a"]["budget"] is None
    assert "PodDisruptionBudget guard allows 1 disruption now" in pods["guarded-b"]["budget"]
    assert "emptyDir" in pods["scratch"]["reason"] and "no controller" in pods["free"]["reason"]
    # The dry run changed nothing.
    node = await admin.ok("GET", f"/clusters/{cid}/resources/nodes/{spare_node}")
    assert not node["spec"].get("unschedulable")
    assert await pod_names(admin, cid, namespace) == before
    # kubectl evicts the same pods from this node (the mirror and DaemonSet pods stay).
    kubectl_evicts = await asyncio.to_thread(kubectl_dry_run, admin_kubeconfig, spare_node)
    assert kubectl_evicts == {name for name, entry in pods.items() if entry["action"] == "evict"}
    node = await admin.ok("GET", f"/clusters/{cid}/resources/nodes/{spare_node}")
    assert not node["spec"].get("unschedulable")

    refused = await admin.fails("POST", base, 40901, json={
        "force": True, "deleteEmptyDirData": True, "timeoutSeconds": BLOCKED_DRAIN_TIMEOUT_S,
        "gracePeriodSeconds": 0})
    report = by_name(refused["data"])
    # The evictions run concurrently: the budget lets whichever guarded pod comes first go, and holds the other.
    kept = next(name for name in ("guarded-a", "guarded-b") if report[name]["status"] != "evicted")
    gone = ({"guarded-a", "guarded-b"} - {kept}).pop()
    assert kept in refused["message"] and "could not be evicted" in refused["message"]
    assert refused["data"]["state"] == "incomplete" and refused["data"]["cordoned"]
    assert {name for name, entry in report.items() if entry["status"] == "evicted"} == {gone, "free", "scratch"}
    blocked = report[kept]
    assert blocked["status"] == "timedOut" and blocked["attempts"] >= 2, blocked
    assert "disruption budget" in blocked["message"], blocked
    # Never forced: the guarded pod, the DaemonSet pod and the mirror pod are still there; the node is cordoned.
    assert await pod_names(admin, cid, namespace) == {kept, agent, "static-web"}
    node = await admin.ok("GET", f"/clusters/{cid}/resources/nodes/{spare_node}")
    assert node["spec"]["unschedulable"] is True
    progress = await admin.ok("GET", base)
    assert progress["state"] == "incomplete" and by_name(progress)[kept]["status"] == "timedOut"

    # With a second pod for the budget elsewhere, the last pod may go: the drain completes.
    await create(admin, cid, namespace, "pods", pod("guarded-c", kubelet.node_name, labels={"app": "guarded"}))
    async def budget_allows() -> bool:
        budget = await admin.ok("GET", f"/clusters/{cid}/resources/poddisruptionbudgets/guard?namespace={namespace}")
        return (budget.get("status") or {}).get("disruptionsAllowed") == 1
    await wait_until(budget_allows, timeout_s=60, interval_s=0.5, what="the budget allows one disruption again")
    done = await admin.ok("POST", base, json={"force": True, "timeoutSeconds": 60})
    assert done["state"] == "done" and by_name(done)[kept]["status"] == "evicted"
    assert await pod_names(admin, cid, namespace) == {"guarded-c", agent, "static-web"}

    rows = await admin.ok("GET", f"/audit-logs?cluster={cid}&action=node.drain")
    assert [(row["name"], row["code"]) for row in rows[:2]] == [(spare_node, 0), (spare_node, 40901)]


async def test_drain_refusals_change_nothing(admin: ApiSession, cid: int, namespace: str,
                                             spare_node: str) -> None:
    await create(admin, cid, namespace, "pods", pod("bare", spare_node))
    await create(admin, cid, namespace, "pods", pod("scratch", spare_node, empty_dir=True))
    await wait_until(lambda: _running(admin, cid, namespace, "bare"), timeout_s=30, what="the pod runs")
    base = f"/clusters/{cid}/nodes/{spare_node}/drain"
    readonly = await make_user(admin, "drain-ro", "readonly")
    dev = await make_user(admin, "drain-dev", "dev")
    no_evict = await make_user(admin, "drain-nodes-only", "custom", permissions=["*:read", "nodes:write"])
    for user in (readonly, dev, no_evict):
        await user.fails("POST", base, 40300, json={"dryRun": True})
        await user.fails("POST", base, 40300, json={})
    # Blocking pods refuse the drain before anything changes (kubectl's messages, camelCased flags).
    refused = await admin.fails("POST", base, 40002, json={})
    assert "set force" in refused["message"] and "set deleteEmptyDirData" in refused["message"]
    assert {entry["name"]: entry["action"] for entry in refused["data"]["pods"]} == {"bare": "block",
                                                                                     "scratch": "block"}
    await admin.fails("POST", base, 40002, json={"timeoutSeconds": 0})
    await admin.fails("POST", base, 40002, json={"gracePeriodSeconds": -1})
    await admin.fails("POST", base, 40002, json={"force": "yes"})
    await admin.fails("POST", f"/clusters/{cid}/nodes/no-such-node/drain", 40400, json={"dryRun": True})
    node = await admin.ok("GET", f"/clusters/{cid}/resources/nodes/{spare_node}")
    assert not node["spec"].get("unschedulable")
    assert await pod_names(admin, cid, namespace) == {"bare", "scratch"}
    await admin.fails("GET", base, 40400)  # nothing was drained
    rows = await admin.ok("GET", f"/audit-logs?cluster={cid}&action=node.drain")
    assert [(row["name"], row["code"]) for row in rows[:1]] == [(spare_node, 40002)]


async def _running(admin: ApiSession, cid: int, namespace: str, name: str) -> bool:
    found = await admin.ok("GET", f"/clusters/{cid}/resources/pods/{name}?namespace={namespace}")
    return (found.get("status") or {}).get("phase") == "Running"
