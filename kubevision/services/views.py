"""`ViewService`: read-only views across kinds — overview, search, topology, events, quota summary.

Why it is shaped this way:

- **Memory first, API server second.** Cached kinds (pods, nodes, deployments...) are read from the
  informer caches: rows for search (name, namespace, labels are already there), the compact JSON bytes
  for everything else. Kinds that are never cached (jobs, cronjobs, configmaps, secrets, events,
  quotas) are listed live, in parallel, with a timeout, so one slow kind cannot hold a page hostage.
  A cache that is still syncing is read through (and started, so the next call is from memory).
- **Grants filter everything.** Each kind is read through an `AccessScope` (services/access.py: role verbs ∩
  cluster ∩ namespace grants); a kind the caller may not read is left out rather than failing the
  whole view; a namespace-restricted caller's live lists go to their namespaces only (in parallel)
  and cached entries are filtered by the scope.
- **Derived facts are made once, objects are not decoded.** The overview needs per-pod requests, limits,
  phase and readiness, per-node capacity, per-workload readiness: each kind's `TableSpec.summary` makes them
  when the cache stores the object (`CacheEntry.summary`; equal pod facts are one interned tuple), so an
  overview of 100k pods decodes nothing — decoding them on the first call took seconds (never a second copy
  of the object — SPEC §5).
- **Topology: reads here, drawing in `services/topology.py`.** This service reads and authorizes the kinds;
  `TopologyBuilder` turns them into nodes and edges, with a node budget past which pods collapse into
  groups.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
from collections.abc import Awaitable, Iterable, Iterator
from decimal import Decimal
from typing import Any, TypeVar

import orjson
from aiohttp import web

from kubevision.auth.permissions import Verb
from kubevision.errors import ApiError, ErrorCode, code_for
from kubevision.kube.cache import KindCache
from kubevision.kube.clusters import Cluster, ClusterManager
from kubevision.kube.errors import KubeError
from kubevision.kube.quantities import as_bytes, as_cores, quantity_or_zero
from kubevision.kube.registry import HELM_RELEASES, ResourceKind, UnknownResourceError, View, builtin_plurals
from kubevision.kube.tables import NODE_RESOURCES, NodeFacts, metadata_of, row_of, table_spec
from kubevision.services.access import AccessScope, namespace_limited, require_cluster
from kubevision.services.context import RequestContext
from kubevision.services.metrics import MetricsService
from kubevision.services.search import SearchIndexes, SearchKeys, score, search_keys
from kubevision.services.topology import TOPOLOGY_KINDS, TOPOLOGY_NODE_BUDGET, TopologyBuilder

Obj = dict[str, Any]
Key = tuple[str, str]
T = TypeVar("T")

# A live list for a view gives up after this long (the view then fails with 50200, as any read).
LIVE_READ_TIMEOUT_S = 10.0
# Live kinds in a search are best effort: a slower kind is reported in meta.skipped, not waited for.
SEARCH_LIVE_TIMEOUT_S = 2.0
# The overview waits at most this long for the first round of a sampler it starts; no metrics is never an error.
METRICS_TIMEOUT_S = 3.0
RECENT_WARNINGS = 20
OVERVIEW_KINDS = builtin_plurals(View.OVERVIEW)
# Also counted in `data.counts` (cheap: cached by default).
EXTRA_COUNTED_KINDS = builtin_plurals(View.OVERVIEW_COUNT)
SEARCH_DEFAULT_LIMIT = 10
SEARCH_MAX_LIMIT = 100
SEARCH_MAX_QUERY_CHARS = 253
# Kinds searched live besides the cached ones: common lookups an operator types a name for. Secrets are
# matched on name, namespace and labels only, and nothing but those fields is returned.
SEARCH_LIVE_KINDS = builtin_plurals(View.SEARCH_LIVE)
# Custom resources are searched by default too, with bounded live lists: at most this many custom kinds (in the
# registry's order; the rest are named in meta.skipped), each list at most this many objects per namespace read.
SEARCH_MAX_CUSTOM_KINDS = 20
SEARCH_CUSTOM_LIST_LIMIT = 500
# Helm release statuses the overview calls out (`helm list --failed --pending`, and stuck uninstalls), and how
# many of those releases it names (the newest first; `attentionTotal` counts them all).
RELEASE_ATTENTION_STATUSES = ("failed", "pending-install", "pending-upgrade", "pending-rollback", "uninstalling")
RELEASES_CALLED_OUT = 20
EVENTS_DEFAULT_LIMIT = 200
EVENTS_MAX_LIMIT = 1000
TERMINAL_PHASES = ("Succeeded", "Failed")
POD_PHASES = ("Running", "Pending", "Succeeded", "Failed", "Unknown")

# -- reading kinds ---------------------------------------------------------------------------------------
@dataclasses.dataclass
class Read:
    """The visible objects of one kind: table rows plus the objects (raw JSON bytes from a cache, or dicts)."""

    kind: ResourceKind
    rows: list[Obj]
    raw: list[bytes | Obj]
    source: str
    stale: bool = False
    # What the overview counts of each object (`TableSpec.summary`; None for a kind without one): made once per
    # cached object, or here for a live list.
    summaries: list[Any] = dataclasses.field(default_factory=list)

    def objects(self) -> Iterator[Obj]:
        """Decoded objects, one at a time (cached bytes are decoded lazily)."""
        for item in self.raw:
            yield orjson.loads(item) if isinstance(item, bytes) else item


async def gather_all(coroutines: Iterable[Awaitable[T]]) -> list[T]:
    """Run concurrently; on the first failure cancel the rest and raise that failure (not a group)."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(c) for c in coroutines]  # type: ignore[arg-type]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]


