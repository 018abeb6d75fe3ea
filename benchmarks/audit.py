"""Measure what writing audit rows ahead costs a change: `AuditLog.begin()` + `finish()` on SQLite and concurrency.

Why: every change to a Kubernetes object now waits for two commits (its intent row before it is sent, its
outcome after) — this is the latency it adds, and how group commits keep it flat when many changes run at once:

    .venv/bin/python -m benchmarks.audit [--changes 2000] [--no-write]

For each concurrency level, that many tasks run changes back to back (begin, a 1 ms stand-in for the
Kubernetes round trip, finish) on a fresh SQLite database in a temporary directory (`synchronous=FULL`,
as the server runs it); the table gives the audit overhead per change (time in begin + finish) and the
number of commits the writer made.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import tempfile
import time
from pathlib import Path

from benchmarks.common import benchmark_main, median, percentile
from kubevision.config import async_database_url
from kubevision.services.audit import AuditLog
from kubevision.store import Store

SECTION = "audit"
CONCURRENCY_LEVELS = (1, 10, 50)
# A stand-in for the Kubernetes request between the two commits.
KUBERNETES_ROUND_TRIP_S = 0.001


async def measure(concurrency: int, changes: int) -> tuple[list[float], int]:
    """Audit overhead of each change (seconds) and the commits made, at one concurrency level."""
    with tempfile.TemporaryDirectory(prefix="kubevision-bench-audit-") as directory:
        store = Store(async_database_url(f"sqlite:///{Path(directory) / 'audit.db'}"))
        await store.start()
        audit = AuditLog(store)
        commits = 0
        commit_some = audit._commit_some

        async def counted_commit() -> None:
            nonlocal commits
            commits += 1
            await commit_some()

        audit._commit_some = counted_commit  # type: ignore[method-assign]
        audit.start()
        overheads: list[float] = []

        async def worker(count: int) -> None:
            for index in range(count):
                started = time.perf_counter()
                entry = await audit.begin("resource.patch", username="bench", name=f"cm-{index}")
                begun = time.perf_counter()
                await asyncio.sleep(KUBERNETES_ROUND_TRIP_S)
                resumed = time.perf_counter()
                await audit.finish(entry, 0)
                overheads.append((begun - started) + (time.perf_counter() - resumed))

        try:
            await asyncio.gather(*(worker(changes // concurrency) for _ in range(concurrency)))
        finally:
            await audit.aclose()
            await store.aclose()
        return overheads, commits


def run(args: argparse.Namespace) -> tuple[str, str]:
    """Measure each concurrency level; the markdown section."""
    lines = [
        "## Audit rows written ahead",
        "",
        f"`python -m benchmarks.audit --changes {args.changes}` on {platform.machine()}, Python "
        f"{platform.python_version()}, SQLite (WAL, synchronous=FULL) on the temporary directory's disk. "
        "Overhead = time a change spends waiting for its intent row and its outcome to be committed.",
        "",
        "| concurrent changes | changes | median overhead | p95 overhead | commits |",
        "|---:|---:|---:|---:|---:|",
    ]
    for concurrency in CONCURRENCY_LEVELS:
        overheads, commits = asyncio.run(measure(concurrency, args.changes))
        lines.append(f"| {concurrency} | {len(overheads)} | {median(overheads) * 1000:.1f} ms | "
                     f"{percentile(overheads, 0.95) * 1000:.1f} ms | {commits} |")
    return SECTION, "\n".join(lines) + "\n"


def configure(parser: argparse.ArgumentParser) -> None:
    """The benchmark's options."""
    parser.add_argument("--changes", type=int, default=2000, help="changes per concurrency level")


if __name__ == "__main__":
    raise SystemExit(benchmark_main(__doc__ or "", configure, run))
