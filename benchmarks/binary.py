"""Measure the one-file executable: size, start-up time to `/healthz`, idle memory.

Why: the binary's targets (≤ 60 MB, ≤ 2 s to healthy, ≤ 120 MB RSS idle) are promises in
docs/benchmarks.md; this script is how those figures were produced, so anyone can re-check them:

    .venv/bin/python -m benchmarks.binary [--runs 5] [--binary dist/kubevision] [--no-build] [--no-write]

It prints a table and (unless --no-write) replaces the `executable` section of docs/benchmarks.md.

The binary is started exactly like the smoke test starts it (tests/binary/launcher.py): empty
environment, no Python on PATH, `--no-browser`, a free port. "Cold" is a fresh data dir (first run:
schema, secrets, admin user); "warm" is a second start on that data dir. The OS page cache is warm in
both, and a one-file binary unpacks itself into a new temporary directory on every start.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.binary.launcher import BINARY, build_binary, clean_env, cpu_seconds, launch, rss_bytes

ADMIN_PASSWORD = "benchmark-password-1"
IDLE_SETTLE_S = 3.0
MIB = 1024 * 1024
TARGETS = {"size": 60.0, "start": 2.0, "rss": 120.0}


def _start_once(binary: Path, data_dir: Path, log_path: Path) -> tuple[float, float, int, int]:
    """Start, wait for `/healthz`, let it idle, read RSS, stop.

    Returns (wall seconds, CPU seconds of both processes until healthy, app RSS, total RSS).
    """
    with launch(data_dir, log_path=log_path, admin_password=ADMIN_PASSWORD, binary=binary) as running:
        seconds = running.wait_healthy()
        cpu = sum(cpu_seconds(pid) for pid in running.app_pids())
        time.sleep(IDLE_SETTLE_S)
        pids = running.app_pids()
        sizes = [rss_bytes(pid) for pid in pids]
        code = running.stop(signal.SIGTERM)
        if code != 0:
            raise RuntimeError(f"exit code {code} after SIGTERM:\n{running.output}")
    return seconds, cpu, sizes[-1], sum(sizes)


def _version_seconds(binary: Path) -> float:
    """`kubevision --version`: unpacking plus the CLI's imports, the floor of every start."""
    started = time.monotonic()
    subprocess.run([str(binary), "--version"], env=clean_env(), capture_output=True, check=True)
    return time.monotonic() - started


def measure(binary: Path, runs: int) -> dict[str, float]:
    """Every figure of the table, in seconds and MiB."""
    version = [_version_seconds(binary) for _ in range(runs)]
    load = os.getloadavg()[0]
    cold: list[float] = []
    warm: list[float] = []
    cold_cpu: list[float] = []
    app_rss: list[int] = []
    total_rss: list[int] = []
    with tempfile.TemporaryDirectory(prefix="kv-bench-") as scratch:
        for run in range(runs):
            data_dir = Path(scratch) / f"data-{run}"
            seconds, cpu, _app, _total = _start_once(binary, data_dir, Path(scratch) / f"cold-{run}.log")
            cold.append(seconds)
            cold_cpu.append(cpu)
            seconds, _cpu, app, total = _start_once(binary, data_dir, Path(scratch) / f"warm-{run}.log")
            warm.append(seconds)
            app_rss.append(app)
            total_rss.append(total)
    return {
        "size": binary.stat().st_size / MIB,
        "version": statistics.median(version),
        "cold_cpu": statistics.median(cold_cpu),
        "load_before": load, "load_after": os.getloadavg()[0],
        "cold": statistics.median(cold), "cold_min": min(cold), "cold_max": max(cold),
        "warm": statistics.median(warm), "warm_min": min(warm), "warm_max": max(warm),
        "rss": statistics.median(app_rss) / MIB, "rss_total": statistics.median(total_rss) / MIB,
    }


