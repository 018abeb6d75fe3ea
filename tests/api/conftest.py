"""Fixtures for the API tests."""

from __future__ import annotations

import pytest

from tests.accounts import use_fast_password_hashing


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """See `use_fast_password_hashing`."""
    use_fast_password_hashing(monkeypatch)
