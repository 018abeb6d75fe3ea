"""Current values of named objects (`POST /clusters/{id}/metrics/{resource}` with `names`, what a windowed list asks
for) on the real control plane with the kubelet stand-in: only the asked objects, with the numbers of the full
listing of the same round; grants leave out what the caller may not see; bad keys are 40002."""

from __future__ import annotations

from typing import Any

from kubevision.services.metrics import MAX_NAMES
from tests.envtest.controlplane import ControlPlane
from tests.envtest.kubelet import KubeletStandIn
from tests.envtest.namespaces import create_namespace_sync, delete_namespace_sync
from tests.helpers import ApiSession, wait_until
from tests.kube.conftest import make_user
from tests.kube.test_metrics import NODE, WAIT_S, fast, pod_manifest, running, sampled, world  # noqa: F401 (fixture)


async def same_round(session: ApiSession, path: str, names: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the full listing, the named objects' listing) of one sampler round: asked between two full listings until
    all three carry the same `sampledAt`."""
    async def attempt() -> tuple[dict[str, Any], dict[str, Any]] | None:
        before = await session.ok("GET", path)
        named = await session.ok("POST", path, json={"names": names})
        after = await session.ok("GET", path)
        return (after, named) if before["sampledAt"] == named["sampledAt"] == after["sampledAt"] else None
    return await wait_until(attempt, timeout_s=WAIT_S, interval_s=0.1, what=f"one round of {path}")


def keyed(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f"{item.get('namespace') or ''}/{item['name']}": item for item in items}


@fast
async def test_only_the_named_objects_come_back_with_the_listings_numbers(admin: ApiSession, cid: int,
                                                                         world: dict[str, Any]) -> None:  # noqa: F811
    namespace = world["namespace"]
    pods_path = f"/clusters/{cid}/metrics/pods?namespace={namespace}"
    listing = await sampled(admin, pods_path, lambda data: len(data["items"]) == 3)
    web_pod = next(item["name"] for item in listing["items"] if item["name"] != "solo")
    asked = [f"{namespace}/solo", f"{namespace}/{web_pod}", f"{namespace}/no-such-pod", f"{namespace}/solo"]
    full, named = await same_round(admin, pods_path, asked)
    assert named["available"] and named["kind"] == "pods"
    assert keyed(named["items"]) == {key: item for key, item in keyed(full["items"]).items() if key in asked}
    assert len(named["items"]) == 2  # the unknown pod left out, the repeated key once
    assert [item["cpu"] for item in named["items"]] == sorted((item["cpu"] for item in named["items"]), reverse=True)
    by_name = await admin.ok("POST", f"{pods_path}&sort=name&limit=1", json={"names": asked})
    assert [item["name"] for item in by_name["items"]] == [min("solo", web_pod)]
    # Across namespaces too (no `namespace`), and none asked: none answered.
    across = await admin.ok("POST", f"/clusters/{cid}/metrics/pods", json={"names": [f"{namespace}/solo"]})
    assert [item["name"] for item in across["items"]] == ["solo"]
    assert (await admin.ok("POST", pods_path, json={"names": []}))["items"] == []

    # Workloads, namespaces and nodes by their keys ("/name" when cluster-scoped).
    full, named = await same_round(admin, f"/clusters/{cid}/metrics/deployments?namespace={namespace}",
                                   [f"{namespace}/web", f"{namespace}/solo"])
    assert named["items"] == full["items"] and [item["name"] for item in named["items"]] == ["web"]
    full, named = await same_round(admin, f"/clusters/{cid}/metrics/namespaces", [f"/{namespace}"])
    assert named["items"] == [item for item in full["items"] if item["name"] == namespace]
    full, named = await same_round(admin, f"/clusters/{cid}/metrics/nodes", [f"/{NODE}", "/no-such-node"])
    assert named["items"] == [item for item in full["items"] if item["name"] == NODE]


@fast
async def test_a_namespace_limited_user_gets_nothing_for_other_namespaces(admin: ApiSession, cid: int,
                                                                          world: dict[str, Any],  # noqa: F811
                                                                          kubelet: KubeletStandIn,
                                                                          control_plane: ControlPlane) -> None:
    mine = world["namespace"]
    other = create_namespace_sync(control_plane.server_url, control_plane.admin_token)
    try:
        await admin.ok("POST", f"/clusters/{cid}/resources/pods?namespace={other}",
                       json=pod_manifest("theirs", cpu_m=40, memory_mib=25))
        await running(kubelet, other, 1)
        await sampled(admin, f"/clusters/{cid}/metrics/pods?namespace={other}", lambda data: data["items"])
        limited = await make_user(admin, "names-limited", "dev", namespaces=[mine])
        pods = await limited.ok("POST", f"/clusters/{cid}/metrics/pods",
                                json={"names": [f"{mine}/solo", f"{other}/theirs"]})
        assert [(item["namespace"], item["name"]) for item in pods["items"]] == [(mine, "solo")]
        # The same answer whether the other namespace's pod exists or not: nothing tells it apart.
        missing = await limited.ok("POST", f"/clusters/{cid}/metrics/pods",
                                   json={"names": [f"{mine}/solo", f"{other}/no-such-pod"]})
        assert [item["name"] for item in missing["items"]] == ["solo"]
        spaces = await limited.ok("POST", f"/clusters/{cid}/metrics/namespaces",
                                  json={"names": [f"/{mine}", f"/{other}"]})
        assert [item["name"] for item in spaces["items"]] == [mine]
        # In my namespace only: the other's key is outside it.
        scoped = await limited.ok("POST", f"/clusters/{cid}/metrics/pods?namespace={mine}",
                                  json={"names": [f"{other}/theirs", f"{mine}/solo"]})
        assert [item["name"] for item in scoped["items"]] == ["solo"]
        # As the GET: a namespace or kind outside the grants is refused (the caller named it), not emptied.
        await limited.fails("POST", f"/clusters/{cid}/metrics/pods?namespace={other}", 40302,
                            json={"names": [f"{other}/theirs"]})
        await limited.fails("POST", f"/clusters/{cid}/metrics/nodes", 40302, json={"names": [f"/{NODE}"]})
        # The admin sees both.
        both = await admin.ok("POST", f"/clusters/{cid}/metrics/pods",
                              json={"names": [f"{mine}/solo", f"{other}/theirs"]})
        assert sorted(item["name"] for item in both["items"]) == ["solo", "theirs"]
        # A readonly user reads them too: the POST only reads.
        readonly = await make_user(admin, "names-readonly", "readonly", namespaces=[mine])
        assert [item["name"] for item in (await readonly.ok(
            "POST", f"/clusters/{cid}/metrics/pods", json={"names": [f"{mine}/solo"]}))["items"]] == ["solo"]
    finally:
        delete_namespace_sync(control_plane.server_url, control_plane.admin_token, other)


@fast
async def test_bad_names_are_refused(admin: ApiSession, cid: int, namespace: str) -> None:
    pods = f"/clusters/{cid}/metrics/pods"
    too_many = [f"{namespace}/pod-{i}" for i in range(MAX_NAMES + 1)]
    refused = await admin.fails("POST", pods, 40002, json={"names": too_many})
    assert f"at most {MAX_NAMES}" in refused["message"]
    await admin.ok("POST", pods, json={"names": too_many[:MAX_NAMES]})
    for bad in ("solo", "/solo", f"{namespace}/a/b", f"{namespace}/", "Upper/case", f"{namespace}/-dash", 42, None,
                f"{namespace}/{'x' * 254}"):
        refused = await admin.fails("POST", pods, 40002, json={"names": [f"{namespace}/fine", bad]})
        assert "names[1]" in refused["message"] and "namespace/name" in refused["message"], bad
    nodes = await admin.fails("POST", f"/clusters/{cid}/metrics/nodes", 40002, json={"names": [f"{namespace}/{NODE}"]})
    assert "/name" in nodes["message"]
    await admin.fails("POST", pods, 40002, json={"names": f"{namespace}/solo"})
    await admin.fails("POST", pods, 40001, json={})
    await admin.fails("POST", f"/clusters/{cid}/metrics/configmaps", 40002, json={"names": [f"{namespace}/x"]})
