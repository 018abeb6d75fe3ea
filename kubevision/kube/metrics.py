"""CPU and memory usage per cluster: source detection, a sampler, and compact in-memory history.

Sources, tried in this order on every detection: the kubelet Summary API through the API server's node proxy
(`/api/v1/nodes/{node}/proxy/stats/summary`: nothing to install, needs `get nodes/proxy`), then `metrics.k8s.io`
(metrics-server) when the cluster serves it. When neither works, `ClusterMetrics.reason` says why (the missing
permission or API), and detection is tried again every `DETECT_RETRY_S`.

The sampler of a cluster starts on the first metrics read and stops with the cluster's caches (`go_idle`). Each
round sends one Summary request per node (at most `SUMMARY_CONCURRENCY` at once), never one per object, or two
lists with `metrics.k8s.io`; owners, requests and limits come from the cache (pods, and the owner kinds it stores).

History: per cluster, one ring of round timestamps and, per series, two float32 columns aligned with it (CPU in
millicores, memory in bytes; NaN where a series has no value). Full resolution (`FULL_RESOLUTION_S`, 1 h) for pods,
nodes, workloads and namespaces; downsampled buckets (`MetricsOptions.bucket_s`, 5 min, averages of the round
values) over `DOWNSAMPLED_WINDOW_S` (7 days) for nodes, workloads and namespaces, persisted to the database when a
bucket closes and loaded at the sampler's start. Containers keep their current value only.

Network (receive and transmit bytes/s, from the pods' counters) and restarts (the sum of `restartCount` from the
cached pods) over `ACTIVITY_WINDOW_S` (1 h) at full resolution, in memory only: three more float32 columns per node,
workload and namespace (`ClusterMetrics.activity`; a node's are its pods' sums), and per pod only the changes of its
restart count (`Steps`). A pod's network is its current rate only: two columns per pod would add 19 MB at 10k pods,
past the 50 MB budget.
"""

from __future__ import annotations

import array
import asyncio
import dataclasses
import datetime as dt
import functools
import logging
import math
import time
from collections.abc import Container, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from kubevision.heap import collector_paused
from kubevision.kube.errors import KubeError
from kubevision.kube.quantities import quantity_or_zero
from kubevision.kube.registry import Registry, ResourceKind, path_segment
from kubevision.store import Store
from kubevision.store import metrics_history as history_repo
from kubevision.tasks import create_named_task, stop_tasks, wait_set

if TYPE_CHECKING:
    from kubevision.kube.cache import CacheEntry
    from kubevision.kube.clusters import Cluster

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 15
DEFAULT_BUCKET_S = 300
FULL_RESOLUTION_S = 3600
DOWNSAMPLED_WINDOW_S = 7 * 24 * 3600
# Network rates and restarts are kept in memory for this long, at full resolution (not downsampled, not saved).
ACTIVITY_WINDOW_S = FULL_RESOLUTION_S
# Summary requests in flight at once per cluster (one per node per round).
SUMMARY_CONCURRENCY = 8
SUMMARY_TIMEOUT_S = 10.0
METRICS_API_TIMEOUT_S = 15.0
# How long a round waits for the nodes and pods caches to list.
CACHE_WAIT_S = 30.0
# While no source works, detection is tried again this often.
DETECT_RETRY_S = 60.0
# Rows older than the retention are deleted from the database at most this often.
PRUNE_INTERVAL_S = 3600.0
# Parsed Summary timestamps remembered (a round has about one per node).
EPOCH_CACHE_SIZE = 1024
# Owner references followed up from a pod through cached kinds (Pod → ReplicaSet → Deployment).
MAX_OWNER_DEPTH = 3

PODS, NODES, NAMESPACES = "pods", "nodes", "namespaces"
SUMMARY_SOURCE = "summary"
METRICS_API_SOURCE = "metrics.k8s.io"
METRICS_GROUP = "metrics.k8s.io"
MISSING = float("nan")

