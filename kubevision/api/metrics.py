"""CPU and memory usage of pods, nodes, workloads and namespaces: current values and series (`services/metrics.py`).

Every answer says which source is in use (`source`: `summary` = the kubelet Summary API through the API server's
node proxy, or `metrics.k8s.io`), or why none works (`reason`), instead of empty numbers. CPU is in cores, memory
in bytes, times in epoch seconds; series are columns (`points.t`, `points.cpu`, `points.memory`,
`points.rxBytesPerSecond`, `points.txBytesPerSecond`, `points.restarts`; null where no value, a whole column null
where its series is not kept that far back: `maxRangeSeconds`), as chart libraries take them.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubevision.api.context import context_of
from kubevision.api.params import field, int_param, path_id, read_json
from kubevision.api.routing import Access, ApiRoutes, QueryParam
from kubevision.api.schemas import BOOLEAN, INTEGER, NULLABLE_STRING, STRING, obj
from kubevision.services.metrics import MAX_ITEMS, MAX_NAMES, METRICS, TOP_DEFAULT, TOP_MAX, parse_range

routes = ApiRoutes("metrics")

NUMBER = {"type": ["number", "null"]}
NUMBERS = {"type": "array", "items": NUMBER}
STATUS = dict(available=BOOLEAN, source=NULLABLE_STRING, reason=NULLABLE_STRING, sampledAt=NUMBER,
              intervalSeconds=NUMBER, nodeErrors={"type": "object", "additionalProperties": STRING})
USAGE = dict(cpu=NUMBER, memory=NUMBER, cpuRequest=NUMBER, cpuLimit=NUMBER, memoryRequest=NUMBER,
             memoryLimit=NUMBER, cpuOfRequest=NUMBER, cpuOfLimit=NUMBER, memoryOfRequest=NUMBER, memoryOfLimit=NUMBER)
NETWORK = obj(rxBytesPerSecond=NUMBER, txBytesPerSecond=NUMBER)
POD = obj(namespace=STRING, name=STRING, node=NULLABLE_STRING, time=NUMBER, network=NETWORK, restarts=INTEGER,
          workload={"oneOf": [obj(kind=STRING, name=STRING), {"type": "null"}]},
          containers={"type": "array", "items": obj(name=STRING, cpu=NUMBER, memory=NUMBER)}, **USAGE)
NODE = obj(name=STRING, pods=INTEGER, cpu=NUMBER, memory=NUMBER, cpuAllocatable=NUMBER, memoryAllocatable=NUMBER,
           cpuOfAllocatable=NUMBER, memoryOfAllocatable=NUMBER, network=NETWORK, restarts=INTEGER)
WORKLOAD = obj(kind=STRING, namespace=STRING, name=STRING, pods=INTEGER, network=NETWORK, restarts=INTEGER, **USAGE)
NAMESPACE_USAGE = obj(name=STRING, pods=INTEGER, network=NETWORK, restarts=INTEGER, **USAGE)
AMOUNTS = obj(cpu=NUMBER, memory=NUMBER)
OPTIONAL_NUMBERS = {"type": ["array", "null"], "items": NUMBER}
SERIES = obj(kind=STRING, namespace=NULLABLE_STRING, name=STRING, rangeSeconds=INTEGER, resolutionSeconds=NUMBER,
             maxRangeSeconds=obj(cpu=INTEGER, memory=INTEGER, network=INTEGER, restarts=INTEGER),
             points=obj(t=NUMBERS, cpu=NUMBERS, memory=NUMBERS, rxBytesPerSecond=OPTIONAL_NUMBERS,
                        txBytesPerSecond=OPTIONAL_NUMBERS, restarts=OPTIONAL_NUMBERS),
             requests=AMOUNTS, limits=AMOUNTS, network=NETWORK, restarts={"type": ["integer", "null"]}, **STATUS)
BUSIEST = obj(cpu={"type": "array", "items": POD}, memory={"type": "array", "items": POD})
BUSIEST_NODES = obj(cpu={"type": "array", "items": NODE}, memory={"type": "array", "items": NODE})
TOP = obj(limit=INTEGER, pods={"oneOf": [BUSIEST, {"type": "null"}]},
          nodes={"oneOf": [BUSIEST_NODES, {"type": "null"}]}, **STATUS)


NAMESPACE_PARAM = QueryParam(name="namespace", description="namespace (empty = every namespace you may see)")
LIST_PARAMS = (
    QueryParam(name="sort", description="cpu, memory or name; '-' first for descending (default -cpu)"),
    QueryParam(name="limit", description=f"at most this many items (1-{MAX_ITEMS}; default all)",
               schema={"type": "integer", "minimum": 1, "maximum": MAX_ITEMS}),
)
NAMES_BODY = obj(["names"], names={
    "type": "array", "maxItems": MAX_NAMES,
    "items": {"type": "string", "description": "namespace/name (/name for nodes and namespaces)"}})
RANGE_PARAM = QueryParam(name="range", description="how far back: 15m to 7d (m, h, d; default 1h); pods up to 1h")


def _list_options(request: web.Request) -> dict[str, Any]:
    limit = int_param(request.query.get("limit"), "limit", default=0, minimum=1, maximum=MAX_ITEMS)
    return {"sort": request.query.get("sort") or None, "limit": limit or None}


@routes.get("/clusters/{id}/metrics/top", access=Access.USER,
            summary="The busiest pods and nodes, by CPU and by memory (the sampler's latest round)",
            query=(QueryParam(name="limit", description=f"this many of each (1-{TOP_MAX}; default {TOP_DEFAULT})",
                              schema={"type": "integer", "minimum": 1, "maximum": TOP_MAX}),),
            data=TOP)
async def top(request: web.Request) -> Any:
    """`pods`: of the namespaces you may read (null when your role may not read pods); `nodes`: null unless you may
    read nodes (namespace-limited callers may not). Registered before `/metrics/{resource}`, which it shadows."""
    limit = int_param(request.query.get("limit"), "limit", default=TOP_DEFAULT, minimum=1, maximum=TOP_MAX)
    return await request.app[METRICS].top(context_of(request), path_id(request), limit=limit)


CURRENT_DATA = obj(kind=STRING, items={"type": "array", "items": {"oneOf": [POD, NODE, WORKLOAD, NAMESPACE_USAGE]}},
                   **STATUS)


@routes.get("/clusters/{id}/metrics/{resource}", access=Access.USER,
            summary="Current CPU and memory of pods, nodes, namespaces or the workloads of one kind",
            query=(NAMESPACE_PARAM, *LIST_PARAMS), data=CURRENT_DATA)
async def current(request: web.Request) -> Any:
    """`resource`: pods, nodes, namespaces, or a workload kind (deployments, statefulsets, daemonsets,
    replicasets, jobs: its pods summed, each pod under its top controller). 40002 for other kinds."""
    return await request.app[METRICS].current(context_of(request), path_id(request), request.match_info["resource"],
                                              namespace=request.query.get("namespace") or None,
                                              **_list_options(request))


@routes.post("/clusters/{id}/metrics/{resource}", access=Access.USER, reads_only=True,
             summary="Current CPU and memory of the named objects of a kind (the rows a windowed list holds)",
             query=(NAMESPACE_PARAM, *LIST_PARAMS), body=NAMES_BODY, data=CURRENT_DATA,
             description=f"The GET's answer for the objects of `names` only (at most {MAX_NAMES}; a POST because "
                         "that many keys do not fit a URL). An object the caller may not see, outside `namespace`, "
                         "or without a value this round is left out, never an error. A malformed key or too many: "
                         "40002.")
async def current_of(request: web.Request) -> Any:
    """As the GET, for the objects `names` lists: "namespace/name", "/name" for cluster-scoped kinds."""
    names = field(await read_json(request), "names", list)
    return await request.app[METRICS].current(context_of(request), path_id(request), request.match_info["resource"],
                                              namespace=request.query.get("namespace") or None, names=names,
                                              **_list_options(request))


async def _series(request: web.Request, namespace: str | None) -> Any:
    return await request.app[METRICS].series(context_of(request), path_id(request), request.match_info["resource"],
                                             namespace=namespace, name=request.match_info["name"],
                                             range_s=parse_range(request.query.get("range")))


@routes.get("/clusters/{id}/metrics/{resource}/{name}/series", access=Access.USER,
            summary="CPU, memory, network and restarts of one node or namespace over time", query=(RANGE_PARAM,),
            data=SERIES)
async def cluster_series(request: web.Request) -> Any:
    """Full resolution up to 1 hour, downsampled buckets beyond; a namespace's requests and limits are its pods'."""
    return await _series(request, None)


@routes.get("/clusters/{id}/metrics/namespaces/{ns}/{resource}/{name}/series", access=Access.USER,
            summary="CPU, memory, network and restarts of one pod or workload over time", query=(RANGE_PARAM,),
            data=SERIES)
async def namespaced_series(request: web.Request) -> Any:
    """Full resolution up to 1 hour, downsampled buckets beyond (workloads; pods keep 1 hour); with the requests
    and limits (a workload's: its pods' sums)."""
    return await _series(request, request.match_info["ns"])
