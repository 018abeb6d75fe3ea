"""Generic CRUD over every kind, dry-run diff, YAML apply and batch operations (SPEC §4)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from aiohttp import web

from kubevision.api.context import context_of
from kubevision.api.envelope import Reply
from kubevision.api.params import field, int_param, path_id, read_json
from kubevision.api.routing import Access, ApiRoutes, QueryParam
from kubevision.api.schemas import ANY_OBJECT, BOOLEAN, INTEGER, NULLABLE_STRING, STRING, obj
from kubevision.errors import ApiError, ErrorCode
from kubevision.services.context import ObjectRef
from kubevision.services.resource_batch import BATCH_OPERATIONS
from kubevision.services.resource_reads import RESOURCE_READER, ListQuery
from kubevision.services.resource_writes import RESOURCE_WRITER

routes = ApiRoutes("resources")

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_SORT_RE = re.compile(r"^-?(?:metrics\.)?[A-Za-z][A-Za-z0-9]{0,63}$")

NAMESPACE = QueryParam(name="namespace", description="namespace; for lists and watches also several, comma-separated "
                       "(`team-a,team-b`), or empty for all")
LIST_QUERY = (
    NAMESPACE,
    QueryParam(name="labelSelector", description="Kubernetes label selector"),
    QueryParam(name="fieldSelector", description="Kubernetes field selector (live reads)"),
    QueryParam(name="q", description="substring of name, namespace or a label"),
    QueryParam(name="sort", description="any column id of the kind's table (`columns[].id` of view=table, e.g. "
               "restarts, age, status, capacity), ordered by the column's type (numbers, quantities, ratios, ages, "
               "durations, text), ties by name; '-' prefix for descending; cached kinds sort server-side. Kinds "
               "with the `metrics` capability (GET /kinds) also sort by the metrics sampler's current usage: "
               "`metrics.cpu`, `metrics.memory`, and for nodes `metrics.cpuOfAllocatable` and "
               "`metrics.memoryOfAllocatable`, for the others `metrics.cpuOfRequest`, `metrics.cpuOfLimit`, "
               "`metrics.memoryOfRequest` and `metrics.memoryOfLimit` (the values of GET /clusters/{id}/metrics/"
               "{kind}); ties by namespace then name, rows without a value last in both directions; paged with "
               "page/pageSize (not limit/continue); 40002 on a kind without metrics or when no metrics source "
               "works"),
    QueryParam(name="page", description="1-based page", schema=INTEGER),
    QueryParam(name="pageSize", description="rows per page (default 100, max 1000, or 'all')"),
    QueryParam(name="limit", description="API server chunk size (live reads)", schema=INTEGER),
    QueryParam(name="continue", description="continue token from meta.continue"),
    QueryParam(name="view", description="'table' for rows with the API server's printer columns, every priority "
               "(priority 1 = kubectl's -o wide; a client hides them by default)",
               schema={"type": "string", "enum": ["table"]}),
)
COLUMN = obj(["id", "name", "type", "priority"], id=STRING, name={**STRING, "description": "the API server's header"},
             type={"type": "string", "enum": ["text", "number", "quantity", "ratio", "age", "duration", "status",
                                              "boolean"]},
             priority={"type": "integer", "description": "0: always shown; 1 and more: shown by kubectl get -o wide "
                                                         "(custom resources may declare any priority)"},
             format={**STRING, "description": "a custom resource column's declared format (int32, date-time, ...)"},
             description={**STRING, "description": "a custom resource column's description"})
TABLE = obj(columns={"type": "array", "items": COLUMN},
            rows={"type": "array", "items": obj(name=STRING, namespace=NULLABLE_STRING, uid=STRING,
                                                resourceVersion=STRING, cells={"type": "array"})})
DRY_RUN_RESULT = obj(valid=BOOLEAN, message=STRING, current=ANY_OBJECT, proposed=ANY_OBJECT, diff=STRING,
                     causes={"type": "array", "items": ANY_OBJECT})


def item_results(key: str) -> dict[str, Any]:
    """The per-item results of a batch; `key` names the item's kind (`resource` or `kind`)."""
    return {"type": "array", "items": obj(**{key: STRING}, namespace=NULLABLE_STRING, name=STRING, code=INTEGER,
                                          message=STRING)}


def namespace_of(request: web.Request) -> str | None:
    return request.query.get("namespace") or None


def _object_ref(request: web.Request) -> ObjectRef:
    """The object a `/clusters/{id}/resources/{resource}/{name}` route names (`namespace` from the query)."""
    return ObjectRef(cluster_id=path_id(request), resource=request.match_info["resource"],
                     name=request.match_info["name"], namespace=namespace_of(request))


