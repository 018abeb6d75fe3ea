"""Change requests of AI agents (MCP change tools) and their approval by a person (services/approvals.py)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubevision.api.context import context_of
from kubevision.api.params import field, path_id, read_body, read_json
from kubevision.api.routing import Access, ApiRoutes, QueryParam
from kubevision.api.schemas import ANY_OBJECT, BOOLEAN, INTEGER, NULLABLE_STRING, STRING, obj
from kubevision.services.approvals import APPROVALS, Action, Status, describe_request

routes = ApiRoutes("approvals")

CHANGE_REQUEST = obj(
    id=INTEGER, status={"type": "string", "enum": list(Status)},
    action={"type": "string", "enum": list(Action)}, clusterId=INTEGER, resource=STRING,
    namespace=NULLABLE_STRING, name=STRING, payload=ANY_OBJECT,
    diff={**STRING, "description": "what the dry run showed: a unified YAML diff, or a line saying what happens"},
    requestedBy=STRING, viaApiKey=BOOLEAN, client={**STRING, "description": "the agent's User-Agent"},
    createdAt=STRING, expiresAt=STRING, decidedBy=NULLABLE_STRING, decidedAt=NULLABLE_STRING, comment=NULLABLE_STRING,
    outcomeCode={"type": ["integer", "null"]}, outcomeMessage=NULLABLE_STRING)
DECISION = obj(comment={**STRING, "description": "shown to the agent (at most 1000 characters)"})
ACTIONS = {"type": "array", "items": {"type": "string", "enum": list(Action)}}
APPROVAL_SETTINGS = obj(
    autoApprovedActions={**ACTIONS, "description": "actions your MCP calls run without waiting for approval"},
    secondPersonRequired={**BOOLEAN, "description": "the team setting approval_second_person: nobody approves "
                                                    "their own request, and no auto-approved actions apply"},
    autoApprovalInEffect=BOOLEAN, actions={**ACTIONS, "description": "every action a change request can ask for"})


# Declared before /approvals/{id}, which would otherwise take "settings" for an id.
@routes.get("/approvals/settings", access=Access.USER, data=APPROVAL_SETTINGS,
            summary="The caller's auto-approved actions and whether a second person is required")
async def get_settings(request: web.Request) -> Any:
    """Readable with an API key too; only a signed-in session changes it."""
    return await request.app[APPROVALS].approval_settings(context_of(request))


@routes.put("/approvals/settings", access=Access.USER, body=obj(["autoApprovedActions"],
                                                                  autoApprovedActions=ACTIONS),
            data=APPROVAL_SETTINGS,
            summary="Choose the actions your own MCP calls run without approval (a signed-in session only: an "
                    "API key gets 40300; empty, the default, means every change waits for a person)")
async def put_settings(request: web.Request) -> Any:
    """Unknown actions → 40002."""
    body = await read_json(request)
    return await request.app[APPROVALS].set_auto_approved_actions(
        context_of(request), field(body, "autoApprovedActions", list))


@routes.get("/approvals", access=Access.USER, summary="Change requests the caller asked for or may decide, newest "
                                                       "first",
            query=(QueryParam(name="status", description="pending, denied, expired, done or failed"),),
            data={"type": "array", "items": CHANGE_REQUEST})
async def list_requests(request: web.Request) -> Any:
    """At most 200; expired ones say so."""
    requests = await request.app[APPROVALS].list(context_of(request), status=request.query.get("status") or None)
    return [describe_request(change) for change in requests]


@routes.get("/approvals/{id}", access=Access.USER, summary="One change request", data=CHANGE_REQUEST)
async def get_request(request: web.Request) -> Any:
    """40400 when the caller neither asked for it nor may decide it."""
    return describe_request(await request.app[APPROVALS].get(context_of(request), path_id(request)))


async def _decide(request: web.Request, *, approve: bool) -> Any:
    body = await read_json(request) if (await read_body(request)).strip() else {}
    comment = field(body, "comment", str, required=False)
    return describe_request(await request.app[APPROVALS].decide(context_of(request), path_id(request),
                                                                approve=approve, comment=comment))


@routes.post("/approvals/{id}/approve", access=Access.USER, body=DECISION, data=CHANGE_REQUEST,
             summary="Approve a pending change request: it runs at once as its requester (the approver needs the "
                     "right to do the change too)")
async def approve_request(request: web.Request) -> Any:
    """40901 when it was decided or expired meanwhile; the outcome is in `status` and `outcomeCode`."""
    return await _decide(request, approve=True)


@routes.post("/approvals/{id}/deny", access=Access.USER, body=DECISION, data=CHANGE_REQUEST,
             summary="Deny a pending change request (the comment is shown to the agent)")
async def deny_request(request: web.Request) -> Any:
    """40901 when it was decided or expired meanwhile."""
    return await _decide(request, approve=False)
