"""Bulk invites, the Slack side: where a long list comes from, its check, and its start.

A list arrives three ways: pasted in the invite modal (more than a command takes), a CSV
uploaded in the modal's file field, or a CSV (or pasted text) sent to the bot in a DM
(`file_shared` and `message` events). Every row is checked first (`invite_bot.domain.bulk`);
if any is bad, the asker gets the list of bad rows with "Invite the N good ones" and
"Cancel", and the checked rows wait in the store (a draft) for that click. Then one
progress message is posted and the job starts (`invite_bot.jobs.engine`, kind
"bulk": see `bulk_job` for its progress and report). Its Cancel button asks the job to
stop after the requests in flight.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from invite_bot.bot import Bot
from invite_bot.domain.bulk import Row, check_rows, read_csv, read_pasted
from invite_bot.domain.bulk_progress import Tally
from invite_bot.domain.policy import Refused
from invite_bot.domain.text import escape_mrkdwn
from invite_bot.features.bulk import files as bulk_files
from invite_bot.features.bulk import job as bulk_job
from invite_bot.features.bulk.blocks import (
    BULK_CANCEL,
    BULK_DISCARD,
    BULK_START,
    confirm_message,
    progress_message,
    refused_message,
)
from invite_bot.features.bulk.choice import take_to_cancel, take_to_start
from invite_bot.gencove import GencoveError
from invite_bot.jobs.engine import start_invite
from invite_bot.slack.blockkit import Message, note
from invite_bot.slack.guard import Reply, Turn, then
from invite_bot.slack.outbound import Posted
from invite_bot.slack.people import require_inviter
from invite_bot.slack.router import Router
from invite_bot.slack.trust import OutOfDate
from invite_bot.store import BulkDraft, NewInviteJob

log = logging.getLogger(__name__)

DRAFT_KEY = "bulk-draft:"  # + a draft's id: the delivery key of the job it starts
DRAFT_ID = re.compile(r"[0-9a-f]{16}")
JOB_ID = re.compile(r"[0-9]{1,18}")
DM_HINT = (
    "To invite many people at once, send me a CSV file (`email[,role]` per line) or paste "
    "their addresses here, one per line."
)


def register(router: Router, bot: Bot) -> None:

    def start_clicked(turn: Turn) -> Reply:
        return then(lambda: _start_clicked(bot, turn))

    def discard_clicked(turn: Turn) -> Reply:
        return then(lambda: _discard_clicked(bot, turn))

    def cancel_clicked(turn: Turn) -> Reply:
        return then(lambda: _cancel_clicked(bot, turn))

    def file_shared(turn: Turn) -> Reply:
        return then(lambda: _file_shared(bot, turn))

    def direct_message(turn: Turn) -> Reply:
        return then(lambda: _direct_message(bot, turn))

    router.action(BULK_START, start_clicked, name="bulk_start")
    router.action(BULK_DISCARD, discard_clicked, name="bulk_discard")
    router.action(BULK_CANCEL, cancel_clicked, name="bulk_cancel")
    router.event("file_shared", file_shared, name="file_shared")
    router.event("message", direct_message, name="direct_message")


# -- where a list comes from ---------------------------------------------------


def wants_bulk(bot: Bot, text: str, files: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a modal submission is a bulk invite: a file, or more than a command takes."""
    if files:
        return True
    return len(read_pasted(text)) > bot.settings.invite_max_per_command


def pasted_refusal(bot: Bot, text: str) -> str | None:
    """Why a pasted list is too long for one bulk invite (counted, not checked: the ack
    must not wait), else None."""
    count = len({row.typed for row in read_pasted(text)})
    limit = bot.settings.invite_bulk_max
    if count <= limit:
        return None
    return f"That is {count:,} addresses; one bulk invite takes at most {limit:,}."


async def from_modal(
    bot: Bot,
    *,
    user_id: str,
    channel_id: str,
    text: str,
    files: Sequence[Mapping[str, Any]],
    role: str | None,
    delivery_key: str,
) -> None:
    """The invite modal's list or file (the modal has closed: answers come as notes)."""
    if not await _may_invite(bot, user_id, channel_id):
        return
    rows: list[Row] = read_pasted(text) if text.strip() else []
    source = "Your list"
    for shared in files[:1]:
        fetched = await bulk_files.fetch(bot, str(shared.get("id") or ""))
        source = fetched.name
        if fetched.problem is not None:
            await _tell(bot, channel_id, user_id, refused_message(source, fetched.problem))
            return
        from_file, problem = read_csv(fetched.data)
        if problem is not None:
            await _tell(bot, channel_id, user_id, refused_message(source, problem))
            return
        rows = from_file if not rows else rows + _after(rows, from_file)
    await _check_and_offer(bot, user_id, channel_id, rows, role, source, delivery_key)