def paging(request: web.Request) -> tuple[int, int | None]:
    """(page, page size or None for all) from the query."""
    page = int_param(request.query.get("page"), "page", default=1, minimum=1)
    raw_size = request.query.get("pageSize")
    if raw_size == "all":
        return page, None
    return page, int_param(raw_size, "pageSize", default=DEFAULT_PAGE_SIZE, minimum=1, maximum=MAX_PAGE_SIZE)


def sort_param(request: web.Request) -> str | None:
    """The validated `sort` parameter."""
    sort = request.query.get("sort") or None
    if sort and not _SORT_RE.match(sort):
        raise ApiError(ErrorCode.PARAM_INVALID, "sort must be a column id (see view=table) or a metrics.* id, "
                                                "optionally with '-'")
    return sort


@routes.post("/clusters/{id}/resources/batch-delete", access=Access.USER,
             summary="Delete up to 100 objects, each authorized and reported on its own",
             body=obj(["items"], items={"type": "array", "items": obj(resource=STRING, namespace=STRING,
                                                                     name=STRING)}),
             data=item_results("resource"))
async def batch_delete(request: web.Request) -> Any:
    """Per-item results; the call itself succeeds when the request is well-formed."""
    body = await read_json(request)
    return await request.app[BATCH_OPERATIONS].delete_each(context_of(request), path_id(request),
                                                           items=body.get("items"))


@routes.post("/clusters/{id}/batch-restart", access=Access.USER,
             summary="Restart up to 100 workloads (deployments, statefulsets, daemonsets)",
             body=obj(["items"], items={"type": "array", "items": obj(kind=STRING, namespace=STRING,
                                                                     name=STRING)}),
             data=item_results("kind"))
async def batch_restart(request: web.Request) -> Any:
    """Per-item results."""
    body = await read_json(request)
    return await request.app[BATCH_OPERATIONS].restart_each(context_of(request), path_id(request),
                                                            items=body.get("items"))


@routes.post("/clusters/{id}/apply", access=Access.USER,
             summary="Server-side apply of multi-document YAML (each document at its own apiVersion), with "
                     "per-document results",
             body=obj(["yaml"], yaml=STRING, dryRun=BOOLEAN, namespace=STRING),
             data={"type": "array", "items": ANY_OBJECT})
async def apply_yaml(request: web.Request) -> Any:
    """Parse errors → 42200 with line and column; each document reports its own code."""
    body = await read_json(request)
    dry_run = field(body, "dryRun", bool, required=False, default=False)
    namespace = field(body, "namespace", str, required=False)
    return await request.app[RESOURCE_WRITER].apply_yaml(
        context_of(request), path_id(request), text=field(body, "yaml", str), dry_run=dry_run, namespace=namespace)


@routes.get("/clusters/{id}/resources/{resource}", access=Access.USER,
            summary="List objects of a kind (view=table for compact rows)", query=LIST_QUERY,
            data={"oneOf": [{"type": "array", "items": ANY_OBJECT}, TABLE]})
async def list_objects(request: web.Request) -> Any:
    """meta.total counts matches before paging; meta.source says where the data came from."""
    list_query = list_query_of(request)
    result = await request.app[RESOURCE_READER].list_objects(
        context_of(request), path_id(request), resource=request.match_info["resource"],
        namespace=namespace_of(request), query=list_query)
    meta: dict[str, Any] = {"total": result.total, "source": result.source, "stale": result.stale,
                            **_confirmed(result.confirmed_at)}
    if result.syncing:
        meta["syncing"] = True
    if result.continue_token is not None or list_query.limit:
        meta["continue"] = result.continue_token
    else:
        meta.update(page=list_query.page, pageSize=list_query.page_size)
    return Reply(result.data, **meta)


def list_query_of(request: web.Request) -> ListQuery:
    """The `LIST_QUERY` parameters of a list request."""
    query = request.query
    page, size = paging(request)
    limit = query.get("limit")
    return ListQuery(
        label_selector=query.get("labelSelector"), field_selector=query.get("fieldSelector"),
        limit=int_param(limit, "limit", default=0, minimum=1, maximum=10000) if limit else None,
        continue_token=query.get("continue"), text=query.get("q"), sort=sort_param(request),
        table=query.get("view") == "table", page=page, page_size=size,
    )


@routes.post("/clusters/{id}/resources/{resource}/dry-run", access=Access.USER,
             summary="Validate a create with the API server (dryRun=All) and show the result",
             query=(NAMESPACE,), body=ANY_OBJECT, data=DRY_RUN_RESULT)
