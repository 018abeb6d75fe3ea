"""Informer-style caches: list, then watch from the list's resourceVersion, in three layers (as Kopf).

`_watch_forever` reconnects with jittered, capped backoff and exits only when cancelled;
`_list_then_watch` lists in pages (only when it must: first start or 410 Gone), marks the cache synced
and watches from the newest resourceVersion, resuming after the server's watch timeout without a relist;
`_stream_events` reads one watch stream as raw JSON lines (orjson), with bookmarks.

Memory: each object is kept once, as its compact JSON bytes (managedFields removed), beside its derived
table row. Reads answer with those bytes as `orjson.Fragment`s, so a full list is a concatenation, not a
re-serialisation. The cache is per cluster and shared by all users; authorization filters what each
user sees. Kinds that are not `storable` (Secrets, events) are never stored: their caches only forward
watch events.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import dataclasses
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING, Any

import orjson

from kubevision.heap import collector_paused
from kubevision.kube.errors import GoneError, KubeError, UnavailableError
from kubevision.kube.objects import strip_managed_fields
from kubevision.kube.registry import ResourceKind
from kubevision.kube.tables import ValueOrder, moves_with_the_clock, row_of, row_order, search_text, table_spec
from kubevision.tasks import create_named_task, stop_tasks, wait_set

if TYPE_CHECKING:
    from kubevision.kube.clusters import Cluster

log = logging.getLogger(__name__)

# The API server ends each watch after this long; we resume from the last resourceVersion (no relist).
WATCH_TIMEOUT_S = 290
# No byte (event or bookmark) for this long means the stream is dead.
WATCH_INACTIVITY_S = WATCH_TIMEOUT_S + 60
LIST_PAGE_SIZE = 500
# How long one list page may take.
LIST_PAGE_TIMEOUT_S = 120
# Objects turned into entries between two turns of the event loop while a list page is processed.
ENTRIES_PER_TURN = 100
BACKOFF_INITIAL_S = 0.5
BACKOFF_MAX_S = 30.0
# A cache nobody read or subscribed to for this long stops (its cluster may stay in use).
CACHE_IDLE_S = 600.0
# While a read waits for a cache's first list, it looks this often whether the list was refused.
SYNC_POLL_S = 0.25
# The last changes kept, so that a memoised column order is brought up to date by moving the changed entries
# (binary search, `sorted_entries`) instead of sorting every entry again.
CHANGE_LOG_SIZE = 1_000
# ... while there are at most one change per this many entries since the memo (beyond, a full sort is as quick):
# at 100k pods, up to 1,000 changes.
ENTRIES_PER_MOVED_CHANGE = 100

Key = tuple[str, str]
Listener = Callable[[str, "CacheEntry"], None]


@dataclasses.dataclass(slots=True)
class CacheEntry:
    """One object: compact JSON bytes plus its table row, what the overview counts of it (`TableSpec.summary`),
    and the row's `search_text`."""

    key: Key
    raw: bytes
    row: dict[str, Any]
    summary: Any = None
    search_text: str = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.search_text = search_text(self.row)

    @property
    def fragment(self) -> orjson.Fragment:
        """The object, embeddable in a response without re-serialising."""
        return orjson.Fragment(self.raw)


def object_key(obj: dict[str, Any]) -> Key:
    metadata = obj.get("metadata") or {}
    return (metadata.get("namespace") or "", metadata.get("name") or "")


