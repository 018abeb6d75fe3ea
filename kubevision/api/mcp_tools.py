"""The read tools of the MCP endpoint (`api/mcp.py`): each parses its arguments, calls a service with the
request's `RequestContext` (so the caller's roles, grants, masking and read-only mode apply as on every other
route) and returns structured data sized for a model.

Limits: at most `MAX_ROWS` rows per list, and a text rendering of at most `MAX_TEXT_BYTES` (cut with a note).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from kubevision.api.params import MAX_INT
from kubevision.config import SETTINGS
from kubevision.errors import ApiError, ErrorCode
from kubevision.kube.logs import LogOptions, workload_selector
from kubevision.kube.registry import Capability, builtin_plurals
from kubevision.services.approvals import (
    APPROVALS,
    AUTO_APPROVED_COMMENT,
    Action,
    Change,
    Status,
    describe_request,
    preview_manifest,
)
from kubevision.services.clusters import CLUSTER_SERVICE
from kubevision.services.context import ObjectRef, RequestContext
from kubevision.services.resource_reads import RESOURCE_READER, ListQuery
from kubevision.services.resource_writes import PATCH_CONTENT_TYPES, RESOURCE_WRITER
from kubevision.services.streams import STREAMS
from kubevision.services.topology import TOPOLOGY_MAX_BUDGET, TOPOLOGY_NODE_BUDGET
from kubevision.services.views import SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT, VIEWS
from kubevision.services.workloads import MAX_REPLICAS, WORKLOADS
from kubevision.store.change_requests import ChangeRequest

# Rows of a list or search a tool returns at most (the issue: "at most about 100 rows").
MAX_ROWS = 100
DEFAULT_ROWS = 50
# The text content of a result is cut here, with a note (the issue: "or 50 KB").
MAX_TEXT_BYTES = 50_000
# Log tools: lines asked from the API server per container by default and at most, bytes read per container.
DEFAULT_TAIL_LINES = 200
MAX_TAIL_LINES = 5_000
MAX_LOG_READ_BYTES = 2 * 1024 * 1024
MAX_LOG_RESULT_BYTES = 40_000  # the lines kept (newest first kept), below MAX_TEXT_BYTES with room for the JSON
MAX_GREP_CHARS = 200
# Pods whose logs a workload_logs call reads at most.
MAX_WORKLOAD_LOG_PODS = 10
# Events a describe includes (newest first).
DESCRIBE_EVENTS = 20

Obj = dict[str, Any]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ToolOutput:
    """A tool's result: structured data (a JSON object) and a one-line summary that leads the text."""

    data: Obj
    summary: str

    def text(self) -> str:
        """The summary and the data as JSON, cut at `MAX_TEXT_BYTES` with a note."""
        body = orjson.dumps(self.data, option=orjson.OPT_INDENT_2).decode()
        text = f"{self.summary}\n{body}"
        encoded = text.encode()
        if len(encoded) <= MAX_TEXT_BYTES:
            return text
        kept = encoded[:MAX_TEXT_BYTES].decode(errors="ignore")
        return f"{kept}\n… [cut at {MAX_TEXT_BYTES} bytes of {len(encoded)}: narrow the request (namespace, " \
               f"labelSelector, q, pageSize, tailLines, grep); structuredContent holds the whole result]"


