"""Fixtures for the authentication tests: controllable clocks for TOTP codes and for the sign-in limits."""

from __future__ import annotations

import time
import types

import pyotp
import pytest

from kubevision.auth import ratelimit, totp


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


class SignInClock:
    """The time the sign-in limits see (wall clock for the per-user throttle, monotonic for the per-client
    windows); starts at the real time and moves only when told."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def sign_in_clock(monkeypatch: pytest.MonkeyPatch) -> SignInClock:
    """Freeze the rate-limit module's clock, so growing delays pass without waiting."""
    clock = SignInClock()
    monkeypatch.setattr(ratelimit, "time", clock)
    return clock
