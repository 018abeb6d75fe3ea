"""The secrets file (JWT signing key, encryption key) and AES-GCM encryption of data at rest."""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SECRETS_FILE_NAME = "secrets.json"
_NONCE_BYTES = 12


def write_private_file(path: Path, content: str) -> None:
    """Write `content` to a new file readable only by its owner (mode 0600 from creation on)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(content)
    os.chmod(path, 0o600)


class AppSecrets:
    """Keys generated at first run and kept in `<data-dir>/secrets.json` (mode 0600)."""

    def __init__(self, *, jwt_key: bytes, encryption_key: bytes) -> None:
        self.jwt_key = jwt_key
        self._aead = AESGCM(encryption_key)

    @classmethod
    def load_or_create(cls, data_dir: Path) -> AppSecrets:
        """Read the secrets file, creating it with fresh random keys when it does not exist."""
        path = data_dir / SECRETS_FILE_NAME
        if not path.exists():
            fresh = {
                "jwt_key": base64.b64encode(secrets.token_bytes(32)).decode(),
                "encryption_key": base64.b64encode(AESGCM.generate_key(bit_length=256)).decode(),
            }
            write_private_file(path, json.dumps(fresh, indent=2))
        stored = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            jwt_key=base64.b64decode(stored["jwt_key"]),
            encryption_key=base64.b64decode(stored["encryption_key"]),
        )

    def encrypt(self, plaintext: bytes) -> bytes:
        """AES-GCM encrypt; the random nonce is stored in front of the ciphertext."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, None)

    def decrypt(self, blob: bytes) -> bytes:
        """Reverse `encrypt`; raises `cryptography.exceptions.InvalidTag` when tampered with."""
        return self._aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], None)
