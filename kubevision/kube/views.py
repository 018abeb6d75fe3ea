"""`ViewService`: read-only views across kinds — overview, search, topology, events, quota summary.

Why it is shaped this way:

- **Memory first, API server second.** Cached kinds (pods, nodes, deployments...) are read from the
  informer caches: rows for search (name, namespace, labels are already there), the compact JSON bytes
  for everything else. Kinds that are never cached (jobs, cronjobs, configmaps, secrets, events,
  quotas) are listed live, in parallel, with a timeout, so one slow kind cannot hold a page hostage.
  A cache that is still syncing is read through (and started, so the next call is from memory).
- **Grants filter everything.** Each kind is authorized with `ResourceService.authorize` (role verbs ∩
  cluster ∩ namespace grants); a kind the caller may not read is left out rather than failing the
  whole view; a namespace-restricted caller's live lists go to their namespaces only (in parallel)
  and cached entries are filtered by namespace.
- **Derived facts are memoised, objects are not.** The overview needs per-pod requests, limits, phase
  and readiness; at 10k pods decoding every pod on every call would dominate, so the small facts tuple
  is kept per pod and resourceVersion (never a second copy of the object — SPEC §5).
- **Topology has a node budget.** Past `TOPOLOGY_NODE_BUDGET` nodes, the pods of the largest owners
  collapse into `PodGroup` nodes with per-status counts, so a namespace with thousands of pods answers
  fast and still draws a readable graph.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
from collections.abc import Awaitable, Iterable, Iterator
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

import orjson
from aiohttp import web

from kubevision.api.envelope import ApiError, ErrorCode
from kubevision.auth.permissions import Principal, Verb
from kubevision.kube.clusters import Cluster
from kubevision.kube.errors import KubeError
from kubevision.kube.quantities import as_bytes, as_cores, quantity_or_zero
from kubevision.kube.registry import ResourceKind, UnknownResourceError
from kubevision.kube.resources import ResourceService
from kubevision.kube.search import SearchIndexes, SearchKeys, score, search_keys
from kubevision.kube.selectors import selector_from_match_labels
from kubevision.kube.tables import job_status, node_status, pod_status, row_of, table_spec

Obj = dict[str, Any]
Key = tuple[str, str]
T = TypeVar("T")

# A live list for a view gives up after this long (the view then fails with 50200, as any read).
LIVE_READ_TIMEOUT_S = 10.0
# Live kinds in a search are best effort: a slower kind is reported in meta.skipped, not waited for.
SEARCH_LIVE_TIMEOUT_S = 2.0
# metrics-server is optional and often slow or broken; its absence is never an error.
METRICS_TIMEOUT_S = 3.0
RECENT_WARNINGS = 20
OVERVIEW_KINDS = ("deployments", "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs", "pods")
# Also counted in `data.counts` (cheap: cached by default).
EXTRA_COUNTED_KINDS = ("services", "ingresses", "namespaces", "nodes")
SEARCH_DEFAULT_LIMIT = 10
SEARCH_MAX_LIMIT = 100
SEARCH_MAX_QUERY_CHARS = 253
# Kinds searched live besides the cached ones: common lookups an operator types a name for. Secrets are
# matched on name, namespace and labels only, and nothing but those fields is returned.
SEARCH_LIVE_KINDS = ("configmaps", "secrets", "jobs", "cronjobs", "persistentvolumeclaims", "serviceaccounts",
                     "persistentvolumes", "storageclasses")
TOPOLOGY_NODE_BUDGET = 300
TOPOLOGY_MAX_BUDGET = 5000
TOPOLOGY_KINDS = ("ingresses", "services", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs",
                  "cronjobs", "pods", "persistentvolumeclaims", "configmaps", "secrets")
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
class PodFacts(NamedTuple):
    """What the overview needs of one pod."""

    phase: str
    ready: bool
    scheduled: bool
    cpu_requests: Decimal
    cpu_limits: Decimal
    memory_requests: Decimal
    memory_limits: Decimal


def _effective(pod_spec: Obj, section: str, resource: str) -> Decimal:
    """A pod's effective request/limit: max(sum of containers, largest init container) + overhead."""
    def amount(container: Obj) -> Decimal:
        return quantity_or_zero(((container.get("resources") or {}).get(section) or {}).get(resource))

    total = sum((amount(c) for c in pod_spec.get("containers") or []), Decimal(0))
    init = max((amount(c) for c in pod_spec.get("initContainers") or []), default=Decimal(0))
    return max(total, init) + quantity_or_zero((pod_spec.get("overhead") or {}).get(resource))


