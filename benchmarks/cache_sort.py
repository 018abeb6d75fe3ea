"""Measure a big cache's sorted orders: a full sort, the memo, and the order again after changes.

    .venv/bin/python -m benchmarks.cache_sort [--pods 100000] [--no-write]

In process (no cluster): a pods `KindCache` (kube/cache.py) filled through its own event path with `--pods`
synthetic pods (100 namespaces, 50 nodes, restart counts, creation times, phases), then for each sort id of
`SORTS`: the first `sorted_entries` (a full sort), a second one (the memo), the order after one MODIFIED event (a
pod's restart count and phase change: what each windowed page read meets under a steady stream of changes),
and after `BURST` events (a second at 100 changes/s: MODIFIED, with an ADDED and a DELETED). Median and p95 of
`SAMPLES` repetitions. Target: the order after one change ≤ 20 ms at 100k pods. The full sort is also what every
change cost while the memo was only kept per cache version (before the changed entries were moved).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import time
from typing import Any, cast

from benchmarks.common import benchmark_main, median, percentile
from kubevision.kube.cache import KindCache
from kubevision.kube.clusters import Cluster
from kubevision.kube.registry import ResourceKind

SECTION = "cache-sort"
SORTS = ("name", "-restarts", "age", "status", "node", "-ready")
SAMPLES = 20
BURST = 100
NAMESPACES = 100
NODES = 50
EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
PODS = ResourceKind(plural="pods", kind="Pod", group="", version="v1", namespaced=True, builtin=True,
                    verbs=frozenset({"get", "list", "watch"}), name="pods")


def pod(index: int, *, restarts: int = 0, phase: str = "Running") -> dict[str, Any]:
    """A synthetic pod: namespace, node and creation time spread by `index`."""
    created = (EPOCH + dt.timedelta(seconds=index // 7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"pod-{index:06d}", "namespace": f"ns-{index % NAMESPACES:02d}",
                         "uid": f"uid-{index}", "resourceVersion": str(index), "creationTimestamp": created},
            "spec": {"nodeName": f"node-{index % NODES:02d}",
                     "containers": [{"name": "app", "image": "registry.local/app:1.0"}]},
            "status": {"phase": phase, "podIP": f"10.{index // 65536}.{index // 256 % 256}.{index % 256}",
                       "containerStatuses": [{"name": "app", "ready": phase == "Running", "restartCount": restarts,
                                              "state": {"running": {}}}]}}


def filled(pods: int) -> KindCache:
    """A pods cache holding `pods` synthetic pods (the cluster is never contacted: no informer runs)."""
    cache = KindCache(cast(Cluster, None), PODS, store=True, ttl_s=3600.0)
    for index in range(pods):
        cache._apply("ADDED", pod(index, restarts=index % 5))
    return cache


def change(cache: KindCache, rng: random.Random, pods: int) -> None:
    """One MODIFIED event: a random pod restarts and changes phase."""
    index = rng.randrange(pods)
    cache._apply("MODIFIED", pod(index, restarts=rng.randrange(50), phase=rng.choice(("Running", "Failed"))))


def timed_ms(action) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def measure(pods: int) -> list[dict[str, Any]]:
    """Per sort id: full sort, memo, after one change, after a burst (ms)."""
    cache = filled(pods)
    rng = random.Random(7)
    results = []
    added = pods
    for sort in SORTS:
        full = timed_ms(lambda sort=sort: cache.sorted_entries(sort))
        memo = timed_ms(lambda sort=sort: cache.sorted_entries(sort))
        one, burst = [], []
        for _ in range(SAMPLES):
            change(cache, rng, pods)
            one.append(timed_ms(lambda sort=sort: cache.sorted_entries(sort)))
        for _ in range(max(1, SAMPLES // 4)):
            for _ in range(BURST - 2):
                change(cache, rng, pods)
            cache._apply("ADDED", pod(added))
            cache._apply("DELETED", pod(rng.randrange(pods)))
            added += 1
            burst.append(timed_ms(lambda sort=sort: cache.sorted_entries(sort)))
        results.append({"sort": sort, "full": full, "memo": memo, "one": (median(one), percentile(one, 0.95)),
                        "burst": (median(burst), percentile(burst, 0.95))})
    return results


def run(args: argparse.Namespace) -> tuple[str, str]:
    results = measure(args.pods)
    lines = [f"## Cache sort ({args.pods:,} pods)", "",
             f"Measured {dt.date.today().isoformat()} on {platform.node()} ({platform.machine()}, "
             f"{os.cpu_count()} cores, Python {platform.python_version()}), `python -m benchmarks.cache_sort --pods "
             f"{args.pods}` (in process, no cluster). Milliseconds per `KindCache.sorted_entries` call; after "
             f"one change and after {BURST} changes: median / p95 of the repetitions. The full sort is what any "
             "change cost before memoised orders were updated by moving the changed entries.", "",
             "| sort | full sort | memo | after 1 change | after 100 changes |", "|---|---|---|---|---|"]
    for result in results:
        lines.append(f"| `{result['sort']}` | {result['full']:.1f} | {result['memo']:.3f} | "
                     f"{result['one'][0]:.2f} / {result['one'][1]:.2f} | "
                     f"{result['burst'][0]:.1f} / {result['burst'][1]:.1f} |")
    return SECTION, "\n".join(lines) + "\n"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pods", type=int, default=100_000, help="synthetic pods in the cache")


if __name__ == "__main__":
    raise SystemExit(benchmark_main(__doc__ or "", configure, run))
