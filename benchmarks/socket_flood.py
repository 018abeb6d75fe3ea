"""Measure server memory while WebSocket clients flood `/ws/watch` with 14 MB each and never read.

Why: a client that sends and never reads used to grow the server without bound (queued pongs and error
frames: 14 MB sent raised RSS from 301 to 662 MiB, issue 13). Every socket now has a bounded send queue and a
message rate limit, so such a client is closed with 1008 and its memory freed; this script is how the figures
in docs/benchmarks.md were produced:

    .venv/bin/python -m benchmarks.socket_flood [--megabytes 14] [--no-write]

It runs `python -m kubevision serve` as a subprocess (with an empty kubeconfig: the watch socket answers pings
and bad messages without a cluster), signs in, and for each flood opens a watch socket, sends messages
without reading until `--megabytes` are sent or the server drops the connection, then reads what arrived.
Figures per flood: what was sent before the server stopped it, the close code, the replies the client got,
and the server's RSS before, at its peak during the flood (sampled every 50 ms) and 2 s after.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.common import Server, benchmark_main, kubevision_session, rss_mb

SECTION = "socket-flood"
RSS_SAMPLE_INTERVAL_S = 0.05
SETTLE_S = 2.0
READ_TIMEOUT_S = 15.0
EMPTY_KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"
PING_PAYLOAD = b"p" * 125  # the largest control frame payload


async def _sample_peak(pid: int, stop: asyncio.Event) -> float:
    peak = rss_mb(pid)
    while not stop.is_set():
        peak = max(peak, rss_mb(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RSS_SAMPLE_INTERVAL_S)
    return max(peak, rss_mb(pid))


async def _flood(ws: aiohttp.ClientWebSocketResponse, kind: str, budget: int) -> int:
    """Send until `budget` bytes are out or the connection breaks; returns the bytes sent."""
    sent = 0
    message = {"pings": '{"op": "ping"}', "invalid": "not json"}.get(kind, "")
    try:
        while sent < budget and not ws.closed:
            if kind == "protocol-pings":
                await ws.ping(PING_PAYLOAD)
                sent += len(PING_PAYLOAD)
            else:
                await ws.send_str(message)
                sent += len(message)
    except (ConnectionError, aiohttp.ClientError):
        pass
    return sent


async def _read_rest(ws: aiohttp.ClientWebSocketResponse) -> tuple[int, int | None]:
    """Replies received, and the close code (None when the connection was dropped without one)."""
    replies = 0
    with contextlib.suppress(TimeoutError, ConnectionError, aiohttp.ClientError):
        async with asyncio.timeout(READ_TIMEOUT_S):
            while True:
                message = await ws.receive()
                if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    break
                replies += 1
    return replies, ws.close_code


async def measure(megabytes: float) -> dict[str, Any]:
    """One flood per kind, each on a fresh socket; RSS in MiB."""
    budget = int(megabytes * 1024 * 1024)
    with tempfile.TemporaryDirectory(prefix="kv-flood-") as scratch:
        kubeconfig = Path(scratch) / "kubeconfig"
        kubeconfig.write_text(EMPTY_KUBECONFIG)
        server = Server(str(kubeconfig))
        server.start()
        try:
            floods = []
            async with kubevision_session(server) as (session, headers):
                for kind in ("pings", "invalid", "protocol-pings"):
                    async with session.post("/api/v1/ws/ticket", headers=headers) as response:
                        ticket = (await response.json())["data"]["ticket"]
                    before = rss_mb(server.pid)
                    stop = asyncio.Event()
                    sampler = asyncio.create_task(_sample_peak(server.pid, stop))
                    started = time.monotonic()
                    ws = await session.ws_connect(f"/api/v1/ws/watch?ticket={ticket}", autoping=False)
                    sent = await _flood(ws, kind, budget)
                    replies, close_code = await _read_rest(ws)
                    elapsed = time.monotonic() - started
                    await ws.close()
                    await asyncio.sleep(SETTLE_S)
                    stop.set()
                    floods.append({"kind": kind, "sent_mb": sent / 1024 / 1024, "close_code": close_code,
                                   "replies": replies, "seconds": elapsed, "rss_before": before,
                                   "rss_peak": await sampler, "rss_after": rss_mb(server.pid)})
        finally:
            server.stop()
    return {"megabytes": megabytes, "floods": floods}


def report(figures: dict[str, Any]) -> str:
    """The docs/benchmarks.md section."""
    lines = [
        "## WebSocket floods from a client that never reads",
        "",
        f"Measured {dt.date.today().isoformat()} on {platform.machine()} / Python {platform.python_version()} "
        f"with `python -m benchmarks.socket_flood --megabytes {figures['megabytes']:g}`. Each flood is one watch "
        "socket sending without reading; the server closes it with 1008 once the client breaks the socket's "
        "message rate or fills its send queue (see docs/security.md for the limits). A client still sending "
        "when the 5 s close grace ends never read the close frame: its connection is aborted, which it sees "
        "as 1006.",
        "",
        "| flood | sent before the server stopped it | close code | replies received | RSS before | "
        "RSS peak | RSS 2 s after |",
        "|---|---|---|---|---|---|---|",
    ]
    for flood in figures["floods"]:
        lines.append(f"| {flood['kind']} | {flood['sent_mb']:.2f} MB in {flood['seconds']:.1f} s | "
                     f"{flood['close_code']} | {flood['replies']} | {flood['rss_before']:.0f} MiB | "
                     f"{flood['rss_peak']:.0f} MiB | {flood['rss_after']:.0f} MiB |")
    return "\n".join(lines) + "\n"


def configure(parser: argparse.ArgumentParser) -> None:
    """Options."""
    parser.add_argument("--megabytes", type=float, default=14.0, help="bytes each flood tries to send (MB)")


def run(args: argparse.Namespace) -> tuple[str, str]:
    """Measure and report."""
    return SECTION, report(asyncio.run(measure(args.megabytes)))


if __name__ == "__main__":
    raise SystemExit(benchmark_main(__doc__, configure, run))
