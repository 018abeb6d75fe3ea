"""The audit writer never makes a request wait, and nothing queued is lost when the app stops."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from kubevision.app import create_app
from kubevision.config import Settings
from kubevision.services.audit import AUDIT
from kubevision.store import Store
from kubevision.store.audit import query_audit_entries


async def test_queued_entries_survive_shutdown(settings: Settings) -> None:
    app = create_app(settings)
    client = TestClient(TestServer(app))
    await client.start_server()
    for index in range(500):
        app[AUDIT].record("test.event", username="someone", name=f"n{index}")
    await client.close()  # cleanup contexts run: the writer drains its queue before the store closes

    store = Store(settings.effective_database_url)
    await store.start()
    try:
        async with store.transaction() as conn:
            entries, total = await query_audit_entries(conn, action="test.event", limit=1)
    finally:
        await store.aclose()
    assert total == 500 and entries[0]["name"] == "n499"
