"""Clusters: list, inspect, upload a kubeconfig, forget; discovered kinds and CRDs."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubevision.api.context import context_of
from kubevision.api.params import field, path_id, read_json
from kubevision.api.routing import Access, ApiRoutes, QueryParam
from kubevision.api.schemas import ANY_OBJECT, BOOLEAN, INTEGER, STRING, obj
from kubevision.auth.permissions import Verb
from kubevision.config import SETTINGS
from kubevision.kube.clusters import Cluster
from kubevision.kube.registry import Capability, View
from kubevision.services.access import AccessScope
from kubevision.services.clusters import CLUSTER_SERVICE

routes = ApiRoutes("clusters")

CLUSTER = obj(id=INTEGER, name=STRING, server=STRING, source={"type": "string",
              "enum": ["kubeconfig", "uploaded", "in-cluster"]}, context=STRING,
              status={"type": "string", "enum": ["unknown", "healthy", "unreachable"]},
              version={"type": ["string", "null"]}, error={"type": ["string", "null"]})
STRINGS = {"type": "array", "items": STRING}
KIND = obj(name=STRING, kind=STRING, group=STRING, version=STRING, apiVersion=STRING, namespaced=BOOLEAN,
           verbs=STRINGS, subresources=STRINGS, shortNames=STRINGS, category=STRING, custom=BOOLEAN, builtin=BOOLEAN,
           capabilities={"type": "array", "items": {"type": "string", "enum": list(Capability)}},
           views={"type": "array", "items": {"type": "string", "enum": list(View)}},
           sensitive=BOOLEAN, storable=BOOLEAN, derived=BOOLEAN, cached=BOOLEAN,
           columns={"type": "array", "items": obj(name=STRING, type=STRING)},
           allowed={"type": "array", "items": {"type": "string", "enum": list(Verb)}})
# What a --read-only server refuses whatever the role: changes, shells (a shell can change anything) and new
# port-forwards (a forwarded database port can too).
READ_ONLY_REFUSED_VERBS = frozenset({Verb.WRITE, Verb.DELETE, Verb.EXEC, Verb.PORTFORWARD})


def visible_cluster(request: web.Request) -> Cluster:
    """The cluster of the `{id}` path segment, if the caller's grants include it (40301 / 40402)."""
    return request.app[CLUSTER_SERVICE].get(context_of(request), path_id(request))


@routes.get("/clusters", access=Access.USER, summary="Clusters the caller may use",
            data={"type": "array", "items": CLUSTER})
async def list_clusters(request: web.Request) -> Any:
    """Every cluster within the caller's grants (no cluster is contacted)."""
    return [cluster.describe() for cluster in request.app[CLUSTER_SERVICE].visible(context_of(request))]


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
    cluster = await request.app[CLUSTER_SERVICE].add(context_of(request), name=field(body, "name", str),
                                                     kubeconfig=field(body, "kubeconfig", str))
    return cluster.describe()


@routes.delete("/clusters/{id}", access=Access.ADMIN, summary="Forget an uploaded cluster")
async def delete_cluster(request: web.Request) -> Any:
    """Kubeconfig contexts cannot be deleted here (they are re-imported at start)."""
    await request.app[CLUSTER_SERVICE].delete(context_of(request), path_id(request))
    return None


@routes.get("/clusters/{id}/kinds", access=Access.USER,
            summary="Every kind the cluster serves (built-in and custom): what it is, can do, and what you may do",
            query=(QueryParam(name="namespace", description="namespace for `allowed` (empty = all namespaces)"),),
            data={"type": "array", "items": KIND})
async def list_kinds(request: web.Request) -> Any:
    """From API discovery (preferred versions) and the registry's facts; `allowed` lists the caller's verbs on each
    kind in `namespace` (across all namespaces without it), as every other route decides them."""
    cluster = visible_cluster(request)
    context = context_of(request)
    namespace = request.query.get("namespace") or None
    refused = READ_ONLY_REFUSED_VERBS if request.app[SETTINGS].read_only else frozenset()
    # Rediscover (at most every few seconds) so CRDs created meanwhile show up in the sidebar: in the background
    # once the kinds are known, so a slow or unreachable API server does not hold up the page.
    registry = await cluster.registry(refresh=True, background=True)

    def allowed(scope: AccessScope) -> list[str]:
        return [verb for verb in Verb if verb not in refused and scope.may(verb)]

    return [kind.describe(cached=cluster.caches.is_cached(kind),
                          allowed=allowed(AccessScope.of(context, cluster, kind, namespace=namespace)))
            for kind in registry]


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
