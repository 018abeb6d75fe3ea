"""The compact history rings of `kube/metrics.py`: order after wrapping, missing values, dropped series, bucket
averages, and the memory they take (the budget: at most 50 MB of history per 10k pods)."""

from __future__ import annotations

import tracemalloc

from kubevision.kube.metrics import FULL_RESOLUTION_S, Ring, Steps

POD = ("pods", "ns", "web-1")
NODE = ("nodes", "", "node1")


def test_ring_keeps_the_newest_points_oldest_first() -> None:
    ring = Ring(3, window_s=100)
    for t in range(1, 6):
        ring.append(float(t), {POD: (t * 10.0, t * 1024.0)})
    assert ring.points(POD, since=0) == ([3.0, 4.0, 5.0], [30.0, 40.0, 50.0], [3072.0, 4096.0, 5120.0])
    assert ring.points(POD, since=4.5) == ([5.0], [50.0], [5120.0])


def test_series_without_a_value_are_null_then_dropped_after_the_window() -> None:
    ring = Ring(10, window_s=3)
    ring.append(1.0, {POD: (1.0, 1.0), NODE: (5.0, 5.0)})
    ring.append(2.0, {NODE: (6.0, 6.0)})
    ring.append(3.0, {NODE: (7.0, 7.0), POD: (3.0, 3.0)})
    assert ring.points(POD, since=0) == ([1.0, 2.0, 3.0], [1.0, None, 3.0], [1.0, None, 3.0])
    for t in (4.0, 5.0, 6.0, 7.0):
        ring.append(t, {NODE: (t, t)})
    assert POD not in ring.columns and ring.points(POD, since=0) == ([], [], [])
    assert len(ring.points(NODE, since=0)[0]) == 7


def test_bucket_means_skip_missing_values() -> None:
    ring = Ring(10, window_s=100)
    ring.append(0.0, {NODE: (10.0, 100.0)})
    ring.append(1.0, {POD: (1.0, 1.0)})
    ring.append(2.0, {NODE: (20.0, 300.0)})
    ring.append(3.0, {NODE: (99.0, 99.0)})
    assert ring.means(0.0, 3.0, [NODE, POD]) == {NODE: (15.0, 200.0), POD: (1.0, 1.0)}


def test_history_of_1000_pods_fits_a_tenth_of_the_budget() -> None:
    """1,000 pods (1 h at 15 s) and 100 workloads + 10 namespaces + 3 nodes (1 h, and 7 days of 5-min buckets):
    at most 5 MB, a tenth of the 50 MB per 10k pods (benchmarks/metrics.py measures 10k)."""
    pods = {("pods", "ns", f"pod-{i}"): (float(i), float(i)) for i in range(1000)}
    aggregates = {("deployments", "ns", f"w-{i}"): (1.0, 1.0) for i in range(100)}
    aggregates |= {("namespaces", "", f"ns-{i}"): (1.0, 1.0) for i in range(10)}
    aggregates |= {("nodes", "", f"node-{i}"): (1.0, 1.0) for i in range(3)}
    tracemalloc.start()
    try:
        full = Ring(FULL_RESOLUTION_S // 15 + 1, FULL_RESOLUTION_S)
        downsampled = Ring(7 * 288 + 1, 7 * 86400)
        for t in range(full.capacity):
            full.append(float(t), pods | aggregates)
        for t in range(downsampled.capacity):
            downsampled.append(float(t), aggregates)
        used, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(full.times) == full.capacity and len(downsampled.times) == downsampled.capacity
    assert used <= 5 * 1024 * 1024, f"{used / 2**20:.1f} MiB"


def test_a_wider_ring_keeps_every_column() -> None:
    ring = Ring(2, window_s=100, width=3)
    ring.append(1.0, {NODE: (1000.0, 500.0, 0.0)})
    ring.append(2.0, {NODE: (float("nan"), float("nan"), 2.0)})
    ring.append(3.0, {NODE: (2000.0, 1000.0, 2.0)})
    assert ring.points(NODE, since=0) == ([2.0, 3.0], [None, 2000.0], [None, 1000.0], [2.0, 2.0])
    assert ring.means(0.0, 4.0, [NODE]) == {NODE: (2000.0, 1000.0, 2.0)}


def test_restart_steps_keep_changes_only_and_the_value_before_the_window() -> None:
    steps = Steps(window_s=10)
    quiet = ("pods", "ns", "quiet")
    for t, count in ((0.0, 0), (1.0, 0), (2.0, 3), (3.0, 3), (5.0, 4)):
        steps.record(t, {POD: count, quiet: 0}, alive={POD, quiet})
    assert quiet not in steps.changes  # never restarted: nothing kept
    assert steps.changes[POD] == [(2.0, 3), (5.0, 4)]
    assert steps.at(POD, [0.0, 2.0, 4.0, 5.0, 9.0]) == [0, 3, 3, 4, 4]
    steps.record(30.0, {POD: 4}, alive={POD})  # both changes are past the window: the newest stays as the start
    assert steps.changes[POD] == [(5.0, 4)] and steps.at(POD, [25.0, 30.0]) == [4, 4]
    steps.record(31.0, {}, alive=set())  # a series the rings dropped is forgotten
    assert steps.changes == {}
