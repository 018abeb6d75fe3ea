"""Measure `GET /clusters/{id}/search` on the informer cache at 10k pods, against the API server read directly.

Why: search answers every keystroke of the Cmd/Ctrl+K palette, so its latency on a big cluster is a
promise in docs/benchmarks.md; this script is how the figure was produced:

    .venv/bin/python -m benchmarks.search [--pods 10000] [--rounds 40] [--no-write]

It starts a private control plane, creates a bare Node `bench-node` and seeds pods bound to it (so neither
the scheduler nor the pod garbage collector touch them, see ENVTEST.md "Scale seeding"), runs
`python -m kubevision serve` as a subprocess, waits until the pods cache is synced, then times a mix of
queries (exact name, prefix, substring, label, miss) end to end over HTTP: `kinds=pods` (memory only)
and the default kinds (cached kinds from memory plus the live kinds listed in parallel). The baseline is
what a dashboard without a cache does: list every pod from the API server and filter client-side.
The namespace is deleted afterwards (the control plane goes away with it anyway).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import time
from typing import Any

import aiohttp

from benchmarks.common import (
    Server,
    apiserver_session,
    benchmark_main,
    control_plane,
    kubevision_session,
    median,
    percentile,
    seed_pods,
)
from kubevision.services.views import SEARCH_LIVE_KINDS

NAMESPACE = "bench-search"
CACHE_SYNC_TIMEOUT_S = 120.0
POLL_INTERVAL_S = 0.5
BASELINE_RUNS = 5
SECTION = "search"


def queries(count: int) -> dict[str, str]:
    """One query per match type, for pods named `pod-000000` ... with labels app=bench, shard=0..9."""
    middle = count // 2
    return {"exact": f"pod-{middle:06d}", "prefix": f"pod-{middle // 100:04d}", "substring": f"{middle:06d}"[2:],
            "label": "shard=3", "miss": "no-such-thing"}


async def _timed(session: aiohttp.ClientSession, path: str, headers: dict[str, str]) -> tuple[float, Any]:
    started = time.perf_counter()
    async with session.get(path, headers=headers) as response:
        body = await response.json()
    elapsed = (time.perf_counter() - started) * 1000
    if body["code"] != 0:
        raise RuntimeError(f"{path}: {body['code']} {body['message']}")
    return elapsed, body


async def wait_for_cache(session: aiohttp.ClientSession, headers: dict[str, str], cluster: int, count: int) -> float:
    """Start the pods cache (a search does) and wait until it holds every seeded pod; returns seconds."""
    started = time.monotonic()
    await _timed(session, f"/api/v1/clusters/{cluster}/search?q=warm&kinds=pods", headers)
    while time.monotonic() - started < CACHE_SYNC_TIMEOUT_S:
        _, body = await _timed(session, f"/api/v1/clusters/{cluster}/resources/pods?namespace={NAMESPACE}"
                                        "&pageSize=1", headers)
        if body["meta"]["source"] == "cache" and body["meta"]["total"] >= count:
            return time.monotonic() - started
        await asyncio.sleep(POLL_INTERVAL_S)
    raise RuntimeError("the pods cache did not sync in time")


async def measure(pods: int, rounds: int) -> dict[str, Any]:
    """Seed, serve, time; every figure in milliseconds."""
    figures: dict[str, Any] = {"pods": pods, "rounds": rounds}
    with control_plane() as plane:
        async with apiserver_session(plane) as api:
            figures["seed_s"] = await seed_pods(api, NAMESPACE, pods)
            server = Server(plane.admin_kubeconfig)
            server.start()
            try:
                async with kubevision_session(server) as (session, headers):
                    _, clusters = await _timed(session, "/api/v1/clusters", headers)
                    cluster = clusters["data"][0]["id"]
                    figures["sync_s"] = await wait_for_cache(session, headers, cluster, pods)
                    cases = queries(pods)
                    for scope, extra in (("cache", "&kinds=pods"), ("default", "")):
                        samples: list[float] = []
                        per_case: dict[str, list[float]] = {name: [] for name in cases}
                        for _ in range(rounds):
                            for name, q in cases.items():
                                elapsed, body = await _timed(
                                    session, f"/api/v1/clusters/{cluster}/search?q={q}{extra}", headers)
                                samples.append(elapsed)
                                per_case[name].append(elapsed)
                                if name == "exact" and body["data"][0]["name"] != q:
                                    raise RuntimeError(f"exact match not ranked first: {body['data'][:2]}")
                        figures[scope] = {"p50": median(samples), "p95": percentile(samples, 0.95),
                                          "max": max(samples),
                                          "cases": {n: percentile(v, 0.95) for n, v in per_case.items()}}
                    baseline = []
                    for _ in range(BASELINE_RUNS):
                        started = time.perf_counter()
                        async with api.get("/api/v1/pods") as response:
                            listing = await response.json()
                        needle = cases["substring"]
                        _ = [p for p in listing["items"] if needle in p["metadata"]["name"]]
                        baseline.append((time.perf_counter() - started) * 1000)
                    figures["baseline"] = {"p50": median(baseline), "max": max(baseline)}
            finally:
                server.stop()
                await api.delete(f"/api/v1/namespaces/{NAMESPACE}")
    return figures


def section(figures: dict[str, Any]) -> str:
    """The `## Search` section of docs/benchmarks.md."""
    machine = f"{platform.node() or 'host'} ({platform.machine()}, {os.cpu_count()} cores)"
    pods, base = figures["pods"], figures["baseline"]["p50"]
    cache, default = figures["cache"], figures["default"]
    cases = ", ".join(f"{name} {value:.1f}" for name, value in cache["cases"].items())
    return "\n".join([
        "## Search",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine}, `.venv/bin/python -m benchmarks.search "
        f"--pods {pods} --rounds {figures['rounds']}`; seeding took {figures['seed_s']:.1f} s, the pods cache "
        f"synced in {figures['sync_s']:.1f} s. End-to-end HTTP times (auth, envelope, JSON) from a client on "
        "the same machine; each round runs five queries: exact name, name prefix (100 matches), name "
        "substring, label `shard=3` (1,000 matches) and a miss. Results are capped at 10 per kind.",
        "",
        "| measure | KubeVision (p50 / p95) | API server direct | ratio (p95) |",
        "|---|---|---|---|",
        f"| search, `kinds=pods` (memory only), {pods:,} pods | {cache['p50']:.1f} / {cache['p95']:.1f} ms | "
        f"{base:.0f} ms (list all pods + filter, median of {BASELINE_RUNS}) | {base / cache['p95']:.0f}x |",
        f"| search, default kinds (cached kinds from memory + {len(SEARCH_LIVE_KINDS)} live kinds in parallel) | "
        f"{default['p50']:.1f} / {default['p95']:.1f} ms | | {base / default['p95']:.0f}x |",
        "",
        f"p95 per query type, `kinds=pods` (ms): {cases}.",
    ])


def main(argv: list[str] | None = None) -> int:
    """Measure, print the section, write it into docs/benchmarks.md."""
    def configure(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--pods", type=int, default=10000, help="pods to seed")
        parser.add_argument("--rounds", type=int, default=40, help="rounds of the five queries per scope")

    return benchmark_main(__doc__, configure,
                          lambda args: (SECTION, section(asyncio.run(measure(args.pods, args.rounds)))), argv)


if __name__ == "__main__":
    raise SystemExit(main())
