"""A cache's memoised column orders brought up to date by moving the changed entries (`KindCache.sorted_entries`):
after random ADDED, MODIFIED and DELETED events the order equals a full sort, for column sorts both ways (ties
across namespaces included); beyond the change log, after a relist and for `metrics.*` orders it sorts again.

In process: a pods cache fed through its own event path (`_apply`, what the informer's watch calls); no cluster
is contacted (no informer runs)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, cast

import pytest

from kubevision.kube.cache import CHANGE_LOG_SIZE, ENTRIES_PER_MOVED_CHANGE, KindCache
from kubevision.kube.clusters import Cluster
from kubevision.kube.registry import ResourceKind
from kubevision.kube.tables import ValueOrder, moves_with_the_clock, row_order, table_spec

PODS = ResourceKind(plural="pods", kind="Pod", group="", version="v1", namespaced=True, builtin=True,
                    verbs=frozenset({"get", "list", "watch"}), name="pods")
JOBS = ResourceKind(plural="jobs", kind="Job", group="batch", version="v1", namespaced=True, builtin=True,
                    verbs=frozenset({"get", "list", "watch"}), name="jobs")
SORTS = ("name", "-name", "namespace", "-namespace", "restarts", "-restarts", "age", "-age", "status", "-status",
         "ready", "-ready", "node", "-ip")
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def pod(rng: random.Random, name: str, namespace: str) -> dict[str, Any]:
    """A pod with random (and often equal) cells: few nodes, restart counts, phases and creation seconds."""
    phase = rng.choice(("Running", "Pending", "Failed"))
    created = (START + dt.timedelta(seconds=rng.randrange(5))).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"metadata": {"name": name, "namespace": namespace, "resourceVersion": str(rng.randrange(10**9)),
                         "creationTimestamp": created},
            "spec": {"nodeName": f"node-{rng.randrange(3)}", "containers": [{"name": "app", "image": "app:1"}]},
            "status": {"phase": phase, "podIP": f"10.0.0.{rng.randrange(4)}",
                       "containerStatuses": [{"name": "app", "ready": phase == "Running",
                                              "restartCount": rng.randrange(4), "state": {"running": {}}}]}}


def cache_of(kind: ResourceKind = PODS) -> KindCache:
    return KindCache(cast(Cluster, None), kind, store=True, ttl_s=3600.0)


def full_sort(cache: KindCache, sort: str) -> list[tuple[str, str]]:
    """The keys in the order of a sort of every entry."""
    row_key, descending = row_order(sort, table_spec(PODS), namespaced=True)
    return [entry.key for entry in sorted(cache.entries.values(), key=lambda e: row_key(e.row), reverse=descending)]


def keys(entries) -> list[tuple[str, str]]:
    return [entry.key for entry in entries]


def random_events(cache: KindCache, rng: random.Random, count: int) -> None:
    """`count` events: ADDED (new names, some shared across namespaces), MODIFIED and DELETED of existing ones
    (and now and then of ones that do not exist, as after a missed event)."""
    for _ in range(count):
        existing = list(cache.entries)
        roll = rng.random()
        if roll < 0.35 or not existing:
            name, namespace = f"pod-{rng.randrange(1000):03d}", f"ns-{rng.randrange(3)}"
            cache._apply("ADDED", pod(rng, name, namespace))
        elif roll < 0.8:
            namespace, name = rng.choice(existing) if rng.random() < 0.95 else ("ns-0", "never-added")
            cache._apply("MODIFIED", pod(rng, name, namespace))
        else:
            namespace, name = rng.choice(existing) if rng.random() < 0.95 else ("ns-1", "never-added")
            cache._apply("DELETED", pod(rng, name, namespace))


@pytest.mark.parametrize("seed", range(4))
def test_moved_entries_give_the_full_sort(seed: int) -> None:
    rng = random.Random(seed)
    cache = cache_of()
    random_events(cache, rng, 4000)  # several hundred pods, many with equal cells
    assert len(cache.entries) >= 400
    memos = {sort: cache.sorted_entries(sort) for sort in SORTS}
    versions = dict.fromkeys(SORTS, cache.version)
    moved = 0
    for round_ in range(40):
        random_events(cache, rng, rng.randrange(1, 2 * len(cache.entries) // ENTRIES_PER_MOVED_CHANGE))
        for sort in rng.sample(SORTS, 6):  # some memos skip rounds: several rounds of changes at once
            ordered = cache.sorted_entries(sort)
            assert keys(ordered) == full_sort(cache, sort), (seed, round_, sort)
            assert cache.sorted_entries(sort) is ordered  # memoised for this version
            # Updated in place while there were few changes since the memo; sorted again beyond.
            few = (cache.version - versions[sort]) * ENTRIES_PER_MOVED_CHANGE <= len(cache.entries)
            assert (ordered is memos[sort]) == few, (seed, round_, sort)
            moved += few
            memos[sort], versions[sort] = ordered, cache.version
    assert moved >= 40  # the test reaches the moves it checks


def test_descending_orders_reverse_the_ties_too() -> None:
    cache = cache_of()
    rng = random.Random(9)
    for namespace in ("ns-a", "ns-b", "ns-c"):  # the same names in three namespaces, the same cells
        for name in ("x", "y"):
            obj = pod(rng, name, namespace)
            obj["status"] = {"phase": "Running"}
            obj["metadata"]["creationTimestamp"] = START.strftime("%Y-%m-%dT%H:%M:%SZ")
            cache._apply("ADDED", obj)
    ascending = keys(cache.sorted_entries("age"))
    assert ascending == [("ns-a", "x"), ("ns-b", "x"), ("ns-c", "x"), ("ns-a", "y"), ("ns-b", "y"), ("ns-c", "y")]
    assert keys(cache.sorted_entries("-age")) == ascending[::-1]
    assert keys(cache.sorted_entries("-status")) == ascending[::-1]


def test_beyond_the_change_log_it_sorts_again() -> None:
    rng = random.Random(3)
    cache = cache_of()
    random_events(cache, rng, 4000)
    first = cache.sorted_entries("-restarts")
    random_events(cache, rng, CHANGE_LOG_SIZE + 1)  # more changes than the log keeps
    again = cache.sorted_entries("-restarts")
    assert again is not first and keys(again) == full_sort(cache, "-restarts")


def test_metric_orders_are_sorted_again_and_durations_too() -> None:
    rng = random.Random(5)
    cache = cache_of()
    random_events(cache, rng, 300)
    snapshot = object()
    values = {key: float(index % 7) for index, key in enumerate(cache.entries)}
    order = ValueOrder(sort="-metrics.cpu", snapshot=snapshot, values=lambda: values)
    first = cache.sorted_entries("-metrics.cpu", by_values=order)
    assert cache.sorted_entries("-metrics.cpu", by_values=order) is first
    random_events(cache, rng, 1)
    row_key, _ = order.row_key()
    after = cache.sorted_entries("-metrics.cpu", by_values=order)
    assert after is not first
    assert keys(after) == [e.key for e in sorted(cache.entries.values(), key=lambda e: row_key(e.row), reverse=True)]
    # A job's duration grows while it runs: its order is never brought up to date, only sorted again.
    assert moves_with_the_clock("-duration", table_spec(JOBS), namespaced=True)
    assert not moves_with_the_clock("age", table_spec(JOBS), namespaced=True)
    assert not moves_with_the_clock("-restarts", table_spec(PODS), namespaced=True)
