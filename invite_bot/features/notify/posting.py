"""Posting the outbox's notices: each channel on its own, paced, and summed up when many.

- **Per channel, in parallel**: one slow or rate-limited channel never holds up another.
- **Paced**: Slack takes about one message per second per channel, so posts to one
  channel are `SLACK_POST_INTERVAL` apart, counted from the answer to the one before
  (kept per process, across delivery rounds).
- **Summaries**: what waits for one channel at once — one poll's transitions, one invite
  job's announcements, a batch of reminders — goes out one by one up to five, and as ONE
  summary beyond (`invite_bot.domain.notices.plan_posts`). Announcements of an invite job
  still running are held back until it is done, so a 50-address invite is one summary.
- **Exactly once**: every post carries the outbox keys it covers in its Slack metadata;
  an item found 'sending' after a crash is first looked up in the channel's history.
- **DMs** (to an inviter) are posted in the app's conversation with that person.
- A reminder for an invitation that is no longer pending is dropped, never posted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from invite_bot.domain.notifications import Group, Notice, Single, Summary, plan_posts
from invite_bot.features.notify.blocks import (
    Digest,
    digest_message,
    notice_message,
    summary_message,
)
from invite_bot.features.notify.notices import Notices
from invite_bot.slack.blockkit import Message
from invite_bot.slack.errors import SlackFailure
from invite_bot.slack.outbound import Outbound
from invite_bot.slack.reading import Posted, keys_of
from invite_bot.store import OutboxItem, Store, Tx

log = logging.getLogger(__name__)

METADATA_EVENT = "invite_bot_notification"
MAX_ATTEMPTS = 8
HELD_BACK_FOR = timedelta(minutes=10)  # the longest an invite job's announcements wait
PERMANENT = {
    "channel_not_found",
    "is_archived",
    "not_in_channel",
    "invalid_blocks",
    "msg_too_long",
    "restricted_action",
    "invalid_metadata_format",
    "user_not_found",
    "cannot_dm_bot",
}


class _Unknown(Exception):
    """Slack could not say right now whether a post landed: ask again next round."""


class Poster:
    def __init__(
        self,
        store: Store,
        outbound: Outbound,
        notices: Notices,
        *,
        interval: float,
        still_leading: Callable[[], Awaitable[bool]],
    ) -> None:
        self.store, self.outbound, self.notices = store, outbound, notices
        self.interval = interval  # seconds between two posts to one channel, at least
        self._still_leading = still_leading
        self._lead_lock = asyncio.Lock()
        self._lost = False
        self._next_at: dict[str, float] = {}  # channel -> time.monotonic() of its next post

    async def deliver(self, items: Sequence[OutboxItem]) -> int:
        """Post `items` (notices; message updates are the caller's); returns posts made."""
        self._lost = False
        held = await self._held_back(items)
        by_channel: dict[str, list[OutboxItem]] = {}
        for item in items:
            if item.id not in held:
                by_channel.setdefault(item.channel_id, []).append(item)
        counts = await asyncio.gather(
            *(self._channel(channel, queued) for channel, queued in by_channel.items())
        )
        return sum(counts)

    async def leading(self) -> bool:
        """The caller's lease check, one at a time across channels."""
        async with self._lead_lock:
            if not self._lost and not await self._still_leading():
                log.warning("watcher lost its lease while delivering; leaving the rest")
                self._lost = True
            return not self._lost

    async def _held_back(self, items: Sequence[OutboxItem]) -> set[int]:
        """Announcements of invitations an invite job is still making: sent with the rest
        of that job's, once it is done (or after HELD_BACK_FOR, whatever happens)."""
        announcing = [i for i in items if i.kind == "notify" and i.new_status == "pending"]
        if not announcing:
            return set()
        now = datetime.now(UTC)
        busy = {
            item.email
            for job in await self.store.read(lambda tx: tx.jobs.unfinished())
            if job.created_at > now - HELD_BACK_FOR
            and job.lease_expires is not None
            and job.lease_expires > now
            and any(item.outcome is None for item in job.items)
            for item in job.items
        }
        return {i.id for i in announcing if str(i.payload.get("email") or "") in busy}

    async def _channel(self, channel: str, items: list[OutboxItem]) -> int:
        where = await self.outbound.conversation_with(channel)
        if isinstance(where, SlackFailure):
            log.warning("notices to %s wait: %s", channel, where.error)
            return 0
        try:
            items = await self._not_yet_posted(where, items)
            items = await self._still_due(items)
        except _Unknown:
            return 0
        posted = 0
        for post in _plan(items):
            if not await self.leading():
                break
            covered = list(post.items) if not isinstance(post, Single) else [post.item]
            message = await self._message(post)
            async with self._slot(where):
                await self._mark_sending(covered)
                sent = await self.outbound.post(
                    where,
                    message,
                    keys=[i.dedupe_key for i in covered],
                    since=min(i.created_at for i in covered),
                    event_type=METADATA_EVENT,
                )
            if isinstance(sent, SlackFailure):
                await self._failed(channel, covered, sent)
                continue
            await self._mark_sent({sent.ts: [i.id for i in covered]})
            posted += 1
        return posted

    async def _mark_sending(self, covered: Sequence[OutboxItem]) -> None:
        ids = [i.id for i in covered]
        await self.store.write(lambda tx: tx.outbox.mark_all_sending(ids))

    async def _mark_sent(self, landed: dict[str | None, list[int]]) -> None:
        """Record each message's items as sent with it (ts -> item ids), in one transaction."""

        def sent(tx: Tx) -> None:
            for ts, ids in landed.items():
                tx.outbox.mark_all_sent(ids, ts)

        await self.store.write(sent)

    async def _message(self, post: Single[OutboxItem] | _JobPost | Any) -> Message:
        if isinstance(post, Single):
            return notice_message(await self.notices.notice_for(post.item))
        if isinstance(post, _JobPost):
            return digest_message(await self._digest(post))
        groups = [
            Group(g.kind, g.status, tuple(str(i.payload.get("email") or "") for i in g.items))
            for g in post.groups
        ]
        return summary_message(groups)

    async def _digest(self, post: _JobPost) -> Digest:
        """The invitations one job made, in the order its addresses were typed; for a bulk
        invite, a link to its message, whose thread holds the report."""
        job = await self.store.read(lambda tx: tx.jobs.get(post.job_id))
        typed = {item.email: n for n, item in enumerate(job.items)} if job else {}
        notices = [await self.notices.notice_for(item) for item in post.items]
        rows = sorted((n.row for n in notices), key=lambda r: typed.get(r.email, len(typed)))
        inviter = job.slack_user_id if job else notices[0].inviter_id
        if job is None or job.kind != "bulk":
            return Digest(inviter_id=inviter, rows=rows)
        link = None
        if job.message_channel_id and job.message_ts:
            link = await self.outbound.reading.permalink(
                Posted(job.message_channel_id, job.message_ts)
            )
        return Digest(
            inviter_id=inviter,
            rows=rows,
            bulk=True,
            report=link,
            report_channel=job.message_channel_id,
        )

    async def _not_yet_posted(self, where: str, items: list[OutboxItem]) -> list[OutboxItem]:
        """Items a crash left 'sending' are looked up in the history first (once per
        channel); those found there are recorded as sent."""
        sending = [i for i in items if i.state == "sending"]
        if not sending:
            return items
        found = await self._in_history(where, min(i.created_at for i in sending))
        landed: dict[str | None, list[int]] = {}
        for item in sending:
            if item.dedupe_key in found:
                landed.setdefault(found[item.dedupe_key], []).append(item.id)
        if landed:
            await self._mark_sent(landed)
        done = {i for ids in landed.values() for i in ids}
        return [i for i in items if i.id not in done]

    async def _in_history(self, where: str, since: datetime) -> dict[str, str]:
        """Outbox key -> ts of the bot's notices in the channel since `since`."""
        history = await self.outbound.reading.history(where, since=since)
        if isinstance(history, SlackFailure):
            if history.outcome != "refused":
                raise _Unknown  # ask again next round rather than risk a second post
            return {}  # it can never be checked there: post (at least once beats never)
        return {key: str(message.get("ts")) for message in history for key in keys_of(message)}

    async def _still_due(self, items: list[OutboxItem]) -> list[OutboxItem]:
        """Reminders only for invitations still pending: the others are dropped."""
        reminded = list({i.invitation_id for i in items if i.kind == "reminder"})
        if not reminded:
            return items
        found = await self.store.read(lambda tx: tx.invitations.get_many(reminded))
        ended = {k.id: k.status for k in found if k.status != "pending"}
        dropped = {
            i.id: f"no longer pending: {ended[i.invitation_id]}"
            for i in items
            if i.kind == "reminder" and i.invitation_id in ended
        }
        if dropped:
            await self.store.write(lambda tx: _mark_failed(tx, dropped))
        return [i for i in items if i.id not in dropped]

    @contextlib.asynccontextmanager
    async def _slot(self, where: str) -> AsyncIterator[None]:
        """Wait for this channel's next slot (Slack: about one message a second). The next
        one opens `interval` after this post was answered, not after it was sent: Slack
        counts arrivals, and a post held up on its way must not bring the next one closer."""
        wait = self._next_at.get(where, 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            yield
        finally:
            self._next_at[where] = time.monotonic() + self.interval

    async def _failed(
        self, channel: str, covered: Sequence[OutboxItem], failure: SlackFailure
    ) -> None:
        error = failure.error
        dropped: dict[int, str] = {}
        released: list[int] = []
        for item in covered:
            if item.attempts + 1 >= MAX_ATTEMPTS or error in PERMANENT:
                log.error("notification to %s dropped: %s", channel, error)
                dropped[item.id] = error
            elif failure.may_have_happened:
                # Slack may have posted it: stay 'sending', so the next round looks in the
                # channel history before posting again.
                log.warning("notification to %s: %s, may have been posted", channel, error)
            else:
                released.append(item.id)
        if dropped or released:
            await self.store.write(lambda tx: _mark_failed(tx, dropped, released=released))


@dataclass(frozen=True)
class _JobPost:
    """The announcements of the invitations one invite job made: one post."""

    job_id: int
    items: tuple[OutboxItem, ...]


def _plan(items: Sequence[OutboxItem]) -> list[Single[OutboxItem] | Summary[OutboxItem] | _JobPost]:
    """The posts for one channel: an invite job's announcements (two or more) as one post,
    the rest one by one up to five, else one summary (`plan_posts`)."""
    by_job: dict[int, list[OutboxItem]] = {}
    for item in items:
        job_id = item.payload.get("job_id")
        if item.kind == "notify" and item.new_status == "pending" and isinstance(job_id, int):
            by_job.setdefault(job_id, []).append(item)
    jobs = {job_id: found for job_id, found in by_job.items() if len(found) > 1}
    in_jobs = {item.id for found in jobs.values() for item in found}
    rest = [
        Notice(i.kind, i.new_status, i)  # type: ignore[arg-type]
        for i in items
        if i.id not in in_jobs
    ]
    posts: list[Single[OutboxItem] | Summary[OutboxItem] | _JobPost] = [
        _JobPost(job_id, tuple(found)) for job_id, found in jobs.items()
    ]
    return posts + plan_posts(rest)


def _mark_failed(tx: Tx, dropped: dict[int, str], *, released: Sequence[int] = ()) -> None:
    """Give up on the `dropped` items (item id -> why) and put the `released` back."""
    for item_id, error in dropped.items():
        tx.outbox.mark_failed(item_id, error)
    for item_id in released:
        tx.outbox.release(item_id)
