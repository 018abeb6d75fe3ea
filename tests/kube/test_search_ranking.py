"""Search on the real API server: custom objects are found by default (bounded live lists of the CRD kinds),
and the caller's current namespace (`namespace=`) ranks first, within each kind's cap too."""

from __future__ import annotations

import uuid

from tests.envtest.namespaces import create_namespace_sync, delete_namespace_sync
from tests.helpers import ApiSession
from tests.kube.conftest import configmap, make_user
from tests.kube.test_kind_names import crd, create_crds, created, delete_crds


async def test_custom_objects_are_found_and_the_current_namespace_ranks_first(admin: ApiSession, cid: int,
                                                                              namespace: str, control_plane) -> None:
    suffix = uuid.uuid4().hex[:6]
    group, plural = f"search{suffix}.example.com", f"gadgets{suffix}"
    definitions = [crd(group, plural, f"Gadget{suffix}", [])]
    other = create_namespace_sync(control_plane.server_url, control_plane.admin_token)
    try:
        kind = (await create_crds(admin, cid, definitions))[f"{plural}.{group}"]
        base = f"/clusters/{cid}/resources/{kind['name']}"
        gadget = {"apiVersion": f"{group}/v1", "kind": f"Gadget{suffix}"}
        await created(admin, f"{base}?namespace={other}", {**gadget, "metadata": {"name": f"probe{suffix}"}})
        await admin.ok("POST", f"{base}?namespace={namespace}",
                       json={**gadget, "metadata": {"name": f"probe{suffix}-mine"}})
        await admin.ok("POST", f"/clusters/{cid}/resources/configmaps?namespace={other}",
                       json=configmap(f"probe{suffix}", other))

        # No kinds named: the custom kind is searched with the built-in ones.
        found = await admin.call("GET", f"/clusters/{cid}/search?q=probe{suffix}")
        assert kind["name"] in found["meta"]["kinds"]
        assert [(r["kind"], r["namespace"], r["name"], r["score"]) for r in found["data"]] == [
            ("configmaps", other, f"probe{suffix}", 100), (kind["name"], other, f"probe{suffix}", 100),
            (kind["name"], namespace, f"probe{suffix}-mine", 80)]

        # The current namespace first, though its match scores lower; the rest keep their order.
        ranked = await admin.ok("GET", f"/clusters/{cid}/search?q=probe{suffix}&namespace={namespace}")
        assert [(r["namespace"], r["name"]) for r in ranked] == [
            (namespace, f"probe{suffix}-mine"), (other, f"probe{suffix}"), (other, f"probe{suffix}")]
        # ... and before the per-kind cap.
        capped = await admin.ok("GET", f"/clusters/{cid}/search?q=probe{suffix}&kinds={kind['name']}&limit=1"
                                       f"&namespace={namespace}")
        assert [(r["namespace"], r["name"]) for r in capped] == [(namespace, f"probe{suffix}-mine")]
        capped = await admin.ok("GET", f"/clusters/{cid}/search?q=probe{suffix}&kinds={kind['name']}&limit=1")
        assert [(r["namespace"], r["name"]) for r in capped] == [(other, f"probe{suffix}")]

        # Grants still filter: a user of one namespace finds only its custom object, whatever it ranks first.
        dev = await make_user(admin, f"search-{suffix}", "dev", namespaces=[namespace])
        limited = await dev.ok("GET", f"/clusters/{cid}/search?q=probe{suffix}&namespace={other}")
        assert [(r["kind"], r["namespace"], r["name"]) for r in limited] == [
            (kind["name"], namespace, f"probe{suffix}-mine")]
    finally:
        delete_namespace_sync(control_plane.server_url, control_plane.admin_token, other)
        await delete_crds(admin, cid, definitions)