class Arguments:
    """A tool call's arguments with typed, bounded getters (40001 missing, 40002 wrong)."""

    def __init__(self, values: Obj | None) -> None:
        self._values = values or {}

    @property
    def raw(self) -> Obj:
        """The arguments as sent (for the audit row, which picks the names it records)."""
        return self._values

    def text(self, name: str, *, required: bool = False, max_chars: int = 1024) -> str | None:
        """A string argument (empty counts as absent)."""
        value = self._values.get(name)
        if value is None or value == "":
            if required:
                raise ApiError(ErrorCode.PARAM_MISSING, f"{name} is required")
            return None
        if not isinstance(value, str):
            raise ApiError(ErrorCode.PARAM_INVALID, f"{name} must be a string")
        if len(value) > max_chars:
            raise ApiError(ErrorCode.PARAM_INVALID, f"{name} must be at most {max_chars} characters")
        return value

    def required_text(self, name: str) -> str:
        """A string argument that must be there."""
        value = self.text(name, required=True)
        assert value is not None
        return value

    def integer(self, name: str, *, default: int | None = None, minimum: int = 0,
                maximum: int = MAX_INT, required: bool = False) -> int | None:
        """An integer argument within bounds."""
        value = self._values.get(name)
        if value is None:
            if required:
                raise ApiError(ErrorCode.PARAM_MISSING, f"{name} is required")
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise ApiError(ErrorCode.PARAM_INVALID, f"{name} must be an integer")
        if not minimum <= value <= maximum:
            raise ApiError(ErrorCode.PARAM_INVALID, f"{name} must be between {minimum} and {maximum}")
        return value

    def cluster(self) -> int:
        """The `cluster` id."""
        value = self.integer("cluster", minimum=1, required=True)
        assert value is not None
        return value

    def flag(self, name: str) -> bool:
        """A boolean argument (false when absent)."""
        value = self._values.get(name, False)
        if not isinstance(value, bool):
            raise ApiError(ErrorCode.PARAM_INVALID, f"{name} must be a boolean")
        return value

    def value(self, name: str) -> Any:
        """Any JSON argument that must be there (its service checks its shape)."""
        if self._values.get(name) is None:
            raise ApiError(ErrorCode.PARAM_MISSING, f"{name} is required")
        return self._values[name]

    def mapping(self, name: str) -> Obj:
        """An object argument that must be there."""
        value = self._values.get(name)
        if value is None:
            raise ApiError(ErrorCode.PARAM_MISSING, f"{name} is required")
        if not isinstance(value, dict):
            raise ApiError(ErrorCode.PARAM_INVALID, f"{name} must be an object")
        return value


@dataclasses.dataclass(frozen=True, kw_only=True)
class ToolCall:
    """One call: the app (its services), the caller's context and the arguments."""

    app: web.Application
    context: RequestContext
    arguments: Arguments
    client: str  # the agent's name as it says (User-Agent), shown with its change requests


@dataclasses.dataclass(frozen=True, kw_only=True)
class Tool:
    """A tool as `tools/list` describes it, and what runs it."""

    name: str
    title: str
    description: str
    input_schema: Obj
    run: Callable[[ToolCall], Awaitable[ToolOutput]]
    read_only: bool = True  # False: a change tool, which asks for approval
    destructive: bool = False


def plain(value: Any) -> Any:
    """Service data (which may hold cached `orjson.Fragment`s) as plain JSON values."""
    return orjson.loads(orjson.dumps(value))


# -- argument schemas ------------------------------------------------------------------------------------
def _schema(required: list[str], **properties: Obj) -> Obj:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


CLUSTER = {"type": "integer", "minimum": 1, "description": "cluster id, from list_clusters"}
RESOURCE = {"type": "string", "description": "kind as its lower-case plural (pods, deployments, services, "
                                             "configmaps, secrets, nodes, ingresses, …; a custom resource as "
                                             "plural.group, e.g. widgets.example.com)"}
NAMESPACE = {"type": "string", "description": "namespace; leave out for cluster-scoped kinds (nodes, namespaces…)"}
NAMESPACE_FILTER = {"type": "string", "description": "namespace to list in; leave out for every namespace you may "
                                                     "see"}
NAME = {"type": "string", "description": "object name"}
TAIL_LINES = {"type": "integer", "minimum": 1, "maximum": MAX_TAIL_LINES,
              "description": f"newest lines per container (default {DEFAULT_TAIL_LINES})"}
SINCE_SECONDS = {"type": "integer", "minimum": 1, "description": "only lines newer than this many seconds"}
GREP = {"type": "string", "maxLength": MAX_GREP_CHARS,
        "description": "keep only lines containing this text (case-insensitive substring, not a regex)"}


APPROVAL_NOTE = ("Asks for a change; a person approves or denies it in KubeVision first (unless your user lets "
                 "this action run without approval). Waits for the decision (up to the server's "
                 "mcp_approval_wait_s, 30 s by default), then answers done, failed, denied, or pending with a "
                 "request id to check with get_change_request.")


