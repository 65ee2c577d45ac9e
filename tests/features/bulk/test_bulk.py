"""Bulk invites through the real bot: a long list pasted (a DM, the modal), a CSV (the
modal's file field, a DM), the bad rows and the choice, the progress message and its pace,
Cancel, a 429 storm, a crash and resume, and the report uploaded into the thread."""

from __future__ import annotations

import asyncio
import itertools
import signal
from pathlib import Path

import aiohttp

from invite_bot.features.bulk.blocks import BULK_CANCEL, BULK_START
from invite_bot.features.bulk.files import MAX_FILE_BYTES
from invite_bot.features.invite.modals import (
    ADDRESSES_BLOCK,
    ADDRESSES_INPUT,
    FILE_BLOCK,
    FILE_INPUT,
    INVITE_MODAL,
)
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, Message, block_action_body, deliver
from tests.faults import Fault, GencoveFaults, SlackFault, SlackFaults
from tests.support.blocks_text import find_block, text_of
from tests.support.bulk import (
    CREATE,
    DM,
    addresses,
    dm_message,
    file_shared,
    final_message,
    invited_once,
    progress_of,
    report_of,
)
from tests.support.harness import (
    ADMIN,
    SIGNING_SECRET,
    BotUnderTest,
    bot_environment,
    running_bot,
    sqlite_url,
)
from tests.support.processes import BotProcess, start_bot_process, stop_bot_process
from tests.support.waiting import until


def assert_paced(message: Message) -> None:
    """Every version of the progress message at least 2 s after the one before."""
    times = [version["time"] for version in message.history]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # The bot spaces its calls 2 s apart; the stand-in stamps them on arrival.
    assert all(gap >= 1.9 for gap in gaps), gaps


async def test_300_addresses_pasted_in_a_dm_are_invited_with_one_progress_message(
    bot: BotUnderTest, slack: FakeSlack, gencove: FakeGencove
) -> None:
    emails = addresses(300)
    answer = await bot.send(dm_message("\n".join(emails)))
    assert answer.status == 200
    message = await final_message(slack)
    assert message.channel == DM
    invited_once(gencove, emails)
    summary = text_of(find_block(message.blocks, "bulk_summary"))
    assert "300 invited" in summary
    assert len(progress_of(slack)) == 1  # one message, updated
    assert_paced(message)
    rows = await report_of(slack, message)
    assert sorted(row["address"] for row in rows) == emails
    assert {row["outcome"] for row in rows} == {"created"}
    assert all(row["invitation id"] for row in rows)


async def test_a_long_list_typed_in_the_modal_is_a_bulk_invite(
    bot: BotUnderTest, slack: FakeSlack, gencove: FakeGencove
) -> None:
    emails = addresses(120, "m")
    answer = await bot.submit(
        INVITE_MODAL,
        {ADDRESSES_BLOCK: {ADDRESSES_INPUT: "\n".join(emails)}},
        private_metadata='{"channel_id": "C_GENERAL"}',
    )
    assert answer.status == 200
    message = await final_message(slack)
    assert message.channel == "C_GENERAL"
    invited_once(gencove, emails)
    assert "120 invited" in text_of(find_block(message.blocks, "bulk_summary"))


