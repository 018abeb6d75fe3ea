"""Informer caches on the real API server: convergence, staleness through an API server outage, the 410
relist path, and paging/sort/filter/authorization over cached lists."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kubevision.kube.clusters import CLUSTERS
from tests.helpers import ApiSession, wait_until
from tests.kube.conftest import configmap, make_user


def pod(name: str, namespace: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}}


async def cached_list(session: ApiSession, path: str) -> dict[str, Any]:
    """A list call, repeated until it is answered from the synced cache."""
    async def attempt() -> dict[str, Any] | None:
        body = await session.call("GET", path)
        return body if body["meta"]["source"] == "cache" else None
    return await wait_until(attempt, what=f"cached answer for {path}")


async def test_cache_converges(admin: ApiSession, cid: int, namespace: str) -> None:
    base = f"/clusters/{cid}/resources/pods"
    first = await cached_list(admin, f"{base}?namespace={namespace}")
    assert first["data"] == [] and first["meta"]["stale"] is False
    await admin.ok("POST", f"{base}?namespace={namespace}", json=pod("p1", namespace, app="a"))

    async def names() -> list[str]:
        return [o["metadata"]["name"] for o in (await admin.call("GET", f"{base}?namespace={namespace}"))["data"]]
    await wait_until(lambda: _eq(names(), ["p1"]), what="pod in cache")
    got = await admin.call("GET", f"{base}/p1?namespace={namespace}")
    assert got["meta"]["source"] == "cache" and "managedFields" not in got["data"]["metadata"]

    await admin.ok("PATCH", f"{base}/p1?namespace={namespace}",
                   json={"type": "merge", "patch": {"metadata": {"labels": {"app": "b"}}}})

    async def label() -> str:
        obj = (await admin.call("GET", f"{base}/p1?namespace={namespace}"))["data"]
        return obj["metadata"]["labels"]["app"] == "b"
    await wait_until(label, what="label change in cache")
    await admin.ok("DELETE", f"{base}/p1?namespace={namespace}&gracePeriodSeconds=0")

    async def gone() -> bool:
        listed = await admin.call("GET", f"{base}?namespace={namespace}")
        return listed["meta"]["source"] == "cache" and listed["data"] == []
    await wait_until(gone, what="pod gone from cache")


async def _eq(awaitable, expected) -> bool:
    return (await awaitable) == expected


async def test_paging_sort_filter_and_grants(admin: ApiSession, cid: int, namespace: str) -> None:
    base = f"/clusters/{cid}/resources/pods"
    await cached_list(admin, f"{base}?namespace={namespace}")
    await asyncio.gather(*(admin.ok("POST", f"{base}?namespace={namespace}",
                                    json=pod(f"pod-{i:02d}", namespace, tier="web" if i % 2 else "db", idx=str(i)))
                           for i in range(20)))

    async def all_there() -> bool:
        return (await admin.call("GET", f"{base}?namespace={namespace}&pageSize=all"))["meta"]["total"] == 20
    await wait_until(all_there, what="20 pods cached")

    page = await admin.call("GET", f"{base}?namespace={namespace}&view=table&sort=-name&page=2&pageSize=3")
    assert page["meta"]["source"] == "cache" and page["meta"]["total"] == 20
    assert [r["name"] for r in page["data"]["rows"]] == ["pod-16", "pod-15", "pod-14"]
    assert page["data"]["columns"][0]["name"] == "Name" and len(page["data"]["rows"][0]["cells"]) == len(
        page["data"]["columns"])

    web = await admin.call("GET", f"{base}?namespace={namespace}&labelSelector=tier%3Dweb&pageSize=all")
    assert web["meta"]["total"] == 10
    assert all(o["metadata"]["labels"]["tier"] == "web" for o in web["data"])
    selected = await admin.call("GET", f"{base}?namespace={namespace}&labelSelector=idx+in+(1,2,3),tier!%3Ddb")
    assert sorted(o["metadata"]["name"] for o in selected["data"]) == ["pod-01", "pod-03"]
    query = await admin.call("GET", f"{base}?namespace={namespace}&q=pod-1")
    assert query["meta"]["total"] == 10
    await admin.fails("GET", f"{base}?namespace={namespace}&labelSelector=a+in+b", 40002)

    everywhere = await admin.call("GET", f"{base}?q={namespace}&pageSize=all")
    assert everywhere["meta"]["total"] == 20
    outsider = await make_user(admin, "outsider", "ops", namespaces=["elsewhere"])
    hidden = await outsider.call("GET", f"{base}?pageSize=all")
    assert hidden["meta"]["source"] == "cache" and hidden["data"] == []
    await outsider.fails("GET", f"{base}?namespace={namespace}", 40302)


STALE_TTL_S = 3


@pytest.mark.parametrize("settings_overrides", [{"cache_ttl_s": STALE_TTL_S}], indirect=True)
async def test_stale_through_apiserver_outage(admin: ApiSession, cid: int, namespace: str, control_plane) -> None:
    base = f"/clusters/{cid}/resources/pods?namespace={namespace}"
    await cached_list(admin, base)
    # A quiet watch on a reachable API server stays confirmed (by the cluster's health checks) past the TTL.
    first = (await admin.call("GET", base))["meta"]
    await asyncio.sleep(2 * STALE_TTL_S)
    quiet = (await admin.call("GET", base))["meta"]
    assert quiet["stale"] is False and quiet["confirmedAt"] > first["confirmedAt"], (first, quiet)

    await asyncio.to_thread(control_plane.stop_apiserver)
    try:
        async def stale() -> dict | None:
            body = await admin.call("GET", base)
            return body["meta"] if body["meta"]["source"] == "cache" and body["meta"]["stale"] is True else None
        down = await wait_until(stale, what="stale cache while the API server is down")
        # Nothing confirms the cache while the server is gone: it stays stale, its confirmation time frozen.
        await asyncio.sleep(2 * STALE_TTL_S)
        still = (await admin.call("GET", base))["meta"]
        assert still["stale"] is True and still["confirmedAt"] == down["confirmedAt"], (down, still)
    finally:
        await asyncio.to_thread(control_plane.start_apiserver)

    async def fresh() -> bool:
        body = await admin.call("GET", base)
        return body["meta"]["source"] == "cache" and body["meta"]["stale"] is False
    await wait_until(fresh, timeout_s=60, what="fresh cache after the API server is back")


@pytest.mark.parametrize("settings_overrides", [{"cached_kinds": "configmaps"}], indirect=True)
async def test_gone_resource_version_relists(admin: ApiSession, client, cid: int, namespace: str,
                                             control_plane) -> None:
    base = f"/clusters/{cid}/resources/configmaps"
    await cached_list(admin, f"{base}?namespace={namespace}")
    cluster = client.app[CLUSTERS].get(cid)
    cache = next(c for c in cluster.caches._caches.values() if c.kind.name == "configmaps")
    relists = cache.relists
    await admin.ok("POST", f"{base}?namespace={namespace}", json=configmap("churn", namespace, i="1"))

    async def seen() -> bool:
        got = await admin.call("GET", f"{base}/churn?namespace={namespace}")
        return got["meta"]["source"] == "cache"
    await wait_until(seen, what="configmap in cache")
    # A restarted API server's watch window starts at its current revision, so resuming from an older
    # resourceVersion is answered with 410 Gone: the informer must relist.
    cache.resource_version = "1"
    await asyncio.to_thread(control_plane.restart_apiserver)

    async def relisted() -> bool:
        return cache.relists > relists
    await wait_until(relisted, timeout_s=30, what="a relist after 410 Gone")
    got = await admin.call("GET", f"{base}/churn?namespace={namespace}")
    assert got["meta"]["source"] == "cache" and got["data"]["data"] == {"i": "1"}
    assert cache.synced and cache.resource_version != "1"
