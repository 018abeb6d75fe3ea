"""Measure `/healthz` latency while the biggest accepted apply is parsed (the goal: ≤ 100 ms at p95 and max).

Why: a YAML apply used to be parsed on the event loop, so one 1.9 MB apply stalled every request and socket
for seconds. Manifests are now parsed in a worker thread within the limits of `kubevision/kube/manifests.py`;
this script is how the figure in docs/benchmarks.md was produced:

    .venv/bin/python -m benchmarks.apply [--rounds 5] [--no-write]

It starts a private control plane and `python -m kubevision serve`, then for each case sends a dry-run apply
as admin while a second connection asks `/healthz` back to back (a 10 ms pause between requests) until the
apply has answered. Cases: one document just under the node limit (a ConfigMap with ~125,000 short keys,
1.6 MB: about the most nodes the 2 MiB body limit lets through), and the document limit filled with ordinary
ConfigMaps. The documents carry `generateName` instead of a name, so each is parsed, constructed and checked
in full and then answered 42200 on its own without a request to Kubernetes: the apply's time is KubeVision's
parse (what used to hold the event loop), not the API server's processing. Idle `/healthz` is the baseline.
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

from benchmarks.common import Server, benchmark_main, control_plane, kubevision_session, median, percentile
from kubevision.api.params import MAX_BODY_BYTES
from kubevision.kube.manifests import MAX_DOCUMENTS, MAX_NODES

SECTION = "apply"
HEALTH_PAUSE_S = 0.01
IDLE_SAMPLES = 200
GOAL_MS = 100.0


def one_big_document() -> str:
    """One ConfigMap whose data keys bring it just under the node limit (each key and value is a node)."""
    keys = (MAX_NODES - 20) // 2
    return ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: bench-big-\n  namespace: default\n"
            "data:\n"
            + "".join(f"  k{index:06d}: v\n" for index in range(keys)))


def many_documents() -> str:
    """The document limit filled with ConfigMaps of 20 keys each."""
    data = "".join(f"  key-{index:02d}: value of key {index:02d}\n" for index in range(20))
    return "".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: bench-{index:03d}-\n"
                   f"  namespace: default\ndata:\n{data}" for index in range(MAX_DOCUMENTS))


async def _health_ms(session: aiohttp.ClientSession) -> float:
    started = time.perf_counter()
    async with session.get("/healthz") as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"/healthz answered {response.status}")
    return (time.perf_counter() - started) * 1000


async def during_apply(server: Server, session: aiohttp.ClientSession, headers: dict[str, str], cluster: int,
                       text: str) -> tuple[list[float], float]:
    """/healthz latencies (ms) while one dry-run apply runs, and the apply's own duration (s)."""
    samples: list[float] = []
    async with aiohttp.ClientSession(server.url) as probe:
        started = time.perf_counter()
        apply = asyncio.create_task(session.post(f"/api/v1/clusters/{cluster}/apply", headers=headers,
                                                 json={"yaml": text, "dryRun": True}))
        while not apply.done():
            samples.append(await _health_ms(probe))
            await asyncio.sleep(HEALTH_PAUSE_S)
        response = await apply
        body = await response.json()
        elapsed = time.perf_counter() - started
    if body["code"] != 0 or any("needs metadata.name" not in result["message"] for result in body["data"]):
        raise RuntimeError(f"apply not parsed in full: {body['code']} {body['message']} {str(body['data'])[:200]}")
    return samples, elapsed


async def measure(rounds: int) -> dict[str, Any]:
    """Serve, probe; latencies in milliseconds."""
    cases = {"one document, just under the node limit": one_big_document(),
             f"{MAX_DOCUMENTS} documents (the document limit)": many_documents()}
    figures: dict[str, Any] = {"rounds": rounds, "cases": {}}
    with control_plane() as plane:
        server = Server(plane.admin_kubeconfig)
        server.start()
        try:
            async with kubevision_session(server) as (session, headers):
                async with session.get("/api/v1/clusters", headers=headers) as response:
                    cluster = (await response.json())["data"][0]["id"]
                async with aiohttp.ClientSession(server.url) as probe:
                    idle = [await _health_ms(probe) for _ in range(IDLE_SAMPLES)]
                figures["idle"] = {"p50": median(idle), "p95": percentile(idle, 0.95), "max": max(idle)}
                for name, text in cases.items():
                    body_bytes = len(text.encode()) + text.count("\n")  # each newline is escaped as \n in JSON
                    if body_bytes > MAX_BODY_BYTES:
                        raise RuntimeError(f"{name}: {body_bytes} bytes exceed the body limit")
                    samples: list[float] = []
                    durations = []
                    for _ in range(rounds):
                        latencies, elapsed = await during_apply(server, session, headers, cluster, text)
                        samples += latencies
                        durations.append(elapsed)
                    figures["cases"][name] = {
                        "yaml_mb": len(text.encode()) / 1e6, "samples": len(samples), "apply_s": median(durations),
                        "p50": median(samples), "p95": percentile(samples, 0.95), "max": max(samples)}
        finally:
            server.stop()
    figures["load"] = os.getloadavg()[0]  # other work on the machine competes for the same cores
    return figures


def section(figures: dict[str, Any]) -> str:
    """The `## Apply` section of docs/benchmarks.md."""
    machine = f"{platform.node() or 'host'} ({platform.machine()}, {os.cpu_count()} cores)"
    idle = figures["idle"]
    rows = [f"| {name} ({case['yaml_mb']:.2f} MB YAML) | {case['apply_s']:.2f} s | {case['samples']} | "
            f"{case['p50']:.1f} / {case['p95']:.1f} / {case['max']:.1f} ms |"
            for name, case in figures["cases"].items()]
    worst = max(case["max"] for case in figures["cases"].values())
    return "\n".join([
        "## Apply",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine}, `.venv/bin/python -m benchmarks.apply --rounds "
        f"{figures['rounds']}`. A dry-run apply as admin while a second connection asks `/healthz` back to back; "
        f"limits {MAX_DOCUMENTS} documents, {MAX_NODES:,} nodes (see docs/security.md). Idle `/healthz`: "
        f"{idle['p50']:.1f} / {idle['p95']:.1f} / {idle['max']:.1f} ms (p50 / p95 / max). Load average at the "
        f"end: {figures['load']:.1f}.",
        "",
        "| apply (dry run, parsed in full) | apply takes (median) | `/healthz` samples | `/healthz` p50 / p95 / max |",
        "|---|---|---|---|",
        *rows,
        "",
        f"Goal: `/healthz` ≤ {GOAL_MS:.0f} ms throughout — {'met' if worst <= GOAL_MS else 'NOT met'} "
        f"(worst {worst:.1f} ms).",
    ])


def main(argv: list[str] | None = None) -> int:
    """Measure, print the section, write it into docs/benchmarks.md."""
    def configure(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--rounds", type=int, default=5, help="applies per case")

    return benchmark_main(__doc__, configure,
                          lambda args: (SECTION, section(asyncio.run(measure(args.rounds)))), argv)


if __name__ == "__main__":
    raise SystemExit(main())