async def dry_run_create(request: web.Request) -> Any:
    """Validation failures come back as valid=false with causes (not as an error)."""
    return await request.app[RESOURCE_WRITER].dry_run(
        context_of(request), path_id(request), resource=request.match_info["resource"],
        body=await read_json(request), namespace=namespace_of(request))


@routes.post("/clusters/{id}/resources/{resource}", access=Access.USER, summary="Create an object",
             query=(NAMESPACE,), body=ANY_OBJECT, data=ANY_OBJECT)
async def create_object(request: web.Request) -> Any:
    """The namespace comes from the query or the manifest (they must agree)."""
    return await request.app[RESOURCE_WRITER].create_object(
        context_of(request), path_id(request), resource=request.match_info["resource"],
        body=await read_json(request), namespace=namespace_of(request))


@routes.get("/clusters/{id}/resources/{resource}/{name}", access=Access.USER, summary="Get one object",
            query=(NAMESPACE, QueryParam(name="reveal", description="true: show Secret values (needs reveal)",
                                         schema=BOOLEAN)),
            data=ANY_OBJECT)
async def get_object(request: web.Request) -> Any:
    """managedFields removed; Secret values masked unless revealed."""
    result = await request.app[RESOURCE_READER].get_object(
        context_of(request), _object_ref(request), reveal=request.query.get("reveal") == "true")
    return Reply(result.data, source=result.source, stale=result.stale, **_confirmed(result.confirmed_at))


def _confirmed(confirmed_at: float | None) -> dict[str, str]:
    """`meta.confirmedAt` (ISO 8601, UTC) of a cached answer: when the cache was last confirmed in sync."""
    if confirmed_at is None:
        return {}
    return {"confirmedAt": dt.datetime.fromtimestamp(confirmed_at, dt.UTC).isoformat(timespec="seconds")}


@routes.put("/clusters/{id}/resources/{resource}/{name}/dry-run", access=Access.USER,
            summary="Validate an update with the API server and diff it against the current object",
            query=(NAMESPACE,), body=ANY_OBJECT, data=DRY_RUN_RESULT)
async def dry_run_update(request: web.Request) -> Any:
    """`diff` is a unified diff of the YAML without managedFields and status."""
    return await request.app[RESOURCE_WRITER].dry_run(
        context_of(request), path_id(request), resource=request.match_info["resource"],
        body=await read_json(request), name=request.match_info["name"], namespace=namespace_of(request))


@routes.put("/clusters/{id}/resources/{resource}/{name}", access=Access.USER,
            summary="Replace an object (metadata.resourceVersion guards against lost updates)",
            query=(NAMESPACE,), body=ANY_OBJECT, data=ANY_OBJECT)
async def replace_object(request: web.Request) -> Any:
    """A stale resourceVersion → 40901."""
    return await request.app[RESOURCE_WRITER].replace_object(context_of(request), _object_ref(request),
                                                             body=await read_json(request))


@routes.patch("/clusters/{id}/resources/{resource}/{name}", access=Access.USER,
              summary="Patch an object: {type: merge|strategic|json, patch}", query=(NAMESPACE,),
              body=obj(["type", "patch"], type={"type": "string", "enum": ["merge", "strategic", "json"]},
                       patch={"type": ["object", "array"]}),
              data=ANY_OBJECT)
async def patch_object(request: web.Request) -> Any:
    """Strategic merge works for built-in kinds only (the API server says so for CRDs)."""
    body = await read_json(request)
    if "patch" not in body:
        raise ApiError(ErrorCode.PARAM_MISSING, "patch is required")
    return await request.app[RESOURCE_WRITER].patch_object(
        context_of(request), _object_ref(request), patch_type=field(body, "type", str), patch=body["patch"])


@routes.delete("/clusters/{id}/resources/{resource}/{name}", access=Access.USER, summary="Delete an object",
               query=(NAMESPACE, QueryParam(name="propagationPolicy",
                                            description="Foreground, Background or Orphan"),
                      QueryParam(name="gracePeriodSeconds", description="0 deletes at once", schema=INTEGER)))
async def delete_object(request: web.Request) -> Any:
    """data is null on success."""
    grace = request.query.get("gracePeriodSeconds")
    await request.app[RESOURCE_WRITER].delete_object(
        context_of(request), _object_ref(request), propagation=request.query.get("propagationPolicy"),
        grace_period_s=int_param(grace, "gracePeriodSeconds", default=0, minimum=0) if grace else None)
    return None
