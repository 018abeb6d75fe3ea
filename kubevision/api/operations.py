"""Workload and node actions (SPEC §4 "Workload actions"): thin handlers over `WorkloadService`.

Paths name the namespace in the URL (`/namespaces/{ns}/{kind}/{name}/...`) because every action
targets exactly one object; the service authorizes (`write` for changes) and audits each call.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubevision.api.context import context_of
from kubevision.api.params import field, path_id, read_body, read_json
from kubevision.api.routing import Access, ApiRoutes
from kubevision.api.schemas import ANY_OBJECT, BOOLEAN, INTEGER, NULLABLE_INT, STRING, obj
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
