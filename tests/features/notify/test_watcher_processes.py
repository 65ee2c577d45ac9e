"""Real `python -m invite_bot watch` processes, killed with SIGKILL and restarted.

The watcher promises every invitation transition is notified exactly once per channel,
across crashes and across replicas (SPEC "Notifications"). These tests run the watcher
as separate OS processes against the Gencove and Slack stand-ins (in this test's event
loop, on 127.0.0.1), kill them at seeded-random moments and at the worst moment (while a
Slack post is in flight, so it lands after the process died and before it was recorded as
sent), restart them, and count the notifications in the channel. Two processes on one
database: only the leader polls, and the other takes over within one WATCH_INTERVAL of a
kill -9. A database outage makes a watcher wait, not exit.
"""

from __future__ import annotations

import asyncio
import random
import re
import signal
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from invite_bot.playground.gencove import FakeGencove, FakeInvitation
from invite_bot.playground.slack import FakeSlack
from tests.faults import SlackFault, SlackFaults
from tests.support.dbs import DATABASES, fresh_database
from tests.support.harness import bot_environment
from tests.support.processes import WatcherProcess, start_watcher
from tests.support.waiting import wait_until

CHANNEL = "C0NOTIFY1"
INVITATIONS = "/api/v2/invitations/"
_EMAIL = re.compile(r"[\w.+-]+@lab\.org")


_SUMMARY_VERBS = {
    "sent": "pending",
    "accepted": "accepted",
    "revoked": "revoked",
    "expired": "expired",
}
_SUMMARY_HEAD = re.compile(r"\*\d+ invitations? (sent|accepted|revoked|expired):\*")


def notified(slack: FakeSlack, channel: str = CHANNEL) -> Counter[tuple[str, str]]:
    """How many notifications the channel holds per (email, status); a summary (more
    than five at once) counts once for each address it lists."""
    counts: Counter[tuple[str, str]] = Counter()
    for message in slack.messages_in(channel):
        text = message.text or ""
        if any(str(b.get("block_id", "")).startswith("summary:") for b in message.blocks or []):
            status = ""
            for block in message.blocks or []:
                line = str((block.get("text") or {}).get("text") or "")
                head = _SUMMARY_HEAD.search(line)
                if head:
                    status = _SUMMARY_VERBS[head.group(1)]
                for email in _EMAIL.findall(line):
                    counts[email, status] += 1
            continue
        match = _EMAIL.search(text)
        assert match, text
        if "was invited" in text:
            status = "pending"
        elif "accepted the invitation" in text:
            status = "accepted"
        elif "was revoked" in text:
            status = "revoked"
        elif "expired" in text:
            status = "expired"
        else:
            raise AssertionError(f"not a notification: {text}")
        counts[match.group(0), status] += 1
    return counts


def metadata_keys(slack: FakeSlack, channel: str = CHANNEL) -> list[str]:
    """The outbox keys the channel's messages carry (a summary carries all it covers)."""
    keys: list[str] = []
    for m in slack.messages_in(channel):
        payload = (m.metadata or {}).get("event_payload") or {}
        keys += [str(k) for k in payload.get("keys") or [payload.get("key")]]
    return keys


Change = tuple[str, str, Callable[[], object]]  # email, new status, how to cause it


def transition_plan(gencove: FakeGencove, rng: random.Random, existing: int) -> list[Change]:
    """Accept, revoke or expire each of the `existing` pending invitations, and invite a
    few new addresses outside Slack, in a seeded-random order."""
    pending: list[FakeInvitation] = list(gencove.invitations.values())[:existing]
    plan: list[Change] = []

    def change(kind: str, invitation: FakeInvitation) -> Callable[[], object]:
        if kind == "accepted":
            return lambda: gencove.accept(invitation)
        if kind == "revoked":
            return lambda: gencove.revoke(invitation.id)
        return lambda: gencove.expire(invitation)

    def invite(email: str) -> Callable[[], object]:
        return lambda: gencove.add_invitation(email)

    for index, invitation in enumerate(pending):
        kind = ("accepted", "revoked", "expired")[index % 3]
        plan.append((invitation.email, kind, change(kind, invitation)))
    for index in range(30 - existing):
        email = f"new{index:02d}@lab.org"
        plan.append((email, "pending", invite(email)))
    rng.shuffle(plan)
    return plan


def post_in_flight(slack: FakeSlack) -> bool:
    """A chat.postMessage the fake is still delaying (it completes even if the caller died)."""
    return any(
        c.response is None and c.fault == "delay" for c in slack.calls_to("chat.postMessage")
    )


