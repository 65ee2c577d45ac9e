"""(c) Watcher cost: the watcher (`features/notify/watcher.py`) in this process vs re-listing
everything.

The organization lives in a standalone Gencove stand-in (validation off) seeded with
``total`` invitations, ``pending`` of them pending; Slack is a standalone stand-in too,
so ``time.process_time()`` here counts the poller only (its client, its store and its
SQLite thread), not the stand-ins. Between polls, and outside the timed region, the
stand-in's control API makes ``transitions`` changes: half of them pending invitations
accepted, revoked or expired (in turn), half new invitations, so ``pending`` stays put.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from bench.common import NOTIFY_CHANNEL, StandIn, app_env, gencove_stand_in, slack_stand_in
from invite_bot.app import build_bot, gencove_client, slack_client
from invite_bot.features.notify.watcher import PollStats
from invite_bot.gencove import GencoveClient
from invite_bot.store import Store
from tests.support.harness import settings_for


@dataclass
class RelistState:
    """What the re-listing baseline remembers between polls: every invitation's status."""

    statuses: dict[str, str] = field(default_factory=dict)
    primed: bool = False


async def relist_poll(
    gencove: GencoveClient, slack: AsyncWebClient, channel: str, state: RelistState
) -> PollStats:
    """The naive poll: read EVERY invitation (``status=all``, all pages), diff, notify.

    The first call only records (a silent baseline, like the watcher's). Each change
    (new invitation or new status) is posted to ``channel``, one message each.
    """
    stats = PollStats()
    before = gencove.requests_sent
    current: dict[str, str] = {}
    emails: dict[str, str] = {}
    async for invitation in gencove.iter_invitations("all"):
        current[invitation.id] = invitation.status
        emails[invitation.id] = invitation.email or ""
    stats.requests = gencove.requests_sent - before
    if not state.primed:
        state.statuses, state.primed, stats.baseline = current, True, True
        return stats
    changes = [
        (i, state.statuses.get(i), s) for i, s in current.items() if state.statuses.get(i) != s
    ]
    state.statuses = current
    stats.transitions = len(changes)
    for invitation_id, old, new in changes:
        await slack.chat_postMessage(
            channel=channel, text=f"Invitation for {emails[invitation_id]}: {old or 'new'} → {new}"
        )
        stats.notifications += 1
    return stats


@dataclass
class Sample:
    requests: int
    transitions: int
    notifications: int
    wall: float
    cpu: float


@dataclass
class WatcherResult:
    total: int
    pending: int
    transitions: int
    page_size: int
    watcher_baseline: Sample
    watcher: list[Sample]
    relist_baseline: Sample
    relist: list[Sample]


async def _timed(poll: Callable[[], Awaitable[PollStats]]) -> Sample:
    wall, cpu = time.perf_counter(), time.process_time()
    stats = await poll()
    return Sample(
        stats.requests,
        stats.transitions,
        stats.notifications,
        time.perf_counter() - wall,
        time.process_time() - cpu,
    )


class Churn:
    """Makes ``n`` changes to the organization between polls, via the control API."""

    def __init__(self, gencove: StandIn, pending: list[tuple[str, str]], seed: int = 7) -> None:
        self.gencove = gencove
        self.pending = pending  # (id, email) of each pending invitation
        self.rng = random.Random(seed)
        self.made = 0

    async def __call__(self, n: int) -> None:
        """Half of ``n`` leave ``pending`` (accepted, revoked, expired in turn), half are new,
        so the pending count stays put."""
        leaving = self.rng.sample(self.pending, n // 2)
        for item in leaving:
            self.pending.remove(item)
        for k, (invitation_id, email) in enumerate(leaving):
            if k % 3 == 0:
                await self.gencove.post("accept", {"email": email})
            elif k % 3 == 1:
                await self.gencove.post("revoke", {"id": invitation_id})
            else:
                await self.gencove.post("expire", {"id": invitation_id})
        for _ in range(n - len(leaving)):
            self.made += 1
            email = f"new-{self.made:05d}@lab.org"
            added = await self.gencove.post("invitations", {"email": email})
            self.pending.append((str(added["id"]), email))


async def watcher_cost(*, total: int, pending: int, transitions: int, polls: int) -> WatcherResult:
    with tempfile.TemporaryDirectory(prefix="bench-watcher-") as tmp:
        work = Path(tmp)
        async with (
            gencove_stand_in(work, latency=0, seed=(total, pending)) as gencove_fake,
            slack_stand_in(work) as slack_fake,
        ):
            state = await gencove_fake.get("state?invitations=1")
            churn = Churn(
                gencove_fake,
                [
                    (str(inv["id"]), str(inv["email"]))
                    for inv in state["invitations"] or []
                    if inv["status"] == "pending"
                ],
            )
            env = app_env(
                gencove_fake.url,
                slack_fake.url,
                f"sqlite+aiosqlite:///{work / 'watcher.sqlite3'}",
                INVITE_NOTIFY_CHANNEL=NOTIFY_CHANNEL,
            )
            settings = settings_for(env)
            store = await Store.open(settings.database_url)
            bot = build_bot(settings, store)
            gencove = gencove_client(settings)
            slack = slack_client(settings)
            try:
                watcher = bot.watcher()
                watcher_baseline = await _timed(watcher.poll)
                watched: list[Sample] = []
                for _ in range(polls):
                    await churn(transitions)
                    watched.append(await _timed(watcher.poll))
                relist_state = RelistState()

                async def relist() -> PollStats:
                    return await relist_poll(gencove, slack, NOTIFY_CHANNEL, relist_state)

                relist_baseline = await _timed(relist)
                relisted: list[Sample] = []
                for _ in range(polls):
                    await churn(transitions)
                    relisted.append(await _timed(relist))
            finally:
                await gencove.close()
                await bot.gencove.close()
                for client in (slack, bot.slack):
                    if client.session is not None:
                        await client.session.close()
                await store.close()
    return WatcherResult(
        total=total,
        pending=pending,
        transitions=transitions,
        page_size=100,
        watcher_baseline=watcher_baseline,
        watcher=watched,
        relist_baseline=relist_baseline,
        relist=relisted,
    )
