"""While a cached kind's cache is still syncing, a page comes from the API server's own first pages."""

from __future__ import annotations

import asyncio

import pytest

from kubevision.kube.cache import KindCache
from tests.envtest.controlplane import ControlPlane, api_request
from tests.helpers import ApiSession
from tests.kube.conftest import configmap

COUNT = 30


@pytest.mark.parametrize("settings_overrides", [{"cached_kinds": ["configmaps"]}], indirect=True)
async def test_a_page_while_the_cache_syncs_is_cut_from_the_api_servers_pages(
        admin: ApiSession, cid: int, namespace: str, control_plane: ControlPlane) -> None:
    base = f"/clusters/{cid}/resources/configmaps"
    for index in range(COUNT):
        await admin.ok("POST", f"{base}?namespace={namespace}", json=configmap(f"cm-{index:02d}", namespace))
    # The controller-manager adds the namespace's kube-root-ca.crt on its own time: wait for it (straight from the
    # API server, so that KubeVision's cache is not started yet).
    root_ca = f"/api/v1/namespaces/{namespace}/configmaps/kube-root-ca.crt"
    for _ in range(100):
        status, _ = await asyncio.to_thread(api_request, control_plane.server_url, control_plane.admin_token,
                                            "GET", root_ca)
        if status == 200:
            break
        await asyncio.sleep(0.1)
    # The first read starts the kind's cache, so it cannot have synced yet.
    first = await admin.call("GET", f"{base}?namespace={namespace}&view=table&page=2&pageSize=7")
    assert first["meta"]["source"] == "apiserver" and first["meta"]["syncing"] is True
    names = [row["cells"][0] for row in first["data"]["rows"]]
    assert names == [f"cm-{index:02d}" for index in range(7, 14)]
    total = first["meta"]["total"]
    assert total == COUNT + 1  # the namespace's own kube-root-ca.crt ConfigMap is the +1

    # Once synced, the cache gives the same page and total.
    for _ in range(40):
        cached = await admin.call("GET", f"{base}?namespace={namespace}&view=table&page=2&pageSize=7")
        if cached["meta"]["source"] == "cache":
            break
    assert cached["meta"]["source"] == "cache" and "syncing" not in cached["meta"]
    assert [row["cells"][0] for row in cached["data"]["rows"]] == names
    assert cached["meta"]["total"] == total


@pytest.mark.parametrize("settings_overrides", [{"cached_kinds": ["configmaps"]}], indirect=True)
async def test_a_cache_lists_page_after_page(admin: ApiSession, cid: int, namespace: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(KindCache, "page_size", 4)  # 31 objects in this namespace alone: many pages
    base = f"/clusters/{cid}/resources/configmaps"
    for index in range(COUNT):
        await admin.ok("POST", f"{base}?namespace={namespace}", json=configmap(f"cm-{index:02d}", namespace))
    everywhere = await admin.call("GET", f"{base}?pageSize=all&fieldSelector=metadata.name!%3Dnone")  # live
    for _ in range(40):
        cached = await admin.call("GET", f"{base}?pageSize=all")
        if cached["meta"]["source"] == "cache":
            break
    assert cached["meta"]["source"] == "cache"
    assert sorted(keys(cached["data"])) == sorted(keys(everywhere["data"]))
    assert len(cached["data"]) > COUNT


def keys(objects: list[dict]) -> list[tuple[str, str]]:
    return [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects]
