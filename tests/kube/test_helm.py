"""Helm releases against the real control plane, from records written exactly as Helm 3 writes them
(`tests/helm_records.py`, independent of the product's codec) and read back the same way after rollback and
uninstall: the codec, the `releases.helm.sh` kind (list, filters, sort, live updates, grants), detail, history,
diff, rollback, uninstall, access and audit, and a gzip bomb."""

from __future__ import annotations

import base64
import gzip
from typing import Any

import pytest

from kubevision.kube import helm as codec
from tests import helm_records as helm
from tests.audit_rows import audited_once, request_id
from tests.helpers import ApiSession, wait_until
from tests.kube.conftest import make_user
from tests.kube.test_watch import events_until, open_watch, subscribe

KIND = "releases.helm.sh"


def rows_of(table: dict[str, Any]) -> dict[str, list[Any]]:
    """Table rows by release name: cells after name and namespace (revision, updated, status, chart, app, driver)."""
    return {row["name"]: row["cells"][2:] for row in table["rows"]}


async def listed(session: ApiSession, cid: int, query: str) -> dict[str, Any]:
    return await session.ok("GET", f"/clusters/{cid}/resources/{KIND}?view=table&{query}")


async def listed_until(session: ApiSession, cid: int, query: str, check) -> dict[str, Any]:
    """The table once `check(rows)` holds (the release cache follows the records' watch)."""
    async def read() -> dict[str, Any] | None:
        table = await listed(session, cid, query)
        return table if check(rows_of(table)) else None
    return await wait_until(read, timeout_s=20, what=f"releases matching {query}")


def bomb_payload() -> str:
    """Helm's base64 text of a gzip stream that inflates to 100 MiB (about 100 KiB compressed)."""
    return base64.b64encode(gzip.compress(b"{" + b" " * (100 * 1024 * 1024), compresslevel=9)).decode()


# -- the codec, against the independent encoder ----------------------------------------------------------
@pytest.mark.parametrize("driver", ["secrets", "configmaps"])
def test_codec_reads_and_writes_helms_format(driver: str) -> None:
    rel = helm.release("web", "ns", 3, manifest=helm.configmap_doc("web-cm", a="1"), config={"replicas": 2},
                       notes="Visit http://web")
    stored = helm.record(rel, driver=driver)
    assert codec.decode_record(stored) == rel
    summary = codec.summarize_record(stored)
    assert (summary["release"], summary["revision"], summary["status"], summary["chart"], summary["appVersion"],
            summary["driver"], summary["updated"], summary["description"], summary["error"]) == (
        "web", 3, "deployed", "demo-1.0.0", "1.0", driver, helm.go_time(3), "Install complete", None)
    written = codec.record_object(rel, driver=driver)
    assert helm.decode_record(written) == rel
    assert written["metadata"]["name"] == "sh.helm.release.v1.web.v3"
    assert written["metadata"]["labels"] == {"name": "web", "owner": "helm", "status": "deployed", "version": "3"}
    assert written.get("type") == ("helm.sh/release.v1" if driver == "secrets" else None)
    # Records written before Helm compressed them: the JSON, base64-encoded.
    legacy = helm.record(rel, driver=driver, payload=base64.b64encode(gzip.decompress(
        base64.b64decode(helm.encode(rel)))).decode())
    assert codec.decode_record(legacy) == rel


def test_codec_refuses_a_gzip_bomb_and_corrupt_records() -> None:
    bomb = helm.record(helm.release("bomb", "ns", 1), payload=bomb_payload())
    with pytest.raises(codec.ReleaseRecordError, match="inflates to more than 67108864 bytes"):
        codec.decode_record(bomb)
    corrupt = helm.record(helm.release("bad", "ns", 2), payload="not base64 at all!")
    assert "not base64" in codec.summarize_record(corrupt)["error"]
    with pytest.raises(codec.ReleaseRecordError, match="not base64"):
        codec.decode_record(corrupt)
    truncated = helm.record(helm.release("cut", "ns", 1), payload=helm.encode(helm.release("cut", "ns", 1))[:40])
    with pytest.raises(codec.ReleaseRecordError):
        codec.decode_record(truncated)


