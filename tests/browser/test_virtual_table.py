"""VirtualTable at 10,000 rows (the /_dev/table demo page: synthetic rows, no server data)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

# Rows in view at 900 px (~26) plus overscan on both sides; far below 10,000.
MAX_RENDERED_ROWS = 80


def rendered_rows(page) -> int:
    return page.locator(".vt-row").count()


def test_ten_thousand_rows_keep_the_dom_bounded_while_scrolling(server, page):
    page.goto(server.url + "/_dev/table?rows=10000")
    expect(page.locator(".count-badge")).to_have_text("10,000")
    scroller = page.locator(".vt-scroll")
    assert 0 < rendered_rows(page) <= MAX_RENDERED_ROWS
    screenshot(page, "07-virtual-table")

    height = scroller.evaluate("el => el.scrollHeight")
    assert height >= 10_000 * 32  # the spacer keeps the scrollbar honest

    for fraction in (0.1, 0.35, 0.6, 0.9, 1.0):
        scroller.evaluate("(el, f) => { el.scrollTop = (el.scrollHeight - el.clientHeight) * f; }", fraction)
        page.wait_for_timeout(50)
        assert 0 < rendered_rows(page) <= MAX_RENDERED_ROWS
    expect(page.locator(".vt-row", has_text="pod-09999")).to_be_visible()

    # Wheel scrolling, as a user does it.
    scroller.evaluate("el => { el.scrollTop = 0; }")
    scroller.hover()
    for _ in range(20):
        page.mouse.wheel(0, 600)
    page.wait_for_timeout(100)
    assert 0 < rendered_rows(page) <= MAX_RENDERED_ROWS


def test_sorting_and_selection(server, page):
    page.goto(server.url + "/_dev/table?rows=10000")
    first_name = page.locator(".vt-row").first.locator("[role=gridcell]").nth(1)
    expect(first_name).to_have_text("pod-00000-0")

    page.get_by_role("button", name="Name", exact=True).click()  # ascending → descending
    expect(first_name).to_have_text("pod-09999-c5403")
    expect(page.get_by_role("columnheader", name="Name", exact=True)).to_have_attribute("aria-sort", "descending")

    page.get_by_role("button", name="Restarts").click()
    expect(page.get_by_role("columnheader", name="Restarts")).to_have_attribute("aria-sort", "ascending")

    page.get_by_role("checkbox", name="Select all rows").check()
    expect(page.locator(".page-subtitle")).to_have_text("10,000 selected")
    page.get_by_role("checkbox", name="Deselect all rows").uncheck()
    expect(page.locator(".page-subtitle")).to_have_text("0 selected")


def test_keyboard_moves_the_active_row_and_selects(server, page):
    page.goto(server.url + "/_dev/table?rows=500")
    scroller = page.locator(".vt-scroll")
    scroller.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    expect(page.locator(".page-subtitle")).to_have_text("1 selected")
    page.keyboard.press("End")
    expect(page.locator(".vt-row.is-active")).to_contain_text("pod-00499")
