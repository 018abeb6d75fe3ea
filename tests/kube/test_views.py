"""Cross-kind views against the real control plane: overview, search ranking, topology (with the
kubelet stand-in so pods are scheduled and Running), events filter, quota summary, and grants."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.envtest.controlplane import api_request
from tests.envtest.namespaces import create_namespace_sync, delete_namespace_sync
from tests.helpers import ApiSession, wait_until
from tests.kube.conftest import configmap, make_user


def workload(name: str, *, replicas: int, pod_spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Deployment manifest."""
    spec = pod_spec or {"containers": [{"name": "c", "image": "nginx:1"}]}
    return {"metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}}


def event(name: str, namespace: str, pod: str, *, event_type: str, minutes_ago: int) -> dict[str, Any]:
    """A core/v1 Event about a pod."""
    stamp = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"metadata": {"name": name},
            "involvedObject": {"kind": "Pod", "name": pod, "namespace": namespace, "apiVersion": "v1"},
            "reason": f"Reason-{name}", "message": f"message of {name}", "type": event_type,
            "firstTimestamp": stamp, "lastTimestamp": stamp, "count": 1, "source": {"component": "pytest"}}


async def create(admin: ApiSession, cid: int, resource: str, namespace: str | None, body: dict[str, Any]) -> Any:
    query = f"?namespace={namespace}" if namespace else ""
    return await admin.ok("POST", f"/clusters/{cid}/resources/{resource}{query}", json=body)


async def running_pods(admin: ApiSession, cid: int, namespace: str, count: int) -> list[dict[str, Any]]:
    """Wait until `count` pods of the namespace are Running; returns them."""
    async def check() -> list[dict[str, Any]] | None:
        pods = await admin.ok("GET", f"/clusters/{cid}/resources/pods?namespace={namespace}&pageSize=all")
        running = [p for p in pods if (p.get("status") or {}).get("phase") == "Running"]
        return running if len(running) == count == len(pods) else None
    return await wait_until(check, timeout_s=60, what=f"{count} running pods")


async def test_overview(admin: ApiSession, cid: int, namespace: str, kubelet) -> None:
    resources = {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}}
    await create(admin, cid, "deployments", namespace, workload("ov", replicas=2, pod_spec={
        "containers": [{"name": "c", "image": "nginx:1", "resources": resources}]}))
    await create(admin, cid, "jobs", namespace, {"metadata": {"name": "once"}, "spec": {"template": {"spec": {
        "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox",
                                                   "resources": {"requests": {"cpu": "0.25", "memory": "1e6"}}}]}}}})
    await create(admin, cid, "events", namespace, event("boom", namespace, "ov-x", event_type="Warning",
                                                        minutes_ago=0))
    await running_pods(admin, cid, namespace, 3)
    dev = await make_user(admin, "ov-dev", "dev", namespaces=[namespace])

    async def settled() -> dict[str, Any] | None:
        body = await dev.call("GET", f"/clusters/{cid}/overview")
        data = body["data"]
        return body if data["workloads"]["pods"]["ready"] == 3 and data["workloads"]["deployments"]["ready"] == 1 \
            else None
    body = await wait_until(settled, timeout_s=30, what="overview to see the ready pods")
    data = body["data"]
    assert body["meta"]["source"] in ("cache", "apiserver") and body["meta"]["stale"] is False
    assert data["scope"] == "namespaces"
    assert {k: data["counts"][k] for k in ("deployments", "replicasets", "jobs", "cronjobs", "pods", "statefulsets",
                                           "daemonsets", "namespaces")} == {
        "deployments": 1, "replicasets": 1, "jobs": 1, "cronjobs": 0, "pods": 3, "statefulsets": 0,
        "daemonsets": 0, "namespaces": 1}
    assert "nodes" not in data["counts"] and data["nodes"] is None
    assert data["workloads"]["jobs"]["total"] == 1 and data["workloads"]["jobs"]["notReady"] == 0
    assert data["workloads"]["pods"] == {"total": 3, "ready": 3, "notReady": 0}
    assert data["podPhases"]["Running"] == 3 and data["podPhases"]["Pending"] == 0
    cpu, memory = data["resources"]["cpu"], data["resources"]["memory"]
    assert (cpu["requests"], cpu["limits"], cpu["capacity"]) == (0.45, 1.0, None)
    assert (memory["requests"], memory["limits"]) == (2 * 64 * 2**20 + 10**6, 2 * 128 * 2**20)
    assert data["resources"]["pods"]["requests"] == 3
    assert (cpu["usage"] is None) is (not data["metricsAvailable"]) is (not data["metrics"]["available"])
    assert [w["reason"] for w in data["warnings"]] == ["Reason-boom"]
    assert data["warnings"][0]["involvedObject"]["name"] == "ov-x"

    everything = await admin.ok("GET", f"/clusters/{cid}/overview")
    assert everything["scope"] == "cluster" and everything["nodes"]["total"] >= 1
    assert everything["counts"]["nodes"] == everything["nodes"]["total"]
    assert everything["counts"]["pods"] >= 3 and everything["nodes"]["ready"] >= 1
    assert everything["resources"]["cpu"]["capacity"] >= 8
    assert everything["resources"]["memory"]["allocatable"] >= 32 * 2**30
    assert everything["resources"]["cpu"]["requests"] >= 0.45
    assert len(everything["warnings"]) <= 20


