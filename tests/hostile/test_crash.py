"""kill -9 of the real bot process in the middle of a 20-address invite, then a restart."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta
from pathlib import Path

import aiohttp

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, deliver, slash_command_body
from invite_bot.store import Store
from tests.support.harness import ADMIN, SIGNING_SECRET, bot_environment, running_bot, sqlite_url
from tests.support.messages import section_for
from tests.support.processes import BotProcess, start_bot_process, stop_bot_process
from tests.support.secrets import assert_no_secret
from tests.support.waiting import until

ADDRESSES = [f"crash{i:02d}@lab.org" for i in range(20)]
CREATE = "/api/v2/invitations/"
MEMBERS = "/api/v2/organization-users/"


async def test_a_killed_bot_resumes_the_invite_on_restart_without_inviting_twice(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    gencove.latency = 0.15
    env = bot_environment(
        gencove,
        slack,
        sqlite_url(tmp_path),
        GENCOVE_MAX_CONCURRENCY="2",
        GENCOVE_TIMEOUT="3",
        INVITE_JOB_LEASE="2",  # seconds: how soon a dead owner's job is taken over
    )
    first = await start_bot_process(env, tmp_path, "--no-watch")
    second: BotProcess | None = None
    try:
        url = slack.new_response_url()
        body = slash_command_body(
            "invite " + " ".join(ADDRESSES),
            user_id=ADMIN,
            response_url=url,
            trigger_id=slack.new_trigger_id(),
        )
        async with aiohttp.ClientSession() as session:
            answer = await deliver(session, first.url + "/slack/events", body, SIGNING_SECRET)
        assert answer.status == 200
        await until(lambda: gencove.count("POST", CREATE) >= 8, timeout=15)
        first.process.send_signal(signal.SIGKILL)
        await first.process.wait()
        reached = gencove.count("POST", CREATE)
        assert reached < len(ADDRESSES), "the invite finished before the kill"
        assert slack.messages_in("C_GENERAL") == []

        second = await start_bot_process(env, tmp_path, "--no-watch")
        await slack.wait_for(lambda: slack.messages_in("C_GENERAL"), timeout=20)
        await asyncio.sleep(0.5)
    finally:
        await stop_bot_process(first)
        if second is not None:
            await stop_bot_process(second)

    [message] = slack.messages_in("C_GENERAL")
    for email in ADDRESSES:
        assert len(gencove.find(email)) == 1, f"{email} invited {len(gencove.find(email))} times"
        invitation = gencove.find(email)[0]
        assert invitation.status == "pending"
        line = section_for(message, email)
        assert line is not None, f"{email} is missing from the result"
        assert "invited" in line
        assert str(invitation.id) in str(message.blocks)
    assert slack.response_posts(url) == []
    # the restarted process did not start over: what was done stayed done
    assert gencove.count("POST", CREATE) <= len(ADDRESSES) + 2
    for process in (first, second):
        assert process is not None
        assert_no_secret(process.output(), gencove)
    # The job ended in the restarted process, whether it resumed the job at start-up or took
    # it over once the dead owner's lease ran out: which one depends on the machine's pace.
    assert second is not None
    async with await Store.open(sqlite_url(tmp_path), migrate=False) as store:
        job = await store.read(lambda tx: tx.jobs.get(1))
    assert job is not None
    assert job.finished_at is not None
    assert job.owner is not None
    assert job.owner.split(":")[1] == str(second.process.pid)
    assert [item.email for item in job.items] == ADDRESSES
    assert all(item.outcome in ("created", "existing") for item in job.items)


async def test_a_live_owner_keeps_its_job_while_another_process_watches(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    """The lease is renewed while the owner works: a second replica never runs the job."""
    database = sqlite_url(tmp_path)
    patient = {"GENCOVE_TIMEOUT": "10"}  # the owner waits for Gencove, it does not retry
    async with (
        running_bot(gencove, slack, database, **patient) as owner,
        running_bot(gencove, slack, database, **patient) as other,
    ):
        owner.bot.jobs.holding.lease = other.bot.jobs.holding.lease = timedelta(seconds=1)
        gencove.hold = asyncio.Event()  # Gencove takes its time: the job runs for a while
        await owner.command("invite ana@lab.org bob@lab.org")
        # The job's one read of the pending list goes through; its creates are held.
        await until(
            lambda: gencove.count("GET", CREATE) == 1 and gencove.count("GET", MEMBERS) == 2
        )
        reading, gencove.hold = gencove.hold, asyncio.Event()
        reading.set()
        # (alongside it, each address was looked up among the members: those went too)
        await until(lambda: gencove.count("POST", CREATE) == 2)
        assert gencove.count("GET", MEMBERS) == 2
        assert await other.bot.jobs.resume() == 0
        await asyncio.sleep(2.5)  # more than two leases: only renewals kept the job
        assert other.bot.jobs.holding.running == {1}  # still watching, not running it
        job = await other.store.read(lambda tx: tx.jobs.get(1))
        assert job is not None
        assert job.owner == owner.bot.jobs.holding.instance
        assert gencove.count("POST", CREATE) == 2
        assert gencove.count("GET", CREATE) == 1  # the owner's; a take-over would read again
        gencove.hold.set()
        await slack.wait_for(lambda: slack.messages_in("C_GENERAL"))
        await until(lambda: not other.bot.jobs.holding.running, timeout=20)
        await asyncio.sleep(0.2)
    assert len(slack.messages_in("C_GENERAL")) == 1
    assert gencove.count("POST", CREATE) == 2
