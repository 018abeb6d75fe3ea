"""Fixtures for the authentication tests: a controllable clock for TOTP codes."""

from __future__ import annotations

import time
import types

import pyotp
import pytest

from kubevision.auth import totp


class TotpClock:
    """The time the server's TOTP check sees; tests compute codes for chosen 30 s steps."""

    def __init__(self) -> None:
        # The middle of a step, so ±1-step arithmetic never straddles a boundary.
        self.now = (int(time.time()) // totp.STEP_S) * totp.STEP_S + totp.STEP_S / 2

    def time(self) -> float:
        return self.now

    def code(self, secret: str, *, steps: int = 0) -> str:
        """The authenticator's code `steps` steps away from now."""
        return pyotp.TOTP(secret).at(self.now + steps * totp.STEP_S)

    def advance(self, steps: int) -> None:
        self.now += steps * totp.STEP_S


@pytest.fixture
def totp_clock(monkeypatch: pytest.MonkeyPatch) -> TotpClock:
    """Freeze the TOTP module's clock (tokens and everything else keep real time)."""
    clock = TotpClock()
    monkeypatch.setattr(totp, "time", types.SimpleNamespace(time=clock.time))
    return clock