async def test_search_ranking_and_grants(admin: ApiSession, cid: int, namespace: str, control_plane) -> None:
    for name, labels in (("zeta", {"app": "alpha"}), ("my-alpha", {}), ("alpha-web", {}), ("alpha", {}),
                         ("unrelated", {})):
        body = configmap(name, namespace)
        body["metadata"]["labels"] = labels
        await create(admin, cid, "configmaps", namespace, body)
    await create(admin, cid, "services", namespace, {"metadata": {"name": "alpha"},
                                                     "spec": {"ports": [{"port": 80}]}})
    await create(admin, cid, "secrets", namespace, {"metadata": {"name": "alpha-secret"},
                                                    "stringData": {"password": "hunter2"}})
    other = create_namespace_sync(control_plane.server_url, control_plane.admin_token)
    try:
        await create(admin, cid, "configmaps", other, configmap("alpha", other))
        dev = await make_user(admin, "search-dev", "dev", namespaces=[namespace])

        found = await dev.call("GET", f"/clusters/{cid}/search?q=ALPHA&kinds=configmaps")
        assert [(r["name"], r["score"], r["matchedOn"]) for r in found["data"]] == [
            ("alpha", 100, "name"), ("alpha-web", 80, "name"), ("my-alpha", 60, "name"),
            ("zeta", 50, "label:app=alpha")]
        assert {r["namespace"] for r in found["data"]} == {namespace} and found["meta"]["total"] == 4

        capped = await dev.call("GET", f"/clusters/{cid}/search?q=alpha&kinds=configmaps&limit=2")
        assert [r["name"] for r in capped["data"]] == ["alpha", "alpha-web"] and capped["meta"]["total"] == 4

        mixed = await dev.ok("GET", f"/clusters/{cid}/search?q=alpha")
        assert {(r["kind"], r["name"]) for r in mixed if r["score"] == 100} == {("configmaps", "alpha"),
                                                                             ("services", "alpha")}
        secret = next(r for r in mixed if r["kind"] == "secrets")
        assert secret["name"] == "alpha-secret" and set(secret) == {"kind", "name", "namespace", "score",
                                                                     "matchedOn", "status"}
        scores = [r["score"] for r in mixed]
        assert scores == sorted(scores, reverse=True)

        by_namespace = await dev.ok("GET", f"/clusters/{cid}/search?q={namespace}&kinds=namespaces,configmaps")
        assert by_namespace[0] == {"kind": "namespaces", "name": namespace, "namespace": None, "score": 100,
                                   "matchedOn": "name", "status": "Active"}
        assert {r["matchedOn"] for r in by_namespace[1:]} == {"namespace"}

        everywhere = await admin.ok("GET", f"/clusters/{cid}/search?q=alpha&kinds=configmaps&limit=100")
        assert {(r["namespace"], r["name"]) for r in everywhere if r["name"] == "alpha"} >= {
            (namespace, "alpha"), (other, "alpha")}

        await dev.fails("GET", f"/clusters/{cid}/search?q=", 40001)
        await dev.fails("GET", f"/clusters/{cid}/search?q=a&kinds=nonsense", 40002)
        await dev.fails("GET", f"/clusters/{cid}/search?q=a&limit=0", 40002)
    finally:
        delete_namespace_sync(control_plane.server_url, control_plane.admin_token, other)


