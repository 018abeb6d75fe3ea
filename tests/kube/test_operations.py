"""Workload and node actions against the real control plane: scale, restart, history, rollback,
pause/resume, CronJob trigger, cordon/uncordon; input errors, refusals and the audit trail."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.envtest.namespaces import create_namespace_sync, delete_namespace_sync
from tests.helpers import ApiSession, wait_until
from tests.kube.conftest import make_user


def deployment(name: str, image: str = "nginx:1", replicas: int = 1) -> dict[str, Any]:
    """A Deployment manifest (apiVersion and kind are filled in from the registry)."""
    return {"metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": image}]}}}}


async def create_deployment(admin: ApiSession, cid: int, namespace: str, name: str, **kwargs: Any) -> None:
    await admin.ok("POST", f"/clusters/{cid}/resources/deployments?namespace={namespace}",
                   json=deployment(name, **kwargs))


async def set_image(admin: ApiSession, cid: int, namespace: str, name: str, image: str, cause: str) -> None:
    patch = {"metadata": {"annotations": {"kubernetes.io/change-cause": cause}},
             "spec": {"template": {"spec": {"containers": [{"name": "c", "image": image}]}}}}
    await admin.ok("PATCH", f"/clusters/{cid}/resources/deployments/{name}?namespace={namespace}",
                   json={"type": "strategic", "patch": patch})


async def history_with(admin: ApiSession, base: str, count: int, current: int) -> list[dict[str, Any]]:
    """Wait until the history has `count` revisions and `current` is the current one."""
    async def check() -> list[dict[str, Any]] | None:
        history = await admin.ok("GET", f"{base}/history")
        currents = [h["revision"] for h in history if h["current"]]
        return history if len(history) == count and currents == [current] else None
    return await wait_until(check, timeout_s=30, what=f"{count} revisions, current {current}")


async def test_history_and_rollback(admin: ApiSession, cid: int, namespace: str) -> None:
    base = f"/clusters/{cid}/namespaces/{namespace}/deployments/web"
    await create_deployment(admin, cid, namespace, "web", image="nginx:1")
    await history_with(admin, base, 1, 1)
    await set_image(admin, cid, namespace, "web", "nginx:2", "to two")
    await history_with(admin, base, 2, 2)
    await set_image(admin, cid, namespace, "web", "nginx:3", "to three")
    history = await history_with(admin, base, 3, 3)

    assert [h["revision"] for h in history] == [3, 2, 1]
    assert [h["images"] for h in history] == [["nginx:3"], ["nginx:2"], ["nginx:1"]]
    assert [h["changeCause"] for h in history[:2]] == ["to three", "to two"]
    assert all(h["createdAt"] and h["replicaSet"].startswith("web-") for h in history)

    await admin.fails("POST", f"{base}/rollback", 40400, json={"revision": 99})
    await admin.fails("POST", f"{base}/rollback", 40002, json={"revision": "one"})
    result = await admin.ok("POST", f"{base}/rollback", json={"revision": 1})
    assert result == {"name": "web", "namespace": namespace, "revision": 1, "fromRevision": 3, "skipped": False}

    history = await history_with(admin, base, 3, 4)
    assert [h["revision"] for h in history] == [4, 3, 2]
    assert history[0]["images"] == ["nginx:1"]
    got = await admin.ok("GET", f"/clusters/{cid}/resources/deployments/web?namespace={namespace}")
    template = got["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == "nginx:1"
    assert template["metadata"]["labels"] == {"app": "web"}  # no pod-template-hash

    # Without a revision: back to the previous one (3), which becomes revision 5.
    result = await admin.ok("POST", f"{base}/rollback")
    assert result["revision"] == 3 and result["fromRevision"] == 4
    history = await history_with(admin, base, 3, 5)
    assert history[0]["images"] == ["nginx:3"] and history[0]["changeCause"] == "to three"

    entries = await admin.ok("GET", f"/audit-logs?cluster={cid}&action=deployment.rollback")
    assert [(e["action"], e["name"], e["code"]) for e in entries[:2]] == [("deployment.rollback", "web", 0)] * 2


async def test_scale_and_the_controller_follows(admin: ApiSession, cid: int, namespace: str) -> None:
    base = f"/clusters/{cid}/namespaces/{namespace}"
    await create_deployment(admin, cid, namespace, "api")
    scaled = await admin.ok("PUT", f"{base}/deployments/api/scale", json={"replicas": 3})
    assert scaled["replicas"] == 3 and scaled["previousReplicas"] == 1 and scaled["selector"] == "app=api"

    async def replicas_created() -> bool:
        sets = await admin.ok("GET", f"/clusters/{cid}/resources/replicasets?namespace={namespace}&pageSize=all")
        pods = await admin.ok("GET", f"/clusters/{cid}/resources/pods?namespace={namespace}&labelSelector=app%3Dapi"
                                     "&pageSize=all")
        return [rs["spec"]["replicas"] for rs in sets] == [3] and len(pods) == 3
    await wait_until(replicas_created, timeout_s=30, what="3 pods of the scaled deployment")

    replicaset = (await admin.ok("GET", f"{base}/deployments/api/history"))[0]["replicaSet"]
    assert (await admin.ok("PUT", f"{base}/replicasets/{replicaset}/scale", json={"replicas": 3}))["replicas"] == 3

    await admin.fails("PUT", f"{base}/deployments/api/scale", 40001, json={})
    await admin.fails("PUT", f"{base}/deployments/api/scale", 40002, json={"replicas": -1})
    await admin.fails("PUT", f"{base}/deployments/api/scale", 40002, json={"replicas": "3"})
    await admin.fails("PUT", f"{base}/deployments/api/scale", 40002, json={"replicas": 1.5})
    await admin.fails("PUT", f"{base}/deployments/api/scale", 40002, json={"replicas": True})
    await admin.fails("PUT", f"{base}/configmaps/kube-root-ca.crt/scale", 40002, json={"replicas": 1})
    await admin.fails("PUT", f"{base}/deployments/missing/scale", 40400, json={"replicas": 1})

    entries = await admin.ok("GET", f"/audit-logs?cluster={cid}&action=workload.scale")
    assert (entries[0]["name"], entries[0]["namespace"], entries[0]["code"]) == (replicaset, namespace, 0)


async def test_restart_pause_and_resume(admin: ApiSession, cid: int, namespace: str) -> None:
    base = f"/clusters/{cid}/namespaces/{namespace}/deployments/worker"
    await create_deployment(admin, cid, namespace, "worker")
    restarted = await admin.ok("POST", f"{base}/restart")
    assert "kubectl.kubernetes.io/restartedAt" in restarted["spec"]["template"]["metadata"]["annotations"]
    await admin.fails("POST", f"/clusters/{cid}/namespaces/{namespace}/replicasets/x/restart", 40002)
    await history_with(admin, base, 2, 2)

    paused = await admin.ok("POST", f"{base}/pause")
    assert paused["spec"]["paused"] is True
    await admin.fails("POST", f"{base}/rollback", 40002)
    await set_image(admin, cid, namespace, "worker", "nginx:9", "while paused")
    await asyncio.sleep(1.0)  # a paused deployment makes no new ReplicaSet
    assert len(await admin.ok("GET", f"{base}/history")) == 2

    resumed = await admin.ok("POST", f"{base}/resume")
    assert not resumed["spec"].get("paused")
    history = await history_with(admin, base, 3, 3)
    assert history[0]["images"] == ["nginx:9"]


async def test_trigger_cronjob(admin: ApiSession, cid: int, namespace: str) -> None:
    kinds = {k["name"]: k for k in await admin.ok("GET", f"/clusters/{cid}/kinds")}
    cronjob = {"apiVersion": kinds["cronjobs"]["apiVersion"], "kind": "CronJob",
               "metadata": {"name": "nightly"},
               "spec": {"schedule": "0 3 * * *", "suspend": True, "jobTemplate": {
                   "metadata": {"labels": {"team": "ops"}},
                   "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
                       {"name": "c", "image": "busybox", "command": ["true"]}]}}}}}}
    created = await admin.ok("POST", f"/clusters/{cid}/resources/cronjobs?namespace={namespace}", json=cronjob)

    job = await admin.ok("POST", f"/clusters/{cid}/namespaces/{namespace}/cronjobs/nightly/trigger")
    assert job["kind"] == "Job" and job["metadata"]["name"].startswith("nightly-manual-")
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    assert job["metadata"]["labels"]["team"] == "ops"
    owner = job["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
        "CronJob", "nightly", created["metadata"]["uid"], True)
    assert owner["apiVersion"] == kinds["cronjobs"]["apiVersion"]
    jobs = await admin.ok("GET", f"/clusters/{cid}/resources/jobs?namespace={namespace}")
    assert [j["metadata"]["name"] for j in jobs] == [job["metadata"]["name"]]
    await admin.fails("POST", f"/clusters/{cid}/namespaces/{namespace}/cronjobs/absent/trigger", 40400)


async def test_cordon_and_uncordon(admin: ApiSession, cid: int, kubelet) -> None:
    node = f"/clusters/{cid}/resources/nodes/node1"
    try:
        cordoned = await admin.ok("POST", f"/clusters/{cid}/nodes/node1/cordon")
        assert cordoned["spec"]["unschedulable"] is True
        assert (await admin.ok("GET", node))["spec"]["unschedulable"] is True
    finally:
        uncordoned = await admin.ok("POST", f"/clusters/{cid}/nodes/node1/uncordon")
    assert not uncordoned["spec"].get("unschedulable")
    await wait_until(lambda: _schedulable(admin, node), what="node1 schedulable in every read")
    await admin.fails("POST", f"/clusters/{cid}/nodes/no-such-node/cordon", 40400)
    cordons = await admin.ok("GET", f"/audit-logs?cluster={cid}&action=node.cordon")
    assert [(e["resource"], e["name"], e["code"]) for e in cordons[:2]] == [("nodes", "no-such-node", 40400),
                                                                            ("nodes", "node1", 0)]
    uncordon = (await admin.ok("GET", f"/audit-logs?cluster={cid}&action=node.uncordon"))[0]
    assert (uncordon["name"], uncordon["code"]) == ("node1", 0)


async def _schedulable(admin: ApiSession, path: str) -> bool:
    return not (await admin.ok("GET", path))["spec"].get("unschedulable")


async def test_refusals(admin: ApiSession, cid: int, namespace: str, control_plane) -> None:
    await create_deployment(admin, cid, namespace, "guarded")
    base = f"/clusters/{cid}/namespaces/{namespace}/deployments/guarded"
    readonly = await make_user(admin, "ops-ro", "readonly")
    await readonly.fails("PUT", f"{base}/scale", 40300, json={"replicas": 2})
    await readonly.fails("POST", f"{base}/restart", 40300)
    await readonly.fails("POST", f"{base}/rollback", 40300, json={"revision": 1})
    await readonly.fails("POST", f"{base}/pause", 40300)
    await readonly.fails("POST", f"/clusters/{cid}/nodes/node1/cordon", 40300)
    assert await readonly.ok("GET", f"{base}/history")  # reading history is a read

    other = create_namespace_sync(control_plane.server_url, control_plane.admin_token)
    try:
        dev = await make_user(admin, "ops-dev", "dev", namespaces=[namespace])
        await dev.ok("PUT", f"{base}/scale", json={"replicas": 0})
        await dev.fails("PUT", f"/clusters/{cid}/namespaces/{other}/deployments/guarded/scale", 40302,
                        json={"replicas": 2})
        await dev.fails("POST", f"/clusters/{cid}/namespaces/{other}/cronjobs/x/trigger", 40302)
        await dev.fails("POST", f"/clusters/{cid}/nodes/node1/cordon", 40302)
        unrestricted_dev = await make_user(admin, "ops-dev2", "dev")
        await unrestricted_dev.fails("POST", f"/clusters/{cid}/nodes/node1/cordon", 40300)
    finally:
        delete_namespace_sync(control_plane.server_url, control_plane.admin_token, other)
    refused = await admin.ok("GET", f"/audit-logs?cluster={cid}&action=workload.scale")
    assert refused[0]["username"] == "ops-dev" and refused[0]["code"] == 0