# -- tools ----------------------------------------------------------------------------------------------
async def list_clusters(call: ToolCall) -> ToolOutput:
    """Clusters within the caller's grants."""
    clusters = [cluster.describe() for cluster in call.app[CLUSTER_SERVICE].visible(call.context)]
    return ToolOutput(data={"clusters": clusters}, summary=f"{len(clusters)} cluster(s)")


async def list_resources(call: ToolCall) -> ToolOutput:
    """Table rows of a kind, filtered and paged."""
    args = call.arguments
    page = args.integer("page", default=1, minimum=1)
    size = args.integer("pageSize", default=DEFAULT_ROWS, minimum=1, maximum=MAX_ROWS)
    assert page is not None and size is not None
    resource = args.required_text("resource")
    query = ListQuery(label_selector=args.text("labelSelector"), text=args.text("q"), sort=args.text("sort"),
                      table=True, page=page, page_size=size)
    result = await call.app[RESOURCE_READER].list_objects(call.context, args.cluster(), resource=resource,
                                                          namespace=args.text("namespace"), query=query)
    table = plain(result.data)
    rows = table.get("rows") or []
    shown_to = (page - 1) * size + len(rows)
    more = f"; more on page {page + 1}" if shown_to < result.total else ""
    data = {**table, "total": result.total, "page": page, "pageSize": size, "stale": result.stale}
    return ToolOutput(data=data, summary=f"{resource}: rows {shown_to - len(rows) + 1 if rows else 0}-{shown_to} of "
                                         f"{result.total}{more}")


def _ref(args: Arguments) -> ObjectRef:
    return ObjectRef(cluster_id=args.cluster(), resource=args.required_text("resource"),
                     name=args.required_text("name"), namespace=args.text("namespace"))


async def get_resource(call: ToolCall) -> ToolOutput:
    """One object (Secret values masked)."""
    ref = _ref(call.arguments)
    result = await call.app[RESOURCE_READER].get_object(call.context, ref)
    return ToolOutput(data={"object": plain(result.data)}, summary=f"{ref.resource}/{ref.name}")


async def describe_resource(call: ToolCall) -> ToolOutput:
    """One object with its events, its owners and (for deployments) its rollout history."""
    ref = _ref(call.arguments)
    obj = plain((await call.app[RESOURCE_READER].get_object(call.context, ref)).data)
    metadata = obj.get("metadata") or {}
    events, total = await call.app[VIEWS].events(call.context, ref.cluster_id, namespace=ref.namespace,
                                                 kind=obj.get("kind"), name=ref.name, uid=metadata.get("uid"),
                                                 limit=DESCRIBE_EVENTS)
    data: Obj = {"object": obj, "events": plain(events), "eventsTotal": total,
                 "owners": [{"kind": owner.get("kind"), "name": owner.get("name")}
                            for owner in metadata.get("ownerReferences") or []]}
    if obj.get("kind") == "Deployment" and ref.namespace:
        data["rolloutHistory"] = await call.app[WORKLOADS].history(call.context, ref.cluster_id, ref.name,
                                                                   namespace=ref.namespace)
    return ToolOutput(data=data, summary=f"{ref.resource}/{ref.name}: {len(events)} of {total} event(s)")


def _log_options(args: Arguments, *, container: str | None) -> LogOptions:
    return LogOptions(container=container, follow=False, previous=args.flag("previous"),
                      tail_lines=args.integer("tailLines", default=DEFAULT_TAIL_LINES, minimum=1,
                                              maximum=MAX_TAIL_LINES),
                      since_seconds=args.integer("sinceSeconds", minimum=1))


