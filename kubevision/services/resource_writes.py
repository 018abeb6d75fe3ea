"""`ResourceWriter`: authorized, audited changes to any kind — create, replace, patch, delete, restart, server-side
apply of YAML — and the dry-run diff that previews a create or an update.

Each change opens an `AccessScope` (role verbs ∩ cluster grants ∩ namespace grants, checked before Kubernetes is
asked; Kubernetes' own RBAC answers on top, its Forbidden → 40300) and is audited exactly once, here, by a
`_Change`: refused before it is sent (the scope's 40300/40301/40302, a bad body 40002, a Kubernetes error while
preparing it), it leaves one row with the refusal's code (`AuditLog.record`); sent, it leaves the written-ahead
row of `AuditLog.change` with its outcome (0, or the code of Kubernetes' error). Dry runs change nothing and
are not audited.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Awaitable, Iterator
from typing import Any, TypeVar

from aiohttp import web

from kubevision.auth.permissions import Verb
from kubevision.errors import ApiError, CodedError, ErrorCode, code_for
from kubevision.kube.clusters import Cluster, ClusterManager
from kubevision.kube.errors import InvalidError, KubeError
from kubevision.kube.manifests import check_manifest_body, dump_yaml_off_loop, load_manifests, off_loop
from kubevision.kube.masking import unmask_secret, withhold_values
from kubevision.kube.objects import unified_diff
from kubevision.kube.registry import Capability, ResourceKind, builtin_plurals
from kubevision.services.access import AccessScope, require_cluster
from kubevision.services.audit import AuditLog
from kubevision.services.context import ObjectRef, RequestContext
from kubevision.services.resource_batch import item_outcome

Obj = dict[str, Any]
T = TypeVar("T")

PATCH_CONTENT_TYPES = {
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "json": "application/json-patch+json",
}
# RFC 6902 operations and the members each needs besides `path`.
JSON_PATCH_OPS: dict[str, tuple[str, ...]] = {
    "add": ("value",), "remove": (), "replace": ("value",), "move": ("from",), "copy": ("from",), "test": ("value",),
}
PROPAGATION_POLICIES = ("Foreground", "Background", "Orphan")
FIELD_MANAGER = "kubevision"
RESTART_ANNOTATION = "kubectl.kubernetes.io/restartedAt"


def _check_json_patch(patch: Any) -> None:
    """40002 unless `patch` is a list of RFC 6902 operations: `op`, a JSON pointer `path`, `from` for move/copy
    and `value` for add/replace/test (the API server answers a bare 422 without saying what is wrong)."""
    if not isinstance(patch, list):
        raise ApiError(ErrorCode.PARAM_INVALID, "a json patch is a list of operations")
    for index, operation in enumerate(patch):
        op = operation.get("op") if isinstance(operation, dict) else None
        if op not in JSON_PATCH_OPS:
            raise ApiError(ErrorCode.PARAM_INVALID,
                           f"patch[{index}] must be an object whose op is one of {', '.join(JSON_PATCH_OPS)}")
        missing = [key for key in ("path", *JSON_PATCH_OPS[op]) if key not in operation]
        pointers = [operation.get(key, "") for key in ("path", "from")]
        if missing or not all(isinstance(p, str) and (not p or p.startswith("/")) for p in pointers):
            needs = ", ".join(f"'{key}'" for key in ("path", *JSON_PATCH_OPS[op]))
            raise ApiError(ErrorCode.PARAM_INVALID, f"patch[{index}] ({op}) needs {needs}; paths are JSON "
                                                    "pointers (strings that are empty or start with '/')")


def _check_patch_body(patch_type: str, patch: Any) -> None:
    """40002 for an unknown patch type or a patch of the wrong shape for its type."""
    if patch_type not in PATCH_CONTENT_TYPES:
        raise ApiError(ErrorCode.PARAM_INVALID, f"type must be one of {', '.join(PATCH_CONTENT_TYPES)}")
    if patch_type == "json":
        _check_json_patch(patch)
    elif not isinstance(patch, dict):
        raise ApiError(ErrorCode.PARAM_INVALID, f"a {patch_type} patch is an object")


def _text(value: Any) -> bool:
    """True for a non-empty string (YAML turns `name: 3` or `kind: [x]` into other types)."""
    return isinstance(value, str) and bool(value)


def _completed(scope: AccessScope, body: Obj) -> None:
    body.setdefault("apiVersion", scope.kind.api_version)
    body.setdefault("kind", scope.kind.kind)


def _manifest_name(body: Any) -> str | None:
    """The name (or generateName) a manifest asks for, when it has one: what the audit row of a create names."""
    metadata = body.get("metadata") if isinstance(body, dict) else None
    name = (metadata.get("name") or metadata.get("generateName")) if isinstance(metadata, dict) else None
    return name if isinstance(name, str) else None


def _shown(scope: AccessScope, obj: Obj | None) -> Obj | None:
    return None if obj is None else scope.present(obj)


@dataclasses.dataclass(kw_only=True)
class _Change:
    """One change on its way to Kubernetes, audited exactly once: `send()` audits it written ahead with its
    outcome; a coded error before it is sent is recorded as a refusal (see `ResourceWriter._change`). What the
    row names (`scope`, `name`) is filled in as the change is prepared; before a scope is open the row names
    what was asked for."""

    audit: AuditLog
    action: str
    context: RequestContext
    cluster_id: int
    resource: str | None = None
    namespace: str | None = None
    name: str | None = None
    detail: dict[str, Any] | None = None
    audited: bool = True  # False for dry runs
    scope: AccessScope | None = None
    sent: bool = False

    async def send(self, scope: AccessScope, operation: Awaitable[T]) -> T:
        """Await `operation` (a request not yet started) as this change, audited written ahead."""
        self.scope, self.sent = scope, True
        if not self.audited:
            return await operation
        return await self.audit.change(self.action, operation, name=self.name, detail=self.detail,
                                       **scope.audit_fields())

    def refused(self, error: ApiError | CodedError) -> None:
        """Record that the change was refused before it was sent."""
        if not self.audited or self.sent:
            return
        if self.scope is not None:
            fields = self.scope.audit_fields()
        else:
            fields = {**self.context.audit_fields(), "cluster_id": self.cluster_id, "namespace": self.namespace,
                      "resource": self.resource}
        self.audit.record(self.action, code=int(code_for(error)), name=self.name, detail=self.detail, **fields)


def refuse_derived(kind: ResourceKind) -> None:
    """40002 for a kind KubeVision derives from other objects (Helm releases): the API server has no such objects
    to write; releases change through their own routes."""
    if kind.derived:
        raise ApiError(ErrorCode.PARAM_INVALID, f"{kind.name or kind.qualified} are not objects of the API server; "
                                                "use /clusters/{id}/namespaces/{ns}/helm/releases/{name} (rollback, "
                                                "uninstall) to change a release")


class ResourceWriter:
    """Authorized, audited changes to Kubernetes objects of every cluster."""

    def __init__(self, clusters: ClusterManager, audit: AuditLog) -> None:
        self.clusters = clusters
        self._audit = audit

    @contextlib.contextmanager
    def _change(self, action: str, context: RequestContext, *, cluster_id: int, resource: str | None = None,
                namespace: str | None = None, name: str | None = None, detail: dict[str, Any] | None = None,
                audited: bool = True) -> Iterator[_Change]:
        """The change prepared and sent inside the block; a coded error leaving it unsent is its refusal."""
        change = _Change(audit=self._audit, action=action, context=context, cluster_id=cluster_id,
                         resource=resource, namespace=namespace, name=name, detail=detail, audited=audited)
        try:
            yield change
        except (ApiError, CodedError) as exc:
            change.refused(exc)
            raise

    def _object_change(self, action: str, context: RequestContext, ref: ObjectRef, *,
                       detail: dict[str, Any] | None = None,
                       audited: bool = True) -> contextlib.AbstractContextManager[_Change]:
        """`_change` for a change of the object `ref` names."""
        return self._change(action, context, **dataclasses.asdict(ref), detail=detail, audited=audited)

    async def _scope(self, change: _Change, verb: Verb) -> AccessScope:
        """Open the change's scope (the refusal row names it once it is open)."""
        change.scope = await AccessScope.open(change.context, self.clusters, change.cluster_id, change.resource or "",
                                              namespace=change.namespace, verb=verb)
        refuse_derived(change.scope.kind)
        return change.scope

    @staticmethod
    async def _write(scope: AccessScope, name: str | None, method: str, path: str, *, current: Obj | None = None,
                     **options: Any) -> Obj:
        """Send one write. When the caller may not reveal a Secret's values, the API server's error loses what
        it quotes of the object: it answers a malformed write with the object (values and all), or part of it."""
        try:
            return await scope.cluster.request(method, path, **options)
        except KubeError as exc:
            if not scope.values.masks or scope.values.may_reveal:
                raise
            if current is None and name:
                with contextlib.suppress(KubeError):
                    current = await scope.cluster.request("GET", scope.kind.object_path(name, scope.namespace))
            raise withhold_values(exc, current) from None

    @staticmethod
    def _body_scope(scope: AccessScope, body: Obj) -> AccessScope:
        """The scope in the namespace of the URL reconciled with the manifest's (and the kind), not yet checked."""
        if not isinstance(body, dict) or not isinstance(body.get("metadata"), dict):
            raise ApiError(ErrorCode.PARAM_INVALID, "body must be a Kubernetes object with metadata")
        body_ns = body["metadata"].get("namespace")
        if not scope.kind.namespaced:
            return scope
        if scope.namespace and body_ns and body_ns != scope.namespace:
            raise ApiError(ErrorCode.PARAM_INVALID,
                           f"metadata.namespace {body_ns!r} differs from namespace {scope.namespace!r}")
        namespace = scope.namespace or body_ns or "default"
        body["metadata"]["namespace"] = namespace
        return AccessScope.of(scope.context, scope.cluster, scope.kind, namespace=namespace)

    # -- create, replace, patch, delete ---------------------------------------------------------------
    async def create_object(self, context: RequestContext, cluster_id: int, *, resource: str, body: Obj,
                            namespace: str | None = None, dry_run: bool = False) -> Obj:
        """POST a new object."""
        with self._change("resource.create", context, cluster_id=cluster_id, resource=resource, namespace=namespace,
                          name=_manifest_name(body), audited=not dry_run) as change:
            scope = await self._scope(change, Verb.WRITE)
            await check_manifest_body(body)
            scope = change.scope = self._body_scope(scope, body)
            scope.require(Verb.WRITE)
            _completed(scope, body)
            created = await change.send(scope, self._write(
                scope, change.name, "POST", scope.kind.collection_path(scope.namespace), body=body,
                params={"dryRun": "All" if dry_run else None, "fieldManager": FIELD_MANAGER}))
        return scope.present(created)

    async def replace_object(self, context: RequestContext, ref: ObjectRef, *, body: Obj,
                             dry_run: bool = False) -> Obj:
        """PUT a whole object (its resourceVersion guards against lost updates → 40901)."""
        with self._object_change("resource.update", context, ref, audited=not dry_run) as change:
            scope = await self._scope(change, Verb.WRITE)
            await check_manifest_body(body)
            scope = change.scope = self._body_scope(scope, body)
            scope.require(Verb.WRITE)
            _completed(scope, body)
            body_name = body["metadata"].get("name")
            if body_name and body_name != ref.name:
                raise ApiError(ErrorCode.PARAM_INVALID, f"metadata.name {body_name!r} differs from {ref.name!r}")
            body["metadata"]["name"] = ref.name
            path = scope.kind.object_path(ref.name, scope.namespace)
            current = None
            if scope.values.masks:
                current = await scope.cluster.request("GET", path)
                unmask_secret(body, current)
            replaced = await change.send(scope, self._write(
                scope, ref.name, "PUT", path, current=current, body=body,
                params={"dryRun": "All" if dry_run else None, "fieldManager": FIELD_MANAGER}))
        return scope.present(replaced)

    async def patch_object(self, context: RequestContext, ref: ObjectRef, *, patch_type: str, patch: Any,
                           dry_run: bool = False) -> Obj:
        """PATCH with a merge, strategic-merge or JSON patch (`dry_run`: the API server's result, nothing changes
        and nothing is audited)."""
        with self._object_change("resource.patch", context, ref, detail={"patchType": patch_type},
                                 audited=not dry_run) as change:
            _check_patch_body(patch_type, patch)
            scope = await self._scope(change, Verb.WRITE)
            scope.require_namespace()
            scope.values.check_patch(patch_type, patch)
            patched = await change.send(scope, self._write(
                scope, ref.name, "PATCH", scope.kind.object_path(ref.name, scope.namespace), body=patch,
                content_type=PATCH_CONTENT_TYPES[patch_type],
                params={"dryRun": "All" if dry_run else None, "fieldManager": FIELD_MANAGER}))
        return scope.present(patched)

    async def delete_object(self, context: RequestContext, ref: ObjectRef, *, propagation: str | None = None,
                            grace_period_s: int | None = None) -> None:
        """DELETE with an optional propagation policy and grace period (0 = immediately)."""
        detail = {"propagationPolicy": propagation, "gracePeriodSeconds": grace_period_s}
        with self._object_change("resource.delete", context, ref, detail=detail) as change:
            if propagation and propagation not in PROPAGATION_POLICIES:
                raise ApiError(ErrorCode.PARAM_INVALID,
                               f"propagationPolicy must be one of {', '.join(PROPAGATION_POLICIES)}")
            scope = await self._scope(change, Verb.DELETE)
            scope.require_namespace()
            await change.send(scope, scope.cluster.request(
                "DELETE", scope.kind.object_path(ref.name, scope.namespace),
                params={"propagationPolicy": propagation, "gracePeriodSeconds": grace_period_s}))

    async def restart_workload(self, context: RequestContext, ref: ObjectRef) -> Obj:
        """Roll a Deployment/StatefulSet/DaemonSet by stamping its pod template (like kubectl rollout restart)."""
        with self._object_change("workload.restart", context, ref) as change:
            scope = await self._scope(change, Verb.WRITE)
            if Capability.RESTART not in scope.kind.capabilities:
                raise ApiError(ErrorCode.PARAM_INVALID, f"{scope.kind.name} cannot be restarted; "
                                                        f"use one of {', '.join(builtin_plurals(Capability.RESTART))}")
            scope.require_namespace()
            stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            patch = {"spec": {"template": {"metadata": {"annotations": {RESTART_ANNOTATION: stamp}}}}}
            patched = await change.send(scope, scope.cluster.request(
                "PATCH", scope.kind.object_path(ref.name, scope.namespace), body=patch,
                content_type=PATCH_CONTENT_TYPES["strategic"], params={"fieldManager": FIELD_MANAGER}))
        return scope.present(patched)

    # -- dry run -------------------------------------------------------------------------------------
    async def dry_run(self, context: RequestContext, cluster_id: int, *, resource: str, body: Obj,
                      name: str | None = None, namespace: str | None = None) -> Obj:
        """Ask the API server to validate a create (no `name`) or update; return the diff and causes."""
        scope = await AccessScope.open(context, self.clusters, cluster_id, resource, namespace=namespace,
                                       verb=Verb.WRITE)
        refuse_derived(scope.kind)
        await check_manifest_body(body)
        scope = self._body_scope(scope, body)
        scope.require(Verb.WRITE)
        _completed(scope, body)
        current = None
        if name is not None:
            current = await scope.cluster.request("GET", scope.kind.object_path(name, scope.namespace))
            body["metadata"]["name"] = name
            if scope.values.masks:
                unmask_secret(body, current)
        params = {"dryRun": "All", "fieldManager": FIELD_MANAGER}
        try:
            if name is None:
                proposed = await self._write(scope, None, "POST", scope.kind.collection_path(scope.namespace),
                                             body=body, params=params)
            else:
                proposed = await self._write(scope, name, "PUT", scope.kind.object_path(name, scope.namespace),
                                             current=current, body=body, params=params)
        except InvalidError as exc:
            return {"valid": False, "message": exc.message, "causes": exc.causes,
                    "current": _shown(scope, current), "proposed": None, "diff": ""}
        label = f"{scope.kind.name}/{body['metadata'].get('name') or body['metadata'].get('generateName', '')}"
        shown_current, shown_proposed = _shown(scope, current), _shown(scope, proposed)
        return {
            "valid": True, "message": "valid", "causes": [], "current": shown_current, "proposed": shown_proposed,
            # YAML of two objects of up to 2 MiB and their diff: seconds of CPU, so not on the event loop.
            "diff": await off_loop(unified_diff, shown_current, shown_proposed, label),
        }

    # -- apply ---------------------------------------------------------------------------------------
    async def apply_yaml(self, context: RequestContext, cluster_id: int, *, text: str, dry_run: bool = False,
                         namespace: str | None = None) -> list[Obj]:
        """Server-side apply of every document; each reports its own outcome (and has its own audit row).

        Whoever may not write anything on the cluster is refused before the YAML is parsed; parsing runs in
        a worker thread within the limits of `kube/manifests.py`. A refusal of the whole apply (no write
        rights, YAML that does not parse, no documents) is one audit row without a name.
        """
        with self._change("resource.apply", context, cluster_id=cluster_id, audited=not dry_run):
            principal = context.caller
            require_cluster(principal, cluster_id)
            cluster = self.clusters.get(cluster_id)
            if not principal.may_write_somewhere():
                raise ApiError(ErrorCode.FORBIDDEN,
                               f"role {principal.role} may not write anything, so it may not apply")
            manifests = await load_manifests(text)
            if not manifests:
                raise ApiError(ErrorCode.MANIFEST_INVALID, "no documents in the YAML")
        results = []
        for index, manifest in enumerate(manifests):
            results.append(await self._apply_one(context, cluster, index=index, line=manifest.line,
                                                 document=manifest.document, dry_run=dry_run, namespace=namespace))
        return results

    async def _apply_one(self, context: RequestContext, cluster: Cluster, *, index: int, line: int, document: Any,
                         dry_run: bool, namespace: str | None) -> Obj:
        result: Obj = {"index": index, "line": line, "kind": None, "apiVersion": None, "namespace": None,
                       "name": None}
        try:
            with self._change("resource.apply", context, cluster_id=cluster.id, audited=not dry_run) as change:
                if not isinstance(document, dict) or not _text(document.get("kind")) or \
                        not _text(document.get("apiVersion")):
                    raise ApiError(ErrorCode.MANIFEST_INVALID, "document needs apiVersion and kind (strings)")
                metadata = document.get("metadata")
                if not isinstance(metadata, dict) or not _text(metadata.get("name")):
                    raise ApiError(ErrorCode.MANIFEST_INVALID, "document needs metadata.name (a string)")
                if metadata.get("namespace") is not None and not isinstance(metadata["namespace"], str):
                    raise ApiError(ErrorCode.MANIFEST_INVALID, "metadata.namespace must be a string")
                result.update(kind=document["kind"], apiVersion=document["apiVersion"], name=metadata["name"])
                change.name = metadata["name"]
                # Applied at the document's own version (autoscaling/v2beta2 beside a preferred autoscaling/v1).
                group, _, version = document["apiVersion"].rpartition("/")
                registry = await cluster.registry()
                kind = registry.find(group, document["kind"], version) or (
                    await cluster.registry(refresh=True)).find(group, document["kind"], version)
                if kind is None:
                    raise ApiError(ErrorCode.PARAM_INVALID,
                                   f"the cluster does not serve {document['apiVersion']} {document['kind']}")
                refuse_derived(kind)
                ns = (metadata.get("namespace") or namespace or "default") if kind.namespaced else None
                if ns:
                    metadata["namespace"] = ns
                result["namespace"] = ns
                change.scope = scope = AccessScope.of(context, cluster, kind, namespace=ns)
                scope.require(Verb.WRITE)
                applied = await change.send(scope, self._write(
                    scope, metadata["name"], "PATCH", kind.object_path(metadata["name"], ns),
                    body=(await dump_yaml_off_loop(document)).encode(), content_type="application/apply-patch+yaml",
                    params={"fieldManager": FIELD_MANAGER, "dryRun": "All" if dry_run else None}))
            result.update(code=0, message="dry-run ok" if dry_run else "applied",
                          resourceVersion=(applied.get("metadata") or {}).get("resourceVersion"))
        except (ApiError, CodedError) as exc:
            result.update(item_outcome(exc, causes=True))
        return result


RESOURCE_WRITER = web.AppKey("resource_writer", ResourceWriter)
