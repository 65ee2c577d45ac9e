"""Where a bulk invite starts and stops: a CSV or a list sent to the bot in a DM (the
`file_shared` and `message` events), the choice after the bad rows (Start, Cancel), and
the progress message's Cancel."""

from __future__ import annotations

import re
from collections.abc import Mapping

from invite_bot.domain.bulk import read_pasted, typed_text
from invite_bot.domain.bulk_progress import counted
from invite_bot.domain.text import escape_mrkdwn
from invite_bot.features.bulk.blocks import BULK_CANCEL, BULK_DISCARD, BULK_START
from invite_bot.features.bulk.choice import Decided, take_to_cancel, take_to_start
from invite_bot.features.bulk.intake import DM_HINT, DRAFT_KEY, Bulk, log
from invite_bot.features.bulk.job import BulkKind
from invite_bot.slack.blockkit import note
from invite_bot.slack.guard import Turn, later
from invite_bot.slack.people import require_inviter
from invite_bot.slack.reading import Posted
from invite_bot.slack.router import Router
from invite_bot.slack.trust import OutOfDate
from invite_bot.store import InviteJob

DRAFT_ID = re.compile(r"[0-9a-f]{16}")
JOB_ID = re.compile(r"[0-9]{1,18}")


def register(router: Router, bulk: Bulk, kind: BulkKind) -> None:
    clicks = _Clicks(bulk, kind)
    router.action(BULK_START, later(clicks.start), name="bulk_start")
    router.action(BULK_DISCARD, later(clicks.discard), name="bulk_discard")
    router.action(BULK_CANCEL, later(clicks.cancel), name="bulk_cancel")
    router.event("file_shared", later(clicks.file_shared), name="file_shared")
    router.event("message", later(clicks.direct_message), name="direct_message")


class _Clicks:
    def __init__(self, bulk: Bulk, kind: BulkKind) -> None:
        self.bulk, self.kind = bulk, kind

    async def file_shared(self, turn: Turn) -> None:
        event = turn.payload
        file_id = str(event.get("file_id") or (event.get("file") or {}).get("id") or "")
        user_id = str(event.get("user_id") or turn.request.user_id or "")
        channel_id = str(event.get("channel_id") or "")
        if not file_id or not user_id or not channel_id.startswith("D"):
            return  # only a file shared with the bot in a DM is a list to invite
        await self.bulk.from_dm_file(user_id, channel_id, file_id)

    async def direct_message(self, turn: Turn) -> None:
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
            await self.bulk.from_dm_file(user_id, channel_id, str(files[0].get("id") or ""))
            return
        # As Slack sends it: typed addresses linked (`<mailto:…|…>`), `&` as `&amp;`.
        rows = read_pasted(typed_text(str(event.get("text") or "")))
        if not any("@" in row.typed for row in rows):
            await self.bulk.post_dm(channel_id, note(DM_HINT))
            return
        if not await self.bulk.may_invite(user_id, channel_id):
            return
        key = f"bulk-dm:{channel_id}:{event.get('ts')}"
        await self.bulk.check_and_offer(user_id, channel_id, rows, None, "Your list", key)

    async def start(self, turn: Turn) -> None:
        request = turn.request
        if not await require_inviter(self.bulk.inviting.inviters, turn):
            return
        draft_id = _draft_id(turn)
        start = await self.bulk.store.write(lambda tx: take_to_start(tx, draft_id, request.user))
        if start.owner is not None:
            await turn.reply(f"This list is <@{start.owner}>'s to start.")
            return
        if start.draft is None:
            said, replace = START_LOST[start.before]
            await turn.reply(said, replace=replace)
            return
        draft = start.draft
        await turn.reply(
            f"Inviting the {counted(len(draft.rows), 'good address', 'good addresses')} of "
            f"{escape_mrkdwn(draft.source)}; the progress is in its own message.",
            replace=True,
        )
        await self.bulk.begin(draft, key=DRAFT_KEY + draft_id)

    async def discard(self, turn: Turn) -> None:
        draft_id = _draft_id(turn)
        before = await self.bulk.store.write(lambda tx: take_to_cancel(tx, draft_id))
        if before is None:
            await turn.reply("Cancelled: nobody was invited.", replace=True)
            return
        said, replace = DISCARD_LOST[before]
        await turn.reply(said, replace=replace)

    async def cancel(self, turn: Turn) -> None:
        request = turn.request
        if not await require_inviter(self.bulk.inviting.inviters, turn):
            return
        value = str(turn.payload.get("value") or "")
        if not JOB_ID.fullmatch(value):
            raise OutOfDate("a bulk invite's Cancel button")
        job_id = int(value)
        job = await self.bulk.store.read(lambda tx: tx.jobs.get(job_id))
        if job is None or job.kind != "bulk":
            raise OutOfDate("a bulk invite's Cancel button")
        # Refused once the job is closed (its closing message is shown): that is the last word.
        if not await self.bulk.store.write(lambda tx: tx.jobs.cancel(job_id)):
            await turn.reply("That bulk invite has ended.")
            return
        log.info("bulk job %s: cancel asked by %s", job.id, request.user)
        await turn.reply("Stopping after the requests in flight. What was sent stays sent.")
        if job.message_channel_id and job.message_ts:
            await self._show_stopping(job, Posted(job.message_channel_id, job.message_ts))

    async def _show_stopping(self, job: InviteJob, where: Posted) -> None:
        """The progress message says it is stopping (when the pace allows). Should the job
        have closed while this update was on its way, the closing message is shown again
        (rendered from the store)."""
        await self.kind.show_now(job, where)
        job_id = job.id
        now = await self.bulk.store.read(lambda tx: tx.jobs.get(job_id))
        if now is not None and now.closed_at is not None:
            await self.bulk.jobs.messages.refresh(where.channel, where.ts)


# What a Start click that did not take its list is told (the text, and whether it replaces
# the list's message), by what was decided before it.
START_LOST: dict[Decided, tuple[str, bool]] = {
    "started": ("Already started: its progress is in its own message.", False),
    "cancelled": ("That list was cancelled, so nobody was invited. Send it again.", False),
    "gone": ("That list is no longer here: send it again.", True),
}
DISCARD_LOST: dict[Decided, tuple[str, bool]] = {
    "started": (
        "Not cancelled: that bulk invite has already started. Its progress message has a "
        "Cancel button to stop it.",
        False,
    ),
    "cancelled": ("Already cancelled: nobody was invited.", False),
    "gone": ("That list is no longer here: nobody was invited from it.", True),
}


def _draft_id(turn: Turn) -> str:
    value = str(turn.payload.get("value") or "")
    if not DRAFT_ID.fullmatch(value):
        raise OutOfDate("a bulk invite button's value")
    return value
