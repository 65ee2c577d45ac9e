"""Encryption at rest for linked personal Gencove keys.

Fernet (AES-128-CBC + HMAC-SHA256, authenticated) keyed by `INVITE_BOT_SECRET_KEY`. The
setting is a comma-separated list, newest first: new values are encrypted with the first
key, values written under an older key stay readable until they are re-encrypted.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class Vault:
    def __init__(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise ValueError("INVITE_BOT_SECRET_KEY holds no key")
        try:
            keys_newest_first = [Fernet(k.encode()) for k in parts]
            self._newest = keys_newest_first[0]
            self._fernet = MultiFernet(keys_newest_first)
        except (ValueError, TypeError):
            raise ValueError(
                "INVITE_BOT_SECRET_KEY must be Fernet keys (32 url-safe base64 bytes each)"
            ) from None

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        """The plain value; ValueError (never the key or value) when it cannot be read."""
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise ValueError("stored value cannot be decrypted with the configured keys") from None

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt under the newest key."""
        return self._fernet.rotate(ciphertext.encode()).decode()

    def is_current(self, ciphertext: str) -> bool:
        """True when the newest key wrote it (an older key's value needs `rotate`)."""
        try:
            self._newest.decrypt(ciphertext.encode())
        except InvalidToken:
            return False
        return True


def validate_keys(keys: str) -> None:
    Vault(keys)