def _event_time(event: Obj) -> str:
    """When an event last happened (to the second, so the timestamp formats compare alike)."""
    series = event.get("series") or {}
    stamp = (event.get("lastTimestamp") or series.get("lastObservedTime") or event.get("eventTime")
             or (event.get("metadata") or {}).get("creationTimestamp") or "")
    return stamp[:19]


def compact_event(event: Obj) -> Obj:
    """The fields an events list shows."""
    metadata = event.get("metadata") or {}
    involved = event.get("involvedObject") or {}
    source = event.get("source") or {}
    return {
        "name": metadata.get("name"), "namespace": metadata.get("namespace"), "type": event.get("type"),
        "reason": event.get("reason"), "message": event.get("message"), "count": event.get("count") or 1,
        "firstSeen": event.get("firstTimestamp") or event.get("eventTime") or metadata.get("creationTimestamp"),
        "lastSeen": event.get("lastTimestamp") or (event.get("series") or {}).get("lastObservedTime")
        or event.get("eventTime") or metadata.get("creationTimestamp"),
        "involvedObject": {k: involved.get(k) for k in ("kind", "name", "namespace", "uid")},
        "source": source.get("component") or event.get("reportingController"),
    }


# -- overview helpers ------------------------------------------------------------------------------------
async def _section(failures: dict[str, KubeError], name: str, read: Awaitable[T]) -> T | None:
    """One section of the overview: a Kubernetes failure is kept in `failures` and the section left out."""
    try:
        return await read
    except KubeError as exc:
        failures[name] = exc
        return None


def _workload_summary(read: Read) -> Obj:
    """{total, ready, notReady} plus per-kind detail (jobs: states; cronjobs: suspended/active), from the summaries
    (`TableSpec.summary`: a job's status, a cronjob's (suspended, active), otherwise whether it is ready)."""
    name = read.kind.name
    total = len(read.rows)
    if name == "jobs":
        states = collections.Counter(read.summaries)
        return {"total": total, "ready": total - states["Failed"], "notReady": states["Failed"],
                "states": dict(states)}
    if name == "cronjobs":
        suspended = sum(summary[0] for summary in read.summaries)
        active = sum(summary[1] for summary in read.summaries)
        return {"total": total, "ready": total - suspended, "notReady": suspended, "suspended": suspended,
                "active": active}
    ready = sum(1 for summary in read.summaries if summary)
    return {"total": total, "ready": ready, "notReady": total - ready}


