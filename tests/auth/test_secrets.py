"""The secrets file and AES-GCM encryption at rest."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from kubevision.auth.secrets import SECRETS_FILE_NAME, AppSecrets


def test_created_once_private_and_reloaded(tmp_path: Path) -> None:
    first = AppSecrets.load_or_create(tmp_path)
    path = tmp_path / SECRETS_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.jwt_key) == 32
    second = AppSecrets.load_or_create(tmp_path)
    assert second.jwt_key == first.jwt_key
    assert second.decrypt(first.encrypt(b"kubeconfig")) == b"kubeconfig"


def test_encryption_is_randomised_and_tamper_evident(tmp_path: Path) -> None:
    secrets = AppSecrets.load_or_create(tmp_path)
    one, two = secrets.encrypt(b"JBSWY3DPEHPK3PXP"), secrets.encrypt(b"JBSWY3DPEHPK3PXP")
    assert one != two and b"JBSWY3DPEHPK3PXP" not in one
    tampered = one[:-1] + bytes([one[-1] ^ 1])
    with pytest.raises(InvalidTag):
        secrets.decrypt(tampered)
    other = AppSecrets.load_or_create(tmp_path / "elsewhere")
    with pytest.raises(InvalidTag):
        other.decrypt(one)
