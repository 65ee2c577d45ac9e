"""Encryption at rest for linked personal Gencove keys.

Fernet (AES-128-CBC + HMAC-SHA256, authenticated) keyed by `INVITE_BOT_SECRET_KEY`. The
setting is a comma-separated list, newest first: new values are encrypted with the first
key, values written under an older key stay readable until they are re-encrypted.

The keys are checked at once (as Fernet checks them), but `cryptography` (about 6 MiB) is
imported only when a value is first encrypted or decrypted, i.e. once a key is linked.
"""

from __future__ import annotations

import base64
import binascii
import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.fernet import Fernet, MultiFernet

FERNET_KEY_BYTES = 32


class Vault:
    def __init__(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise ValueError("INVITE_BOT_SECRET_KEY holds no key")
        if not all(_is_fernet_key(k) for k in parts):
            raise ValueError(
                "INVITE_BOT_SECRET_KEY must be Fernet keys (32 url-safe base64 bytes each)"
            )
        self._keys = parts

    @functools.cached_property
    def _newest(self) -> Fernet:
        from cryptography.fernet import Fernet

        return Fernet(self._keys[0].encode())

    @functools.cached_property
    def _fernet(self) -> MultiFernet:
        from cryptography.fernet import Fernet, MultiFernet

        return MultiFernet([self._newest, *(Fernet(k.encode()) for k in self._keys[1:])])

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        """The plain value; ValueError (never the key or value) when it cannot be read."""
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise ValueError("stored value cannot be decrypted with the configured keys") from None

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt under the newest key."""
        return self._fernet.rotate(ciphertext.encode()).decode()

    def is_current(self, ciphertext: str) -> bool:
        """True when the newest key wrote it (an older key's value needs `rotate`)."""
        from cryptography.fernet import InvalidToken

        try:
            self._newest.decrypt(ciphertext.encode())
        except InvalidToken:
            return False
        return True


def _is_fernet_key(key: str) -> bool:
    """What `Fernet(key)` accepts: 32 bytes in url-safe base64."""
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == FERNET_KEY_BYTES
    except (binascii.Error, ValueError):
        return False


def validate_keys(keys: str) -> None:
    Vault(keys)
