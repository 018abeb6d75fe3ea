"""Browser benchmark of the resource tables: `python -m benchmarks.browser --pods 100000`.

Seeds realistic pods (benchmarks.common `realistic_pod`, about 4 KB each with their status) into one namespace of
a private real control plane, starts KubeVision against it (its pod cache synced before measuring), and drives
Chromium (Playwright, headless) through the pod list of that namespace and of all namespaces: time from navigation
(a full page load) to the first rows, and to all rows when the list is held whole; sort (a column header clicked,
until the right first row shows) and filter (typed, until the server's count and first row show) times; frame times
of a programmatic scroll (requestAnimationFrame intervals); the JS heap (CDP `Performance.getMetrics` after a
forced GC); and frame times while the API server changes 100 pods a second behind the page. Lists longer than the
server's `table_window_rows` (10,000 unless `--window-rows`) are windowed. Writes its section of
docs/benchmarks.md. Timing goals live here, never in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import threading
import time
from typing import Any

import aiohttp

from benchmarks.common import (
    ADMIN_PASSWORD,
    Server,
    apiserver_session,
    benchmark_main,
    control_plane,
    kubevision_session,
    median,
    percentile,
    seed_pods,
)
from benchmarks.scale import NAMESPACE, wait_for_cache
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, sign_in

VIEWPORT = {"width": 1280, "height": 900}
# A 60 Hz display: a frame longer than 1.5 frames is a dropped one.
FRAME_MS = 1000 / 60
DROPPED_FRAME_MS = 1.5 * FRAME_MS
SCROLL_SECONDS = 4
SCROLL_PX_PER_FRAME = 96  # three rows a frame: 180 rows a second
CHURN_RATE_PER_S = 100
CHURN_SECONDS = 10
# Of the changed pods, this share is among the first rows (in view); the rest anywhere in the list.
CHURN_IN_VIEW = 0.5
WAIT_TIMEOUT_MS = 120_000
SORT_COLUMN = "Restarts"
FILTERS = ("pod-0001", "shard=3")

# Page helpers, installed before every navigation. `waitFor` resolves with performance.now() at the first DOM
# mutation after which `check()` holds (so the time is when the DOM shows it, before the paint).
BENCH_JS = """
window.__bench = {
  waitFor(check, timeoutMs) {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const done = () => { observer.disconnect(); clearInterval(timer); };
      const test = () => {
        let ok = false;
        try { ok = check(); } catch { ok = false; }
        if (ok) { done(); resolve(performance.now()); }
        else if (performance.now() - started > timeoutMs) { done(); reject(new Error("timed out")); }
      };
      const observer = new MutationObserver(test);
      observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
      const timer = setInterval(test, 50);
      test();
    });
  },
  firstName() {
    return document.querySelector('.vt-row[aria-rowindex="2"] .cell-link')?.textContent ?? null;
  },
  settled() {
    return !document.querySelector(".vt-row.is-placeholder") && Boolean(document.querySelector(".vt-row .cell-link"));
  },
  frames(durationMs, step) {
    const scroller = document.querySelector(".vt-scroll");
    const intervals = [];
    return new Promise((resolve) => {
      let last = null;
      const end = performance.now() + durationMs;
      const frame = (now) => {
        if (last !== null) intervals.push(now - last);
        last = now;
        if (step) {
          scroller.scrollTop += step;
          if (scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 1) scroller.scrollTop = 0;
        }
        if (now < end) requestAnimationFrame(frame);
        else resolve(intervals);
      };
      requestAnimationFrame(frame);
    });
  },
};
"""

# Click a column's sort button; milliseconds until the header says so and the expected first row shows, settled.
SORT_JS = """
async ([label, expected, timeoutMs]) => {
  const button = [...document.querySelectorAll(".vt-sort")].find((b) => b.textContent.trim() === label);
  const header = button.closest("[role=columnheader]");
  const before = header.getAttribute("aria-sort");
  const started = performance.now();
  button.click();
  const shown = await __bench.waitFor(() => header.getAttribute("aria-sort") !== before && __bench.settled()
    && __bench.firstName() === expected, timeoutMs);
  return shown - started;
}
"""

# Type a filter (one input event); milliseconds until the expected count and first row show, settled.
FILTER_JS = """
async ([text, expected, count, timeoutMs]) => {
  const input = document.querySelector('input[aria-label="Filter rows"]');
  const started = performance.now();
  input.value = text;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  const note = () => [...document.querySelectorAll(".toolbar-note")].some((n) => n.textContent.trim() === count);
  const shown = await __bench.waitFor(() => __bench.settled() && __bench.firstName() === expected
    && (text ? note() : !note()), timeoutMs);
  return shown - started;
}
"""


def _frame_stats(intervals: list[float]) -> dict[str, float]:
    """fps, p95 and longest frame, and dropped frames (longer than 1.5 frames) of rAF intervals."""
    total_s = sum(intervals) / 1000
    return {"fps": len(intervals) / total_s if total_s else 0.0, "p95_ms": percentile(intervals, 0.95),
            "max_ms": max(intervals), "dropped": sum(1 for i in intervals if i > DROPPED_FRAME_MS),
            "frames": len(intervals)}


async def _expected_first(session: aiohttp.ClientSession, headers: dict[str, str], *, namespace: str,
                          sort: str | None = None, text: str = "") -> tuple[str, int]:
    """The name of the first row the server answers for this order and filter, and the count of matches."""
    params = {"view": "table", "page": "1", "pageSize": "1", "namespace": namespace}
    if sort:
        params["sort"] = sort
    if text:
        params["q"] = text
    async with session.get("/api/v1/clusters/1/resources/pods", params=params, headers=headers) as response:
        body = await response.json()
    return body["data"]["rows"][0]["name"], body["meta"]["total"]


def _heap_mb(cdp) -> float:
    """Used JS heap after a forced garbage collection, MB."""
    cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return metrics["JSHeapUsedSize"] / 2**20


def _churn(plane, pods: int, stop: threading.Event) -> int:
    """Change pods (a label) at CHURN_RATE_PER_S until `stop`, half among the first rows; returns how many."""
    async def run() -> int:
        sent = 0
        async with apiserver_session(plane) as api:
            started = time.monotonic()
            tasks = set()
            while not stop.is_set():
                await asyncio.sleep(max(0.0, started + sent / CHURN_RATE_PER_S - time.monotonic()))
                in_view = sent % round(1 / CHURN_IN_VIEW) == 0
                index = (sent // 2) % 50 if in_view else (sent * 7919) % pods
                task = asyncio.create_task(api.patch(
                    f"/api/v1/namespaces/{NAMESPACE}/pods/pod-{index:06d}",
                    json={"metadata": {"labels": {"churn": str(sent)}}},
                    headers={"Content-Type": "application/merge-patch+json"}))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                sent += 1
            await asyncio.gather(*tasks, return_exceptions=True)
        return sent

    return asyncio.run(run())


def measure_scope(page, cdp, server: Server, plane, *, pods: int, namespace: str, label: str,
                  expectations: dict[str, Any]) -> dict[str, Any]:
    """Every measure for the pod list of one namespace ("" = all)."""
    path = f"/c/1/ns/{namespace or '_all'}/pods"
    result: dict[str, Any] = {"scope": label, "total": expectations["total"]}
    page.goto(f"{server.url}{path}", wait_until="commit")
    first = page.evaluate("async (t) => __bench.waitFor(() => __bench.settled(), t)", WAIT_TIMEOUT_MS)
    result["first_rows_s"] = first / 1000
    # The count badge says which mode the page chose (ResourceListPage.js).
    result["windowed"] = page.evaluate("() => document.querySelector('.count-badge').title.includes('around the view')")
    if not result["windowed"]:
        page.wait_for_function("() => !/\\//.test(document.querySelector('.count-badge').textContent)",
                               timeout=WAIT_TIMEOUT_MS)
        result["all_rows_s"] = page.evaluate("() => performance.now()") / 1000

    sorts = [page.evaluate(SORT_JS, [SORT_COLUMN, expectations["sort_asc"], WAIT_TIMEOUT_MS]),
             page.evaluate(SORT_JS, [SORT_COLUMN, expectations["sort_desc"], WAIT_TIMEOUT_MS])]
    result["sort_ms"] = (median(sorts), max(sorts))
    filters = []
    for text in FILTERS:
        first_name, count = expectations["filters"][text]
        filters.append(page.evaluate(FILTER_JS, [text, first_name, f"{count:,} match{'' if count == 1 else 'es'}",
                                                 WAIT_TIMEOUT_MS]))
    filters.append(page.evaluate(FILTER_JS, ["", expectations["sort_desc"], "", WAIT_TIMEOUT_MS]))
    result["filter_ms"] = (median(filters), max(filters))

    result["scroll"] = _frame_stats(page.evaluate("([ms, step]) => __bench.frames(ms, step)",
                                                  [SCROLL_SECONDS * 1000, SCROLL_PX_PER_FRAME]))
    page.locator(".vt-scroll").evaluate("el => { el.scrollTop = 0; }")
    result["heap_mb"] = _heap_mb(cdp)

    stop = threading.Event()
    sent: list[int] = []
    churner = threading.Thread(target=lambda: sent.append(_churn(plane, pods, stop)), daemon=True)
    churner.start()
    try:
        churn_frames = page.evaluate("([ms]) => __bench.frames(ms, 0)", [CHURN_SECONDS * 1000])
    finally:
        stop.set()
        churner.join(timeout=60)
    result["churn"] = {**_frame_stats(churn_frames), "changes": sent[0] if sent else 0}
    result["heap_after_churn_mb"] = _heap_mb(cdp)
    return result


async def _expectations(server: Server, *, namespace: str) -> dict[str, Any]:
    """What the server answers for the measured orders and filters: the first rows to wait for."""
    column = SORT_COLUMN.lower()
    async with kubevision_session(server) as (session, headers):
        _, total = await _expected_first(session, headers, namespace=namespace)
        asc, _ = await _expected_first(session, headers, namespace=namespace, sort=column)
        desc, _ = await _expected_first(session, headers, namespace=namespace, sort=f"-{column}")
        filters = {text: await _expected_first(session, headers, namespace=namespace, sort=f"-{column}", text=text)
                   for text in FILTERS}
    return {"total": total, "sort_asc": asc, "sort_desc": desc, "filters": filters}


def run(pods: int, *, window_rows: int | None) -> dict[str, Any]:
    """Seed, start, measure both scopes."""
    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {"pods": pods, "window_rows": window_rows, "load_before": os.getloadavg()[0]}
    with control_plane() as plane:
        async def seed() -> float:
            async with apiserver_session(plane) as api:
                return await seed_pods(api, NAMESPACE, pods, realistic=True)
        results["seed_s"] = asyncio.run(seed())
        settings = {"KUBEVISION_TABLE_WINDOW_ROWS": str(window_rows)} if window_rows else {}
        server = Server(plane.admin_kubeconfig, settings=settings)
        server.start()
        try:
            async def warm() -> dict[str, Any]:
                async with kubevision_session(server) as (session, headers):
                    results["sync_s"] = await wait_for_cache(session, headers, pods)
                return {label: await _expectations(server, namespace=namespace)
                        for label, namespace in (("one namespace", NAMESPACE), ("all namespaces", ""))}
            expectations = asyncio.run(warm())
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = browser.new_context(viewport=VIEWPORT)
                context.add_init_script(BENCH_JS)
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Performance.enable")
                sign_in(page, server, password=ADMIN_PASSWORD)
                results["scopes"] = [
                    measure_scope(page, cdp, server, plane, pods=pods, namespace=namespace, label=label,
                                  expectations=expectations[label])
                    for label, namespace in (("one namespace", NAMESPACE), ("all namespaces", ""))]
                browser.close()
        finally:
            server.stop()
    results["load_after"] = os.getloadavg()[0]
    return results


def report(r: dict[str, Any]) -> str:
    """Markdown for one run."""
    window = r["window_rows"] or 10_000
    flag = f" --window-rows {r['window_rows']}" if r["window_rows"] else ""
    lines = [
        f"## Resource tables in the browser at {r['pods']:,} pods",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.node()} ({platform.machine()}, {os.cpu_count()} cores), "
        f"`python -m benchmarks.browser --pods {r['pods']}{flag}`: headless Chromium "
        f"(Playwright, {VIEWPORT['width']}x{VIEWPORT['height']}), realistic pods (about 4 KB with status) in one "
        f"namespace, seeded in {r['seed_s']:.0f} s; pod cache synced in {r['sync_s']:.1f} s before measuring. "
        f"Lists longer than {window:,} rows are windowed. 1-minute load average {r['load_before']:.1f} before, "
        f"{r['load_after']:.1f} after (other work shares the cores). First rows: from navigation (a full page load "
        f"and sign-in refresh) to the first rows in the DOM. Sort: a click on {SORT_COLUMN} (ascending, then "
        f"descending) until the server's first row shows; filter: `{FILTERS[0]}`, `{FILTERS[1]}` (a label) and "
        f"clearing it, from the input event until the server's count and first row show (windowed lists wait "
        f"100 ms after typing). Scroll: {SCROLL_PX_PER_FRAME} px per frame for {SCROLL_SECONDS} s. Changes: "
        f"{CHURN_RATE_PER_S} pods/s relabelled through the API server for {CHURN_SECONDS} s (half among the first "
        f"rows), sorted by {SORT_COLUMN} descending. A dropped frame is one longer than {DROPPED_FRAME_MS:.0f} ms.",
        "",
        "| measure | " + " | ".join(f"{s['scope']} ({s['total']:,} rows, {'windowed' if s['windowed'] else 'whole'})"
                                    for s in r["scopes"]) + " | target |",
        "|---|" + "---|" * len(r["scopes"]) + "---|",
    ]

    def row(name: str, cell, target: str) -> str:
        return f"| {name} | " + " | ".join(cell(s) for s in r["scopes"]) + f" | {target} |"

    lines += [
        row("first rows after navigation", lambda s: f"{s['first_rows_s']:.2f} s", "≤ 1 s"),
        row("all rows loaded", lambda s: f"{s['all_rows_s']:.2f} s" if "all_rows_s" in s else "— (windowed)", ""),
        row("sort (median / max)", lambda s: f"{s['sort_ms'][0]:.0f} / {s['sort_ms'][1]:.0f} ms", "≤ 200 ms"),
        row("filter (median / max)", lambda s: f"{s['filter_ms'][0]:.0f} / {s['filter_ms'][1]:.0f} ms", "≤ 200 ms"),
        row("scrolling: fps, p95 / longest frame, dropped",
            lambda s: f"{s['scroll']['fps']:.0f} fps, {s['scroll']['p95_ms']:.0f} / {s['scroll']['max_ms']:.0f} ms, "
                      f"{s['scroll']['dropped']} of {s['scroll']['frames']}", "60 fps"),
        row("JS heap (after GC)", lambda s: f"{s['heap_mb']:.0f} MB", "≤ 300 MB"),
        row(f"{CHURN_RATE_PER_S} changes/s: fps, p95 / longest frame, dropped",
            lambda s: f"{s['churn']['fps']:.0f} fps, {s['churn']['p95_ms']:.0f} / {s['churn']['max_ms']:.0f} ms, "
                      f"{s['churn']['dropped']} of {s['churn']['frames']} ({s['churn']['changes']} changes)",
            "no dropped frames"),
        row("JS heap after the changes", lambda s: f"{s['heap_after_churn_mb']:.0f} MB", "≤ 300 MB"),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run, print, write docs."""
    def configure(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--pods", type=int, default=100_000)
        parser.add_argument("--window-rows", type=int, default=None,
                            help="the server's table_window_rows (default: the server's, 10,000)")

    def measure(args: argparse.Namespace) -> tuple[str, str]:
        return f"browser-{args.pods}", report(run(args.pods, window_rows=args.window_rows))

    return benchmark_main(__doc__, configure, measure, argv)


if __name__ == "__main__":
    raise SystemExit(main())
