"""Pages tell the truth about the cluster: the list badge and `meta.stale` turn stale when the real API server
process stops and fresh when it returns; a detail page renders its object while discovery (/kinds) is slow;
a detail page follows changes made with the real kubectl and says when its object is deleted."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.cluster_objects import admin_token, cluster_id, create_deployment, create_pod
from tests.browser.conftest import ADMIN_PASSWORD, sign_in, start_server, stop_server
from tests.envtest.controlplane import kubectl_binary

pytestmark = pytest.mark.browser

# Live updates travel API server → watch → cache → socket; pods must also be scheduled and started.
LIVE_TIMEOUT_MS = 30_000
# The cache TTL of these servers: a cache not confirmed in sync for this long is stale.
CACHE_TTL_S = 3
# TTL + the page's freshness poll (5 s) + a loaded machine; the API server restart itself takes ~20 s.
STALE_TIMEOUT_MS = 30_000
FRESH_TIMEOUT_MS = 90_000
# GET /kinds is held back this long in the browser (a slow API server's discovery).
KINDS_DELAY_MS = 8_000
SLOW_KINDS_SCRIPT = """
(() => {
  const realFetch = window.fetch.bind(window);
  window.__kindsAnswered = false;
  window.fetch = (input, init) => {
    if (!/\\/kinds(\\?|$)/.test(String(input))) return realFetch(input, init);
    return new Promise((resolve) => setTimeout(resolve, DELAY_MS))
      .then(() => realFetch(input, init))
      .then((response) => { window.__kindsAnswered = true; return response; });
  };
})();
""".replace("DELAY_MS", str(KINDS_DELAY_MS))


@pytest.fixture
def short_ttl_server(request, tmp_path, admin_kubeconfig) -> Iterator:
    server = start_server(tmp_path, admin_password=ADMIN_PASSWORD, kubeconfig=admin_kubeconfig,
                          settings_env={"KUBEVISION_CACHE_TTL_S": str(CACHE_TTL_S)})
    yield server
    stop_server(server)


def test_list_badge_and_meta_turn_stale_without_the_api_server(control_plane, kubelet, namespace,
                                                               short_ttl_server, page, console) -> None:
    server = short_ttl_server
    create_pod(control_plane, namespace, "truth-1")
    cid = cluster_id(server)
    token = admin_token(server)
    list_path = f"/clusters/{cid}/resources/pods?namespace={namespace}&view=table&pageSize=1"

    sign_in(page, server)
    page.goto(f"{server.url}/c/{cid}/ns/{namespace}/pods")
    expect(page.get_by_role("row", name=re.compile("truth-1"))).to_be_visible()
    badge = page.locator(".live")
    expect(badge).to_have_text("Live", timeout=STALE_TIMEOUT_MS)

    control_plane.stop_apiserver()
    try:
        expect(badge).to_contain_text("Stale", timeout=STALE_TIMEOUT_MS)
        expect(badge).to_contain_text(re.compile(r"confirmed \d"))
        expect(page.get_by_text("Cache stale")).to_be_visible()
        meta = server.api("GET", list_path, token=token)["meta"]
        assert meta["source"] == "cache" and meta["stale"] is True, meta
    finally:
        control_plane.start_apiserver()

    expect(badge).to_have_text("Live", timeout=FRESH_TIMEOUT_MS)
    expect(page.get_by_text("Cache stale")).to_have_count(0)
    meta = server.api("GET", list_path, token=token)["meta"]
    assert meta["source"] == "cache" and meta["stale"] is False, meta


def test_a_cached_detail_page_renders_before_discovery_answers(control_plane, namespace, cluster_server, page) -> None:
    create_deployment(control_plane, namespace, "slow-kinds", replicas=1)
    cid = cluster_id(cluster_server)
    detail = f"{cluster_server.url}/c/{cid}/ns/{namespace}/deployments/slow-kinds"
    sign_in(page, cluster_server)
    page.goto(detail)  # the first visit remembers the cluster's kinds once /kinds answers
    expect(page.locator(".property", has_text="UID")).to_be_visible()
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text("Deployments")

    page.add_init_script(SLOW_KINDS_SCRIPT)
    page.reload()
    expect(page.get_by_role("heading", name="slow-kinds")).to_be_visible()
    expect(page.locator(".property", has_text="UID")).to_be_visible()
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text("Deployments")
    assert page.evaluate("window.__kindsAnswered") is False, "the page waited for /kinds"
    # The delay was real: /kinds answers later (polled with evaluate: the page's CSP forbids wait_for_function).
    for _ in range(KINDS_DELAY_MS * 3 // 200):
        if page.evaluate("window.__kindsAnswered"):
            break
        page.wait_for_timeout(200)
    assert page.evaluate("window.__kindsAnswered") is True


def kubectl(kubeconfig: str, *args: str) -> str:
    """Run the real kubectl against the control plane as admin."""
    done = subprocess.run([kubectl_binary(), "--kubeconfig", kubeconfig, *args], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_detail_page_follows_kubectl_and_says_when_deleted(control_plane, kubelet, namespace, admin_kubeconfig,
                                                             cluster_server, page) -> None:
    create_deployment(control_plane, namespace, "follow", replicas=1)
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/deployments/follow")
    desired = page.locator(".stat", has_text="Desired").locator(".stat-number")
    ready = page.locator(".stat", has_text="Ready").locator(".stat-number")
    expect(desired).to_have_text("1")
    expect(ready).to_have_text("1", timeout=LIVE_TIMEOUT_MS)
    page.evaluate("window.__notReloaded = true")

    kubectl(admin_kubeconfig, "-n", namespace, "scale", "deployment/follow", "--replicas=3")
    expect(desired).to_have_text("3", timeout=LIVE_TIMEOUT_MS)
    expect(ready).to_have_text("3", timeout=LIVE_TIMEOUT_MS)
    kubectl(admin_kubeconfig, "-n", namespace, "label", "deployment/follow", "tier=gold")
    expect(page.locator(".chip-label", has_text="tier")).to_contain_text("gold", timeout=LIVE_TIMEOUT_MS)

    page.get_by_role("tab", name="YAML").click()
    kubectl(admin_kubeconfig, "-n", namespace, "annotate", "deployment/follow", "truth/checked=yes")
    expect(page.locator(".yaml-editor")).to_contain_text("truth/checked: ", timeout=LIVE_TIMEOUT_MS)
    assert page.evaluate("window.__notReloaded") is True

    kubectl(admin_kubeconfig, "-n", namespace, "delete", "deployment/follow", "--wait=false")
    expect(page.get_by_role("alert").filter(has_text="was deleted")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    assert page.evaluate("window.__notReloaded") is True
