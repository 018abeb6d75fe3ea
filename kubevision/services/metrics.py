"""CPU and memory usage: current values and history of pods, nodes, workloads and namespaces (kube/metrics.py).

Each answer is authorized through an `AccessScope` exactly as a read of the objects it describes: pods and
workloads of a kind in a namespace (namespace grants apply; across namespaces a limited caller sees only theirs),
nodes (cluster-scoped: not for namespace-limited callers), namespaces (filtered to the granted ones). The first
read of a cluster's metrics starts its sampler and waits at most `FIRST_SAMPLE_WAIT_S` for its first round.
Every answer carries the source in use, or `reason` when none works (the permission or the API that is missing).
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import orjson
from aiohttp import web

from kubevision.auth.permissions import Verb
from kubevision.errors import ApiError, ErrorCode
from kubevision.kube.cache import KindCache
from kubevision.kube.clusters import ClusterManager
from kubevision.kube.metrics import (
    ACTIVITY_WINDOW_S,
    DOWNSAMPLED_WINDOW_S,
    FULL_RESOLUTION_S,
    NAMESPACES,
    NODES,
    PODS,
    ClusterMetrics,
    Current,
    PodUsage,
    Resources,
    SeriesKey,
    Totals,
)
from kubevision.kube.quantities import quantity_or_zero
from kubevision.kube.registry import METRIC_SORT_PREFIX, Capability
from kubevision.kube.tables import ValueOrder, table_spec, unknown_sort
from kubevision.services.access import AccessScope, lookup_kind, require_cluster
from kubevision.services.context import RequestContext

FIRST_SAMPLE_WAIT_S = 10.0
MIN_RANGE_S = 15 * 60
MAX_RANGE_S = DOWNSAMPLED_WINDOW_S
DEFAULT_RANGE = "1h"
MAX_ITEMS = 10_000
# Current values asked for by object (`names`): at most this many keys per request. A windowed list holds at most
# 2,400 rows (static/js/pages/tableWindow.js); 5,000 keys of the longest names (63 + 1 + 253 characters) still fit
# the 2 MiB body limit (api/params.py `MAX_BODY_BYTES`).
MAX_NAMES = 5_000
# The busiest pods and nodes: this many of each by CPU and by memory, by default and at most.
TOP_DEFAULT = 10
TOP_MAX = 50
BUSIEST_BY = ("cpu", "memory")
SORT_KEYS = ("cpu", "memory", "name")
_RANGE_RE = re.compile(r"([1-9][0-9]{0,4})([mhd])")
_UNIT_S = {"m": 60, "h": 3600, "d": 86400}
# An object key of `names`: "namespace/name" (a DNS label, then a DNS subdomain), "/name" for cluster-scoped kinds.
_DNS_LABEL = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
_DNS_SUBDOMAIN = r"[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?"
_NAMESPACED_KEY_RE = re.compile(rf"({_DNS_LABEL})/({_DNS_SUBDOMAIN})")
_CLUSTER_KEY_RE = re.compile(rf"/({_DNS_SUBDOMAIN})")
K = TypeVar("K")
V = TypeVar("V")


def parse_range(value: str | None) -> int:
    """A history range such as `15m`, `6h` or `7d` in seconds, from 15 minutes to 7 days (40002 otherwise)."""
    match = _RANGE_RE.fullmatch(value or DEFAULT_RANGE)
    seconds = int(match.group(1)) * _UNIT_S[match.group(2)] if match else 0
    if not MIN_RANGE_S <= seconds <= MAX_RANGE_S:
        raise ApiError(ErrorCode.PARAM_INVALID,
                       f"range must be a duration from 15m to 7d (minutes m, hours h, days d), not {value!r}")
    return seconds


def parse_names(names: list[Any], *, namespaced: bool) -> frozenset[tuple[str, str]]:
    """The (namespace or "", name) keys of `names` ("namespace/name", or "/name" when not `namespaced`), at most
    `MAX_NAMES`; 40002 naming the first malformed one."""
    if len(names) > MAX_NAMES:
        raise ApiError(ErrorCode.PARAM_INVALID, f"names lists {len(names)} objects: at most {MAX_NAMES} per request")
    pattern, form = (_NAMESPACED_KEY_RE, "namespace/name") if namespaced else (_CLUSTER_KEY_RE, "/name")
    keys: set[tuple[str, str]] = set()
    for index, name in enumerate(names):
        match = pattern.fullmatch(name) if isinstance(name, str) else None
        if match is None:
            shown = repr(name)[:100]
            raise ApiError(ErrorCode.PARAM_INVALID, f"names[{index}] = {shown} is not an object key: each is {form}")
        keys.add((match.group(1), match.group(2)) if namespaced else ("", match.group(1)))
    return frozenset(keys)


def _entries(values: Mapping[K, V], wanted: Iterable[K] | None) -> Iterable[tuple[K, V]]:
    """Every (key, value) of `values`, or those of the `wanted` keys it has (looked up, not scanned: a few
    thousand keys of 100k pods)."""
    if wanted is None:
        return values.items()
    return ((key, values[key]) for key in wanted if key in values)


def _cores(millicores: float | None) -> float | None:
    return None if millicores is None else round(millicores / 1000, 6)


def _bytes(amount: float | None) -> int | None:
    return None if amount is None else round(amount)


def _percent(usage: float, of: float | None) -> float | None:
    return round(100 * usage / of, 1) if of else None


# Each usage field from (CPU in millicores, memory in bytes, requests and limits): CPU in cores, memory in bytes,
# usage in % of each request and limit (null where not set).
_USAGE_FIELDS: dict[str, Callable[[float, float, Resources], float | int | None]] = {
    "cpu": lambda cpu, memory, resources: _cores(cpu),
    "memory": lambda cpu, memory, resources: _bytes(memory),
    "cpuRequest": lambda cpu, memory, resources: _cores(resources.cpu_request or None),
    "cpuLimit": lambda cpu, memory, resources: _cores(resources.cpu_limit or None),
    "memoryRequest": lambda cpu, memory, resources: _bytes(resources.memory_request or None),
    "memoryLimit": lambda cpu, memory, resources: _bytes(resources.memory_limit or None),
    "cpuOfRequest": lambda cpu, memory, resources: _percent(cpu, resources.cpu_request),
    "cpuOfLimit": lambda cpu, memory, resources: _percent(cpu, resources.cpu_limit),
    "memoryOfRequest": lambda cpu, memory, resources: _percent(memory, resources.memory_request),
    "memoryOfLimit": lambda cpu, memory, resources: _percent(memory, resources.memory_limit),
}
_NO_RESOURCES = Resources()


def _usage(cpu: float, memory: float, resources: Resources | None) -> dict[str, Any]:
    """CPU (cores) and memory (bytes) used, with requests and limits and the usage in % of each."""
    resources = resources or _NO_RESOURCES
    return {field: value(cpu, memory, resources) for field, value in _USAGE_FIELDS.items()}


def _network(rx: float | None, tx: float | None) -> dict[str, Any]:
    return {"rxBytesPerSecond": None if rx is None else round(rx, 1),
            "txBytesPerSecond": None if tx is None else round(tx, 1)}


def _totals(totals: Totals) -> dict[str, Any]:
    return {"pods": totals.pods, **_usage(totals.cpu, totals.memory, totals.resources),
            "network": _network(totals.rx_rate, totals.tx_rate), "restarts": totals.restarts}


def kept_seconds(kind: str) -> dict[str, int]:
    """How far back each series of a kind goes: CPU and memory 1 h for pods and 7 days for the others; network and
    restarts 1 h (a pod's network: its current rate only, 0)."""
    usage = FULL_RESOLUTION_S if kind == PODS else DOWNSAMPLED_WINDOW_S
    return {"cpu": usage, "memory": usage, "network": 0 if kind == PODS else ACTIVITY_WINDOW_S,
            "restarts": ACTIVITY_WINDOW_S}


def _rounded(values: list[float | None], digits: int) -> list[float | None]:
    return [None if value is None else round(value, digits) for value in values]


Pair = tuple[tuple[str, str], Any]  # ((namespace or "", name), usage or totals)


def _checked_sort(sort: str | None) -> str:
    """`sort` (`cpu`, `memory`, `name`; `-` first for descending), `-cpu` by default."""
    sort = sort or "-cpu"
    if sort.removeprefix("-") not in SORT_KEYS:
        raise ApiError(ErrorCode.PARAM_INVALID, f"sort must be one of {', '.join(SORT_KEYS)} (- for descending)")
    return sort


def _sorted(pairs: Iterable[Pair], sort: str) -> list[Pair]:
    """`pairs` in `sort` order (checked by `_checked_sort`)."""
    field = sort.removeprefix("-")

    def key(pair: Pair) -> Any:
        return pair[0] if field == "name" else getattr(pair[1], field)

    return sorted(pairs, key=key, reverse=sort.startswith("-"))


def _ordered(current: Current, kind: str, sort: str) -> list[Pair]:
    """Every pair of `kind` in the round, in `sort` order: sorted once per round and sort (`Current.orders`), so a
    first page of 10k pods walks the order until it has its items."""
    memo = current.orders.get((kind, sort))
    if memo is None:
        memo = current.orders[(kind, sort)] = _sorted(_pairs(current, kind, None), sort)
    return memo


def _pairs(current: Current, kind: str, keys: frozenset[tuple[str, str]] | None) -> Iterable[Pair]:
    """The round's pairs of `kind` (only those of `keys` when given: looked up, not scanned)."""
    names = None if keys is None else [name for _, name in keys]
    if kind == PODS:
        return _entries(current.pods, keys)
    if kind == NODES:
        return ((("", name), totals) for name, totals in _entries(current.nodes, names))
    if kind == NAMESPACES:
        return ((("", name), totals) for name, totals in _entries(current.namespaces, names))
    wanted = None if keys is None else [(kind, namespace, name) for namespace, name in keys]
    return (((namespace, name), totals) for (workload, namespace, name), totals in _entries(current.workloads, wanted)
            if workload == kind)


def _first(pairs: Iterable[Pair], keep: Callable[[tuple[str, str]], bool] | None, limit: int | None) -> list[Pair]:
    """The first `limit` pairs (all without one) whose key `keep` accepts (every key without it)."""
    kept = pairs if keep is None else (pair for pair in pairs if keep(pair[0]))
    return list(itertools.islice(kept, limit))


def _keep(scope: AccessScope) -> Callable[[tuple[str, str]], bool] | None:
    """The keys of `scope`'s kind the caller sees in its namespace (None: all of them). Nodes are cluster-scoped
    and shown to whoever may read them."""
    visible = None if scope.kind.name == NODES else scope.key_filter()
    namespace = scope.namespace
    if namespace is None:
        return visible
    return lambda key: key[0] == namespace and (visible is None or visible(key))


class MetricsService:
    """Current values and series, per caller."""

    def __init__(self, clusters: ClusterManager) -> None:
        self._clusters = clusters

    async def _open(self, context: RequestContext, cluster_id: int, resource: str, *,
                    namespace: str | None) -> tuple[AccessScope, ClusterMetrics]:
        scope = await AccessScope.open(context, self._clusters, cluster_id, resource, namespace=namespace,
                                       verb=Verb.READ)
        if Capability.METRICS not in scope.kind.capabilities:
            raise ApiError(ErrorCode.PARAM_INVALID, f"no CPU and memory usage is kept for {scope.kind.name}")
        metrics = scope.cluster.metrics
        await metrics.started(wait_s=FIRST_SAMPLE_WAIT_S)
        return scope, metrics

    @staticmethod
    def status(metrics: ClusterMetrics) -> dict[str, Any]:
        """Which source is in use, or why none works; when the last round was; nodes whose Summary failed."""
        current = metrics.current
        return {"available": metrics.source is not None, "source": metrics.source, "reason": metrics.reason,
                "sampledAt": current.time or None, "intervalSeconds": metrics.options.interval_s,
                "nodeErrors": dict(current.node_errors)}

    async def current(self, context: RequestContext, cluster_id: int, resource: str, *, namespace: str | None,
                      sort: str | None = None, limit: int | None = None,
                      names: list[Any] | None = None) -> dict[str, Any]:
        """The latest usage of every visible object of a kind with `Capability.METRICS`: pods (with containers and
        network rates), nodes (with % of allocatable), namespaces and workloads (sums of their pods), in `sort`
        order (`-cpu` by default), at most `limit`. With `names` (object keys, see `parse_names`): only those
        objects; one the caller may not see, or without a value this round, is left out like any other."""
        scope, metrics = await self._open(context, cluster_id, resource, namespace=namespace)
        kind, current, sort = scope.kind.name, metrics.current, _checked_sort(sort)
        if names is None:
            pairs = _ordered(current, kind, sort)
        else:
            pairs = _sorted(_pairs(current, kind, parse_names(names, namespaced=scope.kind.namespaced)), sort)
        chosen = _first(pairs, _keep(scope), limit)
        if kind == PODS:
            items = [self._pod(metrics, key, usage) for key, usage in chosen]
        elif kind == NODES:
            cache = scope.cluster.caches.for_reads(scope.kind)
            items = [self.node(cache, name, totals) for (_, name), totals in chosen]
        elif kind == NAMESPACES:
            items = [{"name": name, **_totals(totals)} for (_, name), totals in chosen]
        else:
            items = [{"kind": kind, "namespace": ns, "name": name, **_totals(totals)} for (ns, name), totals in chosen]
        return {**self.status(metrics), "kind": kind, "items": items}

    @staticmethod
    def _pod(metrics: ClusterMetrics, key: tuple[str, str], usage: PodUsage) -> dict[str, Any]:
        current = metrics.current
        workload = current.pod_workloads.get(key)
        return {"namespace": key[0], "name": key[1], "node": usage.node or None, "time": usage.time,
                **_usage(usage.cpu, usage.memory, current.pod_resources.get(key)),
                "workload": None if workload is None else {"kind": workload[0], "name": workload[2]},
                "network": _network(usage.rx_rate, usage.tx_rate), "restarts": current.pod_restarts.get(key, 0),
                "containers": [{"name": name, "cpu": _cores(cpu), "memory": _bytes(memory)}
                               for name, cpu, memory in usage.containers]}

    @staticmethod
    def node(cache: KindCache | None, name: str, totals: Totals) -> dict[str, Any]:
        """A node's current usage, in % of its allocatable too (from the nodes' `cache`, when it has the node)."""
        entry = cache.entries.get(("", name)) if cache is not None else None
        allocatable = (entry_status(entry.raw).get("allocatable") or {}) if entry is not None else {}
        cpu_allocatable = float(quantity_or_zero(allocatable.get("cpu")) * 1000) or None
        memory_allocatable = float(quantity_or_zero(allocatable.get("memory"))) or None
        return {"name": name, "pods": totals.pods, "cpu": _cores(totals.cpu), "memory": _bytes(totals.memory),
                "cpuAllocatable": _cores(cpu_allocatable), "memoryAllocatable": _bytes(memory_allocatable),
                "cpuOfAllocatable": _percent(totals.cpu, cpu_allocatable),
                "memoryOfAllocatable": _percent(totals.memory, memory_allocatable),
                "network": _network(totals.rx_rate, totals.tx_rate), "restarts": totals.restarts}

    async def top(self, context: RequestContext, cluster_id: int, *, limit: int = TOP_DEFAULT) -> dict[str, Any]:
        """The `limit` busiest pods and nodes by CPU and by memory, from the sampler's latest round (no request to
        the cluster): pods of the namespaces the caller may read (null when their role may not read pods), nodes
        only for callers who may read nodes (null otherwise)."""
        require_cluster(context.caller, cluster_id)
        cluster = self._clusters.get(cluster_id)
        scopes: dict[str, AccessScope] = {}
        for resource in (PODS, NODES):
            scope = AccessScope.of(context, cluster, await lookup_kind(cluster, resource), namespace=None)
            if scope.may(Verb.READ):
                scopes[resource] = scope
        metrics = cluster.metrics
        await metrics.started(wait_s=FIRST_SAMPLE_WAIT_S)
        current = metrics.current
        pods = nodes = None
        if PODS in scopes:
            keep = _keep(scopes[PODS])
            pods = {field: [self._pod(metrics, key, usage)
                            for key, usage in _first(_ordered(current, PODS, f"-{field}"), keep, limit)]
                    for field in BUSIEST_BY}
        if NODES in scopes:
            cache = cluster.caches.for_reads(scopes[NODES].kind)
            nodes = {field: [self.node(cache, key[1], totals)
                             for key, totals in _first(_ordered(current, NODES, f"-{field}"), None, limit)]
                     for field in BUSIEST_BY}
        return {**self.status(metrics), "limit": limit, "pods": pods, "nodes": nodes}

    async def series(self, context: RequestContext, cluster_id: int, resource: str, *, namespace: str | None,
                     name: str, range_s: int) -> dict[str, Any]:
        """One object's CPU (cores), memory (bytes), network (bytes/s) and restarts over the last `range_s` seconds,
        as columns aligned with `t` (null where no value; a column is null as a whole when its series is not kept
        that far back: `maxRangeSeconds` says how far each goes). CPU and memory: full resolution up to 1 hour,
        downsampled buckets beyond (not for pods)."""
        scope, metrics = await self._open(context, cluster_id, resource, namespace=namespace)
        scope.require_namespace()
        scope.require_object(name)
        kind = scope.kind.name
        kept = kept_seconds(kind)
        if range_s > max(kept.values()):
            raise ApiError(ErrorCode.PARAM_INVALID,
                           f"the history of {kind} covers {max(kept.values()) // 60} minutes: ask for a shorter range")
        key: SeriesKey = (kind, scope.namespace or "", name)
        full = range_s <= FULL_RESOLUTION_S
        ring = metrics.full if full else metrics.downsampled
        since = time.time() - range_s
        times, cpus, memories = ring.points(key, since)
        points: dict[str, list[Any] | None] = {"t": times, "cpu": [_cores(cpu) for cpu in cpus],
                                               "memory": [_bytes(memory) for memory in memories],
                                               "rxBytesPerSecond": None, "txBytesPerSecond": None, "restarts": None}
        if range_s <= kept["network"]:
            activity = metrics.activity.points(key, since)
            by_time = dict(zip(activity[0], zip(*activity[1:], strict=True), strict=True))
            rows = [by_time.get(t, (None, None, None)) for t in times]
            points["rxBytesPerSecond"] = _rounded([row[0] for row in rows], 1)
            points["txBytesPerSecond"] = _rounded([row[1] for row in rows], 1)
            points["restarts"] = [None if row[2] is None else int(row[2]) for row in rows]
        elif kind == PODS and range_s <= kept["restarts"]:
            steps = metrics.pod_restarts.at(key, times)
            points["restarts"] = [None if cpu is None else count for cpu, count in zip(cpus, steps, strict=True)]
        return {**self.status(metrics), "kind": kind, "namespace": scope.namespace, "name": name,
                "rangeSeconds": range_s, "maxRangeSeconds": kept,
                "resolutionSeconds": metrics.options.interval_s if full else metrics.options.bucket_s,
                "points": points, **self._requests_and_limits(metrics, key), **self._now(metrics, key)}

    @staticmethod
    def _now(metrics: ClusterMetrics, key: SeriesKey) -> dict[str, Any]:
        """The object's current network rates and restarts (a pod's network is not kept over time)."""
        current = metrics.current
        kind, namespace, name = key
        if kind == PODS:
            usage = current.pods.get((namespace, name))
            rates = (None, None) if usage is None else (usage.rx_rate, usage.tx_rate)
            return {"network": _network(*rates), "restarts": current.pod_restarts.get((namespace, name))}
        totals = (current.nodes.get(name) if kind == NODES else current.namespaces.get(name) if kind == NAMESPACES
                  else current.workloads.get(key))
        if totals is None:
            return {"network": _network(None, None), "restarts": None}
        return {"network": _network(totals.rx_rate, totals.tx_rate), "restarts": totals.restarts}

    @staticmethod
    def _requests_and_limits(metrics: ClusterMetrics, key: SeriesKey) -> dict[str, Any]:
        """The object's current requests and limits (lines on a chart); null when unknown."""
        current = metrics.current
        kind, namespace, name = key
        resources: Resources | None
        if kind == PODS:
            resources = current.pod_resources.get((namespace, name))
        elif kind == NAMESPACES:
            resources = getattr(current.namespaces.get(name), "resources", None)
        elif kind == NODES:
            resources = None
        else:
            resources = getattr(current.workloads.get(key), "resources", None)
        resources = resources or Resources()
        return {"requests": {"cpu": _cores(resources.cpu_request or None),
                             "memory": _bytes(resources.memory_request or None)},
                "limits": {"cpu": _cores(resources.cpu_limit or None),
                           "memory": _bytes(resources.memory_limit or None)}}


async def metric_order(scope: AccessScope, sort: str) -> ValueOrder:
    """The order of a list by `sort` = `metrics.<field>` ('-' descending; `ResourceKind.metric_sorts`): the
    sampler's current value of each object's `field`, the same number the metrics route answers (rounded as it is),
    rows without one last either way (see `ValueOrder`). The first use starts the cluster's sampler and waits at
    most `FIRST_SAMPLE_WAIT_S` for its first round. 40002 for a kind without `Capability.METRICS`, a field it has
    not (listing every id its lists sort by), or when no metrics source works (saying why).

    The values cover every object of the kind, whoever asks: they only order the rows, and the caller's namespace
    and grants then pick the rows shown, so the order of what a caller sees never depends on what they may not."""
    kind = scope.kind
    if not kind.metric_sorts:
        raise ApiError(ErrorCode.PARAM_INVALID, f"sort={sort}: no CPU and memory usage is kept for {kind.name} "
                                                "(only for pods, workloads, nodes and namespaces)")
    if sort.removeprefix("-") not in kind.metric_sorts:
        raise unknown_sort(table_spec(kind), namespaced=kind.namespaced, metric_sorts=kind.metric_sorts)
    metrics = scope.cluster.metrics
    await metrics.started(wait_s=FIRST_SAMPLE_WAIT_S)
    if metrics.source is None:
        why = metrics.reason or f"no sample yet after {FIRST_SAMPLE_WAIT_S:g} s"
        raise ApiError(ErrorCode.PARAM_INVALID, f"sort={sort}: no CPU and memory usage is available ({why})")
    current, cluster = metrics.current, scope.cluster
    field = sort.removeprefix("-").removeprefix(METRIC_SORT_PREFIX)
    return ValueOrder(sort=sort, snapshot=current,
                      values=lambda: current_values(cluster.caches.for_reads(kind), kind.name, current, field))


def current_values(cache: KindCache | None, kind: str, current: Current, field: str) -> dict[tuple[str, str], float]:
    """Each object's `field` in `current` (one round of the sampler) by (namespace or "", name), as the metrics
    route answers it; objects without a value are left out. `cache`: the kind's (a node's allocatable)."""
    values: Iterable[tuple[tuple[str, str], float | int | None]]
    if kind == NODES:
        values = ((("", name), MetricsService.node(cache, name, totals)[field])
                  for name, totals in current.nodes.items())
    elif kind == PODS:
        usage = _USAGE_FIELDS[field]
        values = ((key, usage(pod.cpu, pod.memory, current.pod_resources.get(key) or _NO_RESOURCES))
                  for key, pod in current.pods.items())
    elif kind == NAMESPACES:
        usage = _USAGE_FIELDS[field]
        values = ((("", name), usage(totals.cpu, totals.memory, totals.resources))
                  for name, totals in current.namespaces.items())
    else:
        usage = _USAGE_FIELDS[field]
        values = (((namespace, name), usage(totals.cpu, totals.memory, totals.resources))
                  for (workload, namespace, name), totals in current.workloads.items() if workload == kind)
    return {key: value for key, value in values if value is not None}


def entry_status(raw: bytes) -> dict[str, Any]:
    """The `status` of a cached object's JSON."""
    return orjson.loads(raw).get("status") or {}


METRICS = web.AppKey("metrics", MetricsService)
