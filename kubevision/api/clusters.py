"""Clusters: list, inspect, upload a kubeconfig, forget; discovered kinds and CRDs."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubevision.api.context import audit, principal_of
from kubevision.api.params import field, path_id, read_json
from kubevision.api.routing import Access, ApiRoutes
from kubevision.api.schemas import ANY_OBJECT, BOOLEAN, INTEGER, STRING, obj
from kubevision.config import SETTINGS
from kubevision.errors import ApiError, ErrorCode
from kubevision.kube.clusters import CLUSTERS, Cluster

routes = ApiRoutes("clusters")

CLUSTER = obj(id=INTEGER, name=STRING, server=STRING, source={"type": "string",
              "enum": ["kubeconfig", "uploaded", "in-cluster"]}, context=STRING,
              status={"type": "string", "enum": ["unknown", "healthy", "unreachable"]},
              version={"type": ["string", "null"]}, error={"type": ["string", "null"]})
KIND = obj(name=STRING, kind=STRING, group=STRING, version=STRING, apiVersion=STRING, namespaced=BOOLEAN,
           verbs={"type": "array", "items": STRING}, category=STRING, custom=BOOLEAN, cached=BOOLEAN)


def visible_cluster(request: web.Request) -> Cluster:
    """The cluster of the `{id}` path segment, if the caller's grants include it (40301 / 40402)."""
    cluster_id = path_id(request)
    if not principal_of(request).can_see_cluster(cluster_id):
        raise ApiError(ErrorCode.CLUSTER_FORBIDDEN, f"no access to cluster {cluster_id}")
    return request.app[CLUSTERS].get(cluster_id)


@routes.get("/clusters", access=Access.USER, summary="Clusters the caller may use",
            data={"type": "array", "items": CLUSTER})
async def list_clusters(request: web.Request) -> Any:
    """Every cluster within the caller's grants (no cluster is contacted)."""
    principal = principal_of(request)
    return [c.describe() for c in request.app[CLUSTERS].list() if principal.can_see_cluster(c.id)]


@routes.get("/clusters/{id}", access=Access.USER, summary="One cluster, with a fresh health check",
            data=CLUSTER)
async def get_cluster(request: web.Request) -> Any:
    """Contacts the cluster (`/version`) so status and version are current."""
    cluster = visible_cluster(request)
    cluster.touch()
    await cluster.check_health()
    return cluster.describe()


@routes.post("/clusters", access=Access.ADMIN, summary="Add a cluster from a kubeconfig (stored encrypted)",
             body=obj(["name", "kubeconfig"], name=STRING, kubeconfig=STRING), data=CLUSTER)
async def add_cluster(request: web.Request) -> Any:
    """The kubeconfig's current (or only) context is used; it must answer `/version`."""
    body = await read_json(request)
    name = field(body, "name", str).strip()
    if not name or len(name) > 253:
        raise ApiError(ErrorCode.PARAM_INVALID, "name must be 1-253 characters")
    try:
        cluster = await request.app[CLUSTERS].add_uploaded(name, field(body, "kubeconfig", str))
    except FileExistsError as exc:
        raise ApiError(ErrorCode.ALREADY_EXISTS, str(exc)) from None
    audit(request, "cluster.create", cluster_id=cluster.id, name=name)
    return cluster.describe()


@routes.delete("/clusters/{id}", access=Access.ADMIN, summary="Forget an uploaded cluster")
async def delete_cluster(request: web.Request) -> Any:
    """Kubeconfig contexts cannot be deleted here (they are re-imported at start)."""
    cluster = visible_cluster(request)
    try:
        await request.app[CLUSTERS].delete(cluster.id)
    except PermissionError as exc:
        raise ApiError(ErrorCode.PARAM_INVALID, str(exc)) from None
    audit(request, "cluster.delete", cluster_id=cluster.id, name=cluster.name)
    return None


@routes.get("/clusters/{id}/kinds", access=Access.USER,
            summary="Every kind the cluster serves (built-in and custom), grouped for the sidebar",
            data={"type": "array", "items": KIND})
async def list_kinds(request: web.Request) -> Any:
    """From API discovery (preferred versions)."""
    cluster = visible_cluster(request)
    cached = set(request.app[SETTINGS].cached_kinds)
    # Rediscover (at most every few seconds) so CRDs created meanwhile show up in the sidebar: in the background
    # once the kinds are known, so a slow or unreachable API server does not hold up the page.
    registry = await cluster.registry(refresh=True, background=True)
    return [kind.describe(cached=kind.name in cached) for kind in registry]


@routes.get("/clusters/{id}/crds", access=Access.USER, summary="CustomResourceDefinitions of the cluster",
            data={"type": "array", "items": ANY_OBJECT})
async def list_crds(request: web.Request) -> Any:
    """Name, group, kind, plural, scope, versions and the preferred (storage) version of each CRD."""
    cluster = visible_cluster(request)
    await cluster.registry(refresh=True)
    result = []
    for crd in cluster.crds:
        spec = crd.get("spec") or {}
        names = spec.get("names") or {}
        versions = spec.get("versions") or []
        result.append({
            "name": (crd.get("metadata") or {}).get("name"), "group": spec.get("group"),
            "kind": names.get("kind"), "plural": names.get("plural"), "scope": spec.get("scope"),
            "versions": [v.get("name") for v in versions if v.get("served")],
            "storageVersion": next((v.get("name") for v in versions if v.get("storage")), None),
            "createdAt": (crd.get("metadata") or {}).get("creationTimestamp"),
        })
    return result