async def test_a_csv_of_1000_with_7_bad_rows_lists_them_and_invites_the_good_ones(
    bot: BotUnderTest, slack: FakeSlack, gencove: FakeGencove
) -> None:
    good = addresses(993, "c")
    lines = ["email;role"] + [f"{e};member" if i % 3 else e for i, e in enumerate(good)]
    bad = [
        "not-an-address",
        "bob@",
        "c0001@lab.org",  # a second time
        "ana@lab.org;emperor",  # no such role
        "two@lab.org three@lab.org",
        "ab\u0441@lab.org;member",  # a Cyrillic letter before the @: Gencove refuses it
        "x@lab.org;member;extra",
    ]
    for offset, row in enumerate(bad):
        lines.insert(100 * (offset + 1), row)
    content = ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()
    shared = slack.files.add("cohort.csv", content, user=ADMIN)
    answer = await bot.submit(
        INVITE_MODAL,
        {
            ADDRESSES_BLOCK: {ADDRESSES_INPUT: ""},
            FILE_BLOCK: {
                FILE_INPUT: {"type": "file_input", "files": [slack.files.describe(shared)]}
            },
        },
        private_metadata='{"channel_id": "C_GENERAL"}',
    )
    assert answer.status == 200
    [offer] = await slack.wait_for(lambda: slack.ephemerals)
    assert shared.downloads == 1  # fetched with the bot token
    listed = "\n".join(text_of(b) for b in offer.blocks or [] if b["block_id"].startswith("bad:"))
    assert len([line for line in listed.split("\n") if line.startswith("• row")]) == 7
    assert "row 101" in listed
    assert "not an email address" in listed
    assert "'emperor' is not a role" in listed
    assert "the same address as row" in listed
    start = find_block(offer.blocks, "bulk_choice")["elements"][0]
    assert start["text"]["text"] == "Invite the 993 good ones"
    assert gencove.count("POST", CREATE) == 0  # nothing is sent before the choice

    response_url = slack.new_response_url()
    click = await bot.send(
        block_action_body(
            BULK_START,
            value=start["value"],
            user_id=ADMIN,
            channel_id="C_GENERAL",
            container="ephemeral",
            response_url=response_url,
        )
    )
    assert click.status == 200
    message = await final_message(slack, timeout=240)
    assert message.channel == "C_GENERAL"
    invited_once(gencove, good)
    assert "993 invited" in text_of(find_block(message.blocks, "bulk_summary"))
    assert_paced(message)
    assert len(message.history) >= 3  # posted, at least one progress update, the end
    rows = await report_of(slack, message)
    assert len(rows) == 993
    by_address = {row["address"]: row for row in rows}
    assert by_address["c0001@lab.org"]["role"] == "member"
    assert gencove.find("c0001@lab.org")[0].role == "member"


