"""`ResourceReader`: authorized reads of any kind — one object, a list, a live subscription to a kind's watch.

Every read opens an `AccessScope` (services/access.py) for the caller, cluster, kind and namespace, which
authorizes it, says which objects the caller sees and presents what leaves the server (Secret values masked).

Lists have one pipeline, whoever answers them: rows in order — a kind's cache gives its entries already sorted
(memoised per cache version), a live list of the API server is sorted here with the same key — pass the
namespace, the caller's grants, the label selector and the `q` text filter, and one page is cut from what
passes, in one pass (`select_page`). When nothing filters the pass is skipped: a page of 10k cached rows is a
slice. The label selector runs here only for cached rows; a live list hands it to the API server.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import orjson
from aiohttp import web

from kubevision.auth.permissions import Verb
from kubevision.errors import ApiError, ErrorCode
from kubevision.kube.cache import CacheEntry, Key, KindCache, object_key
from kubevision.kube.clusters import ClusterManager
from kubevision.kube.registry import METRIC_SORT_PREFIX
from kubevision.kube.selectors import Predicate, SelectorError, parse_label_selector
from kubevision.kube.tables import ValueOrder, columns_of, row_of, row_order, search_text, table_spec, text_matches
from kubevision.services.access import AccessScope
from kubevision.services.audit import AuditLog
from kubevision.services.context import ObjectRef, RequestContext
from kubevision.services.metrics import metric_order
from kubevision.services.views import gather_all
from kubevision.tasks import wait_set

Obj = dict[str, Any]
# How long a watch subscription waits for its kind's first list before answering anyway.
SUBSCRIBE_SYNC_TIMEOUT_S = 10.0


@dataclasses.dataclass(frozen=True, kw_only=True)
class ListQuery:
    """What a list asks for within its scope: selectors, text filter, order, page (or API-server chunk), shape."""

    label_selector: str | None = None
    field_selector: str | None = None  # live reads only
    limit: int | None = None  # API-server chunk size (live reads only)
    continue_token: str | None = None
    text: str | None = None  # `q`: a substring of the name, the namespace or a `key=value` label
    sort: str | None = None
    table: bool = False  # compact rows instead of objects
    page: int = 1
    page_size: int | None = None  # None: every row

    @property
    def chunked(self) -> bool:
        """Whether the API server pages the list (`limit`/`continue`) instead of `page`/`pageSize`."""
        return bool(self.limit or self.continue_token)

    @property
    def window(self) -> slice:
        """The rows of the page asked for."""
        if self.page_size is None:
            return slice(0, None)
        start = (self.page - 1) * self.page_size
        return slice(start, start + self.page_size)


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
    syncing: bool = False  # the kind's cache is still syncing: the page came from the API server's first pages


@dataclasses.dataclass
class Selection:
    """The rows of one page of a kind within a scope, before they are rendered as table rows or objects."""

    scope: AccessScope
    rows: Sequence[Listed]
    total: int
    source: str = "apiserver"
    stale: bool = False
    confirmed_at: float | None = None
    continue_token: str | None = None
    syncing: bool = False  # cut from the API server's first pages while the kind's cache syncs
    by_values: ValueOrder | None = None  # the order of the rows for a `metrics.*` sort (this cluster's values)

    def render(self, rows: Sequence[Listed], *, table: bool) -> Any:
        """Rows of this selection (all, or some of them) as the `view=table` answer or as objects."""
        if table:
            return table_of(self.scope, rows)
        return [self.scope.present(_completed(self.scope, row.obj)) if isinstance(row, LiveRow)
                else row.fragment for row in rows]  # type: ignore[attr-defined]


@dataclasses.dataclass
class ObjectResult:
    """One object with where it came from."""

    data: Any
    source: str = "apiserver"
    stale: bool = False
    # When a cached answer was last confirmed in sync with the API server (epoch seconds); None: read live.
    confirmed_at: float | None = None


class Subscription:
    """A live attachment to a kind's watch; `cancel()` detaches it."""

    def __init__(self, cache: KindCache, listener: Callable[[str, CacheEntry], None]) -> None:
        self.cache = cache
        self._listener = listener

    def cancel(self) -> None:
        """Stop receiving events."""
        self.cache.listeners.discard(self._listener)


