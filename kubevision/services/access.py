"""The access scope: the one place that decides what a caller sees and may do with a kind.

Effective access = role verbs ∩ cluster grants ∩ namespace grants (SPEC §2). `Principal.allows` is the role
rule alone; everything that combines it with the grants — visibility of objects and namespaces, the verb
checks, and the presentation of what leaves the server (Secret values masked unless revealed) — is here,
in `AccessScope` (one caller, one cluster, one kind, one namespace or all) and in the cluster-level
functions below it. REST, lists, watch, search, overview, topology, events, logs, exec, batch, apply and
audit reads all ask a scope; nothing else reads `namespace_grants` or `cluster_grants`.

Why one object: the rule "a namespace-limited user sees only objects in its namespaces, the Namespace objects
of those names, and no cluster-scoped kind but Namespaces" was written five times before, and the copies
drifted. A scope is built once per request and kind (`AccessScope.open`) and answers every question about it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable
from typing import Any

from kubevision.auth.permissions import Principal, Verb
from kubevision.errors import ApiError, ErrorCode
from kubevision.kube.clusters import Cluster, ClusterManager
from kubevision.kube.masking import ValueAccess, is_secret_kind
from kubevision.kube.registry import ResourceKind, UnknownResourceError
from kubevision.services.context import RequestContext
from kubevision.store.audit import AuditScope

Obj = dict[str, Any]
NAMESPACES = "namespaces"
# A read may name several namespaces, comma-separated (`namespace=team-a,team-b`); at most this many.
MAX_SELECTED_NAMESPACES = 100


def parse_namespaces(namespace: str | None) -> tuple[str, ...]:
    """The namespaces a `namespace` parameter names: none (all), one, or several separated by commas (sorted,
    without repeats); 40002 past `MAX_SELECTED_NAMESPACES`."""
    names = sorted({name.strip() for name in (namespace or "").split(",")} - {""})
    if len(names) > MAX_SELECTED_NAMESPACES:
        raise ApiError(ErrorCode.PARAM_INVALID, f"at most {MAX_SELECTED_NAMESPACES} namespaces may be selected at "
                                                f"once ({len(names)} given)")
    return tuple(names)


def require_cluster(principal: Principal, cluster_id: int) -> None:
    """40301 unless the cluster grants include this cluster."""
    if not principal.can_see_cluster(cluster_id):
        raise ApiError(ErrorCode.CLUSTER_FORBIDDEN, f"no access to cluster {cluster_id}")


def visible_clusters(principal: Principal, clusters: Iterable[Cluster]) -> list[Cluster]:
    """The clusters the caller's cluster grants include."""
    return [cluster for cluster in clusters if principal.can_see_cluster(cluster.id)]


def namespace_limited(principal: Principal) -> bool:
    """Whether the caller's access is limited to some namespaces (it then sees no cluster-wide view)."""
    return principal.namespace_grants is not None


def granted_namespaces(principal: Principal) -> frozenset[str] | None:
    """The namespaces the caller is limited to, or None when it is not limited."""
    return principal.namespace_grants


def granted_clusters(principal: Principal) -> frozenset[int] | None:
    """The clusters the caller is limited to, or None when it is not limited."""
    return principal.cluster_grants


def audit_visibility(principal: Principal) -> AuditScope | None:
    """The audit rows the caller may read: None (every row) for admins and for callers without grants;
    otherwise their own rows and rows about the clusters and namespaces granted to them."""
    clusters, namespaces = granted_clusters(principal), granted_namespaces(principal)
    if principal.is_admin or (clusters is None and namespaces is None):
        return None
    return AuditScope(principal.user_id, clusters, namespaces)


async def lookup_kind(cluster: Cluster, resource: str) -> ResourceKind:
    """The kind, rediscovering once if unknown (a CRD may have just been created)."""
    try:
        return (await cluster.registry()).lookup(resource)
    except UnknownResourceError:
        return (await cluster.registry(refresh=True)).lookup(resource)


