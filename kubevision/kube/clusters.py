"""Clusters: imported from the kubeconfig at start, uploaded through the API, or in-cluster.

A `Cluster` connects lazily: nothing is contacted until it is first used. From then on a health
check (`/version`) runs every 30 s while the cluster is in use; a cluster unused for 10 minutes stops
its health loop and caches and closes its connection.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
import os
import time
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web
from yarl import URL

from kubevision.auth.secrets import AppSecrets
from kubevision.errors import CodedError, ErrorCode
from kubevision.kube.cache import CacheEntry, ClusterCaches
from kubevision.kube.connection import (
    CredentialLoader,
    KubeConnection,
    in_cluster_loader,
    kubeconfig_loader,
)
from kubevision.kube.errors import KubeError, UnavailableError
from kubevision.kube.metrics import ClusterMetrics, MetricsOptions
from kubevision.kube.registry import Registry, discover
from kubevision.store import Store
from kubevision.store import clusters as cluster_repo
from kubevision.store import metrics_history as metrics_history_repo
from kubevision.tasks import SharedRun, create_named_task, stop_tasks

log = logging.getLogger(__name__)

HEALTH_INTERVAL_S = 30.0
# A health check also confirms connected watches (see `KindCache.stale`), so it runs at least this many times
# per cache TTL, and never more often than MIN_HEALTH_INTERVAL_S.
HEALTH_CHECKS_PER_TTL = 3
MIN_HEALTH_INTERVAL_S = 1.0
IDLE_AFTER_S = 600.0
IDLE_SWEEP_INTERVAL_S = 60.0
# A lookup of an unknown kind rediscovers at most this often (a CRD may just have been created).
REDISCOVER_MIN_INTERVAL_S = 5.0
IN_CLUSTER_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
IN_CLUSTER_NAME = "in-cluster"


class ClusterStatus(enum.StrEnum):
    """Connection state as last observed."""

    UNKNOWN = "unknown"
    HEALTHY = "healthy"
    UNREACHABLE = "unreachable"


class ClusterNotFoundError(CodedError, LookupError):
    """No cluster with that id."""

    error_code = ErrorCode.CLUSTER_NOT_FOUND


class ClusterConfigError(CodedError, ValueError):
    """An uploaded kubeconfig cannot be used."""

    error_code = ErrorCode.PARAM_INVALID


class ClusterNameTakenError(CodedError):
    """An uploaded cluster would take the name of one that exists."""

    error_code = ErrorCode.ALREADY_EXISTS


class ClusterNotDeletableError(CodedError):
    """Only uploaded clusters can be deleted: kubeconfig contexts and the in-cluster account come back at start."""

    error_code = ErrorCode.PARAM_INVALID


class Cluster:
    """One cluster: its connection, registry, health and (per kind) caches."""

    def __init__(self, *, cluster_id: int, name: str, source: str, context: str | None,
                 server: str | None, load_credentials: CredentialLoader, cache_settings: CacheSettings,
                 metrics_options: MetricsOptions | None = None) -> None:
        self.id = cluster_id
        self.name = name
        self.source = source
        self.context = context
        self.configured_server = server
        self.connection = KubeConnection(name, load_credentials)
        self.status = ClusterStatus.UNKNOWN
        self.version: str | None = None
        self.last_error: str | None = None
        self.last_used = 0.0
        self._registry: Registry | None = None
        self.crds: list[dict[str, Any]] = []
        self._discovered_at = 0.0
        self._discovery = SharedRun(f"discovery-{name}")
        self._crd_change_pending = False  # a CRD changed while a discovery ran: discover again after it
        self._following_crds = False
        self._health_task: asyncio.Task[None] | None = None
        self.caches = ClusterCaches(self, cached_kinds=cache_settings.cached_kinds, ttl_s=cache_settings.ttl_s)
        # CPU and memory usage: sampled from the first metrics read until the caches stop (`go_idle`).
        self.metrics = ClusterMetrics(self, metrics_options or MetricsOptions())

    def describe(self) -> dict[str, Any]:
        """The JSON shape of `/clusters` entries."""
        return {
            "id": self.id, "name": self.name, "server": self.connection.server or self.configured_server,
            "source": self.source, "context": self.context, "status": self.status.value,
            "version": self.version, "error": self.last_error,
        }

    def touch(self) -> None:
        """Mark the cluster in use; starts the health loop on first use."""
        self.last_used = time.monotonic()
        if self._health_task is None or self._health_task.done():
            self._health_task = create_named_task(self._health_loop(), name=f"health-{self.name}")

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """An API call that also records reachability."""
        self.touch()
        try:
            result = await self.connection.request(method, path, **kwargs)
        except UnavailableError as exc:
            self._mark(ClusterStatus.UNREACHABLE, str(exc))
            raise
        if self.status is not ClusterStatus.HEALTHY:
            self._mark(ClusterStatus.HEALTHY, None)
        return result

    def mark_unanswered(self, error: str) -> None:
        """A caller gave up waiting for this cluster: it counts as unreachable until it answers again (its
        health loop keeps asking)."""
        self.touch()
        self._mark(ClusterStatus.UNREACHABLE, error)

    def _mark(self, status: ClusterStatus, error: str | None) -> None:
        if status is not self.status:
            log.info("cluster %s is %s%s", self.name, status, f": {error}" if error else "")
            if status is ClusterStatus.HEALTHY and self.status is ClusterStatus.UNREACHABLE:
                self.caches.retry_now()
        self.status = status
        self.last_error = error

    async def check_health(self) -> None:
        """Ask `/version`; update status and version."""
        try:
            info = await self.connection.request("GET", "/version", timeout_s=10)
        except KubeError as exc:
            self._mark(ClusterStatus.UNREACHABLE, str(exc))
            return
        self.version = info.get("gitVersion")
        self.caches.cluster_answered()
        self._mark(ClusterStatus.HEALTHY, None)

    async def _health_loop(self) -> None:
        interval_s = max(MIN_HEALTH_INTERVAL_S, min(HEALTH_INTERVAL_S, self.caches.ttl_s / HEALTH_CHECKS_PER_TTL))
        while True:
            await self.check_health()
            await asyncio.sleep(interval_s)

    async def registry(self, *, refresh: bool = False, background: bool = False) -> Registry:
        """The kinds this cluster serves (discovered on first use, again on `refresh`).

        Concurrent callers share one discovery and its outcome: when the API server does not answer, they
        all fail together after the request timeouts of `kube/connection.py`, instead of queueing behind
        each other and retrying one after the other (11, 22, 33 s). With `background`, a refresh of a known
        registry runs without being waited for: the caller gets the kinds known now, at once.
        """
        self.touch()
        stale = time.monotonic() - self._discovered_at > REDISCOVER_MIN_INTERVAL_S
        if self._registry is not None and refresh and stale and background:
            self._discovery.start(self._discover)
        elif self._registry is None or (refresh and stale):
            await self._discovery(self._discover)
        assert self._registry is not None
        if not self._following_crds:
            self._follow_crds(self._registry)
        return self._registry

    @property
    def known_registry(self) -> Registry | None:
        """The kinds discovered so far, without counting as a use (background samplers read it)."""
        return self._registry

    async def _discover(self) -> None:
        """Discover, again while a CRD changed meanwhile; then running caches take the new kinds (new CRD
        printer columns recompute their rows) and CRDs are followed."""
        while True:
            self._crd_change_pending = False
            try:
                self._registry, self.crds = await discover(self.connection)
            except UnavailableError as exc:
                self._mark(ClusterStatus.UNREACHABLE, str(exc))
                raise
            self._discovered_at = time.monotonic()
            await self.caches.rediscovered(self._registry)
            if not self._crd_change_pending:
                break
        self._follow_crds(self._registry)

    def _follow_crds(self, registry: Registry) -> None:
        """Watch CRDs (when discovery could list some) so that a created, changed or deleted CRD rediscovers
        at once, whatever reads follow: its printer columns reach cached and live tables alike."""
        kind = registry.find("apiextensions.k8s.io", "CustomResourceDefinition")
        if not self.crds or kind is None or "watch" not in kind.verbs:
            return
        self.caches.cache_for(kind).listeners.add(self._crd_changed)
        self._following_crds = True

    def _crd_changed(self, event_type: str, entry: CacheEntry) -> None:
        """A CRD watch event: rediscover now (after the discovery under way, which may predate the change)."""
        self._crd_change_pending = True
        self._discovery.start(self._discover)

    @property
    def idle(self) -> bool:
        """True when unused for longer than the idle limit."""
        return self.last_used and time.monotonic() - self.last_used > IDLE_AFTER_S

    async def go_idle(self) -> None:
        """Stop health checks, discovery and caches and close the connection (reopened on next use)."""
        if self._health_task is not None:
            await stop_tasks([self._health_task])
            self._health_task = None
        await self._discovery.stop()
        await self.metrics.aclose()
        await self.caches.aclose()
        self._following_crds = False
        await self.connection.aclose()
        self.last_used = 0.0

    async def aclose(self) -> None:
        """Stop everything."""
        await self.go_idle()


def _read_kubeconfig(paths: list[Path]) -> dict[str, Any]:
    """Merge kubeconfig files the way kubectl does: the first file that defines a name wins."""
    merged: dict[str, Any] = {"clusters": [], "users": [], "contexts": []}
    for path in paths:
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            log.warning("cannot read kubeconfig %s: %s", path, exc)
            continue
        for section in ("clusters", "users", "contexts"):
            known = {entry.get("name") for entry in merged[section]}
            for entry in loaded.get(section) or []:
                if entry.get("name") not in known:
                    merged[section].append(_absolutise(entry, path.parent))
        merged.setdefault("current-context", loaded.get("current-context"))
    return merged


def _absolutise(entry: dict[str, Any], base: Path) -> dict[str, Any]:
    """Make relative certificate paths absolute, since a merged config has no single base."""
    body = entry.get("cluster") or entry.get("user") or {}
    for key in ("certificate-authority", "client-certificate", "client-key"):
        value = body.get(key)
        if isinstance(value, str) and value and not os.path.isabs(value):
            body[key] = str(base / value)
    return entry


def _server_of(config: dict[str, Any], context_name: str) -> str | None:
    context = next((c for c in config.get("contexts", []) if c.get("name") == context_name), None)
    if not context:
        return None
    cluster_name = (context.get("context") or {}).get("cluster")
    cluster = next((c for c in config.get("clusters", []) if c.get("name") == cluster_name), None)
    return (cluster or {}).get("cluster", {}).get("server")


def parse_kubeconfig(text: str) -> tuple[dict[str, Any], str]:
    """Parse an uploaded kubeconfig; returns it and the context to use (current, or the only one)."""
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ClusterConfigError(f"kubeconfig is not valid YAML: {exc}") from exc
    if not isinstance(config, dict) or not _named_entries(config, "contexts") or not _named_entries(config, "clusters"):
        raise ClusterConfigError("kubeconfig must have clusters and contexts")
    names = [c["name"] for c in config["contexts"]]
    context = config.get("current-context") or (names[0] if len(names) == 1 else None)
    if context not in names:
        raise ClusterConfigError("kubeconfig has several contexts and no current-context")
    server = _server_of(config, context)
    try:
        url = URL(server) if isinstance(server, str) else None
    except ValueError:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise ClusterConfigError(f"the cluster of context {context!r} needs an http(s) server URL")
    return config, context


def _named_entries(config: dict[str, Any], key: str) -> bool:
    """True when `config[key]` (contexts, clusters) is a non-empty list of `{name, context|cluster: {...}}`."""
    entries = config.get(key)
    return isinstance(entries, list) and bool(entries) and all(
        isinstance(e, dict) and isinstance(e.get("name"), str) and isinstance(e.get(key[:-1]) or {}, dict)
        for e in entries)


@dataclasses.dataclass(frozen=True)
class CacheSettings:
    """Which kinds are served from memory, and after how long an unconfirmed cache is stale."""

    cached_kinds: tuple[str, ...]
    ttl_s: float


class ClusterManager:
    """All clusters of this server, by stable numeric id."""

    def __init__(self, store: Store, kubeconfig: str | None, cache_settings: CacheSettings, *,
                 metrics_options: MetricsOptions | None = None) -> None:
        self._store = store
        self._kubeconfig = kubeconfig
        self._cache_settings = cache_settings
        self._metrics_options = metrics_options or MetricsOptions(store=store)
        self._clusters: dict[int, Cluster] = {}
        self._secrets: AppSecrets | None = None
        self._sweeper: asyncio.Task[None] | None = None

    def _kubeconfig_paths(self) -> list[Path]:
        if self._kubeconfig:
            return [Path(os.path.expanduser(p)) for p in self._kubeconfig.split(os.pathsep) if p]
        return [Path.home() / ".kube" / "config"]

    async def start(self, secrets: AppSecrets) -> None:
        """Import kubeconfig contexts, uploaded clusters and the in-cluster account; connect nothing."""
        self._secrets = secrets
        paths = [p for p in self._kubeconfig_paths() if p.exists()]
        config = _read_kubeconfig(paths) if paths else {"contexts": []}
        in_cluster = IN_CLUSTER_TOKEN.exists()  # noqa: ASYNC240 - start-up only
        async with self._store.transaction() as conn:
            for context in config.get("contexts") or []:
                name = context.get("name")
                if not name:
                    continue
                record = await cluster_repo.upsert_cluster(
                    conn, name=name, source="kubeconfig", context=name, server=_server_of(config, name)
                )
                self._add(record, kubeconfig_loader(config, name))
            if in_cluster:
                record = await cluster_repo.upsert_cluster(conn, name=IN_CLUSTER_NAME, source="in-cluster",
                                                           context=None, server=None)
                self._add(record, in_cluster_loader())
            for record in await cluster_repo.list_cluster_records(conn):
                if record.source == "uploaded" and record.kubeconfig:
                    uploaded, context = parse_kubeconfig(secrets.decrypt(record.kubeconfig).decode())
                    self._add(record, kubeconfig_loader(uploaded, context))
        log.info("clusters: %s", ", ".join(c.name for c in self.list()) or "none")
        self._sweeper = create_named_task(self._sweep_idle(), name="cluster-idle-sweeper")

    def _add(self, record: cluster_repo.ClusterRecord, loader: CredentialLoader) -> Cluster:
        cluster = Cluster(cluster_id=record.id, name=record.name, source=record.source,
                          context=record.context, server=record.server, load_credentials=loader,
                          cache_settings=self._cache_settings, metrics_options=self._metrics_options)
        self._clusters[record.id] = cluster
        return cluster

    def list(self) -> list[Cluster]:
        """Every cluster by id."""
        return [self._clusters[i] for i in sorted(self._clusters)]

    def get(self, cluster_id: int) -> Cluster:
        """The cluster with this id, or `ClusterNotFoundError`."""
        try:
            return self._clusters[cluster_id]
        except KeyError:
            raise ClusterNotFoundError(f"cluster {cluster_id} not found") from None

    async def add_uploaded(self, name: str, kubeconfig_text: str) -> Cluster:
        """Validate an uploaded kubeconfig by connecting to it, then store it encrypted."""
        assert self._secrets is not None
        config, context = parse_kubeconfig(kubeconfig_text)
        async with self._store.transaction() as conn:
            if await cluster_repo.cluster_name_taken(conn, name):
                raise ClusterNameTakenError(f"a cluster named {name!r} already exists")
        probe = KubeConnection(name, kubeconfig_loader(config, context))
        try:
            version = await probe.request("GET", "/version", timeout_s=15)
        finally:
            await probe.aclose()
        async with self._store.transaction() as conn:
            record = await cluster_repo.upsert_cluster(
                conn, name=name, source="uploaded", context=context, server=_server_of(config, context),
                kubeconfig=self._secrets.encrypt(kubeconfig_text.encode()),
            )
        cluster = self._add(record, kubeconfig_loader(config, context))
        cluster.version = version.get("gitVersion")
        cluster.status = ClusterStatus.HEALTHY
        return cluster

    async def delete(self, cluster_id: int) -> None:
        """Forget an uploaded cluster (kubeconfig contexts come back at the next start)."""
        cluster = self.get(cluster_id)
        if cluster.source != "uploaded":
            raise ClusterNotDeletableError(
                f"cluster {cluster.name!r} comes from the {cluster.source}; remove it there instead"
            )
        await cluster.aclose()
        async with self._store.transaction() as conn:
            await cluster_repo.delete_cluster_record(conn, cluster_id)
            await metrics_history_repo.delete_cluster(conn, cluster_id)  # a later cluster may get its id
        del self._clusters[cluster_id]

    async def _sweep_idle(self) -> None:
        while True:
            await asyncio.sleep(IDLE_SWEEP_INTERVAL_S)
            for cluster in self.list():
                if cluster.idle:
                    log.info("cluster %s unused for %.0f s: stopping its caches", cluster.name, IDLE_AFTER_S)
                    await cluster.go_idle()
                else:
                    await cluster.caches.stop_idle()

    async def aclose(self) -> None:
        """Close every cluster."""
        if self._sweeper is not None:
            await stop_tasks([self._sweeper])
        for cluster in self.list():
            await cluster.aclose()


CLUSTERS = web.AppKey("clusters", ClusterManager)
