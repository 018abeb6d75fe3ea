"""The app shell: theme toggle, responsive drawer, not-found page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_theme_toggle_changes_the_theme_and_persists(server, page):
    sign_in(page, server)
    html = page.locator("html")
    expect(html).to_have_attribute("data-theme", "system")
    # "system" follows the OS preference, switching live.
    body_background = "getComputedStyle(document.body).backgroundColor"
    page.emulate_media(color_scheme="dark")
    assert page.evaluate(body_background) == "rgb(14, 17, 23)"
    page.emulate_media(color_scheme="light")
    assert page.evaluate(body_background) == "rgb(245, 246, 248)"

    toggle = page.locator(".topbar .theme-toggle")
    toggle.click()
    expect(html).to_have_attribute("data-theme", "light")
    toggle.click()
    expect(html).to_have_attribute("data-theme", "dark")
    page.emulate_media(color_scheme="light")  # the user's choice wins over the OS
    assert page.evaluate(body_background) == "rgb(14, 17, 23)"
    page.wait_for_timeout(300)  # let background transitions finish
    screenshot(page, "05-shell-dark")

    page.reload()
    expect(page.locator(".topbar")).to_be_visible()
    expect(html).to_have_attribute("data-theme", "dark")
    assert page.evaluate("localStorage.getItem('kubevision.theme')") == "dark"


def test_tablet_width_uses_a_navigation_drawer(server, page):
    page.set_viewport_size({"width": 800, "height": 1000})
    sign_in(page, server)
    sidebar = page.locator("#sidebar")
    expect(sidebar).not_to_be_visible()
    page.get_by_role("button", name="Open navigation").click()
    expect(sidebar).to_be_visible()
    page.wait_for_timeout(300)  # let the slide-in transition finish
    screenshot(page, "06-tablet-drawer")
    page.keyboard.press("Escape")  # closing is by scrim or navigation; Escape must not break anything
    page.locator(".sidebar-scrim").click(position={"x": 700, "y": 500})
    expect(sidebar).not_to_be_visible()


def test_unknown_path_shows_not_found(server, page):
    sign_in(page, server)
    page.goto(server.url + "/no/such/page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/no/such/page$"))


def test_every_module_loads_by_its_hashed_url(server, page):
    """The import map sends the modules' relative imports to hashed (immutable) URLs: a page load fetches no
    unhashed static file, and a module imported by its plain path is the app's own instance."""
    static_urls: list[str] = []
    page.on("request", lambda request: static_urls.append(request.url) if "/static/" in request.url else None)
    sign_in(page, server)
    page.reload()
    expect(page.locator(".topbar")).to_be_visible()
    assert len(static_urls) > 50  # the app's module graph, loaded twice
    assert [url for url in static_urls if "?v=" not in url] == []
    version = page.evaluate('async () => (await import("/static/js/state/server.js")).serverInfo.get().version')
    assert version == page.locator('meta[name="kubevision-version"]').get_attribute("content")