async def _read_log(call: ToolCall, cluster_id: int, namespace: str, pod: str, options: LogOptions,
                    grep: str | None) -> Obj:
    """One container's lines (filtered by `grep`), newest kept within `MAX_LOG_RESULT_BYTES`."""
    streams = call.app[STREAMS]
    source = await streams.pod_log_target(call.context, cluster_id, namespace, pod, options)
    chunks, size = [], 0
    async with streams.open_download(source) as upstream:
        async for chunk in upstream.content.iter_chunked(64 * 1024):
            chunks.append(chunk)
            size += len(chunk)
            if size >= MAX_LOG_READ_BYTES:
                break
    lines = b"".join(chunks).decode(errors="replace").splitlines()
    if grep:
        needle = grep.lower()
        lines = [line for line in lines if needle in line.lower()]
    kept: list[str] = []
    budget = MAX_LOG_RESULT_BYTES
    for line in reversed(lines):
        budget -= len(line.encode()) + 1
        if budget < 0:
            break
        kept.append(line)
    kept.reverse()
    result: Obj = {"pod": pod, "container": source.container, "lines": kept}
    if len(kept) < len(lines):
        result["note"] = f"only the newest {len(kept)} of {len(lines)} lines fit; use tailLines, sinceSeconds or grep"
    return result


async def pod_logs(call: ToolCall) -> ToolOutput:
    """A container's log (not followed)."""
    args = call.arguments
    namespace, pod = args.required_text("namespace"), args.required_text("pod")
    log = await _read_log(call, args.cluster(), namespace, pod, _log_options(args, container=args.text("container")),
                          args.text("grep", max_chars=MAX_GREP_CHARS))
    return ToolOutput(data=log, summary=f"{pod}/{log['container']}: {len(log['lines'])} line(s)")


async def workload_logs(call: ToolCall) -> ToolOutput:
    """The logs of a workload's pods (each pod's default container), up to `MAX_WORKLOAD_LOG_PODS` pods."""
    args = call.arguments
    cluster_id, namespace = args.cluster(), args.required_text("namespace")
    resource, name = args.required_text("resource"), args.required_text("name")
    if resource not in builtin_plurals(Capability.AGGREGATED_LOGS):
        aggregatable = ", ".join(builtin_plurals(Capability.AGGREGATED_LOGS))
        raise ApiError(ErrorCode.PARAM_INVALID, f"workload logs exist for {aggregatable}; not for {resource}")
    reader = call.app[RESOURCE_READER]
    workload = plain((await reader.get_object(call.context, ObjectRef(
        cluster_id=cluster_id, resource=resource, name=name, namespace=namespace))).data)
    pods = await reader.list_objects(call.context, cluster_id, resource="pods", namespace=namespace, query=ListQuery(
        label_selector=workload_selector(workload), table=True, page_size=MAX_WORKLOAD_LOG_PODS))
    options = _log_options(args, container=None)
    grep = args.text("grep", max_chars=MAX_GREP_CHARS)
    logs = []
    for row in plain(pods.data).get("rows") or []:
        try:
            logs.append(await _read_log(call, cluster_id, namespace, row["name"], options, grep))
        except ApiError as exc:  # a pod with several containers and no default, or gone meanwhile
            logs.append({"pod": row["name"], "code": int(exc.code), "message": exc.message})
    data: Obj = {"pods": logs, "podsTotal": pods.total}
    if pods.total > len(logs):
        data["note"] = f"logs of {len(logs)} of {pods.total} pods; use pod_logs for the others"
    return ToolOutput(data=data, summary=f"{resource}/{name}: logs of {len(logs)} of {pods.total} pod(s)")


async def search(call: ToolCall) -> ToolOutput:
    """Ranked matches across kinds."""
    args = call.arguments
    kinds = [kind.strip() for kind in (args.text("kinds") or "").split(",") if kind.strip()] or None
    limit = args.integer("limit", default=SEARCH_DEFAULT_LIMIT, minimum=1, maximum=SEARCH_MAX_LIMIT)
    assert limit is not None
    results, meta = await call.app[VIEWS].search(call.context, args.cluster(), args.required_text("q"), kinds=kinds,
                                                 limit=limit)
    results = plain(results)
    data: Obj = {"results": results[:MAX_ROWS], **plain(meta)}
    if len(results) > MAX_ROWS:
        data["note"] = f"first {MAX_ROWS} of {len(results)} results"
    return ToolOutput(data=data, summary=f"{len(results)} match(es)")


async def overview(call: ToolCall) -> ToolOutput:
    """Counts, workload health, capacity and warnings."""
    data, meta = await call.app[VIEWS].overview(call.context, call.arguments.cluster())
    return ToolOutput(data={"overview": plain(data), **plain(meta)}, summary="cluster overview")