def pod_facts(pod: Obj) -> PodFacts:
    """Phase, readiness and resources of a pod."""
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    phase = status.get("phase") or "Unknown"
    ready = phase == "Succeeded" or any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
    return PodFacts(phase, ready, bool(spec.get("nodeName")), _effective(spec, "requests", "cpu"),
                    _effective(spec, "limits", "cpu"), _effective(spec, "requests", "memory"),
                    _effective(spec, "limits", "memory"))


def _replicas_ready(obj: Obj) -> bool:
    desired = (obj.get("spec") or {}).get("replicas", 1)
    return (obj.get("status") or {}).get("readyReplicas", 0) >= desired


def _daemonset_ready(obj: Obj) -> bool:
    status = obj.get("status") or {}
    return status.get("numberReady", 0) >= status.get("desiredNumberScheduled", 0)


def _workload_summary(read: Read) -> Obj:
    """{total, ready, notReady} plus per-kind detail (jobs: states; cronjobs: suspended/active)."""
    name = read.kind.name
    total = len(read.rows)
    if name == "jobs":
        states = collections.Counter(job_status(obj) for obj in read.objects())
        return {"total": total, "ready": total - states["Failed"], "notReady": states["Failed"],
                "states": dict(states)}
    if name == "cronjobs":
        suspended = active = 0
        for obj in read.objects():
            suspended += bool((obj.get("spec") or {}).get("suspend"))
            active += bool((obj.get("status") or {}).get("active"))
        return {"total": total, "ready": total - suspended, "notReady": suspended, "suspended": suspended,
                "active": active}
    check = _daemonset_ready if name == "daemonsets" else _replicas_ready
    ready = sum(1 for obj in read.objects() if check(obj))
    return {"total": total, "ready": ready, "notReady": total - ready}


# -- topology helpers ------------------------------------------------------------------------------------
def _meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def _ingress_services(ingress: Obj) -> set[str]:
    """Service names an Ingress routes to (networking v1 and v1beta1 shapes)."""
    spec = ingress.get("spec") or {}
    backends = [spec.get("defaultBackend"), spec.get("backend")]
    for rule in spec.get("rules") or []:
        backends.extend(path.get("backend") for path in (rule.get("http") or {}).get("paths") or [])
    names = set()
    for backend in backends:
        if not backend:
            continue
        name = (backend.get("service") or {}).get("name") or backend.get("serviceName")
        if name:
            names.add(name)
    return names


def _pod_references(pod: Obj) -> tuple[set[str], set[str], set[str]]:
    """(PVC names, ConfigMap names, Secret names) a pod mounts or reads environment from."""
    spec = pod.get("spec") or {}
    claims: set[str] = set()
    configmaps: set[str] = set()
    secret_names: set[str] = set()
    for volume in spec.get("volumes") or []:
        if claim := (volume.get("persistentVolumeClaim") or {}).get("claimName"):
            claims.add(claim)
        if name := (volume.get("configMap") or {}).get("name"):
            configmaps.add(name)
        if name := (volume.get("secret") or {}).get("secretName"):
            secret_names.add(name)
        for source in (volume.get("projected") or {}).get("sources") or []:
            if name := (source.get("configMap") or {}).get("name"):
                configmaps.add(name)
            if name := (source.get("secret") or {}).get("name"):
                secret_names.add(name)
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        for env_from in container.get("envFrom") or []:
            if name := (env_from.get("configMapRef") or {}).get("name"):
                configmaps.add(name)
            if name := (env_from.get("secretRef") or {}).get("name"):
                secret_names.add(name)
        for env in container.get("env") or []:
            source = env.get("valueFrom") or {}
            if name := (source.get("configMapKeyRef") or {}).get("name"):
                configmaps.add(name)
            if name := (source.get("secretKeyRef") or {}).get("name"):
                secret_names.add(name)
    return claims, configmaps, secret_names


