"""Reading the audit trail (admin and ops)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from kubevision.api.context import principal_of
from kubevision.api.envelope import Reply
from kubevision.api.params import int_param
from kubevision.api.routing import Access, ApiRoutes, QueryParam
from kubevision.api.schemas import INTEGER, NULLABLE_INT, NULLABLE_STRING, STRING, obj
from kubevision.auth.permissions import Role
from kubevision.errors import ApiError, ErrorCode
from kubevision.services.access import audit_visibility
from kubevision.services.audit import AUDIT

routes = ApiRoutes("audit")

# `code` is null while a change is only attempted: its row is written before the change is sent to Kubernetes and
# completed with the outcome after (a crash in between leaves it null).
AUDIT_ENTRY = obj(id=INTEGER, createdAt=STRING, requestId=NULLABLE_STRING, userId=NULLABLE_INT,
                  username=NULLABLE_STRING, action=STRING, clusterId=NULLABLE_INT, namespace=NULLABLE_STRING,
                  resource=NULLABLE_STRING, name=NULLABLE_STRING, code=NULLABLE_INT, clientIp=NULLABLE_STRING,
                  detail={"type": ["object", "null"]})


def _since(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(ErrorCode.PARAM_INVALID, "since must be an ISO 8601 timestamp") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@routes.get("/audit-logs", access=Access.USER, roles=frozenset({Role.ADMIN, Role.OPS}),
            summary="Audit entries, newest first (an ops user with cluster or namespace grants sees their own "
                    "rows and rows about objects inside those grants)",
            query=(QueryParam(name="user", description="username"),
                   QueryParam(name="action", description="e.g. login, login.failed, resource.delete"),
                   QueryParam(name="cluster", description="cluster id", schema=INTEGER),
                   QueryParam(name="since", description="ISO 8601 timestamp"),
                   QueryParam(name="page", description="1-based page", schema=INTEGER),
                   QueryParam(name="pageSize", description="rows per page (max 500)", schema=INTEGER)),
            data={"type": "array", "items": AUDIT_ENTRY})
async def list_audit_logs(request: web.Request) -> Any:
    """Filtered, paged audit entries with `meta.total`."""
    query = request.query
    page = int_param(query.get("page"), "page", default=1, minimum=1)
    page_size = int_param(query.get("pageSize"), "pageSize", default=100, minimum=1, maximum=500)
    cluster = query.get("cluster")
    audit = request.app[AUDIT]
    await audit.flush()
    entries, total = await audit.query(
        visible_to=audit_visibility(principal_of(request)),
        username=query.get("user") or None, action=query.get("action") or None,
        cluster_id=int_param(cluster, "cluster", default=0, minimum=1) if cluster else None,
        since=_since(query.get("since")), offset=(page - 1) * page_size, limit=page_size,
    )
    rows = [{
        "id": e["id"], "createdAt": e["created_at"].isoformat(), "requestId": e["request_id"],
        "userId": e["user_id"], "username": e["username"], "action": e["action"],
        "clusterId": e["cluster_id"], "namespace": e["namespace"], "resource": e["resource"],
        "name": e["name"], "code": e["code"], "clientIp": e["client_ip"], "detail": e["detail"],
    } for e in entries]
    return Reply(rows, total=total, page=page, pageSize=page_size)
