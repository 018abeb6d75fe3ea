"""TOTP codes (RFC 6238, ±1 step) and recovery code formatting."""

from __future__ import annotations

import pyotp

from kubevision.auth import totp

NOW = 1_700_000_015.0  # the middle of a 30 s step
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code_at(steps: int) -> str:
    return pyotp.TOTP(SECRET).at(NOW + steps * totp.STEP_S)


def test_matching_step_accepts_one_step_of_skew() -> None:
    current = int(NOW // totp.STEP_S)
    for steps in (-1, 0, 1):
        assert totp.matching_step(SECRET, code_at(steps), now=NOW) == current + steps
    for steps in (-2, 2):
        assert totp.matching_step(SECRET, code_at(steps), now=NOW) is None


def test_matching_step_normalises_and_rejects_junk() -> None:
    code = code_at(0)
    assert totp.matching_step(SECRET, f" {code[:3]} {code[3:]} ", now=NOW) is not None
    for junk in ("", "12345", "1234567", "abcdef", "12345a"):
        assert totp.matching_step(SECRET, junk, now=NOW) is None


def test_recovery_codes() -> None:
    codes = totp.new_recovery_codes()
    assert len(codes) == totp.RECOVERY_CODE_COUNT == 10
    assert len(set(codes)) == 10
    for code in codes:
        assert len(code) == 11 and code[5] == "-"
        assert not set(code) & set("01ilo")  # no look-alike characters
    assert totp.normalise_recovery_code(" ABCDE-FGHJK ") == "abcde-fghjk"


def test_provisioning_uri_names_issuer_and_user() -> None:
    uri = totp.provisioning_uri(SECRET, "alice")
    assert uri.startswith("otpauth://totp/KubeVision:alice?")
    assert f"secret={SECRET}" in uri and "issuer=KubeVision" in uri
