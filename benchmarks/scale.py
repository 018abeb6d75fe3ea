"""Scale benchmark of the live cache: `python -m benchmarks.scale --pods 10000` (and 30000).

Seeds pods into a private real control plane (realistic ~4 KB pods unless `--tiny`), starts KubeVision
against it, and measures: first page (100 rows, view=table, sorted by name) vs listing all pods straight from
the API server (one unpaged consistent list) and vs `kubectl get pods` (its chunked list and table printing,
the kubectl on PATH); the full JSON list through KubeVision vs the API server; cache sync time beside the
API server's full list and its pages alone (what the cache's paged list cannot go below), and memory;
watch latency from a write to a subscribed socket; 50 watch sockets under 100 pod updates per second. Prints a
table and writes its section of docs/benchmarks.md. Timing goals live here, never in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import re
import shutil
import subprocess
import time
from typing import Any

import aiohttp

from benchmarks.common import (
    Server,
    apiserver_session,
    benchmark_main,
    control_plane,
    cpu_seconds,
    kubevision_session,
    median,
    percentile,
    rss_mb,
    seed_pods,
    timed,
)
from kubevision.kube.cache import LIST_PAGE_SIZE

NAMESPACE = "bench"
WATCH_NAMESPACE = "bench-watch"
FIRST_PAGE = "/api/v1/clusters/1/resources/pods?view=table&sort=name&page=1&pageSize=100"
FULL_LIST = "/api/v1/clusters/1/resources/pods?pageSize=all"
LATENCY_SAMPLES = 200
CHURN_SOCKETS = 50
CHURN_RATE_PER_S = 100
CHURN_SECONDS = 10
KUBECTL_RUNS = 3
SYNC_POLL_S = 0.25
CHUNK = LIST_PAGE_SIZE  # kubectl chunks its lists by 500 too
# The list metadata (with the continue token) comes before the items.
CONTINUE_SCAN_BYTES = 2048


def kubectl_get_pods(kubeconfig: str, runs: int) -> list[float] | None:
    """Milliseconds of each `kubectl get pods -n NAMESPACE` (None when no kubectl is on PATH)."""
    binary = shutil.which("kubectl")
    if binary is None:
        return None
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([binary, "--kubeconfig", kubeconfig, "get", "pods", "-n", NAMESPACE], check=True,
                       stdout=subprocess.DEVNULL, timeout=600)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def wait_for_cache(session: aiohttp.ClientSession, headers: dict[str, str], expected: int) -> float:
    """Seconds until the pod list is answered from a synced cache holding `expected` pods."""
    started = time.monotonic()
    while True:
        async with session.get(f"{FIRST_PAGE}&namespace={NAMESPACE}", headers=headers) as response:
            body = await response.json()
        if body["meta"].get("source") == "cache" and body["meta"]["total"] >= expected:
            return time.monotonic() - started
        # While the cache syncs, each poll is answered from an API server page: polling faster would slow the
        # sync it measures.
        await asyncio.sleep(SYNC_POLL_S)


async def chunked_list(api: aiohttp.ClientSession) -> float:
    """Milliseconds to read all pods from the API server in pages of `CHUNK` (kubectl's chunk size and the
    cache's page size), bodies read but not decoded: the floor of any client that lists in pages."""
    started = time.perf_counter()
    token = None
    while True:
        params = {"limit": str(CHUNK), **({"continue": token} if token else {})}
        async with api.get("/api/v1/pods", params=params) as response:
            head = (await response.read())[:CONTINUE_SCAN_BYTES]
        found = re.search(rb'"continue":"([^"]+)"', head)
        if not found:
            return (time.perf_counter() - started) * 1000
        token = found.group(1).decode()


async def open_socket(session: aiohttp.ClientSession, headers: dict[str, str]) -> aiohttp.ClientWebSocketResponse:
    """A watch socket with a fresh ticket."""
    async with session.post("/api/v1/ws/ticket", headers=headers) as response:
        ticket = (await response.json())["data"]["ticket"]
    return await session.ws_connect(f"/api/v1/ws/watch?ticket={ticket}")


async def subscribe(ws: aiohttp.ClientWebSocketResponse, namespace: str) -> None:
    """Subscribe to pods of a namespace (table rows) and wait for the acknowledgement."""
    await ws.send_json({"op": "subscribe", "id": "pods", "cluster": 1, "resource": "pods",
                        "namespace": namespace, "view": "table"})
    while (await ws.receive_json())["type"] != "subscribed":
        pass


async def watch_latency(session: aiohttp.ClientSession, headers: dict[str, str],
                        api: aiohttp.ClientSession) -> list[float]:
    """ms from sending a pod create to the ADDED event arriving at a subscribed socket."""
    await api.post("/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace",
                                               "metadata": {"name": WATCH_NAMESPACE}})
    ws = await open_socket(session, headers)
    await subscribe(ws, WATCH_NAMESPACE)
    sent: dict[str, float] = {}
    latencies: list[float] = []

    async def reader() -> None:
        while len(latencies) < LATENCY_SAMPLES:
            message = await ws.receive_json()
            now = time.perf_counter()
            for event in message.get("events", []):
                if event["type"] == "ADDED" and event["name"] in sent:
                    latencies.append((now - sent.pop(event["name"])) * 1000)

    task = asyncio.create_task(reader())
    for index in range(LATENCY_SAMPLES):
        name = f"lat-{index:04d}"
        sent[name] = time.perf_counter()
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                "spec": {"nodeName": "bench-node", "containers": [{"name": "c", "image": "x"}]}}
        async with api.post(f"/api/v1/namespaces/{WATCH_NAMESPACE}/pods", json=body) as response:
            await response.read()
        await asyncio.sleep(0.01)
    await asyncio.wait_for(task, 30)
    await ws.close()
    return latencies