def test_summary_of_a_large_release_reads_a_prefix_only() -> None:
    """A 3 MiB manifest: the list fields still come from the first bytes (Helm's field order)."""
    manifest = "".join(helm.configmap_doc(f"cm-{i}", blob=f"{i:08d}" * 4000) for i in range(100))
    rel = helm.release("big", "ns", 7, manifest=manifest, chart_version="9.9.9", app_version="2.0")
    summary = codec.summarize_record(helm.record(rel))
    assert (summary["chart"], summary["appVersion"], summary["revision"], summary["error"]) == (
        "demo-9.9.9", "2.0", 7, None)
    assert codec.decode_record(helm.record(rel))["manifest"] == manifest


# -- the kind: list, filters, sort, live updates ---------------------------------------------------------
async def test_releases_are_a_kind_listed_from_their_records(admin: ApiSession, cid: int, namespace: str,
                                                             control_plane) -> None:
    cluster = helm.Cluster(control_plane)
    for version in range(1, 13):  # record names sort .v1, .v10, .v11, .v12, .v2: the latest is still 12
        status = "deployed" if version == 12 else "failed" if version == 11 else "superseded"
        cluster.store(helm.release("web", namespace, version, status=status, chart_version=f"1.{version}.0"))
    cluster.store(helm.release("api", namespace, 1, status="pending-install", app_version="3.1"), driver="configmaps")
    cluster.store(helm.release("broken", namespace, 1), payload="@@@")
    big_manifest = "".join(helm.configmap_doc(f"big-{i}", blob=f"{i:08d}" * 4000) for i in range(100))  # 3.2 MB
    cluster.store(helm.release("big", namespace, 1, manifest=big_manifest, chart_version="9.0.0"))

    kinds = {k["name"]: k for k in await admin.ok("GET", f"/clusters/{cid}/kinds?namespace={namespace}")}
    assert kinds[KIND]["derived"] and kinds[KIND]["namespaced"] and kinds[KIND]["capabilities"] == ["helm"]
    assert [c["name"] for c in kinds[KIND]["columns"]] == ["Name", "Namespace", "Revision", "Updated", "Status",
                                                          "Chart", "App Version", "Driver"]
    table = await listed_until(admin, cid, f"namespace={namespace}", lambda rows: len(rows) == 4)
    rows = rows_of(table)
    assert rows["big"][:5] == [1, helm.go_time(1), "deployed", "demo-9.0.0", "1.0"]
    big = await admin.ok("GET", f"/clusters/{cid}/namespaces/{namespace}/helm/releases/big?reveal=true")
    assert big["manifest"] == big_manifest and len(big["objects"]) == 100
    assert rows["web"] == [12, helm.go_time(12), "deployed", "demo-1.12.0", "1.0", "secrets"]
    assert rows["api"] == [1, helm.go_time(1), "pending-install", "demo-1.0.0", "3.1", "configmaps"]
    assert rows["broken"][0] == 1 and rows["broken"][3] == "<unknown>"  # shown as unreadable, not an error

    by_revision = await listed(admin, cid, f"namespace={namespace}&sort=-revision")
    assert by_revision["rows"][0]["name"] == "web"
    assert list(rows_of(await listed(admin, cid, f"namespace={namespace}&q=api"))) == ["api"]
    selected = await listed(admin, cid, f"namespace={namespace}&labelSelector=status%3Dpending-install")
    assert list(rows_of(selected)) == ["api"]
    await admin.fails("GET", f"/clusters/{cid}/resources/{KIND}?namespace={namespace}&fieldSelector=a%3Db", 40002)
    one = await admin.ok("GET", f"/clusters/{cid}/resources/{KIND}/web?namespace={namespace}")
    assert one["kind"] == "Release" and one["status"]["revision"] == 12 and "release" not in one
    await admin.fails("GET", f"/clusters/{cid}/resources/{KIND}/nothing?namespace={namespace}", 40400)
    # Releases change through their own routes only: the generic writes refuse them clearly.
    refused = await admin.fails("DELETE", f"/clusters/{cid}/resources/{KIND}/web?namespace={namespace}", 40002)
    assert "/helm/releases/" in refused["message"]
    await admin.fails("PUT", f"/clusters/{cid}/resources/{KIND}/web?namespace={namespace}", 40002, json=one)
    assert sorted(cluster.records(namespace, "web")) == list(range(1, 13))

    ws = await open_watch(admin)
    try:
        ack = await subscribe(ws, "r", cluster=cid, resource=KIND, namespace=namespace, view="table")
        assert ack["synced"] is True
        cluster.store(helm.release("web", namespace, 13, status="pending-upgrade", chart_version="2.0.0"))
        events = await events_until(ws, lambda e: e["name"] == "web" and e["row"]["cells"][2] == 13)
        assert events[-1]["type"] == "MODIFIED" and events[-1]["row"]["cells"][4:6] == ["pending-upgrade",
                                                                                       "demo-2.0.0"]
        cluster.call("DELETE", f"/api/v1/namespaces/{namespace}/configmaps/sh.helm.release.v1.api.v1")
        events = await events_until(ws, lambda e: e["name"] == "api")
        assert events[-1]["type"] == "DELETED"
    finally:
        await ws.close()


