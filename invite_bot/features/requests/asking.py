"""Invite requests, the Slack side of asking: a member who may not invite asks instead.

`/gencove invite …` (or the Ask form) from a member stores a request and posts it to
`INVITE_APPROVAL_CHANNEL`, else as a DM to each inviter (at most five), else to the
notification channel, with Approve and Deny buttons; the member is told privately. The
decisions (the buttons, the Deny form, Withdraw, expiry) are in `deciding`.
`/gencove requests` lists the open ones.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.config.settings import Settings
from invite_bot.domain.policy import Refused
from invite_bot.domain.requests import (
    NOWHERE_TO_ASK,
    Ask,
    Destinations,
    check_ask,
    destinations,
    expires_at,
    may_ask_instead,
)
from invite_bot.features.invite.checks import Inviting
from invite_bot.features.requests.blocks import (
    ask_modal,
    asked,
    request_message,
)
from invite_bot.slack.blockkit import Message, note
from invite_bot.slack.errors import classify
from invite_bot.slack.outbound import Outbound
from invite_bot.slack.reading import Posted
from invite_bot.store import InviteRequest, NewInviteRequest, Store, Tx
from invite_bot.store.schema import utcnow

log = logging.getLogger(__name__)

Tell = Callable[[Message], Awaitable[object]]


class Asking:
    """A member's invite becomes a request to the inviters (see the module doc)."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        outbound: Outbound,
        inviting: Inviting,
        client: AsyncWebClient,
    ) -> None:
        self.settings = settings
        self.store = store
        self.outbound = outbound
        self.inviting = inviting
        self.client = client

    def form(self, roles: Sequence[str], *, default_role: str | None, metadata: str) -> View:
        """The invite form as a member sees it: it asks the inviters (with a "Why?")."""
        return ask_modal(roles, default_role=default_role, metadata=metadata)

    async def asks_instead(self, user_id: str) -> Refused | None:
        """The refusal that makes this user's invite a request (they are not an inviter);
        None for an inviter, or when the permission lookup failed (that stays a refusal)."""
        decision = await self.inviting.inviters.check(user_id)
        return decision if isinstance(decision, Refused) and may_ask_instead(decision) else None

    async def ask(self, wish: Ask, *, tell: Tell) -> None:
        """Store the request and post it for the inviters; `tell` the member how it went.

        The checks at request time, in order: at most 10 open requests per member, then the
        member's `INVITE_RATE_LIMIT` (the addresses count against it); the addresses and the
        allow-list were checked before (`read_addresses`). A redelivered command posts nothing.
        """
        targets = await self._where_to_ask(wish)
        if isinstance(targets, str):
            await tell(note(targets))
            return
        now = utcnow()
        request_id, created = await self._store_request(wish, now)
        if not created:
            log.info("invite request %s was already asked (a redelivery)", request_id)
            return
        request = await self.store.read(lambda tx: tx.requests.get(request_id))
        assert request is not None
        posted = await self._post_request(request, targets, since=now)
        confirmation = asked(request, where=_where_posted(targets, posted=posted))
        await tell(confirmation)

    async def _where_to_ask(self, wish: Ask) -> Destinations | str:
        """Where the request goes, or why it may not be asked (the member's to read)."""
        user = wish.requester
        too_many = check_ask(await self.store.read(lambda tx: tx.requests.count_open(user)))
        if too_many is not None:
            return too_many.message
        count = len(wish.addresses)
        limited = self.inviting.over_rate(user, count)
        if limited is not None:
            return limited.message
        targets = destinations(
            approval_channel=self.settings.invite_approval_channel,
            inviters=await self.inviter_ids(),
            notification_channels=await self._channels(),
        )
        if not targets.targets:
            log.warning(
                "a member's invite request has nowhere to go: set INVITE_APPROVAL_CHANNEL "
                "(or INVITE_ADMINS, or a notification channel)"
            )
            return NOWHERE_TO_ASK
        return targets

    async def _store_request(self, wish: Ask, now: datetime) -> tuple[int, bool]:
        """The request's id, and whether this call created it (False: a redelivery), audited."""
        new = NewInviteRequest(
            requester_slack_id=wish.requester,
            channel_id=wish.channel_id,
            addresses=wish.addresses,
            role=wish.role,
            reason=wish.reason,
            expires_at=expires_at(now, self.settings.request_ttl),
            delivery_key=wish.delivery_key,
        )

        def store(tx: Tx) -> tuple[int, bool]:
            request_id, created = tx.requests.create(new)
            if created:
                tx.audit.add(
                    actor_slack_id=wish.requester,
                    action="request_asked",
                    channel_id=wish.channel_id,
                    detail={
                        "request": request_id,
                        "addresses": list(wish.addresses),
                        "role": wish.role,
                    },
                )
            return request_id, created

        return await self.store.write(store)

    async def _post_request(
        self, request: InviteRequest, targets: Destinations, *, since: datetime
    ) -> int:
        """Post the request message to each target; how many took it."""
        message = request_message(request)
        posted = 0
        for target in targets.targets:
            where = await self.outbound.post(
                target, message, keys=[f"invite-request:{request.id}:{target}"], since=since
            )
            if isinstance(where, Posted):
                await self._posted_at(request.id, where)
                posted += 1
            else:
                log.error("invite request %s not posted to %s: %s", request.id, target, where.error)
        return posted

    async def _posted_at(self, request_id: int, where: Posted) -> None:
        await self.store.write(
            lambda tx: tx.requests.add_message(request_id, where.channel, where.ts)
        )

    async def _channels(self) -> list[str]:
        also = self.settings.invite_notify_channel
        return await self.store.read(lambda tx: tx.subscriptions.notified(also=also))

    async def inviter_ids(self) -> list[str] | None:
        """The inviters by user ID, when the bot can list them (INVITE_ADMINS users, and the
        members of its user groups); None when workspace admins are the inviters."""
        admins = self.settings.admins
        if not admins.configured:
            return None
        users = set(admins.users)
        for group in sorted(admins.groups):
            try:
                response = await self.client.usergroups_users_list(usergroup=group)
            except SlackApiError as exc:
                log.warning("members of %s unknown: %s", group, classify(exc).error)
                return None
            users.update(str(u) for u in response.get("users") or [])
        return sorted(users)


def _where_posted(targets: Destinations, *, posted: int) -> str:
    """Where the member is told the request went."""
    if not posted:
        return "Slack would not take the request message; inviters see it in `/gencove requests`"
    if targets.kind == "inviters":
        return f"a direct message to {len(targets.targets)} inviter" + (
            "s" if len(targets.targets) != 1 else ""
        )
    return f"in <#{targets.targets[0]}>"
