"""The shortcuts "Invite to Gencove": the invite form (the request form for a member, who
asks the inviters instead), opened from the shortcuts menu, or from a message with the
addresses it holds filled in; when it holds none, its author's profile address, which
the person confirms by sending the form. The forms are the invite feature's and the
requests feature's own, so their submissions take the paths they always take.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from slack_sdk.models.views import View

from invite_bot.domain.policy import Refused
from invite_bot.features.invite.modals import bulk_invite_modal
from invite_bot.features.shortcuts.blocks import (
    FROM_PROFILE,
    NO_ADDRESS,
    NO_AUTHOR,
    PROFILE_UNREADABLE,
    author_note,
    found_note,
    prefilled,
)
from invite_bot.features.shortcuts.found import addresses_in
from invite_bot.gencove import GencoveError
from invite_bot.gencove.roles import Roles
from invite_bot.slack.errors import SlackFailure
from invite_bot.slack.guard import Turn
from invite_bot.slack.outbound import Outbound
from invite_bot.slack.people import Inviters, require_inviter

log = logging.getLogger(__name__)


class Requesting(Protocol):
    """What the shortcuts need of the requests feature: who asks instead, and its form."""

    async def asks_instead(self, user_id: str) -> Refused | None: ...

    def form(self, roles: Sequence[str], *, default_role: str | None, metadata: str) -> View: ...


class Forms:
    """Opens the invite (or request) form for a shortcut (see the module's docstring)."""

    def __init__(
        self,
        *,
        inviters: Inviters,
        asking: Requesting,
        roles: Roles,
        outbound: Outbound,
    ) -> None:
        self.inviters, self.asking, self.roles = inviters, asking, roles
        self.outbound = outbound

    async def blank(self, turn: Turn) -> None:
        """The global shortcut: the form, empty."""
        await self._open(turn, [], None)

    async def from_message(self, turn: Turn) -> None:
        """The message shortcut: the form with the message's addresses, else its author's."""
        message = turn.payload.get("message")
        shown: Mapping[str, Any] = message if isinstance(message, Mapping) else {}
        found = addresses_in(str(shown.get("text") or ""))
        if found:
            await self._open(turn, found, found_note(len(found)))
            return
        author = shown.get("user")
        if not isinstance(author, str) or not author or shown.get("bot_id"):
            await self._open(turn, [], NO_AUTHOR)
            return
        # trigger_id lives 3 s: users.info is one quick read, the form opens right after.
        email = await self.outbound.reading.profile_email(author)
        if isinstance(email, SlackFailure):
            log.warning("a message author's profile was not read: %s", email.error)
            note = author_note(PROFILE_UNREADABLE, author, email.sentence)
            await self._open(turn, [], note)
        elif email is None:
            await self._open(turn, [], author_note(NO_ADDRESS, author))
        else:
            await self._open(turn, [email], author_note(FROM_PROFILE, author))

    async def _open(self, turn: Turn, addresses: Sequence[str], note: str | None) -> None:
        request = turn.request
        form = bulk_invite_modal  # an inviter's, as /gencove invite opens it
        if await self.asking.asks_instead(request.user) is not None:
            form = self.asking.form  # a member asks the inviters with the same fields
        elif not await require_inviter(self.inviters, turn):
            return
        channel = request.channel_id
        metadata = json.dumps({"channel_id": channel} if channel else {})
        roles = self.roles.cached()
        view = prefilled(form(roles or [], default_role=None, metadata=metadata), addresses, note)
        opened = await turn.open_form(view)
        if opened is None or roles is not None:
            return
        try:  # the roles Gencove lists, once it answers (the form is open already)
            roles = await self.roles.names()
        except GencoveError as exc:
            log.warning("roles unavailable for a shortcut's form: %s", exc.message)
            return
        refreshed = prefilled(form(roles, default_role=None, metadata=metadata), addresses, note)
        failure = await self.outbound.views.update(
            str(opened.get("id")), refreshed, hash=opened.get("hash")
        )
        if failure is not None:  # hash_conflict: the person already typed or sent it
            log.info("a shortcut's form not refreshed: %s", failure.error)