async def churn(session: aiohttp.ClientSession, headers: dict[str, str], api: aiohttp.ClientSession,
                pid: int) -> dict[str, float]:
    """50 sockets watching the bench namespace while pods are patched at 100 per second."""
    sockets = [await open_socket(session, headers) for _ in range(CHURN_SOCKETS)]
    for ws in sockets:
        await subscribe(ws, NAMESPACE)
    counts = [0] * CHURN_SOCKETS
    resyncs = [0] * CHURN_SOCKETS

    async def reader(index: int, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            data = message.json()
            if data["type"] == "event":
                counts[index] += sum(1 for e in data["events"] if e["type"] == "MODIFIED")
            elif data["type"] == "resync":
                resyncs[index] += 1

    readers = [asyncio.create_task(reader(i, ws)) for i, ws in enumerate(sockets)]
    total_updates = CHURN_RATE_PER_S * CHURN_SECONDS
    cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
    for index in range(total_updates):
        due = wall_before + index / CHURN_RATE_PER_S
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        patch = {"metadata": {"labels": {"churn": str(index)}}}
        asyncio.get_running_loop().create_task(api.patch(
            f"/api/v1/namespaces/{NAMESPACE}/pods/pod-{index:06d}", json=patch,
            headers={"Content-Type": "application/merge-patch+json"}))
    await asyncio.sleep(3)
    elapsed = time.monotonic() - wall_before
    cpu = (cpu_seconds(pid) - cpu_before) / elapsed * 100
    for ws in sockets:
        await ws.close()
    for task in readers:
        task.cancel()
    return {"updates": total_updates, "delivered_min": min(counts), "delivered_total": sum(counts),
            "expected_total": total_updates * CHURN_SOCKETS, "resyncs": sum(resyncs), "cpu_percent": cpu}


async def run(pods: int, *, realistic: bool) -> dict[str, Any]:
    """The whole benchmark for one pod count."""
    results: dict[str, Any] = {"pods": pods, "realistic": realistic}
    with control_plane() as plane:
        async with apiserver_session(plane) as api:
            results["seed_s"] = await seed_pods(api, NAMESPACE, pods, realistic=realistic)
            direct = await timed(api, "/api/v1/pods", 5)
            results["direct_list_ms"] = (median(direct), percentile(direct, 0.95))
            results["chunked_list_ms"] = median([await chunked_list(api) for _ in range(3)])
            async with api.get("/api/v1/pods") as response:
                results["pod_bytes"] = len(await response.read()) / pods
            kubectl = await asyncio.to_thread(kubectl_get_pods, plane.admin_kubeconfig, KUBECTL_RUNS)
            results["kubectl_ms"] = median(kubectl) if kubectl else None
            server = Server(plane.admin_kubeconfig)
            server.start()
            try:
                async with kubevision_session(server) as (session, headers):
                    results["rss_idle_mb"] = rss_mb(server.pid)
                    results["sync_s"] = await wait_for_cache(session, headers, pods)
                    await asyncio.sleep(1)
                    results["rss_cached_mb"] = rss_mb(server.pid)
                    first = await timed(session, FIRST_PAGE, 100, headers=headers)
                    results["first_page_ms"] = (median(first), percentile(first, 0.95))
                    full = await timed(session, FULL_LIST, 5, headers=headers)
                    results["full_list_ms"] = (median(full), percentile(full, 0.95))
                    latencies = await watch_latency(session, headers, api)
                    results["watch_ms"] = (percentile(latencies, 0.5), percentile(latencies, 0.99))
                    results["churn"] = await churn(session, headers, api, server.pid)
            finally:
                server.stop()
    return results


def report(r: dict[str, Any]) -> str:
    """Markdown for one run."""
    direct_median = r["direct_list_ms"][0]
    per_10k = (r["rss_cached_mb"] - r["rss_idle_mb"]) / r["pods"] * 10_000
    c = r["churn"]
    return "\n".join([
        f"## Live cache at {r['pods']:,} {'realistic' if r['realistic'] else 'tiny'} pods",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.node()} ({platform.machine()}, 2 cores), "
        f"`python -m benchmarks.scale --pods {r['pods']}{'' if r['realistic'] else ' --tiny'}`; "
        f"{'realistic' if r['realistic'] else 'tiny'} pods of {r['pod_bytes'] / 1024:.1f} KB as the API server "
        f"lists them; seeding took {r['seed_s']:.1f} s.",
        "",
        "| measure | KubeVision | API server direct | ratio | target |",
        "|---|---|---|---|---|",
        f"| first page, 100 rows, table, sorted (median / p95) | {r['first_page_ms'][0]:.1f} / "
        f"{r['first_page_ms'][1]:.1f} ms | {direct_median:.0f} / {r['direct_list_ms'][1]:.0f} ms (full list) | "
        f"{direct_median / r['first_page_ms'][0]:.0f}x | ≤ 10 ms, ≥ 100x |",
        f"| `kubectl get pods -n {NAMESPACE}` (chunked list and table, median of {KUBECTL_RUNS}) | "
        f"{r['first_page_ms'][0]:.1f} ms (first page) | "
        + (f"{r['kubectl_ms']:.0f} ms (kubectl) | {r['kubectl_ms'] / r['first_page_ms'][0]:.0f}x |  |"
           if r["kubectl_ms"] else "no kubectl on PATH | | |"),
        f"| full JSON list of all pods (median) | {r['full_list_ms'][0]:.0f} ms | {direct_median:.0f} ms | "
        f"{direct_median / r['full_list_ms'][0]:.1f}x | ≥ 5x |",
        f"| cache sync from empty (pages of {CHUNK}) | {r['sync_s']:.1f} s | {direct_median / 1000:.1f} s "
        f"(full list); {r['chunked_list_ms'] / 1000:.1f} s in pages of {CHUNK}, bodies only | "
        f"{r['sync_s'] * 1000 / direct_median:.1f}x the full list | ≤ 2x |",
        f"| server RSS idle → with cache | {r['rss_idle_mb']:.0f} → {r['rss_cached_mb']:.0f} MB "
        f"({per_10k:.0f} MB per 10k pods) | | | ≤ 150 MB per 10k |",
        f"| watch latency write → socket (p50 / p99) | {r['watch_ms'][0]:.0f} / {r['watch_ms'][1]:.0f} ms | | | "
        f"p99 ≤ 250 ms |",
        f"| {CHURN_SOCKETS} sockets, {CHURN_RATE_PER_S} updates/s for {CHURN_SECONDS} s | "
        f"{c['delivered_total']:,} of {c['expected_total']:,} events delivered (min per socket "
        f"{c['delivered_min']}), {c['resyncs']} resyncs, server CPU {c['cpu_percent']:.0f}% | | | 0 resyncs |",
    ])


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run, print, write docs."""
    def configure(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--pods", type=int, default=10_000)
        parser.add_argument("--tiny", action="store_true", help="one-container pods without status (as before)")

    def measure(args: argparse.Namespace) -> tuple[str, str]:
        section = f"scale-{args.pods}" + ("-tiny" if args.tiny else "")
        return section, report(asyncio.run(run(args.pods, realistic=not args.tiny)))

    return benchmark_main(__doc__, configure, measure, argv)


if __name__ == "__main__":
    raise SystemExit(main())