async def test_cancel_half_way_stops_after_the_requests_in_flight(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    gencove.latency = 0.05
    database = sqlite_url(tmp_path)
    async with running_bot(gencove, slack, database, GENCOVE_MAX_CONCURRENCY="2") as bot:
        emails = addresses(400, "k")
        await bot.send(dm_message("\n".join(emails)))
        await until(lambda: gencove.count("POST", CREATE) >= 60, timeout=60)
        [progress] = progress_of(slack)
        await slack.wait_for(lambda: len(progress.history) >= 2, timeout=30)  # with Cancel
        button = find_block(progress.blocks, "bulk_actions")["elements"][0]
        assert button["action_id"] == BULK_CANCEL
        await bot.send(
            block_action_body(
                BULK_CANCEL,
                value=button["value"],
                user_id=ADMIN,
                message=progress,
                response_url=slack.new_response_url(),
            )
        )
        message = await final_message(slack)
    made = gencove.count("POST", CREATE)
    assert 60 <= made < 400
    summary = text_of(find_block(message.blocks, "bulk_summary"))
    assert "was cancelled" in summary
    note = text_of(find_block(message.blocks, "bulk_cancelled"))
    assert "already sent stay sent" in note
    rows = await report_of(slack, message)
    outcomes = [row["outcome"] for row in rows]
    assert outcomes.count("created") == made
    assert outcomes.count("cancelled") == 400 - made
    for row in rows:  # what was done stays: every created one is pending at Gencove
        if row["outcome"] == "created":
            assert gencove.find(row["address"])[0].status == "pending"
        else:
            assert gencove.find(row["address"]) == []


async def test_a_429_storm_makes_the_job_wait_not_fail(
    bot: BotUnderTest, slack: FakeSlack, gencove: FakeGencove, gencove_faults: GencoveFaults
) -> None:
    gencove_faults.inject("POST", CREATE, Fault.status(429, retry_after=1).times(40))
    emails = addresses(150, "r")
    await bot.send(dm_message("\n".join(emails)))
    message = await final_message(slack)
    invited_once(gencove, emails)
    summary = text_of(find_block(message.blocks, "bulk_summary"))
    assert "150 invited" in summary
    assert "failed" not in summary
    rows = await report_of(slack, message)
    assert {row["outcome"] for row in rows} == {"created"}


async def test_a_csv_shared_in_a_dm_is_read_once_and_bad_input_is_answered(
    bot: BotUnderTest, slack: FakeSlack, gencove: FakeGencove
) -> None:
    shared = slack.files.add("people.csv", b"\xff\xfenot utf-8", user=ADMIN, channel=DM)
    description = slack.files.describe(shared)
    # Slack sends both events for one upload: one answer.
    await bot.send(file_shared(shared))
    await bot.send(dm_message(files=[description]))
    await slack.wait_for(lambda: slack.messages_in(DM))
    await asyncio.sleep(0.3)
    [answer] = slack.messages_in(DM)
    assert "not UTF-8" in (answer.text or "")
    assert gencove.count("POST", CREATE) == 0

    emails = addresses(60, "d")
    shared = slack.files.add(
        "ok.csv", ("\n".join(f"{e},viewer" for e in emails)).encode(), user=ADMIN, channel=DM
    )
    await bot.send(file_shared(shared))
    await final_message(slack)
    invited_once(gencove, emails)
    assert {gencove.find(e)[0].role for e in emails} == {"viewer"}


def long_addresses(count: int) -> list[str]:
    """Addresses of ~90 bytes: a file of a few hundred is many network reads long."""
    return [f"person{i:04d}.{'x' * 48}@genomics-core.lab.org.uk" for i in range(count)]


async def test_a_csv_many_reads_long_is_read_to_its_end_through_the_real_process(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    emails = long_addresses(500)
    content = "\n".join(f"{e},viewer" for e in emails).encode()
    slack.files.download_piece = 4096  # the file arrives in 13 pieces
    assert len(content) > 10 * slack.files.download_piece
    shared = slack.files.add("cohort.csv", content, user=ADMIN, channel=DM)
    env = bot_environment(gencove, slack, sqlite_url(tmp_path))
    process = await start_bot_process(env, tmp_path, "--no-watch")
    try:
        async with aiohttp.ClientSession() as session:
            answer = await deliver(
                session, process.url + "/slack/events", file_shared(shared), SIGNING_SECRET
            )
        assert answer.status == 200
        message = await final_message(slack, timeout=180)
        rows = await report_of(slack, message)
    finally:
        await stop_bot_process(process)
    invited_once(gencove, emails)
    assert sorted(i.email for i in gencove.invitations.values()) == sorted(emails)  # no one else
    assert sorted(row["address"] for row in rows) == sorted(emails)
    assert "500 invited" in text_of(find_block(message.blocks, "bulk_summary"))


async def test_a_file_whose_bytes_differ_from_the_size_slack_gives_is_refused(
    bot: BotUnderTest, slack: FakeSlack, gencove: FakeGencove
) -> None:
    content = "\n".join(long_addresses(60)).encode()
    shared = slack.files.add("cut.csv", content, user=ADMIN, channel=DM)
    shared.length = len(content) + 517  # Slack says the file is longer than what arrives
    await bot.send(file_shared(shared))
    [answer] = await slack.wait_for(lambda: slack.messages_in(DM))
    said = answer.text or ""
    assert "cut.csv" in said
    assert f"{len(content) + 517:,} bytes" in said
    assert f"{len(content):,}" in said
    assert "nothing was sent" in said
    assert gencove.count("POST", CREATE) == 0


async def test_a_download_past_the_byte_cap_is_refused_whatever_size_slack_gave(
    bot: BotUnderTest, slack: FakeSlack, gencove: FakeGencove
) -> None:
    content = b"a@lab.org\n" * (MAX_FILE_BYTES // 10 + 1)
    shared = slack.files.add("huge.csv", content, user=ADMIN, channel=DM)
    shared.length = 100  # files.info says small; the bytes keep coming
    await bot.send(file_shared(shared))
    [answer] = await slack.wait_for(lambda: slack.messages_in(DM))
    assert "too large" in (answer.text or "")
    assert gencove.count("POST", CREATE) == 0


async def test_a_csv_in_the_invite_modal_is_read_to_its_end(
    bot: BotUnderTest, slack: FakeSlack, gencove: FakeGencove
) -> None:
    emails = long_addresses(300)
    slack.files.download_piece = 2048
    lines = [*emails[:150], "not-an-address", *emails[150:]]  # one bad row: an offer first
    shared = slack.files.add("form.csv", "\n".join(lines).encode(), user=ADMIN)
    answer = await bot.submit(
        INVITE_MODAL,
        {
            ADDRESSES_BLOCK: {ADDRESSES_INPUT: ""},
            FILE_BLOCK: {
                FILE_INPUT: {"type": "file_input", "files": [slack.files.describe(shared)]}
            },
        },
        private_metadata='{"channel_id": "C_GENERAL"}',
    )
    assert answer.status == 200
    [offer] = await slack.wait_for(lambda: slack.ephemerals)
    start = find_block(offer.blocks, "bulk_choice")["elements"][0]
    assert start["text"]["text"] == "Invite the 300 good ones"
    listed = "\n".join(text_of(b) for b in offer.blocks or [] if b["block_id"].startswith("bad:"))
    assert "row 151" in listed
    assert listed.count("• row") == 1


async def test_a_killed_bulk_job_resumes_on_restart_without_inviting_twice(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    gencove.latency = 0.05
    env = bot_environment(
        gencove,
        slack,
        sqlite_url(tmp_path),
        GENCOVE_MAX_CONCURRENCY="2",
        GENCOVE_TIMEOUT="3",
        INVITE_JOB_LEASE="2",
    )
    emails = addresses(300, "z")
    shared = slack.files.add("big.csv", "\n".join(emails).encode(), user=ADMIN, channel=DM)
    first = await start_bot_process(env, tmp_path, "--no-watch")
    second: BotProcess | None = None
    try:
        async with aiohttp.ClientSession() as session:
            answer = await deliver(
                session, first.url + "/slack/events", file_shared(shared), SIGNING_SECRET
            )
        assert answer.status == 200
        await until(lambda: gencove.count("POST", CREATE) >= 80, timeout=60)
        first.process.send_signal(signal.SIGKILL)
        await first.process.wait()
        assert gencove.count("POST", CREATE) < len(emails), "done before the kill"
        second = await start_bot_process(env, tmp_path, "--no-watch")
        try:
            message = await final_message(slack, timeout=180)
            rows = await report_of(slack, message)
        except TimeoutError as exc:
            said = second.output()[-4000:]
            raise AssertionError(f"{exc}\nthe restarted bot said:\n{said}") from exc
    finally:
        await stop_bot_process(first)
        if second is not None:
            await stop_bot_process(second)
    invited_once(gencove, emails)
    assert len(progress_of(slack)) == 1  # the same message, carried on
    assert sorted(row["address"] for row in rows) == emails
    # Those the killed process had sent but not recorded are found pending, not sent again.
    outcomes = [row["outcome"] for row in rows]
    assert set(outcomes) <= {"created", "existing"}
    summary = text_of(find_block(message.blocks, "bulk_summary"))
    assert f"{outcomes.count('created')} invited" in summary


async def test_a_bulk_job_killed_before_its_report_was_uploaded_uploads_it_after_restart(
    gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults, tmp_path: Path
) -> None:
    env = bot_environment(gencove, slack, sqlite_url(tmp_path), INVITE_JOB_LEASE="2")
    emails = addresses(60, "r")
    # The upload hangs: the bot dies with every address invited and the report unsent.
    slack_faults.inject("files.getUploadURLExternal", SlackFault.delay(30))
    first = await start_bot_process(env, tmp_path, "--no-watch")
    second: BotProcess | None = None
    try:
        async with aiohttp.ClientSession() as session:
            answer = await deliver(
                session, first.url + "/slack/events", dm_message("\n".join(emails)), SIGNING_SECRET
            )
        assert answer.status == 200
        await final_message(slack)  # shown just before the report is sent
        await until(lambda: slack_faults.faults_left("files.getUploadURLExternal") == 0, timeout=30)
        first.process.send_signal(signal.SIGKILL)
        await first.process.wait()
        assert slack.files.uploaded_by_bot() == []
        second = await start_bot_process(env, tmp_path, "--no-watch")
        message = await final_message(slack)
        try:
            rows = await report_of(slack, message)
        except TimeoutError as exc:
            said = second.output()[-4000:]
            raise AssertionError(f"{exc}\nthe restarted bot said:\n{said}") from exc
    finally:
        await stop_bot_process(first)
        if second is not None:
            await stop_bot_process(second)
    invited_once(gencove, emails)
    assert len(progress_of(slack)) == 1
    assert len(slack.files.uploaded_by_bot()) == 1
    assert sorted(row["address"] for row in rows) == emails
