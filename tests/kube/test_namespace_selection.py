"""Several namespaces at once (`namespace=a,b`): lists from the cache and live, watches, grants, and refusals."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.envtest.namespaces import create_namespace_sync, delete_namespace_sync
from tests.helpers import ApiSession
from tests.kube.conftest import make_user
from tests.kube.test_watch import events_until, open_watch, subscribe

CACHE_WAIT_TRIES = 60


@pytest.fixture
def two_more(control_plane) -> Iterator[tuple[str, str]]:
    """Two namespaces besides the test's own."""
    names = tuple(create_namespace_sync(control_plane.server_url, control_plane.admin_token) for _ in range(2))
    yield names
    for name in names:
        delete_namespace_sync(control_plane.server_url, control_plane.admin_token, name)


async def seed(admin: ApiSession, cid: int, *namespaces: str) -> None:
    """One Service `sel-<i>` in each namespace (Services are a cached kind)."""
    for index, namespace in enumerate(namespaces):
        await admin.ok("POST", f"/clusters/{cid}/resources/services?namespace={namespace}",
                       json=service(f"sel-{index}", namespace))


def service(name: str, namespace: str) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
            "spec": {"ports": [{"port": 80}]}}


async def answered_from_cache(session: ApiSession, path: str) -> dict:
    """The envelope of `path` once the kind's cache answers it (the first read starts the cache)."""
    for _ in range(CACHE_WAIT_TRIES):
        body = await session.call("GET", path)
        if body["meta"]["source"] == "cache":
            return body
        await asyncio.sleep(0.25)
    raise AssertionError(f"{path} never came from the cache")


def keys(objects: list[dict]) -> set[tuple[str, str]]:
    return {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects
            if o["metadata"]["name"].startswith("sel-")}


async def test_a_list_of_several_namespaces_from_the_cache_and_live(admin: ApiSession, cid: int, namespace: str,
                                                                    two_more: tuple[str, str]) -> None:
    second, third = two_more
    await seed(admin, cid, namespace, second, third)
    base = f"/clusters/{cid}/resources/services"
    selection = f"{namespace},{third}"
    first = await admin.call("GET", f"{base}?namespace={selection}")  # live while the cache syncs
    assert keys(first["data"]) == {(namespace, "sel-0"), (third, "sel-2")}
    cached = await answered_from_cache(admin, f"{base}?namespace={selection}")
    assert keys(cached["data"]) == keys(first["data"])
    # The same selection written twice, with spaces, and in another order is the same selection.
    again = await admin.ok("GET", f"{base}?namespace={third},%20{namespace},{third}")
    assert keys(again) == keys(cached["data"])
    table = await admin.ok("GET", f"{base}?namespace={selection}&view=table&sort=-name")
    names = [row["cells"][0] for row in table["rows"] if row["cells"][0].startswith("sel-")]
    assert names == ["sel-2", "sel-0"]
    assert {row["namespace"] for row in table["rows"]} == {namespace, third}

    # A field selector makes it a live list: one request per selected namespace, merged and sorted.
    live = await admin.call("GET", f"{base}?namespace={selection}&fieldSelector=metadata.name!%3Dnone"
                                       "&sort=-name")
    assert live["meta"]["source"] != "cache"
    assert [o["metadata"]["name"] for o in live["data"] if o["metadata"]["name"].startswith("sel-")] == \
        ["sel-2", "sel-0"]
    refused = await admin.fails("GET", f"{base}?namespace={selection}&limit=1", 40002)
    assert "selection" in refused["message"]


async def test_changes_and_single_objects_name_one_namespace(admin: ApiSession, cid: int, namespace: str,
                                                             two_more: tuple[str, str]) -> None:
    second, _ = two_more
    base = f"/clusters/{cid}/resources/services"
    refused = await admin.fails("POST", f"{base}?namespace={namespace},{second}", 40002,
                                json=service("two-places", namespace))
    assert "one namespace" in refused["message"]
    await seed(admin, cid, namespace)
    await admin.fails("GET", f"{base}/sel-0?namespace={namespace},{second}", 40001)
    await admin.fails("DELETE", f"{base}/sel-0?namespace={namespace},{second}", 40002)
    assert await admin.ok("GET", f"{base}/sel-0?namespace={namespace}")
    too_many = ",".join(f"ns-{index}" for index in range(101))
    await admin.fails("GET", f"{base}?namespace={too_many}", 40002)


async def test_a_selection_keeps_to_the_grants(admin: ApiSession, cid: int, namespace: str,
                                               two_more: tuple[str, str]) -> None:
    second, third = two_more
    await seed(admin, cid, namespace, second, third)
    dev = await make_user(admin, "selector", "dev", namespaces=[namespace, second])
    base = f"/clusters/{cid}/resources/services"
    assert keys(await dev.ok("GET", f"{base}?namespace={namespace},{second}")) == \
        {(namespace, "sel-0"), (second, "sel-1")}
    refused = await dev.fails("GET", f"{base}?namespace={namespace},{third}", 40302)
    assert third in refused["message"]
    await dev.fails("GET", f"{base}?namespace={namespace},{third}&fieldSelector=metadata.name%3Dsel-2", 40302)


async def test_a_watch_of_several_namespaces(admin: ApiSession, cid: int, namespace: str,
                                             two_more: tuple[str, str]) -> None:
    second, third = two_more
    ws = await open_watch(admin)
    try:
        ack = await subscribe(ws, "sel", cluster=cid, resource="services", namespace=f"{namespace},{third}",
                              view="table")
        assert ack["synced"] is True
        await seed(admin, cid, namespace, second, third)
        seen = await events_until(ws, lambda event: event["name"] == "sel-2")
        assert {(e["namespace"], e["name"]) for e in seen if e["name"].startswith("sel-")} <= \
            {(namespace, "sel-0"), (third, "sel-2")}
        assert all(e["namespace"] in (namespace, third) for e in seen)
    finally:
        await ws.close()
