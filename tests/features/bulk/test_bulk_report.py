"""A bulk invite's closing message and its report through the real bot: what the summary
and the report's title say, and the report through Slack's failures (retried where that
cannot make a second copy, said to be missing when Slack refuses it, uploaded by a
restart when Slack could not take it) and a Cancel clicked while it is uploaded."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from invite_bot.features.bulk.blocks import BULK_CANCEL, BULK_START
from invite_bot.features.invite.modals import (
    ADDRESSES_BLOCK,
    ADDRESSES_INPUT,
    FILE_BLOCK,
    FILE_INPUT,
    INVITE_MODAL,
)
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, Message, block_action_body, deliver
from tests.faults import SlackFault, SlackFaults
from tests.support.blocks_text import find_block, text_of
from tests.support.bulk import (
    addresses,
    dm_message,
    final_message,
    invited_once,
    report_of,
)
from tests.support.harness import ADMIN, SIGNING_SECRET, BotUnderTest, bot_environment, sqlite_url
from tests.support.processes import BotProcess, start_bot_process, stop_bot_process
from tests.support.waiting import until

IN_THE_THREAD = "is in the thread"


def report_line(version: dict[str, object]) -> str:
    """What a version of the message says of the report ("" while it is progress)."""
    blocks = version.get("blocks") or []
    assert isinstance(blocks, list)
    found = [b for b in blocks if b.get("block_id") == "bulk_report"]
    return text_of(found[0]) if found else ""


async def no_job_open(bot: BotUnderTest, timeout: float = 20.0) -> None:
    """Wait until every job the bot stored is finished."""
    async with asyncio.timeout(timeout):
        while await bot.store.read(lambda tx: tx.jobs.unfinished()):
            await asyncio.sleep(0.05)


def said_after(message: Message, needle: str, at: float) -> None:
    """Every version of `message` that says `needle` arrived after `at` (monotonic)."""
    versions = [v for v in message.history if needle in report_line(v)]
    assert versions, f"no version says {needle!r}"
    assert all(float(str(v["time"])) >= at for v in versions)


async def test_the_summary_agrees_with_its_counts_and_the_title_names_channel_date_and_count(
    bot: BotUnderTest, slack: FakeSlack, gencove: FakeGencove
) -> None:
    gencove.add_user("member@lab.org", member=True)
    emails = [*addresses(3, "word"), "member@lab.org"]
    listed = [*emails, "not-an-address", "word0000@lab.org"]  # two rows skipped
    shared = slack.files.add("cohort.csv", "\n".join(listed).encode(), user=ADMIN)
    await bot.submit(
        INVITE_MODAL,
        {
            ADDRESSES_BLOCK: {ADDRESSES_INPUT: ""},
            FILE_BLOCK: {
                FILE_INPUT: {"type": "file_input", "files": [slack.files.describe(shared)]}
            },
        },
        private_metadata='{"channel_id": "C_GENERAL"}',
    )
    [offer] = await slack.wait_for(lambda: slack.ephemerals)
    assert "2 rows cannot (they are skipped)" in text_of(find_block(offer.blocks, "bulk_head"))
    start = find_block(offer.blocks, "bulk_choice")["elements"][0]
    await bot.send(
        block_action_body(
            BULK_START,
            value=start["value"],
            user_id=ADMIN,
            channel_id="C_GENERAL",
            container="ephemeral",
            response_url=slack.new_response_url(),
        )
    )
    message = await final_message(slack)
    assert message.channel == "C_GENERAL"
    rows = await report_of(slack, message)
    summary = text_of(find_block(message.blocks, "bulk_summary"))
    assert "of 4 addresses is done: 3 invited · 1 already a member · 2 skipped." in summary
    assert [row["outcome"] for row in rows].count("skipped") == 2
    [uploaded] = slack.files.uploaded_by_bot()
    today = datetime.now(UTC)
    day = f"{today.day} {today:%b %Y}"
    assert uploaded.title == f"Bulk invite in #c_general, {day}: 4 addresses (2 rows skipped)"
    assert "3 invited · 1 already a member · 2 skipped" in (uploaded.initial_comment or "")


async def test_one_slack_error_on_the_upload_is_retried_and_the_thread_is_named_once_it_is_there(
    bot: BotUnderTest, slack: FakeSlack, slack_faults: SlackFaults, gencove: FakeGencove
) -> None:
    slack_faults.inject("files.getUploadURLExternal", SlackFault.status(500))
    emails = addresses(20, "retry")
    await bot.send(dm_message("\n".join(emails)))
    message = await final_message(slack)
    rows = await report_of(slack, message)
    assert sorted(row["address"] for row in rows) == emails
    [shared] = slack.calls_to("files.completeUploadExternal")
    await slack.wait_for(lambda: IN_THE_THREAD in report_line(message.history[-1]))
    said_after(message, IN_THE_THREAD, shared.time)  # never before the report was there
    assert len(slack.files.uploaded_by_bot()) == 1
    await no_job_open(bot)


async def test_a_report_slack_refuses_is_said_to_be_missing_and_the_job_ends(
    bot: BotUnderTest, slack: FakeSlack, slack_faults: SlackFaults, gencove: FakeGencove
) -> None:
    slack_faults.inject("files.completeUploadExternal", SlackFault.error("restricted_action"))
    emails = addresses(12, "refused")
    await bot.send(dm_message("\n".join(emails)))
    message = await final_message(slack)
    await slack.wait_for(lambda: "could not be uploaded" in report_line(message.history[-1]))
    assert "restricted_action" in report_line(message.history[-1])
    assert not any(IN_THE_THREAD in report_line(v) for v in message.history)
    assert slack.files.uploaded_by_bot() == []
    invited_once(gencove, emails)
    await no_job_open(bot)  # not tried again


async def test_a_cancel_while_the_report_is_uploaded_is_answered_that_it_has_ended(
    bot: BotUnderTest, slack: FakeSlack, slack_faults: SlackFaults, gencove: FakeGencove
) -> None:
    slack_faults.inject("files.getUploadURLExternal", SlackFault.delay(5))  # the upload is slow
    emails = addresses(12, "late")
    await bot.send(dm_message("\n".join(emails)))
    message = await final_message(slack)
    await slack.wait_for(lambda: slack.calls_to("files.getUploadURLExternal"))
    cancel = next(
        b["elements"][0]
        for v in message.history
        for b in v.get("blocks") or []
        if b.get("block_id") == "bulk_actions"
    )
    answered = slack.new_response_url()
    await bot.send(
        block_action_body(
            BULK_CANCEL,
            value=cancel["value"],
            user_id=ADMIN,
            message=message,
            response_url=answered,
        )
    )
    [said] = await slack.wait_for(lambda: slack.response_posts(answered))
    assert said["text"] == "That bulk invite has ended."
    await report_of(slack, message)
    await slack.wait_for(lambda: IN_THE_THREAD in report_line(message.history[-1]))
    closing = [i for i, v in enumerate(message.history) if report_line(v)]
    # From the closing message on, every version is the closing form, with nothing undone.
    assert all(report_line(v) for v in message.history[closing[0] :])
    summary = text_of(find_block(message.blocks, "bulk_summary"))
    assert "is done: 12 invited" in summary
    invited_once(gencove, emails)


async def start_with_dm(process: BotProcess, emails: list[str]) -> None:
    async with aiohttp.ClientSession() as session:
        answer = await deliver(
            session,
            process.url + "/slack/events",
            dm_message("\n".join(emails)),
            SIGNING_SECRET,
        )
    assert answer.status == 200


async def test_a_report_slack_cannot_take_now_is_uploaded_after_a_restart(
    gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults, tmp_path: Path
) -> None:
    env = bot_environment(gencove, slack, sqlite_url(tmp_path), INVITE_JOB_LEASE="2")
    # Three 500s: the first try and its two retries all fail.
    slack_faults.inject("files.getUploadURLExternal", *[SlackFault.status(500)] * 3)
    emails = addresses(15, "later")
    first = await start_bot_process(env, tmp_path, "--no-watch")
    second: BotProcess | None = None
    try:
        await start_with_dm(first, emails)
        message = await final_message(slack)
        await slack.wait_for(lambda: "not in the thread yet" in report_line(message.history[-1]))
        assert slack.files.uploaded_by_bot() == []
        await stop_bot_process(first)
        second = await start_bot_process(env, tmp_path, "--no-watch")
        try:
            rows = await report_of(slack, message)
            await slack.wait_for(lambda: IN_THE_THREAD in report_line(message.history[-1]))
        except TimeoutError as exc:
            raise AssertionError(
                f"{exc}\nthe restarted bot said:\n{second.output()[-4000:]}"
            ) from exc
    finally:
        await stop_bot_process(first)
        if second is not None:
            await stop_bot_process(second)
    assert sorted(row["address"] for row in rows) == emails
    assert len(slack.files.uploaded_by_bot()) == 1
    invited_once(gencove, emails)


async def test_a_bot_killed_while_slack_shares_its_report_makes_no_second_one_on_restart(
    gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults, tmp_path: Path
) -> None:
    env = bot_environment(gencove, slack, sqlite_url(tmp_path), INVITE_JOB_LEASE="2")
    # Slack holds the last step of the upload; the bot dies waiting for its answer, and
    # Slack shares the file all the same.
    slack_faults.inject("files.completeUploadExternal", SlackFault.delay(4))
    emails = addresses(15, "kill")
    first = await start_bot_process(env, tmp_path, "--no-watch")
    second: BotProcess | None = None
    try:
        await start_with_dm(first, emails)
        message = await final_message(slack)
        await slack.wait_for(lambda: slack.calls_to("files.completeUploadExternal"), timeout=30)
        await stop_bot_process(first, signal.SIGKILL)
        await slack.wait_for(lambda: slack.files.uploaded_by_bot(), timeout=30)
        second = await start_bot_process(env, tmp_path, "--no-watch")
        try:
            await slack.wait_for(lambda: IN_THE_THREAD in report_line(message.history[-1]))
        except TimeoutError as exc:
            raise AssertionError(
                f"{exc}\nthe restarted bot said:\n{second.output()[-4000:]}"
            ) from exc
        await until(lambda: finished(tmp_path), timeout=20)
    finally:
        await stop_bot_process(first)
        if second is not None:
            await stop_bot_process(second)
    assert len(slack.files.uploaded_by_bot()) == 1
    assert len(slack.calls_to("files.completeUploadExternal")) == 1
    invited_once(gencove, emails)


def finished(tmp_path: Path) -> bool:
    """Whether every job in the bot's SQLite file is finished."""
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        (open_jobs,) = db.execute(
            "SELECT count(*) FROM invite_jobs WHERE finished_at IS NULL"
        ).fetchone()
    return int(open_jobs) == 0
