"""The first-run link session may set the first password without knowing the generated one; nobody else may."""

from __future__ import annotations

import pytest

from kubevision.app import FIRST_RUN
from kubevision.auth.users import INITIAL_PASSWORD_FILE
from kubevision.config import SETTINGS
from tests.helpers import ApiSession


@pytest.mark.parametrize("settings_overrides", [{"admin_password": None}], indirect=True)
async def test_bootstrap_session_sets_first_password(client, anonymous: ApiSession) -> None:
    token = client.app[FIRST_RUN].bootstrap_token
    session = await anonymous.ok("POST", "/auth/bootstrap", json={"token": token})
    assert session["user"]["mustChangePassword"] is True
    admin = ApiSession(client, session["accessToken"])
    password_file = client.app[SETTINGS].data_dir / INITIAL_PASSWORD_FILE
    assert password_file.exists()
    await admin.ok("PUT", "/users/me/password", json={"newPassword": "brand-new-password"})
    assert not password_file.exists(), "the generated password is no longer valid and must not stay on disk"
    again = await anonymous.login("admin", "brand-new-password")
    me = await again.ok("GET", "/users/me")
    assert me["mustChangePassword"] is False
    # A normal session (and one whose password was already changed) must give the old password.
    await again.fails("PUT", "/users/me/password", 40001, json={"newPassword": "another-password-1"})