class Listed(Protocol):
    """A row of a list: the object's (namespace, name) key, its table row and what the `q` filter searches in it
    (a `CacheEntry` or a `LiveRow`)."""

    key: Key
    row: dict[str, Any]

    @property
    def search_text(self) -> str: ...


@dataclasses.dataclass(slots=True)
class LiveRow:
    """A row of a live list, with the object it was made from."""

    key: Key
    row: dict[str, Any]
    obj: Obj

    @property
    def search_text(self) -> str:
        """What the `q` filter searches (made when asked: a live list is filtered once)."""
        return search_text(self.row)


Row = TypeVar("Row", bound=Listed)


def select_page(scope: AccessScope, rows: Sequence[Row], *, selector: Predicate | None, text: str | None,
                window: slice) -> tuple[list[Row], int]:
    """The rows of `window` among those (in order) that the scope's namespace and grants, the label selector and
    the text filter let through, and how many pass in all. When nothing filters, a slice without a scan."""
    namespace = scope.namespace
    visible = scope.key_filter()
    needle = text.lower() if text else None
    if namespace is None and visible is None and selector is None and needle is None:
        return list(rows[window]), len(rows)
    start, stop = window.start or 0, window.stop
    shown: list[Row] = []
    total = 0
    for entry in rows:
        if namespace is not None and entry.key[0] != namespace:
            continue
        if visible is not None and not visible(entry.key):
            continue
        if selector is not None and not selector(entry.row["labels"]):
            continue
        if needle is not None and not text_matches(entry.search_text, needle):
            continue
        if start <= total and (stop is None or total < stop):
            shown.append(entry)
        total += 1
    return shown, total


def _in_apiserver_order(scope: AccessScope, query: ListQuery) -> bool:
    """Whether the page asked for is a prefix of the API server's own order (namespace, then name): by name
    within one namespace (or of a cluster-scoped kind), or by namespace; a bounded page, with no text or label
    filter and nothing the grants hide."""
    if query.text or query.label_selector or query.page_size is None or scope.filters_keys:
        return False  # the API server's estimate of the rest is only given without a label selector
    if query.sort == "namespace":
        return True
    return query.sort in (None, "name") and (scope.namespace is not None or not scope.kind.namespaced)


def label_predicate(label_selector: str | None) -> Predicate | None:
    """The parsed label selector (None when there is none); 40002 when it does not parse."""
    try:
        return parse_label_selector(label_selector)
    except SelectorError as exc:
        raise ApiError(ErrorCode.PARAM_INVALID, str(exc)) from None


def table_of(scope: AccessScope, rows: Sequence[Listed]) -> Obj:
    """The `view=table` answer: the kind's columns and the rows."""
    return {"columns": columns_of(table_spec(scope.kind), namespaced=scope.kind.namespaced),
            "rows": [entry.row for entry in rows]}


