"""Helm releases in the cross-kind views, on the real control plane with records written as Helm writes them:
the search (Ctrl+K) finds them, the overview counts them and calls out failed and pending ones — each with the
caller's grants applied."""

from __future__ import annotations

from typing import Any

from tests import helm_records as helm
from tests.helpers import ApiSession
from tests.kube.conftest import make_user
from tests.kube.test_helm import KIND, listed_until


def releases_found(results: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(r["name"], r["namespace"], r["status"]) for r in results if r["kind"] == KIND}


async def test_releases_in_search_and_overview_with_grants(admin: ApiSession, cid: int, namespace: str,
                                                           control_plane) -> None:
    cluster = helm.Cluster(control_plane)
    other = f"{namespace}-y"
    cluster.call("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": other}})
    try:
        cluster.store(helm.release("zebra-web", namespace, 1))
        cluster.store(helm.release("zebra-api", namespace, 1, status="superseded"))
        cluster.store(helm.release("zebra-api", namespace, 2, status="failed", chart_version="1.1.0",
                                   description='Upgrade "zebra-api" failed: timed out'))
        cluster.store(helm.release("zebra-jobs", other, 1, status="pending-install"), driver="configmaps")
        cluster.store(helm.release("zebra-db", other, 1))
        await listed_until(admin, cid, "q=zebra", lambda rows: len(rows) == 4)

        everything = await admin.ok("GET", f"/clusters/{cid}/search?q=zebra")
        assert releases_found(everything) == {("zebra-web", namespace, "deployed"), ("zebra-api", namespace, "failed"),
                                              ("zebra-jobs", other, "pending-install"), ("zebra-db", other, "deployed")}
        only_releases = await admin.ok("GET", f"/clusters/{cid}/search?q=zebra-api&kinds={KIND}")
        assert [(r["kind"], r["name"], r["matchedOn"]) for r in only_releases][:1] == [(KIND, "zebra-api", "name")]
        overview = await admin.ok("GET", f"/clusters/{cid}/overview")
        called_out = {(r["name"], r["namespace"]): r for r in overview["releases"]["attention"]}
        assert {key for key in called_out if key[0].startswith("zebra")} == {("zebra-api", namespace),
                                                                             ("zebra-jobs", other)}
        assert (called_out[("zebra-api", namespace)]["revision"], called_out[("zebra-api", namespace)]["chart"]) == (
            2, "demo-1.1.0")
        assert overview["releases"]["total"] >= 4 and overview["missing"] == []

        # A user granted one namespace sees its releases only, in both views.
        dev = await make_user(admin, "helm-views-dev", "dev", namespaces=[namespace])
        mine = await dev.ok("GET", f"/clusters/{cid}/search?q=zebra")
        assert releases_found(mine) == {("zebra-web", namespace, "deployed"), ("zebra-api", namespace, "failed")}
        assert (await dev.ok("GET", f"/clusters/{cid}/overview"))["releases"] == {
            "total": 2, "byStatus": {"deployed": 1, "failed": 1}, "attentionTotal": 1,
            "attention": [{"name": "zebra-api", "namespace": namespace, "status": "failed", "revision": 2,
                           "chart": "demo-1.1.0", "updated": helm.go_time(2), "error": None}]}

        # A user who may not read releases gets none (and no error).
        no_releases = await make_user(admin, "helm-views-none", "custom", permissions=["configmaps:read"])
        assert releases_found(await no_releases.ok("GET", f"/clusters/{cid}/search?q=zebra")) == set()
        assert (await no_releases.ok("GET", f"/clusters/{cid}/overview"))["releases"] is None
    finally:
        cluster.call("DELETE", f"/api/v1/namespaces/{other}", expect=(200, 202))


async def test_unreadable_releases_are_called_out(admin: ApiSession, cid: int, namespace: str,
                                                  control_plane) -> None:
    helm.Cluster(control_plane).store(helm.release("garbled", namespace, 3), payload="%%% not base64 %%%")
    await listed_until(admin, cid, f"namespace={namespace}", lambda rows: "garbled" in rows)
    dev = await make_user(admin, "helm-views-garbled", "dev", namespaces=[namespace])
    releases = (await dev.ok("GET", f"/clusters/{cid}/overview"))["releases"]
    assert releases["total"] == 1 and releases["byStatus"] == {"deployed": 1}
    [unreadable] = releases["attention"]
    assert (unreadable["name"], unreadable["revision"], unreadable["status"]) == ("garbled", 3, "deployed")
    assert "not base64" in unreadable["error"]
