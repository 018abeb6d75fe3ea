"""List columns in the browser: wide columns behind Wide, the per-kind column chooser remembered across reloads,
a Job's DURATION as kubectl prints it, and sorting by a column in the server's `sort` order."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.cluster_objects import LIVE_TIMEOUT_MS, admin_token, cluster_id, create_pod, kube, wait_running
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_live_truth import kubectl

pytestmark = pytest.mark.browser

# Jobs and restarts go API server → controllers / kubelet stand-in → API server; allow for a loaded machine.
SETTLE_TIMEOUT_S = 60
# kubectl and the browser read a running Job's DURATION at slightly different moments.
CLOCK_SLACK_S = 3
WIDE_POD_COLUMNS = ("IP", "Node", "Nominated Node", "Readiness Gates")


def kubectl_table(kubeconfig: str, *args: str) -> dict[str, dict[str, str]]:
    """`kubectl get ...` as {NAME: {HEADER: cell}} (columns are separated by 2+ spaces; headers have at most one)."""
    lines = kubectl(kubeconfig, "get", *args).strip().splitlines()
    headers = re.split(r"\s{2,}", lines[0].strip())
    rows = [dict(zip(headers, re.split(r"\s{2,}", line.strip()), strict=True)) for line in lines[1:]]
    return {row["NAME"]: row for row in rows}


def browser_row(page, name: str) -> dict[str, str]:
    """The cells of the row of `name`, by header text (the selection checkbox column left out)."""
    headers = page.locator(".vt-header [role=columnheader]").all_inner_texts()
    row = page.get_by_role("row", name=re.compile(rf"\b{re.escape(name)}\b"))
    cells = row.get_by_role("gridcell").all_inner_texts()
    return {header.strip(): cell.strip() for header, cell in zip(headers, cells, strict=True) if header.strip()}


def wait_until(condition, what: str):
    """Poll `condition` until it returns something truthy."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_wide_columns_show_with_wide_and_the_column_choice_survives_a_reload(
        control_plane, kubelet, namespace, admin_kubeconfig, cluster_server, page):
    create_pod(control_plane, namespace, "web-a")
    wait_running(control_plane, namespace, "app=web-a", 1)
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/pods")
    header = lambda text: page.get_by_role("columnheader", name=text, exact=True)  # noqa: E731
    expect(page.get_by_role("row", name=re.compile("web-a"))).to_be_visible()
    for text in ("Name", "Ready", "Status", "Restarts", "Age"):
        expect(header(text)).to_be_visible()
    for text in WIDE_POD_COLUMNS:
        expect(header(text)).to_have_count(0)

    page.get_by_role("button", name="Wide").click()
    for text in WIDE_POD_COLUMNS:
        expect(header(text)).to_be_visible()
    expect(page.get_by_role("button", name="Wide")).to_have_attribute("aria-pressed", "true")
    # The wide cells are kubectl's -o wide cells.
    ours, theirs = browser_row(page, "web-a"), kubectl_table(admin_kubeconfig, "pods", "-o", "wide", "-n", namespace)
    for text in WIDE_POD_COLUMNS:
        assert ours[text] == theirs["web-a"][text.upper()], (text, ours, theirs)
    screenshot(page, "08c-pods-wide")

    page.get_by_role("button", name="Columns").click()
    menu = page.get_by_role("group", name="Columns")
    expect(menu.get_by_role("checkbox", name="Name")).to_be_disabled()
    menu.get_by_role("checkbox", name="Restarts", exact=True).uncheck()
    expect(header("Restarts")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()

    page.reload()
    expect(page.get_by_role("row", name=re.compile("web-a"))).to_be_visible()
    expect(header("IP")).to_be_visible()
    expect(header("Restarts")).to_have_count(0)
    expect(header("Status")).to_be_visible()

    # The choice is this kind's: services keep their defaults.
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/services")
    expect(header("Type")).to_be_visible()
    expect(header("Selector")).to_have_count(0)
    expect(page.get_by_role("button", name="Wide")).to_have_attribute("aria-pressed", "false")

    # Reset brings pods back to their defaults.
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/pods")
    page.get_by_role("button", name="Columns").click()
    page.get_by_role("button", name="Reset to defaults").click()
    expect(header("Restarts")).to_be_visible()
    expect(header("IP")).to_have_count(0)


def _create_job(control_plane, namespace: str, name: str, phase: str) -> None:
    """A Job of one pod on the kubelet stand-in's node, which ends the pod in `phase` (or keeps it Running)."""
    kube(control_plane, "POST", f"/apis/batch/v1/namespaces/{namespace}/jobs", {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
        "spec": {"backoffLimit": 0, "template": {
            "metadata": {"annotations": {"kubevision.test/phase": phase}},
            "spec": {"nodeName": "node1", "restartPolicy": "Never",
                     "containers": [{"name": "main", "image": "registry.example/job:1.0"}]}}}})


def _seconds(duration: str) -> int:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match, f"a job started seconds ago should show its duration in seconds, got {duration!r}"
    return int(match[1])


def test_job_duration_is_kubectls_and_ticks_while_running(control_plane, kubelet, namespace, admin_kubeconfig,
                                                          cluster_server, page):
    _create_job(control_plane, namespace, "finished", "Succeeded")
    _create_job(control_plane, namespace, "running", "Running")
    jobs = f"/apis/batch/v1/namespaces/{namespace}/jobs"
    wait_until(lambda: kube(control_plane, "GET", f"{jobs}/finished")["status"].get("completionTime"),
               "job finished to complete")
    wait_until(lambda: kube(control_plane, "GET", f"{jobs}/running")["status"].get("startTime"),
               "job running to start")
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/jobs")
    expect(page.get_by_role("row", name=re.compile("running"))).to_be_visible()
    expect(page.get_by_role("columnheader", name="Duration", exact=True)).to_be_visible()

    theirs = kubectl_table(admin_kubeconfig, "jobs", "-n", namespace)
    ours = {name: browser_row(page, name) for name in ("finished", "running")}
    assert ours["finished"]["Duration"] == theirs["finished"]["DURATION"], (ours, theirs)
    assert abs(_seconds(ours["running"]["Duration"]) - _seconds(theirs["running"]["DURATION"])) <= CLOCK_SLACK_S

    running = page.get_by_role("row", name=re.compile("running")).get_by_role("gridcell").nth(
        list(ours["running"]).index("Duration") + 1)  # + the selection checkbox
    before = _seconds(running.inner_text())
    expect(running).not_to_have_text(f"{before}s", timeout=5_000)
    assert _seconds(running.inner_text()) > before
    finished = browser_row(page, "finished")["Duration"]
    assert finished == theirs["finished"]["DURATION"]  # a finished job's duration does not tick
    screenshot(page, "08d-jobs-duration")


def _table_names(server, cid: int, namespace: str, sort: str) -> list[str]:
    data = server.ok("GET", f"/clusters/{cid}/resources/pods?namespace={namespace}&view=table&sort={sort}",
                     token=admin_token(server))
    return [row["name"] for row in data["rows"]]


def test_sorting_by_restarts_gives_the_servers_order(control_plane, kubelet, namespace, cluster_server, page):
    restarts = {"r-e": 0, "r-a": 3, "r-d": 1, "r-c": 3, "r-b": 0, "r-f": 12}  # ties, and 12 after 3 (not as text)
    for name, count in restarts.items():
        create_pod(control_plane, namespace, name, labels={"set": "sort"},
                   annotations={"kubevision.test/restarts": str(count)})

    def settled() -> bool:
        pods = kube(control_plane, "GET", f"/api/v1/namespaces/{namespace}/pods")["items"]
        counts = {p["metadata"]["name"]: sum(c.get("restartCount", 0) for c in p["status"].get("containerStatuses")
                                             or []) for p in pods}
        return counts == restarts
    wait_until(settled, "the pods' restart counts")
    cid = cluster_id(cluster_server)
    ascending, descending = (_table_names(cluster_server, cid, namespace, sort) for sort in ("restarts", "-restarts"))
    assert ascending == ["r-b", "r-e", "r-d", "r-a", "r-c", "r-f"]  # the server's rule: by count, ties by name

    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/pods")
    names = page.locator(".vt-row .cell-link")
    expect(names).to_have_count(len(restarts))
    most = page.get_by_role("row", name=re.compile("r-f")).get_by_role("gridcell", name="12", exact=True)
    expect(most).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    page.get_by_role("button", name="Restarts", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=restarts"))
    expect(names).to_have_text(ascending)
    page.get_by_role("button", name="Restarts", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=-restarts"))
    expect(names).to_have_text(descending)
