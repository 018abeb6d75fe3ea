"""TOTP (RFC 6238: SHA1, 6 digits, 30 s, ±1 step) and recovery codes."""

from __future__ import annotations

import secrets
import time

import pyotp

ISSUER = "KubeVision"
STEP_S = 30
VALID_WINDOW_STEPS = 1
RECOVERY_CODE_COUNT = 10


def new_secret() -> str:
    """A fresh base32 TOTP secret."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// URL an authenticator app scans."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def matching_step(secret: str, code: str, *, now: float | None = None) -> int | None:
    """The 30 s step number the code is valid for (within ±1 step), or None.

    Returning the step lets the caller refuse a code whose step was already used (replay guard).
    """
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP_S)
    for step in range(current - VALID_WINDOW_STEPS, current + VALID_WINDOW_STEPS + 1):
        if secrets.compare_digest(totp.at(step * STEP_S), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten single-use codes of the form xxxxx-xxxxx (50 bits each)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return [
        "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODE_COUNT)
    ]


def normalise_recovery_code(code: str) -> str:
    """Lower-case and strip spaces so codes typed by hand still match."""
    return code.strip().lower().replace(" ", "")
