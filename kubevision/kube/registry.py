"""The resource registry: every kind the cluster serves, found through API discovery.

One frozen `ResourceKind` describes a kind (group, preferred version, plural, scope, verbs,
subresources, sidebar category, capabilities, the views it takes part in, whether its values are masked and
whether the cache may store it); built-in kinds and CRDs are the same type, so CRUD, tables, caches,
watches and search treat them alike. `BUILTIN_KINDS` is the one table of what KubeVision knows about the
built-in kinds beyond discovery; the rest (scale, logs, exec) comes from discovery, once per discovery.
Versions always come from discovery (the group's preferred version), never from a hard-coded list, so old
and new clusters both work.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from kubevision.errors import CodedError, ErrorCode
from kubevision.kube.connection import KubeConnection
from kubevision.kube.crd_tables import crd_table, printer_columns
from kubevision.kube.errors import BadRequestError, KubeError
from kubevision.kube.helm import RELEASE_TABLE
from kubevision.kube.tables import TableSpec, columns_of, table_spec

log = logging.getLogger(__name__)


class Capability(enum.StrEnum):
    """What KubeVision can do with a kind besides read, write and delete (`ResourceKind.capabilities`)."""

    SCALE = "scale"  # discovery lists a `scale` subresource: PUT .../{kind}/{name}/scale
    RESTART = "restart"  # a pod template to stamp with `restartedAt`: POST .../{kind}/{name}/restart
    LOGS = "logs"  # discovery lists a `log` subresource on a built-in kind (pods): the log socket
    EXEC = "exec"  # discovery lists an `exec` subresource on a built-in kind (pods): the terminal
    AGGREGATED_LOGS = "aggregated_logs"  # merged logs of the pods its selector picks: .../{kind}/{name}/logs
    PORT_FORWARD = "port_forward"  # a local port forwarded to it (a pod, or a ready pod it selects): /port-forwards
    HELM = "helm"  # a Helm release (`releases.helm.sh`): history, values, diff, rollback, uninstall under /helm
    # Nodes, when discovery lists the pods' `eviction` subresource: cordon, then evict its pods (.../nodes/{name}/drain)
    DRAIN = "drain"
    METRICS = "metrics"  # CPU and memory sampled for it (kube/metrics.py): /clusters/{id}/metrics/...


class View(enum.StrEnum):
    """The cross-kind views a built-in kind takes part in (`ResourceKind.views`)."""

    OVERVIEW = "overview"  # readiness summarised on the cluster overview
    OVERVIEW_COUNT = "overview_count"  # only counted on the cluster overview
    NAMESPACE_SUMMARY = "namespace_summary"  # counted in the overview's summary of the current namespace
    SEARCH_LIVE = "search_live"  # searched by default with a live list (cached kinds are searched anyway)
    TOPOLOGY = "topology"  # read for the namespace topology
    TOPOLOGY_OWNER = "topology_owner"  # owns other topology nodes (added before the pods)
    TOPOLOGY_NAMES = "topology_names"  # read for the topology only to know which names exist (not decoded)
    RELATED_PODS = "related_pods"  # its detail page lists the pods its selector picks


# `sort=metrics.<field>` of a list of a kind with `Capability.METRICS` orders by the sampler's current value of that
# field (services/metrics.py): nodes by usage and % of allocatable, the other metered kinds by usage and % of their
# requests and limits.
METRIC_SORT_PREFIX = "metrics."
NODE_METRIC_FIELDS = ("cpu", "cpuOfAllocatable", "memory", "memoryOfAllocatable")
USAGE_METRIC_FIELDS = ("cpu", "cpuOfRequest", "cpuOfLimit", "memory", "memoryOfRequest", "memoryOfLimit")


@dataclasses.dataclass(frozen=True)
class BuiltinKind:
    """What KubeVision knows about a built-in kind beyond discovery."""

    category: str  # sidebar group
    _: dataclasses.KW_ONLY
    capabilities: frozenset[Capability] = frozenset()  # besides those discovery shows (scale, logs, exec)
    views: frozenset[View] = frozenset()
    sensitive: bool = False  # values are masked unless revealed (and never stored by the cache)
    storable: bool = True  # the cache may keep its objects (a sensitive kind never is)


_FORWARDED = frozenset({Capability.PORT_FORWARD})
_METERED = frozenset({Capability.METRICS})  # pods, and what sums their usage (a workload's pods, a node, a namespace)
_OWNER = frozenset({View.OVERVIEW, View.TOPOLOGY, View.TOPOLOGY_OWNER, View.RELATED_PODS})
# Deployments, StatefulSets and DaemonSets: a pod template to restart, a selector for aggregated logs.
_ROLLING_WORKLOAD = BuiltinKind("workloads", capabilities=_FORWARDED | _METERED | {Capability.RESTART,
                                                                                 Capability.AGGREGATED_LOGS},
                                views=_OWNER | {View.NAMESPACE_SUMMARY})
_NAMED_IN_TOPOLOGY = frozenset({View.SEARCH_LIVE, View.TOPOLOGY, View.TOPOLOGY_NAMES, View.NAMESPACE_SUMMARY})
# Every fact about the built-in kinds, by (group, plural), in sidebar order. The group also decides which API
# group owns a plural served by several (events: the core group, not events.k8s.io).
BUILTIN_KINDS: dict[tuple[str, str], BuiltinKind] = {
    ("", "pods"): BuiltinKind("workloads", capabilities=_FORWARDED | _METERED,
                              views=frozenset({View.OVERVIEW, View.TOPOLOGY, View.NAMESPACE_SUMMARY})),
    ("apps", "deployments"): _ROLLING_WORKLOAD,
    ("apps", "statefulsets"): _ROLLING_WORKLOAD,
    ("apps", "daemonsets"): _ROLLING_WORKLOAD,
    ("apps", "replicasets"): BuiltinKind("workloads", capabilities=_FORWARDED | _METERED, views=_OWNER),
    ("batch", "jobs"): BuiltinKind("workloads", capabilities=_METERED | {Capability.AGGREGATED_LOGS},
                                   views=_OWNER | {View.SEARCH_LIVE, View.NAMESPACE_SUMMARY}),
    ("batch", "cronjobs"): BuiltinKind("workloads", views=_OWNER - {View.RELATED_PODS} | {View.SEARCH_LIVE}),
    ("", "services"): BuiltinKind("network", capabilities=_FORWARDED,
                                  views=frozenset({View.OVERVIEW_COUNT, View.TOPOLOGY, View.RELATED_PODS,
                                                   View.NAMESPACE_SUMMARY})),
    ("networking.k8s.io", "ingresses"): BuiltinKind("network", views=frozenset({View.OVERVIEW_COUNT, View.TOPOLOGY})),
    ("", "endpoints"): BuiltinKind("network"),
    ("networking.k8s.io", "networkpolicies"): BuiltinKind("network"),
    ("autoscaling", "horizontalpodautoscalers"): BuiltinKind("config"),
    ("", "configmaps"): BuiltinKind("config", views=_NAMED_IN_TOPOLOGY),
    ("", "secrets"): BuiltinKind("config", views=_NAMED_IN_TOPOLOGY, sensitive=True),
    ("", "resourcequotas"): BuiltinKind("config"),
    ("", "limitranges"): BuiltinKind("config"),
    ("", "persistentvolumeclaims"): BuiltinKind("storage", views=frozenset({View.SEARCH_LIVE, View.TOPOLOGY})),
    ("", "persistentvolumes"): BuiltinKind("storage", views=frozenset({View.SEARCH_LIVE})),
    ("storage.k8s.io", "storageclasses"): BuiltinKind("storage", views=frozenset({View.SEARCH_LIVE})),
    ("", "nodes"): BuiltinKind("cluster", capabilities=_METERED, views=frozenset({View.OVERVIEW_COUNT})),
    ("", "namespaces"): BuiltinKind("cluster", capabilities=_METERED, views=frozenset({View.OVERVIEW_COUNT})),
    # Events are many and short-lived: their informers forward watch events but keep nothing.
    ("", "events"): BuiltinKind("cluster", storable=False),
    ("", "serviceaccounts"): BuiltinKind("access", views=frozenset({View.SEARCH_LIVE})),
    ("rbac.authorization.k8s.io", "roles"): BuiltinKind("access"),
    ("rbac.authorization.k8s.io", "rolebindings"): BuiltinKind("access"),
    ("rbac.authorization.k8s.io", "clusterroles"): BuiltinKind("access"),
    ("rbac.authorization.k8s.io", "clusterrolebindings"): BuiltinKind("access"),
}
_BUILTIN_ORDER = {key: index for index, key in enumerate(BUILTIN_KINDS)}
# Discovery's subresources that give a kind a capability.
DISCOVERED_CAPABILITIES = {"scale": Capability.SCALE, "log": Capability.LOGS, "exec": Capability.EXEC}
# The pods' subresource a drain evicts them through; nodes can be drained where the API server serves it.
EVICTION_SUBRESOURCE = "eviction"


def builtin_plurals(fact: View | Capability) -> tuple[str, ...]:
    """The built-in kinds (plurals, in sidebar order) that take part in a view or have a capability from the
    table (not those only discovery shows, such as scale)."""
    return tuple(plural for (_, plural), facts in BUILTIN_KINDS.items()
                 if fact in facts.views or fact in facts.capabilities)


CATEGORIES = ("workloads", "network", "config", "storage", "cluster", "access", "custom", "other")
CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


def path_segment(value: str, what: str) -> str:
    """A name or namespace as one URL path segment. Kubernetes refuses '.', '..' and names with '/' or '%', so
    do we: they would reach another URL (`../secrets/x` as a ConfigMap name reads a Secret, an empty name the
    whole collection). The rest is percent-encoded ('#' and '?' would end the path)."""
    if value in ("", ".", "..") or "/" in value or "%" in value:
        raise BadRequestError(f"{what} {value!r} must not be empty, '.' or '..' nor contain '/' or '%'", status=400)
    return quote(value, safe="")


@dataclasses.dataclass(frozen=True, kw_only=True)
class ResourceKind:
    """One kind served by a cluster (at its preferred version)."""

    plural: str
    kind: str
    group: str
    version: str
    namespaced: bool
    verbs: frozenset[str]
    subresources: frozenset[str] = frozenset()
    short_names: tuple[str, ...] = ()
    category: str = "other"
    custom: bool = False
    builtin: bool = False  # one of `BUILTIN_KINDS`, in its own group
    capabilities: frozenset[Capability] = frozenset()
    views: frozenset[View] = frozenset()
    sensitive: bool = False  # values masked unless revealed (Secrets)
    storable: bool = True  # the cache may keep its objects (never for a sensitive kind)
    name: str = ""  # the id used in URLs: the plural, or plural.group when ambiguous
    served_versions: tuple[str, ...] = ()  # every version of the group that serves it, preferred first
    table: TableSpec | None = None  # a custom resource's printer columns at `version` (see `kube/crd_tables.py`)
    # Listed by KubeVision from other kinds' objects, not served by the API server (Helm releases, from their
    # records: `kube/helm_cache.py`); always answered from its cache, always named `plural.group`.
    derived: bool = False
    # (subresource, apiVersion) where discovery serves a subresource in another group version (pods/eviction is
    # policy/v1beta1 on 1.20 and policy/v1 from 1.22).
    subresource_versions: tuple[tuple[str, str], ...] = ()

    @property
    def api_version(self) -> str:
        """`v1` or `group/version`, as in manifests."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def metric_sorts(self) -> tuple[str, ...]:
        """The `metrics.*` ids `sort` accepts for this kind's lists: none without `Capability.METRICS`."""
        if Capability.METRICS not in self.capabilities:
            return ()
        fields = NODE_METRIC_FIELDS if (self.group, self.plural) == ("", "nodes") else USAGE_METRIC_FIELDS
        return tuple(METRIC_SORT_PREFIX + field for field in fields)

    @property
    def qualified(self) -> str:
        """`plural.group` (just the plural for the core group)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def subresource_api_version(self, subresource: str) -> str | None:
        """The apiVersion discovery gives a subresource's objects (None when it names none)."""
        return dict(self.subresource_versions).get(subresource)

    def collection_path(self, namespace: str | None = None) -> str:
        """The URL of the collection, in one namespace or across all."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            return f"{base}/namespaces/{path_segment(namespace, 'namespace')}/{self.plural}"
        return f"{base}/{self.plural}"

    def object_path(self, name: str, namespace: str | None = None, subresource: str | None = None) -> str:
        """The URL of one object (or one of its subresources)."""
        path = f"{self.collection_path(namespace)}/{path_segment(name, 'name')}"
        return f"{path}/{subresource}" if subresource else path

    def describe(self, *, cached: bool, allowed: Iterable[str]) -> dict[str, Any]:
        """The JSON shape used by `/clusters/{id}/kinds`: `cached` (reads answered from memory) and `allowed`
        (what the caller may do with the kind) are decided by the caller of this."""
        return {
            "name": self.name, "kind": self.kind, "group": self.group, "version": self.version,
            "apiVersion": self.api_version, "namespaced": self.namespaced, "verbs": sorted(self.verbs),
            "subresources": sorted(self.subresources), "shortNames": list(self.short_names),
            "category": self.category, "custom": self.custom, "builtin": self.builtin,
            "capabilities": sorted(self.capabilities), "views": sorted(self.views), "sensitive": self.sensitive,
            "storable": self.storable, "derived": self.derived, "cached": cached,
            "columns": columns_of(table_spec(self), namespaced=self.namespaced), "allowed": sorted(allowed),
        }


# Helm 3 releases: one row per release, from the Secrets and ConfigMaps Helm stores its revisions in
# (`kube/helm.py`). Its own group keeps it apart from Flux's `helmreleases.helm.toolkit.fluxcd.io`.
HELM_RELEASES = ResourceKind(
    plural="releases", kind="Release", group="helm.sh", version="v1", namespaced=True,
    verbs=frozenset({"get", "list", "watch"}), category="workloads", capabilities=frozenset({Capability.HELM}),
    sensitive=False, storable=True, derived=True, table=RELEASE_TABLE, served_versions=("v1",))


class UnknownResourceError(CodedError, LookupError):
    """The name matches no kind, or more than one."""

    error_code = ErrorCode.PARAM_INVALID


class AmbiguousResourceError(UnknownResourceError):
    """A bare plural, kind name or short name that several groups serve with none of them its owner: the caller
    names one as `plural.group` (the candidates ride along in the envelope's `data`)."""

    def __init__(self, name: str, candidates: Iterable[str]) -> None:
        self.candidates = sorted(candidates)
        super().__init__(f"resource type {name!r} is served by several API groups; name one of: "
                         f"{', '.join(self.candidates)}")

    def error_data(self) -> Any:
        """`{"candidates": ["plural.group", ...]}`."""
        return {"candidates": self.candidates}


class Registry:
    """The kinds of one cluster, looked up by plural, `plural.group`, kind or short name."""

    def __init__(self, kinds: Iterable[ResourceKind]) -> None:
        by_plural: dict[str, list[ResourceKind]] = {}
        for kind in kinds:
            if not kind.derived:  # a derived kind never takes a bare plural: it is always `plural.group`
                by_plural.setdefault(kind.plural, []).append(kind)
        owners = {plural: _owner(candidates) for plural, candidates in by_plural.items()}
        named = [dataclasses.replace(kind, name=kind.plural if owners.get(kind.plural) is kind and not kind.derived
                                     else kind.qualified) for kind in kinds]
        self.kinds = sorted(named, key=lambda k: (CATEGORIES.index(k.category),
                                                  _BUILTIN_ORDER.get((k.group, k.plural), len(_BUILTIN_ORDER))
                                                  if k.builtin else len(_BUILTIN_ORDER), k.name))
        # `plural.group` always names its kind; the bare names (URL ids) come next.
        self._by_name = {k.qualified: k for k in self.kinds} | {k.name: k for k in self.kinds}
        # Bare plurals, kind names and short names: the owner of each, or the candidates when it has none.
        claims: dict[str, list[ResourceKind]] = {}
        for kind in self.kinds:
            bare = () if kind.derived else (kind.plural,)
            for alias in dict.fromkeys((*bare, kind.kind.lower(), *(short.lower() for short in kind.short_names))):
                claims.setdefault(alias, []).append(kind)
        self._aliases: dict[str, ResourceKind] = {}
        self._ambiguous: dict[str, list[str]] = {}
        for alias, claimants in claims.items():
            owner = _owner(claimants)
            if owner is not None:
                self._aliases[alias] = owner
            else:
                self._ambiguous[alias] = [kind.qualified for kind in claimants]

    def lookup(self, name: str) -> ResourceKind:
        """The kind called `name`: its `plural.group`, its URL name, or a bare plural, kind name or short name
        that one kind owns (`_owner`); raises `UnknownResourceError`, or `AmbiguousResourceError` for a bare name
        that several groups serve without an owner."""
        key = name.strip().lower()
        kind = self._by_name.get(key) or self._aliases.get(key)
        if kind is not None:
            return kind
        if key in self._ambiguous:
            raise AmbiguousResourceError(name, self._ambiguous[key])
        raise UnknownResourceError(f"unknown resource type {name!r}")

    def find(self, group: str, kind_name: str, version: str | None = None) -> ResourceKind | None:
        """The kind for a manifest's apiVersion and kind: at that version when the cluster serves it there
        (None when it does not), or at the preferred version when `version` is None."""
        for kind in self.kinds:
            if kind.group == group and kind.kind == kind_name:
                if version is None or version == kind.version:
                    return kind
                return dataclasses.replace(kind, version=version) if version in kind.served_versions else None
        return None

    def __iter__(self):
        return iter(self.kinds)


def _owner_rank(kind: ResourceKind) -> int:
    """How strongly a kind owns a bare name it shares: a built-in kind in its own group (`BUILTIN_KINDS`: events
    in the core group, ingresses in networking.k8s.io), then the core group, then another group Kubernetes
    itself serves (no dot, or `*.k8s.io`, and no CRD), then the rest (CRDs, aggregated APIs, derived kinds)."""
    if kind.builtin:
        return 0
    if kind.group == "":
        return 1
    if not kind.custom and not kind.derived and ("." not in kind.group or kind.group.endswith(".k8s.io")):
        return 2
    return 3


def _owner(candidates: list[ResourceKind]) -> ResourceKind | None:
    """The one kind a bare name shared by `candidates` means: the only candidate, or the one strongest owner
    (`_owner_rank`); None when two share the strongest rank (two CRD groups serving `widgets`)."""
    if len(candidates) == 1:
        return candidates[0]
    strongest = min(_owner_rank(kind) for kind in candidates)
    owners = [kind for kind in candidates if _owner_rank(kind) == strongest]
    return owners[0] if len(owners) == 1 else None


def _kinds_in(resource_list: dict[str, Any], group: str, version: str,
              crds: dict[tuple[str, str], dict[str, Any]]) -> list[ResourceKind]:
    entries = resource_list.get("resources") or []
    subresources: dict[str, set[str]] = {}
    subresource_versions: dict[str, list[tuple[str, str]]] = {}
    for entry in entries:
        if "/" in entry["name"]:
            parent, sub = entry["name"].split("/", 1)
            subresources.setdefault(parent, set()).add(sub)
            if entry.get("version"):
                sub_version = f"{entry['group']}/{entry['version']}" if entry.get("group") else entry["version"]
                subresource_versions.setdefault(parent, []).append((sub, sub_version))
    kinds = []
    for entry in entries:
        plural = entry["name"]
        verbs = frozenset(entry.get("verbs") or [])
        if "/" in plural or not verbs & {"get", "list"}:
            continue
        crd = crds.get((group, plural))
        custom = crd is not None
        kind_subresources = frozenset(subresources.get(plural, ()))
        builtin = (group, plural) in BUILTIN_KINDS
        facts = BUILTIN_KINDS.get((group, plural)) or BuiltinKind("custom" if custom else "other")
        if (group, plural) == ("", "nodes") and EVICTION_SUBRESOURCE in subresources.get("pods", ()):
            facts = dataclasses.replace(facts, capabilities=facts.capabilities | {Capability.DRAIN})
        kinds.append(ResourceKind(
            plural=plural, kind=entry["kind"], group=group, version=version,
            namespaced=bool(entry.get("namespaced")), verbs=verbs, subresources=kind_subresources,
            short_names=tuple(entry.get("shortNames") or ()), category=facts.category, custom=custom,
            builtin=builtin, capabilities=_capabilities(facts, kind_subresources, builtin=builtin),
            views=facts.views, sensitive=facts.sensitive, storable=facts.storable and not facts.sensitive,
            table=_crd_table(crd, version) if crd is not None else None,
            subresource_versions=tuple(sorted(subresource_versions.get(plural, ()))),
        ))
    return kinds


def _crd_table(crd: dict[str, Any], version: str) -> TableSpec | None:
    """The table of a CRD's version: its printer columns, or None (the generic Name/Age) when it declares none."""
    columns = printer_columns(crd, version)
    return crd_table(columns) if columns else None


def _capabilities(facts: BuiltinKind, subresources: frozenset[str], *, builtin: bool) -> frozenset[Capability]:
    """The table's capabilities plus those discovery shows: `scale` on any kind; `log` and `exec` on built-in ones
    (the log and terminal sockets serve pods)."""
    found = {capability for subresource, capability in DISCOVERED_CAPABILITIES.items()
             if subresource in subresources and (builtin or capability is Capability.SCALE)}
    return facts.capabilities | found


async def discover(connection: KubeConnection) -> tuple[Registry, list[dict[str, Any]]]:
    """Ask the API server for every group version and its kinds (preferred version first); list the CRDs."""
    core, groups = await asyncio.gather(
        connection.request("GET", "/api/v1"), connection.request("GET", "/apis")
    )
    try:
        crds = (await connection.request("GET", CRD_PATH)).get("items", [])
    except KubeError as exc:  # the credentials may not list CRDs; they are still browsable
        log.info("cluster %s: cannot list CRDs (%s)", connection.cluster_name, exc)
        crds = []
    by_resource = {(c["spec"]["group"], c["spec"]["names"]["plural"]): c for c in crds}

    async def version_kinds(group: str, version: str) -> list[ResourceKind]:
        try:
            listing = await connection.request("GET", f"/apis/{group}/{version}")
        except KubeError as exc:  # an unavailable aggregated API must not hide the rest
            log.warning("cluster %s: discovery of %s/%s failed: %s",
                        connection.cluster_name, group, version, exc)
            return []
        return _kinds_in(listing, group, version, by_resource)

    # Every served version is read: a kind may exist only in a non-preferred one (batch/v1beta1
    # CronJobs on 1.20). The preferred version wins, then the order the server lists versions in.
    ordered: list[tuple[str, str]] = []
    for group in groups.get("groups", []):
        preferred = (group.get("preferredVersion") or group["versions"][0])["version"]
        versions = [preferred] + [v["version"] for v in group["versions"] if v["version"] != preferred]
        ordered.extend((group["name"], version) for version in versions)
    per_version = await asyncio.gather(*(version_kinds(g, v) for g, v in ordered))
    served: dict[tuple[str, str], list[str]] = {}
    first: dict[tuple[str, str], ResourceKind] = {}
    for found in per_version:
        for kind in found:
            served.setdefault((kind.group, kind.plural), []).append(kind.version)
            first.setdefault((kind.group, kind.plural), kind)
    kinds = [dataclasses.replace(kind, served_versions=("v1",)) for kind in _kinds_in(core, "", "v1", by_resource)]
    kinds.extend(dataclasses.replace(kind, served_versions=tuple(served[key])) for key, kind in first.items())
    kinds.append(HELM_RELEASES)
    return Registry(kinds), crds
