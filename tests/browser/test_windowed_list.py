"""Windowed resource tables on the real control plane: a list longer than `table_window_rows` (set low here) is
sorted and filtered by the server and read page by page around the view, and still follows kubectl's changes;
the browser's own filter (lists held whole) is the server's `q`."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import json
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from benchmarks.common import apiserver_session, seed_pods
from tests.browser.cluster_objects import LIVE_TIMEOUT_MS, admin_token, cluster_id, kube, wait_running
from tests.browser.conftest import ADMIN_PASSWORD, screenshot, sign_in, start_server, stop_server
from tests.browser.test_live_truth import kubectl
from tests.envtest.namespaces import create_namespace_sync, delete_namespace_sync
from tests.kube.test_metrics import pod_manifest, usage_at
from tests.kube.test_metrics_sort import PENDING

pytestmark = pytest.mark.browser

WINDOW_ROWS = 300  # the threshold for these tests (the default is 10,000)
PODS = 1200
SECOND_NAMESPACE_PODS = 400
ROW_HEIGHT_PX = 32
# Rows in view plus overscan: a window, never the list.
MAX_RENDERED_ROWS = 80


def _seed(control_plane, namespace: str, count: int, node: str) -> None:
    """`count` pods in `namespace` bound to `node` (benchmarks.common's parallel seeding, in its own event loop)."""
    async def run() -> None:
        async with apiserver_session(control_plane) as api:
            await seed_pods(api, namespace, count, node=node)

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


def _api_pods(control_plane, *namespaces: str) -> list[dict]:
    """The API server's own list of the pods of `namespaces`."""
    return [pod for namespace in namespaces
            for pod in kube(control_plane, "GET", f"/api/v1/namespaces/{namespace}/pods")["items"]]


def _by_name(pods: list[dict]) -> list[str]:
    """Names in the server's name order (name, then namespace)."""
    return [p["metadata"]["name"] for p in sorted(pods, key=lambda p: (p["metadata"]["name"],
                                                                       p["metadata"]["namespace"]))]


def _youngest_first(pods: list[dict]) -> list[str]:
    """Names in `sort=age` order: the latest creation first, ties by name (kube/tables.py `row_order`)."""
    def created(pod: dict) -> float:
        return dt.datetime.fromisoformat(pod["metadata"]["creationTimestamp"].replace("Z", "+00:00")).timestamp()
    return [p["metadata"]["name"] for p in sorted(pods, key=lambda p: (-created(p), p["metadata"]["name"]))]


def _shown(page) -> dict[int, str]:
    """The rows the table shows (placeholders left out): {index in the whole list: name}."""
    pairs = page.locator(".vt-row:not(.is-placeholder)").evaluate_all(
        "rows => rows.map(r => [Number(r.getAttribute('aria-rowindex')) - 2, "
        "r.querySelector('.cell-link').textContent])")
    return {index: name for index, name in pairs}


def _expect_window(page, expected: list[str]) -> None:
    """The rows shown are the rows of `expected` at their indexes (waiting for the window to be read)."""
    def matches() -> bool:
        shown = _shown(page)
        return bool(shown) and all(index < len(expected) and expected[index] == name for index, name in shown.items())
    page.wait_for_function("() => !document.querySelector('.vt-row.is-placeholder')", timeout=LIVE_TIMEOUT_MS)
    deadline_ms = LIVE_TIMEOUT_MS
    while not matches() and deadline_ms > 0:
        page.wait_for_timeout(200)
        deadline_ms -= 200
    shown = _shown(page)
    assert all(index < len(expected) and expected[index] == name for index, name in shown.items()), \
        (shown, expected[:5])
    assert 0 < len(shown) <= MAX_RENDERED_ROWS


def _scroll(page, where: str) -> None:
    page.locator(".vt-scroll").evaluate(f"el => {{ el.scrollTop = {where}; }}")


def _row(page, name: str):
    return page.get_by_role("row", name=re.compile(rf"\b{re.escape(name)}\b"))


@contextlib.contextmanager
def _windowing_server(tmp_path: Path, admin_kubeconfig: str, *, window_rows: int,
                      metrics_interval_s: int | None = None) -> Iterator[Any]:
    """A server that windows lists longer than `window_rows` rows (and samples metrics every `metrics_interval_s`)."""
    env = {"KUBEVISION_TABLE_WINDOW_ROWS": str(window_rows)}
    if metrics_interval_s is not None:
        env["KUBEVISION_METRICS_INTERVAL_S"] = str(metrics_interval_s)
    server = start_server(tmp_path, admin_password=ADMIN_PASSWORD, kubeconfig=admin_kubeconfig, settings_env=env)
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture
def windowed_server(tmp_path: Path, admin_kubeconfig: str):
    """A server that windows lists longer than WINDOW_ROWS rows."""
    with _windowing_server(tmp_path, admin_kubeconfig, window_rows=WINDOW_ROWS) as server:
        yield server


@pytest.fixture
def seeded(control_plane, namespace: str):
    """PODS pods in `namespace` on a Node of their own (no kubelet: they stay Pending), gone afterwards."""
    node = f"{namespace}-node"
    _seed(control_plane, namespace, PODS, node)
    yield node
    kube(control_plane, "DELETE", f"/api/v1/nodes/{node}")


def test_a_long_list_is_windowed_and_sorted_filtered_and_kept_live_by_the_server(
        control_plane, namespace, seeded, admin_kubeconfig, windowed_server, page):
    server = windowed_server
    assert server.ok("GET", "/info", token=admin_token(server))["tableWindowRows"] == WINDOW_ROWS
    list_requests: list[str] = []
    page.on("request", lambda r: "/resources/pods?" in r.url and list_requests.append(urllib.parse.unquote(r.url)))
    cid = cluster_id(server)
    sign_in(page, server)
    page.goto(f"{server.url}/c/{cid}/ns/{namespace}/pods")

    # Windowed: the table is as tall as the whole list, the DOM holds a window of it.
    badge = page.locator(".count-badge")
    expect(badge).to_have_text(f"{PODS:,}")
    pods = _api_pods(control_plane, namespace)
    assert len(pods) == PODS
    _expect_window(page, _by_name(pods))
    assert page.locator(".vt-body").evaluate("el => el.offsetHeight") == PODS * ROW_HEIGHT_PX
    # No select-all box: it could not select rows that are not read.
    expect(page.get_by_role("checkbox", name="Select all rows")).to_have_count(0)

    # Scrolling to the end reads the last pages: the last rows are the API server's last, in its order.
    _scroll(page, "el.scrollHeight")
    expect(_row(page, f"pod-{PODS - 1:06d}")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    _expect_window(page, _by_name(pods))
    assert any("pageSize=200" in url and "page=6" in url for url in list_requests), list_requests
    screenshot(page, "windowed-list-end")

    # Live: a pod created, one deleted and one changed behind the page, with kubectl.
    created = f"pod-{PODS:06d}"
    kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": created, "labels": {"app": "bench", "shard": "x"}},
        "spec": {"nodeName": seeded, "containers": [{"name": "app", "image": "registry.local/app:1.0"}]}})
    expect(_row(page, created)).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(badge).to_have_text(f"{PODS + 1:,}", timeout=LIVE_TIMEOUT_MS)
    deleted = f"pod-{PODS - 1:06d}"
    kubectl(admin_kubeconfig, "delete", "pod", deleted, "-n", namespace, "--grace-period=0", "--force")
    expect(_row(page, deleted)).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    expect(badge).to_have_text(f"{PODS:,}", timeout=LIVE_TIMEOUT_MS)
    changed = f"pod-{PODS - 2:06d}"
    kube(control_plane, "PATCH", f"/api/v1/namespaces/{namespace}/pods/{changed}/status",
         [{"op": "replace", "path": "/status/phase", "value": "Succeeded"}])
    status = kubectl(admin_kubeconfig, "get", "pod", changed, "-n", namespace, "--no-headers").split()[2]
    assert status != "Pending"
    expect(_row(page, changed)).to_contain_text(status, timeout=LIVE_TIMEOUT_MS)
    pods = _api_pods(control_plane, namespace)
    _expect_window(page, _by_name(pods))

    # Sorting is the server's: descending by name puts the newest name first (not among the first rows read).
    _scroll(page, "0")
    page.get_by_role("button", name="Name", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=-name"))
    _expect_window(page, _by_name(pods)[::-1])
    assert _shown(page)[0] == created
    assert any("sort=-name" in url and "pageSize=200" in url for url in list_requests)
    # ... and by a cell column: youngest first, as the API server's creation times say.
    page.get_by_role("button", name="Age", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=age"))
    _expect_window(page, _youngest_first(pods))
    assert any("sort=age" in url for url in list_requests)

    # Filtering is the server's `q`: a name part, then a label.
    page.get_by_role("searchbox", name="Filter rows").fill("pod-0011")
    matching = [p for p in pods if "pod-0011" in p["metadata"]["name"]]
    expect(page.locator(".toolbar-note", has_text="match")).to_have_text(f"{len(matching)} matches",
                                                                          timeout=LIVE_TIMEOUT_MS)
    _expect_window(page, _youngest_first(matching))
    assert any("q=pod-0011" in url for url in list_requests)
    page.get_by_role("searchbox", name="Filter rows").fill("shard=3")
    shard = kube(control_plane, "GET", f"/api/v1/namespaces/{namespace}/pods?labelSelector=shard%3D3")["items"]
    expect(page.locator(".toolbar-note", has_text="match")).to_have_text(f"{len(shard)} matches",
                                                                          timeout=LIVE_TIMEOUT_MS)
    _expect_window(page, _youngest_first(shard))
    expect(page).to_have_url(re.compile(r"q=shard"))

    # Row selection and actions work on rows that were read: the row menu deletes one.
    victim = _shown(page)[0]
    _row(page, victim).get_by_role("checkbox").check()
    expect(page.get_by_role("status").filter(has_text="selected")).to_contain_text("1 selected")
    page.get_by_role("button", name=f"Actions for {victim}").click()
    expect(page.get_by_role("menu", name=f"Actions for {victim}")).to_be_visible()


def test_several_namespaces_are_windowed_together(control_plane, namespace, seeded, windowed_server, page):
    second = create_namespace_sync(control_plane.server_url, control_plane.admin_token)
    try:
        _seed(control_plane, second, SECOND_NAMESPACE_PODS, seeded)
        server = windowed_server
        cid = cluster_id(server)
        sign_in(page, server)
        page.goto(f"{server.url}/c/{cid}/ns/{namespace},{second}/pods")
        pods = _api_pods(control_plane, namespace, second)
        expect(page.locator(".count-badge")).to_have_text(f"{len(pods):,}")
        _expect_window(page, _by_name(pods))
        _scroll(page, "el.scrollHeight")
        _expect_window(page, _by_name(pods))
        assert max(_shown(page)) == len(pods) - 1
        # The namespace column sorts on the server too.
        _scroll(page, "0")
        page.get_by_role("button", name="Namespace", exact=True).click()
        by_namespace = [p["metadata"]["name"] for p in sorted(
            pods, key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"]))]
        _expect_window(page, by_namespace)
    finally:
        delete_namespace_sync(control_plane.server_url, control_plane.admin_token, second)


def test_the_browser_filter_is_the_servers_q(control_plane, namespace, cluster_server, page):
    for name, labels in (("alpha-web", {"tier": "web", "team": "Blue"}), ("beta-db", {"tier": "db"}),
                         ("gamma", {"app.kubernetes.io/name": "gamma-app"}), ("delta", {})):
        kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/configmaps",
             {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}})
    cid = cluster_id(cluster_server)
    token = admin_token(cluster_server)
    base = f"/clusters/{cid}/resources/configmaps?namespace={namespace}&view=table&pageSize=all"
    rows = cluster_server.ok("GET", base, token=token)["rows"]
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/configmaps")
    expect(_row(page, "alpha-web")).to_be_visible()

    for text in ("alpha", "ALPHA", "tier=web", "tier=", "=db", "team=blue", "gamma-app", "name=gamma", namespace[:7],
                 "  beta ", "web,db", "zzz"):
        needle = text.strip()
        server_names = sorted(r["name"] for r in cluster_server.ok(
            "GET", f"{base}&q={urllib.parse.quote(needle)}", token=token)["rows"])
        browser_names = sorted(page.evaluate(
            """async ([rows, text]) => (await import("/static/js/lib/tableFilter.js")).filterRows(rows, text)
                 .map((row) => row.name)""", [rows, text]))
        assert browser_names == server_names, text
    # The page filters with it: a label matches.
    page.get_by_role("searchbox", name="Filter rows").fill("tier=web")
    expect(_row(page, "alpha-web")).to_be_visible()
    expect(_row(page, "beta-db")).to_have_count(0)


# Pods on the kubelet stand-in by name: their millicores (the stand-in adds the same sawtooth to all of a round).
METERED_PODS = {"m-a": 40, "m-b": 10, "m-c": 70, "m-d": 20, "m-e": 60, "m-f": 30}
METERED_WINDOW_ROWS = 4  # fewer than the pods: the list is windowed


@pytest.fixture
def windowed_metrics_server(tmp_path: Path, admin_kubeconfig: str):
    """A server that windows lists longer than METERED_WINDOW_ROWS rows and samples metrics every second."""
    with _windowing_server(tmp_path, admin_kubeconfig, window_rows=METERED_WINDOW_ROWS, metrics_interval_s=1) as server:
        yield server


def test_a_windowed_list_sorts_by_cpu_on_the_server(control_plane, kubelet, namespace, windowed_metrics_server,
                                                    page):
    server = windowed_metrics_server
    for name, cpu_m in METERED_PODS.items():
        manifest = pod_manifest(name, cpu_m=cpu_m, memory_mib=16)
        manifest["metadata"]["labels"] = {"app": "metered"}
        kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/pods", manifest)
    kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/pods", PENDING)
    wait_running(control_plane, namespace, "app=metered", len(METERED_PODS))
    list_requests: list[str] = []
    page.on("request", lambda r: "/resources/pods?" in r.url and list_requests.append(urllib.parse.unquote(r.url)))
    cid = cluster_id(server)
    sign_in(page, server)
    page.goto(f"{server.url}/c/{cid}/ns/{namespace}/pods")
    expect(page.locator(".count-badge")).to_have_text(str(len(METERED_PODS) + 1))
    grid = page.get_by_role("grid", name="Pods")
    header = grid.get_by_role("columnheader", name="CPU", exact=True)
    expect(header).to_be_visible(timeout=LIVE_TIMEOUT_MS)

    by_cpu = sorted(METERED_PODS, key=METERED_PODS.__getitem__)
    token = admin_token(server)
    for expected, sort in (([*by_cpu, "pending"], "metrics.cpu"), ([*reversed(by_cpu), "pending"], "-metrics.cpu")):
        header.click()
        expect(page).to_have_url(re.compile(rf"sort={re.escape(sort)}(&|$)"))
        served = [row["name"] for row in server.ok(
            "GET", f"/clusters/{cid}/resources/pods?namespace={namespace}&view=table&sort={sort}&pageSize=all",
            token=token)["rows"]]
        assert served == expected  # the stand-in's numbers, the unsampled pod last both ways
        _expect_window(page, served)
        assert any(f"sort={sort}&" in url or url.endswith(f"sort={sort}") for url in list_requests), list_requests
    screenshot(page, "windowed-list-by-cpu")


FIRST_PAGE_ROWS = 1000  # useLiveTable.js PAGE_SIZE: the first page read, which seeds the window
WINDOW_PAGE_ROWS = 200  # tableWindow.js WINDOW_PAGE_SIZE
# {name: text} of the CPU cells of the rows shown (none before the column is, with the first answer).
CPU_CELLS_JS = """() => {
  const header = document.querySelector('.vt-header');
  const at = header ? [...header.children].findIndex((h) => h.textContent.trim() === 'CPU') : -1;
  if (at < 0) return {};
  return Object.fromEntries([...document.querySelectorAll('.vt-row:not(.is-placeholder)')]
    .map((row) => [row.querySelector('.cell-link').textContent, row.children[at].textContent.trim()]));
}"""
FORMAT_CORES_JS = """async (values) => {
  const { formatCores } = await import('/static/js/lib/format.js');
  return values.map(formatCores);
}"""


@pytest.fixture
def windowed_sampled_server(tmp_path: Path, admin_kubeconfig: str):
    """A server that windows lists longer than WINDOW_ROWS rows and samples metrics every second."""
    with _windowing_server(tmp_path, admin_kubeconfig, window_rows=WINDOW_ROWS, metrics_interval_s=1) as server:
        yield server


def _held_pages(asked: list[str], order: list[str]) -> set[int] | None:
    """The pages of `order` (WINDOW_PAGE_ROWS rows each) that `asked` names, when it names exactly whole pages."""
    pages = {order.index(key) // WINDOW_PAGE_ROWS for key in asked}
    whole = {key for page in pages for key in order[page * WINDOW_PAGE_ROWS:(page + 1) * WINDOW_PAGE_ROWS]}
    return pages if sorted(asked) == sorted(whole) else None


def _wait_for(page, check, what: str):
    """The first truthy `check()`, polled while the page runs (LIVE_TIMEOUT_MS at most)."""
    for _ in range(LIVE_TIMEOUT_MS // 200):
        if result := check():
            return result
        page.wait_for_timeout(200)
    raise AssertionError(f"never: {what}")


def test_a_windowed_list_asks_for_the_metrics_of_the_rows_it_holds(control_plane, kubelet, namespace, seeded,
                                                                    windowed_sampled_server, page):
    server = windowed_sampled_server
    for name, cpu_m in METERED_PODS.items():  # on the stand-in's node; first by name, before the seeded pod-*
        manifest = pod_manifest(name, cpu_m=cpu_m, memory_mib=16)
        manifest["metadata"]["labels"] = {"app": "metered"}
        kube(control_plane, "POST", f"/api/v1/namespaces/{namespace}/pods", manifest)
    wait_running(control_plane, namespace, "app=metered", len(METERED_PODS))
    asked: list[list[str]] = []
    answers = []
    whole_reads: list[str] = []

    def on_request(request) -> None:
        if "/metrics/pods" in request.url:
            if request.method == "POST":
                asked.append(json.loads(request.post_data)["names"])
            else:
                whole_reads.append(request.url)

    page.on("request", on_request)
    page.on("response", lambda r: r.request.method == "POST" and "/metrics/pods" in r.url and answers.append(r))
    cid = cluster_id(server)
    sign_in(page, server)
    page.goto(f"{server.url}/c/{cid}/ns/{namespace}/pods")
    pods = _api_pods(control_plane, namespace)
    expect(page.locator(".count-badge")).to_have_text(f"{len(pods):,}")
    keys = [f"{namespace}/{name}" for name in _by_name(pods)]

    # The first ask names the rows the window holds (pages from the first, of the first 1,000 rows read; fewer when
    # a change re-read the view since), not the whole list.
    _wait_for(page, lambda: asked, "a request for metric values")
    held = _held_pages(asked[0], keys)
    assert held and held == set(range(len(held))) and len(held) * WINDOW_PAGE_ROWS <= FIRST_PAGE_ROWS, held

    # The CPU cells show the server's values (its latest answer), which are the stand-in's numbers.
    def cells_match_the_latest_answer() -> bool:
        items = {item["name"]: item for item in answers[-1].json()["data"]["items"]} if answers else {}
        shown = {name: cell for name, cell in page.evaluate(CPU_CELLS_JS).items() if name in METERED_PODS}
        if set(shown) != set(METERED_PODS) or not set(METERED_PODS) <= set(items):
            return False
        names = sorted(METERED_PODS)
        expected = page.evaluate(FORMAT_CORES_JS, [items[name]["cpu"] for name in names])
        if [shown[name] for name in names] != expected:
            return False
        for name in names:
            cores, _ = usage_at(items[name]["time"], cpu_m=METERED_PODS[name], memory_mib=16)
            assert items[name]["cpu"] == pytest.approx(cores), name
        return True

    _wait_for(page, cells_match_the_latest_answer, "CPU cells showing the server's latest values")
    screenshot(page, "windowed-list-metrics")

    # Scrolling to the end reads the last pages; the next ask names them too, still whole pages the window holds.
    _scroll(page, "el.scrollHeight")
    expect(_row(page, f"pod-{PODS - 1:06d}")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    last_page = (len(keys) - 1) // WINDOW_PAGE_ROWS
    _wait_for(page, lambda: asked and keys[-1] in asked[-1], "an ask for the last pages' rows")
    assert last_page in (_held_pages(asked[-1], keys) or set())

    # Read again in another order: the window holds the first page of it, and the ask names only that page.
    _scroll(page, "0")
    page.get_by_role("button", name="Name", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=-name"))
    first_page = sorted(keys[::-1][:WINDOW_PAGE_ROWS])
    _wait_for(page, lambda: asked and sorted(asked[-1]) == first_page, "an ask for the held page only")
    assert not any(f"{namespace}/{name}" in first_page for name in METERED_PODS)
    # A windowed list never reads every pod's values.
    assert whole_reads == []