# (kind plural, namespace or "", name): "pods", "nodes", "namespaces" or a workload kind's plural.
SeriesKey = tuple[str, str, str]
OwnerRef = tuple[str, str, str, str]  # a controller reference: (group, Kind, namespace, name)
GroupKey = TypeVar("GroupKey")
# Pods added up between two turns of the event loop while a round is recorded.
PODS_PER_TURN = 1_000


@dataclasses.dataclass(frozen=True)
class MetricsOptions:
    """How often to sample, how wide a downsampled bucket is, how long the database keeps buckets, and where."""

    interval_s: float = DEFAULT_INTERVAL_S
    bucket_s: int = DEFAULT_BUCKET_S
    retention_s: float = DOWNSAMPLED_WINDOW_S
    store: Store | None = None


class SourceUnusableError(Exception):
    """A source cannot be used; the message says why (permission, missing API)."""


class Ring:
    """Timestamps and, per series, `width` float32 columns aligned with them (CPU and memory by default): at most
    `capacity` points; a series not seen for `window_s` is dropped."""

    def __init__(self, capacity: int, window_s: float, *, width: int = 2) -> None:
        self.capacity = max(1, capacity)
        self.window_s = window_s
        self.width = width
        self.times = array.array("d")
        self.head = 0  # once full, the position written next (the oldest point)
        self.columns: dict[SeriesKey, tuple[array.array[float], ...]] = {}
        self.last_seen: dict[SeriesKey, float] = {}

    def append(self, t: float, values: dict[SeriesKey, tuple[float, ...]]) -> None:
        """One point at time `t` for every series: `values` (`width` numbers each), NaN for known series without
        one."""
        full = len(self.times) >= self.capacity
        position = self.head if full else len(self.times)
        if full:
            self.times[position] = t
            self.head = (self.head + 1) % self.capacity
        else:
            self.times.append(t)
        length = len(self.times)
        for key, value in values.items():
            columns = self.columns.get(key)
            if columns is None:
                columns = self.columns[key] = tuple(_missing_column(length) for _ in range(self.width))
            elif not full:
                for column in columns:
                    column.append(MISSING)
            for column, number in zip(columns, value, strict=True):
                column[position] = number
            self.last_seen[key] = t
        for key, columns in list(self.columns.items()):
            if key in values:
                continue
            if t - self.last_seen[key] > self.window_s:
                del self.columns[key], self.last_seen[key]
                continue
            for column in columns:
                if full:
                    column[position] = MISSING
                else:
                    column.append(MISSING)

    def _order(self) -> tuple[range, ...]:
        length = len(self.times)
        return (range(self.head, length), range(self.head)) if length >= self.capacity else (range(length),)

    def points(self, key: SeriesKey, since: float) -> tuple[list[Any], ...]:
        """(times, then one list per column: CPU millicores and memory bytes by default) of one series from `since`
        on, oldest first; None where missing."""
        columns = self.columns.get(key)
        times: list[float] = []
        values: list[list[float | None]] = [[] for _ in range(self.width)]
        if columns is None:
            return (times, *values)
        for span in self._order():
            for position in span:
                t = self.times[position]
                if t < since:
                    continue
                times.append(t)
                for column, listed in zip(columns, values, strict=True):
                    listed.append(_present(column[position]))
        return (times, *values)

    def means(self, start: float, end: float, keys: Iterable[SeriesKey]) -> dict[SeriesKey, tuple[float, ...]]:
        """The average of each series' values in [start, end), per column (series without one are left out)."""
        positions = [p for p, t in enumerate(self.times) if start <= t < end]
        averages = {}
        for key in keys:
            columns = self.columns[key]
            present = [[column[p] for p in positions if not math.isnan(column[p])] for column in columns]
            if present[0]:
                averages[key] = tuple(sum(numbers) / len(numbers) if numbers else MISSING for numbers in present)
        return averages


