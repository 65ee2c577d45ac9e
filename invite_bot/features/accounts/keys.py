"""The linked keys: each person's own Gencove key, kept encrypted in the store."""

from __future__ import annotations

import logging
from collections.abc import Callable

from invite_bot.config.vault import Vault
from invite_bot.gencove import Credentials
from invite_bot.store import Store

log = logging.getLogger(__name__)


class KeyRing:
    """Reads a person's linked key (`gencove.acting.LinkedKeys`); none without a vault."""

    def __init__(self, store: Store, vault: Vault | None, *, learn: Callable[[str], None]) -> None:
        self._store, self._vault = store, vault
        self.learn = learn  # a key read is a secret to redact from then on

    async def credentials_for(self, slack_user_id: str) -> Credentials | None:
        """The user's own linked Gencove key, if any (so Gencove records the real actor)."""
        vault = self._vault
        if vault is None:
            return None
        link = await self._store.read(lambda tx: tx.links.get(slack_user_id))
        if link is None:
            return None
        try:
            key = vault.decrypt(link.ciphertext)
        except ValueError:
            log.warning("a linked key could not be decrypted; using the organization key")
            return None
        self.learn(key)
        if not vault.is_current(link.ciphertext):
            # Written under an older key: re-encrypt, so that key can be retired.
            ciphertext = vault.rotate(link.ciphertext)
            await self._store.write(
                lambda tx: tx.links.save(
                    slack_user_id,
                    ciphertext=ciphertext,
                    gencove_user_id=link.gencove_user_id,
                    gencove_email=link.gencove_email,
                )
            )
        return Credentials.api_key(key)
