"""A service account of a test's own, bound to a ClusterRole with the rules the test names, and its token:
for tests of what KubeVision does when Kubernetes RBAC refuses it something."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from .controlplane import ControlPlane

TOKEN_LIFETIME_S = 3600


def _ok(result: tuple[int, Any]) -> Any:
    status, body = result
    assert status < 300, (status, body)
    return body


@contextlib.contextmanager
def service_account_token(control_plane: ControlPlane, namespace: str, account: str, *,
                          rules: list[dict[str, Any]]) -> Iterator[str]:
    """Create `account` in `namespace`, a ClusterRole with `rules` bound to it, and yield its token; the role
    and binding are deleted afterwards (the account goes with the namespace)."""
    role = f"kv-test-{account}-{namespace}"
    _ok(control_plane.request("POST", f"/api/v1/namespaces/{namespace}/serviceaccounts",
                              {"metadata": {"name": account}}))
    _ok(control_plane.request("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles",
                              {"metadata": {"name": role}, "rules": rules}))
    try:
        _ok(control_plane.request("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
            "metadata": {"name": role},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": namespace}]}))
        granted = _ok(control_plane.request(
            "POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/{account}/token",
            {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
             "spec": {"expirationSeconds": TOKEN_LIFETIME_S}}))
        yield granted["status"]["token"]
    finally:
        for path in ("clusterrolebindings", "clusterroles"):
            control_plane.request("DELETE", f"/apis/rbac.authorization.k8s.io/v1/{path}/{role}")