class KindCache:
    """The cache of one kind in one cluster."""

    # Lists and watches only the objects this label selector picks (None: all of them).
    label_selector: str | None = None
    # Objects per list page of a stored kind (a page's full objects are in memory at once).
    page_size: int = LIST_PAGE_SIZE
    # Why the last list or watch failed (None once a list succeeds).
    last_error: KubeError | None = None

    def __init__(self, cluster: Cluster, kind: ResourceKind, *, store: bool, ttl_s: float) -> None:
        self.cluster = cluster
        self.kind = kind
        self.store = store and kind.storable
        self.ttl_s = ttl_s
        self.entries: dict[Key, CacheEntry] = {}
        self.listeners: set[Listener] = set()
        self.resource_version: str | None = None
        self.synced = False
        self.connected = False
        self.last_confirmed = 0.0
        self.confirmed_at = 0.0  # wall-clock time (epoch seconds) of `last_confirmed`, for clients
        self.last_used = time.monotonic()
        self.version = 0
        self.relists = 0
        self.synced_event = asyncio.Event()
        self._retry_now = asyncio.Event()
        self._table = table_spec(kind)
        # sort → (version, the `ValueOrder` snapshot or None, the entries in that order)
        self._sorted: dict[str, tuple[int, object, list[CacheEntry]]] = {}
        # The entries' changes (before, after; None: absent) up to `version`, the last CHANGE_LOG_SIZE of them;
        # emptied by any other change of `version` (a relist, new rows), so it always ends at `version`.
        self._changes: collections.deque[tuple[CacheEntry | None, CacheEntry | None]] = collections.deque(
            maxlen=CHANGE_LOG_SIZE)
        self._task: asyncio.Task[None] | None = None

    # -- state -----------------------------------------------------------------------------------
    @property
    def stale(self) -> bool:
        """True when not confirmed in sync within the TTL. Confirmations: a completed list, a watch opened
        from our resourceVersion, every watch event or bookmark, and — while the watch is connected — each
        successful health check of the cluster (`cluster_answered`). A disconnected watch confirms nothing."""
        return time.monotonic() - self.last_confirmed > self.ttl_s

    def _confirm(self) -> None:
        self.last_confirmed = time.monotonic()
        self.confirmed_at = time.time()

    def cluster_answered(self) -> None:
        """The cluster answered a health check: a connected watch is still in sync."""
        if self.connected:
            self._confirm()

    def retry_now(self) -> None:
        """The cluster is reachable again: an informer waiting out its backoff reconnects at once."""
        self._retry_now.set()

    def start(self) -> None:
        """Start the informer task."""
        if self._task is None or self._task.done():
            self._task = create_named_task(self._watch_forever(),
                                           name=f"informer-{self.cluster.name}-{self.kind.name}")

    async def aclose(self) -> None:
        """Stop the informer; entries are dropped."""
        if self._task is not None:
            await stop_tasks([self._task])
            self._task = None
        self.entries.clear()
        self.synced = False
        self.connected = False
        self.synced_event.clear()

    def use_kind(self, kind: ResourceKind) -> bool:
        """Adopt a rediscovered description of the same kind. When its table changed (a CRD update added or
        changed printer columns), every stored row is recomputed from the stored object. False when the kind
        moved to another collection URL (another version): the caller restarts the cache."""
        if kind == self.kind:
            return True
        if kind.collection_path() != self.kind.collection_path():
            return False
        table = table_spec(kind)
        self.kind = kind
        if table != self._table:
            self._table = table
            for key, entry in self.entries.items():
                self.entries[key] = self._entry_of(orjson.loads(entry.raw), entry.raw)
            self.version += 1
            self._changes.clear()
        return True

    # -- the three layers --------------------------------------------------------------------------
    async def _watch_forever(self) -> None:
        backoff = BACKOFF_INITIAL_S
        while True:
            try:
                await self._list_then_watch()
                backoff = BACKOFF_INITIAL_S
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.connected = False
                self.last_error = exc if isinstance(exc, KubeError) else None
                level = logging.WARNING if isinstance(exc, KubeError) else logging.ERROR
                log.log(level, "informer %s/%s: %s; retrying in %.1f s", self.cluster.name, self.kind.name,
                        exc, backoff, exc_info=not isinstance(exc, KubeError))
                self._retry_now.clear()
                await wait_set(self._retry_now, backoff * random.uniform(0.8, 1.2))
                backoff = min(backoff * 2, BACKOFF_MAX_S)

    async def _list_then_watch(self) -> None:
        if self.resource_version is None:
            await self._relist()
        while True:
            try:
                async for event_type, obj in self._stream_events():
                    self._apply(event_type, obj)
            except GoneError:
                log.info("informer %s/%s: resourceVersion expired, relisting", self.cluster.name, self.kind.name)
                await self._relist()

    async def _relist(self) -> None:
        """List every page; reconcile entries and tell listeners what changed.

        The next page is asked for as soon as a page arrives, and is on its way while this one becomes
        entries: the API server's work and ours overlap. So the full objects of at most two pages are in
        memory at a time (peak memory is what stays allocated afterwards). Automatic garbage collection is
        paused meanwhile and the synced entries are then frozen out of its reach (`kubevision/heap.py`).
        """
        with collector_paused(keep=self.store):
            await self._list_pages()

    async def _list_pages(self) -> None:
        path = self.kind.collection_path()
        fresh: dict[Key, CacheEntry] = {}
        limit = self.page_size if self.store else 1

        def fetch(token: str | None) -> asyncio.Task[Any]:
            params = {"limit": limit, "continue": token, "labelSelector": self.label_selector}
            return asyncio.ensure_future(self.cluster.connection.request("GET", path, params=params,
                                                                         timeout_s=LIST_PAGE_TIMEOUT_S))

        pending = fetch(None)
        try:
            while True:
                page = await pending
                metadata = page.get("metadata") or {}
                token = metadata.get("continue") if self.store else None
                if token:
                    pending = fetch(token)
                items = page.get("items") or [] if self.store else []
                del page
                for start in range(0, len(items), ENTRIES_PER_TURN):
                    # Give the loop a turn between slices: the next page's request goes out, and other
                    # requests are answered meanwhile.
                    await asyncio.sleep(0)
                    for obj in items[start:start + ENTRIES_PER_TURN]:
                        obj.setdefault("kind", self.kind.kind)
                        obj.setdefault("apiVersion", self.kind.api_version)
                        entry = self._entry(obj)
                        fresh[entry.key] = entry
                del items
                if not token:
                    break
        finally:
            if not pending.done():
                pending.cancel()
        if self.store:
            old = self.entries
            self.entries = fresh
            self.version += 1
            self._changes.clear()
            if self.listeners:
                self._announce_relist(old, fresh)
        self.resource_version = metadata.get("resourceVersion")
        self.relists += 1
        self.last_error = None
        self.synced = True
        self._confirm()
        self.synced_event.set()

    def _announce_relist(self, old: dict[Key, CacheEntry], fresh: dict[Key, CacheEntry]) -> None:
        for key, entry in fresh.items():
            previous = old.get(key)
            if previous is None:
                self._notify("ADDED", entry)
            elif previous.row.get("resourceVersion") != entry.row.get("resourceVersion"):
                self._notify("MODIFIED", entry)
        for key, entry in old.items():
            if key not in fresh:
                self._notify("DELETED", entry)

    async def _stream_events(self) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        params = {"watch": "true", "resourceVersion": self.resource_version, "allowWatchBookmarks": True,
                  "timeoutSeconds": WATCH_TIMEOUT_S, "labelSelector": self.label_selector}
        async with self.cluster.connection.stream(self.kind.collection_path(), params=params,
                                                  read_timeout_s=WATCH_INACTIVITY_S) as response:
            self.connected = True
            self._confirm()
            try:
                buffer = b""
                async for chunk in response.content.iter_any():
                    buffer += chunk
                    *lines, buffer = buffer.split(b"\n")
                    for line in lines:
                        if line.strip():
                            event = orjson.loads(line)
                            yield self._checked(event)
            finally:
                self.connected = False

    def _checked(self, event: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        event_type = event.get("type")
        obj = event.get("object") or {}
        if event_type == "ERROR":
            if obj.get("code") == 410:
                raise GoneError(obj.get("message", "gone"), status=410, body=obj, cluster=self.cluster.name)
            raise KubeError(obj.get("message", "watch error"), status=obj.get("code") or 0, body=obj,
                            cluster=self.cluster.name)
        return str(event_type), obj

    # -- applying events ---------------------------------------------------------------------------
    def _entry(self, obj: dict[str, Any]) -> CacheEntry:
        strip_managed_fields(obj)
        return self._entry_of(obj, orjson.dumps(obj))

    def _entry_of(self, obj: dict[str, Any], raw: bytes) -> CacheEntry:
        """The entry of `obj` (whose JSON is `raw`): its row and summary by the kind's table."""
        summary = self._table.summary(obj) if self._table.summary else None
        return CacheEntry(object_key(obj), raw, row_of(self._table, obj, namespaced=self.kind.namespaced), summary)

    def _apply(self, event_type: str, obj: dict[str, Any]) -> None:
        self._confirm()
        resource_version = (obj.get("metadata") or {}).get("resourceVersion")
        if resource_version:
            self.resource_version = resource_version
        if event_type == "BOOKMARK":
            return
        if not self.store and not self.listeners:
            return
        obj.setdefault("kind", self.kind.kind)
        obj.setdefault("apiVersion", self.kind.api_version)
        entry = self._entry(obj)
        if self.store:
            if event_type == "DELETED":
                self._changes.append((self.entries.pop(entry.key, None), None))
            else:
                self._changes.append((self.entries.get(entry.key), entry))
                self.entries[entry.key] = entry
            self.version += 1
        self._notify(event_type, entry)

    def _notify(self, event_type: str, entry: CacheEntry) -> None:
        for listener in list(self.listeners):
            try:
                listener(event_type, entry)
            except Exception:
                log.exception("watch listener failed")

    # -- reads -------------------------------------------------------------------------------------
    def sorted_entries(self, sort: str | None, *, by_values: ValueOrder | None = None) -> list[CacheEntry]:
        """Entries in the order of `sort` (any column id of the kind, see `row_order`; '-' descending), or of
        `by_values` (a `metrics.*` sort: its `sort`), memoised per version (and `by_values.snapshot`). A column
        order memoised a few changes ago is brought up to date by moving the changed entries (`_moved`); a
        `by_values` order, or one by a duration (`moves_with_the_clock`), is sorted again. The list is the memo: read
        it before the next event (which may change it in place), do not change it."""
        sort = by_values.sort if by_values is not None else sort or "name"
        snapshot = by_values.snapshot if by_values is not None else None
        memo = self._sorted.get(sort)
        if memo is not None and memo[0] == self.version and memo[1] is snapshot:
            return memo[2]
        row_key, descending = (by_values.row_key() if by_values is not None else
                               row_order(sort, self._table, namespaced=self.kind.namespaced,
                                         metric_sorts=self.kind.metric_sorts))
        ordered = None
        if memo is not None and by_values is None and not moves_with_the_clock(sort, self._table,
                                                                                 namespaced=self.kind.namespaced):
            ordered = self._moved(memo[2], self.version - memo[0], row_key, descending=descending)
        if ordered is None:
            ordered = sorted(self.entries.values(), key=lambda entry: row_key(entry.row), reverse=descending)
        self._sorted[sort] = (self.version, snapshot, ordered)
        return ordered

    def _moved(self, ordered: list[CacheEntry], changes: int, row_key: Callable[[dict[str, Any]], Any], *,
               descending: bool) -> list[CacheEntry] | None:
        """`ordered` (the order of `row_key` as of `changes` changes ago) with the entries those changes removed
        taken out and those they added put in place (binary search: `row_order` keys are totally ordered, ties
        broken by name and namespace); None when the change log does not reach back that far, when there were
        more than one change per ENTRIES_PER_MOVED_CHANGE entries (a full sort is then as quick), or when an
        entry is not where its key says (a full sort then)."""
        if changes > len(self._changes) or changes * ENTRIES_PER_MOVED_CHANGE > max(len(self.entries), 1):
            return None
        place = (lambda entry: _Descending(row_key(entry.row))) if descending else (lambda entry: row_key(entry.row))
        for before, after in list(self._changes)[len(self._changes) - changes:]:
            if before is not None:
                at = bisect.bisect_left(ordered, place(before), key=place)
                if at == len(ordered) or ordered[at] is not before:
                    return None
                del ordered[at]
            if after is not None:
                bisect.insort(ordered, after, key=place)
        return ordered

    def get(self, namespace: str | None, name: str) -> CacheEntry | None:
        """One entry by namespace and name."""
        self.last_used = time.monotonic()
        return self.entries.get((namespace or "", name))


class ClusterCaches:
    """The caches of one cluster, started lazily per kind and stopped when idle."""

    def __init__(self, cluster: Cluster, *, cached_kinds: Iterable[str], ttl_s: float) -> None:
        self.cluster = cluster
        self.cached_kinds = frozenset(cached_kinds)
        self.ttl_s = ttl_s
        self._caches: dict[str, KindCache] = {}

    def is_cached(self, kind: ResourceKind) -> bool:
        """Whether reads of this kind are served from memory: listed in the cached kinds setting and storable
        (`ResourceKind.storable`: never Secrets nor events, whatever the setting says). A derived kind (Helm
        releases) is always answered from its cache: the API server does not serve it."""
        return kind.derived or (kind.name in self.cached_kinds and kind.storable)

    def cache_for(self, kind: ResourceKind) -> KindCache:
        """The kind's cache, started on first use (stored only for cached kinds)."""
        cache = self._caches.get(kind.name)
        if cache is None:
            if kind.derived:  # the one derived kind: Helm releases, from their records (kube/helm_cache.py)
                from kubevision.kube.helm_cache import ReleaseCache  # it builds on KindCache
                cache = ReleaseCache(self.cluster, kind, ttl_s=self.ttl_s)
            else:
                cache = KindCache(self.cluster, kind, store=self.is_cached(kind), ttl_s=self.ttl_s)
            self._caches[kind.name] = cache
            cache.start()
        cache.last_used = time.monotonic()
        return cache

    def for_reads(self, kind: ResourceKind) -> KindCache | None:
        """A synced cache that may answer reads of this kind, or None (caller asks the API server)."""
        if not self.is_cached(kind):
            return None
        cache = self.cache_for(kind)
        return cache if cache.synced else None

    async def synced(self, kind: ResourceKind, *, timeout_s: float) -> KindCache:
        """The kind's cache once it has listed (a derived kind has no other source); the API server's refusal of
        the list when it refuses (401/403), 50200 after `timeout_s`."""
        cache = self.cache_for(kind)
        deadline = time.monotonic() + timeout_s
        while not cache.synced_event.is_set():
            error, remaining = cache.last_error, deadline - time.monotonic()
            if error is not None and error.status in (401, 403):
                raise type(error)(f"{kind.name} cannot be listed: {error.message}", status=error.status,
                                  reason=error.reason, body=error.body, cluster=error.cluster)
            if remaining <= 0:
                raise UnavailableError(f"{kind.name} are not listed yet (not listed within {timeout_s:.0f} s)",
                                       status=503, cluster=self.cluster.name)
            await wait_set(cache.synced_event, min(remaining, SYNC_POLL_S))
        return cache

    async def rediscovered(self, registry: Iterable[ResourceKind]) -> None:
        """Discovery ran again: each running cache takes its kind's new description (new CRD printer columns
        recompute its rows); a cache whose kind is now served at another version restarts there, keeping its
        listeners. Kinds no longer served are left to fail and go idle."""
        by_resource = {(kind.group, kind.plural): kind for kind in registry}
        for name, cache in list(self._caches.items()):
            kind = by_resource.get((cache.kind.group, cache.kind.plural))
            if kind is None or cache.use_kind(kind):
                continue
            del self._caches[name]
            listeners = cache.listeners
            await cache.aclose()
            restarted = self.cache_for(kind)
            restarted.listeners |= listeners

    def cluster_answered(self) -> None:
        """A health check succeeded: confirm every connected watch (see `KindCache.stale`)."""
        for cache in self._caches.values():
            cache.cluster_answered()

    def retry_now(self) -> None:
        """The cluster became reachable: informers in backoff reconnect now."""
        for cache in self._caches.values():
            cache.retry_now()

    async def stop_idle(self) -> None:
        """Stop caches nobody used or subscribed to recently."""
        now = time.monotonic()
        for name, cache in list(self._caches.items()):
            if not cache.listeners and now - cache.last_used > CACHE_IDLE_S:
                del self._caches[name]
                await cache.aclose()

    async def aclose(self) -> None:
        """Stop every cache."""
        caches, self._caches = list(self._caches.values()), {}
        for cache in caches:
            await cache.aclose()


class _Descending:
    """A sort key compared the other way round: a descending order for `bisect`, which searches ascending ones."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __lt__(self, other: _Descending) -> bool:
        return other.key < self.key
