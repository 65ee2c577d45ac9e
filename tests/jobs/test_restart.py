"""What the bot promised before a restart still holds after it.

The bot runs in-process (`running_bot`) on a SQLite file; "restart" is stopping it and
starting a new one on the same file, as after a deploy or a crash.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, Message
from invite_bot.store import KnownInvitation, NewInviteJob
from tests.support.harness import ADMIN, running_bot, sqlite_url


def _row(message: Message, invitation_id: str) -> str:
    """The text of the message's row for one invitation (its section's block_id)."""
    for block in message.blocks or []:
        if block.get("block_id") == f"inv:{invitation_id}":
            return json.dumps(block)
    raise AssertionError(f"no row for {invitation_id} in {message.blocks}")


async def test_revoke_button_on_a_message_posted_before_a_restart_updates_that_message(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    """Invite two addresses, restart the bot, click Revoke on one row of the old message:
    exactly one DELETE at Gencove and one chat.update of that same message, which then
    shows the row "revoked" (without its button) and keeps the other row pending."""
    url = sqlite_url(tmp_path)
    async with running_bot(gencove, slack, url) as before:
        await before.command("invite ana@lab.org bob@lab.org")
        await slack.wait_for(lambda: slack.messages_in("C_GENERAL"))
        async with asyncio.timeout(5):
            while await before.store.read(lambda tx: tx.jobs.unfinished()):
                await asyncio.sleep(0.02)
    (message,) = slack.messages_in("C_GENERAL")
    ana, bob = gencove.find("ana@lab.org")[0], gencove.find("bob@lab.org")[0]
    assert REVOKE in _row(message, str(ana.id))
    updates_before = len(slack.calls_to("chat.update"))

    async with running_bot(gencove, slack, url) as after:
        answer, _ = await after.click(
            REVOKE, value=str(ana.id), message=message, block_id=f"inv:{ana.id}"
        )
        assert answer.status == 200
        await slack.wait_for(lambda: len(slack.calls_to("chat.update")) > updates_before)
        await asyncio.sleep(0.3)  # anything else the click would cause has happened by now
        assert (await after.store.read(lambda tx: tx.invitations.get(str(ana.id)))) is not None

    assert gencove.count("DELETE", "/api/v2/invitations/") == 1
    updates = slack.calls_to("chat.update")[updates_before:]
    assert len(updates) == 1
    assert (updates[0].args["channel"], updates[0].args["ts"]) == (message.channel, message.ts)
    assert ana.status == "revoked"
    assert bob.status == "pending"
    shown = slack.messages[(message.channel, message.ts)]
    assert "revoked" in _row(shown, str(ana.id))
    assert f"<@{ADMIN}>" in _row(shown, str(ana.id))
    assert REVOKE not in _row(shown, str(ana.id))
    assert REVOKE in _row(shown, str(bob.id))
    assert len(slack.messages_in("C_GENERAL")) == 1
    assert slack.ephemerals == []


async def test_an_invite_job_a_crash_left_unfinished_is_resumed_without_inviting_twice(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    """A process died in the middle of `/gencove invite a b c`: a was created at Gencove
    and recorded, b's create reached Gencove but was not recorded, c was never sent.
    resume_jobs on a new process invites c only, finds b in the pending list, and posts
    ONE result message showing all three addresses."""
    url = sqlite_url(tmp_path)
    emails = ["ann@lab.org", "ben@lab.org", "cat@lab.org"]
    async with running_bot(gencove, slack, url) as crashed:
        job_id = await crashed.store.write(
            lambda tx: tx.jobs.create(
                NewInviteJob(
                    slack_user_id=ADMIN,
                    channel_id="C_GENERAL",
                    response_url=slack.new_response_url(),
                    role="member",
                    addresses=emails,
                    delivery_key="crashed-command",
                ),
                owner="crashed-host:4242:deadbeef",
                lease=timedelta(milliseconds=200),
            )
        )
        ann = await crashed.bot.gencove.create_invitation("ann@lab.org", "member")
        now = datetime.now(UTC)
        await crashed.store.write(
            lambda tx: tx.invitations.record(
                [
                    KnownInvitation(
                        id=ann.id,
                        email=ann.email or "ann@lab.org",
                        role=ann.role,
                        status=ann.status,
                        expires=ann.expires,
                        inviter_slack_id=ADMIN,
                        channel_id=None,
                        message_ts=None,
                        block_id=None,
                        first_seen=now,
                        updated_at=now,
                    )
                ]
            )
        )
        await crashed.store.write(
            lambda tx: tx.jobs.record_item(
                job_id, "ann@lab.org", outcome="created", invitation_id=ann.id, error=None
            )
        )
        await crashed.bot.gencove.create_invitation("ben@lab.org", "member")  # then killed
    assert gencove.count("POST", "/api/v2/invitations/") == 2
    await asyncio.sleep(0.3)  # the dead process's claim on the job runs out

    async with running_bot(gencove, slack, url) as restarted:
        assert await restarted.bot.jobs.resume() == 1
        assert await restarted.bot.jobs.resume() == 0
        job = await restarted.store.read(lambda tx: tx.jobs.get(job_id))
        assert job is not None
        assert job.finished_at is not None
        outcomes = {item.email: item.outcome for item in job.items}

    assert gencove.count("POST", "/api/v2/invitations/") == 3
    for email in emails:
        assert len(gencove.find(email)) == 1, email
        assert gencove.find(email)[0].status == "pending"
    assert outcomes["ann@lab.org"] == "created"
    assert outcomes["cat@lab.org"] == "created"
    assert outcomes["ben@lab.org"] in {"created", "existing"}
    posted = slack.calls_to("chat.postMessage")
    assert len(posted) == 1
    (message,) = slack.messages_in("C_GENERAL")
    for email in emails:
        invitation = gencove.find(email)[0]
        row = _row(message, str(invitation.id))
        assert email in row
        assert "inviting" not in row
    assert slack.calls_to("chat.update") == []