def _after(first: Sequence[Row], more: Sequence[Row]) -> list[Row]:
    """File rows numbered after the pasted ones, when both were given."""
    offset = max((row.number for row in first), default=0)
    return [Row(row.number + offset, row.typed, row.address, row.role, row.problem) for row in more]


async def _file_shared(bot: Bot, turn: Turn) -> None:
    event = turn.payload
    file_id = str(event.get("file_id") or (event.get("file") or {}).get("id") or "")
    user_id = str(event.get("user_id") or turn.request.user_id or "")
    channel_id = str(event.get("channel_id") or "")
    if not file_id or not user_id or not channel_id.startswith("D"):
        return  # only a file shared with the bot in a DM is a list to invite
    await _dm_file(bot, user_id, channel_id, file_id)


async def _direct_message(bot: Bot, turn: Turn) -> None:
    event = turn.payload
    if event.get("channel_type") != "im" or event.get("bot_id"):
        return
    if event.get("subtype") not in (None, "file_share"):
        return
    user_id, channel_id = str(event.get("user") or ""), str(event.get("channel") or "")
    if not user_id or not channel_id:
        return
    files = [f for f in event.get("files") or [] if isinstance(f, Mapping)]
    if files:
        await _dm_file(bot, user_id, channel_id, str(files[0].get("id") or ""))
        return
    text = str(event.get("text") or "")
    rows = read_pasted(text)
    if not any("@" in row.typed for row in rows):
        await _post_dm(bot, channel_id, note(DM_HINT))
        return
    if not await _may_invite(bot, user_id, channel_id):
        return
    key = f"bulk-dm:{channel_id}:{event.get('ts')}"
    await _check_and_offer(bot, user_id, channel_id, rows, None, "Your list", key)


async def _dm_file(bot: Bot, user_id: str, channel_id: str, file_id: str) -> None:
    # Slack sends both a `file_shared` and a `message` event for one upload: act once.
    key = f"bulk-file:{file_id}"
    if not file_id or not await bot.store.write(lambda tx: tx.deliveries.claim(key)):
        return
    if not await _may_invite(bot, user_id, channel_id):
        return
    fetched = await bulk_files.fetch(bot, file_id)
    if fetched.problem is not None:
        await _post_dm(bot, channel_id, refused_message(fetched.name, fetched.problem))
        return
    rows, problem = read_csv(fetched.data)
    if problem is not None:
        await _post_dm(bot, channel_id, refused_message(fetched.name, problem))
        return
    await _check_and_offer(
        bot, user_id, channel_id, rows, None, fetched.name, f"bulk-file:{file_id}"
    )


# -- the check and the choice ----------------------------------------------------


async def _check_and_offer(
    bot: Bot,
    user_id: str,
    channel_id: str,
    rows: Sequence[Row],
    role: str | None,
    source: str,
    key: str,
) -> None:
    roles = await _roles(bot)
    check = check_rows(
        rows,
        max_count=bot.settings.invite_bulk_max,
        allowed_domains=bot.settings.allowed_domains,
        roles=roles,
    )
    if check.refused is not None:
        await _tell(bot, channel_id, user_id, refused_message(source, check.refused))
        return
    draft = BulkDraft(
        id=uuid.uuid5(uuid.NAMESPACE_URL, key).hex[:16],
        user_id=user_id,
        channel_id=channel_id,
        role=role,
        rows=tuple((row.address or "", row.role) for row in check.good),
        source=source,
    )
    if not check.bad:
        await begin(bot, draft, key=key)
        return
    await bot.store.write(lambda tx: tx.drafts.save(draft))
    await _tell(bot, channel_id, user_id, confirm_message(check, source=source, draft_id=draft.id))


async def _roles(bot: Bot) -> list[str] | None:
    """The organization's roles, to check the rows' (None: unknown, not checked)."""
    try:
        return await bot.role_names()
    except GencoveError as exc:
        log.info("roles unavailable (%s); rows' roles are not checked", exc.message)
        return None


async def _may_invite(bot: Bot, user_id: str, channel_id: str) -> bool:
    decision = await bot.inviters.check(user_id)
    if isinstance(decision, Refused):
        await _tell(bot, channel_id, user_id, note(decision.message))
        return False
    return True


