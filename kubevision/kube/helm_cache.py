"""The cache of Helm releases (`releases.helm.sh`): one row per release, kept from watches of Helm's records.

Two informers follow the release records, the Secrets and the ConfigMaps labelled `owner=helm` (both storage
drivers). They keep, per record version, only its summary (`kube/helm.py: summarize_record`: revision, status,
chart, app version, dates — read once from a bounded prefix of the payload), never the payload: Secrets stay
unstored. The release cache groups the summaries by (namespace, release) and keeps, for each release, the
metadata-only object of its highest revision with its table row, so lists, sorting, filters, grants and the
watch socket treat releases as any cached kind. Full records are read on demand by `services/helm.py`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import orjson

from kubevision.kube.cache import BACKOFF_INITIAL_S, BACKOFF_MAX_S, CacheEntry, Key, KindCache, object_key
from kubevision.kube.errors import KubeError
from kubevision.kube.helm import DRIVERS, RECORD_SELECTOR, release_row_object, summarize_record
from kubevision.kube.registry import ResourceKind
from kubevision.kube.tables import row_of

if TYPE_CHECKING:
    from kubevision.kube.clusters import Cluster

log = logging.getLogger(__name__)

# Records per list page: each may be up to ~1.5 MiB (etcd's limit), and a page's records are in memory at once.
RECORD_PAGE_SIZE = 50
Obj = dict[str, Any]


class RecordInformer(KindCache):
    """The Helm records of one storage driver (Secrets or ConfigMaps labelled `owner=helm`): summaries only."""

    label_selector = RECORD_SELECTOR
    page_size = RECORD_PAGE_SIZE

    def __init__(self, cluster: Cluster, kind: ResourceKind, *, ttl_s: float) -> None:
        super().__init__(cluster, kind, store=True, ttl_s=ttl_s)
        self.store = True  # entries hold a record's summary, never its payload (safe for Secrets)

    def _entry(self, obj: Obj) -> CacheEntry:
        """A record's summary as the entry's row, decoded once per record version."""
        key = object_key(obj)
        metadata = obj.get("metadata") or {}
        resource_version = metadata.get("resourceVersion")
        known = self.entries.get(key)
        if known is not None and known.row["resourceVersion"] == resource_version:
            return known
        summary = summarize_record(obj)
        return CacheEntry(key, b"", {**summary, "resourceVersion": resource_version,
                                     "labels": metadata.get("labels") or {}})


class ReleaseCache(KindCache):
    """Releases of one cluster: the highest revision of each, from the records of both drivers."""

    def __init__(self, cluster: Cluster, kind: ResourceKind, *, ttl_s: float) -> None:
        super().__init__(cluster, kind, store=True, ttl_s=ttl_s)
        self.informers: list[RecordInformer] = []
        # (namespace, release) -> {(driver, record name): summary}
        self._records: dict[Key, dict[tuple[str, str], Obj]] = {}

    @property
    def last_error(self) -> KubeError | None:  # type: ignore[override]
        """Why a driver's records could not be listed or watched (None while both are fine)."""
        return next((informer.last_error for informer in self.informers if informer.last_error), None)

    @property
    def stale(self) -> bool:
        """Stale while either driver's informer is (or before they started)."""
        return not self.informers or any(informer.stale for informer in self.informers)

    def _follow_confirmations(self) -> None:
        if self.informers:
            self.last_confirmed = min(informer.last_confirmed for informer in self.informers)
            self.confirmed_at = min(informer.confirmed_at for informer in self.informers)

    def cluster_answered(self) -> None:
        """Forwarded to both informers."""
        for informer in self.informers:
            informer.cluster_answered()
        self._follow_confirmations()

    def retry_now(self) -> None:
        """Forwarded to both informers."""
        for informer in self.informers:
            informer.retry_now()

    async def _watch_forever(self) -> None:
        """Start one informer per driver (retrying discovery with backoff), then mark synced once both listed."""
        backoff = BACKOFF_INITIAL_S
        while not self.informers:
            try:
                registry = await self.cluster.registry()
                kinds = [registry.lookup(driver) for driver in DRIVERS]
            except KubeError as exc:
                log.warning("releases of %s: discovery failed (%s); retrying in %.1f s", self.cluster.name, exc,
                            backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
                continue
            for kind in kinds:
                informer = RecordInformer(self.cluster, kind, ttl_s=self.ttl_s)
                informer.listeners.add(self._record_event)
                informer.start()
                self.informers.append(informer)
        await asyncio.gather(*(informer.synced_event.wait() for informer in self.informers))
        self.synced = True
        self._follow_confirmations()
        self.synced_event.set()
        await asyncio.Event().wait()  # runs until `aclose` cancels it

    async def aclose(self) -> None:
        """Stop both informers and forget every release."""
        informers, self.informers = self.informers, []
        for informer in informers:
            await informer.aclose()
        await super().aclose()
        self._records.clear()

    def drivers_of(self, namespace: str | None, release: str) -> set[str]:
        """The storage drivers holding records of a release (empty when it has none)."""
        return {driver for driver, _ in self._records.get((namespace or "", release)) or {}}

    def _record_event(self, event_type: str, entry: CacheEntry) -> None:
        summary = entry.row
        release_key = (summary["namespace"] or "", str(summary["release"]))
        records = self._records.setdefault(release_key, {})
        record_key = (summary["driver"], entry.key[1])
        if event_type == "DELETED":
            records.pop(record_key, None)
        else:
            records[record_key] = summary
        self._follow_confirmations()
        self._release_changed(release_key)

    def _release_changed(self, key: Key) -> None:
        records = self._records.get(key) or {}
        previous = self.entries.get(key)
        if not records:
            self._records.pop(key, None)
            if previous is not None:
                del self.entries[key]
                self.version += 1
                self._notify("DELETED", previous)
            return
        latest = max(records.values(), key=lambda summary: (summary["revision"], summary["record"] or ""))
        obj = release_row_object(latest, api_version=self.kind.api_version, kind=self.kind.kind)
        if previous is not None and orjson.loads(previous.raw) == obj:
            return
        entry = CacheEntry(key, orjson.dumps(obj), row_of(self._table, obj, namespaced=True))
        self.entries[key] = entry
        self.version += 1
        self._notify("ADDED" if previous is None else "MODIFIED", entry)