# -- the service -----------------------------------------------------------------------------------------
class ViewService:
    """Cross-kind read-only views, authorized per kind."""

    def __init__(self, clusters: ClusterManager) -> None:
        self.clusters = clusters
        self._search_indexes = SearchIndexes()

    def _cluster(self, context: RequestContext, cluster_id: int) -> Cluster:
        require_cluster(context.caller, cluster_id)
        return self.clusters.get(cluster_id)

    @staticmethod
    async def _kind(cluster: Cluster, name: str) -> ResourceKind | None:
        try:
            return (await cluster.registry()).lookup(name)
        except UnknownResourceError:
            return None

    async def read(self, context: RequestContext, cluster: Cluster, name: str, *, namespace: str | None = None,
                   timeout_s: float = LIVE_READ_TIMEOUT_S, field_selector: str | None = None,
                   limit: int | None = None) -> Read | None:
        """The objects of kind `name` the caller may see (None when it may not read the kind at all); a live
        list reads at most `limit` objects per namespace when given (the API server's first page)."""
        kind = await self._kind(cluster, name)
        if kind is None:
            return None
        scope = AccessScope.of(context, cluster, kind, namespace=namespace)
        if not scope.may(Verb.READ):
            return None
        if kind.derived:  # Helm releases: only their cache answers, once it has listed the release records
            cache: KindCache | None = await cluster.caches.synced(kind, timeout_s=timeout_s)
        else:
            cache = None if field_selector else cluster.caches.for_reads(kind)
        if cache is not None:
            filters = scope.filters_keys
            # No await inside: the watch cannot change the entries meanwhile.
            entries = [entry for entry in cache.entries.values()
                       if (scope.namespace is None or entry.key[0] == scope.namespace)
                       and (not filters or scope.sees_key(entry.key))]
            return Read(kind, [entry.row for entry in entries], [entry.raw for entry in entries], "cache",
                        cache.stale, [entry.summary for entry in entries])
        params = {key: value for key, value in (("fieldSelector", field_selector), ("limit", limit)) if value} or None
        listings = await gather_all(
            cluster.request("GET", kind.collection_path(ns), params=params, timeout_s=timeout_s)
            for ns in scope.listed_namespaces())
        items = [item for listing in listings for item in listing.get("items") or []]
        if scope.filters_keys:
            items = [item for item in items if scope.sees(item)]
        if scope.values.masks:  # views never show values (topology and search use names and labels only)
            items = [scope.present(item) for item in items]
        spec = table_spec(kind)
        rows = [row_of(spec, item, namespaced=kind.namespaced) for item in items]
        summaries = [spec.summary(item) for item in items] if spec.summary else [None] * len(items)
        return Read(kind, rows, list(items), "apiserver", summaries=summaries)

    # -- overview ----------------------------------------------------------------------------------
    async def overview(self, context: RequestContext, cluster_id: int) -> tuple[Obj, Obj]:
        """Counts, readiness, capacity vs requests vs limits, pod phases, recent warnings, metrics.

        Returns (data, meta extras: source, stale). Each kind is a section of its own: one that Kubernetes
        refuses (RBAC Forbidden) or that fails otherwise is left out and listed in `data.missing` with its
        code and the API server's message; only when every section fails does the whole view fail.
        """
        cluster = self._cluster(context, cluster_id)
        await cluster.registry()  # an unreachable cluster fails the view as a whole (50200)
        names = OVERVIEW_KINDS + EXTRA_COUNTED_KINDS
        failures: dict[str, KubeError] = {}
        reads_list, warnings, releases = await asyncio.gather(
            gather_all(_section(failures, name, self.read(context, cluster, name)) for name in names),
            _section(failures, "events", self._recent_warnings(context, cluster)),
            _section(failures, HELM_RELEASES.qualified, self._releases(context, cluster)))
        if all(name in failures for name in (*names, "events")):
            raise failures[names[0]]
        reads = dict(zip(names, reads_list, strict=True))
        pods, nodes = reads["pods"], reads["nodes"]

        workloads: dict[str, Obj | None] = {}
        for name in OVERVIEW_KINDS:
            read = reads[name]
            if read is None:
                workloads[name] = None
            elif name == "pods":
                workloads[name] = None  # filled below from the pod facts
            else:
                workloads[name] = _workload_summary(read)

        phases: collections.Counter[str] = collections.Counter()
        cpu_requests = cpu_limits = memory_requests = memory_limits = Decimal(0)
        scheduled_pods = 0
        if pods is not None:
            ready = 0
            # Pods of one template share their (interned) facts: each distinct one is summed once, times its count.
            for fact, count in collections.Counter(pods.summaries).items():
                phases[fact.phase] += count
                ready += fact.ready * count
                if fact.scheduled and fact.phase not in TERMINAL_PHASES:
                    scheduled_pods += count
                    cpu_requests += fact.cpu_requests * count
                    cpu_limits += fact.cpu_limits * count
                    memory_requests += fact.memory_requests * count
                    memory_limits += fact.memory_limits * count
            total = len(pods.summaries)
            workloads["pods"] = {"total": total, "ready": ready, "notReady": total - ready}

        node_summary = None
        capacity: dict[str, Decimal] = collections.defaultdict(Decimal)
        allocatable: dict[str, Decimal] = collections.defaultdict(Decimal)
        if nodes is not None:
            node_facts: list[NodeFacts] = nodes.summaries
            for fact in node_facts:
                for resource, held, usable in zip(NODE_RESOURCES, fact.capacity, fact.allocatable, strict=True):
                    capacity[resource] += held
                    allocatable[resource] += usable
            ready_nodes = sum(fact.ready for fact in node_facts)
            node_summary = {"total": len(node_facts), "ready": ready_nodes, "notReady": len(node_facts) - ready_nodes,
                            "unschedulable": sum(fact.unschedulable for fact in node_facts)}

        usage, metrics_status = await self._metrics_usage(context, cluster, pods=pods, nodes_visible=nodes is not None)
        has_nodes = nodes is not None
        data = {
            "counts": {name: len(read.rows) for name, read in reads.items() if read is not None},
            "workloads": workloads,
            "nodes": node_summary,
            "resources": {
                "cpu": {"unit": "cores",
                        "capacity": as_cores(capacity["cpu"]) if has_nodes else None,
                        "allocatable": as_cores(allocatable["cpu"]) if has_nodes else None,
                        "requests": as_cores(cpu_requests), "limits": as_cores(cpu_limits),
                        "usage": round(usage["cpu"] / 1000, 6) if usage else None},
                "memory": {"unit": "bytes",
                           "capacity": as_bytes(capacity["memory"]) if has_nodes else None,
                           "allocatable": as_bytes(allocatable["memory"]) if has_nodes else None,
                           "requests": as_bytes(memory_requests), "limits": as_bytes(memory_limits),
                           "usage": round(usage["memory"]) if usage else None},
                "pods": {"unit": "pods",
                         "capacity": int(capacity["pods"]) if has_nodes else None,
                         "allocatable": int(allocatable["pods"]) if has_nodes else None,
                         "requests": scheduled_pods},
            },
            "podPhases": {phase: phases.get(phase, 0) for phase in POD_PHASES} | dict(phases),
            "warnings": warnings,
            "releases": releases,
            "metricsAvailable": usage is not None,
            "metrics": metrics_status,
            "scope": "namespaces" if namespace_limited(context.caller) else "cluster",
            "missing": [{"kind": name, "code": int(code_for(failures[name])),
                         "message": failures[name].message} for name in (*names, "events", HELM_RELEASES.qualified)
                        if name in failures],
        }
        used = [read for read in reads.values() if read is not None and read.kind.name in cluster.caches.cached_kinds]
        meta = {"source": "cache" if used and all(r.source == "cache" for r in used) else "apiserver",
                "stale": any(r.stale for r in used)}
        return data, meta

    async def _releases(self, context: RequestContext, cluster: Cluster) -> Obj | None:
        """The Helm releases the caller may see: how many, how many per status, and those failed, pending or
        unreadable, newest first (None when the caller may not read releases)."""
        read = await self.read(context, cluster, HELM_RELEASES.qualified)
        if read is None:
            return None
        statuses: collections.Counter[str] = collections.Counter()
        attention = []
        for obj in read.objects():
            metadata, status = obj.get("metadata") or {}, obj.get("status") or {}
            state = str(status.get("status") or "unknown")
            statuses[state] += 1
            if state in RELEASE_ATTENTION_STATUSES or status.get("error"):
                attention.append({"name": metadata.get("name"), "namespace": metadata.get("namespace"),
                                  "status": state, "revision": status.get("revision"), "chart": status.get("chart"),
                                  "updated": status.get("updated"), "error": status.get("error")})
        attention.sort(key=lambda release: str(release["updated"] or ""), reverse=True)
        return {"total": len(read.rows), "byStatus": dict(statuses), "attention": attention[:RELEASES_CALLED_OUT],
                "attentionTotal": len(attention)}

    async def _recent_warnings(self, context: RequestContext, cluster: Cluster) -> list[Obj] | None:
        """The newest warning events the caller may read (None when it may not read events)."""
        read = await self.read(context, cluster, "events", field_selector="type=Warning")
        if read is None:
            return None
        events = sorted(read.objects(), key=_event_time, reverse=True)
        return [compact_event(event) for event in events[:RECENT_WARNINGS]]

    async def _metrics_usage(self, context: RequestContext, cluster: Cluster, *, pods: Read | None,
                             nodes_visible: bool) -> tuple[dict[str, float] | None, Obj]:
        """CPU (millicores) and memory (bytes) in use in the sampler's latest round — the nodes' own usage, or the
        sum over the caller's pods — and the sampler's status (`MetricsService.status`); no usage when no metrics
        source works or no round has ended within METRICS_TIMEOUT_S of starting the sampler."""
        metrics = cluster.metrics
        await metrics.started(wait_s=METRICS_TIMEOUT_S)
        current, status = metrics.current, MetricsService.status(metrics)
        if metrics.source is None or not current.time:
            return None, status
        if nodes_visible:
            sums: Iterable[Any] = current.nodes.values()
        elif pods is not None:
            visible = AccessScope.of(context, cluster, pods.kind, namespace=None).key_filter()
            sums = (usage for key, usage in current.pods.items() if visible is None or visible(key))
        else:
            return None, status
        usage = {"cpu": 0.0, "memory": 0.0}
        for amount in sums:
            usage["cpu"] += amount.cpu
            usage["memory"] += amount.memory
        return usage, status

    # -- search ------------------------------------------------------------------------------------
    async def search(self, context: RequestContext, cluster_id: int, query: str, *, kinds: list[str] | None = None,
                     limit: int = SEARCH_DEFAULT_LIMIT, namespace: str | None = None) -> tuple[list[Obj], Obj]:
        """Ranked matches across kinds, at most `limit` per kind; returns (results, meta extras). Matches in
        `namespace` (the caller's current one) come first, each kind's cap included; then the rest by score."""
        needle = query.strip().lower()
        if not needle:
            raise ApiError(ErrorCode.PARAM_MISSING, "q is required")
        if len(needle) > SEARCH_MAX_QUERY_CHARS:
            raise ApiError(ErrorCode.PARAM_INVALID, f"q must be at most {SEARCH_MAX_QUERY_CHARS} characters")
        cluster = self._cluster(context, cluster_id)
        registry = await cluster.registry()
        if kinds:
            wanted = [registry.lookup(name).name for name in kinds]  # unknown → 40002
        else:
            wanted = [k for k in cluster.caches.cached_kinds if self._served(registry, k)]
            wanted += [k for k in SEARCH_LIVE_KINDS if k not in wanted and self._served(registry, k)]
            wanted += [k.name for k in registry if k.derived]  # Helm releases, from their cache
        wanted = list(dict.fromkeys(wanted))
        skipped: list[Obj] = []
        if not kinds:
            custom = [k.name for k in registry if k.custom and "list" in k.verbs and k.name not in wanted]
            wanted += custom[:SEARCH_MAX_CUSTOM_KINDS]
            beyond = f"only the first {SEARCH_MAX_CUSTOM_KINDS} custom kinds are searched by default; name it in kinds="
            skipped += [{"kind": name, "reason": beyond} for name in custom[SEARCH_MAX_CUSTOM_KINDS:]]
        preferred = namespace or None

        def rank(points: int, row: Obj) -> tuple[bool, int, int, str, str]:
            name = row.get("name") or ""
            return (preferred is not None and row.get("namespace") != preferred, -points, len(name), name,
                    row.get("namespace") or "")

        async def search_kind(name: str) -> tuple[list[Obj], int]:
            try:
                candidates = await self._search_candidates(context, cluster, name)
            except KubeError as exc:
                skipped.append({"kind": name, "reason": exc.message})
                return [], 0
            matches = []
            for keys in candidates:
                scored = score(needle, keys)
                if scored is not None:
                    matches.append((scored[0], keys.row, scored[1]))
            matches.sort(key=lambda m: rank(m[0], m[1]))
            return [{"kind": name, "name": row.get("name"), "namespace": row.get("namespace"), "score": points,
                     "matchedOn": matched, "status": row.get("status")}
                    for points, row, matched in matches[:limit]], len(matches)

        per_kind = await gather_all(search_kind(name) for name in wanted)
        order = {name: index for index, name in enumerate(wanted)}
        results = sorted((r for found, _ in per_kind for r in found),
                         key=lambda r: (preferred is not None and r["namespace"] != preferred, -r["score"],
                                        order[r["kind"]], len(r["name"] or ""), r["name"] or ""))
        return results, {"total": sum(count for _, count in per_kind), "kinds": wanted, "skipped": skipped}

    async def _search_candidates(self, context: RequestContext, cluster: Cluster, name: str) -> list[SearchKeys]:
        """Search keys of the kind's visible objects: from the cache's index, or a short live list."""
        kind = await self._kind(cluster, name)
        if kind is None:
            return []
        scope = AccessScope.of(context, cluster, kind, namespace=None)
        if not scope.may(Verb.READ):
            return []
        cache = cluster.caches.for_reads(kind)
        if cache is None:
            read = await self.read(context, cluster, name, timeout_s=SEARCH_LIVE_TIMEOUT_S,
                                   limit=SEARCH_CUSTOM_LIST_LIMIT if kind.custom else None)
            return [search_keys(row) for row in read.rows] if read is not None else []
        keys = self._search_indexes.keys(cache)
        if not scope.filters_keys:
            return keys
        return [k for k in keys if scope.sees_key((k.row.get("namespace"), k.row.get("name") or ""))]

    @staticmethod
    def _served(registry: Any, name: str) -> bool:
        try:
            registry.lookup(name)
        except UnknownResourceError:
            return False
        return True

    # -- topology ----------------------------------------------------------------------------------
    async def topology(self, context: RequestContext, cluster_id: int, namespace: str, *,
                       budget: int = TOPOLOGY_NODE_BUDGET) -> Obj:
        """Nodes and edges of one namespace: routes, selects, owns, mounts, binds (see `services/topology.py`)."""
        pods = await AccessScope.open(context, self.clusters, cluster_id, "pods", namespace=namespace, verb=Verb.READ)
        cluster = pods.cluster
        skipped: list[Obj] = []

        async def read_kind(name: str) -> Read | None:
            try:
                return await self.read(context, cluster, name, namespace=namespace)
            except KubeError as exc:  # e.g. Kubernetes RBAC forbids secrets: draw the rest, but not without pods
                if name == "pods":
                    raise
                skipped.append({"kind": name, "reason": exc.message})
                return None

        reads = dict(zip(TOPOLOGY_KINDS, await gather_all(read_kind(n) for n in TOPOLOGY_KINDS), strict=True))
        builder = TopologyBuilder(namespace, reads, budget)
        builder.build()
        # PersistentVolumes are cluster-scoped: namespace-restricted callers see claims only.
        volumes = await self.read(context, cluster, "persistentvolumes") \
            if any(builder.bound_volumes.values()) else None
        builder.add_volumes(volumes)
        return builder.result(skipped)

    # -- events and quotas -------------------------------------------------------------------------
    async def events(self, context: RequestContext, cluster_id: int, *, namespace: str | None = None,
                     kind: str | None = None, name: str | None = None, uid: str | None = None,
                     event_type: str | None = None, limit: int = EVENTS_DEFAULT_LIMIT) -> tuple[list[Obj], int]:
        """Events newest first, filtered on the involved object by field selector; returns (page, total)."""
        target = await AccessScope.open(context, self.clusters, cluster_id, "events", namespace=namespace,
                                        verb=Verb.READ)
        selector = []
        if kind:
            # Accept `pods`, `pod` or `Pod`: the field selector needs the Kind.
            with contextlib.suppress(UnknownResourceError):
                kind = (await target.cluster.registry()).lookup(kind).kind
            selector.append(f"involvedObject.kind={kind}")
        if name:
            selector.append(f"involvedObject.name={name}")
        if uid:
            selector.append(f"involvedObject.uid={uid}")
        if event_type:
            selector.append(f"type={event_type}")
        read = await self.read(context, target.cluster, "events", namespace=target.namespace,
                               field_selector=",".join(selector) or None)
        if read is None:  # the scope already allowed it; only a vanished kind gets here
            return [], 0
        events = sorted(read.objects(), key=_event_time, reverse=True)
        return [compact_event(event) for event in events[:limit]], len(events)

    async def quota_summary(self, context: RequestContext, cluster_id: int, *, namespace: str | None = None) -> Obj:
        """ResourceQuotas with hard, used and percent per resource; LimitRanges listed."""
        target = await AccessScope.open(context, self.clusters, cluster_id, "resourcequotas", namespace=namespace,
                                        verb=Verb.READ)
        quotas, limit_ranges = await gather_all([
            self.read(context, target.cluster, "resourcequotas", namespace=target.namespace),
            self.read(context, target.cluster, "limitranges", namespace=target.namespace),
        ])
        summary = []
        for quota in quotas.objects() if quotas is not None else []:
            hard = (quota.get("status") or {}).get("hard") or (quota.get("spec") or {}).get("hard") or {}
            used = (quota.get("status") or {}).get("used") or {}
            resources = []
            for resource in sorted(hard):
                limit_value = quantity_or_zero(hard[resource])
                used_value = quantity_or_zero(used.get(resource, "0"))
                if limit_value:
                    percent: float | None = float(round(used_value * 100 / limit_value, 1))
                else:
                    percent = 100.0 if used_value else 0.0
                resources.append({"resource": resource, "hard": hard[resource], "used": used.get(resource),
                                  "percent": percent})
            summary.append({"name": metadata_of(quota).get("name"), "namespace": metadata_of(quota).get("namespace"),
                            "scopes": (quota.get("spec") or {}).get("scopes") or [], "resources": resources})
        ranges = [{"name": metadata_of(lr).get("name"), "namespace": metadata_of(lr).get("namespace"),
                   "limits": (lr.get("spec") or {}).get("limits") or []}
                  for lr in (limit_ranges.objects() if limit_ranges is not None else [])]
        key = lambda item: (item["namespace"] or "", item["name"] or "")  # noqa: E731
        return {"quotas": sorted(summary, key=key), "limitRanges": sorted(ranges, key=key)}


VIEWS = web.AppKey("views", ViewService)
