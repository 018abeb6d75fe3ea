"""Measure the metrics sampler and history: CPU share of the sampler, history memory, a sorted page, a 7-day series.

    .venv/bin/python -m benchmarks.metrics [--pods 10000] [--nodes 4] [--no-write]

Two parts. In process (no cluster): the history rings of `kube/metrics.py` filled to capacity for `--pods` pods
(1 h at 15 s), one workload per 10 pods, 100 namespaces and the nodes (1 h, and 7 days of 5-minute buckets), the
network and restarts ring of the workloads, namespaces and nodes (1 h) and the restart changes of one pod in
`RESTARTING_PODS_EVERY` (a change every round): the memory they take (tracemalloc) and the time of one 7-day
workload series read from a full ring. On a private
control plane: `--pods` pods spread over `--nodes` kubelet stand-ins (each serves the Summary API), then
`python -m kubevision serve`: the server's CPU while the informers idle, then while the sampler runs its 15-second
rounds (the difference is the sampler's share of one core), and the time of a first page sorted by CPU: of the pod
list (`/resources/pods?view=table&sort=-metrics.cpu&pageSize=100`, what a windowed list asks; pages are
page/pageSize: `limit` is the API server's chunking, which a metric sort refuses) and of the pod metrics
(`/metrics/pods?sort=-cpu&limit=100`). Targets: sampler ≤ 5% of one core at 10k pods, sorted pages ≤ 20 ms,
series ≤ 50 ms, history ≤ 50 MB per 10k pods.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import time
import tracemalloc
from typing import Any

import aiohttp

from benchmarks.common import (
    Server,
    apiserver_session,
    benchmark_main,
    control_plane,
    cpu_seconds,
    create_all,
    kubevision_session,
    median,
    percentile,
)
from kubevision.kube.metrics import (
    ACTIVITY_WINDOW_S,
    DEFAULT_BUCKET_S,
    DEFAULT_INTERVAL_S,
    DOWNSAMPLED_WINDOW_S,
    FULL_RESOLUTION_S,
    Ring,
    Steps,
)
from tests.envtest.kubelet import KubeletStandIn, KubeletThread

SECTION = "metrics"
NAMESPACE = "bench-metrics"
PODS_PER_WORKLOAD = 10
NAMESPACES = 100
# One pod in this many restarts every round (a worst case for the restart changes kept).
RESTARTING_PODS_EVERY = 100
IDLE_MEASURE_S = 30.0
SAMPLER_MEASURE_S = 60.0  # four rounds at the default 15 s
PAGE = "/api/v1/clusters/1/metrics/pods?sort=-cpu&limit=100"
LIST_PAGE = "/api/v1/clusters/1/resources/pods?view=table&sort=-metrics.cpu&pageSize=100"
PAGE_SAMPLES = 50
SERIES_SAMPLES = 20
READY_TIMEOUT_S = 1800.0


def history_part(pods: int, nodes: int) -> dict[str, Any]:
    """Memory of full rings and the time of a 7-day workload series read."""
    pod_values = {("pods", NAMESPACE, f"pod-{i:06d}"): (float(i % 500), float(i)) for i in range(pods)}
    aggregates = {("deployments", NAMESPACE, f"w-{i}"): (1.0, 1.0) for i in range(pods // PODS_PER_WORKLOAD)}
    aggregates |= {("namespaces", "", f"ns-{i}"): (1.0, 1.0) for i in range(NAMESPACES)}
    aggregates |= {("nodes", "", f"node-{i}"): (1.0, 1.0) for i in range(nodes)}
    tracemalloc.start()
    full = Ring(FULL_RESOLUTION_S // DEFAULT_INTERVAL_S + 1, FULL_RESOLUTION_S)
    downsampled = Ring(DOWNSAMPLED_WINDOW_S // DEFAULT_BUCKET_S + 1, DOWNSAMPLED_WINDOW_S)
    activity = Ring(full.capacity, ACTIVITY_WINDOW_S, width=3)
    restarts = Steps(ACTIVITY_WINDOW_S)
    aggregate_activity = {key: (1000.0, 500.0, 1.0) for key in aggregates}
    for step in range(full.capacity):
        full.append(float(step * DEFAULT_INTERVAL_S), pod_values | aggregates)
        activity.append(float(step * DEFAULT_INTERVAL_S), aggregate_activity)
        restarts.record(float(step * DEFAULT_INTERVAL_S),
                        {key: step if index % RESTARTING_PODS_EVERY == 0 else 0
                         for index, key in enumerate(pod_values)}, alive=full.columns)
    for step in range(downsampled.capacity):
        downsampled.append(float(step * DEFAULT_BUCKET_S), aggregates)
    memory, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    key = ("deployments", NAMESPACE, "w-0")
    timings = []
    for _ in range(SERIES_SAMPLES):
        started = time.perf_counter()
        downsampled.points(key, since=0.0)
        timings.append((time.perf_counter() - started) * 1000)
    return {"history_mb": memory / 2**20, "series_ms": (median(timings), percentile(timings, 0.95)),
            "series_points": len(downsampled.times)}


async def seed(api: aiohttp.ClientSession, pods: int, nodes: list[str]) -> None:
    """The namespace and `pods` pods, round-robin over the stand-ins' nodes."""
    await api.post("/api/v1/namespaces", json={"metadata": {"name": NAMESPACE}})

    def manifest(index: int) -> dict[str, Any]:
        return {"metadata": {"name": f"pod-{index:06d}"},
                "spec": {"nodeName": nodes[index % len(nodes)],
                         "containers": [{"name": "app", "image": "registry.local/app:1.0",
                                         "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}}

    await create_all(api, ((f"/api/v1/namespaces/{NAMESPACE}/pods", manifest(index)) for index in range(pods)))


async def wait_running(stand_ins: list[KubeletStandIn], pods: int) -> float:
    """Seconds until the stand-ins run every pod."""
    started = time.monotonic()
    while sum(len(stand_in.running_pods()) for stand_in in stand_ins) < pods:
        if time.monotonic() - started > READY_TIMEOUT_S:
            raise RuntimeError("the stand-ins did not run every pod in time")
        await asyncio.sleep(1)
    return time.monotonic() - started


async def get(session: aiohttp.ClientSession, path: str, headers: dict[str, str]) -> Any:
    async with session.get(path, headers=headers) as response:
        return (await response.json())["data"]


async def timed(session: aiohttp.ClientSession, path: str, headers: dict[str, str]) -> tuple[tuple[float, float], Any]:
    """(median, p95) ms of `PAGE_SAMPLES` reads of `path`, and the last answer."""
    timings = []
    for _ in range(PAGE_SAMPLES):
        started = time.perf_counter()
        data = await get(session, path, headers)
        timings.append((time.perf_counter() - started) * 1000)
    return (median(timings), percentile(timings, 0.95)), data


async def cluster_part(pods: int, nodes: int) -> dict[str, Any]:
    """The sampler's CPU share and the sorted page, on a private control plane."""
    results: dict[str, Any] = {}
    with control_plane() as plane:
        threads = [KubeletThread(KubeletStandIn(plane.server_url, plane.admin_token, node_name=f"bench-kubelet-{i}"))
                   for i in range(nodes)]
        stand_ins = [thread.start() for thread in threads]
        try:
            async with apiserver_session(plane) as api:
                await seed(api, pods, [stand_in.node_name for stand_in in stand_ins])
            results["running_s"] = await wait_running(stand_ins, pods)
            server = Server(plane.admin_kubeconfig)
            server.start()
            try:
                async with kubevision_session(server) as (session, headers):
                    await get(session, "/api/v1/clusters/1/resources/pods?pageSize=1", headers)
                    await asyncio.sleep(5)
                    before, wall = cpu_seconds(server.pid), time.monotonic()
                    await asyncio.sleep(IDLE_MEASURE_S)
                    idle = (cpu_seconds(server.pid) - before) / (time.monotonic() - wall) * 100
                    requests_before = sum(stand_in.summary_requests for stand_in in stand_ins)
                    first = await get(session, PAGE, headers)
                    results["source"] = first["source"]
                    before, wall = cpu_seconds(server.pid), time.monotonic()
                    await asyncio.sleep(SAMPLER_MEASURE_S)
                    sampling = (cpu_seconds(server.pid) - before) / (time.monotonic() - wall) * 100
                    results["sampler_percent"] = sampling - idle
                    results["idle_percent"] = idle
                    results["summary_requests"] = sum(s.summary_requests for s in stand_ins) - requests_before
                    results["page_ms"], page = await timed(session, PAGE, headers)
                    results["page_items"] = len(page["items"])
                    results["list_page_ms"], rows = await timed(session, LIST_PAGE, headers)
                    results["list_page_rows"] = len(rows["rows"])
            finally:
                server.stop()
        finally:
            for thread in threads:
                thread.stop()
    return results


def run(args: argparse.Namespace) -> tuple[str, str]:
    """Both parts; the markdown section."""
    history = history_part(args.pods, args.nodes)
    cluster = asyncio.run(cluster_part(args.pods, args.nodes)) if not args.history_only else None
    lines = [f"## Metrics at {args.pods:,} pods", "",
             f"Measured {time.strftime('%Y-%m-%d')} on {platform.node()} ({platform.machine()}), "
             f"`python -m benchmarks.metrics --pods {args.pods} --nodes {args.nodes}`.", "",
             "| measure | result | target |", "|---|---|---|",
             f"| history memory (1 h of pods, 7 days of {args.pods // PODS_PER_WORKLOAD:,} workloads, {NAMESPACES} "
             f"namespaces, {args.nodes} nodes; 1 h of their network and restarts; 1 pod in {RESTARTING_PODS_EVERY} "
             f"restarting every round) | {history['history_mb']:.1f} MB | ≤ 50 MB per 10k pods |",
             f"| 7-day workload series ({history['series_points']:,} buckets; median / p95) | "
             f"{history['series_ms'][0]:.2f} / {history['series_ms'][1]:.2f} ms | ≤ 50 ms |"]
    if cluster is not None:
        lines += [f"| sampler CPU (above {cluster['idle_percent']:.1f}% idle; source {cluster['source']}, "
                  f"{cluster['summary_requests']} Summary requests in {SAMPLER_MEASURE_S:.0f} s) | "
                  f"{cluster['sampler_percent']:.1f}% of one core | ≤ 5% |",
                  f"| first page of the pod list sorted by CPU (`sort=-metrics.cpu`), {cluster['list_page_rows']} "
                  f"rows (median / p95) | {cluster['list_page_ms'][0]:.1f} / {cluster['list_page_ms'][1]:.1f} ms | "
                  "≤ 20 ms |",
                  f"| first page of pod metrics sorted by CPU, {cluster['page_items']} rows (median / p95) | "
                  f"{cluster['page_ms'][0]:.1f} / {cluster['page_ms'][1]:.1f} ms | ≤ 20 ms |"]
    return SECTION, "\n".join(lines) + "\n"


def configure(parser: argparse.ArgumentParser) -> None:
    """The benchmark's options."""
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--nodes", type=int, default=4)
    parser.add_argument("--history-only", action="store_true", help="skip the control-plane part")


if __name__ == "__main__":
    raise SystemExit(benchmark_main(__doc__, configure, run))
