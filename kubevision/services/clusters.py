"""The clusters a caller may use, and the audited cluster changes (upload, delete).

Visibility goes through the access scope (`services.access`); every change is one audit row, written here, with
its outcome: 0, or the code it was refused with (a bad name or kubeconfig 40002, a taken name 40900, a cluster
outside the caller's grants 40301, an unknown one 40402, a kubeconfig context that cannot be deleted 40002, an
unreachable server 50200). The kubeconfig itself never goes into a row.
"""

from __future__ import annotations

from aiohttp import web

from kubevision.errors import ApiError, ErrorCode
from kubevision.kube.clusters import Cluster, ClusterManager
from kubevision.services.access import require_cluster, visible_clusters
from kubevision.services.audit import AuditLog
from kubevision.services.context import RequestContext

# A cluster's name is shown in the sidebar and named in messages; Kubernetes names are at most 253 characters.
CLUSTER_NAME_MAX_CHARS = 253


class ClusterService:
    """What callers see of `ClusterManager`, and its changes with their audit rows."""

    def __init__(self, clusters: ClusterManager, audit: AuditLog) -> None:
        self._clusters = clusters
        self._audit = audit

    def visible(self, context: RequestContext) -> list[Cluster]:
        """Every cluster within the caller's grants (none is contacted)."""
        return visible_clusters(context.caller, self._clusters.list())

    def get(self, context: RequestContext, cluster_id: int) -> Cluster:
        """One cluster, if the caller's grants include it (40301), and it exists (40402)."""
        require_cluster(context.caller, cluster_id)
        return self._clusters.get(cluster_id)

    async def add(self, context: RequestContext, *, name: str, kubeconfig: str) -> Cluster:
        """Upload a cluster (audited `cluster.create`): the kubeconfig's current (or only) context, which must
        answer `/version`, is stored encrypted."""
        name = name.strip()
        return await self._audit.record_outcome(
            "cluster.create", self._add(name, kubeconfig), name=name or None,
            result_fields=lambda cluster: {"cluster_id": cluster.id}, **context.audit_fields())

    async def _add(self, name: str, kubeconfig: str) -> Cluster:
        if not 1 <= len(name) <= CLUSTER_NAME_MAX_CHARS:
            raise ApiError(ErrorCode.PARAM_INVALID, f"name must be 1-{CLUSTER_NAME_MAX_CHARS} characters")
        return await self._clusters.add_uploaded(name, kubeconfig)

    async def delete(self, context: RequestContext, cluster_id: int) -> None:
        """Forget an uploaded cluster (audited `cluster.delete`); kubeconfig contexts are refused (40002)."""
        known = next((cluster for cluster in self._clusters.list() if cluster.id == cluster_id), None)
        await self._audit.record_outcome(
            "cluster.delete", self._delete(context, cluster_id), name=known.name if known else None,
            **{**context.audit_fields(), "cluster_id": cluster_id})

    async def _delete(self, context: RequestContext, cluster_id: int) -> None:
        await self._clusters.delete(self.get(context, cluster_id).id)


CLUSTER_SERVICE = web.AppKey("cluster_service", ClusterService)