async def test_topology(admin: ApiSession, cid: int, namespace: str, control_plane, kubelet) -> None:
    kinds = {k["name"]: k for k in await admin.ok("GET", f"/clusters/{cid}/kinds")}
    pv_name = f"pv-{namespace}"
    await create(admin, cid, "persistentvolumes", None, {
        "metadata": {"name": pv_name},
        "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "",
                 "hostPath": {"path": "/tmp/kubevision-test"}, "claimRef": {"namespace": namespace, "name": "data"}}})
    try:
        await create(admin, cid, "persistentvolumeclaims", namespace, {
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "", "volumeName": pv_name,
                     "resources": {"requests": {"storage": "1Gi"}}}})
        await create(admin, cid, "configmaps", namespace, configmap("cfg", namespace, a="1"))
        await create(admin, cid, "secrets", namespace, {"metadata": {"name": "sec"}, "stringData": {"k": "v"}})
        pod_spec = {
            "containers": [{"name": "c", "image": "nginx:1",
                            "envFrom": [{"configMapRef": {"name": "absent", "optional": True}}],
                            "volumeMounts": [{"name": "d", "mountPath": "/d"}, {"name": "c", "mountPath": "/c"},
                                             {"name": "s", "mountPath": "/s"}]}],
            "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}},
                        {"name": "c", "configMap": {"name": "cfg"}}, {"name": "s", "secret": {"secretName": "sec"}}]}
        await create(admin, cid, "deployments", namespace, workload("web", replicas=2, pod_spec=pod_spec))
        await create(admin, cid, "services", namespace, {"metadata": {"name": "web"}, "spec": {
            "selector": {"app": "web"}, "ports": [{"port": 80}]}})
        ingress_api = kinds["ingresses"]["apiVersion"]
        backend = ({"service": {"name": "web", "port": {"number": 80}}} if ingress_api.endswith("/v1")
                   else {"serviceName": "web", "servicePort": 80})
        await create(admin, cid, "ingresses", namespace, {"apiVersion": ingress_api, "kind": "Ingress",
                                                          "metadata": {"name": "web"}, "spec": {"rules": [{
                                                              "host": "web.example", "http": {"paths": [{
                                                                  "path": "/", "pathType": "Prefix",
                                                                  "backend": backend}]}}]}})
        pods = [p["metadata"]["name"] for p in await running_pods(admin, cid, namespace, 2)]

        async def bound() -> dict[str, Any] | None:
            graph = await admin.ok("GET", f"/clusters/{cid}/namespaces/{namespace}/topology")
            statuses = {n["id"]: n["status"] for n in graph["nodes"]}
            # The deployment controller reports readiness a little after the pods run.
            ready = statuses.get("PersistentVolumeClaim/data") == "Bound" and all(
                statuses.get(f"Pod/{p}") == "Running" for p in pods) and statuses.get("Deployment/web") == "Ready"
            return graph if ready else None
        graph = await wait_until(bound, timeout_s=30, what="a bound claim, running pods and a ready deployment")

        nodes = {n["id"]: n for n in graph["nodes"]}
        edges = {(e["source"], e["target"], e["type"]) for e in graph["edges"]}
        replicaset = next(n["name"] for n in graph["nodes"] if n["kind"] == "ReplicaSet")
        assert ("Ingress/web", "Service/web", "routes") in edges
        assert ("Deployment/web", f"ReplicaSet/{replicaset}", "owns") in edges
        assert ("PersistentVolumeClaim/data", f"PersistentVolume/{pv_name}", "binds") in edges
        for pod in pods:
            assert ("Service/web", f"Pod/{pod}", "selects") in edges
            assert (f"ReplicaSet/{replicaset}", f"Pod/{pod}", "owns") in edges
            for target in ("PersistentVolumeClaim/data", "ConfigMap/cfg", "Secret/sec", "ConfigMap/absent"):
                assert (f"Pod/{pod}", target, "mounts") in edges
            assert nodes[f"Pod/{pod}"]["group"] == "Deployment/web"
        assert nodes["ConfigMap/absent"]["status"] == "Missing" and nodes["Secret/sec"]["status"] == "Present"
        assert nodes[f"PersistentVolume/{pv_name}"]["namespace"] is None
        assert nodes["Deployment/web"] == {"id": "Deployment/web", "kind": "Deployment", "name": "web",
                                           "namespace": namespace, "status": "Ready"}
        assert graph["collapsed"] is False and graph["podCount"] == 2
        assert {e["type"] for e in graph["edges"]} == {"routes", "selects", "owns", "mounts", "binds"}

        dev = await make_user(admin, "topo-dev", "dev", namespaces=[namespace])
        limited = await dev.ok("GET", f"/clusters/{cid}/namespaces/{namespace}/topology")
        assert not any(n["kind"] == "PersistentVolume" for n in limited["nodes"])  # cluster-scoped: hidden
        await dev.fails("GET", f"/clusters/{cid}/namespaces/default/topology", 40302)
    finally:
        api_request(control_plane.server_url, control_plane.admin_token, "DELETE",
                    f"/api/v1/persistentvolumes/{pv_name}")


