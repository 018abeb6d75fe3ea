"""Password rules and hashing helpers."""

from __future__ import annotations

import pytest

from kubevision.auth.passwords import (
    hash_password,
    hash_secret,
    password_problem,
    secret_matches,
    verify_password,
)


@pytest.mark.parametrize(("password", "problem"), [
    ("1234567", "at least 8"),
    ("", "at least 8"),
    ("x" * 73, "at most 72 bytes"),
    ("é" * 37, "at most 72 bytes"),  # 74 bytes in UTF-8
    (None, "must be a string"),
    (12345678, "must be a string"),
])
def test_unusable_passwords(password: object, problem: str) -> None:
    assert problem in (password_problem(password) or "")


@pytest.mark.parametrize("password", ["12345678", "x" * 72, "é" * 36, "correct horse battery staple"])
def test_usable_passwords(password: str) -> None:
    assert password_problem(password) is None


async def test_hash_and_verify() -> None:
    hashed = await hash_password("s3cret-password")
    assert hashed.startswith("$2b$") and "s3cret" not in hashed
    assert hashed != await hash_password("s3cret-password")  # salted
    assert await verify_password("s3cret-password", hashed)
    assert not await verify_password("s3cret-passwore", hashed)
    assert not await verify_password("s3cret-password" + "x" * 80, hashed)


def test_secret_hash_is_constant_time_comparable() -> None:
    digest = hash_secret("kv_abc_def")
    assert len(digest) == 64 and digest != "kv_abc_def"
    assert secret_matches("kv_abc_def", digest)
    assert not secret_matches("kv_abc_deg", digest)
