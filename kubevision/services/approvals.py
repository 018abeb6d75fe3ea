"""Changes asked for by AI agents (the MCP endpoint) wait for a person's approval (issue 19).

A change tool never acts: `request` checks that the requester may do the change (verbs ∩ grants, through the
`AccessScope`; `--read-only` refuses at once), previews it (a dry run with its diff for manifests), stores a
pending `ChangeRequest` and audits `change.request`. A user who may do the change themselves approves or denies
it (`decide`); approving re-checks the requester as of now (revoked credentials, lost grants) and runs the
change as the requester, through the same services as the REST routes (which audit the change itself), and
audits `change.approve` naming the approver. Nothing runs once the request expired (`REQUEST_TTL_S`).

With the team setting `approval_second_person` on, nobody approves their own request. Otherwise a user may let
their own MCP calls run chosen actions without waiting (`set_auto_approved_actions`, from a signed-in session
only, never with an API key): such a request is approved at once in the requester's name, audited as
"approved automatically". Open pages follow requests live (`subscribe`, the watch socket's `change-requests`).

Requests live in the database, so a decision taken on any instance is seen by a tool call waiting on another
(`wait` polls every `POLL_INTERVAL_S`); live updates reach only the pages connected to the instance that made
the change (a page on another instance sees it when it reloads the list).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import enum
import logging
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web

from kubevision.auth.permissions import Principal, Role, Verb
from kubevision.auth.service import AuthService
from kubevision.errors import ApiError, CodedError, ErrorCode, api_error_for, code_for
from kubevision.kube.clusters import ClusterManager
from kubevision.kube.manifests import off_loop
from kubevision.kube.masking import SECRET_MASK, mask_secret
from kubevision.kube.objects import unified_diff
from kubevision.services.access import AccessScope
from kubevision.services.audit import AuditLog
from kubevision.services.context import ObjectRef, RequestContext
from kubevision.services.resource_reads import ResourceReader
from kubevision.services.resource_writes import ResourceWriter
from kubevision.services.workloads import WorkloadService
from kubevision.store import Store
from kubevision.store import change_requests as repo
from kubevision.store.change_requests import ChangeRequest

# A request not decided within this long expires (nothing runs after that).
REQUEST_TTL_S = 600
# How often a waiting tool call re-reads its request.
POLL_INTERVAL_S = 0.5
# Requests a list shows at most (newest first).
MAX_LISTED = 200
MAX_COMMENT_CHARS = 1000
AUTO_APPROVED_COMMENT = "approved automatically"
SECOND_PERSON_REFUSED = ("this server requires a second person to approve a change (approval_second_person): "
                         "someone else who may do it must approve your own request")
API_KEY_MAY_NOT_AUTO_APPROVE = ("an API key cannot change which actions run without approval: sign in with your "
                                "password and change it on the Approvals page")

Obj = dict[str, Any]
log = logging.getLogger(__name__)


class Action(enum.StrEnum):
    """What an agent may ask for."""

    APPLY = "apply"
    SCALE = "scale"
    RESTART = "restart"
    DELETE = "delete"
    PATCH = "patch"
    ROLLBACK = "rollback"
    CORDON = "cordon"
    UNCORDON = "uncordon"

    @property
    def verb(self) -> Verb:
        """The verb the requester and the approver both need."""
        return Verb.DELETE if self is Action.DELETE else Verb.WRITE


class Status(enum.StrEnum):
    """Where a request is."""

    PENDING = "pending"
    DENIED = "denied"
    EXPIRED = "expired"
    DONE = "done"  # approved and run
    FAILED = "failed"  # approved, but refused or failed when it ran


@dataclasses.dataclass(frozen=True, kw_only=True)
class Change:
    """A change as a tool asks for it."""

    action: Action
    cluster_id: int
    resource: str
    name: str
    namespace: str | None
    # apply: {"manifest": …}; scale: {"replicas": n}; patch: {"type", "patch"}; rollback: {"revision": n | None}
    payload: Obj = dataclasses.field(default_factory=dict)


async def preview_manifest(writer: ResourceWriter, context: RequestContext, cluster_id: int, *, resource: str,
                           manifest: Obj, namespace: str | None) -> Obj:
    """Dry-run a manifest: an update with its diff when the object exists, else a create (`change` says which)."""
    name = (manifest.get("metadata") or {}).get("name") if isinstance(manifest.get("metadata"), dict) else None
    if isinstance(name, str) and name:
        try:
            result = await writer.dry_run(context, cluster_id, resource=resource, body=_copy(manifest), name=name,
                                          namespace=namespace)
            return {**result, "change": "update"}
        except (ApiError, CodedError) as exc:  # no such object yet (a Kubernetes 404): validate it as a create
            if code_for(exc) is not ErrorCode.NOT_FOUND:
                raise
    result = await writer.dry_run(context, cluster_id, resource=resource, body=_copy(manifest), namespace=namespace)
    return {**result, "change": "create"}


def _copy(value: Any) -> Any:
    """A deep copy as plain JSON values (the writer completes a body in place; cached data holds fragments)."""
    return orjson.loads(orjson.dumps(value))


def _shown_payload(request: ChangeRequest) -> Obj:
    """The payload with a Secret manifest's or a Secret patch's values masked (the diff already is)."""
    payload = orjson.loads(request.payload)
    manifest = payload.get("manifest")
    if isinstance(manifest, dict) and manifest.get("kind") == "Secret":
        payload["manifest"] = mask_secret(manifest)
    patch = payload.get("patch")
    if request.resource == "secrets" and isinstance(patch, dict):
        payload["patch"] = mask_secret(patch)
    elif request.resource == "secrets" and isinstance(patch, list):  # a JSON patch: every value it writes
        payload["patch"] = [{**op, "value": SECRET_MASK} if isinstance(op, dict) and "value" in op else op
                            for op in patch]
    return payload


def describe_request(request: ChangeRequest) -> Obj:
    """The JSON shape of a request in the API and in tool results."""
    return {"id": request.id, "status": request.status, "action": request.action, "clusterId": request.cluster_id,
            "resource": request.resource, "namespace": request.namespace, "name": request.name,
            "payload": _shown_payload(request), "diff": request.diff,
            "requestedBy": request.username, "viaApiKey": request.via_api_key, "client": request.client,
            "createdAt": request.created_at.isoformat(), "expiresAt": request.expires_at.isoformat(),
            "decidedBy": request.decided_by, "decidedAt": request.decided_at.isoformat() if request.decided_at
            else None, "comment": request.comment, "outcomeCode": request.outcome_code,
            "outcomeMessage": request.outcome_message}


@dataclasses.dataclass(eq=False)
class ApprovalSubscription:
    """One watch-socket subscription to the requests its caller may see; `cancel()` ends it."""

    context: RequestContext
    deliver: Callable[[Obj], None]
    _subscribers: set[ApprovalSubscription]

    def cancel(self) -> None:
        """Stop receiving events."""
        self._subscribers.discard(self)


class ApprovalService:
    """Stores, lists, decides and runs agents' change requests."""

    def __init__(self, *, store: Store, clusters: ClusterManager, audit: AuditLog, auth: AuthService,
                 reader: ResourceReader, writer: ResourceWriter, workloads: WorkloadService,
                 read_only: bool, second_person: bool = False) -> None:
        self._store = store
        self._clusters = clusters
        self._audit = audit
        self._auth = auth
        self._reader = reader
        self._writer = writer
        self._workloads = workloads
        self._read_only = read_only
        self._second_person = second_person
        self._subscribers: set[ApprovalSubscription] = set()

    async def _scope(self, context: RequestContext, change: Change | ChangeRequest) -> AccessScope:
        """The change's scope, if `context`'s caller may do it (40300 / 40301 / 40302 otherwise)."""
        if self._read_only:
            raise ApiError(ErrorCode.FORBIDDEN, "the server runs in read-only mode")
        action = Action(change.action)
        scope = await AccessScope.open(context, self._clusters, change.cluster_id, change.resource,
                                       namespace=change.namespace, verb=action.verb)
        scope.require_namespace()
        return scope

    async def request(self, context: RequestContext, change: Change, *, client: str) -> ChangeRequest:
        """Check, preview and store a pending request (refused at once when the requester may not do it)."""
        try:
            scope = await self._scope(context, change)
            diff = await self._preview(context, change)
        except (ApiError, CodedError) as exc:
            self._audit.record("change.request", code=int(code_for(exc)), cluster_id=change.cluster_id,
                               namespace=change.namespace, resource=change.resource, name=change.name,
                               **context.audit_fields(), detail=self._detail(change, client))
            raise
        now = dt.datetime.now(dt.UTC)
        caller = context.caller
        async with self._store.transaction() as conn:
            stored = await repo.insert_change_request(conn, ChangeRequest(
                user_id=caller.user_id, username=caller.username, token_version=caller.token_version,
                via_api_key=caller.via_api_key, client=client, client_ip=context.client_ip, action=change.action,
                cluster_id=change.cluster_id, resource=scope.kind.name, namespace=change.namespace, name=change.name,
                payload=orjson.dumps(change.payload).decode(), diff=diff, status=Status.PENDING, created_at=now,
                expires_at=now + dt.timedelta(seconds=REQUEST_TTL_S)))
        self._audit.record("change.request", name=change.name, **scope.audit_fields(),
                           detail={**self._detail(change, client), "requestId": stored.id})
        if change.action not in await self.auto_approved_actions(context):
            await self._publish(stored.id)
            return stored
        decided = {"decided_by": caller.username, "decided_at": dt.datetime.now(dt.UTC),
                   "comment": AUTO_APPROVED_COMMENT}
        await self._execute(context, stored, decided=decided,
                            audit=self._decision_audit(stored, scope, AUTO_APPROVED_COMMENT, automatically=True))
        return await self.get(context, stored.id)

    @staticmethod
    def _detail(change: Change, client: str) -> Obj:
        """What the audit row says of a change (never a manifest's or a patch's values)."""
        shown = {key: change.payload[key] for key in ("replicas", "revision", "type") if key in change.payload}
        return {"via": "MCP", "client": client, "action": change.action, **shown}

    # -- auto-approved actions -----------------------------------------------------------------------
    async def auto_approved_actions(self, context: RequestContext) -> list[str]:
        """The actions the caller's MCP calls run without approval (none while a second person is required)."""
        if self._second_person:
            return []
        async with self._store.transaction() as conn:
            return await repo.get_auto_approved_actions(conn, context.caller.user_id)

    async def approval_settings(self, context: RequestContext) -> Obj:
        """The caller's list, and the team setting that can override it."""
        async with self._store.transaction() as conn:
            chosen = await repo.get_auto_approved_actions(conn, context.caller.user_id)
        return {"autoApprovedActions": chosen, "secondPersonRequired": self._second_person,
                "autoApprovalInEffect": bool(chosen) and not self._second_person, "actions": list(Action)}

    async def set_auto_approved_actions(self, context: RequestContext, actions: Any) -> Obj:
        """Replace the caller's list (40300 with an API key: a key cannot widen what it may do unapproved)."""
        async def change() -> Obj:
            if context.caller.via_api_key:
                raise ApiError(ErrorCode.FORBIDDEN, API_KEY_MAY_NOT_AUTO_APPROVE)
            if not isinstance(actions, list) or not all(isinstance(action, str) for action in actions):
                raise ApiError(ErrorCode.PARAM_INVALID, "actions must be a list of strings")
            unknown = sorted(set(actions) - set(Action))
            if unknown:
                raise ApiError(ErrorCode.PARAM_INVALID, f"unknown actions {', '.join(unknown)}; known: "
                                                        f"{', '.join(Action)}")
            chosen = [action for action in Action if action in actions]  # deduplicated, in the enum's order
            async with self._store.transaction() as conn:
                await repo.set_auto_approved_actions(conn, context.caller.user_id, chosen)
            return await self.approval_settings(context)
        return await self._audit.record_outcome(
            "change.auto_approve", change(), **context.audit_fields(),
            detail={"actions": actions if isinstance(actions, list) else None})

    async def _preview(self, context: RequestContext, change: Change) -> str:
        """What the change would do, as the approver will read it."""
        if change.action is Action.APPLY:
            result = await preview_manifest(self._writer, context, change.cluster_id, resource=change.resource,
                                            manifest=change.payload["manifest"], namespace=change.namespace)
            if not result["valid"]:
                raise ApiError(ErrorCode.VALIDATION_FAILED, result["message"], data={"causes": result["causes"]})
            # What runs is what the diff shows: a create, or a replace of the version the diff was made against.
            change.payload["change"] = result["change"]
            if result["current"]:
                change.payload["resourceVersion"] = (result["current"].get("metadata") or {}).get("resourceVersion")
            return result["diff"]
        ref = ObjectRef(cluster_id=change.cluster_id, resource=change.resource, name=change.name,
                        namespace=change.namespace)
        current = _copy((await self._reader.get_object(context, ref)).data)
        label = f"{change.resource}/{change.name}"
        if change.action is Action.SCALE:
            replicas = (current.get("spec") or {}).get("replicas", 0)
            return (f"--- {label} (current)\n+++ {label} (proposed)\n@@ -1 +1 @@\n-  replicas: {replicas}\n"
                    f"+  replicas: {change.payload['replicas']}\n")
        if change.action is Action.RESTART:
            return f"rollout restart {label}: its pods are replaced one by one (pod template stamped restartedAt)\n"
        if change.action is Action.DELETE:
            return f"delete {label}" + (f" in namespace {change.namespace}" if change.namespace else "") + "\n"
        if change.action is Action.PATCH:
            proposed = await self._writer.patch_object(context, ref, patch_type=change.payload["type"],
                                                       patch=_copy(change.payload["patch"]), dry_run=True)
        elif change.action is Action.ROLLBACK:
            result = await self._workloads.rollback(context, change.cluster_id, change.name,
                                                    namespace=change.namespace or "",
                                                    revision=change.payload.get("revision"), dry_run=True)
            change.payload["revision"] = result["revision"]  # what runs is the revision the diff shows
            if result["skipped"]:
                return f"rollback {label}: nothing to do, it runs revision {result['revision']} already\n"
            proposed = result["proposed"]
        else:
            proposed = await self._workloads.set_cordoned(context, change.cluster_id, change.name,
                                                          cordoned=change.action is Action.CORDON, dry_run=True)
        return await off_loop(unified_diff, current, _copy(proposed), label)

    async def get(self, context: RequestContext, request_id: int) -> ChangeRequest:
        """One request the caller asked for or may decide (40400 otherwise)."""
        async with self._store.transaction() as conn:
            request = await repo.get_change_request(conn, request_id)
        if request is None or not await self._visible(context, request):
            raise ApiError(ErrorCode.NOT_FOUND, f"no change request {request_id}")
        return await self._expire_if_due(request)

    async def list(self, context: RequestContext, *, status: str | None = None) -> list[ChangeRequest]:
        """The newest requests the caller asked for or may decide."""
        if status is not None and status not in set(Status):
            raise ApiError(ErrorCode.PARAM_INVALID, f"status must be one of {', '.join(Status)}")
        async with self._store.transaction() as conn:
            requests = await repo.list_change_requests(conn, status=status, limit=MAX_LISTED)
        return [await self._expire_if_due(request) for request in requests if await self._visible(context, request)]

    async def _visible(self, context: RequestContext, request: ChangeRequest) -> bool:
        if request.user_id == context.caller.user_id:
            return True
        try:
            scope = await AccessScope.open(context, self._clusters, request.cluster_id, request.resource,
                                           namespace=request.namespace, verb=Action(request.action).verb)
        except (ApiError, CodedError):
            return False
        return scope.may(Action(request.action).verb, namespace=request.namespace)

    async def _expire_if_due(self, request: ChangeRequest) -> ChangeRequest:
        if request.status != Status.PENDING or dt.datetime.now(dt.UTC) < request.expires_at:
            return request
        async with self._store.transaction() as conn:
            expired = await repo.update_change_request(conn, request.id, from_status=Status.PENDING,
                                                       status=Status.EXPIRED)
            current = await repo.get_change_request(conn, request.id) or request
        if expired:
            await self._publish(request.id)
        return current

    async def wait(self, context: RequestContext, request_id: int, *, timeout_s: float) -> ChangeRequest:
        """The request once decided, or as it is after `timeout_s` (still pending)."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            request = await self.get(context, request_id)
            if request.status != Status.PENDING or asyncio.get_running_loop().time() >= deadline:
                return request
            await asyncio.sleep(POLL_INTERVAL_S)

    async def decide(self, context: RequestContext, request_id: int, *, approve: bool,
                     comment: str | None = None) -> ChangeRequest:
        """Approve (and run, as the requester) or deny a pending request; the caller needs the change's verb, and
        with `approval_second_person` on may not approve their own request (40300)."""
        if comment is not None and len(comment) > MAX_COMMENT_CHARS:
            raise ApiError(ErrorCode.PARAM_INVALID, f"comment must be at most {MAX_COMMENT_CHARS} characters")
        request = await self.get(context, request_id)
        if request.status != Status.PENDING:
            raise ApiError(ErrorCode.CONFLICT, f"change request {request_id} is already {request.status}")
        scope = await self._scope(context, request)
        audit = self._decision_audit(request, scope, comment)
        if approve and self._second_person and request.user_id == context.caller.user_id:
            self._audit.record("change.approve", code=int(ErrorCode.FORBIDDEN), **audit)
            raise ApiError(ErrorCode.FORBIDDEN, SECOND_PERSON_REFUSED)
        decided = {"decided_by": context.caller.username, "decided_at": dt.datetime.now(dt.UTC), "comment": comment}
        if not approve:
            await self._move(request, Status.DENIED, **decided)
            self._audit.record("change.deny", **audit)
            await self._publish(request.id)
            return await self.get(context, request_id)
        try:
            requester = await self._auth.revalidate(Principal(
                user_id=request.user_id, username=request.username, role=Role.READONLY,
                token_version=request.token_version, via_api_key=request.via_api_key))
        except (ApiError, CodedError) as exc:  # deleted, deactivated, or their sign-ins were revoked
            await self._move(request, Status.FAILED, **decided, outcome_code=int(code_for(exc)),
                             outcome_message=f"the requester's credentials are no longer valid: {exc}")
            self._audit.record("change.approve", code=int(code_for(exc)), **audit)
            await self._publish(request.id)
            return await self.get(context, request_id)
        await self._execute(dataclasses.replace(context, principal=requester, client_ip=request.client_ip), request,
                            decided=decided, audit=audit)
        return await self.get(context, request_id)

    @staticmethod
    def _decision_audit(request: ChangeRequest, scope: AccessScope, comment: str | None, *,
                        automatically: bool = False) -> Obj:
        """The fields of a decision's audit row (`record` keywords)."""
        detail = {"via": "MCP", "requestId": request.id, "action": request.action, "requestedBy": request.username,
                  "client": request.client, "comment": comment}
        if automatically:
            detail["approvedAutomatically"] = True
        return {"name": request.name, **scope.audit_fields(), "detail": detail}

    async def _execute(self, requester: RequestContext, request: ChangeRequest, *, decided: Obj, audit: Obj) -> None:
        """Claim an approved request, run it as `requester`, store its outcome and audit `change.approve`."""
        await self._move(request, Status.DONE, **decided)  # claimed: a second decision now gets 40901
        status, code = Status.DONE, 0
        try:
            message = await self._run(requester, request)
        except Exception as exc:
            error = api_error_for(exc) or ApiError(ErrorCode.INTERNAL, "internal error")
            status, code, message = Status.FAILED, int(error.code), error.message
            if error.code is ErrorCode.INTERNAL:
                log.exception("approved change request %d failed", request.id)
        async with self._store.transaction() as conn:
            await repo.update_change_request(conn, request.id, from_status=Status.DONE, status=status,
                                             outcome_code=code, outcome_message=message)
        self._audit.record("change.approve", code=code, **audit)
        await self._publish(request.id)

    async def _move(self, request: ChangeRequest, status: Status, **values: Any) -> None:
        async with self._store.transaction() as conn:
            if not await repo.update_change_request(conn, request.id, from_status=Status.PENDING, status=status,
                                                    **values):
                raise ApiError(ErrorCode.CONFLICT, f"change request {request.id} was decided meanwhile")

    async def _run(self, context: RequestContext, request: ChangeRequest) -> str:
        """Run the change as the requester (the service audits it); the outcome's message."""
        payload = orjson.loads(request.payload)
        action, namespace = Action(request.action), request.namespace
        ref = ObjectRef(cluster_id=request.cluster_id, resource=request.resource, name=request.name,
                        namespace=namespace)
        if action is Action.APPLY:
            manifest = payload["manifest"]
            if payload.get("change") == "create":
                await self._writer.create_object(context, request.cluster_id, resource=request.resource,
                                                 body=manifest, namespace=namespace)
                return "created"
            manifest.setdefault("metadata", {})["resourceVersion"] = payload.get("resourceVersion")
            await self._writer.replace_object(context, ref, body=manifest)  # 40901: changed after the diff was made
            return "updated"
        if action is Action.SCALE:
            await self._workloads.scale(context, request.cluster_id, request.resource, request.name,
                                        namespace=namespace or "", replicas=payload["replicas"])
            return f"scaled to {payload['replicas']}"
        if action is Action.RESTART:
            await self._workloads.restart(context, request.cluster_id, request.resource, request.name,
                                          namespace=namespace or "")
            return "restarted"
        if action is Action.PATCH:
            await self._writer.patch_object(context, ref, patch_type=payload["type"], patch=payload["patch"])
            return "patched"
        if action is Action.ROLLBACK:
            result = await self._workloads.rollback(context, request.cluster_id, request.name,
                                                    namespace=namespace or "", revision=payload.get("revision"))
            return f"runs revision {result['revision']} already" if result["skipped"] else \
                f"rolled back to revision {result['revision']}"
        if action in (Action.CORDON, Action.UNCORDON):
            await self._workloads.set_cordoned(context, request.cluster_id, request.name,
                                               cordoned=action is Action.CORDON)
            return f"{action}ed"
        await self._writer.delete_object(context, ref)
        return "deleted"

    # -- live updates ----------------------------------------------------------------------------------
    def subscribe(self, context: RequestContext, deliver: Callable[[Obj], None]) -> ApprovalSubscription:
        """Changes of the requests the caller may see (as `list` shows them), as watch events, until `cancel()`."""
        subscription = ApprovalSubscription(context, deliver, self._subscribers)
        self._subscribers.add(subscription)
        return subscription

    async def _publish(self, request_id: int) -> None:
        """Tell every subscriber who may see it where the request is now."""
        if not self._subscribers:
            return
        async with self._store.transaction() as conn:
            request = await repo.get_change_request(conn, request_id)
        if request is None:
            return
        described = describe_request(request)
        for subscription in list(self._subscribers):
            if await self._visible(subscription.context, request):
                subscription.deliver({"type": "MODIFIED", "name": str(request.id), "object": described})


APPROVALS = web.AppKey("approvals", ApprovalService)
