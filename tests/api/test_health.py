"""`/healthz` and `/readyz`: plain JSON outside the envelope, 503 when the database is gone."""

from __future__ import annotations

from kubevision.store import STORE


async def test_probes_are_plain_json(client) -> None:
    for path in ("/healthz", "/readyz"):
        response = await client.get(path)
        assert response.status == 200
        body = await response.json()
        assert "code" not in body and body["status"] == "ok"
        assert response.headers["X-Request-ID"]


async def test_readyz_is_503_without_a_database(app, client) -> None:
    await app[STORE].aclose()
    response = await client.get("/readyz")
    assert response.status == 503
    assert await response.json() == {"status": "unavailable", "database": "unreachable"}
    assert (await client.get("/healthz")).status == 200
