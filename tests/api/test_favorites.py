"""Favorites are per user, unique per path, and validated."""

from tests.helpers import ApiSession


async def test_favorites_life_cycle(admin: ApiSession) -> None:
    assert await admin.ok("GET", "/favorites") == []
    star = await admin.ok("POST", "/favorites", json={"path": "/c/1/ns/default/pods/web-1", "cluster": 1,
                                                     "resource": "pods", "namespace": "default", "name": "web-1"})
    assert star["title"] == "web-1" and star["cluster"] == 1
    await admin.ok("POST", "/favorites", json={"path": "/c/1/ns/_all/deployments", "title": "All deployments"})
    await admin.fails("POST", "/favorites", 40900, json={"path": "/c/1/ns/default/pods/web-1"})
    await admin.fails("POST", "/favorites", 40002, json={"path": "https://elsewhere.example/"})
    await admin.fails("POST", "/favorites", 40001, json={"title": "no path"})
    assert [f["title"] for f in await admin.ok("GET", "/favorites")] == ["web-1", "All deployments"]

    await admin.ok("POST", "/users", json={"username": "other", "password": "password-123", "role": "readonly"})
    other = await admin.login("other", "password-123")
    assert await other.ok("GET", "/favorites") == []
    await other.fails("DELETE", f"/favorites/{star['id']}", 40400)
    await admin.ok("DELETE", f"/favorites/{star['id']}")
    assert [f["title"] for f in await admin.ok("GET", "/favorites")] == ["All deployments"]