@pytest.mark.parametrize("kind", DATABASES)
async def test_kill_9_at_random_points_then_restart_notifies_each_transition_once(
    kind: str, gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults, tmp_path: Path
) -> None:
    """SIGKILL a real watcher process again and again -- at seeded-random moments during
    polls, and while a (slow) Slack post is in flight -- restart it each time; in the end
    each of 30 transitions (accepted, revoked, expired, invited outside Slack) has exactly
    one notification in the channel, on SQLite and on PostgreSQL."""
    rng = random.Random(f"kill-9/{kind}")
    gencove.latency = 0.01  # polls take a little while, so kills land inside them
    for index in range(24):
        gencove.add_invitation(f"user{index:02d}@lab.org")
    plan = transition_plan(gencove, rng, existing=24)
    expected = Counter((email, status) for email, status, _ in plan)
    async with fresh_database(kind, tmp_path) as url:
        env = bot_environment(
            gencove,
            slack,
            url,
            WATCH_INTERVAL="0.2",
            INVITE_NOTIFY_CHANNEL=CHANNEL,
            SLACK_POST_INTERVAL="0.05",  # pacing has its own test (test_summaries.py)
        )
        generation = 0
        watcher = await start_watcher(env, tmp_path, f"watcher-{generation}")
        started = [watcher]
        try:
            await watcher.wait_for_output("watcher baseline")
            in_flight_kills = 0
            while plan:
                size = rng.randint(2, 5)
                batch, plan = plan[:size], plan[size:]
                for _email, _status, change in batch:
                    change()
                if generation % 2:
                    # The worst moment: Slack has the post, the store still says 'sending'.
                    slack_faults.inject("chat.postMessage", SlackFault.delay(0.3))
                    await wait_until(lambda: post_in_flight(slack), 10, "a slow post", watcher)
                    in_flight_kills += 1
                else:
                    if rng.random() < 0.5:
                        slack_faults.inject("chat.postMessage", SlackFault.delay(0.2))
                    await asyncio.sleep(rng.uniform(0.0, 0.6))
                await watcher.kill()
                assert watcher.process.returncode == -signal.SIGKILL
                generation += 1
                watcher = await start_watcher(env, tmp_path, f"watcher-{generation}")
                started.append(watcher)
            await wait_until(
                lambda: sum(notified(slack).values()) >= sum(expected.values()),
                15,
                "every notification",
                *started,
            )
            await asyncio.sleep(1.0)  # five more polls: nothing more may arrive
            assert await watcher.stop() == 0
        finally:
            for process in started:
                await process.kill()
    assert generation >= 6
    assert in_flight_kills >= 3
    assert notified(slack) == expected
    keys = metadata_keys(slack)
    assert len(keys) == len(set(keys)) == 30
    # Posts cut off by a kill still landed; each left a 'sending' item that the next
    # process looked up in the channel history instead of posting it again.
    posts = slack.calls_to("chat.postMessage")
    assert all(call.ok for call in posts)
    assert len(posts) == len(slack.messages_in(CHANNEL))  # none posted twice
    assert len(slack.calls_to("conversations.history")) >= in_flight_kills


def leaders(*watchers: WatcherProcess) -> list[WatcherProcess]:
    return [w for w in watchers if "watcher took the lead" in w.output()]


def polls(watcher: WatcherProcess) -> int:
    return watcher.output().count("invite_bot.features.notify.watcher: poll:")


def list_requests_since(gencove: FakeGencove, since: datetime) -> list[datetime]:
    return sorted(
        r.received
        for r in gencove.requests
        if r.method == "GET" and r.path == INVITATIONS and r.received > since
    )