async def _start_clicked(bot: Bot, turn: Turn) -> None:
    request = turn.request
    if not await require_inviter(bot.inviters, turn):
        return
    draft_id = _draft_id(turn)
    draft, owner = await bot.store.write(lambda tx: take_to_start(tx, draft_id, request.user))
    if owner is not None:
        await turn.reply(f"This list is <@{owner}>'s to start.")
        return
    if draft is None:
        await turn.reply("That list is no longer here: send it again.", replace=True)
        return
    await turn.reply(
        f"Inviting the {len(draft.rows):,} good addresses of {escape_mrkdwn(draft.source)}; "
        "the progress is in its own message.",
        replace=True,
    )
    await begin(bot, draft, key=DRAFT_KEY + draft_id)


async def _discard_clicked(bot: Bot, turn: Turn) -> None:
    draft_id = _draft_id(turn)
    _, started = await bot.store.write(lambda tx: take_to_cancel(tx, draft_id))
    if started:
        await turn.reply(
            "Not cancelled: that bulk invite has already started. Its progress message "
            "has a Cancel button to stop it."
        )
        return
    await turn.reply("Cancelled: nobody was invited.", replace=True)


def _draft_id(turn: Turn) -> str:
    value = str(turn.payload.get("value") or "")
    if not DRAFT_ID.fullmatch(value):
        raise OutOfDate("a bulk invite button's value")
    return value


# -- the start, and Cancel --------------------------------------------------------


async def begin(bot: Bot, draft: BulkDraft, *, key: str) -> None:
    """Post the progress message, then run the job (kind "bulk") that updates it.

    `key` makes this idempotent: a second click or a redelivery finds the job by it."""
    existing = await bot.store.read(lambda tx: tx.jobs.by_delivery_key(key))
    if existing is not None:
        return
    addresses = [address for address, _ in draft.rows]
    roles = {address: role for address, role in draft.rows if role}
    tally = Tally(total=len(addresses))
    first = progress_message(tally, inviter_id=draft.user_id, job_id=None, left=None)
    where = await _post_progress(bot, draft, first, key=key)
    if where is None:
        return
    job = NewInviteJob(
        slack_user_id=draft.user_id,
        channel_id=where.channel,
        response_url=None,
        role=draft.role,
        addresses=addresses,
        delivery_key=key,
        message_channel_id=where.channel,
        message_ts=where.ts,
        kind="bulk",
        roles=roles,
    )
    await start_invite(bot, job)


async def _post_progress(
    bot: Bot, draft: BulkDraft, message: Message, *, key: str
) -> Posted | None:
    """The progress message in the asker's channel, else in their DM."""
    since = datetime.now(UTC)
    for channel in dict.fromkeys([draft.channel_id, draft.user_id]):
        posted = await bot.outbound.post(channel, message, keys=[key], since=since, look_first=True)
        if isinstance(posted, Posted):
            return posted
        log.warning("bulk progress message not posted in %s: %s", channel, posted.error)
        if not posted.cannot_post_here:
            break
    await _tell(
        bot,
        draft.channel_id,
        draft.user_id,
        note(":warning: The bulk invite did not start: Slack would not take its message."),
    )
    return None


async def _cancel_clicked(bot: Bot, turn: Turn) -> None:
    request = turn.request
    if not await require_inviter(bot.inviters, turn):
        return
    value = str(turn.payload.get("value") or "")
    if not JOB_ID.fullmatch(value):
        raise OutOfDate("a bulk invite's Cancel button")
    job_id = int(value)
    job = await bot.store.read(lambda tx: tx.jobs.get(job_id))
    if job is None or job.kind != "bulk":
        raise OutOfDate("a bulk invite's Cancel button")
    if not await bot.store.write(lambda tx: tx.jobs.cancel(job_id)):
        await turn.reply("That bulk invite has ended.")
        return
    log.info("bulk job %s: cancel asked by %s", job.id, request.user)
    if job.message_channel_id and job.message_ts and bulk_job.may_update_now(job.id):
        tally = Tally.of(item.outcome for item in job.items)
        stopping = progress_message(
            tally, inviter_id=job.slack_user_id, job_id=job.id, left=None, cancelled=True
        )
        await bot.outbound.update(Posted(job.message_channel_id, job.message_ts), stopping)
    await turn.reply("Stopping after the requests in flight. What was sent stays sent.")


# -- notes ------------------------------------------------------------------------


async def _tell(bot: Bot, channel_id: str, user_id: str, message: Message) -> None:
    if channel_id.startswith("D"):
        await _post_dm(bot, channel_id, message)
    else:
        await bot.outbound.tell(user_id, message, channel=channel_id)


async def _post_dm(bot: Bot, channel_id: str, message: Message) -> None:
    posted = await bot.outbound.post(channel_id, message)
    if not isinstance(posted, Posted):
        log.warning("a DM note was not posted (%s)", posted.error)