class ResourceReader:
    """Authorized reads of Kubernetes objects of every cluster."""

    def __init__(self, clusters: ClusterManager, audit: AuditLog) -> None:
        self.clusters = clusters
        self._audit = audit

    async def get_object(self, context: RequestContext, ref: ObjectRef, *, reveal: bool = False) -> ObjectResult:
        """One object (from the cache when it has it); Secret values only with `reveal` (allowed, and audited)."""
        scope = await AccessScope.open(context, self.clusters, ref.cluster_id, ref.resource, namespace=ref.namespace,
                                       verb=Verb.READ)
        scope.require_namespace()
        scope.require_object(ref.name)
        revealing = reveal and scope.values.masks
        if revealing:
            scope.require(Verb.REVEAL)
        if scope.kind.derived:  # Helm releases: only their cache knows them
            cache = await scope.cluster.caches.synced(scope.kind, timeout_s=SUBSCRIBE_SYNC_TIMEOUT_S)
            if cache.get(scope.namespace, ref.name) is None:
                raise ApiError(ErrorCode.NOT_FOUND, f"{scope.kind.name} {ref.name!r} not found in namespace "
                                                    f"{scope.namespace!r}")
        else:
            cache = scope.cluster.caches.for_reads(scope.kind)
        entry = cache.get(scope.namespace, ref.name) if cache is not None else None
        # Never a Secret: their caches store nothing (`ResourceKind.storable`).
        if cache is not None and entry is not None:
            return ObjectResult(entry.fragment, source="cache", stale=cache.stale, confirmed_at=cache.confirmed_at)
        obj = await scope.cluster.request("GET", scope.kind.object_path(ref.name, scope.namespace))
        if revealing:
            self._audit.record("secret.reveal", name=ref.name, **scope.audit_fields())
        return ObjectResult(scope.present(obj, reveal=reveal))

    async def list_objects(self, context: RequestContext, cluster_id: int, *, resource: str,
                           namespace: str | None = None, query: ListQuery | None = None) -> ListResult:
        """Objects or table rows of a kind; `total` counts matches before paging (see `select`)."""
        query = query or ListQuery()
        selection = await self.select(context, cluster_id, resource=resource, namespace=namespace, query=query)
        return ListResult(selection.render(selection.rows, table=query.table), selection.total,
                          source=selection.source, stale=selection.stale, confirmed_at=selection.confirmed_at,
                          continue_token=selection.continue_token, syncing=selection.syncing)

    async def select(self, context: RequestContext, cluster_id: int, *, resource: str, namespace: str | None,
                     query: ListQuery) -> Selection:
        """The rows of one page of a kind, not yet rendered (a read across clusters merges these).

        Cached kinds answer from memory (unless a field selector or API-server chunking is asked for, or the
        cache is still syncing); everything else is a live list. Both go through `select_page`.
        """
        scope = await AccessScope.open(context, self.clusters, cluster_id, resource, namespace=namespace,
                                       verb=Verb.READ)
        cache = None
        if scope.kind.derived:  # Helm releases: listed from their cache only
            if query.field_selector or query.chunked:
                raise ApiError(ErrorCode.PARAM_INVALID, f"{scope.kind.name} are listed by KubeVision from their "
                                                        "records: fieldSelector, limit and continue do not apply")
            cache = await scope.cluster.caches.synced(scope.kind, timeout_s=SUBSCRIBE_SYNC_TIMEOUT_S)
        elif not query.field_selector and not query.chunked:
            cache = scope.cluster.caches.for_reads(scope.kind)
            if cache is None and scope.cluster.caches.is_cached(scope.kind) and _in_apiserver_order(scope, query):
                return await self._select_first_pages(scope, query)
        by_values = await self._metric_order(scope, query)
        if cache is not None:
            entries, total = select_page(scope, cache.sorted_entries(query.sort, by_values=by_values),
                                         selector=label_predicate(query.label_selector), text=query.text,
                                         window=query.window)
            return Selection(scope, entries, total, source="cache", stale=cache.stale,
                             confirmed_at=cache.confirmed_at, by_values=by_values)
        return await self._select_live(scope, query, by_values=by_values)

    @staticmethod
    async def _metric_order(scope: AccessScope, query: ListQuery) -> ValueOrder | None:
        """The order of a `metrics.*` sort (None for any other): over the whole list, so not with API-server
        chunks (`limit`/`continue`), whose order is the API server's."""
        if not query.sort or not query.sort.removeprefix("-").startswith(METRIC_SORT_PREFIX):
            return None
        if query.chunked:
            raise ApiError(ErrorCode.PARAM_INVALID, f"sort={query.sort} orders the whole list: page it with page "
                                                    "and pageSize, not limit and continue")
        return await metric_order(scope, query.sort)

    async def _select_first_pages(self, scope: AccessScope, query: ListQuery) -> Selection:
        """While a cached kind's cache is still syncing: the page cut from the API server's own first pages
        (`limit` = the end of the page), not from a full list; the total is the API server's estimate."""
        window = query.window
        chunk = dataclasses.replace(query, limit=window.stop, page=1, page_size=None)
        selection = await self._select_live(scope, chunk)
        rows = list(selection.rows)[window]
        return Selection(scope, rows, selection.total, syncing=True)

    @staticmethod
    async def _select_live(scope: AccessScope, query: ListQuery, *, by_values: ValueOrder | None = None) -> Selection:
        """A list read from the API server (which applies the selectors), through `select_page`, in the order of
        `query.sort` (or of `by_values`, a `metrics.*` sort). A selection of several namespaces is one request per
        namespace (chunking then does not apply)."""
        params = {"labelSelector": query.label_selector or None, "fieldSelector": query.field_selector or None,
                  "limit": query.limit, "continue": query.continue_token or None}
        namespaces = [scope.namespace] if scope.selected is None else scope.listed_namespaces()
        if len(namespaces) != 1 and query.chunked:
            raise ApiError(ErrorCode.PARAM_INVALID, "limit and continue read one namespace or all of them, not a "
                                                    "selection of several")
        listings = await gather_all(scope.cluster.request("GET", scope.kind.collection_path(namespace),
                                                          params=params) for namespace in namespaces)
        listing = listings[0] if len(listings) == 1 else {"items": [item for listing in listings
                                                                    for item in listing.get("items") or []]}
        spec, namespaced = table_spec(scope.kind), scope.kind.namespaced
        rows = [LiveRow(object_key(obj), row_of(spec, obj, namespaced=namespaced), obj)
                for obj in listing.get("items") or []]
        if by_values is not None or query.sort:
            row_key, descending = (by_values.row_key() if by_values is not None else
                                   row_order(query.sort, spec, namespaced=namespaced,
                                             metric_sorts=scope.kind.metric_sorts))
            rows.sort(key=lambda live: row_key(live.row), reverse=descending)
        metadata = listing.get("metadata") or {}
        continue_token = metadata.get("continue") or None
        chunked = bool(query.limit) or continue_token is not None
        shown, total = select_page(scope, rows, selector=None, text=query.text,
                                   window=slice(0, None) if chunked else query.window)
        if chunked:
            total += int(metadata.get("remainingItemCount") or 0)
        return Selection(scope, shown, total, continue_token=continue_token, by_values=by_values)

    async def subscribe(self, context: RequestContext, cluster_id: int, *, resource: str, namespace: str | None,
                        label_selector: str | None, table: bool, deliver: Callable[[dict[str, Any]], None],
                        name: str | None = None) -> Subscription:
        """Attach `deliver` to the kind's watch: it gets `{type, name, namespace, row|object}` events that
        pass the namespace, the object `name` (when given), label selector and the caller's grants (Secret
        values masked). With a label selector, an object whose labels change so that it stops matching
        arrives as `DELETED`."""
        scope = await AccessScope.open(context, self.clusters, cluster_id, resource, namespace=namespace,
                                       verb=Verb.READ)
        selector = label_predicate(label_selector)
        cache = scope.cluster.caches.cache_for(scope.kind)
        visible, values = scope.key_filter(), scope.values
        # With a selector: the keys whose last event matched, so that leaving the selection is an event too.
        selected: set[Key] = set()

        def listener(event_type: str, entry: CacheEntry) -> None:
            entry_namespace, entry_name = entry.key
            if scope.namespace is not None and entry_namespace != scope.namespace:
                return
            if name is not None and entry_name != name:
                return
            if visible is not None and not visible(entry.key):
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
            event: dict[str, Any] = {"type": event_type, "name": entry_name, "namespace": entry_namespace or None}
            if table:
                event["row"] = entry.row
            elif values.masks:
                event["object"] = values.present(orjson.loads(entry.raw))
            else:
                event["object"] = entry.fragment
            deliver(event)

        subscription = Subscription(cache, listener)
        cache.listeners.add(listener)
        try:
            # Once the first list is done the watch continues from its resourceVersion: nothing is missed after
            # `subscribe` returns. A cluster that is slow to list still gets the subscription (synced false).
            await wait_set(cache.synced_event, SUBSCRIBE_SYNC_TIMEOUT_S)
            if selector is not None:
                selected.update(await _selected_keys(scope, cache, label_selector, selector))
        except BaseException:  # cancelled (the client unsubscribed or left) or the selection failed
            subscription.cancel()
            raise
        return subscription


def _completed(scope: AccessScope, obj: Obj) -> Obj:
    """List items carry no kind/apiVersion; clients want complete objects."""
    obj.setdefault("kind", scope.kind.kind)
    obj.setdefault("apiVersion", scope.kind.api_version)
    return obj


async def _selected_keys(scope: AccessScope, cache: KindCache, label_selector: str | None,
                         selector: Predicate) -> set[Key]:
    """Keys of the objects a label selector matches now: from memory, or listed when the kind is not stored."""
    if cache.store:
        return {key for key, entry in cache.entries.items() if selector(entry.row["labels"])}
    listing = await scope.cluster.request("GET", scope.kind.collection_path(scope.namespace),
                                          params={"labelSelector": label_selector})
    return {object_key(item) for item in listing.get("items") or []}


RESOURCE_READER = web.AppKey("resource_reader", ResourceReader)
