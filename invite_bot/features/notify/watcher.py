"""The watcher: poll Gencove, diff against the store, notify Slack — exactly once.

Poll strategy
-------------
Gencove has no webhook and no read-by-id, only lists filtered by status, newest first.
One poll costs:

1. every page of `status=pending` (ceil(pending / 100) requests). An id there that the
   store does not know is a new invitation (made outside Slack, or before the store knew).
2. Ids the store holds as pending but missing from that list have left `pending`:
   - those whose `expires` has passed are *expired* — decided locally, no request;
   - for the rest, the first pages of `status=accepted` and then `status=revoked` are
     read, newest first, only until every such id is found or the page reaches invitations
     older (earlier `expires`) than the oldest id still sought. That is usually one page
     each, and none at all in a poll where nothing left `pending` early.

So requests per poll = ceil(pending / page size) + (0, or about 1-2 when something was
accepted or revoked), whatever the size of the organization's history.

The very first poll is a silent baseline: what exists is recorded, not announced.
What each poll decides is `invite_bot.domain.transitions` (`diff`, then `located` for each
list read): pure functions; this module does the reading and the writing.

Exactly once
------------
A poll's transitions and the notifications they cause are written in ONE transaction
(`tx.transitions.apply`, unique per invitation, status and channel), then delivered
from that outbox. Each item is marked `sending` before the Slack call and `sent` after; a
notification carries its outbox key in Slack message metadata, so an item found in
`sending` after a crash is first looked up in the channel's recent history and re-posted
only if it is not there. Only one replica polls at a time (`store.leases.leadership`: a
PostgreSQL advisory lock, a lease row on SQLite); another takes over within one interval
when it dies. A SQLite lease is renewed from its own thread (`store.lease_keeper`), off
the event loop; the leader checks it before each Slack post and stops delivering as soon
as it is lost, so a replica whose SQLite lease ran out during a slow delivery never
sends alongside its successor. A database it cannot reach makes the watcher stand by and
retry, never exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from invite_bot.config.logs import new_request_id
from invite_bot.config.metrics import Metrics
from invite_bot.config.settings import Settings
from invite_bot.domain.notifications import reminder_due
from invite_bot.domain.transitions import LOOKUP_ORDER, diff, known_invitation, located
from invite_bot.features.notify.notices import Notices
from invite_bot.features.notify.posting import Poster
from invite_bot.gencove import GencoveError, Invitation
from invite_bot.gencove.client import GencoveClient
from invite_bot.gencove.models import ListStatus
from invite_bot.jobs.refresh import Messages
from invite_bot.slack.errors import SLACK_FAILURES, classify
from invite_bot.slack.outbound import Outbound
from invite_bot.store import (
    BASELINE_DONE,
    WATCHER_POLLED,
    KnownInvitation,
    LeaderLease,
    Store,
    StoreUnavailable,
    Transition,
    Tx,
)

log = logging.getLogger(__name__)

# The outbox kinds this watcher delivers (a request's reminder is the requests feature's).
DELIVERED = ("notify", "message_update", "reminder", "dm")
MAX_LOOKUP_PAGES = 10  # per status list, per poll: a safety bound, normally 1 is read


@dataclass
class PollStats:
    requests: int = 0
    transitions: int = 0
    notifications: int = 0
    baseline: bool = False


class Watcher:
    """Polls Gencove and tells Slack, in the one replica that holds the lease."""

    def __init__(
        self,
        *,
        store: Store,
        gencove: GencoveClient,
        outbound: Outbound,
        metrics: Metrics,
        settings: Settings,
        messages: Messages,
        settle_requests: Callable[[], Awaitable[int]],
        instance: str,
    ) -> None:
        self.store, self.gencove, self.metrics = store, gencove, metrics
        self.messages = messages  # the bot's posted messages, brought up to date
        self.settle_requests = settle_requests
        self.instance = instance
        self.interval = settings.watch_interval
        self.remind_before = settings.remind_before
        self.notify_channel = settings.invite_notify_channel
        # Set while run() holds leadership; poll()/deliver() called directly need none.
        self._lease: LeaderLease | None = None
        self._next_poll = 0.0  # time.monotonic() of run()'s next poll
        self._poster = Poster(
            store,
            outbound,
            Notices(store=store),
            interval=settings.slack_post_interval,
            still_leading=self._still_leading,
        )

    async def poll(self) -> PollStats:
        """One poll: read Gencove, record transitions, deliver the outbox.

        Measured (`invite_bot_watcher_*`), and logged under a request id of its own."""
        new_request_id()
        started, metrics = time.monotonic(), self.metrics
        try:
            stats = await self._poll()
        except GencoveError:
            metrics.poll_finished("gencove_error", time.monotonic() - started)
            raise
        except StoreUnavailable:
            metrics.poll_finished("database_error", time.monotonic() - started)
            raise
        except Exception:
            metrics.poll_finished("failed", time.monotonic() - started)
            raise
        metrics.poll_finished("baseline" if stats.baseline else "ok", time.monotonic() - started)
        # In the database, for /healthz of every process (the watcher may run elsewhere).
        polled = datetime.now(UTC).isoformat()
        await self.store.write(lambda tx: tx.state.set(WATCHER_POLLED, polled))
        return stats

    async def _poll(self) -> PollStats:
        stats = PollStats()
        await self._settle_requests()
        before = self.gencove.requests_sent
        now = datetime.now(UTC)
        pending = [inv async for inv in self.gencove.iter_invitations("pending")]
        if await self.store.read(lambda tx: tx.state.get(BASELINE_DONE)) is None:
            baseline = [known_invitation(inv, now=now) for inv in pending]
            await self.store.write(lambda tx: tx.transitions.baseline(baseline))
            stats.baseline = True
            stats.requests = self.gencove.requests_sent - before
            log.info("watcher baseline: %d pending invitations recorded", len(pending))
            return stats
        transitions = await self._transitions(pending, now)
        if transitions:
            channels = await self._channels()
            await self.store.write(
                lambda tx: tx.transitions.apply(transitions, notify_channels=channels)
            )
            self.metrics.transitions_found(t.new_status for t in transitions)
        stats.transitions = len(transitions)
        await self._remind(pending, now)
        stats.requests = self.gencove.requests_sent - before
        stats.notifications = await self.deliver()
        return stats

    async def _transitions(self, pending: list[Invitation], now: datetime) -> list[Transition]:
        """Read what `diff` needs, then look up what left `pending` early (see above)."""
        known, in_flight = await self.store.read(lambda tx: _known(tx, pending))
        decided = diff(pending, known, in_flight, now)
        found, sought = list(decided.transitions), decided.to_seek
        for status in LOOKUP_ORDER:
            if not sought:
                break
            step = located(sought, await self._search(status, sought), now)
            found += step.transitions
            sought = step.to_seek
        if sought:
            log.info("%d invitations left pending but were not found yet", len(sought))
        return found

    async def _search(
        self, status: ListStatus, sought: Mapping[str, KnownInvitation]
    ) -> list[Invitation]:
        """Read a status list newest first, only as deep as the oldest sought invitation."""
        oldest = min((k.expires for k in sought.values() if k.expires), default=None)
        hits: list[Invitation] = []
        pages = 0
        async for page in self.gencove.iter_pages(status):
            pages += 1
            hits += [inv for inv in page.results if inv.id in sought]
            if len(hits) == len(sought) or pages >= MAX_LOOKUP_PAGES or not page.results:
                break
            if oldest is not None and page.results[-1].expires < oldest:
                break
        return hits

    async def _settle_requests(self) -> None:
        """Invite requests whose time is up are marked expired on their messages, and any
        decision a crashed process did not show yet is shown (each once: deciding.py).
        Needs no Gencove, so it runs first; a failure here does not stop the poll."""
        try:
            settled = await self.settle_requests()
        except StoreUnavailable as exc:
            log.warning("invite requests not settled, database unavailable: %s", exc.kind)
            return
        except Exception:
            log.exception("invite requests not settled")
            return
        if settled:
            log.info("invite requests: %d outcomes shown", settled)

    async def deliver(self) -> int:
        """Send what the outbox holds; returns how many Slack posts were made."""
        # Read the outbox only while leading (a lease that lapsed during a long Gencove
        # read is taken back if no other replica took it: then nobody sent anything since).
        if not await self._lead():
            return 0
        items = await self.store.read(lambda tx: tx.outbox.claim(limit=200, kinds=DELIVERED))
        for item in items:
            if item.kind != "message_update":
                continue
            # A long delivery (slow or rate-limited Slack) can outlast a SQLite lease: before
            # each call make sure no other replica took over and is sending these items too.
            if not await self._still_leading():
                log.warning("watcher lost its lease while delivering; leaving the rest")
                return 0
            await self._update_message(item.id, item.invitation_id)
        # Notices: per channel, paced, more than five at once as one summary (posting.py).
        posted = await self._poster.deliver([i for i in items if i.kind != "message_update"])
        await self._still_leading()  # the last post may have taken most of the lease's ttl
        return posted

    async def _update_message(self, item_id: int, invitation_id: str) -> None:
        """Deliver a `message_update` item: the result message shows the new status."""
        await self.store.write(lambda tx: tx.outbox.mark_sending(item_id))
        await self.messages.refresh_invitation(invitation_id)
        await self.store.write(lambda tx: tx.outbox.mark_sent(item_id, None))

    async def _remind(self, pending: list[Invitation], now: datetime) -> None:
        """Queue the reminder of each invitation, still in Gencove's pending list, that
        expires within INVITE_REMIND_BEFORE: once per invitation (tx.reminders)."""
        before = self.remind_before
        due = {inv.id: inv.expires for inv in pending if reminder_due(inv.expires, now, before)}
        if not due:
            return
        known = await self.store.read(lambda tx: tx.invitations.get_many(list(due)))
        fresh = [dataclasses.replace(k, expires=due[k.id]) for k in known if k.status == "pending"]
        channels = await self._channels()
        queued = await self.store.write(lambda tx: tx.reminders.queue(fresh, channels=channels))
        if queued:
            log.info("reminders queued: %d posts", len(queued))

    async def _channels(self) -> list[str]:
        """The channels told of invitation changes."""
        return await self.store.read(lambda tx: tx.subscriptions.notified(also=self.notify_channel))

    async def _still_leading(self) -> bool:
        """Renew the lease (when run() holds one); False once another replica may lead."""
        return self._lease is None or await self._lease.renew()

    async def _lead(self) -> bool:
        """Keep the lease, or take it (back) when free; True while this replica leads."""
        lease = self._lease
        if lease is None:
            return True
        if lease.held:
            if await lease.renew():
                return True
            log.warning("watcher lost its lease")
        if await lease.try_acquire():
            log.info("watcher took the lead (%s)", self.instance)
            return True
        return False

    def poll_soon(self) -> None:
        """Have run() poll at its next tick instead of waiting out the interval."""
        self._next_poll = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        """Poll every interval while this replica holds the lease; stand by otherwise."""
        tick = max(0.05, self.interval / 4)
        # A lease of one interval, renewed from a thread of its own (store.lease_keeper) so
        # a burst of Slack requests on this event loop cannot make it lapse; it is checked
        # (in memory) every tick and before each post. A dead leader's lease runs out
        # within one interval, and a stand-by (trying every tick) takes over.
        lease = self.store.leases.leadership(
            "watcher", owner=self.instance, ttl=timedelta(seconds=max(0.5, self.interval))
        )
        lease.keep_renewed()
        self._next_poll = 0.0
        self._lease = lease
        try:
            while not stop.is_set():
                leading = lease.held
                try:
                    lead = await self._lead()
                except Exception as exc:  # the database is unreachable: stand by, retry
                    log.warning("watcher cannot check its lease: %s", type(exc).__name__)
                    lead = False
                if lead and time.monotonic() >= (self._next_poll if leading else 0.0):
                    self._next_poll = time.monotonic() + self.interval
                    try:
                        stats = await self.poll()
                        log.info(
                            "poll: %d requests, %d transitions, %d notifications",
                            stats.requests,
                            stats.transitions,
                            stats.notifications,
                        )
                    except GencoveError as exc:
                        log.warning("poll failed: %s", exc.message)
                    except StoreUnavailable as exc:
                        # The database went away mid-poll: what was recorded stays, the
                        # rest is redone (an item left 'sending' is checked, not re-sent).
                        log.warning("poll failed, database unavailable: %s", exc.kind)
                    except SLACK_FAILURES as exc:  # a Slack timeout is an OSError too
                        log.warning("poll failed, Slack: %s", classify(exc).sentence)
                    except Exception:
                        log.exception("poll failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=tick)
        finally:
            self._lease = None
            try:
                await lease.release()
            except Exception as exc:  # it lapses (SQLite) or dies with the connection (PG)
                log.warning("watcher could not release its lease: %s", type(exc).__name__)


def _known(tx: Tx, pending: list[Invitation]) -> tuple[list[KnownInvitation], set[str]]:
    """What `diff` needs from the store: the invitations it holds as pending, plus those of
    Gencove's pending list it holds otherwise; and the addresses of invite jobs at work."""
    known = tx.invitations.with_status("pending")
    # An invite job still at work records its invitations (and announces them) itself.
    in_flight = {
        item.email for job in tx.jobs.unfinished() for item in job.items if item.outcome is None
    }
    # Read after the jobs, so an invitation a job recorded meanwhile is known here.
    pending_ids = {k.id for k in known}
    if unlisted := [inv.id for inv in pending if inv.id not in pending_ids]:
        known += tx.invitations.get_many(unlisted)
    return known, in_flight
