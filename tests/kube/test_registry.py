"""The registry from discovery: all built-in kinds with their sidebar category, versions from the server."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from kubevision.kube.clusters import REDISCOVER_MIN_INTERVAL_S
from kubevision.kube.registry import BUILTIN_KINDS
from tests.helpers import ApiSession

# `["pods", "Pod", "workloads", true]` in static/js/lib/kinds.js
FALLBACK_ENTRY = re.compile(r'\["(\w+)", "(\w+)", "(\w+)", (true|false)\]')


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


async def test_the_browsers_fallback_kinds_match_discovery(admin: ApiSession, cid: int) -> None:
    """static/js/lib/kinds.js lists the built-in kinds for a sidebar without a cluster: same category and scope."""
    source = (Path(__file__).resolve().parents[2] / "static" / "js" / "lib" / "kinds.js").read_text()
    fallback = {name: (category, namespaced == "true")
                for name, _, category, namespaced in FALLBACK_ENTRY.findall(source)}
    kinds = {k["name"]: k for k in await admin.ok("GET", f"/clusters/{cid}/kinds")}
    assert set(fallback) == set(BUILTIN_KINDS)
    assert fallback == {name: (kinds[name]["category"], kinds[name]["namespaced"]) for name in fallback}


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
