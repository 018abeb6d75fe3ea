"""`ResourceService`: authorized CRUD, dry-run diff, YAML apply and batch operations on any kind.

Every call names a principal; access = role verbs ∩ cluster grants ∩ namespace grants, checked here
before Kubernetes is asked, and Kubernetes' own RBAC answers on top (its Forbidden → 40300). Every
mutation is audited with its outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from kubevision.auth.permissions import Principal, Verb
from kubevision.errors import ApiError, CodedError, ErrorCode, api_error_for, code_for
from kubevision.kube.cache import CacheEntry, Key, KindCache, object_key
from kubevision.kube.clusters import Cluster, ClusterManager
from kubevision.kube.errors import InvalidError, KubeError
from kubevision.kube.manifests import check_manifest_body, dump_yaml_off_loop, load_manifests, off_loop
from kubevision.kube.masking import ValueAccess, unmask_secret, withhold_values
from kubevision.kube.objects import unified_diff
from kubevision.kube.registry import ResourceKind, UnknownResourceError
from kubevision.kube.selectors import Predicate, SelectorError, parse_label_selector
from kubevision.kube.tables import columns_of, row_matches, row_of, row_order, table_spec
from kubevision.services.audit import AuditLog

Obj = dict[str, Any]
BATCH_LIMIT = 100
# How long a watch subscription waits for its kind's first list before answering anyway.
SUBSCRIBE_SYNC_TIMEOUT_S = 10.0
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
RESTARTABLE = ("deployments", "statefulsets", "daemonsets")
RESTART_ANNOTATION = "kubectl.kubernetes.io/restartedAt"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Target:
    """A resolved request target: who asks, on which cluster, which kind, where."""

    principal: Principal
    cluster: Cluster
    kind: ResourceKind
    namespace: str | None

    def audit_fields(self) -> dict[str, Any]:
        """Columns of an audit row describing this target."""
        return {"user_id": self.principal.user_id, "username": self.principal.username,
                "cluster_id": self.cluster.id, "namespace": self.namespace, "resource": self.kind.name}

    def value_access(self) -> ValueAccess:
        """The reveal decision for this target (Secret values), which every object shown passes through."""
        return ValueAccess.decide(self.principal, cluster_id=self.cluster.id, kind=self.kind,
                                  namespace=self.namespace)


@dataclasses.dataclass
class ListResult:
    """Items (objects or table rows) with what `meta` should say about them."""

    data: Any
    total: int
    source: str = "apiserver"
    stale: bool = False
    # When a cached answer was last confirmed in sync with the API server (epoch seconds); None: read live.
    confirmed_at: float | None = None
    continue_token: str | None = None


class Subscription:
    """A live attachment to a kind's watch; `cancel()` detaches it."""

    def __init__(self, cache: KindCache, listener: Callable[[str, CacheEntry], None]) -> None:
        self.cache = cache
        self._listener = listener

    def cancel(self) -> None:
        """Stop receiving events."""
        self.cache.listeners.discard(self._listener)


@dataclasses.dataclass
class ObjectResult:
    """One object with where it came from."""

    data: Any
    source: str = "apiserver"
    stale: bool = False
    # When a cached answer was last confirmed in sync with the API server (epoch seconds); None: read live.
    confirmed_at: float | None = None


def page_slice(items: list[Any], page: int, size: int | None) -> list[Any]:
    """One page of a list (`size` None = everything)."""
    if size is None:
        return items
    start = (page - 1) * size
    return items[start:start + size]


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


def _text(value: Any) -> bool:
    """True for a non-empty string (YAML turns `name: 3` or `kind: [x]` into other types)."""
    return isinstance(value, str) and bool(value)


