"""Cross-kind views (SPEC §4 "Views"): overview, search, topology, events, quota summary.

Thin handlers over `ViewService`: parse and bound the query, call the service, put its meta into the
envelope. Everything here is a read; grants filter what each caller sees (in the service).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubevision.api.context import context_of
from kubevision.api.envelope import Reply
from kubevision.api.metrics import STATUS as METRICS_STATUS
from kubevision.api.params import int_param, path_id
from kubevision.api.routing import Access, ApiRoutes, QueryParam
from kubevision.api.schemas import ANY_OBJECT, BOOLEAN, INTEGER, STRING, obj
from kubevision.services.topology import TOPOLOGY_MAX_BUDGET, TOPOLOGY_NODE_BUDGET
from kubevision.services.views import (
    EVENTS_DEFAULT_LIMIT,
    EVENTS_MAX_LIMIT,
    SEARCH_DEFAULT_LIMIT,
    SEARCH_MAX_LIMIT,
    VIEWS,
)

routes = ApiRoutes("views")

NULLABLE_NUMBER = {"type": ["number", "null"]}
COUNT = obj(total=INTEGER, ready=INTEGER, notReady=INTEGER)
AMOUNT = obj(unit=STRING, capacity=NULLABLE_NUMBER, allocatable=NULLABLE_NUMBER, requests=NULLABLE_NUMBER,
             limits=NULLABLE_NUMBER, usage=NULLABLE_NUMBER)
EVENT = obj(name=STRING, namespace=STRING, type=STRING, reason=STRING, message=STRING, count=INTEGER,
            firstSeen=STRING, lastSeen=STRING, source={"type": ["string", "null"]},
            involvedObject=obj(kind=STRING, name=STRING, namespace=STRING, uid=STRING))
OVERVIEW = obj(
    counts={"type": "object", "additionalProperties": INTEGER},
    workloads={"type": "object", "additionalProperties": {"oneOf": [COUNT, {"type": "null"}]}},
    nodes={"oneOf": [obj(total=INTEGER, ready=INTEGER, notReady=INTEGER, unschedulable=INTEGER),
                     {"type": "null"}]},
    resources=obj(cpu=AMOUNT, memory=AMOUNT, pods=ANY_OBJECT),
    podPhases={"type": "object", "additionalProperties": INTEGER},
    warnings={"type": ["array", "null"], "items": EVENT},
    releases={"oneOf": [obj(total=INTEGER, byStatus={"type": "object", "additionalProperties": INTEGER},
                            attentionTotal=INTEGER,
                            attention={"type": "array", "items": obj(
                                name=STRING, namespace=STRING, status=STRING, revision=INTEGER,
                                chart=STRING, updated={"type": ["string", "null"]},
                                error={"type": ["string", "null"]})}),
                        {"type": "null"}]},
    metricsAvailable=BOOLEAN, metrics=obj(**METRICS_STATUS),
    scope={"type": "string", "enum": ["cluster", "namespaces"]},
    missing={"type": "array", "items": obj(kind=STRING, code=INTEGER, message=STRING)},
)
SEARCH_RESULT = obj(kind=STRING, name=STRING, namespace={"type": ["string", "null"]}, score=INTEGER,
                    matchedOn=STRING, status={"type": ["string", "null"]})
TOPOLOGY_NODE = obj(id=STRING, kind=STRING, name=STRING, namespace={"type": ["string", "null"]},
                    status={"type": ["string", "null"]}, group=STRING, count=INTEGER,
                    statusCounts={"type": "object", "additionalProperties": INTEGER})
TOPOLOGY = obj(namespace=STRING, nodes={"type": "array", "items": TOPOLOGY_NODE},
               edges={"type": "array", "items": obj(source=STRING, target=STRING, type={
                   "type": "string", "enum": ["routes", "selects", "owns", "mounts", "binds"]})},
               collapsed=BOOLEAN, budget=INTEGER, podCount=INTEGER, skipped={"type": "array", "items": ANY_OBJECT})
QUOTA_SUMMARY = obj(
    quotas={"type": "array", "items": obj(name=STRING, namespace=STRING, scopes={"type": "array", "items": STRING},
                                          resources={"type": "array", "items": obj(
                                              resource=STRING, hard=STRING, used={"type": ["string", "null"]},
                                              percent=NULLABLE_NUMBER)})},
    limitRanges={"type": "array", "items": obj(name=STRING, namespace=STRING,
                                               limits={"type": "array", "items": ANY_OBJECT})},
)
NAMESPACE = QueryParam(name="namespace", description="namespace (empty = every namespace you may see)")


@routes.get("/clusters/{id}/overview", access=Access.USER,
            summary="Cluster overview: counts, readiness, capacity vs requests vs limits, pod phases, warnings",
            data=OVERVIEW)
async def overview(request: web.Request) -> Any:
    """Namespace-restricted callers get the figures of their namespaces (nodes and capacity are null)."""
    data, meta = await request.app[VIEWS].overview(context_of(request), path_id(request))
    return Reply(data, **meta)


@routes.get("/clusters/{id}/search", access=Access.USER,
            summary="Ranked name/label/namespace matches across kinds (exact > prefix > substring)",
            query=(QueryParam(name="q", description="what to look for (case-insensitive)", required=True),
                   QueryParam(name="kinds", description="comma-separated kinds (default: cached kinds and a "
                                                        "few common live ones)"),
                   QueryParam(name="limit", description=f"results per kind (default {SEARCH_DEFAULT_LIMIT}, "
                                                        f"max {SEARCH_MAX_LIMIT})", schema=INTEGER),
                   QueryParam(name="namespace", description="the caller's current namespace: its matches are "
                                                            "ranked first (nothing else is filtered)")),
            data={"type": "array", "items": SEARCH_RESULT})
async def search(request: web.Request) -> Any:
    """meta.total counts every match before the per-kind cap; meta.skipped lists kinds that timed out."""
    query = request.query
    kinds = [k.strip() for k in (query.get("kinds") or "").split(",") if k.strip()] or None
    limit = int_param(query.get("limit"), "limit", default=SEARCH_DEFAULT_LIMIT, minimum=1, maximum=SEARCH_MAX_LIMIT)
    results, meta = await request.app[VIEWS].search(context_of(request), path_id(request), query.get("q") or "",
                                                    kinds=kinds, limit=limit, namespace=query.get("namespace") or None)
    return Reply(results, **meta)


@routes.get("/clusters/{id}/namespaces/{ns}/topology", access=Access.USER,
            summary="Topology of a namespace: Ingress→Service→Pod, owners, volumes, config (nodes and edges)",
            query=(QueryParam(name="budget", description=f"node budget before pods collapse into groups "
                                                         f"(default {TOPOLOGY_NODE_BUDGET})", schema=INTEGER),),
            data=TOPOLOGY)
async def topology(request: web.Request) -> Any:
    """Pods of the largest owners collapse into PodGroup nodes when the graph would exceed the budget."""
    budget = int_param(request.query.get("budget"), "budget", default=TOPOLOGY_NODE_BUDGET, minimum=10,
                       maximum=TOPOLOGY_MAX_BUDGET)
    return await request.app[VIEWS].topology(context_of(request), path_id(request), request.match_info["ns"],
                                             budget=budget)


@routes.get("/clusters/{id}/events", access=Access.USER, summary="Events, newest first, by involved object",
            query=(NAMESPACE,
                   QueryParam(name="kind", description="involved object kind (Pod, pods or pod)"),
                   QueryParam(name="name", description="involved object name"),
                   QueryParam(name="uid", description="involved object uid"),
                   QueryParam(name="involvedObject", description="shorthand 'Kind/name'"),
                   QueryParam(name="type", description="Normal or Warning"),
                   QueryParam(name="limit", description=f"at most this many (default {EVENTS_DEFAULT_LIMIT}, "
                                                        f"max {EVENTS_MAX_LIMIT})", schema=INTEGER)),
            data={"type": "array", "items": EVENT})
async def events(request: web.Request) -> Any:
    """meta.total counts every matching event; data holds the newest `limit`."""
    query = request.query
    kind, name = query.get("kind") or None, query.get("name") or None
    involved = query.get("involvedObject") or ""
    if "/" in involved:
        kind, _, name = involved.partition("/")
    limit = int_param(query.get("limit"), "limit", default=EVENTS_DEFAULT_LIMIT, minimum=1, maximum=EVENTS_MAX_LIMIT)
    items, total = await request.app[VIEWS].events(
        context_of(request), path_id(request), namespace=query.get("namespace") or None, kind=kind, name=name,
        uid=query.get("uid") or None, event_type=query.get("type") or None, limit=limit)
    return Reply(items, total=total, source="apiserver", stale=False)


@routes.get("/clusters/{id}/quota-summary", access=Access.USER,
            summary="ResourceQuotas (hard, used, percent per resource) and LimitRanges", query=(NAMESPACE,),
            data=QUOTA_SUMMARY)
async def quota_summary(request: web.Request) -> Any:
    """Percent is 100 * used / hard, one decimal."""
    return await request.app[VIEWS].quota_summary(context_of(request), path_id(request),
                                                  namespace=request.query.get("namespace") or None)