class Steps:
    """Counts that change seldom (a pod's container restarts), per series: the changes of the last `window_s`
    seconds and the value before them, so a series that never leaves 0 takes no memory (10k pods at 15-second
    rounds would take 10 MB as a column)."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self.changes: dict[SeriesKey, list[tuple[float, int]]] = {}

    def record(self, t: float, values: dict[SeriesKey, int], *, alive: Container[SeriesKey]) -> None:
        """Note each series' value at `t` (kept only when it differs from the last); forget series not in `alive`
        and changes older than the window (the newest of those stays as the value before it)."""
        for key, value in values.items():
            changes = self.changes.get(key)
            if changes is None:
                if value:
                    self.changes[key] = [(t, value)]
            elif changes[-1][1] != value:
                changes.append((t, value))
        for key in [key for key in self.changes if key not in alive]:
            del self.changes[key]
        cutoff = t - self.window_s
        for changes in self.changes.values():
            stale = sum(1 for when, _ in changes if when < cutoff)
            if stale > 1:
                del changes[:stale - 1]

    def at(self, key: SeriesKey, times: Iterable[float]) -> list[int]:
        """The value of a series at each of `times` (ascending): 0 before its first change."""
        changes = self.changes.get(key) or []
        values, index, value = [], 0, 0
        for t in times:
            while index < len(changes) and changes[index][0] <= t:
                value = changes[index][1]
                index += 1
            values.append(value)
        return values


def _missing_column(length: int) -> array.array[float]:
    return array.array("f", [MISSING]) * length


def _present(value: float) -> float | None:
    return None if math.isnan(value) else value


@dataclasses.dataclass(slots=True)
class Resources:
    """CPU (millicores) and memory (bytes) requests and limits; None where not set (for every container)."""

    cpu_request: float | None = None
    cpu_limit: float | None = None
    memory_request: float | None = None
    memory_limit: float | None = None

    def add(self, other: Resources) -> None:
        """Sum `other` into this (a sum is None once a part is None, for limits; requests count as zero)."""
        self.cpu_request = (self.cpu_request or 0) + (other.cpu_request or 0)
        self.memory_request = (self.memory_request or 0) + (other.memory_request or 0)
        self.cpu_limit = None if self.cpu_limit is None or other.cpu_limit is None else self.cpu_limit + other.cpu_limit
        self.memory_limit = (None if self.memory_limit is None or other.memory_limit is None
                             else self.memory_limit + other.memory_limit)


@dataclasses.dataclass(slots=True)
class PodFacts:
    """What the sampler needs from a cached pod: its controller, its containers' requests and limits, its node, and
    (once resolved in a round) the workload it counts under."""

    owner: OwnerRef | None
    resources: Resources
    restarts: int = 0
    workload: SeriesKey | None = None
    node: str = ""


@dataclasses.dataclass(slots=True)
class PodUsage:
    """A pod's latest sample."""

    time: float
    cpu: float
    memory: float
    node: str
    containers: list[tuple[str, float, float]]
    rx_bytes: float | None = None
    tx_bytes: float | None = None
    rx_rate: float | None = None
    tx_rate: float | None = None


@dataclasses.dataclass(slots=True)
class Totals:
    """A node's, workload's or namespace's latest sum."""

    cpu: float = 0.0
    memory: float = 0.0
    pods: int = 0
    resources: Resources = dataclasses.field(default_factory=lambda: Resources(cpu_limit=0.0, memory_limit=0.0))
    rx_rate: float | None = None
    tx_rate: float | None = None
    restarts: int = 0

    def add_pod(self, usage: PodUsage, restarts: int, resources: Resources | None) -> None:
        """Count one pod into this sum: its network rates and restarts, and its CPU, memory, requests and limits
        unless `resources` is None (a node's own usage comes from its Summary)."""
        self.pods += 1
        self.restarts += restarts
        if resources is not None:
            self.cpu += usage.cpu
            self.memory += usage.memory
            self.resources.add(resources)
        if usage.rx_rate is not None:
            self.rx_rate = (self.rx_rate or 0) + usage.rx_rate
            self.tx_rate = (self.tx_rate or 0) + (usage.tx_rate or 0)