# -- detail, history, diff -------------------------------------------------------------------------------
def two_revisions(namespace: str) -> tuple[dict[str, Any], dict[str, Any]]:
    first = helm.release("shop", namespace, 1, status="superseded", config={"replicas": 2, "db": {"pw": "hunter22"}},
                         manifest=helm.configmap_doc("shop-cm", a="1") + helm.configmap_doc("shop-extra", b="x")
                         + helm.secret_doc("shop-db", "hunter22"), notes="first notes")
    second = helm.release("shop", namespace, 2, status="deployed", chart_version="1.1.0", config={"replicas": 3},
                          manifest=helm.configmap_doc("shop-cm", a="2") + helm.secret_doc("shop-db", "s3cret-two"),
                          description="Upgrade complete", notes="second notes",
                          hooks=[{"name": "shop-test", "kind": "Pod", "path": "demo/templates/test.yaml",
                                  "manifest": helm.secret_doc("hook-secret", "hookpass"), "events": ["test"],
                                  "last_run": {"started_at": "", "completed_at": "", "phase": ""}, "weight": 0}])
    return first, second


@pytest.mark.parametrize("settings_overrides", [{"cached_kinds": "pods,configmaps"}], indirect=True)
async def test_detail_history_and_diff(admin: ApiSession, cid: int, namespace: str, control_plane) -> None:
    cluster = helm.Cluster(control_plane)
    for rel in two_revisions(namespace):
        cluster.store(rel)
    cluster.call("POST", f"/api/v1/namespaces/{namespace}/configmaps",
                 {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "shop-cm"}, "data": {"a": "2"}})

    async def configmaps_cached() -> bool:
        listing = await admin.call("GET", f"/clusters/{cid}/resources/configmaps?namespace={namespace}")
        return listing["meta"]["source"] == "cache"
    await wait_until(configmaps_cached, what="the configmaps cache")
    await listed_until(admin, cid, f"namespace={namespace}", lambda rows: rows.get("shop", [0])[0] == 2)
    base = f"/clusters/{cid}/namespaces/{namespace}/helm/releases/shop"

    detail = await admin.ok("GET", base)
    assert (detail["revision"], detail["latestRevision"], detail["status"], detail["description"],
            detail["notes"], detail["chart"]["version"], detail["appVersion"], detail["driver"]) == (
        2, 2, "deployed", "Upgrade complete", "second notes", "1.1.0", "1.0", "secrets")
    assert detail["values"] == {"replicas": "********"} and not detail["revealed"]
    assert detail["computedValues"] == {"replicas": "********", "image": {"tag": "********"}}
    assert "s3cret-two" not in detail["manifest"] and "a: \"2\"" in detail["manifest"]
    assert "hookpass" not in detail["hooks"][0]["manifest"] and detail["hooks"][0]["events"] == ["test"]
    # Live state where a cache holds the kind (configmaps here; Secrets are never cached).
    assert [(o["kind"], o["name"], o["namespace"], o["resource"], o["exists"]) for o in detail["objects"]] == [
        ("ConfigMap", "shop-cm", namespace, "configmaps", True), ("Secret", "shop-db", namespace, "secrets", None)]
    headers = request_id("helm-reveal")
    revealed = await admin.ok("GET", f"{base}?reveal=true&revision=1", headers=headers)
    await audited_once(admin, headers, "helm.reveal", 0)
    assert revealed["revealed"] and revealed["revision"] == 1 and revealed["status"] == "superseded"
    assert revealed["values"] == {"replicas": 2, "db": {"pw": "hunter22"}}
    assert revealed["computedValues"] == {"replicas": 2, "image": {"tag": "stable"}, "db": {"pw": "hunter22"}}
    assert "hunter22" in revealed["manifest"] and revealed["notes"] == "first notes"
    await admin.fails("GET", f"{base}?revision=9", 40400)
    await admin.fails("GET", f"/clusters/{cid}/namespaces/{namespace}/helm/releases/none", 40400)
    await admin.fails("GET", f"/clusters/{cid}/namespaces/{namespace}/helm/releases/Bad_Name", 40002)

    history = await admin.ok("GET", f"{base}/history")
    assert [(h["revision"], h["status"], h["chart"], h["description"]) for h in history] == [
        (2, "deployed", "demo-1.1.0", "Upgrade complete"), (1, "superseded", "demo-1.0.0", "Install complete")]

    diff = await admin.ok("GET", f"{base}/diff?from=1&to=2")
    assert "-  a: \"1\"" in diff["manifest"] and "+  a: \"2\"" in diff["manifest"] and "shop-extra" in diff["manifest"]
    assert "hunter22" not in diff["manifest"] + diff["values"] and "db:" in diff["values"]
    revealed_diff = await admin.ok("GET", f"{base}/diff?from=1&to=2&reveal=true")
    assert "-replicas: 2" in revealed_diff["values"] and "+replicas: 3" in revealed_diff["values"]
    await admin.fails("GET", f"{base}/diff?from=1", 40001)
    await admin.fails("GET", f"{base}/diff?from=1&to=7", 40400)