def table(figures: dict[str, float], runs: int) -> str:
    """The Markdown table pasted into docs/benchmarks.md."""
    def verdict(value: float, target: float) -> str:
        return "ok" if value <= target else "OVER"

    return "\n".join([
        "| measure | value | target | |",
        "|---|---|---|---|",
        f"| binary size | {figures['size']:.1f} MiB | ≤ {TARGETS['size']:.0f} MB | "
        f"{verdict(figures['size'], TARGETS['size'])} |",
        f"| cold start to `/healthz` (fresh data dir, median of {runs}) | {figures['cold']:.2f} s "
        f"({figures['cold_min']:.2f} to {figures['cold_max']:.2f}) | ≤ {TARGETS['start']:.0f} s | "
        f"{verdict(figures['cold'], TARGETS['start'])} |",
        f"| warm second start to `/healthz` (median of {runs}) | {figures['warm']:.2f} s "
        f"({figures['warm_min']:.2f} to {figures['warm_max']:.2f}) | ≤ {TARGETS['start']:.0f} s | "
        f"{verdict(figures['warm'], TARGETS['start'])} |",
        f"| CPU time (user + sys) of a cold start until healthy, median | {figures['cold_cpu']:.2f} s | | |",
        f"| `kubevision --version` (unpack + imports, median of {runs}) | {figures['version']:.2f} s | | |",
        f"| RSS idle {IDLE_SETTLE_S:.0f} s after start, app process | {figures['rss']:.0f} MiB | "
        f"≤ {TARGETS['rss']:.0f} MB | {verdict(figures['rss'], TARGETS['rss'])} |",
        f"| RSS idle, app + one-file bootloader process | {figures['rss_total']:.0f} MiB | | |",
    ])


def section(figures: dict[str, float], runs: int, binary: Path, build_seconds: float | None) -> str:
    """The `## Executable` section of docs/benchmarks.md."""
    machine = f"{platform.node() or 'host'} ({platform.machine()}, {os.cpu_count()} cores, {platform.system()})"
    built = f"; `build.py dist` took {build_seconds:.0f} s" if build_seconds and build_seconds > 5 else ""
    return "\n".join([
        "## Executable",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine}, `.venv/bin/python -m benchmarks.binary "
        f"--runs {runs}`{built}; 1-minute load average {figures['load_before']:.1f} before, "
        f"{figures['load_after']:.1f} after. The one-file `{binary.name}` is started like the smoke test starts it: "
        "empty environment, no Python on PATH, `--no-browser`, a free port; start time is from `exec` "
        "to the first 200 from `/healthz` (polled every 10 ms). Cold = fresh data dir (schema, secrets, "
        "bcrypt-hashed admin password); warm = second start on that data dir. The OS page cache is warm "
        "in both; the binary unpacks itself into a new temporary directory on every start.",
        "",
        table(figures, runs),
        "",
        "Notes: the binary is built with `-OO` (docstrings dropped): the Kubernetes client's generated "
        "modules, loaded on the first cluster connection, cost about 18 MiB less memory that way. "
        "A one-file binary runs as two processes (bootloader + app); the bootloader's own RSS is ~2 MiB.",
    ])


def main(argv: list[str] | None = None) -> int:
    """Build (unless told not to), measure, print the table, write the docs section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="starts per measure (median reported)")
    parser.add_argument("--binary", type=Path, default=BINARY, help="executable to measure")
    parser.add_argument("--no-build", action="store_true", help="do not run `build.py dist` first")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args(argv)
    build_seconds = None
    if not args.no_build and args.binary == BINARY:
        started = time.monotonic()
        build_binary()
        build_seconds = time.monotonic() - started
    figures = measure(args.binary, args.runs)
    markdown = section(figures, args.runs, args.binary, build_seconds)
    print(markdown)
    if not args.no_write:
        from benchmarks.common import write_section  # brings aiohttp; not needed to measure

        write_section("executable", markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
