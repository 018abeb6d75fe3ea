"""Workload and node actions (SPEC §4 "Workload actions"): thin handlers over `WorkloadService`.

Paths name the namespace in the URL (`/namespaces/{ns}/{kind}/{name}/...`) because every action
targets exactly one object; the service authorizes (`write` for changes) and audits each call.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubevision.api.context import context_of
from kubevision.api.params import field, path_id, read_body, read_json
from kubevision.api.routing import Access, ApiRoutes, QueryParam
from kubevision.api.schemas import ANY_OBJECT, BOOLEAN, INTEGER, NULLABLE_INT, NULLABLE_STRING, STRING, obj
from kubevision.errors import ApiError, ErrorCode
from kubevision.services.context import ObjectRef
from kubevision.services.drain import DEFAULT_DRAIN_TIMEOUT_S, MAX_DRAIN_TIMEOUT_S, MAX_GRACE_PERIOD_S, DrainOptions
from kubevision.services.pod_environment import POD_ENVIRONMENT
from kubevision.services.workloads import WORKLOADS

routes = ApiRoutes("operations")

WORKLOAD_PATH = "/clusters/{id}/namespaces/{ns}/{kind}/{name}"
DEPLOYMENT_PATH = "/clusters/{id}/namespaces/{ns}/deployments/{name}"
SCALE_RESULT = obj(kind=STRING, namespace=STRING, name=STRING, replicas=INTEGER, previousReplicas=INTEGER,
                   currentReplicas=INTEGER, selector={"type": ["string", "null"]})
REVISION = obj(revision=NULLABLE_INT, changeCause={"type": ["string", "null"]},
               images={"type": "array", "items": STRING}, createdAt=STRING, current=BOOLEAN,
               replicaSet=STRING, replicas=INTEGER, readyReplicas=INTEGER)
ROLLBACK_RESULT = obj(name=STRING, namespace=STRING, revision=INTEGER, fromRevision=NULLABLE_INT,
                      skipped=BOOLEAN)


def _where(request: web.Request) -> dict[str, Any]:
    """Cluster id, namespace and name from the path (keyword arguments of the service calls)."""
    return {"cluster_id": path_id(request), "namespace": request.match_info["ns"],
            "name": request.match_info["name"]}


@routes.put(WORKLOAD_PATH + "/scale", access=Access.USER,
            summary="Scale a deployment, statefulset or replicaset through its scale subresource",
            body=obj(["replicas"], replicas={"type": "integer", "minimum": 0}), data=SCALE_RESULT)
async def scale(request: web.Request) -> Any:
    """replicas missing → 40001; not an integer or negative → 40002; kind without scale → 40002."""
    replicas = field(await read_json(request), "replicas", int)
    where = _where(request)
    return await request.app[WORKLOADS].scale(
        context_of(request), where["cluster_id"], request.match_info["kind"], where["name"],
        namespace=where["namespace"], replicas=replicas)


@routes.post(WORKLOAD_PATH + "/restart", access=Access.USER,
             summary="Restart a deployment, statefulset or daemonset (restartedAt template annotation)",
             data=ANY_OBJECT)
async def restart(request: web.Request) -> Any:
    """Returns the patched workload; other kinds → 40002."""
    where = _where(request)
    return await request.app[WORKLOADS].restart(
        context_of(request), where["cluster_id"], request.match_info["kind"], where["name"],
        namespace=where["namespace"])


@routes.get(DEPLOYMENT_PATH + "/history", access=Access.USER,
            summary="Rollout history of a deployment (its ReplicaSets), newest revision first",
            data={"type": "array", "items": REVISION})
async def history(request: web.Request) -> Any:
    """`current` marks the revision the deployment runs now."""
    return await request.app[WORKLOADS].history(context_of(request), **_where(request))


@routes.post(DEPLOYMENT_PATH + "/rollback", access=Access.USER,
             summary="Roll a deployment back to a revision's pod template (default: the previous revision)",
             body=obj(revision={"type": "integer", "minimum": 1}), data=ROLLBACK_RESULT)
async def rollback(request: web.Request) -> Any:
    """An unknown revision → 40400; a paused deployment → 40002. The body may be empty."""
    body = await read_json(request) if (await read_body(request)).strip() else {}
    revision = field(body, "revision", int, required=False)
    return await request.app[WORKLOADS].rollback(context_of(request), **_where(request), revision=revision)


@routes.post(DEPLOYMENT_PATH + "/pause", access=Access.USER, summary="Pause a deployment's rollouts",
             data=ANY_OBJECT)
async def pause(request: web.Request) -> Any:
    """Sets spec.paused; template changes then wait until resume."""
    return await request.app[WORKLOADS].set_paused(context_of(request), **_where(request), paused=True)


@routes.post(DEPLOYMENT_PATH + "/resume", access=Access.USER, summary="Resume a paused deployment",
             data=ANY_OBJECT)
async def resume(request: web.Request) -> Any:
    """Clears spec.paused; a pending template change rolls out."""
    return await request.app[WORKLOADS].set_paused(context_of(request), **_where(request), paused=False)


@routes.post("/clusters/{id}/namespaces/{ns}/cronjobs/{name}/trigger", access=Access.USER,
             summary="Run a CronJob now: create a Job from its template (like kubectl create job --from)",
             data=ANY_OBJECT)
async def trigger_cronjob(request: web.Request) -> Any:
    """Needs read on cronjobs and write on jobs; returns the created Job."""
    return await request.app[WORKLOADS].trigger_cronjob(context_of(request), **_where(request))


@routes.post("/clusters/{id}/nodes/{name}/cordon", access=Access.USER,
             summary="Cordon a node (mark it unschedulable)", data=ANY_OBJECT)
async def cordon(request: web.Request) -> Any:
    """Needs write on nodes with no namespace restriction."""
    return await request.app[WORKLOADS].set_cordoned(context_of(request), path_id(request),
                                                     request.match_info["name"], cordoned=True)


@routes.post("/clusters/{id}/nodes/{name}/uncordon", access=Access.USER,
             summary="Uncordon a node (schedulable again)", data=ANY_OBJECT)
async def uncordon(request: web.Request) -> Any:
    """Removes spec.unschedulable."""
    return await request.app[WORKLOADS].set_cordoned(context_of(request), path_id(request),
                                                     request.match_info["name"], cordoned=False)


DRAIN_POD = obj(namespace=STRING, name=STRING, action={"type": "string", "enum": ["evict", "skip", "block"]},
                reason=STRING, budget=NULLABLE_STRING, attempts=INTEGER, message=STRING,
                status={"type": "string", "enum": ["pending", "evicting", "waiting", "deleting", "evicted", "failed",
                                                   "timedOut"]})
DRAIN_OPTIONS = obj(ignoreDaemonSets=BOOLEAN, deleteEmptyDirData=BOOLEAN, force=BOOLEAN,
                    gracePeriodSeconds={"type": ["integer", "null"], "minimum": 0, "maximum": MAX_GRACE_PERIOD_S},
                    timeoutSeconds={"type": "integer", "minimum": 1, "maximum": MAX_DRAIN_TIMEOUT_S}, dryRun=BOOLEAN)
DRAIN_REPORT = obj(node=STRING, state={"type": "string", "enum": ["planned", "running", "done", "incomplete"]},
                   dryRun=BOOLEAN, options=DRAIN_OPTIONS, cordoned=BOOLEAN, startedAt={"type": "number"},
                   finishedAt={"type": ["number", "null"]}, pods={"type": "array", "items": DRAIN_POD},
                   counts=obj(evict=INTEGER, skip=INTEGER, block=INTEGER, evicted=INTEGER))


def _bounded(body: dict[str, Any], name: str, *, default: int | None, maximum: int, minimum: int) -> int | None:
    value = field(body, name, int, required=False, default=default)
    if value is not None and not minimum <= value <= maximum:
        raise ApiError(ErrorCode.PARAM_INVALID, f"{name} must be between {minimum} and {maximum}")
    return value


def drain_options(body: dict[str, Any]) -> DrainOptions:
    """The drain flags of a request body (kubectl drain's, camelCased); bad values → 40002."""
    timeout = _bounded(body, "timeoutSeconds", default=DEFAULT_DRAIN_TIMEOUT_S, minimum=1,
                       maximum=MAX_DRAIN_TIMEOUT_S)
    assert timeout is not None
    return DrainOptions(
        ignore_daemonsets=field(body, "ignoreDaemonSets", bool, required=False, default=True),
        delete_emptydir_data=field(body, "deleteEmptyDirData", bool, required=False, default=False),
        force=field(body, "force", bool, required=False, default=False),
        grace_period_seconds=_bounded(body, "gracePeriodSeconds", default=None, minimum=0,
                                      maximum=MAX_GRACE_PERIOD_S),
        timeout_s=timeout, dry_run=field(body, "dryRun", bool, required=False, default=False))


@routes.post("/clusters/{id}/nodes/{name}/drain", access=Access.USER,
             summary="Drain a node (kubectl drain): cordon it, then evict its pods through the Eviction API",
             body=DRAIN_OPTIONS, data=DRAIN_REPORT)
async def drain(request: web.Request) -> Any:
    """Needs write on nodes and delete on pods. Waits until the pods are gone or `timeoutSeconds` (default 300)
    passed; evictions a PodDisruptionBudget refuses are retried, never forced. `dryRun` answers the plan only.
    Blocking pods → 40002 (plan in data); pods left when the time is up → 40901 (report in data)."""
    body = await read_json(request) if (await read_body(request)).strip() else {}
    return await request.app[WORKLOADS].drain(context_of(request), path_id(request), request.match_info["name"],
                                              options=drain_options(body))


@routes.get("/clusters/{id}/nodes/{name}/drain", access=Access.USER,
            summary="Progress of the newest drain of a node (while it runs, and after)", data=DRAIN_REPORT)
async def drain_progress(request: web.Request) -> Any:
    """40400 when the node was not drained through this server since it started."""
    return await request.app[WORKLOADS].drain_progress(context_of(request), path_id(request),
                                                       request.match_info["name"])


ENV_VAR = obj(name=STRING, value=NULLABLE_STRING, source=ANY_OBJECT, note=NULLABLE_STRING, masked=BOOLEAN)
ENV_FROM = obj(type={"type": "string", "enum": ["configMapRef", "secretRef"]}, name=STRING, prefix=STRING,
               optional=BOOLEAN, note=NULLABLE_STRING,
               variables={"type": "array", "items": obj(name=STRING, value=NULLABLE_STRING)})
POD_ENVIRONMENT_DATA = obj(
    containers={"type": "array", "items": obj(name=STRING, type={"type": "string", "enum": ["init", "sidecar", "app"]},
                                              env={"type": "array", "items": ENV_VAR},
                                              envFrom={"type": "array", "items": ENV_FROM})},
    mayReveal=BOOLEAN, revealed=BOOLEAN)


@routes.get("/clusters/{id}/namespaces/{ns}/pods/{name}/environment", access=Access.USER,
            summary="A pod's env and envFrom per container, with values resolved from their ConfigMaps and Secrets",
            query=(QueryParam(name="reveal", description="true: Secret values in clear (needs reveal on secrets)",
                              schema=BOOLEAN),),
            data=POD_ENVIRONMENT_DATA)
async def pod_environment(request: web.Request) -> Any:
    """Secret values are the mask unless `reveal=true` and the caller may reveal Secrets there (else 40300);
    a source the caller may not read is named, without a value."""
    where = _where(request)
    ref = ObjectRef(cluster_id=where["cluster_id"], resource="pods", name=where["name"], namespace=where["namespace"])
    return await request.app[POD_ENVIRONMENT].environment(context_of(request), ref,
                                                          reveal=request.query.get("reveal") == "true")
