"""The registry from discovery: all built-in kinds with their sidebar category, versions from the server."""

from __future__ import annotations

from kubevision.kube.registry import BUILTIN_KINDS
from tests.helpers import ApiSession


async def test_builtin_kinds_discovered(admin: ApiSession, cid: int) -> None:
    kinds = {k["name"]: k for k in await admin.ok("GET", f"/clusters/{cid}/kinds")}
    assert len(BUILTIN_KINDS) == 27
    for name, (group, category) in BUILTIN_KINDS.items():
        assert name in kinds, name
        assert kinds[name]["group"] == group and kinds[name]["category"] == category, kinds[name]
    # Only batch/v1beta1 serves CronJobs on this server version: found through a non-preferred version.
    assert kinds["cronjobs"]["apiVersion"].startswith("batch/")
    assert kinds["deployments"]["apiVersion"] == "apps/v1"
    assert kinds["pods"]["namespaced"] and not kinds["nodes"]["namespaced"]
    assert "scale" in kinds["deployments"]["subresources"] and "exec" in kinds["pods"]["subresources"]
    assert kinds["pods"]["cached"] and not kinds["configmaps"]["cached"]
    # The events.k8s.io duplicate is reachable by its qualified name.
    assert kinds["events.events.k8s.io"]["group"] == "events.k8s.io"


async def test_lookup_by_alias(admin: ApiSession, cid: int, namespace: str) -> None:
    for alias in ("po", "pod", "pods"):
        listed = await admin.call("GET", f"/clusters/{cid}/resources/{alias}?namespace={namespace}")
        assert listed["code"] == 0, alias
