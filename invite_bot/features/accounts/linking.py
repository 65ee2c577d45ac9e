"""Linking a person's own Gencove API key: checked with Gencove, stored encrypted,
shown (`whoami`) and forgotten (`unlink`)."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from pydantic import SecretStr

from invite_bot.config.vault import Vault
from invite_bot.domain.text import escape_mrkdwn
from invite_bot.features.accounts.accepting import KEY_REFUSED
from invite_bot.gencove import (
    Credentials,
    GencoveError,
    GencoveForbidden,
    GencoveUnauthorized,
)
from invite_bot.gencove.acting import LinkedKeys
from invite_bot.gencove.client import GencoveClient
from invite_bot.store import Store, Tx

MAX_KEY_LENGTH = 500  # the link modal's input allows no more


class Linking:
    """A person's own Gencove key: checked, stored encrypted, shown, forgotten."""

    def __init__(
        self,
        *,
        store: Store,
        gencove: GencoveClient,
        keys: LinkedKeys,
        vault: Vault | None,
        org_key: SecretStr,
        learn: Callable[[str], None],
    ) -> None:
        self.store = store
        self.gencove = gencove
        self.keys = keys
        self.vault = vault
        self.org_key = org_key
        self.learn = learn  # a key given is a secret to redact from then on, linked or not

    def key_problem(self, api_key: str) -> str | None:
        """Why `api_key` cannot be a personal Gencove key, without asking Gencove; or None."""
        key = api_key.strip()
        if (
            not key
            or len(key) > MAX_KEY_LENGTH
            or not key.isascii()
            or not key.isprintable()
            or any(ch.isspace() for ch in key)
        ):
            return "That does not look like a Gencove API key."
        org_key = self.org_key.get_secret_value().strip()
        if hmac.compare_digest(key.encode(), org_key.encode()):
            # Accepting with it is impossible, and acting "as you" would record the organization.
            return "That is the organization's key, which the bot already uses: paste your own."
        return None

    async def link(self, user_id: str, api_key: str, channel_id: str | None) -> str | None:
        """Check and store a personal key; returns an error for the modal field, or None."""
        assert self.vault is not None
        problem = self.key_problem(api_key)
        if problem is not None:
            return problem
        key = api_key.strip()
        self.learn(key)
        credentials = Credentials.api_key(key)
        try:
            user = await self.gencove.current_user(credentials)
        except (GencoveUnauthorized, GencoveForbidden):
            return "Gencove did not accept this API key. Copy it again from Gencove."
        except GencoveError as exc:
            return f"Could not check the key with Gencove just now: {exc.message}"[:150]
        ciphertext = self.vault.encrypt(key)

        def link(tx: Tx) -> None:
            tx.links.save(
                user_id, ciphertext=ciphertext, gencove_user_id=user.id, gencove_email=user.email
            )
            tx.audit.add(
                actor_slack_id=user_id,
                action="link",
                channel_id=channel_id,
                detail={"gencove_user": user.id},
            )

        await self.store.write(link)
        return None

    async def whoami(self, user_id: str) -> str:
        if self.vault is None:
            return (
                "Linking a Gencove account is not turned on for this bot, so none is linked to you."
            )
        stored = await self.store.read(lambda tx: tx.links.get(user_id))
        if stored is None:
            return "No Gencove account is linked to you. Use `/gencove link` to link one."
        credentials = await self.keys.credentials_for(user_id)
        if credentials is None:
            return (
                "Your linked key can no longer be read by the bot. Link it again: `/gencove link`."
            )
        try:
            user = await self.gencove.current_user(credentials)
        except GencoveUnauthorized:
            return KEY_REFUSED
        name = f"{escape_mrkdwn(user.name)} " if user.name else ""
        return f"You are linked to the Gencove user {name}({escape_mrkdwn(user.email)})."

    async def unlink(self, user_id: str, channel_id: str) -> bool:
        """Forget the user's key (audited if there was one); False when there was none."""
        return await self.store.write(lambda tx: _unlink(tx, user_id, channel_id))


def _unlink(tx: Tx, user_id: str, channel_id: str) -> bool:
    removed = tx.links.delete(user_id)
    if removed:
        tx.audit.add(actor_slack_id=user_id, action="unlink", channel_id=channel_id)
    return removed