@pytest.mark.parametrize("kind", DATABASES)
async def test_two_watchers_on_one_database_one_polls_the_other_takes_over_on_kill_9(
    kind: str, gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults, tmp_path: Path
) -> None:
    """Two watcher processes share one PostgreSQL database: only the leader polls, each
    transition is notified once; SIGKILL the leader in the middle of a poll and the other
    takes the lead within one WATCH_INTERVAL (+1 s for scheduling) and goes on notifying
    exactly once -- also after the killed one comes back as a stand-by."""
    interval = 1.0
    rng = random.Random("two-watchers")
    for index in range(24):
        gencove.add_invitation(f"user{index:02d}@lab.org")
    plan = transition_plan(gencove, rng, existing=24)
    expected = Counter((email, status) for email, status, _ in plan)

    def apply(count: int) -> int:
        nonlocal plan
        batch, plan = plan[:count], plan[count:]
        for _email, _status, change in batch:
            change()
        return len(batch)

    async with fresh_database(kind, tmp_path) as url:
        env = bot_environment(
            gencove,
            slack,
            url,
            WATCH_INTERVAL=str(interval),
            INVITE_NOTIFY_CHANNEL=CHANNEL,
            SLACK_POST_INTERVAL="0.05",
        )
        first, second = await asyncio.gather(
            start_watcher(env, tmp_path, "watcher-a"), start_watcher(env, tmp_path, "watcher-b")
        )
        started = [first, second]
        try:
            await wait_until(lambda: bool(leaders(first, second)), 5, "a leader", first, second)
            (leader,) = leaders(first, second)
            standby = second if leader is first else first
            await leader.wait_for_output("watcher baseline")

            # Slack is slow: delivering this batch takes longer than a SQLite lease lasts
            # unrenewed, yet the leader keeps the lead while it delivers.
            slack_faults.inject("chat.postMessage", *[SlackFault.delay(0.3)] * 10)
            done = apply(10)
            await wait_until(lambda: sum(notified(slack).values()) >= done, 10, "10", *started)
            assert polls(leader) >= 1
            assert polls(standby) == 0, standby.output()
            assert leaders(first, second) == [leader]

            # Kill the leader while its poll is inside Gencove, with transitions waiting.
            done += apply(10)
            gencove.hold = asyncio.Event()
            requests_before = len(gencove.requests)
            await wait_until(lambda: len(gencove.requests) > requests_before, 5, "a poll")
            # Still the same leader, which never lost the lead, slow Slack notwithstanding.
            assert leaders(first, second) == [leader]
            assert "lost its lease" not in leader.output()
            killed_at = datetime.now(UTC)
            await leader.kill()
            dead_at = datetime.now(UTC)
            gencove.hold.set()
            gencove.hold = None
            await wait_until(
                lambda: bool(list_requests_since(gencove, dead_at)), 5, "a new poll", standby
            )
            failover = (list_requests_since(gencove, dead_at)[0] - killed_at).total_seconds()
            print(f"failover after kill -9: {failover:.3f} s (WATCH_INTERVAL {interval} s)")
            assert failover <= interval + 1.0
            await standby.wait_for_output("watcher took the lead")
            await wait_until(lambda: sum(notified(slack).values()) >= done, 10, "20", *started)

            # The killed replica comes back: it stands by, nothing is notified twice.
            back = await start_watcher(env, tmp_path, "watcher-a-again")
            started.append(back)
            done += apply(10)
            await wait_until(lambda: sum(notified(slack).values()) >= done, 10, "30", *started)
            await asyncio.sleep(2 * interval)
            assert polls(back) == 0
            assert await back.stop() == 0
            assert await standby.stop() == 0
        finally:
            for process in started:
                await process.kill()
    assert plan == []
    assert notified(slack) == expected
    keys = metadata_keys(slack)
    assert len(keys) == len(set(keys)) == 30


class TcpProxy:
    """A loopback TCP forwarder that the test can cut (as a database outage looks to a
    client: established links reset, new ones refused) and restore on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def down(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._links):
            writer.transport.abort()
        self._links.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._links |= {writer, up_writer}
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self._links.discard(writer)
            writer.transport.abort()


async def test_watcher_process_rides_out_a_database_outage(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    """PostgreSQL becomes unreachable for two seconds (links reset, connections refused):
    the watcher process neither exits nor loses a transition, and once the database is
    back it notifies what happened meanwhile, each transition exactly once."""
    rng = random.Random("outage")
    for index in range(24):
        gencove.add_invitation(f"user{index:02d}@lab.org")
    plan = transition_plan(gencove, rng, existing=24)
    expected = Counter((email, status) for email, status, _ in plan)
    async with fresh_database("postgresql", tmp_path) as direct_url:
        direct = make_url(direct_url)
        proxy = TcpProxy(direct.host or "127.0.0.1", direct.port or 5432)
        await proxy.up()
        url = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
        env = bot_environment(
            gencove,
            slack,
            url,
            WATCH_INTERVAL="0.2",
            INVITE_NOTIFY_CHANNEL=CHANNEL,
            SLACK_POST_INTERVAL="0.05",  # pacing has its own test (test_summaries.py)
        )
        watcher = await start_watcher(env, tmp_path, "watcher")
        try:
            await watcher.wait_for_output("watcher baseline")
            for _email, _status, change in plan[:10]:
                change()
            await wait_until(lambda: sum(notified(slack).values()) >= 10, 10, "10", watcher)
            await proxy.down()
            for _email, _status, change in plan[10:]:
                change()
            await asyncio.sleep(2.0)
            assert watcher.process.returncode is None, watcher.output()
            await proxy.up()
            await wait_until(lambda: sum(notified(slack).values()) >= 30, 15, "30", watcher)
            await asyncio.sleep(0.6)
            assert await watcher.stop() == 0
        finally:
            await watcher.kill()
            await proxy.down()
    assert notified(slack) == expected
    assert "Traceback" not in watcher.output()