def _status_of(kind: ResourceKind, obj: Obj) -> str | None:
    """A one-word status for a topology node."""
    spec = obj.get("spec") or {}
    if kind.name == "pods":
        return pod_status(obj)
    if kind.name == "replicasets":
        return "Ready" if _replicas_ready(obj) else "Progressing"
    if kind.name == "services":
        return spec.get("type") or "ClusterIP"
    if kind.name == "cronjobs":
        return "Suspended" if spec.get("suspend") else ("Active" if (obj.get("status") or {}).get("active")
                                                        else "Scheduled")
    if kind.name == "ingresses":
        ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress")
        return "Ready" if ingress else "Pending"
    status = table_spec(kind).status
    return status(obj) if status else None


@dataclasses.dataclass
class Graph:
    """Topology nodes and edges under construction."""

    nodes: dict[str, Obj] = dataclasses.field(default_factory=dict)
    edges: set[tuple[str, str, str]] = dataclasses.field(default_factory=set)

    def add(self, kind: str, name: str, namespace: str | None, status: str | None, **extra: Any) -> str:
        """Add (or keep) a node; returns its id `Kind/name`."""
        node_id = f"{kind}/{name}"
        self.nodes.setdefault(node_id, {"id": node_id, "kind": kind, "name": name, "namespace": namespace,
                                        "status": status, **extra})
        return node_id

    def link(self, source: str, target: str, edge_type: str) -> None:
        """Add an edge (duplicates collapse)."""
        self.edges.add((source, target, edge_type))


