"""Bulk invites, the Slack side: where a long list comes from, its check, and its start.

A list arrives three ways: pasted in the invite modal (more than a command takes), a CSV
uploaded in the modal's file field, or a CSV (or pasted text) sent to the bot in a DM
(`file_shared` and `message` events). Every row is checked first (`invite_bot.domain.bulk`);
if any is bad, the asker gets the list of bad rows with "Invite the N good ones" and
"Cancel", and the checked rows wait in the store (a draft) for that click (the bad ones
too: they are skipped, and named in the summary and the report). Then the job starts
(`invite_bot.jobs.engine`, kind "bulk": see `job.py` for its progress message and
`report.py` for its report). The progress message's Cancel asks the job to stop after the
requests in flight.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from invite_bot.config.settings import Settings
from invite_bot.domain.bulk import Row, check_rows, read_csv, read_pasted
from invite_bot.domain.policy import Refused
from invite_bot.domain.records import SkippedRow
from invite_bot.features.bulk.blocks import confirm_message, refused_message
from invite_bot.features.bulk.files import Files
from invite_bot.features.bulk.notes import post_dm, tell
from invite_bot.features.invite.checks import Inviting
from invite_bot.gencove import GencoveError
from invite_bot.gencove.roles import Roles
from invite_bot.jobs.engine import Jobs
from invite_bot.slack.blockkit import Message, note
from invite_bot.slack.outbound import Outbound
from invite_bot.store import BulkDraft, NewInviteJob, Store

log = logging.getLogger(__name__)

DRAFT_KEY = "bulk-draft:"  # + a draft's id: the delivery key of the job it starts
DM_HINT = (
    "To invite many people at once, send me a CSV file (`email[,role]` per line) or paste "
    "their addresses here, one per line."
)


# -- where a list comes from ---------------------------------------------------


class Bulk:
    """Bulk invites: a long list or a CSV checked row by row, the choice, and the start."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        outbound: Outbound,
        files: Files,
        inviting: Inviting,
        roles: Roles,
        jobs: Jobs,
    ) -> None:
        self.settings = settings
        self.store = store
        self.outbound = outbound
        self.files = files
        self.inviting = inviting
        self.roles = roles
        self.jobs = jobs

    def wants_bulk(self, text: str, files: Sequence[Mapping[str, Any]]) -> bool:
        """Whether a modal submission is a bulk invite: a file, or more than a command takes."""
        if files:
            return True
        return len(read_pasted(text)) > self.settings.invite_max_per_command

    def pasted_refusal(self, text: str) -> str | None:
        """Why a pasted list is too long for one bulk invite (counted, not checked: the ack
        must not wait), else None."""
        count = len({row.typed for row in read_pasted(text)})
        limit = self.settings.invite_bulk_max
        if count <= limit:
            return None
        return f"That is {count:,} addresses; one bulk invite takes at most {limit:,}."

    async def from_modal(
        self,
        *,
        user_id: str,
        channel_id: str,
        text: str,
        files: Sequence[Mapping[str, Any]],
        role: str | None,
        delivery_key: str,
    ) -> None:
        """The invite modal's list or file (the modal has closed: answers come as notes)."""
        if not await self.may_invite(user_id, channel_id):
            return
        rows: list[Row] = read_pasted(text) if text.strip() else []
        source = "Your list"
        for shared in files[:1]:
            fetched = await self.files.fetch(str(shared.get("id") or ""))
            source = fetched.name
            if fetched.problem is not None:
                await self._tell(channel_id, user_id, refused_message(source, fetched.problem))
                return
            from_file, problem = read_csv(fetched.data, max_rows=self.settings.invite_bulk_max)
            if problem is not None:
                await self._tell(channel_id, user_id, refused_message(source, problem))
                return
            rows = from_file if not rows else rows + _after(rows, from_file)
        await self.check_and_offer(user_id, channel_id, rows, role, source, delivery_key)

    async def from_dm_file(self, user_id: str, channel_id: str, file_id: str) -> None:
        # Slack sends both a `file_shared` and a `message` event for one upload: act once.
        key = f"bulk-file:{file_id}"
        if not file_id or not await self.store.write(lambda tx: tx.deliveries.claim(key)):
            return
        if not await self.may_invite(user_id, channel_id):
            return
        fetched = await self.files.fetch(file_id)
        if fetched.problem is not None:
            # Handled only once read: sharing the same file again is answered anew.
            await self.store.write(lambda tx: tx.deliveries.forget(key))
            await self.post_dm(channel_id, refused_message(fetched.name, fetched.problem))
            return
        rows, problem = read_csv(fetched.data, max_rows=self.settings.invite_bulk_max)
        if problem is not None:
            await self.post_dm(channel_id, refused_message(fetched.name, problem))
            return
        await self.check_and_offer(
            user_id, channel_id, rows, None, fetched.name, f"bulk-file:{file_id}"
        )

    async def check_and_offer(
        self,
        user_id: str,
        channel_id: str,
        rows: Sequence[Row],
        role: str | None,
        source: str,
        key: str,
    ) -> None:
        roles = await self._roles()
        # Checking a thousand addresses takes a while: on a thread, so acks are not held up.
        check = await asyncio.to_thread(
            check_rows,
            rows,
            max_count=self.settings.invite_bulk_max,
            allowed_domains=self.settings.allowed_domains,
            roles=roles,
        )
        if check.refused is not None:
            await self._tell(channel_id, user_id, refused_message(source, check.refused))
            return
        draft = BulkDraft(
            id=uuid.uuid5(uuid.NAMESPACE_URL, key).hex[:16],
            user_id=user_id,
            channel_id=channel_id,
            role=role,
            rows=tuple((row.address or "", row.role) for row in check.good),
            source=source,
            skipped=tuple(
                SkippedRow(row.number, row.typed, row.problem or "not usable") for row in check.bad
            ),
        )
        if not check.bad:
            await self.begin(draft, key=key)
            return
        await self.store.write(lambda tx: tx.drafts.save(draft))
        await self._tell(
            channel_id, user_id, confirm_message(check, source=source, draft_id=draft.id)
        )

    async def _roles(self) -> list[str] | None:
        """The organization's roles, to check the rows' (None: unknown, not checked)."""
        try:
            return await self.roles.names()
        except GencoveError as exc:
            log.info("roles unavailable (%s); rows' roles are not checked", exc.message)
            return None

    async def may_invite(self, user_id: str, channel_id: str) -> bool:
        decision = await self.inviting.inviters.check(user_id)
        if isinstance(decision, Refused):
            await self._tell(channel_id, user_id, note(decision.message))
            return False
        return True

    async def begin(self, draft: BulkDraft, *, key: str) -> None:
        """Run the job (kind "bulk": its progress message is posted before anything is
        sent, see `job.py`).

        `key` makes this idempotent: a second click or a redelivery finds the job by it."""
        existing = await self.store.read(lambda tx: tx.jobs.by_delivery_key(key))
        if existing is not None:
            return
        job = NewInviteJob(
            slack_user_id=draft.user_id,
            channel_id=draft.channel_id,
            response_url=None,
            role=draft.role,
            addresses=[address for address, _ in draft.rows],
            delivery_key=key,
            kind="bulk",
            roles={address: role for address, role in draft.rows if role},
            skipped=draft.skipped,
        )
        await self.jobs.start(job)

    async def _tell(self, channel_id: str, user_id: str, message: Message) -> None:
        await tell(self.outbound, channel_id, user_id, message)

    async def post_dm(self, channel_id: str, message: Message) -> None:
        await post_dm(self.outbound, channel_id, message)


def _after(first: Sequence[Row], more: Sequence[Row]) -> list[Row]:
    """File rows numbered after the pasted ones, when both were given."""
    offset = max((row.number for row in first), default=0)
    return [Row(row.number + offset, row.typed, row.address, row.role, row.problem) for row in more]
