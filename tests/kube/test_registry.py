"""The registry from discovery: every built-in kind with its facts (category, columns, capabilities, masking,
storability) and `/kinds` telling the caller's verbs the way the rest of the API then decides them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kubevision.auth.permissions import ROLE_VERBS, Role
from kubevision.kube.clusters import CLUSTERS, REDISCOVER_MIN_INTERVAL_S
from kubevision.kube.registry import BUILTIN_KINDS, CATEGORIES, Capability
from kubevision.kube.tables import TABLES, columns_of
from tests.envtest.controlplane import api_request
from tests.helpers import ApiSession, wait_until
from tests.kube.conftest import configmap, make_user

# The built-in kinds SPEC §4 names.
SPEC_KINDS = {
    "pods", "deployments", "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs", "services", "ingresses",
    "endpoints", "networkpolicies", "configmaps", "secrets", "serviceaccounts", "persistentvolumes",
    "persistentvolumeclaims", "storageclasses", "nodes", "namespaces", "events", "roles", "rolebindings",
    "clusterroles", "clusterrolebindings", "horizontalpodautoscalers", "resourcequotas", "limitranges",
}


def secret(name: str, namespace: str) -> dict[str, Any]:
    """A Secret manifest with one value."""
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
            "stringData": {"password": "s3cret-value"}}


async def kinds_of(session: ApiSession, cid: int, namespace: str | None = None) -> dict[str, dict[str, Any]]:
    """`/kinds` by name (for `namespace` when given)."""
    query = f"?namespace={namespace}" if namespace else ""
    return {k["name"]: k for k in await session.ok("GET", f"/clusters/{cid}/kinds{query}")}


async def test_every_builtin_kind_has_its_facts(admin: ApiSession, cid: int) -> None:
    kinds = await kinds_of(admin, cid)
    assert {plural for _, plural in BUILTIN_KINDS} == SPEC_KINDS
    served = [(key, facts) for key, facts in BUILTIN_KINDS.items() if key[1] in kinds]
    assert {plural for (_, plural), _ in served} == SPEC_KINDS
    for (group, plural), facts in served:
        kind = kinds[plural]
        assert kind["group"] == group and kind["builtin"] and not kind["custom"], kind
        assert kind["category"] == facts.category and facts.category in CATEGORIES, kind
        # Its own kubectl-like columns, not the generic name/namespace/age of unknown kinds.
        assert plural in TABLES, plural
        assert kind["columns"] == columns_of(TABLES[plural], namespaced=kind["namespaced"]), kind
        assert kind["columns"][0]["name"] == "Name"
    # Only batch/v1beta1 serves CronJobs on this server version: found through a non-preferred version.
    assert kinds["cronjobs"]["apiVersion"].startswith("batch/")
    assert kinds["deployments"]["apiVersion"] == "apps/v1"
    assert kinds["pods"]["namespaced"] and not kinds["nodes"]["namespaced"]
    assert kinds["pods"]["cached"] and not kinds["configmaps"]["cached"]
    # The events.k8s.io duplicate is reachable by its qualified name, and is not the built-in kind.
    duplicate = kinds["events.events.k8s.io"]
    assert duplicate["group"] == "events.k8s.io" and not duplicate["builtin"] and duplicate["category"] == "other"
    assert [column["name"] for column in duplicate["columns"]] == ["Name", "Namespace", "Age"]
    # The sidebar order is the table's order within each category.
    listed = [name for name in kinds if kinds[name]["builtin"]]
    assert listed == [plural for (_, plural), facts in sorted(served, key=lambda item: CATEGORIES.index(
        item[1].category))]


async def test_capabilities_follow_discovery(admin: ApiSession, cid: int, control_plane) -> None:
    """`scale` exactly where the API server's discovery lists a scale subresource; logs and exec on pods; restart
    and aggregated logs on the workloads with a pod template / selector."""
    kinds = await kinds_of(admin, cid)
    listings: dict[str, dict[str, Any]] = {}
    # Helm releases are derived from their records (Secrets, ConfigMaps): the API server serves no helm.sh group.
    assert [name for name, kind in kinds.items() if kind["derived"]] == ["releases.helm.sh"]
    assert kinds["releases.helm.sh"]["capabilities"] == ["helm"] and kinds["releases.helm.sh"]["cached"]
    status, _ = await asyncio.to_thread(api_request, control_plane.server_url, control_plane.admin_token, "GET",
                                        "/apis/helm.sh/v1")
    assert status == 404
    for kind in kinds.values():
        if kind["derived"]:
            continue
        api_version = kind["apiVersion"]
        path = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
        if path not in listings:
            status, listings[path] = await asyncio.to_thread(api_request, control_plane.server_url,
                                                             control_plane.admin_token, "GET", path)
            assert status == 200, (path, listings[path])
        plural = kind["name"].split(".")[0]
        served = {entry["name"] for entry in listings[path]["resources"]}
        assert (f"{plural}/scale" in served) == ("scale" in kind["capabilities"]), kind
    assert [name for name, kind in kinds.items() if "scale" in kind["capabilities"] and kind["builtin"]] == [
        "deployments", "statefulsets", "replicasets"]
    assert {Capability.LOGS, Capability.EXEC} <= set(kinds["pods"]["capabilities"])
    assert [name for name, kind in kinds.items() if {"logs", "exec"} & set(kind["capabilities"])] == ["pods"]
    assert [name for name, kind in kinds.items() if "restart" in kind["capabilities"]] == [
        "deployments", "statefulsets", "daemonsets"]
    assert [name for name, kind in kinds.items() if "aggregated_logs" in kind["capabilities"]] == [
        "deployments", "statefulsets", "daemonsets", "jobs"]
    assert [name for name, kind in kinds.items() if "port_forward" in kind["capabilities"]] == [
        "pods", "deployments", "statefulsets", "daemonsets", "replicasets", "services"]
    # Drain: on nodes, because the API server serves pods/eviction (policy/v1beta1 on 1.20, policy/v1 from 1.22).
    eviction = next(entry for entry in listings["/api/v1"]["resources"] if entry["name"] == "pods/eviction")
    assert [name for name, kind in kinds.items() if "drain" in kind["capabilities"]] == ["nodes"]
    pods = (await admin.client.app[CLUSTERS].get(cid).registry()).lookup("pods")
    assert pods.subresource_api_version("eviction") == f"{eviction['group']}/{eviction['version']}"
    # The API refuses what /kinds does not offer.
    refused = await admin.fails("POST", f"/clusters/{cid}/namespaces/default/replicasets/any/restart", 40002)
    assert "cannot be restarted" in refused["message"] and "deployments" in refused["message"]


@pytest.mark.parametrize("settings_overrides", [{"cached_kinds": "pods,secrets"}], indirect=True)
async def test_secrets_are_never_cached(admin: ApiSession, client, cid: int, namespace: str) -> None:
    """Listing secrets in the cached kinds setting changes nothing: /kinds says so and the cache keeps nothing."""
    kinds = await kinds_of(admin, cid)
    assert kinds["secrets"]["sensitive"] and not kinds["secrets"]["storable"] and not kinds["secrets"]["cached"]
    assert kinds["pods"]["cached"] and not kinds["pods"]["sensitive"]
    assert [name for name, kind in kinds.items() if kind["sensitive"]] == ["secrets"]
    assert not kinds["events"]["storable"] and not kinds["events"]["sensitive"]
    await admin.ok("POST", f"/clusters/{cid}/resources/secrets?namespace={namespace}", json=secret("kept", namespace))
    for _ in range(2):
        read = await admin.call("GET", f"/clusters/{cid}/resources/secrets/kept?namespace={namespace}")
        assert read["meta"]["source"] == "apiserver" and read["data"]["data"]["password"] == "********"
    cluster = client.app[CLUSTERS].get(cid)
    cache = cluster.caches.cache_for((await cluster.registry()).lookup("secrets"))

    async def synced() -> bool:
        return cache.synced
    await wait_until(synced, what="the secrets informer's first list")
    assert cache.entries == {} and not cache.store


async def test_kinds_tell_the_verbs_the_api_allows(admin: ApiSession, cid: int, namespace: str) -> None:
    """For a readonly user and a dev limited to one namespace, `allowed` matches what the API then does."""
    other = f"{namespace}-other"
    await admin.ok("POST", f"/clusters/{cid}/resources/namespaces", json={"apiVersion": "v1", "kind": "Namespace",
                                                                          "metadata": {"name": other}})
    try:
        for ns in (namespace, other):
            await admin.ok("POST", f"/clusters/{cid}/resources/secrets?namespace={ns}", json=secret("s", ns))
        readonly = await make_user(admin, "reader", "readonly")
        dev = await make_user(admin, "limited-dev", "dev", namespaces=[namespace])
        counter = iter(range(1000))

        async def succeeds(session: ApiSession, verb: str, resource: str, ns: str | None) -> bool:
            base = f"/clusters/{cid}/resources/{resource}"
            query = f"?namespace={ns}" if ns else ""
            if verb == "read":
                return (await session.call("GET", base + query))["code"] == 0
            if verb == "reveal":
                return (await session.call("GET", f"{base}/s{query}&reveal=true"))["code"] == 0
            name = f"probe-{next(counter)}"
            await admin.ok("POST", base + query, json=configmap(name, ns))
            if verb == "write":
                return (await session.call("PATCH", f"{base}/{name}{query}",
                                           json={"type": "merge", "patch": {"data": {"k": "v"}}}))["code"] == 0
            return (await session.call("DELETE", f"{base}/{name}{query}"))["code"] == 0

        probes = [("read", "configmaps"), ("write", "configmaps"), ("delete", "configmaps"), ("reveal", "secrets")]
        for session, role_verbs in ((readonly, {"read", "logs"}), (dev, None)):
            for ns in (namespace, other):
                kinds = await kinds_of(session, cid, ns)
                for verb, resource in probes:
                    assert (verb in kinds[resource]["allowed"]) == await succeeds(session, verb, resource, ns), \
                        (verb, resource, ns, kinds[resource]["allowed"])
            everywhere = await kinds_of(session, cid)
            for resource in ("nodes", "namespaces", "configmaps"):
                listed = (await session.call("GET", f"/clusters/{cid}/resources/{resource}"))["code"] == 0
                assert ("read" in everywhere[resource]["allowed"]) == listed, (resource, everywhere[resource])
            if role_verbs is not None:
                assert {verb for kind in everywhere.values() for verb in kind["allowed"]} == role_verbs
        dev_kinds = await kinds_of(dev, cid, namespace)
        assert set(dev_kinds["pods"]["allowed"]) == ROLE_VERBS[Role.DEV]
        assert dev_kinds["nodes"]["allowed"] == [] and dev_kinds["namespaces"]["allowed"] == ["read"]
        assert (await kinds_of(dev, cid, other))["pods"]["allowed"] == []
        assert (await kinds_of(dev, cid))["configmaps"]["allowed"] == ["read"]  # lists across namespaces, filtered
        assert "reveal" in (await kinds_of(admin, cid, namespace))["secrets"]["allowed"]
    finally:
        await admin.call("DELETE", f"/clusters/{cid}/resources/namespaces/{other}")


async def test_lookup_by_alias(admin: ApiSession, cid: int, namespace: str) -> None:
    for alias in ("po", "pod", "pods"):
        listed = await admin.call("GET", f"/clusters/{cid}/resources/{alias}?namespace={namespace}")
        assert listed["code"] == 0, alias


async def test_kinds_answer_from_the_kept_registry_while_the_api_server_is_down(admin: ApiSession, cid: int,
                                                                                 control_plane) -> None:
    """Discovery is refreshed in the background: a known registry answers at once, even with no API server."""
    before = await admin.ok("GET", f"/clusters/{cid}/kinds")
    await asyncio.sleep(REDISCOVER_MIN_INTERVAL_S)  # the next call asks for a rediscovery
    await asyncio.to_thread(control_plane.stop_apiserver)
    try:
        during = await admin.ok("GET", f"/clusters/{cid}/kinds")
        assert during == before
    finally:
        await asyncio.to_thread(control_plane.start_apiserver)
