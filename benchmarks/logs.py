"""Measure the logs viewer in Chromium with 100,000 lines: load time, scrolling frame times, filter time, memory.

Why: SPEC promises a logs viewer that stays smooth at 100,000 lines (virtualized), which is where other
dashboards slow to a crawl; this script is how the figures in docs/benchmarks.md were produced:

    .venv/bin/python -m benchmarks.logs [--lines 100000] [--no-write]

It starts a private control plane and the kubelet stand-in (whose pods serve deterministic log lines;
the pod annotation `kubevision.test/log-lines` sets how many), runs `python -m kubevision serve` as a
subprocess, signs in with headless Chromium (Debian's, as the browser tests do) and opens the pod's
logs with "Everything". Figures, all taken in the page:

- load: from choosing "Everything" until the status line counts every line (WebSocket + rendering);
- scroll: 300 animation frames, each moving the view by a screen (so every frame renders new lines);
  the frame interval p50/p95/max and how many line elements were in the DOM at most;
- filter: from typing a regular expression until the match count is shown (the filter runs over all
  lines in the tab);
- JS heap in use after loading (Chromium's `performance.memory`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
from typing import Any

from playwright.sync_api import Page, sync_playwright

from benchmarks.common import ADMIN_PASSWORD, Server, benchmark_main, control_plane, median, percentile
from tests.envtest.controlplane import api_request
from tests.envtest.kubelet import LOG_LINES_ANNOTATION, KubeletStandIn, KubeletThread

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu"]
NAMESPACE = "bench-logs"
POD = "chatty"
NODE = "bench-logs-node"
SCROLL_FRAMES = 300
TIMEOUT_MS = 120_000
RUNNING_TIMEOUT_S = 60
SECTION = "logs"

# Runs in the page: scroll one screen per animation frame and record frame intervals and DOM size.
SCROLL_SCRIPT = """async (frames) => {
  const view = document.querySelector('[aria-label="Log lines"]');
  view.scrollTop = 0;
  await new Promise((r) => requestAnimationFrame(r));
  const intervals = [];
  let maxLines = 0;
  let last = performance.now();
  for (let i = 0; i < frames; i++) {
    view.scrollTop += view.clientHeight;
    await new Promise((r) => requestAnimationFrame(r));
    const now = performance.now();
    intervals.push(now - last);
    last = now;
    maxLines = Math.max(maxLines, view.querySelectorAll('.log-line').length);
  }
  return { intervals, maxLines, scrolledTo: view.scrollTop, height: view.scrollHeight };
}"""


def _create_pod(plane: Any, lines: int) -> None:
    """The namespace and a pod on the stand-in's node that serves `lines` historic lines."""
    for path, body in (
        ("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}),
        (f"/api/v1/namespaces/{NAMESPACE}/pods", {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": POD, "annotations": {LOG_LINES_ANNOTATION: str(lines)}},
            "spec": {"nodeName": NODE, "containers": [{"name": "main", "image": "registry.local/app:1.0"}]}}),
    ):
        status, answer = api_request(plane.server_url, plane.admin_token, "POST", path, body)
        if status >= 300:
            raise RuntimeError(f"{path}: {status} {answer}")
    deadline = time.monotonic() + RUNNING_TIMEOUT_S
    while time.monotonic() < deadline:
        _, pod = api_request(plane.server_url, plane.admin_token, "GET", f"/api/v1/namespaces/{NAMESPACE}/pods/{POD}")
        if (pod.get("status") or {}).get("phase") == "Running":
            return
        time.sleep(0.3)
    raise RuntimeError("the pod did not start")


def _open_logs(page: Page, server: Server) -> None:
    """Sign in and open the pod's logs tab (following the default tail)."""
    page.goto(f"{server.url}/login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator(".topbar").wait_for()
    page.goto(f"{server.url}/c/1/ns/{NAMESPACE}/pods/{POD}?tab=logs")
    page.locator(".log-line").first.wait_for(timeout=TIMEOUT_MS)


def _timed_until(page: Page, action: Any, selector: str, text: str) -> float:
    """Seconds from `action()` until the element `selector` contains `text`."""
    started = time.perf_counter()
    action()
    page.locator(selector, has_text=text).wait_for(timeout=TIMEOUT_MS)
    return time.perf_counter() - started


def measure(lines: int) -> dict[str, Any]:
    """Serve, load, scroll, filter; times in ms unless named _s."""
    figures: dict[str, Any] = {"lines": lines}
    with control_plane() as plane:
        runner = KubeletThread(KubeletStandIn(plane.server_url, plane.admin_token, node_name=NODE))
        runner.start()
        server = Server(plane.admin_kubeconfig)
        try:
            _create_pod(plane, lines)
            server.start()
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                _open_logs(page, server)
                page.get_by_role("button", name="Follow").click()
                figures["load_s"] = _timed_until(
                    page, lambda: page.get_by_role("combobox", name="Lines to load").select_option("all"),
                    ".log-status", f"{lines:,} lines")
                figures["heap_mb"] = page.evaluate("performance.memory.usedJSHeapSize") / 2**20
                scroll = page.evaluate(SCROLL_SCRIPT, SCROLL_FRAMES)
                intervals = scroll["intervals"]
                figures["scroll"] = {"p50": median(intervals), "p95": percentile(intervals, 0.95),
                                     "max": max(intervals), "dom_lines": scroll["maxLines"],
                                     "distance_lines": round(scroll["scrolledTo"] / 20)}
                # Ten lines match: `line N0 from` ... `line N9 from` for N = a tenth of the middle line number.
                pattern = rf"^line {lines // 20}\d from"
                figures["filter_ms"] = 1000 * _timed_until(
                    page, lambda: page.get_by_label("Filter lines (regular expression)").fill(pattern),
                    ".log-match-count", "10 matches")
                browser.close()
        finally:
            server.stop()
            runner.stop()
    return figures


def section(figures: dict[str, Any]) -> str:
    """The `## Logs viewer` section of docs/benchmarks.md."""
    machine = f"{platform.node() or 'host'} ({platform.machine()}, {os.cpu_count()} cores)"
    scroll = figures["scroll"]
    fps = 1000 / scroll["p50"]
    return "\n".join([
        "## Logs viewer",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine}, `.venv/bin/python -m benchmarks.logs --lines "
        f"{figures['lines']}`: headless Chromium (software rendering, no GPU) against the real control plane "
        "and the kubelet stand-in, one pod with that many lines, \"Everything\" loaded over the logs WebSocket.",
        "",
        "| measure | result |",
        "|---|---|",
        f"| load {figures['lines']:,} lines (WebSocket through the API server + render) | {figures['load_s']:.2f} s |",
        f"| scroll one screen per frame, {SCROLL_FRAMES} frames: frame interval p50 / p95 / max | "
        f"{scroll['p50']:.1f} / {scroll['p95']:.1f} / {scroll['max']:.1f} ms (~{fps:.0f} fps) |",
        f"| line elements in the DOM while scrolling (at most) | {scroll['dom_lines']} |",
        f"| regex filter over all lines until the match count shows | {figures['filter_ms']:.0f} ms |",
        f"| JS heap in use with the lines loaded | {figures['heap_mb']:.0f} MB |",
        "",
        "The view renders only the lines in and around the viewport, so frame times do not grow with the "
        "number of lines; the tab holds up to 200,000 lines before dropping the oldest.",
    ])


def main(argv: list[str] | None = None) -> int:
    """Measure, print the section, write it into docs/benchmarks.md."""
    def configure(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--lines", type=int, default=100_000, help="log lines the pod serves")

    return benchmark_main(__doc__, configure, lambda args: (SECTION, section(measure(args.lines))), argv)


if __name__ == "__main__":
    raise SystemExit(main())
