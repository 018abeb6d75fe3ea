"""Tabs share one session: opening many tabs makes no refresh calls, one tab renews the shared token for all,
and a rate-limited refresh (429) is shown as "try again in N s" without signing anyone out."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ConsoleWatch, sign_in, start_server, stop_server

pytestmark = pytest.mark.browser

TABS = 14
# Pause between opening two tabs (a user middle-clicking links quickly).
TAB_GAP_S = 0.2
# An access token this short-lived is renewed (60 s before expiry) about 15 s after it was issued.
SHORT_ACCESS_TOKEN_TTL_S = 75
REFRESH_URL = re.compile(r"/api/v1/auth/refresh$")
# Many tabs load the app's modules at once on a shared test machine.
TAB_LOAD_TIMEOUT_MS = 60_000


def open_tab(context, url: str, console: ConsoleWatch):
    """A new page of the context (a tab), watched for console errors, navigated to `url` without waiting."""
    tab = context.new_page()
    tab.on("console", lambda msg: msg.type == "error" and console.errors.append(f"console: {msg.text}"))
    tab.on("pageerror", lambda exc: console.errors.append(f"pageerror: {exc}"))
    tab.goto(url, wait_until="commit")
    return tab


def refresh_calls(context) -> list[float]:
    """Times of every POST /auth/refresh any tab of `context` makes from now on."""
    calls: list[float] = []
    context.on("request", lambda request: REFRESH_URL.search(request.url) and calls.append(time.monotonic()))
    return calls


def test_many_tabs_open_quickly_without_a_sign_out_or_a_refresh(server, context, page, console) -> None:
    sign_in(page, server)
    calls = refresh_calls(context)
    tabs = []
    for _ in range(TABS):
        tabs.append(open_tab(context, f"{server.url}/settings/profile", console))
        time.sleep(TAB_GAP_S)
    for tab in tabs:
        expect(tab.get_by_role("heading", name="Settings")).to_be_visible(timeout=TAB_LOAD_TIMEOUT_MS)
        expect(tab.locator(".property", has_text="Username")).to_contain_text("admin")
        expect(tab.get_by_role("heading", name="Sign in")).to_have_count(0)
    assert calls == [], "a page load must adopt the shared token, not refresh"
    assert not console.unexpected(), console.unexpected()


@pytest.fixture
def short_token_server(request, tmp_path) -> Iterator:
    server = start_server(tmp_path, admin_password="browser-admin-pass-1",
                          settings_env={"KUBEVISION_ACCESS_TOKEN_TTL_S": str(SHORT_ACCESS_TOKEN_TTL_S)})
    yield server
    stop_server(server)


def wait_for_renewal(page, calls: list[float]) -> None:
    """Wait (at most one token lifetime) for a renewal, then for any other tab that would also renew."""
    deadline = time.monotonic() + SHORT_ACCESS_TOKEN_TTL_S
    while not calls and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert calls, "the shared token was never renewed"
    page.wait_for_timeout(3000)
    assert len(calls) == 1, f"{len(calls)} tabs refreshed the one session"


def shared_token(page) -> str:
    return page.evaluate("JSON.parse(localStorage.getItem('kubevision.session')).accessToken")


def test_one_tab_renews_the_shared_token_for_all(short_token_server, context, page, console) -> None:
    server = short_token_server
    sign_in(page, server, password="browser-admin-pass-1")
    tabs = [open_tab(context, f"{server.url}/settings/profile", console) for _ in range(TABS)]
    for tab in tabs:
        expect(tab.get_by_role("heading", name="Settings")).to_be_visible(timeout=TAB_LOAD_TIMEOUT_MS)
    first_token = shared_token(page)
    wait_for_renewal(page, refresh_calls(context))
    renewed = shared_token(page)
    assert renewed != first_token
    # The renewing tab closes: another one takes over the next renewal, still alone.
    page.close()
    wait_for_renewal(tabs[0], refresh_calls(context))
    assert shared_token(tabs[0]) != renewed
    for tab in tabs:
        expect(tab.get_by_role("heading", name="Settings")).to_be_visible()
        expect(tab.get_by_role("heading", name="Sign in")).to_have_count(0)
    assert not console.unexpected(), console.unexpected()


def test_a_rate_limited_refresh_says_try_again_and_keeps_the_session(server, context, page, console) -> None:
    sign_in(page, server)
    console.expect("status of 429")
    retry_after_s = 2
    limited = json.dumps({"code": 42900, "message": f"too many session renewals: try again in {retry_after_s} s",
                          "data": None, "meta": {"requestId": "req_test"}})
    context.route(REFRESH_URL, lambda route: route.fulfill(
        status=429, body=limited, headers={"Content-Type": "application/json", "Retry-After": str(retry_after_s)}))
    # The shared token is about to expire, so a new tab must refresh, and the server says "wait".
    page.evaluate("""() => {
        const shared = JSON.parse(localStorage.getItem('kubevision.session'));
        localStorage.setItem('kubevision.session', JSON.stringify({...shared, expiresAt: Date.now() + 30000}));
    }""")
    tab = open_tab(context, f"{server.url}/settings/profile", console)
    expect(tab.get_by_role("status").filter(has_text="try again in 2 s")).to_be_visible(timeout=TAB_LOAD_TIMEOUT_MS)
    expect(tab.get_by_role("heading", name="Sign in")).to_have_count(0)
    # The tab that was open keeps its session (its renewal got the 429 too and is retried later).
    page.wait_for_timeout(1500)
    expect(page.locator(".topbar")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in")).to_have_count(0)
    # Once the server accepts refreshes again the waiting tab restores the session by itself.
    context.unroute(REFRESH_URL)
    expect(tab.get_by_role("heading", name="Settings")).to_be_visible()
    expect(tab.locator(".property", has_text="Username")).to_contain_text("admin")
    assert not console.unexpected(), console.unexpected()
