"""Fixtures shared by every test: settings per test (indirectly parametrizable), the app, clients."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from kubevision.app import create_app
from kubevision.config import Settings, load_settings
from tests.accounts import use_fast_password_hashing
from tests.helpers import ADMIN_PASSWORD, ApiSession

pytest_plugins = ["tests.envtest.fixtures", "tests.postgres"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests last, as one block (see the `browser` fixture for why)."""
    items.sort(key=lambda item: item.path.parent.name == "browser")


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Per-test settings changes: `@pytest.mark.parametrize("settings_overrides", [...], indirect=True)`."""
    return getattr(request, "param", {})


@pytest.fixture
def settings(tmp_path, settings_overrides: dict[str, Any]) -> Settings:
    """Fresh data dir, known admin password, generous rate limits unless a test overrides them."""
    values = {"data_dir": str(tmp_path / "data"), "admin_password": ADMIN_PASSWORD, "no_browser": True,
              "login_rate_per_minute": 1000, **settings_overrides}
    return load_settings(values, environ={})


@pytest.fixture
def app(settings: Settings) -> web.Application:
    """The application for this test's settings."""
    return create_app(settings)


@pytest.fixture
async def client(aiohttp_client, app: web.Application) -> TestClient:
    """A test client of the app (started, so cleanup contexts ran)."""
    return await aiohttp_client(app)


@pytest.fixture
async def anonymous(client: TestClient) -> ApiSession:
    """API calls without credentials."""
    return ApiSession(client)


@pytest.fixture
async def admin(anonymous: ApiSession) -> ApiSession:
    """API calls as the first-run admin."""
    return await anonymous.login("admin", ADMIN_PASSWORD)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process tests hash with a low bcrypt cost (see `use_fast_password_hashing`); the real cost is
    checked by the CLI tests, which run real processes."""
    use_fast_password_hashing(monkeypatch)


@pytest.fixture(autouse=True)
async def no_leaked_tasks():
    """Fail a test that leaves tasks of its own running (the app's are stopped by its cleanup)."""
    before = asyncio.all_tasks()
    yield
    await asyncio.sleep(0)
    leaked = [t for t in asyncio.all_tasks() - before
              if not t.done() and t is not asyncio.current_task()]
    assert not leaked, f"tasks left running: {[t.get_name() for t in leaked]}"
