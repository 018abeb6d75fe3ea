"""Bare kind names on the real API server: a plural, kind name or short name that two CRD groups serve is
refused with 40002 naming the `plural.group` candidates; a built-in kind keeps its name when a CRD serves it
too; `plural.group` always works."""

from __future__ import annotations

import uuid
from typing import Any

from tests.helpers import ApiSession, wait_until

DISCOVERY_TIMEOUT_S = 40  # CRDs are established within seconds; the CRD watch then rediscovers


def crd(group: str, plural: str, kind: str, short_names: list[str]) -> dict[str, Any]:
    """A namespaced CRD keeping any spec."""
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}"},
            "spec": {"group": group, "scope": "Namespaced",
                     "names": {"plural": plural, "singular": kind.lower(), "kind": kind, "shortNames": short_names},
                     "versions": [{"name": "v1", "served": True, "storage": True, "schema": schema}]}}


async def create_crds(admin: ApiSession, cid: int, definitions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Create the CRDs and wait until `/kinds` lists every one; returns `/kinds` by `plural.group`."""
    for definition in definitions:
        await admin.ok("POST", f"/clusters/{cid}/resources/customresourcedefinitions", json=definition)
    wanted = {definition["metadata"]["name"] for definition in definitions}

    async def discovered() -> dict[str, dict[str, Any]] | None:
        kinds = {f"{k['name'].split('.')[0]}.{k['group']}" if k["group"] else k["name"]: k
                 for k in await admin.ok("GET", f"/clusters/{cid}/kinds")}
        return kinds if wanted <= kinds.keys() else None

    return await wait_until(discovered, timeout_s=DISCOVERY_TIMEOUT_S, interval_s=0.3, what=f"{wanted} discovered")


async def delete_crds(admin: ApiSession, cid: int, definitions: list[dict[str, Any]]) -> None:
    """Delete the CRDs (test clean-up)."""
    for definition in definitions:
        name = definition["metadata"]["name"]
        await admin.call("DELETE", f"/clusters/{cid}/resources/customresourcedefinitions/{name}")


async def created(admin: ApiSession, path: str, body: dict[str, Any]) -> None:
    """POST an object, retrying while a just-discovered endpoint still answers 404."""
    async def done() -> bool:
        return (await admin.call("POST", path, json=body))["code"] == 0

    await wait_until(done, timeout_s=DISCOVERY_TIMEOUT_S, interval_s=0.3, what=f"POST {path}")


async def test_a_name_two_crd_groups_serve_is_refused_with_the_candidates(admin: ApiSession, cid: int,
                                                                          namespace: str) -> None:
    suffix = uuid.uuid4().hex[:6]
    plural, kind, short = f"widgets{suffix}", f"Widget{suffix}", f"wd{suffix}"
    groups = [f"a{suffix}.example.com", f"b{suffix}.example.com"]
    definitions = [crd(group, plural, kind, [short]) for group in groups]
    candidates = [f"{plural}.{group}" for group in groups]
    try:
        kinds = await create_crds(admin, cid, definitions)
        # Neither group owns the bare plural: both are named `plural.group`.
        assert [kinds[name]["name"] for name in candidates] == candidates
        await created(admin, f"/clusters/{cid}/resources/{candidates[0]}?namespace={namespace}",
                      {"apiVersion": f"{groups[0]}/v1", "kind": kind, "metadata": {"name": "only-in-a"}})
        for name in (plural, kind, kind.lower(), short, short.upper()):
            refused = await admin.fails("GET", f"/clusters/{cid}/resources/{name}?namespace={namespace}", 40002)
            assert refused["data"] == {"candidates": candidates}, name
            assert all(candidate in refused["message"] for candidate in candidates), refused["message"]
            search = await admin.fails("GET", f"/clusters/{cid}/search?q=only&kinds={name}", 40002)
            assert search["data"] == {"candidates": candidates}
        listed = await admin.ok("GET", f"/clusters/{cid}/resources/{candidates[0]}?namespace={namespace}")
        assert [item["metadata"]["name"] for item in listed] == ["only-in-a"]
        assert await admin.ok("GET", f"/clusters/{cid}/resources/{candidates[1]}?namespace={namespace}") == []
    finally:
        await delete_crds(admin, cid, definitions)


async def test_a_builtin_kind_keeps_its_names_when_a_crd_serves_them_too(admin: ApiSession, cid: int,
                                                                         namespace: str) -> None:
    group = f"net{uuid.uuid4().hex[:6]}.example.com"
    definitions = [crd(group, "ingresses", "Ingress", ["ing"])]
    try:
        kinds = await create_crds(admin, cid, definitions)
        impostor = kinds[f"ingresses.{group}"]
        assert impostor["name"] == f"ingresses.{group}" and impostor["custom"]
        owner = next(k for k in await admin.ok("GET", f"/clusters/{cid}/kinds") if k["name"] == "ingresses")
        assert owner["group"] == "networking.k8s.io" and owner["builtin"]
        await created(admin, f"/clusters/{cid}/resources/ingresses.{group}?namespace={namespace}",
                      {"apiVersion": f"{group}/v1", "kind": "Ingress", "metadata": {"name": "custom-one"}})
        await admin.ok("POST", f"/clusters/{cid}/resources/ingresses?namespace={namespace}", json={
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "real-one"},
            "spec": {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}}})
        for name in ("ingresses", "ingress", "Ingress", "ing", "ingresses.networking.k8s.io"):
            listed = await admin.ok("GET", f"/clusters/{cid}/resources/{name}?namespace={namespace}")
            assert [(i["apiVersion"], i["metadata"]["name"]) for i in listed] == [
                ("networking.k8s.io/v1", "real-one")], name
        listed = await admin.ok("GET", f"/clusters/{cid}/resources/ingresses.{group}?namespace={namespace}")
        assert [(i["apiVersion"], i["metadata"]["name"]) for i in listed] == [(f"{group}/v1", "custom-one")]
        # events.k8s.io serves events too: the core group keeps the bare name and the kind name.
        for name in ("events", "event", "ev"):
            assert (await admin.call("GET", f"/clusters/{cid}/resources/{name}?namespace={namespace}"))["code"] == 0
        assert (await admin.call("GET", f"/clusters/{cid}/resources/events.events.k8s.io?namespace={namespace}"))[
            "code"] == 0
    finally:
        await delete_crds(admin, cid, definitions)