@dataclasses.dataclass
class Current:
    """The latest values of one round."""

    time: float = 0.0
    pods: dict[tuple[str, str], PodUsage] = dataclasses.field(default_factory=dict)
    pod_resources: dict[tuple[str, str], Resources] = dataclasses.field(default_factory=dict)
    pod_workloads: dict[tuple[str, str], SeriesKey] = dataclasses.field(default_factory=dict)
    pod_restarts: dict[tuple[str, str], int] = dataclasses.field(default_factory=dict)
    nodes: dict[str, Totals] = dataclasses.field(default_factory=dict)
    workloads: dict[SeriesKey, Totals] = dataclasses.field(default_factory=dict)
    namespaces: dict[str, Totals] = dataclasses.field(default_factory=dict)
    node_errors: dict[str, str] = dataclasses.field(default_factory=dict)
    # (kind, sort) → the round's objects in that order, memoised by the metrics service for the round.
    orders: dict[tuple[str, str], list[Any]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Sample:
    """What one source returned in one round, before owners and sums."""

    time: float
    pods: dict[tuple[str, str], PodUsage]
    nodes: dict[str, Totals]
    node_errors: dict[str, str]


def _epoch(stamp: Any, fallback: float) -> float:
    """An RFC 3339 time as epoch seconds (`fallback` when missing or malformed)."""
    parsed = _parse_time(str(stamp))
    return fallback if parsed is None else parsed


@functools.lru_cache(maxsize=EPOCH_CACHE_SIZE)
def _parse_time(stamp: str) -> float | None:
    """Memoised: the pods of one Summary share a few stamps."""
    try:
        return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _rates(usage: PodUsage, old: PodUsage | None) -> None:
    """A pod's network rates: its counters' growth since the previous round (`old`)."""
    if old is None or usage.rx_bytes is None or old.rx_bytes is None:
        return
    if usage.time > old.time:
        usage.rx_rate = (usage.rx_bytes - old.rx_bytes) / (usage.time - old.time)
        usage.tx_rate = ((usage.tx_bytes or 0) - (old.tx_bytes or 0)) / (usage.time - old.time)
    else:  # the kubelet answered from the same stats as last round
        usage.rx_rate, usage.tx_rate = old.rx_rate, old.tx_rate


def _summary_sample(raw: bytes, *, node: str) -> Sample:
    """One node's Summary API answer: its usage and its pods' (timed now where the kubelet gives no time). Parsed
    and reduced with garbage collection paused: the parsed answer is some 30,000 dicts and lists per 2,500 pods,
    which reference counting frees as soon as their numbers are read."""
    now = time.time()
    with collector_paused():
        summary = orjson.loads(raw)
        node_stats = summary.get("node") or {}
        node_time = _epoch((node_stats.get("cpu") or {}).get("time"), now)
        sample = Sample(node_time, {}, {node: Totals(
            cpu=(node_stats.get("cpu") or {}).get("usageNanoCores", 0) / 1e6,
            memory=float((node_stats.get("memory") or {}).get("workingSetBytes", 0)))}, {})
        for pod in summary.get("pods") or []:
            reference = pod.get("podRef") or {}
            containers = [(c.get("name", ""), (c.get("cpu") or {}).get("usageNanoCores", 0) / 1e6,
                           float((c.get("memory") or {}).get("workingSetBytes", 0)))
                          for c in pod.get("containers") or []]
            cpu = pod.get("cpu") or {}
            memory = pod.get("memory") or {}
            network = pod.get("network") or {}
            sample.pods[(reference.get("namespace", ""), reference.get("name", ""))] = PodUsage(
                time=_epoch(cpu.get("time"), node_time), node=node, containers=containers,
                cpu=cpu["usageNanoCores"] / 1e6 if "usageNanoCores" in cpu else sum(c[1] for c in containers),
                memory=float(memory.get("workingSetBytes", sum(c[2] for c in containers))),
                rx_bytes=network.get("rxBytes"), tx_bytes=network.get("txBytes"))
        del summary  # freed here, while collection is still paused
    return sample


def _totals(groups: dict[GroupKey, Totals], key: GroupKey) -> Totals:
    """The sum of `key` in `groups`, added when missing."""
    totals = groups.get(key)
    if totals is None:
        totals = groups[key] = Totals()
    return totals


def _or_missing(value: float | None) -> float:
    return MISSING if value is None else value


def _refusal(exc: KubeError, what: str) -> str:
    if exc.status in (401, 403):
        return f"the cluster's Kubernetes user may not {what}: {exc.message}"
    return f"{what} failed: {exc.message}"


def pod_facts(pod: dict[str, Any]) -> PodFacts:
    """A pod's controller (as a series key), its containers' summed requests and limits, and their restarts (the
    sum of `restartCount`, as kubectl's RESTARTS column)."""
    total = Resources(cpu_limit=0.0, memory_limit=0.0)
    for container in (pod.get("spec") or {}).get("containers") or []:
        resources = container.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
        total.add(Resources(
            cpu_request=float(quantity_or_zero(requests.get("cpu")) * 1000),
            memory_request=float(quantity_or_zero(requests.get("memory"))),
            cpu_limit=float(quantity_or_zero(limits["cpu"]) * 1000) if "cpu" in limits else None,
            memory_limit=float(quantity_or_zero(limits["memory"])) if "memory" in limits else None))
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    restarts = sum(int(status.get("restartCount") or 0) for status in statuses)
    return PodFacts(_controller_ref(pod), total, restarts, node=str((pod.get("spec") or {}).get("nodeName") or ""))


def _controller_ref(obj: dict[str, Any]) -> OwnerRef | None:
    """The (group, Kind, namespace, name) of an object's controller, if it has one."""
    metadata = obj.get("metadata") or {}
    for reference in metadata.get("ownerReferences") or []:
        if reference.get("controller"):
            return (str(reference.get("apiVersion") or "").rpartition("/")[0], str(reference.get("kind") or ""),
                    metadata.get("namespace") or "", str(reference.get("name") or ""))
    return None


class ClusterMetrics:
    """The sampler and history of one cluster."""

    def __init__(self, cluster: Cluster, options: MetricsOptions) -> None:
        self.cluster = cluster
        self.options = options
        self.source: str | None = None
        self.reason: str | None = None
        self.current = Current()
        self.full = Ring(math.ceil(FULL_RESOLUTION_S / options.interval_s) + 1, FULL_RESOLUTION_S)
        self.downsampled = Ring(math.ceil(DOWNSAMPLED_WINDOW_S / options.bucket_s) + 1, DOWNSAMPLED_WINDOW_S)
        # Network (receive, transmit bytes/s) and restarts of nodes, workloads and namespaces: the last hour.
        self.activity = Ring(self.full.capacity, ACTIVITY_WINDOW_S, width=3)
        self.pod_restarts = Steps(ACTIVITY_WINDOW_S)
        self.rounds = 0
        self.first_round = asyncio.Event()
        self._bucket: float | None = None
        self._pruned_at = 0.0
        self._facts: dict[tuple[str, str], tuple[CacheEntry, PodFacts]] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Whether the sampler runs."""
        return self._task is not None and not self._task.done()

    async def started(self, *, wait_s: float) -> None:
        """Start the sampler if it is not running and wait (at most `wait_s`) for its first round."""
        if not self.running:
            self.first_round.clear()
            self._task = create_named_task(self._run(), name=f"metrics-{self.cluster.name}")
        await wait_set(self.first_round, wait_s)

    async def aclose(self) -> None:
        """Stop sampling (history stays in memory; the closed buckets are in the database)."""
        if self._task is not None:
            await stop_tasks([self._task])
            self._task = None

    # -- the loop ------------------------------------------------------------------------------------
    async def _run(self) -> None:
        try:
            await self._load_history()
        except Exception:  # sampling goes on without the saved history
            log.exception("loading the metrics history of cluster %s failed", self.cluster.name)
        while True:
            started = time.monotonic()
            try:
                await self.sample_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("metrics round of cluster %s failed", self.cluster.name)
            self.first_round.set()
            wait_s = self.options.interval_s if self.source else max(self.options.interval_s, DETECT_RETRY_S)
            await asyncio.sleep(max(0.0, wait_s - (time.monotonic() - started)))

    async def sample_once(self) -> None:
        """One round: the working source (detected again if it fails), then sums, history and persistence."""
        registry = self.cluster.known_registry
        if registry is None:
            self.reason = "the cluster's kinds are not discovered yet"
            return
        sources = [(SUMMARY_SOURCE, self._summary), (METRICS_API_SOURCE, self._metrics_api)]
        if self.source == METRICS_API_SOURCE:
            sources.reverse()
        reasons = []
        for name, read in sources:
            try:
                sample = await read(registry)
            except SourceUnusableError as exc:
                reasons.append(f"{name}: {exc}")
                continue
            if self.source != name:
                log.info("metrics of cluster %s: using the %s source", self.cluster.name, name)
            self.source, self.reason = name, None
            await self._record(sample, registry)
            return
        if self.source is not None or self.reason is None:
            log.warning("metrics of cluster %s unavailable: %s", self.cluster.name, "; ".join(reasons))
        self.source, self.reason = None, "; ".join(reasons)
        self.current = Current()  # no numbers rather than old ones; the history stays

    # -- sources -------------------------------------------------------------------------------------
    async def _summary(self, registry: Registry) -> Sample:
        nodes_kind = registry.find("", "Node")
        if nodes_kind is None:
            raise SourceUnusableError("the cluster serves no nodes")
        try:
            names = await self._node_names(nodes_kind)
        except KubeError as exc:
            raise SourceUnusableError(_refusal(exc, "list nodes")) from exc
        if not names:
            raise SourceUnusableError("the cluster has no nodes")
        gate = asyncio.Semaphore(SUMMARY_CONCURRENCY)

        async def read(node: str) -> Sample | KubeError:
            async with gate:
                try:
                    return await self.cluster.connection.request(
                        "GET", f"/api/v1/nodes/{path_segment(node, 'node')}/proxy/stats/summary",
                        timeout_s=SUMMARY_TIMEOUT_S, decode=functools.partial(_summary_sample, node=node))
                except KubeError as exc:
                    return exc

        answers = dict(zip(names, await asyncio.gather(*(read(node) for node in names)), strict=True))
        errors = {node: answer for node, answer in answers.items() if isinstance(answer, KubeError)}
        if len(errors) == len(names):
            first = next(iter(errors.values()))
            raise SourceUnusableError(_refusal(first, "get nodes/proxy (the kubelet Summary API)"))
        sample = Sample(0.0, {}, {}, {node: exc.message for node, exc in errors.items()})
        for part in answers.values():
            if isinstance(part, Sample):
                sample.time = max(sample.time, part.time)
                sample.pods.update(part.pods)
                sample.nodes.update(part.nodes)
        return sample

    async def _node_names(self, nodes_kind: ResourceKind) -> list[str]:
        """The nodes' names: from the cache, or a list request when nodes are not a cached kind."""
        if self.cluster.caches.is_cached(nodes_kind):
            cache = await self.cluster.caches.synced(nodes_kind, timeout_s=CACHE_WAIT_S)
            return sorted(name for _, name in cache.entries)
        listing = await self.cluster.connection.request("GET", nodes_kind.collection_path(), timeout_s=CACHE_WAIT_S)
        return sorted((item.get("metadata") or {}).get("name", "") for item in listing.get("items") or [])

    async def _metrics_api(self, registry: Registry) -> Sample:
        pods_kind, nodes_kind = registry.find(METRICS_GROUP, "PodMetrics"), registry.find(METRICS_GROUP, "NodeMetrics")
        if pods_kind is None or nodes_kind is None:
            raise SourceUnusableError("the cluster does not serve the metrics.k8s.io API (no metrics-server)")
        try:
            pods, nodes = await asyncio.gather(
                self.cluster.connection.request("GET", pods_kind.collection_path(), timeout_s=METRICS_API_TIMEOUT_S),
                self.cluster.connection.request("GET", nodes_kind.collection_path(), timeout_s=METRICS_API_TIMEOUT_S))
        except KubeError as exc:
            raise SourceUnusableError(_refusal(exc, "list pods and nodes of metrics.k8s.io")) from exc
        now = time.time()
        sample = Sample(now, {}, {}, {})
        newest = 0.0
        for item in nodes.get("items") or []:
            usage = item.get("usage") or {}
            newest = max(newest, _epoch(item.get("timestamp"), now))
            sample.nodes[(item.get("metadata") or {}).get("name", "")] = Totals(
                cpu=float(quantity_or_zero(usage.get("cpu")) * 1000),
                memory=float(quantity_or_zero(usage.get("memory"))))
        for item in pods.get("items") or []:
            metadata = item.get("metadata") or {}
            containers = [(c.get("name", ""), float(quantity_or_zero((c.get("usage") or {}).get("cpu")) * 1000),
                           float(quantity_or_zero((c.get("usage") or {}).get("memory"))))
                          for c in item.get("containers") or []]
            sample.pods[(metadata.get("namespace", ""), metadata.get("name", ""))] = PodUsage(
                time=_epoch(item.get("timestamp"), now), node="", containers=containers,
                cpu=sum(c[1] for c in containers), memory=sum(c[2] for c in containers))
        sample.time = newest or now  # as with the Summary API: when the nodes were measured, not when asked
        return sample

    # -- owners and sums -----------------------------------------------------------------------------
    async def _pod_facts(self, registry: Registry) -> dict[tuple[str, str], PodFacts]:
        """Facts of every cached pod (parsed again only for pods whose cached object changed), each with its top
        controller resolved this round (a ReplicaSet's owner may change without the pod changing)."""
        pods_kind = registry.find("", "Pod")
        if pods_kind is None:
            return {}
        try:
            cache = await self.cluster.caches.synced(pods_kind, timeout_s=CACHE_WAIT_S)
        except KubeError as exc:
            log.info("metrics of cluster %s: no owners (%s)", self.cluster.name, exc)
            return {}
        facts: dict[tuple[str, str], tuple[CacheEntry, PodFacts]] = {}
        for key, entry in cache.entries.items():
            known = self._facts.get(key)
            fresh = known is not None and known[0] is entry
            facts[key] = known if fresh else (entry, pod_facts(orjson.loads(entry.raw)))
        self._facts = facts
        tops: dict[OwnerRef, SeriesKey | None] = {}
        for _, fact in facts.values():
            owner = fact.owner
            if owner is not None:
                if owner not in tops:
                    tops[owner] = await self._top_controller(registry, owner)
                fact.workload = tops[owner]
        return {key: fact for key, (_, fact) in facts.items()}

    async def _top_controller(self, registry: Registry, owner: OwnerRef) -> SeriesKey | None:
        """The workload a pod counts under: its controller, followed up through the kinds the cache stores
        (ReplicaSet → Deployment), at most `MAX_OWNER_DEPTH` steps; None for a kind the cluster does not serve."""
        top: SeriesKey | None = None
        reference: OwnerRef | None = owner
        for _ in range(MAX_OWNER_DEPTH):
            if reference is None:
                break
            group, kind_name, namespace, name = reference
            kind = registry.find(group, kind_name)
            if kind is None:
                break
            top = (kind.name, namespace, name)
            if not self.cluster.caches.is_cached(kind):
                break
            try:
                cache = await self.cluster.caches.synced(kind, timeout_s=CACHE_WAIT_S)
            except KubeError:
                break
            entry = cache.entries.get((namespace, name))
            reference = _controller_ref(orjson.loads(entry.raw)) if entry is not None else None
        return top

    async def _record(self, sample: Sample, registry: Registry) -> None:
        facts = await self._pod_facts(registry)
        # The round's values, series keys and sums are acyclic temporaries (or the new current round):
        # reference counting frees them, collections meanwhile would only walk them.
        with collector_paused():
            previous = self.current
            current = Current(time=sample.time, pods=sample.pods, nodes=sample.nodes, node_errors=sample.node_errors)
            values: dict[SeriesKey, tuple[float, ...]] = {}
            restarts: dict[SeriesKey, int] = {}
            for index, (key, usage) in enumerate(sample.pods.items()):
                if index and not index % PODS_PER_TURN:
                    await asyncio.sleep(0)  # requests are answered between slices of a large round
                namespace, name = key
                series = (PODS, namespace, name)
                _rates(usage, previous.pods.get(key))
                values[series] = (usage.cpu, usage.memory)
                fact = facts.get(key)
                if not usage.node and fact is not None:  # metrics.k8s.io names no node: the cached pod does
                    usage.node = fact.node
                resources = fact.resources if fact is not None else Resources()
                current.pod_resources[key] = resources
                pod_restarts = fact.restarts if fact is not None else 0
                current.pod_restarts[key] = restarts[series] = pod_restarts
                _totals(current.namespaces, namespace).add_pod(usage, pod_restarts, resources)
                if fact is not None and fact.workload is not None:
                    current.pod_workloads[key] = fact.workload
                    _totals(current.workloads, fact.workload).add_pod(usage, pod_restarts, resources)
                node = current.nodes.get(usage.node)
                if node is not None:
                    node.add_pod(usage, pod_restarts, None)
            aggregates = {(NODES, "", node): totals for node, totals in current.nodes.items()}
            aggregates |= {(NAMESPACES, "", namespace): totals for namespace, totals in current.namespaces.items()}
            aggregates |= current.workloads
            activity = {}
            for key, totals in aggregates.items():
                values[key] = (totals.cpu, totals.memory)
                activity[key] = (_or_missing(totals.rx_rate), _or_missing(totals.tx_rate), float(totals.restarts))
            self.current = current
            self.full.append(sample.time, values)
            self.activity.append(sample.time, activity)
            self.pod_restarts.record(sample.time, restarts, alive=self.full.columns)
            self.rounds += 1
        await self._close_bucket(sample.time)

    # -- downsampling and persistence ----------------------------------------------------------------
    async def _close_bucket(self, t: float) -> None:
        """When `t` starts a new bucket, average the one that ended into the downsampled ring and save it."""
        bucket = t - t % self.options.bucket_s
        if self._bucket is None:
            self._bucket = bucket
        if bucket <= self._bucket:
            return
        closed, self._bucket = self._bucket, bucket
        keys = [key for key in self.full.columns if key[0] != PODS]
        means = self.full.means(closed, closed + self.options.bucket_s, keys)
        if not means:
            return
        store = self.options.store
        if store is not None:  # saved first: a bucket shown is one a restart finds again
            try:
                async with store.transaction() as conn:
                    await history_repo.save_bucket(conn, cluster_id=self.cluster.id, bucket_start=int(closed),
                                                   values=means)
                    if time.monotonic() - self._pruned_at > PRUNE_INTERVAL_S:
                        await history_repo.delete_before(conn, int(time.time() - self.options.retention_s))
                        self._pruned_at = time.monotonic()
            except Exception:
                log.exception("saving metrics history of cluster %s failed", self.cluster.name)
        self.downsampled.append(closed, means)

    async def _load_history(self) -> None:
        """Fill the downsampled ring from the database (once per process: later starts keep what is in memory)."""
        store = self.options.store
        if store is None or self.downsampled.times:
            return
        since = time.time() - min(self.options.retention_s, DOWNSAMPLED_WINDOW_S)
        async with store.transaction() as conn:
            buckets = await history_repo.load_buckets(conn, cluster_id=self.cluster.id, since=int(since))
        for bucket_start, values in buckets:
            self.downsampled.append(float(bucket_start), values)
        if buckets:
            self._bucket = float(buckets[-1][0])
            log.info("metrics of cluster %s: %d buckets of history loaded", self.cluster.name, len(buckets))
