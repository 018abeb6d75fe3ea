"""The overview with Kubernetes RBAC that forbids one kind (events): the rest is shown, and what is missing is
said with the reason — through a real service-account token bound to a ClusterRole."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml

from kubevision.services.views import EXTRA_COUNTED_KINDS, OVERVIEW_KINDS
from tests.envtest.controlplane import ControlPlane
from tests.envtest.rbac import service_account_token
from tests.helpers import ApiSession
from tests.kube.conftest import configmap

SERVICE_ACCOUNT = "overview-reader"
# Everything the overview reads, except events (Helm releases are read from Secrets and ConfigMaps).
READABLE = {"": ["pods", "services", "namespaces", "nodes", "secrets", "configmaps"],
            "apps": ["deployments", "statefulsets", "daemonsets", "replicasets"],
            "batch": ["jobs", "cronjobs"], "networking.k8s.io": ["ingresses"], "extensions": ["ingresses"]}


@pytest.fixture
def no_events_token(control_plane: ControlPlane, namespace: str) -> Iterator[str]:
    """A token of a service account that may get/list/watch the overview's kinds but not events."""
    rules = [{"apiGroups": [group], "resources": kinds, "verbs": ["get", "list", "watch"]}
             for group, kinds in READABLE.items()]
    with service_account_token(control_plane, namespace, SERVICE_ACCOUNT, rules=rules) as token:
        yield token


def kubeconfig(server: str, token: str) -> str:
    """A one-context kubeconfig for a bearer token."""
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "limited",
        "clusters": [{"name": "envtest", "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
        "users": [{"name": "limited", "user": {"token": token}}],
        "contexts": [{"name": "limited", "context": {"cluster": "envtest", "user": "limited"}}]})


async def test_overview_shows_the_rest_when_events_are_forbidden(admin: ApiSession, cid: int, namespace: str,
                                                                 control_plane: ControlPlane,
                                                                 no_events_token: str) -> None:
    await admin.ok("POST", f"/clusters/{cid}/resources/services?namespace={namespace}",
                   json={"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}})
    await admin.ok("POST", f"/clusters/{cid}/resources/configmaps?namespace={namespace}",
                   json=configmap("not-counted", namespace))
    limited = await admin.ok("POST", "/clusters", json={
        "name": "no-events", "kubeconfig": kubeconfig(control_plane.server_url, no_events_token)})
    try:
        data = await admin.ok("GET", f"/clusters/{limited['id']}/overview")
        assert data["missing"] == [{"kind": "events", "code": 40300, "message": data["missing"][0]["message"]}]
        assert "forbidden" in data["missing"][0]["message"] and "events" in data["missing"][0]["message"]
        assert data["warnings"] is None
        assert set(data["counts"]) == set(OVERVIEW_KINDS + EXTRA_COUNTED_KINDS)
        assert data["counts"]["services"] >= 1 and data["counts"]["namespaces"] >= 1
        assert data["nodes"] is not None and data["workloads"]["pods"] is not None
        # With full rights nothing is missing.
        everything = await admin.ok("GET", f"/clusters/{cid}/overview")
        assert everything["missing"] == [] and everything["warnings"] is not None
    finally:
        await admin.ok("DELETE", f"/clusters/{limited['id']}")


async def test_overview_fails_as_a_whole_when_nothing_is_readable(admin: ApiSession, nobody_cid: int) -> None:
    """A cluster whose credentials may read none of it: the first refusal, not an empty page."""
    body = await admin.fails("GET", f"/clusters/{nobody_cid}/overview", 40300)
    assert "forbidden" in body["message"]
