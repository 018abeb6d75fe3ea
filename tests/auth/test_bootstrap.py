"""First run: the admin account, its password file, the secrets file and the one-time bootstrap link."""

from __future__ import annotations

import json
import stat
import time
import types

import pytest

from kubevision.app import FIRST_RUN, create_app
from kubevision.auth import service
from kubevision.auth.users import INITIAL_PASSWORD_FILE
from tests.helpers import ADMIN_PASSWORD, ApiSession

first_run_without_password = pytest.mark.parametrize("settings_overrides", [{"admin_password": None}],
                                                     indirect=True)


def mode_of(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@first_run_without_password
async def test_random_admin_password_is_written_once_with_mode_0600(app, settings, client,
                                                                    anonymous: ApiSession) -> None:
    password = app[FIRST_RUN].admin_password
    assert password and len(password) >= 16
    password_file = settings.data_dir / INITIAL_PASSWORD_FILE
    assert password_file.read_text() == password + "\n"
    assert mode_of(password_file) == 0o600
    data = await anonymous.ok("POST", "/auth/login", json={"username": "admin", "password": password})
    assert data["user"]["role"] == "admin"
    assert data["user"]["mustChangePassword"] is True


async def test_configured_admin_password_writes_no_file(app, settings, anonymous: ApiSession) -> None:
    assert app[FIRST_RUN].admin_password is None
    assert not (settings.data_dir / INITIAL_PASSWORD_FILE).exists()
    data = await anonymous.ok("POST", "/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert data["user"]["mustChangePassword"] is False


async def test_secrets_file_and_data_dir_are_private(client, settings) -> None:
    secrets_file = settings.data_dir / "secrets.json"
    assert mode_of(secrets_file) == 0o600
    assert mode_of(settings.data_dir) == 0o700
    keys = json.loads(secrets_file.read_text())
    assert set(keys) == {"jwt_key", "encryption_key"}


async def test_second_start_keeps_users_and_keys(client, settings, aiohttp_client) -> None:
    secrets_before = (settings.data_dir / "secrets.json").read_text()
    again = create_app(settings)
    second = await aiohttp_client(again)
    assert again[FIRST_RUN].admin_password is None
    assert again[FIRST_RUN].bootstrap_token is None
    assert (settings.data_dir / "secrets.json").read_text() == secrets_before
    # Tokens signed by the first process are valid in the second (same key, same user).
    admin = await ApiSession(client).login("admin", ADMIN_PASSWORD)
    users = await ApiSession(second, admin.token).ok("GET", "/users")
    assert [u["username"] for u in users] == ["admin"]


@first_run_without_password
async def test_bootstrap_token_exchanges_once(app, anonymous: ApiSession) -> None:
    token = app[FIRST_RUN].bootstrap_token
    assert token
    await anonymous.fails("POST", "/auth/bootstrap", 40100, json={"token": token + "x"})
    data = await anonymous.ok("POST", "/auth/bootstrap", json={"token": token})
    assert data["user"]["username"] == "admin" and data["user"]["mustChangePassword"] is True
    admin = ApiSession(anonymous.client, data["accessToken"])
    assert (await admin.ok("GET", "/users/me"))["role"] == "admin"
    body = await anonymous.fails("POST", "/auth/bootstrap", 40100, json={"token": token})
    assert "used" in body["message"]
    # The signed-in user can now set a password of their own, proving the old one.
    await admin.ok("PUT", "/users/me/password",
                   json={"oldPassword": app[FIRST_RUN].admin_password, "newPassword": "my-own-password"})
    await anonymous.login("admin", "my-own-password")


@first_run_without_password
async def test_bootstrap_token_expires(app, anonymous: ApiSession, monkeypatch: pytest.MonkeyPatch) -> None:
    token = app[FIRST_RUN].bootstrap_token
    later = time.time() + service.BOOTSTRAP_TOKEN_TTL_S + 1
    monkeypatch.setattr(service, "time", types.SimpleNamespace(time=lambda: later))
    await anonymous.fails("POST", "/auth/bootstrap", 40100, json={"token": token})


async def test_bootstrap_needs_a_token(anonymous: ApiSession) -> None:
    await anonymous.fails("POST", "/auth/bootstrap", 40001, json={})
    await anonymous.fails("POST", "/auth/bootstrap", 40100, json={"token": "guess"})
