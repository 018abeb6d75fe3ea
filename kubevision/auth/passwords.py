"""Password hashing with bcrypt, and fast hashes for high-entropy secrets (recovery codes, API keys)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac

import bcrypt

MIN_PASSWORD_LENGTH = 8
# bcrypt only reads 72 bytes; longer passwords are refused rather than silently truncated.
MAX_PASSWORD_BYTES = 72
BCRYPT_ROUNDS = 12


def password_problem(password: object) -> str | None:
    """Why this password cannot be used, or None when it can."""
    if not isinstance(password, str):
        return "password must be a string"
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        return f"password must be at most {MAX_PASSWORD_BYTES} bytes"
    return None


def hash_password_sync(password: str) -> str:
    """bcrypt hash (blocking: ~0.2 s by design)."""
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")


async def hash_password(password: str) -> str:
    """bcrypt hash in a worker thread so the event loop keeps serving."""
    return await asyncio.to_thread(hash_password_sync, password)


async def verify_password(password: str, password_hash: str) -> bool:
    """Check a password against its bcrypt hash in a worker thread."""
    encoded = password.encode("utf-8")
    if len(encoded) > MAX_PASSWORD_BYTES:
        return False
    return await asyncio.to_thread(bcrypt.checkpw, encoded, password_hash.encode("ascii"))


def hash_secret(secret: str) -> str:
    """SHA-256 of a random, high-entropy secret (a slow hash adds nothing there)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, secret_hash: str) -> bool:
    """Constant-time comparison of a secret against its stored hash."""
    return hmac.compare_digest(hash_secret(secret), secret_hash)