@dataclasses.dataclass(frozen=True, kw_only=True)
class AccessScope:
    """One caller's access to one kind of one cluster, in one namespace, in several (`selected`, for reads), or
    across all (`namespace` and `selected` None)."""

    context: RequestContext
    cluster: Cluster
    kind: ResourceKind
    namespace: str | None
    selected: frozenset[str] | None = None

    @classmethod
    async def open(cls, context: RequestContext, clusters: ClusterManager, cluster_id: int, resource: str, *,
                   namespace: str | None, verb: Verb) -> AccessScope:
        """Find the cluster and the kind, and check the caller may do `verb` there (40301/40302/40300).
        Several namespaces (comma-separated) may be named for reading only (40002 otherwise)."""
        require_cluster(context.caller, cluster_id)
        cluster = clusters.get(cluster_id)
        kind = await lookup_kind(cluster, resource)
        scope = cls.of(context, cluster, kind, namespace=namespace)
        if scope.selected is not None and verb is not Verb.READ:
            raise ApiError(ErrorCode.PARAM_INVALID, f"a change names one namespace, not several ({namespace!r})")
        scope.require(verb)
        return scope

    @classmethod
    def of(cls, context: RequestContext, cluster: Cluster, kind: ResourceKind, *,
           namespace: str | None) -> AccessScope:
        """A scope for a kind already looked up (no check made yet); `namespace` may name several."""
        names = parse_namespaces(namespace) if kind.namespaced else ()
        return cls(context=context, cluster=cluster, kind=kind, namespace=names[0] if len(names) == 1 else None,
                   selected=frozenset(names) if len(names) > 1 else None)

    def for_kind(self, kind: ResourceKind, *, namespace: str | None = None) -> AccessScope:
        """The same caller and cluster for another kind (in this scope's namespaces unless one is given)."""
        return AccessScope.of(self.context, self.cluster, kind, namespace=namespace or self.namespace_parameter)

    @property
    def namespace_parameter(self) -> str | None:
        """The namespace selection as a client names it: one, several comma-separated, or None for all."""
        return ",".join(sorted(self.selected)) if self.selected else self.namespace

    @property
    def principal(self) -> Principal:
        """The caller."""
        return self.context.caller

    # -- authorization -------------------------------------------------------------------------------
    def require(self, verb: Verb, *, namespace: str | None = None) -> None:
        """Raise 40301/40302/40300 unless the caller may do `verb` here (in `namespace` when given).

        Cluster-scoped kinds, and a namespaced kind across all namespaces, need unrestricted namespaces;
        the one exception is reading Namespaces, which lists only the granted ones (see `sees`).
        """
        principal = self.principal
        require_cluster(principal, self.cluster.id)
        namespaces = [namespace] if namespace else [self.namespace] if self.namespace else sorted(self.selected or ())
        if self.kind.namespaced and namespaces:
            for each in namespaces:
                if not principal.can_see_namespace(each):
                    raise ApiError(ErrorCode.NAMESPACE_FORBIDDEN, f"no access to namespace {each!r}")
        elif namespace_limited(principal) and not (self.kind.name == NAMESPACES and verb is Verb.READ):
            if not self.kind.namespaced:
                raise ApiError(ErrorCode.NAMESPACE_FORBIDDEN,
                               f"{self.kind.name} are cluster-scoped; your access is limited to namespaces")
            if verb is not Verb.READ:
                raise ApiError(ErrorCode.NAMESPACE_FORBIDDEN, "name a namespace you have access to")
        if not principal.allows(self.kind.name, verb, cluster_scoped=not self.kind.namespaced):
            raise ApiError(ErrorCode.FORBIDDEN, f"role {principal.role} may not {verb} {self.kind.name}")

    def may(self, verb: Verb, *, namespace: str | None = None) -> bool:
        """Whether `require(verb)` would pass."""
        try:
            self.require(verb, namespace=namespace)
        except ApiError:
            return False
        return True

    def require_object(self, name: str) -> None:
        """40302 for a Namespace object outside the grants, asked for by name (lists filter them out)."""
        if self.kind.name == NAMESPACES and not self.sees_key((None, name)):
            raise ApiError(ErrorCode.NAMESPACE_FORBIDDEN, f"no access to namespace {name!r}")

    def require_namespace(self) -> None:
        """40001 unless a namespaced kind names its one namespace (reads and changes of one object)."""
        if self.kind.namespaced and not self.namespace:
            raise ApiError(ErrorCode.PARAM_MISSING, f"one namespace is required for {self.kind.name}")

    # -- visibility ----------------------------------------------------------------------------------
    def sees_key(self, key: tuple[str | None, str]) -> bool:
        """Whether an object with this (namespace, name) is visible: in a granted namespace, or for the
        Namespace kind, named after one."""
        visible = self.key_filter()
        return visible is None or visible(key)

    def key_filter(self) -> Callable[[tuple[str | None, str]], bool] | None:
        """`sees_key` for scans of many keys (lists, watch events): a test with the grants looked up once, or
        None when every key is visible (the scan then skips it). A call costs a tenth of `sees_key`'s.
        A selection of several namespaces filters here too (one namespace is the caller's own test)."""
        grants = granted_namespaces(self.principal)
        if self.selected is not None:
            shown = self.selected if grants is None else self.selected & grants
            return lambda key: key[0] in shown
        if grants is None:
            return None
        if self.kind.name == NAMESPACES:
            return lambda key: key[1] in grants
        return lambda key: key[0] in grants

    def sees(self, obj: Obj) -> bool:
        """Whether a listed object is visible (see `sees_key`)."""
        metadata = obj.get("metadata") or {}
        return self.sees_key((metadata.get("namespace"), metadata.get("name") or ""))

    @property
    def filters_keys(self) -> bool:
        """Whether `sees_key` can be false (a fast path skips it otherwise)."""
        return namespace_limited(self.principal) or self.selected is not None

    def listed_namespaces(self) -> list[str | None]:
        """The namespaces a live list reads: this scope's one or its selection (those granted), else each granted
        one (sorted) for a namespaced kind when the caller is limited, else all of them at once (None)."""
        grants = granted_namespaces(self.principal)
        if self.namespace:
            return [self.namespace]
        if self.selected is not None:
            return sorted(self.selected if grants is None else self.selected & grants)
        if grants is not None and self.kind.namespaced:
            return list(sorted(grants))
        return [None]

    # -- presentation --------------------------------------------------------------------------------
    @functools.cached_property
    def values(self) -> ValueAccess:
        """The reveal decision for Secret values here, which every object shown passes through."""
        return ValueAccess(masks=is_secret_kind(self.kind), may_reveal=self.may(Verb.REVEAL))

    def present(self, obj: Obj, *, reveal: bool = False) -> Obj:
        """An object as the caller sees it: no managedFields, Secret values masked unless revealed (and allowed)."""
        return self.values.present(obj, reveal=reveal)

    def audit_fields(self) -> dict[str, Any]:
        """Columns of an audit row describing who acted, and on which cluster, namespace and kind."""
        return {**self.context.audit_fields(), "cluster_id": self.cluster.id, "namespace": self.namespace,
                "resource": self.kind.name}