async def topology(call: ToolCall) -> ToolOutput:
    """A namespace's graph."""
    args = call.arguments
    budget = args.integer("budget", default=TOPOLOGY_NODE_BUDGET, minimum=10, maximum=TOPOLOGY_MAX_BUDGET)
    assert budget is not None
    graph = plain(await call.app[VIEWS].topology(call.context, args.cluster(), args.required_text("namespace"),
                                                 budget=budget))
    return ToolOutput(data=graph, summary=f"{len(graph.get('nodes') or [])} node(s), "
                                          f"{len(graph.get('edges') or [])} edge(s)")


async def rollout_history(call: ToolCall) -> ToolOutput:
    """A deployment's revisions."""
    args = call.arguments
    history = await call.app[WORKLOADS].history(call.context, args.cluster(), args.required_text("name"),
                                                namespace=args.required_text("namespace"))
    return ToolOutput(data={"revisions": plain(history)}, summary=f"{len(history)} revision(s)")


async def dry_run(call: ToolCall) -> ToolOutput:
    """Validate a manifest with the API server; diff against the current object when it exists."""
    args = call.arguments
    if call.app[SETTINGS].read_only:
        raise ApiError(ErrorCode.FORBIDDEN, "the server runs in read-only mode")
    resource = args.required_text("resource")
    result = plain(await preview_manifest(call.app[RESOURCE_WRITER], call.context, args.cluster(), resource=resource,
                                          manifest=args.mapping("manifest"), namespace=args.text("namespace")))
    verdict = "valid" if result.get("valid") else f"invalid: {result.get('message')}"
    return ToolOutput(data=result, summary=f"dry-run {result['change']} of {resource}: {verdict}")


# -- change tools: each asks for a person's approval --------------------------------------------------------
async def _ask(call: ToolCall, change: Change) -> ToolOutput:
    """Store the change request, wait up to `mcp_approval_wait_s` for its decision, and say where it is."""
    approvals = call.app[APPROVALS]
    request = await approvals.request(call.context, change, client=call.client)
    request = await approvals.wait(call.context, request.id, timeout_s=call.app[SETTINGS].mcp_approval_wait_s)
    return _request_output(request)


def _request_output(request: ChangeRequest) -> ToolOutput:
    data = describe_request(request)
    if request.status == Status.PENDING:
        summary = (f"change request {request.id} is pending: a person must approve it in KubeVision (Approvals); "
                   f"check it with get_change_request (expires {data['expiresAt']})")
    elif request.status == Status.DONE and request.comment == AUTO_APPROVED_COMMENT:
        summary = (f"change request {request.id} approved automatically (an action you let run without approval) "
                   f"and done: {request.outcome_message}")
    elif request.status == Status.DONE:
        summary = f"change request {request.id} approved by {request.decided_by} and done: {request.outcome_message}"
    elif request.status == Status.FAILED:
        summary = f"change request {request.id} failed ({request.outcome_code}): {request.outcome_message}"
    else:
        summary = f"change request {request.id} is {request.status}" + (
            f" by {request.decided_by}: {request.comment}" if request.decided_by and request.comment else "")
    return ToolOutput(data=data, summary=summary)


def _target(args: Arguments, action: Action, **payload: Any) -> Change:
    return Change(action=action, cluster_id=args.cluster(), resource=args.required_text("resource"),
                  name=args.required_text("name"), namespace=args.text("namespace"), payload=payload)


async def apply_manifest(call: ToolCall) -> ToolOutput:
    """Server-side apply of one manifest, after approval."""
    args = call.arguments
    manifest = args.mapping("manifest")
    metadata = manifest.get("metadata") if isinstance(manifest.get("metadata"), dict) else {}
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        raise ApiError(ErrorCode.MANIFEST_INVALID, "manifest needs metadata.name (a string)")
    namespace = args.text("namespace") or metadata.get("namespace")
    return await _ask(call, Change(action=Action.APPLY, cluster_id=args.cluster(),
                                   resource=args.required_text("resource"), name=name, namespace=namespace,
                                   payload={"manifest": manifest}))