class ResourceService:
    """Authorized access to Kubernetes objects of every cluster."""

    def __init__(self, clusters: ClusterManager, audit: AuditLog) -> None:
        self.clusters = clusters
        self._audit = audit

    # -- resolution and authorization --------------------------------------------------------------
    async def resolve(self, principal: Principal, cluster_id: int, resource: str, namespace: str | None,
                      verb: Verb) -> Target:
        """Find cluster and kind and check the principal may do `verb` there."""
        if not principal.can_see_cluster(cluster_id):
            raise ApiError(ErrorCode.CLUSTER_FORBIDDEN, f"no access to cluster {cluster_id}")
        cluster = self.clusters.get(cluster_id)
        kind = await self.lookup_kind(cluster, resource)
        namespace = (namespace or None) if kind.namespaced else None
        self.authorize(principal, cluster, kind, namespace, verb)
        return Target(principal=principal, cluster=cluster, kind=kind, namespace=namespace)

    @staticmethod
    async def lookup_kind(cluster: Cluster, resource: str) -> ResourceKind:
        """The kind, rediscovering once if unknown (a CRD may have just been created)."""
        try:
            return (await cluster.registry()).lookup(resource)
        except UnknownResourceError:
            return (await cluster.registry(refresh=True)).lookup(resource)

    @staticmethod
    def authorize(principal: Principal, cluster: Cluster, kind: ResourceKind, namespace: str | None,
                  verb: Verb) -> None:
        """Role verbs ∩ cluster grant ∩ namespace grant (cluster-scoped kinds need unrestricted namespaces)."""
        if kind.namespaced and namespace:
            principal.require(kind.name, verb, cluster_id=cluster.id, namespace=namespace)
            return
        if principal.namespace_grants is not None and not (kind.name == "namespaces" and verb is Verb.READ):
            if not kind.namespaced:
                raise ApiError(ErrorCode.NAMESPACE_FORBIDDEN,
                               f"{kind.name} are cluster-scoped; your access is limited to namespaces")
            if verb is not Verb.READ:
                raise ApiError(ErrorCode.NAMESPACE_FORBIDDEN, "name a namespace you have access to")
        principal.require(kind.name, verb, cluster_id=cluster.id, cluster_scoped=not kind.namespaced)

    def _visible(self, target: Target, obj: Obj) -> bool:
        """Whether a listed object passes the principal's namespace grants."""
        grants = target.principal.namespace_grants
        if grants is None:
            return True
        metadata = obj.get("metadata") or {}
        if target.kind.name == "namespaces":
            return metadata.get("name") in grants
        return metadata.get("namespace") in grants

    def present(self, target: Target, obj: Obj, *, reveal: bool = False) -> Obj:
        """An object as callers see it: no managedFields, Secret values masked unless revealed (and allowed)."""
        return target.value_access().present(obj, reveal=reveal)

    @staticmethod
    async def _write(target: Target, name: str | None, method: str, path: str, *, current: Obj | None = None,
                     **options: Any) -> Obj:
        """Send one write. When the caller may not reveal a Secret's values, the API server's error loses what
        it quotes of the object: it answers a malformed write with the object (values and all), or part of it."""
        try:
            return await target.cluster.request(method, path, **options)
        except KubeError as exc:
            access = target.value_access()
            if not access.masks or access.may_reveal:
                raise
            if current is None and name:
                with contextlib.suppress(KubeError):
                    current = await target.cluster.request("GET", target.kind.object_path(name, target.namespace))
            raise withhold_values(exc, current) from None

    def _record(self, action: str, target: Target, name: str | None, code: int = 0,
                request_id: str | None = None, **detail: Any) -> None:
        self._audit.record(action, request_id=request_id, name=name, code=code, detail=detail or None,
                           **target.audit_fields())

    async def audited(self, action: str, target: Target, name: str | None, request_id: str | None,
                      operation: Awaitable[Any], **detail: Any) -> Any:
        """Await a mutation and audit it with its outcome code (shared with the workload operations)."""
        return await self._audited(action, target, name, request_id, operation, **detail)

    async def _audited(self, action: str, target: Target, name: str | None, request_id: str | None,
                       operation: Awaitable[Any], **detail: Any) -> Any:
        """Write ahead: the intent row is committed before `operation` (a not yet started request) is awaited,
        its outcome after; an error other than Kubernetes' own leaves the row as attempted (outcome unknown)."""
        try:
            entry = await self._audit.begin(action, request_id=request_id, name=name, detail=detail or None,
                                            **target.audit_fields())
        except BaseException:
            if inspect.iscoroutine(operation):
                operation.close()  # never sent
            raise
        try:
            result = await operation
        except KubeError as exc:
            await self._audit.finish(entry, int(code_for(exc)))
            raise
        await self._audit.finish(entry, 0)
        return result

    # -- reads ---------------------------------------------------------------------------------------
    async def list_objects(self, principal: Principal, cluster_id: int, resource: str, *,
                           namespace: str | None = None, label_selector: str | None = None,
                           field_selector: str | None = None, limit: int | None = None,
                           continue_token: str | None = None, query: str | None = None,
                           sort: str | None = None, table: bool = False, page: int = 1,
                           page_size: int | None = None) -> ListResult:
        """Objects or table rows of a kind; `total` counts matches before paging.

        Cached kinds answer from memory (unless a field selector or API-server chunking is asked for,
        or the cache is still syncing); everything else is a live list.
        """
        target = await self.resolve(principal, cluster_id, resource, namespace, Verb.READ)
        cache = None
        if not field_selector and not limit and not continue_token:
            cache = target.cluster.caches.for_reads(target.kind)
        if cache is not None:
            return self._list_cached(target, cache, label_selector=label_selector, query=query, sort=sort,
                                     table=table, page=page, page_size=page_size)
        params = {"labelSelector": label_selector or None, "fieldSelector": field_selector or None,
                  "limit": limit, "continue": continue_token or None}
        listing = await target.cluster.request("GET", target.kind.collection_path(target.namespace),
                                               params=params)
        spec = table_spec(target.kind)
        namespaced = target.kind.namespaced
        rows = [(row_of(spec, obj, namespaced=namespaced), obj)
                for obj in listing.get("items") or [] if self._visible(target, obj)]
        if query:
            needle = query.lower()
            rows = [(row, obj) for row, obj in rows if row_matches(row, needle)]
        if sort:
            row_key, descending = row_order(sort)
            rows.sort(key=lambda pair: row_key(pair[0]), reverse=descending)
        metadata = listing.get("metadata") or {}
        continue_token = metadata.get("continue") or None
        if limit or continue_token:
            total = len(rows) + int(metadata.get("remainingItemCount") or 0)
        else:
            total, rows = len(rows), page_slice(rows, page, page_size)
        if table:
            data: Any = {"columns": columns_of(spec, namespaced=namespaced), "rows": [row for row, _ in rows]}
        else:
            data = [self.present(target, self._complete_listed(target, obj)) for _, obj in rows]
        return ListResult(data, total, continue_token=continue_token)

    @staticmethod
    def _complete_listed(target: Target, obj: Obj) -> Obj:
        """List items carry no kind/apiVersion; clients want complete objects."""
        obj.setdefault("kind", target.kind.kind)
        obj.setdefault("apiVersion", target.kind.api_version)
        return obj

    def _list_cached(self, target: Target, cache: KindCache, *, label_selector: str | None, query: str | None,
                     sort: str | None, table: bool, page: int, page_size: int | None) -> ListResult:
        try:
            selector = parse_label_selector(label_selector)
        except SelectorError as exc:
            raise ApiError(ErrorCode.PARAM_INVALID, str(exc)) from None
        namespace = target.namespace
        grants = target.principal.namespace_grants
        is_namespace_kind = target.kind.name == "namespaces"
        needle = query.lower() if query else None
        ordered = cache.sorted_entries(sort)
        start = (page - 1) * page_size if page_size is not None else 0
        end = start + page_size if page_size is not None else len(ordered)
        if namespace is None and grants is None and selector is None and needle is None:
            shown, total = ordered[start:end], len(ordered)  # the common first-page case: no scan at all
        else:
            shown, total = [], 0
            for entry in ordered:
                if namespace is not None and entry.key[0] != namespace:
                    continue
                if grants is not None and (entry.key[1] if is_namespace_kind else entry.key[0]) not in grants:
                    continue
                if selector is not None and not selector(entry.row["labels"]):
                    continue
                if needle is not None and not row_matches(entry.row, needle):
                    continue
                if start <= total < end:
                    shown.append(entry)
                total += 1
        if table:
            spec = table_spec(target.kind)
            data: Any = {"columns": columns_of(spec, namespaced=target.kind.namespaced),
                         "rows": [entry.row for entry in shown]}
        else:
            data = [entry.fragment for entry in shown]
        return ListResult(data, total, source="cache", stale=cache.stale, confirmed_at=cache.confirmed_at)

    async def subscribe(self, principal: Principal, cluster_id: int, resource: str, *, namespace: str | None,
                        label_selector: str | None, table: bool,
                        deliver: Callable[[dict[str, Any]], None], name: str | None = None) -> Subscription:
        """Attach `deliver` to the kind's watch: it gets `{type, name, namespace, row|object}` events that
        pass the namespace, the object `name` (when given), label selector and the principal's grants (Secret
        values masked). With a label selector, an object whose labels change so that it stops matching
        arrives as `DELETED`."""
        target = await self.resolve(principal, cluster_id, resource, namespace, Verb.READ)
        try:
            selector = parse_label_selector(label_selector)
        except SelectorError as exc:
            raise ApiError(ErrorCode.PARAM_INVALID, str(exc)) from None
        cache = target.cluster.caches.cache_for(target.kind)
        grants = principal.namespace_grants
        is_namespace_kind = target.kind.name == "namespaces"
        access = target.value_access()
        wanted_namespace = target.namespace
        # With a selector: the keys whose last event matched, so that leaving the selection is an event too.
        selected: set[Key] = set()

        wanted_name = name

        def listener(event_type: str, entry: CacheEntry) -> None:
            entry_namespace, name = entry.key
            if wanted_namespace is not None and entry_namespace != wanted_namespace:
                return
            if wanted_name is not None and name != wanted_name:
                return
            if grants is not None and (name if is_namespace_kind else entry_namespace) not in grants:
                return
            if selector is not None:
                matches = selector(entry.row["labels"])
                if matches and event_type != "DELETED":
                    selected.add(entry.key)
                elif entry.key in selected or matches:
                    selected.discard(entry.key)
                    event_type = "DELETED"
                else:
                    return
            event: dict[str, Any] = {"type": event_type, "name": name, "namespace": entry_namespace or None}
            if table:
                event["row"] = entry.row
            elif access.masks:
                event["object"] = access.present(orjson.loads(entry.raw))
            else:
                event["object"] = entry.fragment
            deliver(event)

        cache.listeners.add(listener)
        # Once the first list is done the watch continues from its resourceVersion: nothing is missed after
        # `subscribe` returns. A cluster that is slow to list still gets the subscription (synced false).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(cache.synced_event.wait(), SUBSCRIBE_SYNC_TIMEOUT_S)
        if selector is not None:
            selected.update(await self._selected_keys(target, cache, label_selector, selector))
        return Subscription(cache, listener)

    @staticmethod
    async def _selected_keys(target: Target, cache: KindCache, label_selector: str | None,
                             selector: Predicate) -> set[Key]:
        """Keys of the objects a label selector matches now: from memory, or listed when the kind is not stored."""
        if cache.store:
            return {key for key, entry in cache.entries.items() if selector(entry.row["labels"])}
        listing = await target.cluster.request("GET", target.kind.collection_path(target.namespace),
                                               params={"labelSelector": label_selector})
        return {object_key(item) for item in listing.get("items") or []}

    async def get_object(self, principal: Principal, cluster_id: int, resource: str, name: str, *,
                         namespace: str | None = None, reveal: bool = False,
                         request_id: str | None = None) -> ObjectResult:
        """One object (from the cache when it has it); secrets revealed only with `reveal` (audited)."""
        target = await self.resolve(principal, cluster_id, resource, namespace, Verb.READ)
        self._require_namespace(target)
        if target.kind.name == "namespaces" and not principal.can_see_namespace(name):
            # The rule that filters namespace lists to the grants, for a Namespace asked for by name.
            raise ApiError(ErrorCode.NAMESPACE_FORBIDDEN, f"no access to namespace {name!r}")
        access = target.value_access()
        if reveal and access.masks:
            self.authorize(principal, target.cluster, target.kind, target.namespace, Verb.REVEAL)
        cache = target.cluster.caches.for_reads(target.kind)
        entry = cache.get(target.namespace, name) if cache is not None else None
        if entry is not None:  # never a Secret: their caches store nothing (`NEVER_STORED`)
            return ObjectResult(entry.fragment, source="cache", stale=cache.stale, confirmed_at=cache.confirmed_at)
        obj = await target.cluster.request("GET", target.kind.object_path(name, target.namespace))
        if reveal and access.masks:
            self._record("secret.reveal", target, name, 0, request_id)
        return ObjectResult(access.present(obj, reveal=reveal))

    @staticmethod
    def _require_namespace(target: Target) -> None:
        if target.kind.namespaced and not target.namespace:
            raise ApiError(ErrorCode.PARAM_MISSING, f"namespace is required for {target.kind.name}")

    # -- writes --------------------------------------------------------------------------------------
    def _body_namespace(self, target: Target, body: Obj) -> Target:
        """Reconcile the namespace of the URL with the manifest's (and the kind)."""
        if not isinstance(body, dict) or not isinstance(body.get("metadata"), dict):
            raise ApiError(ErrorCode.PARAM_INVALID, "body must be a Kubernetes object with metadata")
        body_ns = body["metadata"].get("namespace")
        if not target.kind.namespaced:
            return target
        if target.namespace and body_ns and body_ns != target.namespace:
            raise ApiError(ErrorCode.PARAM_INVALID,
                           f"metadata.namespace {body_ns!r} differs from namespace {target.namespace!r}")
        namespace = target.namespace or body_ns or "default"
        body["metadata"]["namespace"] = namespace
        self.authorize(target.principal, target.cluster, target.kind, namespace, Verb.WRITE)
        return dataclasses.replace(target, namespace=namespace)

    def _complete(self, target: Target, body: Obj) -> None:
        body.setdefault("apiVersion", target.kind.api_version)
        body.setdefault("kind", target.kind.kind)

    async def create_object(self, principal: Principal, cluster_id: int, resource: str, body: Obj, *,
                            namespace: str | None = None, dry_run: bool = False,
                            request_id: str | None = None) -> Obj:
        """POST a new object."""
        target = await self.resolve(principal, cluster_id, resource, namespace, Verb.WRITE)
        await check_manifest_body(body)
        target = self._body_namespace(target, body)
        self._complete(target, body)
        name = body["metadata"].get("name") or body["metadata"].get("generateName")
        request = self._write(target, name, "POST", target.kind.collection_path(target.namespace), body=body,
                              params={"dryRun": "All" if dry_run else None, "fieldManager": FIELD_MANAGER})
        created = await (request if dry_run else self._audited("resource.create", target, name, request_id,
                                                               request))
        return self.present(target, created)

    async def replace_object(self, principal: Principal, cluster_id: int, resource: str, name: str, body: Obj,
                             *, namespace: str | None = None, dry_run: bool = False,
                             request_id: str | None = None) -> Obj:
        """PUT a whole object (its resourceVersion guards against lost updates → 40901)."""
        target = await self.resolve(principal, cluster_id, resource, namespace, Verb.WRITE)
        await check_manifest_body(body)
        target = self._body_namespace(target, body)
        self._complete(target, body)
        body_name = body["metadata"].get("name")
        if body_name and body_name != name:
            raise ApiError(ErrorCode.PARAM_INVALID, f"metadata.name {body_name!r} differs from {name!r}")
        body["metadata"]["name"] = name
        path = target.kind.object_path(name, target.namespace)
        current = None
        if target.value_access().masks:
            current = await target.cluster.request("GET", path)
            unmask_secret(body, current)
        request = self._write(target, name, "PUT", path, current=current, body=body,
                              params={"dryRun": "All" if dry_run else None, "fieldManager": FIELD_MANAGER})
        replaced = await (request if dry_run else self._audited("resource.update", target, name, request_id,
                                                                request))
        return self.present(target, replaced)

    async def patch_object(self, principal: Principal, cluster_id: int, resource: str, name: str, *,
                           patch_type: str, patch: Any, namespace: str | None = None,
                           request_id: str | None = None) -> Obj:
        """PATCH with a merge, strategic-merge or JSON patch."""
        if patch_type not in PATCH_CONTENT_TYPES:
            raise ApiError(ErrorCode.PARAM_INVALID, f"type must be one of {', '.join(PATCH_CONTENT_TYPES)}")
        if patch_type == "json":
            _check_json_patch(patch)
        elif not isinstance(patch, dict):
            raise ApiError(ErrorCode.PARAM_INVALID, f"a {patch_type} patch is an object")
        target = await self.resolve(principal, cluster_id, resource, namespace, Verb.WRITE)
        self._require_namespace(target)
        target.value_access().check_patch(patch_type, patch)
        patched = await self._audited(
            "resource.patch", target, name, request_id,
            self._write(target, name, "PATCH", target.kind.object_path(name, target.namespace), body=patch,
                        content_type=PATCH_CONTENT_TYPES[patch_type], params={"fieldManager": FIELD_MANAGER}),
            patchType=patch_type,
        )
        return self.present(target, patched)

    async def delete_object(self, principal: Principal, cluster_id: int, resource: str, name: str, *,
                            namespace: str | None = None, propagation: str | None = None,
                            grace_period_s: int | None = None, request_id: str | None = None) -> None:
        """DELETE with an optional propagation policy and grace period (0 = immediately)."""
        if propagation and propagation not in PROPAGATION_POLICIES:
            raise ApiError(ErrorCode.PARAM_INVALID,
                           f"propagationPolicy must be one of {', '.join(PROPAGATION_POLICIES)}")
        target = await self.resolve(principal, cluster_id, resource, namespace, Verb.DELETE)
        self._require_namespace(target)
        await self._audited(
            "resource.delete", target, name, request_id,
            target.cluster.request("DELETE", target.kind.object_path(name, target.namespace),
                                   params={"propagationPolicy": propagation,
                                           "gracePeriodSeconds": grace_period_s}),
            propagationPolicy=propagation, gracePeriodSeconds=grace_period_s,
        )

    # -- dry run -------------------------------------------------------------------------------------
    async def dry_run(self, principal: Principal, cluster_id: int, resource: str, body: Obj, *,
                      name: str | None = None, namespace: str | None = None) -> Obj:
        """Ask the API server to validate a create (no `name`) or update; return the diff and causes."""
        target = await self.resolve(principal, cluster_id, resource, namespace, Verb.WRITE)
        await check_manifest_body(body)
        target = self._body_namespace(target, body)
        self._complete(target, body)
        current = None
        if name is not None:
            current = await target.cluster.request("GET", target.kind.object_path(name, target.namespace))
            body["metadata"]["name"] = name
            if target.value_access().masks:
                unmask_secret(body, current)
        try:
            if name is None:
                proposed = await self._write(
                    target, None, "POST", target.kind.collection_path(target.namespace), body=body,
                    params={"dryRun": "All", "fieldManager": FIELD_MANAGER})
            else:
                proposed = await self._write(
                    target, name, "PUT", target.kind.object_path(name, target.namespace), current=current, body=body,
                    params={"dryRun": "All", "fieldManager": FIELD_MANAGER})
        except InvalidError as exc:
            return {"valid": False, "message": exc.message, "causes": exc.causes,
                    "current": self._shown(target, current), "proposed": None, "diff": ""}
        label = f"{target.kind.name}/{body['metadata'].get('name') or body['metadata'].get('generateName', '')}"
        shown_current, shown_proposed = self._shown(target, current), self._shown(target, proposed)
        return {
            "valid": True, "message": "valid", "causes": [], "current": shown_current, "proposed": shown_proposed,
            # YAML of two objects of up to 2 MiB and their diff: seconds of CPU, so not on the event loop.
            "diff": await off_loop(unified_diff, shown_current, shown_proposed, label),
        }

    def _shown(self, target: Target, obj: Obj | None) -> Obj | None:
        return None if obj is None else self.present(target, obj)

    # -- apply ---------------------------------------------------------------------------------------
    async def apply_yaml(self, principal: Principal, cluster_id: int, text: str, *, dry_run: bool = False,
                         namespace: str | None = None, request_id: str | None = None) -> list[Obj]:
        """Server-side apply of every document; each reports its own outcome.

        Whoever may not write anything on the cluster is refused before the YAML is parsed; parsing runs in
        a worker thread within the limits of `kube/manifests.py`.
        """
        if not principal.can_see_cluster(cluster_id):
            raise ApiError(ErrorCode.CLUSTER_FORBIDDEN, f"no access to cluster {cluster_id}")
        cluster = self.clusters.get(cluster_id)
        if not principal.may_write_somewhere():
            raise ApiError(ErrorCode.FORBIDDEN, f"role {principal.role} may not write anything, so it may not apply")
        manifests = await load_manifests(text)
        if not manifests:
            raise ApiError(ErrorCode.MANIFEST_INVALID, "no documents in the YAML")
        results = []
        for index, manifest in enumerate(manifests):
            results.append(await self._apply_one(principal, cluster, index, manifest.line, manifest.document,
                                                 dry_run=dry_run, namespace=namespace, request_id=request_id))
        return results

    async def _apply_one(self, principal: Principal, cluster: Cluster, index: int, line: int, document: Any, *,
                         dry_run: bool, namespace: str | None, request_id: str | None) -> Obj:
        result: Obj = {"index": index, "line": line, "kind": None, "apiVersion": None, "namespace": None,
                       "name": None}
        try:
            if not isinstance(document, dict) or not _text(document.get("kind")) or \
                    not _text(document.get("apiVersion")):
                raise ApiError(ErrorCode.MANIFEST_INVALID, "document needs apiVersion and kind (strings)")
            metadata = document.get("metadata")
            if not isinstance(metadata, dict) or not _text(metadata.get("name")):
                raise ApiError(ErrorCode.MANIFEST_INVALID, "document needs metadata.name (a string)")
            if metadata.get("namespace") is not None and not isinstance(metadata["namespace"], str):
                raise ApiError(ErrorCode.MANIFEST_INVALID, "metadata.namespace must be a string")
            result.update(kind=document["kind"], apiVersion=document["apiVersion"], name=metadata["name"])
            # Applied at the document's own version (autoscaling/v2beta2 beside a preferred autoscaling/v1).
            group, _, version = document["apiVersion"].rpartition("/")
            registry = await cluster.registry()
            kind = registry.find(group, document["kind"], version) or (await cluster.registry(refresh=True)).find(
                group, document["kind"], version)
            if kind is None:
                raise ApiError(ErrorCode.PARAM_INVALID,
                               f"the cluster does not serve {document['apiVersion']} {document['kind']}")
            ns = (metadata.get("namespace") or namespace or "default") if kind.namespaced else None
            if ns:
                metadata["namespace"] = ns
            result["namespace"] = ns
            self.authorize(principal, cluster, kind, ns, Verb.WRITE)
            target = Target(principal=principal, cluster=cluster, kind=kind, namespace=ns)
            request = self._write(
                target, metadata["name"], "PATCH", kind.object_path(metadata["name"], ns),
                body=(await dump_yaml_off_loop(document)).encode(), content_type="application/apply-patch+yaml",
                params={"fieldManager": FIELD_MANAGER, "dryRun": "All" if dry_run else None})
            applied = await (request if dry_run else self._audited("resource.apply", target, metadata["name"],
                                                                   request_id, request))
            result.update(code=0, message="dry-run ok" if dry_run else "applied",
                          resourceVersion=(applied.get("metadata") or {}).get("resourceVersion"))
        except (ApiError, CodedError) as exc:
            error = api_error_for(exc)
            causes = error.data.get("causes") if isinstance(error.data, dict) else None
            result.update(code=int(error.code), message=error.message, causes=causes or None)
        return result

    # -- batch ---------------------------------------------------------------------------------------
    @staticmethod
    def _check_batch(items: Any, key: str) -> list[Obj]:
        if not isinstance(items, list) or not items:
            raise ApiError(ErrorCode.PARAM_MISSING, "items must be a non-empty list")
        if len(items) > BATCH_LIMIT:
            raise ApiError(ErrorCode.PARAM_INVALID, f"at most {BATCH_LIMIT} items per batch")
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get(key), str) or not isinstance(
                    item.get("name"), str) or not isinstance(item.get("namespace") or "", str):
                raise ApiError(ErrorCode.PARAM_INVALID,
                               f"each item needs string {key!r} and 'name' (and 'namespace', if any)")
        return items

    async def _batch(self, items: list[Obj], key: str,
                     action: Callable[[Obj], Awaitable[None]]) -> list[Obj]:
        results = []
        for item in items:
            outcome = {key: item[key], "namespace": item.get("namespace"), "name": item["name"],
                       "code": 0, "message": "success"}
            try:
                await action(item)
            except (ApiError, CodedError) as exc:
                error = api_error_for(exc)
                outcome.update(code=int(error.code), message=error.message)
            results.append(outcome)
        return results

    async def batch_delete(self, principal: Principal, cluster_id: int, items: Any, *,
                           request_id: str | None = None) -> list[Obj]:
        """Delete each item on its own; per-item codes."""
        checked = self._check_batch(items, "resource")
        return await self._batch(checked, "resource", lambda item: self.delete_object(
            principal, cluster_id, item["resource"], item["name"], namespace=item.get("namespace"),
            request_id=request_id))

    async def batch_restart(self, principal: Principal, cluster_id: int, items: Any, *,
                            request_id: str | None = None) -> list[Obj]:
        """Restart each workload on its own; per-item codes."""
        checked = self._check_batch(items, "kind")
        return await self._batch(checked, "kind", lambda item: self.restart_workload(
            principal, cluster_id, item["kind"], item["name"], namespace=item.get("namespace"),
            request_id=request_id))

    async def restart_workload(self, principal: Principal, cluster_id: int, resource: str, name: str, *,
                               namespace: str | None, request_id: str | None = None) -> Obj:
        """Roll a Deployment/StatefulSet/DaemonSet by stamping its pod template (like kubectl rollout restart)."""
        target = await self.resolve(principal, cluster_id, resource, namespace, Verb.WRITE)
        if target.kind.name not in RESTARTABLE:
            raise ApiError(ErrorCode.PARAM_INVALID, f"{target.kind.name} cannot be restarted; "
                                                    f"use one of {', '.join(RESTARTABLE)}")
        self._require_namespace(target)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        patch = {"spec": {"template": {"metadata": {"annotations": {RESTART_ANNOTATION: stamp}}}}}
        patched = await self._audited(
            "workload.restart", target, name, request_id,
            target.cluster.request("PATCH", target.kind.object_path(name, target.namespace), body=patch,
                                   content_type=PATCH_CONTENT_TYPES["strategic"],
                                   params={"fieldManager": FIELD_MANAGER}))
        return self.present(target, patched)


__all__ = ["ListResult", "ObjectResult", "ResourceService", "Target"]


RESOURCES = web.AppKey("resources", ResourceService)
