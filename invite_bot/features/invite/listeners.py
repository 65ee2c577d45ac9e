"""`/gencove invite EMAIL …`, `/gencove invite` (the form) and the form's submission.

Addresses are checked before the ack (their refusal is the ack itself, or the form's red
field error); everything else happens after it. A member who may not invite asks the
inviters instead (the requests feature); a long list or a CSV in the form is a bulk
invite (the bulk feature).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from slack_sdk.models.views import View

from invite_bot.domain.command.types import Invite, InviteModal
from invite_bot.domain.policy import Refused
from invite_bot.domain.requests import Ask
from invite_bot.domain.text import escape_mrkdwn, human_list, inline_code
from invite_bot.features.invite.checks import Inviting
from invite_bot.features.invite.modals import (
    ADDRESSES_BLOCK,
    ADDRESSES_INPUT,
    FILE_BLOCK,
    FILE_INPUT,
    INVITE_MODAL,
    OPEN_INVITE_FORM,
    ROLE_BLOCK,
    ROLE_INPUT,
    ROLES_UNAVAILABLE,
    UNKNOWN_ROLE,
    bulk_invite_modal,
)
from invite_bot.gencove import GencoveError
from invite_bot.gencove.roles import Roles, UnknownRole
from invite_bot.slack.blockkit import Message
from invite_bot.slack.guard import Reply, Turn, answer, then
from invite_bot.slack.inbound import view_value
from invite_bot.slack.outbound import Outbound
from invite_bot.slack.people import require_inviter
from invite_bot.slack.router import Router
from invite_bot.store import NewInviteJob

log = logging.getLogger(__name__)

Tell = Callable[[Message | str], Awaitable[object]]


class Requesting(Protocol):
    """What the invite command needs of the requests feature: a member asks instead."""

    async def asks_instead(self, user_id: str) -> Refused | None: ...

    async def ask(self, wish: Ask, *, tell: Tell) -> None: ...

    def form(self, roles: Sequence[str], *, default_role: str | None, metadata: str) -> View: ...


class BulkInviting(Protocol):
    """What the invite form needs of the bulk feature: a long list or a CSV."""

    def wants_bulk(self, text: str, files: Sequence[Mapping[str, Any]]) -> bool: ...

    def pasted_refusal(self, text: str) -> str | None: ...

    async def from_modal(
        self,
        *,
        user_id: str,
        channel_id: str,
        text: str,
        files: Sequence[Mapping[str, Any]],
        role: str | None,
        delivery_key: str,
    ) -> None: ...


MODAL_ERROR_LIMIT = 150  # Slack cuts inline field errors; keep them readable
UNKNOWN_TYPED_ROLE = (
    "Nothing was sent: {role} is not one of the organization's roles. Use one of {roles}, "
    "or leave out `--role` for the organization's default."
)
TOO_MANY_FOR_A_COMMAND = (
    "Nothing was sent: that is {count} addresses and one command takes at most {limit}. "
    "A longer list, up to {bulk_max}, goes in the form: type `/gencove invite` alone, then "
    "paste the list or attach a CSV file (or send either to the bot in a direct message)."
)


def register(
    router: Router,
    *,
    inviting: Inviting,
    asking: Requesting,
    bulk: BulkInviting,
    roles: Roles,
    outbound: Outbound,
) -> None:
    invites = _Invites(inviting, asking, bulk, roles, outbound)
    router.subcommand(Invite, invites.typed, name="invite")
    router.subcommand(InviteModal, invites.form_asked, name="invite")
    router.view(INVITE_MODAL, invites.form_submitted, name="invite_modal")
    # The Home tab's button: the same form as `/gencove invite` alone (or the Ask form).
    router.action(OPEN_INVITE_FORM, invites.form_clicked, name="open_invite_form")


class _Invites:
    def __init__(
        self,
        inviting: Inviting,
        asking: Requesting,
        bulk: BulkInviting,
        roles: Roles,
        outbound: Outbound,
    ) -> None:
        self.inviting, self.asking, self.bulk = inviting, asking, bulk
        self.roles, self.outbound = roles, outbound

    def typed(self, command: Invite, turn: Turn) -> Reply:
        addresses, refusal = self.inviting.read_addresses(command.addresses_text)
        if addresses.too_many:
            # Not a dead end: the form and a CSV take a longer list, as a bulk invite.
            settings = self.inviting.settings
            return answer(
                response_type="ephemeral",
                text=TOO_MANY_FOR_A_COMMAND.format(
                    count=addresses.count,
                    limit=settings.invite_max_per_command,
                    bulk_max=f"{settings.invite_bulk_max:,}",
                ),
            )
        if refusal is not None:
            return answer(response_type="ephemeral", text=refusal.message)
        return then(lambda: self._invite(turn, list(addresses.addresses), command.role))

    async def _invite(self, turn: Turn, addresses: list[str], role: str | None) -> None:
        request = turn.request
        if role is not None:
            checked = await self.roles.organization_role(role)
            if isinstance(checked, UnknownRole):  # privately, before anything is sent
                roles = human_list(checked.roles)
                await turn.reply(UNKNOWN_TYPED_ROLE.format(role=inline_code(role), roles=roles))
                return
            role = checked
        refusal = await self.asking.asks_instead(request.user)
        if refusal is not None:
            # A member who may not invite asks the inviters instead.
            wish = Ask(
                request.user, request.channel, tuple(addresses), role, None, request.delivery_key
            )
            await self.asking.ask(wish, tell=turn.reply)
            return
        job = NewInviteJob(
            slack_user_id=request.user,
            channel_id=request.channel,
            response_url=request.response_url,
            role=role,
            addresses=addresses,
            delivery_key=request.delivery_key,
        )
        await self.inviting.invite_if_allowed(job, tell=turn.reply)

    def form_clicked(self, turn: Turn) -> Reply:
        return then(lambda: self._open_form(turn, None))

    def form_asked(self, command: InviteModal, turn: Turn) -> Reply:
        return then(lambda: self._open_form(turn, command.role))

    async def _open_form(self, turn: Turn, role: str | None) -> None:
        request = turn.request
        # A member who may not invite gets the same form as a request, with a "Why?" field.
        form = bulk_invite_modal  # an inviter's has the CSV field: a bulk invite
        if await self.asking.asks_instead(request.user) is not None:
            form = self.asking.form
        elif not await require_inviter(self.inviting.inviters, turn):
            return
        metadata = json.dumps({"channel_id": request.channel})
        roles = self.roles.cached()
        # trigger_id lives 3 s: open now, fill the role list in once Gencove answers.
        opened = await turn.open_form(form(roles or [], default_role=role, metadata=metadata))
        if opened is None:
            return
        if roles is None:
            try:
                roles = await self.roles.names()
            except GencoveError as exc:
                log.warning("roles unavailable for the invite modal: %s", exc.message)
                if role:
                    reason = escape_mrkdwn(exc.message)
                    await turn.reply(
                        ROLES_UNAVAILABLE.format(role=escape_mrkdwn(role), reason=reason)
                    )
                return
            refreshed = form(roles, default_role=role, metadata=metadata)
            failure = await self.outbound.views.update(
                str(opened.get("id")), refreshed, hash=opened.get("hash")
            )
            if failure is not None:
                # hash_conflict: the user already typed or submitted; the role stays default.
                log.info("invite modal not refreshed: %s", failure.error)
        if role and role not in roles:
            await turn.reply(UNKNOWN_ROLE.format(role=escape_mrkdwn(role), roles=human_list(roles)))

    def form_submitted(self, turn: Turn) -> Reply:
        view = turn.payload
        text = str(view_value(view, ADDRESSES_BLOCK, ADDRESSES_INPUT).get("value") or "")
        selected = view_value(view, ROLE_BLOCK, ROLE_INPUT).get("selected_option") or {}
        role = selected.get("value") or None
        files = view_value(view, FILE_BLOCK, FILE_INPUT).get("files") or []
        if not text.strip() and not files:
            return _field_error("Type at least one address, or choose a CSV file.")
        if self.bulk.wants_bulk(text, files):
            # A long list or a file: checked row by row, then a bulk invite.
            too_many = self.bulk.pasted_refusal(text) if not files else None
            if too_many is not None:
                return _field_error(too_many)
            return then(lambda: self._bulk(turn, text, files, role))
        parsed, refusal = self.inviting.read_addresses(text)
        if refusal is not None:
            # Shown on the field itself; the modal stays open with what was typed.
            return _field_error(refusal.message.replace("`", "").replace("*", ""))
        return then(lambda: self._invite_from_form(turn, list(parsed.addresses), role))

    async def _bulk(
        self, turn: Turn, text: str, files: Sequence[Mapping[str, Any]], role: str | None
    ) -> None:
        request = turn.request
        await self.bulk.from_modal(
            user_id=request.user,
            channel_id=request.channel_id or request.user,
            text=text,
            files=files,
            role=role,
            delivery_key=request.delivery_key,
        )

    async def _invite_from_form(self, turn: Turn, addresses: list[str], role: str | None) -> None:
        request = turn.request
        job = NewInviteJob(
            slack_user_id=request.user,
            channel_id=request.channel_id or request.user,  # from the form's private_metadata
            response_url=None,
            role=role,
            addresses=addresses,
            delivery_key=request.delivery_key,
        )
        await self.inviting.invite_if_allowed(job, tell=turn.tell)


def _field_error(text: str) -> Reply:
    return answer(response_action="errors", errors={ADDRESSES_BLOCK: text[:MODAL_ERROR_LIMIT]})
