"""Helm releases: thin handlers over `HelmService` (detail, history, diff, rollback, uninstall).

Lists and live updates are those of the registry kind `releases.helm.sh`: `GET /clusters/{id}/resources/
releases.helm.sh` (view=table, filters, sort, paging) and the watch socket.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubevision.api.context import context_of
from kubevision.api.params import field, int_param, path_id, read_json
from kubevision.api.routing import Access, ApiRoutes, QueryParam
from kubevision.api.schemas import ANY_OBJECT, BOOLEAN, INTEGER, NULLABLE_STRING, STRING, obj
from kubevision.errors import ApiError, ErrorCode
from kubevision.services.helm import HELM

routes = ApiRoutes("helm")

RELEASE_PATH = "/clusters/{id}/namespaces/{ns}/helm/releases/{name}"
REVEAL = QueryParam(name="reveal", description="true: show values and Secret documents (needs reveal on "
                                               "releases.helm.sh and secrets)", schema=BOOLEAN)
OBJECT_LINE = obj(action=STRING, apiVersion=NULLABLE_STRING, kind=NULLABLE_STRING, namespace=NULLABLE_STRING,
                  name=STRING, resource=NULLABLE_STRING, code=INTEGER, message=STRING)
OBJECT_LINES = {"type": "array", "items": OBJECT_LINE}
LIVE_OBJECT = obj(action=STRING, apiVersion=NULLABLE_STRING, kind=NULLABLE_STRING, namespace=NULLABLE_STRING,
                  name=STRING, resource=NULLABLE_STRING, exists={"type": ["boolean", "null"]},
                  status=NULLABLE_STRING)
HOOK = obj(name=STRING, kind=STRING, path=STRING, events={"type": "array", "items": STRING}, weight=INTEGER,
           manifest=STRING)
DETAIL = obj(name=STRING, namespace=STRING, revision=INTEGER, latestRevision=INTEGER, status=STRING,
             description=STRING, firstDeployed=NULLABLE_STRING, lastDeployed=NULLABLE_STRING,
             deleted=NULLABLE_STRING, notes=STRING, chart=ANY_OBJECT, appVersion=STRING, driver=STRING,
             record=STRING, values=ANY_OBJECT, computedValues=ANY_OBJECT, manifest=STRING,
             hooks={"type": "array", "items": HOOK}, objects={"type": "array", "items": LIVE_OBJECT},
             revealed=BOOLEAN)
REVISION = obj(revision=INTEGER, status=STRING, chart=STRING, chartName=STRING, chartVersion=STRING,
               appVersion=STRING, description=STRING, updated=NULLABLE_STRING, driver=STRING, record=STRING,
               error=NULLABLE_STRING)
DIFFS = obj(values=STRING, manifest=STRING)
DIFF = obj(**{"from": INTEGER}, to=INTEGER, revealed=BOOLEAN, values=STRING, manifest=STRING)
ROLLBACK = obj(name=STRING, namespace=STRING, revision=INTEGER, fromRevision=INTEGER, newRevision=INTEGER,
               dryRun=BOOLEAN, hooksRun=BOOLEAN, diff=DIFFS, objects=OBJECT_LINES)
UNINSTALL = obj(name=STRING, namespace=STRING, revision=INTEGER, dryRun=BOOLEAN, keepHistory=BOOLEAN,
                hooksRun=BOOLEAN, records=obj(updated={"type": "array", "items": STRING},
                                              deleted={"type": "array", "items": STRING}),
                objects=OBJECT_LINES)


def _where(request: web.Request) -> dict[str, Any]:
    """Cluster id, namespace and release name from the path (keyword arguments of the service calls)."""
    return {"cluster_id": path_id(request), "namespace": request.match_info["ns"],
            "name": request.match_info["name"]}


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name) == "true"


@routes.get(RELEASE_PATH, access=Access.USER,
            summary="A Helm release revision (default the latest): chart, notes, values, manifest, hooks, objects",
            query=(QueryParam(name="revision", description="the revision to show (default: the latest)",
                              schema=INTEGER), REVEAL),
            data=DETAIL)
async def release_detail(request: web.Request) -> Any:
    """Values and Secret documents are masked unless revealed; an unknown revision → 40400."""
    revision = request.query.get("revision")
    where = _where(request)
    return await request.app[HELM].detail(
        context_of(request), where.pop("cluster_id"), **where, reveal=_flag(request, "reveal"),
        revision=int_param(revision, "revision", default=0, minimum=1) if revision else None)


@routes.get(RELEASE_PATH + "/history", access=Access.USER,
            summary="Every revision of a Helm release, newest first", data={"type": "array", "items": REVISION})
async def release_history(request: web.Request) -> Any:
    """Read from the release's records (their list fields only)."""
    where = _where(request)
    return await request.app[HELM].history(context_of(request), where.pop("cluster_id"), **where)


@routes.get(RELEASE_PATH + "/diff", access=Access.USER,
            summary="Unified diffs of two revisions of a Helm release (user values and manifest)",
            query=(QueryParam(name="from", description="the older revision", schema=INTEGER, required=True),
                   QueryParam(name="to", description="the newer revision", schema=INTEGER, required=True), REVEAL),
            data=DIFF)
async def release_diff(request: web.Request) -> Any:
    """from/to missing → 40001; not positive integers → 40002; unknown → 40400."""
    revisions = {}
    for name in ("from", "to"):
        if not request.query.get(name):
            raise ApiError(ErrorCode.PARAM_MISSING, f"{name} is required")
        revisions[name] = int_param(request.query[name], name, default=0, minimum=1)
    where = _where(request)
    return await request.app[HELM].diff(
        context_of(request), where.pop("cluster_id"), **where, from_revision=revisions["from"],
        to_revision=revisions["to"], reveal=_flag(request, "reveal"))


@routes.post(RELEASE_PATH + "/rollback", access=Access.USER,
             summary="Roll a Helm release back to a revision, written as Helm 3 does (hooks are not run); "
                     "dryRun: the plan, the diffs and the API server's validation",
             body=obj(["revision"], revision={"type": "integer", "minimum": 1}, dryRun=BOOLEAN), data=ROLLBACK)
async def release_rollback(request: web.Request) -> Any:
    """revision missing → 40001; an unknown revision → 40400."""
    body = await read_json(request)
    where = _where(request)
    return await request.app[HELM].rollback(
        context_of(request), where.pop("cluster_id"), **where, revision=field(body, "revision", int),
        dry_run=field(body, "dryRun", bool, required=False, default=False))


@routes.delete(RELEASE_PATH, access=Access.USER,
               summary="Uninstall a Helm release: delete its objects, then its records (or keep the history)",
               query=(QueryParam(name="keepHistory", description="true: keep the records, the latest marked "
                                                                 "uninstalled", schema=BOOLEAN),
                      QueryParam(name="dryRun", description="true: only say what would be deleted",
                                 schema=BOOLEAN)),
               data=UNINSTALL)
async def release_uninstall(request: web.Request) -> Any:
    """Objects annotated helm.sh/resource-policy=keep stay (as with helm uninstall)."""
    where = _where(request)
    return await request.app[HELM].uninstall(
        context_of(request), where.pop("cluster_id"), **where, keep_history=_flag(request, "keepHistory"),
        dry_run=_flag(request, "dryRun"))