async def scale_workload(call: ToolCall) -> ToolOutput:
    """Set a workload's replicas, after approval."""
    replicas = call.arguments.integer("replicas", minimum=0, maximum=MAX_REPLICAS, required=True)
    return await _ask(call, _target(call.arguments, Action.SCALE, replicas=replicas))


async def restart_workload(call: ToolCall) -> ToolOutput:
    """Rollout restart, after approval."""
    return await _ask(call, _target(call.arguments, Action.RESTART))


async def delete_resource(call: ToolCall) -> ToolOutput:
    """Delete an object, after approval."""
    return await _ask(call, _target(call.arguments, Action.DELETE))


async def patch_resource(call: ToolCall) -> ToolOutput:
    """Patch an object (merge, strategic-merge or JSON patch), after approval."""
    args = call.arguments
    return await _ask(call, _target(args, Action.PATCH, type=args.required_text("type"), patch=args.value("patch")))


async def rollback_workload(call: ToolCall) -> ToolOutput:
    """Put back a Deployment revision's pod template, after approval."""
    args = call.arguments
    revision = args.integer("revision", minimum=1)
    return await _ask(call, Change(action=Action.ROLLBACK, cluster_id=args.cluster(), resource="deployments",
                                   name=args.required_text("name"), namespace=args.required_text("namespace"),
                                   payload={"revision": revision}))


def _node_change(action: Action) -> Callable[[ToolCall], Awaitable[ToolOutput]]:
    async def run(call: ToolCall) -> ToolOutput:
        """Cordon or uncordon a node, after approval."""
        args = call.arguments
        return await _ask(call, Change(action=action, cluster_id=args.cluster(), resource="nodes",
                                       name=args.required_text("name"), namespace=None))
    return run


async def get_change_request(call: ToolCall) -> ToolOutput:
    """Where a change request is."""
    request_id = call.arguments.integer("id", minimum=1, required=True)
    assert request_id is not None
    return _request_output(await call.app[APPROVALS].get(call.context, request_id))