async def test_records_the_cluster_may_not_list_are_a_clear_refusal(admin: ApiSession, nobody_cid: int) -> None:
    """The credentials of this context may not list Secrets: the releases list says so at once (no wait)."""
    refused = await admin.fails("GET", f"/clusters/{nobody_cid}/resources/{KIND}", 40300)
    assert refused["message"].startswith(f"{KIND} cannot be listed") and "secrets" in refused["message"]


async def test_a_gzip_bomb_is_refused_clearly(admin: ApiSession, cid: int, namespace: str, control_plane) -> None:
    helm.Cluster(control_plane).store(helm.release("bomb", namespace, 1), payload=bomb_payload())
    table = await listed_until(admin, cid, f"namespace={namespace}", lambda rows: "bomb" in rows)
    assert rows_of(table)["bomb"][2] == "deployed"  # the list still shows it, from its labels
    refused = await admin.fails("GET", f"/clusters/{cid}/namespaces/{namespace}/helm/releases/bomb", 42200)
    assert "inflates to more than" in refused["message"] and "gzip bomb" in refused["message"]


# -- rollback and uninstall ------------------------------------------------------------------------------
def configmap_data(cluster: helm.Cluster, namespace: str, name: str) -> dict[str, str] | None:
    path = f"/api/v1/namespaces/{namespace}/configmaps/{name}"
    return cluster.call("GET", path)["data"] if cluster.exists(path) else None


