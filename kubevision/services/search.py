"""Search scoring and the per-cache search index used by `ViewService.search`.

Ranking: exact name > name prefix > name substring > label (exact key, value or `key=value`) > label
substring > namespace (exact, then substring); case-insensitive. Ties go to the shorter name.

Why an index: search runs on every keystroke of the command palette, over every cached object. Lower-
casing names and joining labels for 10k pods on each call cost more than the matching itself, so each
cache gets a `SearchIndex` of pre-lowered keys. It is refreshed only when the cache's version moved, and
then per entry by *row identity* (the cache replaces a row object whenever its object changes), so a
busy cluster re-lowers only what changed. The index holds references to the cache's rows, never copies
of objects, and lives in a `WeakKeyDictionary` keyed by the cache, so it goes when its cache stops.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from kubevision.kube.cache import KindCache

Obj = dict[str, Any]

SCORE_NAME_EXACT = 100
SCORE_NAME_PREFIX = 80
SCORE_NAME_SUBSTRING = 60
SCORE_LABEL_EXACT = 50
SCORE_LABEL_SUBSTRING = 30
SCORE_NAMESPACE_EXACT = 20
SCORE_NAMESPACE_SUBSTRING = 10
# Separates labels in the joined label text; a query containing it cannot match across two labels.
_LABEL_SEPARATOR = "\n"


class SearchKeys(NamedTuple):
    """A table row with its lower-cased search keys."""

    row: Obj
    name: str
    namespace: str
    labels: str  # "key=value" pairs, lower-cased, joined by a newline


def search_keys(row: Obj) -> SearchKeys:
    """The search keys of one table row."""
    labels = row.get("labels") or {}
    return SearchKeys(row, (row.get("name") or "").lower(), (row.get("namespace") or "").lower(),
                      _LABEL_SEPARATOR.join(f"{k}={v}" for k, v in labels.items()).lower())


def score(needle: str, keys: SearchKeys) -> tuple[int, str] | None:
    """(score, matchedOn) for a lower-case, stripped needle, or None when nothing matches."""
    name = keys.name
    if needle in name:
        if name == needle:
            return SCORE_NAME_EXACT, "name"
        return (SCORE_NAME_PREFIX if name.startswith(needle) else SCORE_NAME_SUBSTRING), "name"
    if needle in keys.labels:  # cheap test first; find which label only for the few that match
        best = None
        for key, value in (keys.row.get("labels") or {}).items():
            pair = f"{key}={value}"
            lowered = pair.lower()
            if needle in (lowered, key.lower(), value.lower()):
                return SCORE_LABEL_EXACT, f"label:{pair}"
            if best is None and needle in lowered:
                best = (SCORE_LABEL_SUBSTRING, f"label:{pair}")
        if best is not None:
            return best
    namespace = keys.namespace
    if namespace and needle in namespace:
        return (SCORE_NAMESPACE_EXACT if namespace == needle else SCORE_NAMESPACE_SUBSTRING), "namespace"
    return None


def score_row(needle: str, row: Obj) -> tuple[int, str] | None:
    """`score` of a row without an index (live lists)."""
    return score(needle, search_keys(row))


class SearchIndex:
    """Search keys of one cache's rows, refreshed when the cache changed."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], SearchKeys] = {}
        self._keys: list[SearchKeys] = []
        self._version = -1

    def keys(self, cache: KindCache) -> list[SearchKeys]:
        """Every entry's keys as of the cache's current version."""
        if cache.version != self._version:
            previous = self._by_key
            fresh = {}
            for key, entry in cache.entries.items():
                known = previous.get(key)
                fresh[key] = known if known is not None and known.row is entry.row else search_keys(entry.row)
            self._by_key, self._keys, self._version = fresh, list(fresh.values()), cache.version
        return self._keys


class SearchIndexes:
    """One `SearchIndex` per live cache object (dropped with the cache)."""

    def __init__(self) -> None:
        self._indexes: weakref.WeakKeyDictionary[KindCache, SearchIndex] = weakref.WeakKeyDictionary()

    def keys(self, cache: KindCache) -> list[SearchKeys]:
        """The current search keys of a cache."""
        index = self._indexes.get(cache)
        if index is None:
            index = self._indexes[cache] = SearchIndex()
        return index.keys(cache)
