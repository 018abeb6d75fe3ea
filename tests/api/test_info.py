"""`GET /info`: what the UI adapts to."""

import pytest

from tests.helpers import ApiSession


async def test_info_default_is_writable(admin: ApiSession, anonymous: ApiSession) -> None:
    assert (await admin.ok("GET", "/info"))["readOnly"] is False
    await anonymous.fails("GET", "/info", 40100)


async def test_info_defaults_to_windowing_tables_beyond_ten_thousand_rows(admin: ApiSession) -> None:
    assert (await admin.ok("GET", "/info"))["tableWindowRows"] == 10_000


@pytest.mark.parametrize("settings_overrides", [{"table_window_rows": 250}], indirect=True)
async def test_info_sends_the_table_window_setting(admin: ApiSession) -> None:
    assert (await admin.ok("GET", "/info"))["tableWindowRows"] == 250
