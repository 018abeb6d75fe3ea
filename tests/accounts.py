"""Helpers that create users and sign them in through the API (shared by the api/ and auth/ tests)."""

from __future__ import annotations

from typing import Any

import pytest

from kubevision.auth import passwords
from tests.helpers import ApiSession

USER_PASSWORD = "user-password-1"


async def create_user(admin: ApiSession, username: str, *, role: str = "readonly",
                      password: str = USER_PASSWORD, **fields: Any) -> dict[str, Any]:
    """Create a user as admin; returns the user JSON."""
    body = {"username": username, "password": password, "role": role, **fields}
    return await admin.ok("POST", "/users", json=body)


async def sign_in(anonymous: ApiSession, username: str, password: str = USER_PASSWORD) -> dict[str, Any]:
    """Log in; returns the whole session data (access and refresh tokens, user)."""
    return await anonymous.ok("POST", "/auth/login", json={"username": username, "password": password})


async def user_session(admin: ApiSession, anonymous: ApiSession, username: str, *,
                       role: str = "readonly", **fields: Any) -> ApiSession:
    """Create a user and return an API session signed in as them."""
    await create_user(admin, username, role=role, **fields)
    return await anonymous.login(username, USER_PASSWORD)


def use_fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """bcrypt at its minimum cost, for tests that sign in hundreds of times. The production cost is
    checked where real processes hash (tests/test_cli.py)."""
    monkeypatch.setattr(passwords, "BCRYPT_ROUNDS", 4)
