"""`/gencove revoke EMAIL|ID …`: bounded like `invite`, one pending-list read, every outcome.

The same cap per command as `invite` (`INVITE_MAX_PER_COMMAND`) and the same rate as
`INVITE_RATE_LIMIT` (in a window of its own, so revoking stale invitations does not use
up the allowance to invite). Addresses are looked up in ONE read of Gencove's pending list,
whatever their number; each pending invitation found is revoked by `revoking.revoke`, a
few at a time. The reply lists every target's outcome, packed into as few sections as
Slack allows, and says how many more when even that is not enough.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from invite_bot.domain.command.types import RevokeByEmail, RevokeTarget
from invite_bot.domain.policy import check_rate
from invite_bot.domain.ratelimit import SlidingWindow
from invite_bot.domain.text import escape_mrkdwn, truncate
from invite_bot.features.revoke.blocks import describe
from invite_bot.features.revoke.revoking import Revoking
from invite_bot.gencove import GencoveError
from invite_bot.gencove.client import GencoveClient
from invite_bot.slack.blockkit import MAX_BLOCKS, SECTION_TEXT, Message, pack
from invite_bot.slack.guard import gencove_failed

AT_ONCE = 4  # revokes in flight for one command
TOO_MANY = (
    "Nothing was revoked: that is {count} invitations, and one command revokes at most "
    "{limit}. Revoke them in smaller batches."
)


class RevokeCommand:
    """`/gencove revoke EMAIL|ID …`, within the same bounds as an invite."""

    def __init__(
        self, *, revoking: Revoking, gencove: GencoveClient, max_targets: int, window: SlidingWindow
    ) -> None:
        self.revoking = revoking
        self.gencove = gencove
        self.max_targets = max_targets
        self.window = window

    async def revoke_typed(
        self, targets: Sequence[RevokeTarget], *, user_id: str, channel_id: str
    ) -> Message:
        """Revoke what the user named, within the bounds; the reply, one line per target."""
        limit = self.max_targets
        if len(targets) > limit:
            return report([TOO_MANY.format(count=len(targets), limit=limit)])
        allowance = self.window.allow(user_id, len(targets), time.monotonic())
        limited = check_rate(
            allowance, rate=self.window.rate, requested=len(targets), revoking=True
        )
        if limited is not None:
            return report([limited.message])
        pending: dict[str, list[str]] | GencoveError = {}
        if any(isinstance(target, RevokeByEmail) for target in targets):
            pending = await self._pending_ids()
        gate = asyncio.Semaphore(AT_ONCE)

        async def one(target: RevokeTarget) -> list[str]:
            async with gate:
                return await self._revoke_target(target, pending, user_id, channel_id)

        lines = [line for found in await asyncio.gather(*map(one, targets)) for line in found]
        return report(lines)

    async def _pending_ids(self) -> dict[str, list[str]] | GencoveError:
        """Gencove's pending invitations' ids by address, from one read of the list."""
        found: dict[str, list[str]] = {}
        try:
            async for invitation in self.gencove.iter_invitations("pending"):
                found.setdefault((invitation.email or "").lower(), []).append(invitation.id)
        except GencoveError as exc:
            return exc
        return found

    async def _revoke_target(
        self,
        target: RevokeTarget,
        pending: dict[str, list[str]] | GencoveError,
        user_id: str,
        channel_id: str,
    ) -> list[str]:
        if isinstance(target, RevokeByEmail):
            label = escape_mrkdwn(target.email)
            if isinstance(pending, GencoveError):
                return [f"• {label}: not revoked. {gencove_failed(pending)}"]
            ids = pending.get(target.email.lower(), [])
            if not ids:
                return [f"• {label}: no pending invitation, nothing revoked."]
        else:
            label, ids = escape_mrkdwn(target.invitation_id), [target.invitation_id]
        lines = []
        for invitation_id in ids:  # an address may have more than one, made outside Slack
            try:
                outcome = await self.revoking.revoke(
                    invitation_id, user_id=user_id, channel_id=channel_id
                )
            except GencoveError as exc:
                lines.append(f"• {label}: not revoked. {gencove_failed(exc)}")
                continue
            shown = escape_mrkdwn(outcome.email) if outcome.email else label
            lines.append(f"• {shown}: {describe(outcome)}")
        return lines


def report(lines: Sequence[str]) -> Message:
    """Every line, packed into sections within Block Kit's limits (pure)."""
    sections = pack(lines)
    if len(sections) > MAX_BLOCKS:
        hidden = sum(s.count("\n") + 1 for s in sections[MAX_BLOCKS - 1 :])
        sections = [*sections[: MAX_BLOCKS - 1], f"…and {hidden} more."]
    blocks = [
        SectionBlock(block_id=f"lines:{i}", text=MarkdownTextObject(text=text)).to_dict()
        for i, text in enumerate(sections)
    ]
    return Message(text=truncate("\n".join(lines), SECTION_TEXT), blocks=blocks)
