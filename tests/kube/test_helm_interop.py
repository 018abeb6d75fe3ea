"""Helm releases against what Helm itself writes: a record written by a real Helm binary
(`tests/fixtures/helm/`, with its source) is read, rolled back to and rewritten, and the records KubeVision
writes are compared field for field (names, order, JSON types, labels) with it; rollback on the ConfigMap
driver; computed values of a chart with subcharts. On the real control plane, records read back with the
independent decoder of `tests/helm_records.py`."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

from kubevision.kube import helm as codec
from tests import helm_records as helm
from tests.helpers import ApiSession
from tests.kube.test_helm import configmap_data, listed_until

REAL_RECORD = Path(__file__).parent.parent / "fixtures" / "helm" / "fooing.v1.secret.yaml"
# Go's time.Time in JSON (RFC3339Nano): the fraction has no trailing zeros.
GO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,8}[1-9])?(Z|[+-]\d\d:\d\d)$")


def real_record() -> dict[str, Any]:
    """The Secret a real `helm install` wrote."""
    return yaml.safe_load(REAL_RECORD.read_text())


def shape(value: Any) -> Any:
    """The structure of a JSON value as Go's encoder wrote it: object keys in order with the shapes of their
    values, JSON types of scalars (lists by their first item)."""
    if isinstance(value, dict):
        return [(key, shape(item)) for key, item in value.items()]
    if isinstance(value, list):
        return ["list", shape(value[0]) if value else None]
    return type(value).__name__


def test_a_record_written_by_helm_is_read() -> None:
    stored = real_record()
    release = helm.decode_record(stored)
    assert codec.decode_record(stored) == release
    summary = codec.summarize_record(stored)
    assert (summary["release"], summary["revision"], summary["status"], summary["chart"], summary["appVersion"],
            summary["updated"], summary["description"], summary["driver"], summary["error"]) == (
        "fooing", 1, "deployed", "foo-0.1.0", "1.16.0", "2022-06-09T13:32:43.885763629Z", "Install complete",
        "secrets", None)
    # The independent encoder of these tests writes what Helm writes: the same fields, in the same order.
    made = helm.release("fooing", "d8-system", 1, manifest=release["manifest"])
    assert shape(made) == shape({**release, "chart": made["chart"]})
    assert [key for key, _ in shape(made["chart"])] == [key for key, _ in shape(release["chart"])]
    assert shape(made["chart"]["metadata"]) == shape(release["chart"]["metadata"])


async def test_rollback_to_a_helm_written_revision_writes_what_helm_writes(
        admin: ApiSession, cid: int, namespace: str, control_plane) -> None:
    cluster = helm.Cluster(control_plane)
    stored = real_record()
    stored["metadata"]["namespace"] = namespace
    cluster.call("POST", f"/api/v1/namespaces/{namespace}/secrets", stored)
    real = helm.decode_record(stored)
    upgrade = copy.deepcopy(real)  # revision 2: an upgrade of the real release, encoded as Helm does
    upgrade["info"].update(last_deployed=helm.go_time(2), description="Upgrade complete")
    upgrade.update(config={"replicaCount": 2}, manifest=helm.configmap_doc("fooing-cm", a="2"), version=2,
                   namespace=namespace)
    upgrade = {key: upgrade[key] for key in ("name", "info", "chart", "config", "manifest", "version", "namespace")}
    cluster.store(upgrade)
    cluster.call("POST", f"/api/v1/namespaces/{namespace}/configmaps",
                 {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fooing-cm"}, "data": {"a": "2"}})
    await listed_until(admin, cid, f"namespace={namespace}", lambda rows: rows.get("fooing", [0])[0] == 2)
    base = f"/clusters/{cid}/namespaces/{namespace}/helm/releases/fooing"

    detail = await admin.ok("GET", f"{base}?revision=1&reveal=true")
    assert (detail["description"], detail["chart"]["name"], detail["appVersion"], detail["manifest"]) == (
        "Install complete", "foo", "1.16.0", real["manifest"])
    assert detail["computedValues"] == real["chart"]["values"]
    assert [(o["kind"], o["name"], o["namespace"]) for o in detail["objects"]] == [("Ingress", "foo", namespace)]
    history = await admin.ok("GET", f"{base}/history")
    assert [(h["revision"], h["description"]) for h in history] == [(2, "Upgrade complete"), (1, "Install complete")]

    done = await admin.ok("POST", f"{base}/rollback", json={"revision": 1})
    assert [(o["action"], o["kind"], o["name"]) for o in done["objects"]] == [
        ("applied", "Ingress", "foo"), ("deleted", "ConfigMap", "fooing-cm")]
    records, releases = cluster.records(namespace, "fooing"), cluster.releases(namespace, "fooing")
    new = releases[3]
    # Field for field what Helm wrote for revision 1: the same names, in the same order, of the same types.
    assert shape(new) == shape(real)
    assert (new["chart"], new["manifest"], new["namespace"], new["version"]) == (
        real["chart"], real["manifest"], namespace, 3)
    assert (new["info"]["description"], new["info"]["status"], new["info"]["deleted"],
            new["info"]["first_deployed"]) == ("Rollback to 1", "deployed", "", real["info"]["first_deployed"])
    assert GO_TIME.match(new["info"]["last_deployed"]), new["info"]["last_deployed"]
    # Labels as Helm's driver leaves them after a rollback's Create + Update: the same set as the real record's.
    assert sorted(records[3]["metadata"]["labels"]) == sorted(stored["metadata"]["labels"])
    assert {k: v for k, v in records[3]["metadata"]["labels"].items() if k != "modifiedAt"} == {
        "name": "fooing", "owner": "helm", "status": "deployed", "version": "3"}
    assert records[3]["metadata"]["labels"]["modifiedAt"].isdigit() and records[3]["type"] == "helm.sh/release.v1"
    # The real record, superseded by us, is Helm's own record with only its status changed.
    assert releases[1] == {**real, "info": {**real["info"], "status": "superseded"}}
    assert records[1]["metadata"]["labels"]["status"] == "superseded"
    assert releases[2]["info"]["status"] == "superseded" and "createdAt" in records[2]["metadata"]["labels"]
    ingress = cluster.call("GET", f"/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses/foo")
    assert ingress["spec"]["ingressClassName"] == "foo"  # the duplicated key: the last one wins, as with Helm
    assert ingress["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
    assert ingress["metadata"]["annotations"] == {"meta.helm.sh/release-name": "fooing",
                                                  "meta.helm.sh/release-namespace": namespace}
    assert configmap_data(cluster, namespace, "fooing-cm") is None


async def test_rollback_on_the_configmap_driver(admin: ApiSession, cid: int, namespace: str, control_plane) -> None:
    cluster = helm.Cluster(control_plane)
    first = helm.release("cms", namespace, 1, status="superseded", config={"color": "blue"},
                         manifest=helm.configmap_doc("cms-a", color="blue") + helm.configmap_doc("cms-b", b="1"))
    second = helm.release("cms", namespace, 2, config={"color": "green"}, description="Upgrade complete",
                          manifest=helm.configmap_doc("cms-a", color="green"))
    stored = helm.record(first, driver="configmaps")
    stored["metadata"]["labels"]["team"] = "payments"  # a release label (`helm install --labels`)
    cluster.call("POST", f"/api/v1/namespaces/{namespace}/configmaps", stored)
    cluster.store(second, driver="configmaps")
    cluster.call("POST", f"/api/v1/namespaces/{namespace}/configmaps",
                 {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cms-a"}, "data": {"color": "green"}})
    await listed_until(admin, cid, f"namespace={namespace}", lambda rows: rows.get("cms", [0])[0] == 2)
    base = f"/clusters/{cid}/namespaces/{namespace}/helm/releases/cms"

    preview = await admin.ok("POST", f"{base}/rollback", json={"revision": 1, "dryRun": True})
    assert [(o["action"], o["name"], o["code"]) for o in preview["objects"]] == [("apply", "cms-a", 0),
                                                                                  ("apply", "cms-b", 0)]
    assert sorted(cluster.records(namespace, "cms", driver="configmaps")) == [1, 2]
    done = await admin.ok("POST", f"{base}/rollback", json={"revision": 1})
    assert done["newRevision"] == 3
    records = cluster.records(namespace, "cms", driver="configmaps")
    releases = cluster.releases(namespace, "cms", driver="configmaps")
    assert sorted(records) == [1, 2, 3] and cluster.records(namespace, "cms", driver="secrets") == {}
    assert "type" not in records[3] and set(records[3]["data"]) == {"release"}
    assert shape(releases[3]) == shape(first)
    assert (releases[3]["config"], releases[3]["manifest"], releases[3]["info"]["description"]) == (
        first["config"], first["manifest"], "Rollback to 1")
    assert [releases[r]["info"]["status"] for r in (1, 2, 3)] == ["superseded", "superseded", "deployed"]
    labels = records[3]["metadata"]["labels"]
    assert {k: v for k, v in labels.items() if k != "modifiedAt"} == {
        "team": "payments", "name": "cms", "owner": "helm", "status": "deployed", "version": "3"}
    assert records[2]["metadata"]["labels"]["status"] == "superseded"
    assert configmap_data(cluster, namespace, "cms-a") == {"color": "blue"}
    assert configmap_data(cluster, namespace, "cms-b") == {"b": "1"}
    await listed_until(admin, cid, f"namespace={namespace}",
                       lambda rows: rows.get("cms", [0])[0] == 3 and rows["cms"][5] == "configmaps")


async def test_computed_values_of_a_chart_with_subcharts(admin: ApiSession, cid: int, namespace: str,
                                                         control_plane) -> None:
    """As Helm stores it: the enabled subcharts in chart.metadata.dependencies (an alias as the name), their
    defaults merged into the chart's values under that name at install (with the globals of that time)."""
    dependencies = [
        {"name": "redis", "version": "17.0.0", "repository": "https://charts.example.com", "condition":
         "redis.enabled", "enabled": True},
        {"name": "db", "version": "12.1.0", "repository": "https://charts.example.com", "enabled": True,
         "alias": "db"},
    ]
    install_globals = {"env": "dev", "image": {"registry": "docker.io"}}
    defaults = {"global": install_globals, "replicas": 1,
                "redis": {"enabled": True, "port": 6379, "global": install_globals},
                "db": {"port": 5432, "global": {**install_globals, "dbOnly": True}},
                "postgresql": {"enabled": False}}
    config = {"global": {"env": "prod", "image": {"pullPolicy": "Always"}}, "redis": {"port": 6380}}
    helm.Cluster(control_plane).store(helm.release("shop", namespace, 1, defaults=defaults, config=config,
                                                   dependencies=dependencies))
    await listed_until(admin, cid, f"namespace={namespace}", lambda rows: "shop" in rows)
    base = f"/clusters/{cid}/namespaces/{namespace}/helm/releases/shop"

    shown = await admin.ok("GET", f"{base}?reveal=true")
    given = {"env": "prod", "image": {"registry": "docker.io", "pullPolicy": "Always"}}
    assert shown["values"] == config
    assert shown["computedValues"] == {
        "global": given, "replicas": 1,
        "redis": {"enabled": True, "port": 6380, "global": given},
        "db": {"port": 5432, "global": {**given, "dbOnly": True}},
        "postgresql": {"enabled": False},  # a disabled subchart (not in dependencies): left as stored
    }
    masked = await admin.ok("GET", base)
    assert masked["computedValues"]["redis"] == {"enabled": "********", "port": "********",
                                                 "global": {"env": "********", "image": {
                                                     "registry": "********", "pullPolicy": "********"}}}

