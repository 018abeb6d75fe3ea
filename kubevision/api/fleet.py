"""Reads across several clusters: one list, search or overview with a part per cluster (services/fleet.py).

`clusters=1,4` names the clusters as `namespace=a,b` names namespaces; without it every cluster the caller
may see takes part. A cluster that fails is its own entry in `data.clusters` (code and message), never a
failed request.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubevision.api.context import context_of
from kubevision.api.envelope import Reply
from kubevision.api.params import int_param
from kubevision.api.resources import LIST_QUERY, TABLE, list_query_of, namespace_of
from kubevision.api.routing import Access, ApiRoutes, QueryParam
from kubevision.api.schemas import ANY_OBJECT, INTEGER, NULLABLE_STRING, STRING, obj
from kubevision.api.views import OVERVIEW, SEARCH_RESULT
from kubevision.services.fleet import FLEET, SUMMED_OVERVIEW_PARTS, parse_cluster_ids
from kubevision.services.views import SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT

routes = ApiRoutes("fleet")

CLUSTERS = QueryParam(name="clusters", description="comma-separated cluster ids (`1,4`); empty = every cluster "
                                                   "you may see")
NULLABLE_INTEGER = {"type": ["integer", "null"]}
PART = obj(["id", "name", "code", "message"], id=INTEGER, name=STRING,
           code={**INTEGER, "description": "0 when the cluster answered, else its error code"},
           message=STRING, total=NULLABLE_INTEGER, source=NULLABLE_STRING)
PARTS = {"type": "array", "items": PART}
# limit/continue chunk one cluster's list; across clusters pages are page/pageSize.
FLEET_LIST_QUERY = (CLUSTERS, *(param for param in LIST_QUERY if param.name not in ("limit", "continue")))


@routes.get("/resources/{resource}", access=Access.USER,
            summary="List objects of a kind across clusters (view=table adds a Cluster column)",
            query=FLEET_LIST_QUERY,
            data={"oneOf": [obj(["items", "clusters"],
                                items={"type": "array", "items": obj(cluster=INTEGER, object=ANY_OBJECT)},
                                clusters=PARTS),
                            {**TABLE, "properties": {**TABLE["properties"], "clusters": PARTS},
                             "required": ["columns", "rows", "clusters"]}]})
async def list_across(request: web.Request) -> Any:
    """Sorted and paged over every cluster's rows (`sort=cluster` orders by cluster); meta.total sums the
    clusters' totals; data.clusters has each one's total or error."""
    query = list_query_of(request)
    data, total = await request.app[FLEET].list_objects(
        context_of(request), parse_cluster_ids(request.query.get("clusters")),
        resource=request.match_info["resource"], namespace=namespace_of(request), query=query)
    return Reply(data, total=total, page=query.page, pageSize=query.page_size)


@routes.get("/search", access=Access.USER, summary="Search across clusters (each result names its cluster)",
            query=(CLUSTERS, QueryParam(name="q", description="what to look for (case-insensitive)", required=True),
                   QueryParam(name="kinds", description="comma-separated kinds (default as for one cluster)"),
                   QueryParam(name="limit", description=f"results per kind and cluster (default "
                                                        f"{SEARCH_DEFAULT_LIMIT}, max {SEARCH_MAX_LIMIT})",
                              schema=INTEGER)),
            data=obj(results={"type": "array", "items": {
                **SEARCH_RESULT, "properties": {**SEARCH_RESULT["properties"], "cluster": INTEGER,
                                                "clusterName": STRING}}}, clusters=PARTS))
async def search_across(request: web.Request) -> Any:
    """Best first over all clusters."""
    query = request.query
    kinds = [kind.strip() for kind in (query.get("kinds") or "").split(",") if kind.strip()] or None
    limit = int_param(query.get("limit"), "limit", default=SEARCH_DEFAULT_LIMIT, minimum=1, maximum=SEARCH_MAX_LIMIT)
    return await request.app[FLEET].search(context_of(request), parse_cluster_ids(query.get("clusters")),
                                           text=query.get("q") or "", kinds=kinds, limit=limit)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema`, or null (a total no cluster could count)."""
    return schema if {"type": "null"} in schema.get("oneOf", []) else {"oneOf": [schema, {"type": "null"}]}


@routes.get("/overview", access=Access.USER, summary="Overview of several clusters, with totals",
            query=(CLUSTERS,),
            data=obj(clusters={"type": "array", "items": {
                **PART, "properties": {**PART["properties"], "overview": {"oneOf": [OVERVIEW, {"type": "null"}]}}}},
                totals=obj(**{name: _nullable(OVERVIEW["properties"][name]) for name in SUMMED_OVERVIEW_PARTS
                              if name != "counts"}, counts=OVERVIEW["properties"]["counts"])))
async def overview_across(request: web.Request) -> Any:
    """Each cluster's overview (or its error), and its counts, workloads, nodes, resources and pod phases summed
    over the clusters that answered (a number is null when no cluster could count it)."""
    return await request.app[FLEET].overview(context_of(request), parse_cluster_ids(request.query.get("clusters")))
