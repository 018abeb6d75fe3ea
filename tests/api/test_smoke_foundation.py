"""First checks of the wiring: health, envelope on success and on a missing login."""

from tests.helpers import ApiSession, assert_envelope


async def test_healthz_and_readyz(client) -> None:
    for path in ("/healthz", "/readyz"):
        response = await client.get(path)
        assert response.status == 200
        assert (await response.json())["status"] == "ok"


async def test_me_requires_login_then_works(anonymous: ApiSession, admin: ApiSession) -> None:
    await anonymous.fails("GET", "/users/me", 40100)
    me = await admin.ok("GET", "/users/me")
    assert me["username"] == "admin" and me["role"] == "admin"


async def test_unknown_api_route_is_40400(client) -> None:
    response = await client.post("/api/v1/nope", json={})
    assert response.status == 200
    assert_envelope(await response.json(), 40400)