async def test_topology_collapses_pods_over_the_budget(admin: ApiSession, cid: int, namespace: str) -> None:
    await create(admin, cid, "deployments", namespace, workload("many", replicas=12))
    await create(admin, cid, "services", namespace, {"metadata": {"name": "many"}, "spec": {
        "selector": {"app": "many"}, "ports": [{"port": 80}]}})

    async def all_pods() -> bool:
        pods = await admin.ok("GET", f"/clusters/{cid}/resources/pods?namespace={namespace}&pageSize=all")
        return len(pods) == 12
    await wait_until(all_pods, timeout_s=30, what="12 pods")
    graph = await admin.ok("GET", f"/clusters/{cid}/namespaces/{namespace}/topology?budget=10")
    assert graph["collapsed"] is True and graph["podCount"] == 12
    assert not any(n["kind"] == "Pod" for n in graph["nodes"])
    group = next(n for n in graph["nodes"] if n["kind"] == "PodGroup")
    assert group["count"] == 12 and sum(group["statusCounts"].values()) == 12
    assert group["group"] == "Deployment/many"
    edges = {(e["source"], e["target"], e["type"]) for e in graph["edges"]}
    owner = group["owner"]
    assert owner.startswith("ReplicaSet/many-")
    assert {(owner, group["id"], "owns"), ("Service/many", group["id"], "selects"),
            ("Deployment/many", owner, "owns")} <= edges
    await admin.fails("GET", f"/clusters/{cid}/namespaces/{namespace}/topology?budget=1", 40002)


