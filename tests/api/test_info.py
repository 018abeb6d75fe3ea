"""`GET /info`: what the UI adapts to."""

from tests.helpers import ApiSession


async def test_info_default_is_writable(admin: ApiSession, anonymous: ApiSession) -> None:
    assert (await admin.ok("GET", "/info"))["readOnly"] is False
    await anonymous.fails("GET", "/info", 40100)