TOOLS: tuple[Tool, ...] = (
    Tool(name="list_clusters", title="List clusters", run=list_clusters, input_schema=_schema([]),
         description="The Kubernetes clusters you may use, with id (pass it as `cluster` to every other tool), "
                     "name, API server, status (unknown, healthy, unreachable) and version."),
    Tool(name="list_resources", title="List objects of a kind", run=list_resources,
         input_schema=_schema(
             ["cluster", "resource"], cluster=CLUSTER, resource=RESOURCE, namespace=NAMESPACE_FILTER,
             labelSelector={"type": "string", "description": "Kubernetes label selector, e.g. app=web,tier!=db"},
             q={"type": "string", "description": "substring of the name, the namespace or a key=value label"},
             sort={"type": "string", "description": "a column id of `columns` (e.g. name, age, status, restarts); "
                                                    "'-' in front for descending"},
             page={"type": "integer", "minimum": 1, "description": "1-based page (default 1)"},
             pageSize={"type": "integer", "minimum": 1, "maximum": MAX_ROWS,
                       "description": f"rows per page (default {DEFAULT_ROWS}, at most {MAX_ROWS})"}),
         description="Objects of one kind as the table kubectl get prints: `columns` (id, header, type) and `rows` "
                     "(name, namespace, cells in column order), with `total` matches before paging. Objects "
                     "outside your namespaces are left out."),
    Tool(name="get_resource", title="Get one object", run=get_resource,
         input_schema=_schema(["cluster", "resource", "name"], cluster=CLUSTER, resource=RESOURCE, name=NAME,
                              namespace=NAMESPACE),
         description="One object as JSON (managedFields removed). Secret values are masked as ********."),
    Tool(name="describe_resource", title="Describe one object", run=describe_resource,
         input_schema=_schema(["cluster", "resource", "name"], cluster=CLUSTER, resource=RESOURCE, name=NAME,
                              namespace=NAMESPACE),
         description=f"Like kubectl describe: the object, its newest {DESCRIBE_EVENTS} events (type, reason, "
                     "message, count, lastSeen), its owners, and for a Deployment its rollout history."),
    Tool(name="pod_logs", title="Pod logs", run=pod_logs,
         input_schema=_schema(
             ["cluster", "namespace", "pod"], cluster=CLUSTER, namespace={"type": "string"},
             pod={"type": "string", "description": "pod name"},
             container={"type": "string", "description": "container; needed when the pod has several and no "
                                                         "default-container annotation"},
             tailLines=TAIL_LINES, sinceSeconds=SINCE_SECONDS, grep=GREP,
             previous={"type": "boolean", "description": "the previous (crashed) instance of the container"}),
         description="The newest lines of one container's log (not followed), at most about "
                     f"{MAX_LOG_RESULT_BYTES // 1000} KB; a note says when older lines were left out."),
    Tool(name="workload_logs", title="Workload logs", run=workload_logs,
         input_schema=_schema(
             ["cluster", "namespace", "resource", "name"], cluster=CLUSTER, namespace={"type": "string"},
             resource={"type": "string", "enum": sorted(builtin_plurals(Capability.AGGREGATED_LOGS))}, name=NAME,
             tailLines=TAIL_LINES, sinceSeconds=SINCE_SECONDS, grep=GREP),
         description=f"The logs of the pods of a deployment, statefulset, daemonset or job (at most "
                     f"{MAX_WORKLOAD_LOG_PODS} pods, each pod's default container), one entry per pod."),
    Tool(name="search", title="Search", run=search,
         input_schema=_schema(
             ["cluster", "q"], cluster=CLUSTER, q={"type": "string", "description": "text to look for "
                                                                                   "(case-insensitive)"},
             kinds={"type": "string", "description": "comma-separated plurals to search (default: common kinds)"},
             limit={"type": "integer", "minimum": 1, "maximum": SEARCH_MAX_LIMIT,
                    "description": f"results per kind (default {SEARCH_DEFAULT_LIMIT})"}),
         description="Objects across kinds whose name, namespace or labels match, ranked exact > prefix > "
                     f"substring (at most {MAX_ROWS} results)."),
    Tool(name="overview", title="Cluster overview", run=overview,
         input_schema=_schema(["cluster"], cluster=CLUSTER),
         description="Object counts, workload readiness, nodes, CPU/memory capacity, requests and usage, and "
                     "warnings. Namespace-limited users get the figures of their namespaces."),
    Tool(name="topology", title="Namespace topology", run=topology,
         input_schema=_schema(["cluster", "namespace"], cluster=CLUSTER, namespace={"type": "string"},
                              budget={"type": "integer", "minimum": 10, "maximum": TOPOLOGY_MAX_BUDGET,
                                      "description": f"nodes before pods collapse into groups (default "
                                                     f"{TOPOLOGY_NODE_BUDGET})"}),
         description="How a namespace's objects connect: Ingress → Service → Pod, owners, volumes and config, "
                     "as nodes and edges."),
    Tool(name="rollout_history", title="Rollout history", run=rollout_history,
         input_schema=_schema(["cluster", "namespace", "name"], cluster=CLUSTER, namespace={"type": "string"},
                              name={"type": "string", "description": "deployment name"}),
         description="A Deployment's revisions, newest first: revision, change cause, images, replicas, which one "
                     "is current."),
    Tool(name="dry_run_manifest", title="Dry-run a manifest", run=dry_run,
         input_schema=_schema(
             ["cluster", "resource", "manifest"], cluster=CLUSTER, resource=RESOURCE,
             manifest={"type": "object", "description": "the object as JSON (apiVersion, kind, metadata, …)"},
             namespace={"type": "string", "description": "namespace, when the manifest does not name one"}),
         description="Validates a manifest with the API server (dryRun=All; nothing changes) and returns valid, "
                     "message, causes, and a unified YAML diff against the current object (update) or of the new "
                     "object (create). Needs write permission on the kind, as the change itself would."),
    Tool(name="get_change_request", title="Check a change request", run=get_change_request,
         input_schema=_schema(["id"], id={"type": "integer", "minimum": 1, "description": "the request id a "
                                                                                        "change tool returned"}),
         description="Where a change request is: pending, denied, expired, done or failed, who decided, their "
                     "comment, and the outcome."),
    Tool(name="apply_manifest", title="Apply a manifest (needs approval)", run=apply_manifest, read_only=False,
         input_schema=_schema(
             ["cluster", "resource", "manifest"], cluster=CLUSTER, resource=RESOURCE,
             manifest={"type": "object", "description": "the whole object as JSON (apiVersion, kind, metadata.name, "
                                                        "…)"},
             namespace={"type": "string", "description": "namespace, when the manifest does not name one"}),
         description=APPROVAL_NOTE + " Creates the object, or replaces it with the manifest, exactly as the "
                                     "request's dry-run diff shows (refused with 40901 if the object changed "
                                     "after the request was made)."),
    Tool(name="scale_workload", title="Scale (needs approval)", run=scale_workload, read_only=False,
         input_schema=_schema(["cluster", "resource", "namespace", "name", "replicas"], cluster=CLUSTER,
                              resource={"type": "string", "description": "deployments, statefulsets or "
                                                                         "replicasets"},
                              namespace={"type": "string"}, name=NAME,
                              replicas={"type": "integer", "minimum": 0, "maximum": MAX_REPLICAS}),
         description=APPROVAL_NOTE + " Sets the number of replicas."),
    Tool(name="restart_workload", title="Rollout restart (needs approval)", run=restart_workload, read_only=False,
         input_schema=_schema(["cluster", "resource", "namespace", "name"], cluster=CLUSTER,
                              resource={"type": "string", "description": "deployments, statefulsets or "
                                                                         "daemonsets"},
                              namespace={"type": "string"}, name=NAME),
         description=APPROVAL_NOTE + " Replaces the workload's pods (kubectl rollout restart)."),
    Tool(name="delete_resource", title="Delete (needs approval)", run=delete_resource, read_only=False,
         destructive=True,
         input_schema=_schema(["cluster", "resource", "name"], cluster=CLUSTER, resource=RESOURCE, name=NAME,
                              namespace=NAMESPACE),
         description=APPROVAL_NOTE + " Deletes one object."),
    Tool(name="patch_resource", title="Patch (needs approval)", run=patch_resource, read_only=False,
         input_schema=_schema(
             ["cluster", "resource", "name", "type", "patch"], cluster=CLUSTER, resource=RESOURCE, name=NAME,
             namespace=NAMESPACE,
             type={"type": "string", "enum": list(PATCH_CONTENT_TYPES),
                   "description": "merge (RFC 7386 JSON merge patch: an object, null deletes a key), strategic "
                                  "(Kubernetes strategic merge: lists of containers, ports… merge by name), json "
                                  "(RFC 6902: a list of {op, path, value|from})"},
             patch={"type": ["object", "array"], "description": "the patch; an object for merge and strategic, "
                                                               "a list of operations for json"}),
         description=APPROVAL_NOTE + " Patches one object; the request shows the API server's dry-run diff. A "
                                     "Secret's values are masked to you: you may write them (add, replace, remove, "
                                     "merge) but a json patch may not copy, move or test them."),
    Tool(name="rollback_workload", title="Roll back a deployment (needs approval)", run=rollback_workload,
         read_only=False,
         input_schema=_schema(["cluster", "namespace", "name"], cluster=CLUSTER, namespace={"type": "string"},
                              name={"type": "string", "description": "deployment name"},
                              revision={"type": "integer", "minimum": 1,
                                        "description": "revision from rollout_history (default: the one before "
                                                       "the current)"}),
         description=APPROVAL_NOTE + " Puts back the pod template of a Deployment revision (kubectl rollout undo "
                                     "--to-revision)."),
    Tool(name="cordon_node", title="Cordon a node (needs approval)", run=_node_change(Action.CORDON),
         read_only=False, input_schema=_schema(["cluster", "name"], cluster=CLUSTER,
                                               name={"type": "string", "description": "node name"}),
         description=APPROVAL_NOTE + " Marks a node unschedulable (kubectl cordon; running pods stay)."),
    Tool(name="uncordon_node", title="Uncordon a node (needs approval)", run=_node_change(Action.UNCORDON),
         read_only=False, input_schema=_schema(["cluster", "name"], cluster=CLUSTER,
                                               name={"type": "string", "description": "node name"}),
         description=APPROVAL_NOTE + " Makes a node schedulable again (kubectl uncordon)."),
)
TOOLS_BY_NAME = {tool.name: tool for tool in TOOLS}