async def test_rollback_writes_a_revision_as_helm_does(admin: ApiSession, cid: int, namespace: str,
                                                       control_plane) -> None:
    cluster = helm.Cluster(control_plane)
    first, second = two_revisions(namespace)
    for rel in (first, second):
        cluster.store(rel)
    for doc in ({"metadata": {"name": "shop-cm"}, "data": {"a": "2"}},):  # the objects revision 2 made
        cluster.call("POST", f"/api/v1/namespaces/{namespace}/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                                             **doc})
    await listed_until(admin, cid, f"namespace={namespace}", lambda rows: rows.get("shop", [0])[0] == 2)
    base = f"/clusters/{cid}/namespaces/{namespace}/helm/releases/shop"

    preview = await admin.ok("POST", f"{base}/rollback", json={"revision": 1, "dryRun": True})
    assert (preview["dryRun"], preview["fromRevision"], preview["newRevision"], preview["hooksRun"]) == (
        True, 2, 3, False)
    assert [(o["action"], o["name"], o["code"]) for o in preview["objects"]] == [
        ("apply", "shop-cm", 0), ("apply", "shop-extra", 0), ("apply", "shop-db", 0)]
    assert "+  a: \"1\"" in preview["diff"]["manifest"]
    assert sorted(cluster.records(namespace, "shop")) == [1, 2]  # a dry run writes nothing
    assert configmap_data(cluster, namespace, "shop-extra") is None

    headers = request_id("helm-rollback")
    done = await admin.ok("POST", f"{base}/rollback", json={"revision": 1}, headers=headers)
    await audited_once(admin, headers, "helm.rollback", 0)
    assert done["newRevision"] == 3 and [o["action"] for o in done["objects"]] == ["applied"] * 3
    records = cluster.records(namespace, "shop")
    releases = cluster.releases(namespace, "shop")
    assert sorted(records) == [1, 2, 3]
    new = releases[3]
    assert (new["version"], new["info"]["status"], new["info"]["description"], new["info"]["notes"]) == (
        3, "deployed", "Rollback to 1", "first notes")
    assert new["config"] == first["config"] and new["manifest"] == first["manifest"]
    assert new["chart"] == first["chart"] and new["info"]["first_deployed"] == second["info"]["first_deployed"]
    assert records[3]["type"] == "helm.sh/release.v1" and records[3]["metadata"]["labels"]["status"] == "deployed"
    assert {k: records[3]["metadata"]["labels"][k] for k in ("name", "owner", "version")} == {
        "name": "shop", "owner": "helm", "version": "3"}
    assert releases[2]["info"]["status"] == "superseded" and records[2]["metadata"]["labels"]["status"] == "superseded"
    assert configmap_data(cluster, namespace, "shop-cm") == {"a": "1"}
    assert configmap_data(cluster, namespace, "shop-extra") == {"b": "x"}

    # Back to 2: shop-extra, which revision 2 lacks, is deleted.
    await listed_until(admin, cid, f"namespace={namespace}", lambda rows: rows.get("shop", [0])[0] == 3)
    again = await admin.ok("POST", f"{base}/rollback", json={"revision": 2})
    assert ("delete" not in [o["action"] for o in again["objects"]]
            and ("deleted", "shop-extra") in [(o["action"], o["name"]) for o in again["objects"]])
    releases = cluster.releases(namespace, "shop")
    assert [releases[r]["info"]["status"] for r in (1, 2, 3, 4)] == ["superseded", "superseded", "superseded",
                                                                      "deployed"]
    assert releases[4]["info"]["description"] == "Rollback to 2"
    assert configmap_data(cluster, namespace, "shop-extra") is None
    assert configmap_data(cluster, namespace, "shop-cm") == {"a": "2"}
    await admin.fails("POST", f"{base}/rollback", 40400, json={"revision": 17})
    await admin.fails("POST", f"{base}/rollback", 40001, json={})


async def test_uninstall_with_and_without_history(admin: ApiSession, cid: int, namespace: str,
                                                  control_plane) -> None:
    cluster = helm.Cluster(control_plane)
    kept_doc = helm.configmap_doc("keep-me", k="1").replace(
        "  name: keep-me\n", "  name: keep-me\n  annotations:\n    helm.sh/resource-policy: keep\n")
    for name, driver in (("one", "secrets"), ("two", "configmaps")):
        manifest = helm.configmap_doc(f"{name}-cm", a="1") + (kept_doc if name == "one" else "")
        cluster.store(helm.release(name, namespace, 1, status="superseded", manifest=manifest), driver=driver)
        cluster.store(helm.release(name, namespace, 2, manifest=manifest), driver=driver)
        cluster.call("POST", f"/api/v1/namespaces/{namespace}/configmaps",
                     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{name}-cm"}, "data": {"a": "1"}})
    cluster.call("POST", f"/api/v1/namespaces/{namespace}/configmaps",
                 {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keep-me"}, "data": {"k": "1"}})
    await listed_until(admin, cid, f"namespace={namespace}", lambda rows: {"one", "two"} <= set(rows))
    base = f"/clusters/{cid}/namespaces/{namespace}/helm/releases"

    preview = await admin.ok("DELETE", f"{base}/one?dryRun=true&keepHistory=true")
    assert [(o["action"], o["name"]) for o in preview["objects"]] == [("delete", "one-cm"), ("kept", "keep-me")]
    assert preview["records"] == {"updated": ["sh.helm.release.v1.one.v2"], "deleted": []}
    assert configmap_data(cluster, namespace, "one-cm") == {"a": "1"}

    headers = request_id("helm-uninstall")
    await admin.ok("DELETE", f"{base}/one?keepHistory=true", headers=headers)
    await audited_once(admin, headers, "helm.uninstall", 0)
    assert configmap_data(cluster, namespace, "one-cm") is None
    assert configmap_data(cluster, namespace, "keep-me") == {"k": "1"}
    releases = cluster.releases(namespace, "one")
    assert sorted(releases) == [1, 2]
    assert (releases[2]["info"]["status"], releases[2]["info"]["description"]) == ("uninstalled",
                                                                                   "Uninstallation complete")
    assert releases[2]["info"]["deleted"]
    assert cluster.records(namespace, "one")[2]["metadata"]["labels"]["status"] == "uninstalled"

    await admin.ok("DELETE", f"{base}/two")
    assert configmap_data(cluster, namespace, "two-cm") is None
    assert cluster.records(namespace, "two", driver="configmaps") == {}
    await listed_until(admin, cid, f"namespace={namespace}", lambda rows: "two" not in rows)


# -- access ----------------------------------------------------------------------------------------------
async def test_namespace_limited_and_readonly_users(admin: ApiSession, cid: int, namespace: str,
                                                    control_plane) -> None:
    cluster = helm.Cluster(control_plane)
    other = f"{namespace}-x"
    cluster.call("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": other}})
    try:
        for ns in (namespace, other):
            for rel in two_revisions(ns):
                cluster.store(rel)
        await wait_until(lambda: _count(admin, cid, "shop", 2), timeout_s=20, what="both releases")
        dev = await make_user(admin, "helm-dev", "dev", namespaces=[namespace])
        table = await listed(dev, cid, "")
        assert [(row["name"], row["namespace"]) for row in table["rows"]] == [("shop", namespace)]
        await dev.fails("GET", f"/clusters/{cid}/namespaces/{other}/helm/releases/shop", 40302)
        await dev.fails("POST", f"/clusters/{cid}/namespaces/{other}/helm/releases/shop/rollback", 40302,
                        json={"revision": 1})
        shown = await dev.ok("GET", f"/clusters/{cid}/namespaces/{namespace}/helm/releases/shop")
        assert shown["values"] == {"replicas": "********"}
        await dev.fails("GET", f"/clusters/{cid}/namespaces/{namespace}/helm/releases/shop?reveal=true", 40300)

        reader = await make_user(admin, "helm-reader", "readonly")
        base = f"/clusters/{cid}/namespaces/{namespace}/helm/releases/shop"
        assert (await reader.ok("GET", f"{base}/history"))[0]["revision"] == 2
        headers = request_id("helm-readonly-rollback")
        await reader.fails("POST", f"{base}/rollback", 40300, json={"revision": 1}, headers=headers)
        await audited_once(admin, headers, "helm.rollback", 40300)
        headers = request_id("helm-readonly-uninstall")
        await reader.fails("DELETE", base, 40300, headers=headers)
        await audited_once(admin, headers, "helm.uninstall", 40300)
        assert sorted(cluster.records(namespace, "shop")) == [1, 2]

        # Reading a Secret-driver release is reading its Secrets.
        no_secrets = await make_user(admin, "helm-no-secrets", "custom", permissions=[
            f"{KIND}:read", "configmaps:read"])
        assert [row["name"] for row in (await listed(no_secrets, cid, f"namespace={namespace}"))["rows"]] == ["shop"]
        refused = await no_secrets.fails("GET", base, 40300)
        assert "secrets" in refused["message"]
    finally:
        cluster.call("DELETE", f"/api/v1/namespaces/{other}", expect=(200, 202))


async def _count(session: ApiSession, cid: int, name: str, count: int) -> bool:
    rows = (await listed(session, cid, f"q={name}"))["rows"]
    return len(rows) == count
