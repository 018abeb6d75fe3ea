"""Logs viewer and terminal against the real control plane and the kubelet stand-in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.cluster_objects import (
    LIVE_TIMEOUT_MS,
    cluster_id,
    create_deployment,
    create_pod,
    kube,
    wait_running,
)
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def open_logs(page, cluster_server, namespace: str, resource: str, name: str):
    """Sign in, open the Logs tab of `resource/name` and return the log view."""
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/{resource}/{name}?tab=logs")
    return page.get_by_role("region", name="Log lines")


def test_pod_logs_stream_filter_and_pause(control_plane, kubelet, namespace, cluster_server, page):
    create_pod(control_plane, namespace, "logger", containers=("main", "sidecar"))
    wait_running(control_plane, namespace, "app=logger", 1)
    view = open_logs(page, cluster_server, namespace, "pods", "logger")
    expect(view).to_contain_text("line 20 from logger/main", timeout=LIVE_TIMEOUT_MS)
    # Follow: new lines keep arriving from the stand-in.
    expect(view).to_contain_text("line 25 from logger/main", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator(".log-status")).to_contain_text("Streaming")

    # The filter narrows the lines and counts the matches; matches are highlighted.
    page.get_by_label("Filter lines (regular expression)").fill(r"^line 1[0-9] from")
    expect(page.locator(".log-match-count")).to_have_text("10 matches")
    expect(view.locator(".log-line")).to_have_count(10)
    expect(view.locator("mark").first).to_have_text("line 10 from")
    screenshot(page, "30-logs-pod-filter")

    # An invalid expression is reported inline; the view keeps working.
    page.get_by_label("Filter lines (regular expression)").fill("line (")
    expect(page.get_by_role("alert").filter(has_text="Invalid regular expression")).to_be_visible()
    page.get_by_label("Filter lines (regular expression)").fill("")

    # Another container, with timestamps.
    page.get_by_role("combobox", name="Container", exact=True).select_option("sidecar")
    expect(view).to_contain_text("line 20 from logger/sidecar", timeout=LIVE_TIMEOUT_MS)
    page.get_by_role("button", name="Timestamps").click()
    expect(view.locator(".log-ts").first).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    # Enough lines to scroll (the stand-in adds five a second).
    expect(view).to_contain_text("line 45 from logger/sidecar", timeout=LIVE_TIMEOUT_MS)

    # Scrolling up pauses auto-scroll; the resume button brings it back.
    view.evaluate("el => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); }")
    resume = page.get_by_role("button", name=re.compile("Resume auto-scroll"))
    expect(resume).to_be_visible()
    expect(resume).to_contain_text("new", timeout=LIVE_TIMEOUT_MS)
    screenshot(page, "31-logs-paused")
    resume.click()
    expect(resume).to_have_count(0)

    # The stream follows the container through a restart (the stand-in restarts on this annotation).
    kube(control_plane, "PATCH", f"/api/v1/namespaces/{namespace}/pods/logger",
         [{"op": "add", "path": "/metadata/annotations", "value": {"kubevision.test/restarts": "1"}}])
    expect(view).to_contain_text("sidecar restarted (restart 1)", timeout=LIVE_TIMEOUT_MS)
    expect(view).to_contain_text("line 1 from logger/sidecar after restart 1", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator(".log-status")).to_contain_text("Streaming")



BULK_LINES = 100_000
# The viewport shows a few dozen lines; the viewer keeps 30 more above and below it in the DOM.
MAX_RENDERED_LINES = 200


def test_hundred_thousand_log_lines_stay_virtualized(control_plane, kubelet, namespace, cluster_server, page):
    create_pod(control_plane, namespace, "bulk", annotations={"kubevision.test/log-lines": str(BULK_LINES)})
    wait_running(control_plane, namespace, "app=bulk", 1)
    view = open_logs(page, cluster_server, namespace, "pods", "bulk")
    expect(view).to_contain_text("from bulk/main", timeout=LIVE_TIMEOUT_MS)

    page.get_by_role("button", name="Follow").click()
    page.get_by_role("combobox", name="Lines to load").select_option("all")
    expect(page.locator(".log-status")).to_contain_text("100,000 lines", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator(".log-status")).to_contain_text("Stream ended")
    expect(view).to_contain_text(f"line {BULK_LINES} from bulk/main")
    assert view.locator(".log-line").count() <= MAX_RENDERED_LINES

    # Jump to the middle: the lines there are rendered, and the DOM stays bounded.
    view.evaluate("el => { el.scrollTop = el.scrollHeight / 2; el.dispatchEvent(new Event('scroll')); }")
    expect(view).to_contain_text("line 50000 from bulk/main")
    assert view.locator(".log-line").count() <= MAX_RENDERED_LINES
    screenshot(page, "32b-logs-100k-lines")

    # The filter runs over all 100,000 lines.
    page.get_by_label("Filter lines (regular expression)").fill(r"^line 7777\d from")
    expect(page.locator(".log-match-count")).to_have_text("10 matches")
    expect(view.locator(".log-line")).to_have_count(10)


def test_workload_logs_merge_every_pod(control_plane, kubelet, namespace, cluster_server, page):
    create_deployment(control_plane, namespace, "web", replicas=2)
    pods = wait_running(control_plane, namespace, "app=web", 2)
    view = open_logs(page, cluster_server, namespace, "deployments", "web")
    for pod in pods:
        expect(view).to_contain_text(f"from {pod}/main", timeout=LIVE_TIMEOUT_MS)
    expect(view.locator(".log-tag").first).to_be_visible()
    tags = set(view.locator(".log-tag").all_inner_texts())
    assert len(tags) >= 2, tags
    page.get_by_label("Filter lines (regular expression)").fill(re.escape(pods[0]))
    expect(page.locator(".log-match-count")).to_contain_text("match")
    expect(view).not_to_contain_text(f"from {pods[1]}/main")
    page.get_by_label("Filter lines (regular expression)").fill("")
    page.wait_for_timeout(300)
    screenshot(page, "32-logs-deployment")

    # A container restart is announced and the new container is followed (the stand-in restarts on this).
    kube(control_plane, "PATCH", f"/api/v1/namespaces/{namespace}/pods/{pods[0]}",
         [{"op": "add", "path": "/metadata/annotations", "value": {"kubevision.test/restarts": "1"}}])
    expect(view).to_contain_text(f"{pods[0]}/main restarted (restart 1)", timeout=LIVE_TIMEOUT_MS)
    expect(view).to_contain_text(f"from {pods[0]}/main after restart 1", timeout=LIVE_TIMEOUT_MS)


def test_terminal_echoes_resizes_exits_and_replays(control_plane, kubelet, namespace, cluster_server, page):
    create_pod(control_plane, namespace, "shell")
    wait_running(control_plane, namespace, "app=shell", 1)
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/pods/shell?tab=terminal")

    status = page.locator(".terminal-status")
    expect(status).to_contain_text("Connected", timeout=LIVE_TIMEOUT_MS)
    rows = page.locator(".terminal-main .xterm-rows")
    page.locator(".terminal-main .xterm").click()
    page.keyboard.type("hello from the browser terminal")
    page.keyboard.press("Enter")
    expect(rows).to_contain_text("hello from the browser terminal", timeout=LIVE_TIMEOUT_MS)

    # Resizing the window refits the terminal and sends a resize frame (the stand-in reports it).
    page.set_viewport_size({"width": 1200, "height": 800})
    expect(rows).to_contain_text(re.compile(r"resize \d+x\d+"), timeout=LIVE_TIMEOUT_MS)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.wait_for_timeout(300)
    screenshot(page, "33-terminal")

    # The stand-in ends the session on "exit": the exit status is shown, Reconnect starts a new shell.
    page.locator(".terminal-main .xterm").click()
    page.keyboard.type("exit")
    expect(status).to_contain_text("Session ended", timeout=LIVE_TIMEOUT_MS)
    expect(status).to_contain_text("code 0")
    expect(page.get_by_role("button", name="Reconnect")).to_be_visible()

    # The session is listed and its recording replays into a terminal.
    page.goto(f"{cluster_server.url}/terminal-sessions")
    row = page.get_by_role("row", name=re.compile("shell"))
    expect(row).to_be_visible()
    screenshot(page, "34-terminal-sessions")
    row.get_by_role("link", name="Replay").click()
    expect(page.get_by_role("heading", name="Session recording")).to_be_visible()
    # The stand-in echoes "\r" for Enter, so the resize report later overwrites the line's start.
    expect(page.locator(".player-term .xterm-rows")).to_contain_text("browser terminal", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator(".player-term .xterm-rows")).to_contain_text("exit", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator(".player-time")).to_be_visible()
    screenshot(page, "35-recording-playback")
