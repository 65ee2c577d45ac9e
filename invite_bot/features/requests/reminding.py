"""Reminders of invite requests nobody answered: one per request, exactly once.

A request still open `INVITE_REQUEST_REMIND_AFTER` after it was asked gets ONE reminder
where it was posted (the approval channel, or each inviter's DM), with how long it has
waited and the same Approve and Deny buttons; the member who asked is told by DM that it
still waits. The watcher drives it (`settle_and_remind`), in the replica that leads.

Exactly once, the shape of the invitations' reminders: the reminder is claimed with its
posts queued in the outbox in one transaction (`tx.request_reminders.queue`); each post
is taken for sending with a conditional UPDATE, carries its outbox key in the message's
metadata, and one left 'sending' by a dead sender is looked up in the channel's history
before it is posted again. A request decided before its reminder went out gets none.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from invite_bot.domain.requests import reminder_due_since
from invite_bot.domain.text import describe_duration
from invite_bot.features.requests.blocks import reminder_message, still_waiting
from invite_bot.slack.blockkit import Message
from invite_bot.slack.errors import SlackFailure
from invite_bot.slack.outbound import Outbound
from invite_bot.store import InviteRequest, OutboxItem, Store, Tx
from invite_bot.store.repositories.reminders import TO_INVITERS
from invite_bot.store.schema import utcnow

log = logging.getLogger(__name__)

METADATA_EVENT = "invite_bot_request_reminder"
STALE_SENDING = timedelta(minutes=2)  # a post left 'sending' this long: its sender died
MAX_ATTEMPTS = 8
RETRY_AFTER = timedelta(seconds=30)


class Reminding:
    """Queues and sends the reminders of requests nobody decided (see the module doc)."""

    def __init__(self, *, store: Store, outbound: Outbound, after: timedelta | None) -> None:
        self.store = store
        self.outbound = outbound
        self.after = after  # INVITE_REQUEST_REMIND_AFTER; None: no reminders

    async def remind_due(self) -> int:
        """Queue the reminders that came due, then send what waits; how many were posted."""
        await self._queue_due()
        return await self._send_waiting()

    async def _queue_due(self) -> None:
        now = utcnow()
        asked_before = reminder_due_since(now, self.after)
        if asked_before is None:
            return
        due = await self.store.read(lambda tx: tx.request_reminders.due(asked_before, now))
        for request_id in due:
            queued = await self.store.write(functools.partial(_queue, request_id=request_id))
            if queued:
                log.info("invite request %s: reminder queued (%d posts)", request_id, queued)

    async def _send_waiting(self) -> int:
        items = await self.store.read(lambda tx: tx.request_reminders.waiting(stale=STALE_SENDING))
        posted = 0
        for item in items:
            posted += await self._send(item)
        return posted

    async def _send(self, item: OutboxItem) -> int:
        request_id = int(item.payload.get("request_id") or 0)
        request = await self.store.read(lambda tx: tx.requests.get(request_id))
        if request is None or request.status != "open":
            why = f"no longer open: {request.status if request else 'gone'}"
            await self.store.write(lambda tx: tx.outbox.mark_failed(item.id, why))
            return 0
        if not await self.store.write(lambda tx: tx.request_reminders.take(item)):
            return 0  # another sender took it
        where = await self.outbound.conversation_with(item.channel_id)
        if isinstance(where, SlackFailure):
            await self._failed(item, where)
            return 0
        sent = await self.outbound.post(
            where,
            self._message(item, request),
            keys=[item.dedupe_key],
            since=item.created_at,
            event_type=METADATA_EVENT,
            look_first=item.state == "sending",
        )
        if isinstance(sent, SlackFailure):
            await self._failed(item, sent)
            return 0
        await self.store.write(lambda tx: tx.outbox.mark_sent(item.id, sent.ts))
        return 1

    def _message(self, item: OutboxItem, request: InviteRequest) -> Message:
        waited = describe_duration((utcnow() - request.created_at).total_seconds())
        if item.new_status == TO_INVITERS:
            return reminder_message(request, waited=waited)
        return still_waiting(request, waited=waited)

    async def _failed(self, item: OutboxItem, failure: SlackFailure) -> None:
        """Refused (or tried too often): dropped; Slack may have posted it: left 'sending'
        (its history is checked when it is taken again); else tried again later."""
        if failure.outcome == "refused" or item.attempts + 1 >= MAX_ATTEMPTS:
            log.error("a request reminder to %s dropped: %s", item.channel_id, failure.error)
            await self.store.write(lambda tx: tx.outbox.mark_failed(item.id, failure.error))
        elif failure.outcome == "later":
            log.warning("a request reminder to %s waits: %s", item.channel_id, failure.error)
            await self.store.write(
                lambda tx: tx.outbox.release(item.id, retry_after=RETRY_AFTER, error=failure.error)
            )
        else:
            log.warning("a request reminder to %s may have been posted", item.channel_id)


def _queue(tx: Tx, *, request_id: int) -> int:
    """Claim one request's reminder and queue its posts (nothing if claimed before)."""
    request = tx.requests.get(request_id)
    if request is None or request.status != "open":
        return 0
    return len(tx.request_reminders.queue(request, now=utcnow()))


def settle_and_remind(
    settle: Callable[[], Awaitable[int]], reminding: Reminding
) -> Callable[[], Awaitable[int]]:
    """What the watcher runs for invite requests each poll: show the outcomes (deciding),
    then remind those nobody answered."""

    async def run() -> int:
        return await settle() + await reminding.remind_due()

    return run