# -- the service -----------------------------------------------------------------------------------------
class ViewService:
    """Cross-kind read-only views, authorized per kind."""

    def __init__(self, resources: ResourceService) -> None:
        self.resources = resources
        # cluster id → pod key → (resourceVersion, facts); rebuilt on each overview, so deleted pods drop out.
        self._pod_facts: dict[int, dict[Key, tuple[str | None, PodFacts]]] = {}
        self._search_indexes = SearchIndexes()

    def _cluster(self, principal: Principal, cluster_id: int) -> Cluster:
        if not principal.can_see_cluster(cluster_id):
            raise ApiError(ErrorCode.CLUSTER_FORBIDDEN, f"no access to cluster {cluster_id}")
        return self.resources.clusters.get(cluster_id)

    @staticmethod
    async def _kind(cluster: Cluster, name: str) -> ResourceKind | None:
        try:
            return (await cluster.registry()).lookup(name)
        except UnknownResourceError:
            return None

    def _may_read(self, principal: Principal, cluster: Cluster, kind: ResourceKind, namespace: str | None) -> bool:
        try:
            self.resources.authorize(principal, cluster, kind, namespace, Verb.READ)
        except ApiError:
            return False
        return True

    async def read(self, principal: Principal, cluster: Cluster, name: str, *, namespace: str | None = None,
                   timeout_s: float = LIVE_READ_TIMEOUT_S, field_selector: str | None = None) -> Read | None:
        """The objects of kind `name` the principal may see (None when it may not read the kind at all)."""
        kind = await self._kind(cluster, name)
        if kind is None:
            return None
        namespace = namespace if kind.namespaced else None
        if not self._may_read(principal, cluster, kind, namespace):
            return None
        grants = principal.namespace_grants
        is_namespace_kind = kind.name == "namespaces"
        cache = None if field_selector else cluster.caches.for_reads(kind)
        if cache is not None:
            rows: list[Obj] = []
            raw: list[bytes | Obj] = []
            for entry in cache.entries.values():  # no await inside: the watch cannot change it meanwhile
                entry_namespace, entry_name = entry.key
                if namespace is not None and entry_namespace != namespace:
                    continue
                if grants is not None and (entry_name if is_namespace_kind else entry_namespace) not in grants:
                    continue
                rows.append(entry.row)
                raw.append(entry.raw)
            return Read(kind, rows, raw, "cache", cache.stale)
        if namespace:
            namespaces: list[str | None] = [namespace]
        elif grants is not None and kind.namespaced:
            namespaces = list(sorted(grants))
        else:
            namespaces = [None]
        params = {"fieldSelector": field_selector} if field_selector else None
        listings = await gather_all(
            cluster.request("GET", kind.collection_path(ns), params=params, timeout_s=timeout_s)
            for ns in namespaces)
        items = [item for listing in listings for item in listing.get("items") or []]
        if grants is not None and is_namespace_kind:
            items = [item for item in items if _meta(item).get("name") in grants]
        spec = table_spec(kind)
        rows = [row_of(spec, item, namespaced=kind.namespaced) for item in items]
        return Read(kind, rows, list(items), "apiserver")

    # -- overview ----------------------------------------------------------------------------------
    async def overview(self, principal: Principal, cluster_id: int) -> tuple[Obj, Obj]:
        """Counts, readiness, capacity vs requests vs limits, pod phases, recent warnings, metrics.

        Returns (data, meta extras: source, stale).
        """
        cluster = self._cluster(principal, cluster_id)
        names = OVERVIEW_KINDS + EXTRA_COUNTED_KINDS
        reads_list, warnings = await asyncio.gather(
            gather_all(self.read(principal, cluster, name) for name in names),
            self._recent_warnings(principal, cluster))
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
            facts = self._facts_of(cluster.id, pods, complete=principal.namespace_grants is None)
            ready = 0
            for fact in facts:
                phases[fact.phase] += 1
                ready += fact.ready
                if fact.scheduled and fact.phase not in TERMINAL_PHASES:
                    scheduled_pods += 1
                    cpu_requests += fact.cpu_requests
                    cpu_limits += fact.cpu_limits
                    memory_requests += fact.memory_requests
                    memory_limits += fact.memory_limits
            workloads["pods"] = {"total": len(facts), "ready": ready, "notReady": len(facts) - ready}

        node_summary = None
        capacity: dict[str, Decimal] = collections.defaultdict(Decimal)
        allocatable: dict[str, Decimal] = collections.defaultdict(Decimal)
        if nodes is not None:
            ready_nodes = unschedulable = 0
            for node in nodes.objects():
                status = node_status(node)
                ready_nodes += status.startswith("Ready")
                unschedulable += bool((node.get("spec") or {}).get("unschedulable"))
                for resource in ("cpu", "memory", "pods"):
                    capacity[resource] += quantity_or_zero(((node.get("status") or {}).get("capacity") or {})
                                                           .get(resource))
                    allocatable[resource] += quantity_or_zero(((node.get("status") or {}).get("allocatable")
                                                               or {}).get(resource))
            node_summary = {"total": len(nodes.rows), "ready": ready_nodes, "notReady": len(nodes.rows) - ready_nodes,
                            "unschedulable": unschedulable}

        usage = await self._metrics_usage(principal, cluster, nodes_visible=nodes is not None)
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
                        "usage": as_cores(usage["cpu"]) if usage else None},
                "memory": {"unit": "bytes",
                           "capacity": as_bytes(capacity["memory"]) if has_nodes else None,
                           "allocatable": as_bytes(allocatable["memory"]) if has_nodes else None,
                           "requests": as_bytes(memory_requests), "limits": as_bytes(memory_limits),
                           "usage": as_bytes(usage["memory"]) if usage else None},
                "pods": {"unit": "pods",
                         "capacity": int(capacity["pods"]) if has_nodes else None,
                         "allocatable": int(allocatable["pods"]) if has_nodes else None,
                         "requests": scheduled_pods},
            },
            "podPhases": {phase: phases.get(phase, 0) for phase in POD_PHASES} | dict(phases),
            "warnings": warnings,
            "metricsAvailable": usage is not None,
            "scope": "cluster" if principal.namespace_grants is None else "namespaces",
        }
        used = [read for read in reads.values() if read is not None and read.kind.name in cluster.caches.cached_kinds]
        meta = {"source": "cache" if used and all(r.source == "cache" for r in used) else "apiserver",
                "stale": any(r.stale for r in used)}
        return data, meta

    def _facts_of(self, cluster_id: int, pods: Read, *, complete: bool) -> list[PodFacts]:
        """Facts of every visible pod, reusing those of unchanged pods (same resourceVersion).

        Only a `complete` read (every pod of the cluster) replaces the memo, so it never outgrows the cluster.
        """
        previous = self._pod_facts.get(cluster_id, {})
        fresh: dict[Key, tuple[str | None, PodFacts]] = {}
        facts = []
        for row, item in zip(pods.rows, pods.raw, strict=True):
            key = (row.get("namespace") or "", row.get("name") or "")
            version = row.get("resourceVersion")
            known = previous.get(key)
            if known is not None and known[0] == version:
                fact = known[1]
            else:
                fact = pod_facts(orjson.loads(item) if isinstance(item, bytes) else item)
            fresh[key] = (version, fact)
            facts.append(fact)
        if complete:
            self._pod_facts[cluster_id] = fresh
        return facts

    async def _recent_warnings(self, principal: Principal, cluster: Cluster) -> list[Obj] | None:
        """The newest warning events the principal may read (None when it may not read events)."""
        read = await self.read(principal, cluster, "events", field_selector="type=Warning")
        if read is None:
            return None
        events = sorted(read.objects(), key=_event_time, reverse=True)
        return [compact_event(event) for event in events[:RECENT_WARNINGS]]

    async def _metrics_usage(self, principal: Principal, cluster: Cluster, *,
                             nodes_visible: bool) -> dict[str, Decimal] | None:
        """CPU and memory in use from metrics-server (nodes, or the caller's pods); None when unavailable."""
        registry = await cluster.registry()
        kind = registry.find("metrics.k8s.io", "NodeMetrics" if nodes_visible else "PodMetrics")
        if kind is None:
            return None
        grants = principal.namespace_grants
        namespaces: list[str | None] = [None] if nodes_visible or grants is None else list(sorted(grants))
        try:
            listings = await gather_all(
                cluster.request("GET", kind.collection_path(ns), timeout_s=METRICS_TIMEOUT_S) for ns in namespaces)
        except KubeError:
            return None
        usage = {"cpu": Decimal(0), "memory": Decimal(0)}
        for listing in listings:
            for item in listing.get("items") or []:
                if nodes_visible:
                    amounts = [item.get("usage") or {}]
                else:
                    amounts = [c.get("usage") or {} for c in item.get("containers") or []]
                for amount in amounts:
                    usage["cpu"] += quantity_or_zero(amount.get("cpu"))
                    usage["memory"] += quantity_or_zero(amount.get("memory"))
        return usage

    # -- search ------------------------------------------------------------------------------------
    async def search(self, principal: Principal, cluster_id: int, query: str, *, kinds: list[str] | None = None,
                     limit: int = SEARCH_DEFAULT_LIMIT) -> tuple[list[Obj], Obj]:
        """Ranked matches across kinds, at most `limit` per kind; returns (results, meta extras)."""
        needle = query.strip().lower()
        if not needle:
            raise ApiError(ErrorCode.PARAM_MISSING, "q is required")
        if len(needle) > SEARCH_MAX_QUERY_CHARS:
            raise ApiError(ErrorCode.PARAM_INVALID, f"q must be at most {SEARCH_MAX_QUERY_CHARS} characters")
        cluster = self._cluster(principal, cluster_id)
        registry = await cluster.registry()
        if kinds:
            wanted = [registry.lookup(name).name for name in kinds]  # unknown → 40002
        else:
            wanted = [k for k in cluster.caches.cached_kinds if self._served(registry, k)]
            wanted += [k for k in SEARCH_LIVE_KINDS if k not in wanted and self._served(registry, k)]
        wanted = list(dict.fromkeys(wanted))
        skipped: list[Obj] = []

        async def search_kind(name: str) -> tuple[list[Obj], int]:
            try:
                candidates = await self._search_candidates(principal, cluster, name)
            except KubeError as exc:
                skipped.append({"kind": name, "reason": exc.message})
                return [], 0
            matches = []
            for keys in candidates:
                scored = score(needle, keys)
                if scored is not None:
                    matches.append((scored[0], keys.row, scored[1]))
            matches.sort(key=lambda m: (-m[0], len(m[1].get("name") or ""), m[1].get("name") or "",
                                        m[1].get("namespace") or ""))
            return [{"kind": name, "name": row.get("name"), "namespace": row.get("namespace"), "score": points,
                     "matchedOn": matched, "status": row.get("status")}
                    for points, row, matched in matches[:limit]], len(matches)

        per_kind = await gather_all(search_kind(name) for name in wanted)
        order = {name: index for index, name in enumerate(wanted)}
        results = sorted((r for found, _ in per_kind for r in found),
                         key=lambda r: (-r["score"], order[r["kind"]], len(r["name"] or ""), r["name"] or ""))
        return results, {"total": sum(count for _, count in per_kind), "kinds": wanted, "skipped": skipped}

    async def _search_candidates(self, principal: Principal, cluster: Cluster, name: str) -> list[SearchKeys]:
        """Search keys of the kind's visible objects: from the cache's index, or a short live list."""
        kind = await self._kind(cluster, name)
        if kind is None or not self._may_read(principal, cluster, kind, None):
            return []
        cache = cluster.caches.for_reads(kind)
        if cache is None:
            read = await self.read(principal, cluster, name, timeout_s=SEARCH_LIVE_TIMEOUT_S)
            return [search_keys(row) for row in read.rows] if read is not None else []
        keys = self._search_indexes.keys(cache)
        grants = principal.namespace_grants
        if grants is None:
            return keys
        if kind.name == "namespaces":
            return [k for k in keys if k.row.get("name") in grants]
        return [k for k in keys if k.row.get("namespace") in grants]

    @staticmethod
    def _served(registry: Any, name: str) -> bool:
        try:
            registry.lookup(name)
        except UnknownResourceError:
            return False
        return True

    # -- topology ----------------------------------------------------------------------------------
    async def topology(self, principal: Principal, cluster_id: int, namespace: str, *,
                       budget: int = TOPOLOGY_NODE_BUDGET) -> Obj:
        """Nodes and edges of one namespace: routes, selects, owns, mounts, binds."""
        target = await self.resources.resolve(principal, cluster_id, "pods", namespace, Verb.READ)
        cluster = target.cluster
        skipped: list[Obj] = []

        async def read_kind(name: str) -> Read | None:
            if name == "pods":
                return await self.read(principal, cluster, name, namespace=namespace)
            try:
                return await self.read(principal, cluster, name, namespace=namespace)
            except KubeError as exc:  # e.g. Kubernetes RBAC forbids secrets: draw the rest
                skipped.append({"kind": name, "reason": exc.message})
                return None

        reads = dict(zip(TOPOLOGY_KINDS, await gather_all(read_kind(n) for n in TOPOLOGY_KINDS), strict=True))
        graph = Graph()
        objects = {name: list(read.objects()) if read is not None and name not in ("configmaps", "secrets") else []
                   for name, read in reads.items()}
        pods = objects["pods"]

        # Owners: uid → node id, and the top-level workload of each owner (for `group`).
        pod_owner_uids = {ref.get("uid") for pod in pods for ref in _meta(pod).get("ownerReferences") or []}
        owner_ids: dict[str, str] = {}
        owner_parent: dict[str, str] = {}
        for name in ("deployments", "statefulsets", "daemonsets", "cronjobs", "jobs", "replicasets"):
            read = reads[name]
            if read is None:
                continue
            for obj in objects[name]:
                metadata = _meta(obj)
                # Old ReplicaSets scaled to zero with no pods are rollout history, not topology.
                if name == "replicasets" and not (obj.get("spec") or {}).get("replicas") and \
                        metadata.get("uid") not in pod_owner_uids:
                    continue
                node_id = graph.add(read.kind.kind, metadata.get("name"), namespace, _status_of(read.kind, obj))
                owner_ids[metadata.get("uid")] = node_id
                for ref in metadata.get("ownerReferences") or []:
                    owner_parent[node_id] = ref.get("uid")
        for node_id, parent_uid in owner_parent.items():
            if parent_uid in owner_ids:
                graph.link(owner_ids[parent_uid], node_id, "owns")

        def top_of(node_id: str) -> str:
            seen = {node_id}
            while (parent := owner_ids.get(owner_parent.get(node_id, ""))) and parent not in seen:
                seen.add(parent)
                node_id = parent
            return node_id

        for node_id in list(owner_parent):
            if node_id in graph.nodes and (top := top_of(node_id)) != node_id:
                graph.nodes[node_id]["group"] = top

        # Pods, collapsed by owner when over budget.
        pod_owner: dict[str, str | None] = {}
        for pod in pods:
            refs = _meta(pod).get("ownerReferences") or []
            controller = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
            pod_owner[_meta(pod).get("name")] = owner_ids.get(controller.get("uid")) if controller else None
        other_nodes = len(graph.nodes) + self._estimated_reference_nodes(pods)
        collapsed_owners = self._owners_to_collapse(pod_owner, budget - other_nodes)
        pod_node: dict[str, str] = {}
        groups: dict[str, Obj] = {}
        pvc_read = reads["persistentvolumeclaims"]
        for pod in pods:
            name = _meta(pod).get("name")
            owner = pod_owner[name]
            status = pod_status(pod)
            if owner in collapsed_owners or (None in collapsed_owners and owner is None):
                owner_name = graph.nodes[owner]["name"] if owner else "unowned"
                group_id = f"PodGroup/{owner or 'unowned'}"
                group = groups.get(group_id)
                if group is None:
                    group = graph.nodes[group_id] = {
                        "id": group_id, "kind": "PodGroup", "name": f"{owner_name} pods", "namespace": namespace,
                        "status": status, "count": 0, "statusCounts": {}, "owner": owner,
                    }
                    if owner:
                        group["group"] = top_of(owner)
                        graph.link(owner, group_id, "owns")
                    groups[group_id] = group
                group["count"] += 1
                group["statusCounts"][status] = group["statusCounts"].get(status, 0) + 1
                if group["status"] != status:
                    group["status"] = "Mixed"
                pod_node[name] = group_id
            else:
                extra = {"group": top_of(owner)} if owner else {}
                node_id = graph.add("Pod", name, namespace, status, **extra)
                if owner:
                    graph.link(owner, node_id, "owns")
                pod_node[name] = node_id

        # Services select pods; ingresses route to services.
        service_ids = {}
        if reads["services"] is not None:
            for service in objects["services"]:
                name = _meta(service).get("name")
                service_id = graph.add("Service", name, namespace, _status_of(reads["services"].kind, service))
                service_ids[name] = service_id
                selector = (service.get("spec") or {}).get("selector") or {}
                if selector:
                    matches = selector_from_match_labels(selector)
                    for pod in pods:
                        if matches(_meta(pod).get("labels") or {}):
                            graph.link(service_id, pod_node[_meta(pod).get("name")], "selects")
        if reads["ingresses"] is not None:
            for ingress in objects["ingresses"]:
                ingress_id = graph.add("Ingress", _meta(ingress).get("name"), namespace,
                                       _status_of(reads["ingresses"].kind, ingress))
                for service_name in sorted(_ingress_services(ingress)):
                    service_id = service_ids.get(service_name) or graph.add("Service", service_name, namespace,
                                                                            "Missing")
                    graph.link(ingress_id, service_id, "routes")

        # Pods mount claims, config maps and secrets; claims bind volumes.
        existing = {name: {row.get("name") for row in reads[name].rows} if reads[name] is not None else None
                    for name in ("persistentvolumeclaims", "configmaps", "secrets")}
        claim_status = {_meta(c).get("name"): _status_of(pvc_read.kind, c)
                        for c in objects["persistentvolumeclaims"]} if pvc_read is not None else {}
        for pod in pods:
            source = pod_node[_meta(pod).get("name")]
            claims, configmaps, secret_names = _pod_references(pod)
            for kind_label, plural, names in (("PersistentVolumeClaim", "persistentvolumeclaims", claims),
                                              ("ConfigMap", "configmaps", configmaps),
                                              ("Secret", "secrets", secret_names)):
                known = existing[plural]
                if known is None:  # the caller may not read this kind: do not reveal names
                    continue
                for name in sorted(names):
                    if plural == "persistentvolumeclaims":
                        status = claim_status.get(name, "Missing")
                    else:
                        status = "Present" if name in known else "Missing"
                    graph.link(source, graph.add(kind_label, name, namespace, status), "mounts")
        bound = {_meta(c).get("name"): (c.get("spec") or {}).get("volumeName")
                 for c in objects["persistentvolumeclaims"]}
        # PersistentVolumes are cluster-scoped: namespace-restricted callers see claims only.
        pv_read = await self.read(principal, cluster, "persistentvolumes") if any(bound.values()) else None
        pv_status = {_meta(pv).get("name"): _status_of(pv_read.kind, pv)
                     for pv in pv_read.objects()} if pv_read is not None else {}
        for claim_name, volume in bound.items():
            claim_id = graph.add("PersistentVolumeClaim", claim_name, namespace, claim_status.get(claim_name))
            if volume and pv_read is not None:
                graph.link(claim_id, graph.add("PersistentVolume", volume, None, pv_status.get(volume, "Missing")),
                           "binds")

        return {
            "namespace": namespace,
            "nodes": list(graph.nodes.values()),
            "edges": [{"source": s, "target": t, "type": e} for s, t, e in sorted(graph.edges)],
            "collapsed": bool(groups), "budget": budget, "podCount": len(pods), "skipped": skipped,
        }

    @staticmethod
    def _estimated_reference_nodes(pods: list[Obj]) -> int:
        """How many claim/config/secret nodes the pods will add (distinct names)."""
        names: set[tuple[int, str]] = set()
        for pod in pods:
            for index, group in enumerate(_pod_references(pod)):
                names.update((index, name) for name in group)
        return len(names)

    @staticmethod
    def _owners_to_collapse(pod_owner: dict[str, str | None], room: int) -> set[str | None]:
        """Owners whose pods become one group node, largest first, until the pods fit in `room` nodes."""
        sizes = collections.Counter(pod_owner.values())
        shown = len(pod_owner)
        collapse: set[str | None] = set()
        for owner, size in sorted(sizes.items(), key=lambda item: (item[0] is None, -item[1])):
            if shown <= max(room, 0) or size < 2:
                break
            collapse.add(owner)
            shown -= size - 1
        return collapse

    # -- events and quotas -------------------------------------------------------------------------
    async def events(self, principal: Principal, cluster_id: int, *, namespace: str | None = None,
                     kind: str | None = None, name: str | None = None, uid: str | None = None,
                     event_type: str | None = None, limit: int = EVENTS_DEFAULT_LIMIT) -> tuple[list[Obj], int]:
        """Events newest first, filtered on the involved object by field selector; returns (page, total)."""
        target = await self.resources.resolve(principal, cluster_id, "events", namespace, Verb.READ)
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
        read = await self.read(principal, target.cluster, "events", namespace=target.namespace,
                               field_selector=",".join(selector) or None)
        if read is None:  # resolve() already allowed it; only a vanished kind gets here
            return [], 0
        events = sorted(read.objects(), key=_event_time, reverse=True)
        return [compact_event(event) for event in events[:limit]], len(events)

    async def quota_summary(self, principal: Principal, cluster_id: int, *, namespace: str | None = None) -> Obj:
        """ResourceQuotas with hard, used and percent per resource; LimitRanges listed."""
        target = await self.resources.resolve(principal, cluster_id, "resourcequotas", namespace, Verb.READ)
        quotas, limit_ranges = await gather_all([
            self.read(principal, target.cluster, "resourcequotas", namespace=target.namespace),
            self.read(principal, target.cluster, "limitranges", namespace=target.namespace),
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
            summary.append({"name": _meta(quota).get("name"), "namespace": _meta(quota).get("namespace"),
                            "scopes": (quota.get("spec") or {}).get("scopes") or [], "resources": resources})
        ranges = [{"name": _meta(lr).get("name"), "namespace": _meta(lr).get("namespace"),
                   "limits": (lr.get("spec") or {}).get("limits") or []}
                  for lr in (limit_ranges.objects() if limit_ranges is not None else [])]
        key = lambda item: (item["namespace"] or "", item["name"] or "")  # noqa: E731
        return {"quotas": sorted(summary, key=key), "limitRanges": sorted(ranges, key=key)}


VIEWS = web.AppKey("views", ViewService)