async def test_events_filter(admin: ApiSession, cid: int, namespace: str, control_plane) -> None:
    await create(admin, cid, "events", namespace, event("a-old", namespace, "a", event_type="Warning", minutes_ago=5))
    await create(admin, cid, "events", namespace, event("a-new", namespace, "a", event_type="Normal", minutes_ago=1))
    await create(admin, cid, "events", namespace, event("b-one", namespace, "b", event_type="Warning", minutes_ago=3))
    base = f"/clusters/{cid}/events?namespace={namespace}"

    everything = await admin.call("GET", base)
    assert [e["name"] for e in everything["data"]] == ["a-new", "b-one", "a-old"]
    assert everything["meta"]["total"] == 3 and everything["meta"]["source"] == "apiserver"
    for query in ("&kind=Pod&name=a", "&kind=pods&name=a", "&involvedObject=Pod/a"):
        assert [e["name"] for e in await admin.ok("GET", base + query)] == ["a-new", "a-old"], query
    warnings = await admin.ok("GET", base + "&type=Warning")
    assert [e["name"] for e in warnings] == ["b-one", "a-old"]
    first = warnings[0]
    assert (first["reason"], first["message"], first["source"], first["count"]) == (
        "Reason-b-one", "message of b-one", "pytest", 1)
    assert first["involvedObject"]["kind"] == "Pod" and first["lastSeen"]
    assert [e["name"] for e in await admin.ok("GET", base + "&limit=1")] == ["a-new"]

    other = create_namespace_sync(control_plane.server_url, control_plane.admin_token)
    try:
        dev = await make_user(admin, "events-dev", "dev", namespaces=[namespace])
        mine = await dev.ok("GET", f"/clusters/{cid}/events")
        assert {e["namespace"] for e in mine} == {namespace}
        await dev.fails("GET", f"/clusters/{cid}/events?namespace={other}", 40302)
    finally:
        delete_namespace_sync(control_plane.server_url, control_plane.admin_token, other)


async def test_quota_summary(admin: ApiSession, cid: int, namespace: str) -> None:
    await create(admin, cid, "resourcequotas", namespace, {"metadata": {"name": "team"}, "spec": {"hard": {
        "pods": "10", "configmaps": "4", "requests.cpu": "2", "requests.memory": "1Gi"}}})
    await create(admin, cid, "limitranges", namespace, {"metadata": {"name": "defaults"}, "spec": {"limits": [
        {"type": "Container", "default": {"cpu": "500m"}, "defaultRequest": {"cpu": "100m"}}]}})
    await create(admin, cid, "configmaps", namespace, configmap("counted", namespace))

    async def used() -> dict[str, Any] | None:
        summary = await admin.ok("GET", f"/clusters/{cid}/quota-summary?namespace={namespace}")
        resources = {r["resource"]: r for r in summary["quotas"][0]["resources"]} if summary["quotas"] else {}
        configmaps = resources.get("configmaps") or {}
        return summary if configmaps.get("used") not in (None, "0") else None
    summary = await wait_until(used, timeout_s=30, what="quota usage")

    quota = summary["quotas"][0]
    assert (quota["name"], quota["namespace"]) == ("team", namespace)
    resources = {r["resource"]: r for r in quota["resources"]}
    assert set(resources) == {"pods", "configmaps", "requests.cpu", "requests.memory"}
    configmaps = resources["configmaps"]
    assert configmaps["hard"] == "4"
    assert configmaps["percent"] == round(int(configmaps["used"]) * 100 / 4, 1)
    assert resources["requests.cpu"]["percent"] == 0.0 and resources["pods"]["percent"] == 0.0
    assert summary["limitRanges"] == [{"name": "defaults", "namespace": namespace, "limits": [
        {"type": "Container", "default": {"cpu": "500m"}, "defaultRequest": {"cpu": "100m"}}]}]

    dev = await make_user(admin, "quota-dev", "dev", namespaces=[namespace])
    assert [q["namespace"] for q in (await dev.ok("GET", f"/clusters/{cid}/quota-summary"))["quotas"]] == [namespace]
    await dev.fails("GET", f"/clusters/{cid}/quota-summary?namespace=default", 40302)
    readonly = await make_user(admin, "quota-ro", "readonly")
    assert (await readonly.ok("GET", f"/clusters/{cid}/quota-summary?namespace={namespace}"))["quotas"]
