"""Deciding invite requests: Approve, Deny (with its form), Withdraw, and expiry.

Each decision is one conditional UPDATE (`store.requests.decide`): of two inviters
clicking at once, a double click, or Approve and Deny together, exactly one wins, in one
process or across replicas; the others are told who decided. Approve then runs the
invitations as if the approver had typed `/gencove invite` (their linked key, else the
organization key; the duplicate guard, the rate limit): the invite job is stored in the
same transaction as the decision, so a crash right after is resumed like any job.

Showing the outcome (the request's messages updated in place, the member told by DM) is
claimed once per outcome (`claim_shown`); the watcher shows what a click could not (an
expiry, or a decision whose process died before showing it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from invite_bot.domain.records import InviteRow
from invite_bot.domain.requests import (
    RequestFacts,
    check_decision,
    check_withdraw,
    clean_reason,
    decided_phrase,
    is_expired,
)
from invite_bot.features.invite.checks import Inviting
from invite_bot.features.requests.blocks import (
    DENY_REASON_BLOCK,
    DENY_REASON_INPUT,
    LISTED,
    deny_modal,
    outcome_note,
    request_message,
    requests_list,
    withdrawn,
)
from invite_bot.jobs.engine import Jobs
from invite_bot.jobs.rows import job_rows
from invite_bot.slack.blockkit import Message, note
from invite_bot.slack.guard import Turn
from invite_bot.slack.outbound import Outbound
from invite_bot.slack.reading import Posted
from invite_bot.slack.trust import REQUEST_ID, OutOfDate
from invite_bot.store import InviteRequest, NewInviteJob, RequestMessage, Store, Tx
from invite_bot.store.schema import utcnow

log = logging.getLogger(__name__)


def facts(request: InviteRequest | None) -> RequestFacts | None:
    if request is None:
        return None
    return RequestFacts(
        status=request.status,
        requester=request.requester_slack_id,
        expires_at=request.expires_at,
        decided_by=request.decided_by,
        decision_note=request.decision_note,
    )


def _request_id(turn: Turn) -> int:
    """The request a button (or the Deny form) names; `OutOfDate` for any value the bot
    could not have written."""
    raw = turn.payload.get("value") or turn.request.metadata.get("request_id")
    if not isinstance(raw, str) or not REQUEST_ID.fullmatch(raw):
        raise OutOfDate("an invite request button's value")
    return int(raw)


class Deciding:
    """Decides invite requests once each (see the module doc), and shows the outcome."""

    def __init__(self, *, store: Store, outbound: Outbound, inviting: Inviting, jobs: Jobs) -> None:
        self.store = store
        self.outbound = outbound
        self.inviting = inviting
        self.jobs = jobs

    async def _checked(self, turn: Turn, request_id: int) -> InviteRequest | None:
        """The request if the clicker may decide it now; else they are told why not."""
        user = turn.request.user
        inviter = await self.inviting.inviters.check(user)
        request = await self._get(request_id)
        now = utcnow()
        refusal = check_decision(inviter, facts(request), now)
        if refusal is None:
            return request
        await self._say(turn, refusal.message)
        if request is not None and request.status == "open" and is_expired(request.expires_at, now):
            await self.expire_one(request.id, now)
        return None

    async def approve(self, turn: Turn) -> None:
        request = await self._checked(turn, _request_id(turn))
        if request is None:
            return
        user = turn.request.user
        # The usual checks of an invite, as the approver: the allow-list as it is now, and the
        # approver's rate limit (asking counted against the member's already).
        _, refusal = self.inviting.read_addresses("\n".join(request.addresses))
        if refusal is not None:
            await self._say(turn, refusal.message)
            return
        count = len(request.addresses)
        limited = self.inviting.over_rate(user, count)
        if limited is not None:
            await self._say(turn, limited.message)
            return
        shown_at = _job_message(request, turn)
        job = NewInviteJob(
            slack_user_id=user,
            channel_id=shown_at.channel_id if shown_at else turn.request.channel,
            response_url=None if shown_at else turn.request.response_url,
            role=request.role,
            addresses=request.addresses,
            delivery_key=f"invite-request:{request.id}",
            message_channel_id=shown_at.channel_id if shown_at else None,
            message_ts=shown_at.message_ts if shown_at else None,
        )
        audit = _audit(user, "request_approved", turn.request.channel_id, _detail(request))
        now = utcnow()
        holding = self.jobs.holding

        def approved(tx: Tx) -> bool:
            if not _decided(tx, request.id, audit, status="approved", by=user, now=now):
                return False
            tx.requests.set_job(
                request.id, tx.jobs.create(job, owner=holding.instance, lease=holding.lease)
            )
            return True

        won = await self.store.write(approved)
        if not won:
            await self._lost(turn, request.id)
            return
        await self.jobs.start(job)
        await self.settle(request.id)
        await self._refresh_list(turn)

    async def open_deny_form(self, turn: Turn) -> None:
        request = await self._checked(turn, _request_id(turn))
        if request is None:
            return
        metadata = {
            "channel_id": turn.request.channel_id or "",
            "message_ts": turn.request.message_ts or "",
            "response_url": turn.request.response_url or "",
        }
        await turn.open_form(deny_modal(request, metadata=metadata))

    async def deny(self, turn: Turn) -> None:
        """The Deny form was submitted: the same checks again (time has passed), then decide."""
        request = await self._checked(turn, _request_id(turn))
        if request is None:
            return
        values = (turn.payload.get("state") or {}).get("values") or {}
        typed = values.get(DENY_REASON_BLOCK, {}).get(DENY_REASON_INPUT, {}).get("value")
        reason = clean_reason(typed if isinstance(typed, str) else None)
        user = turn.request.user
        detail = {**_detail(request), "reason": reason}
        audit = _audit(user, "request_denied", turn.request.channel_id, detail)
        won = await self.store.write(
            lambda tx: _decided(
                tx, request.id, audit, status="denied", by=user, now=utcnow(), note=reason
            )
        )
        if not won:
            await self._lost(turn, request.id)
            return
        await self.settle(request.id)

    async def withdraw(self, turn: Turn) -> None:
        """The member who asked takes an open request back."""
        user = turn.request.user
        request_id = _request_id(turn)
        request = await self._get(request_id)
        now = utcnow()
        refusal = check_withdraw(user, facts(request), now)
        if refusal is not None or request is None:
            await self._say(turn, refusal.message if refusal else "")
            return
        audit = _audit(user, "request_withdrawn", turn.request.channel_id, _detail(request))
        request_id = request.id
        won = await self.store.write(
            lambda tx: _decided(
                tx, request_id, audit, status="withdrawn", by=user, now=now, requester=user
            )
        )
        if not won:
            await self._lost(turn, request.id)
            return
        await self.settle(request.id)
        if not turn.request.response_url:  # on a view (the Home tab shows it again itself)
            await self._say(turn, withdrawn(request, []).text)
            return
        found = await self.store.read(
            lambda tx: tx.requests.open_requests(requester=user, limit=LISTED + 1)
        )
        await turn.reply(withdrawn(request, found), replace=True)

    async def expire_one(self, request_id: int, now: datetime) -> bool:
        """Close a request whose time is up, once, and show it."""
        audit = _audit(None, "request_expired", None, {"request": request_id})
        won = await self.store.write(
            lambda tx: _decided(tx, request_id, audit, status="expired", by=None, now=now)
        )
        if won:
            await self.settle(request_id)
        return won

    async def expire_due(self) -> int:
        """Expire every open request whose time is up; returns how many this call expired."""
        now = utcnow()
        expired = 0
        for request_id in await self.store.read(lambda tx: tx.requests.due_to_expire(now)):
            expired += await self.expire_one(request_id, now)
        return expired

    async def settle(self, request_id: int) -> bool:
        """Show a closed request's outcome on its messages and tell the member, once.

        An approved request is shown once its invite job is finished (each address's result
        is known); until then, or if this process dies first, the watcher shows it later.
        """
        request = await self.store.read(lambda tx: tx.requests.get(request_id))
        if request is None or request.status == "open":
            return False
        rows: list[InviteRow] | None = None
        inviter = ""
        if request.status == "approved":
            job_id = request.job_id
            job = await self.store.read(lambda tx: tx.jobs.get(job_id)) if job_id else None
            if job is None or job.finished_at is None:
                return False
            rows, inviter = await job_rows(self.store, job), job.slack_user_id
            await self._place_invitations(job.message_channel_id, job.message_ts, rows)
        status = request.status
        if not await self.store.write(lambda tx: tx.requests.claim_shown(request_id, status)):
            return False
        message = request_message(request, rows=rows, inviter_id=inviter)
        for shown in request.messages:
            if shown.message_ts:
                await self._update(request.id, Posted(shown.channel_id, shown.message_ts), message)
        # Its reminder, if one went out, shows the outcome too (no Approve or Deny left).
        reminders = await self.store.read(lambda tx: tx.request_reminders.posted(request_id))
        for channel, ts in reminders:
            await self._update(request.id, Posted(channel, ts), request_message(request))
        if request.status != "withdrawn":
            await self._dm(request.requester_slack_id, outcome_note(request, rows or ()))
        return True

    async def _update(self, request_id: int, where: Posted, message: Message) -> None:
        failure = await self.outbound.update(where, message)
        if failure is not None:
            log.warning("request %s: message not updated (%s)", request_id, failure.error)

    async def settle_all(self) -> int:
        """For the watcher: expire what is due, and show every outcome not shown yet."""
        count = await self.expire_due()
        for request in await self.store.read(lambda tx: tx.requests.unshown()):
            count += await self.settle(request.id)
        return count

    async def _place_invitations(
        self, channel: str | None, ts: str | None, rows: Sequence[InviteRow]
    ) -> None:
        """The request message shows the invitations its approval made, so a later revoke,
        acceptance or expiry updates it like any result message."""
        if not channel or not ts:
            return
        made = [row.invitation_id for row in rows if row.invitation_id and not row.existing]

        def place(tx: Tx) -> None:
            for invitation in tx.invitations.get_many(made):
                if not invitation.message_ts:
                    tx.invitations.set_message(
                        invitation.id,
                        channel_id=channel,
                        message_ts=ts,
                        block_id=f"inv:{invitation.id}",
                    )

        await self.store.write(place)

    async def _get(self, request_id: int) -> InviteRequest | None:
        return await self.store.read(lambda tx: tx.requests.get(request_id))

    async def _lost(self, turn: Turn, request_id: int) -> None:
        """Someone else decided first: say who, and how."""
        request = facts(await self.store.read(lambda tx: tx.requests.get(request_id)))
        phrase = decided_phrase(request) if request else "closed"
        await self._say(turn, f"Nothing done: this request was already {phrase}.")

    async def _refresh_list(self, turn: Turn) -> None:
        """Approved from the `/gencove requests` list: show the list as it now is."""
        if turn.request.message_ts is None and turn.request.response_url:
            found = await self.store.read(lambda tx: tx.requests.open_requests(limit=LISTED + 1))
            listing = requests_list(found, as_inviter=True)
            await turn.reply(listing, replace=True)

    async def _say(self, turn: Turn, text: str) -> None:
        """A private note to the clicker: the click's response_url, else the one the Deny form
        carries, else in the channel or a DM."""
        request = turn.request
        if request.response_url:
            await turn.reply(text)
            return
        metadata_url = request.metadata.get("response_url")
        if metadata_url and await self.outbound.respond(str(metadata_url), note(text)) is None:
            return
        await turn.tell(text)

    async def _dm(self, user: str, message: Message) -> None:
        sent = await self.outbound.dm(user, message)
        if not isinstance(sent, Posted):
            log.error("the member %s was not told of their request (%s)", user, sent.error)

    async def shown_at(self, channel_id: str, message_ts: str) -> Message | None:
        """The request message at (channel, ts) with its approval's results, when the bot
        posted one there and it was approved (its job's message is the request's)."""
        job = await self.store.read(lambda tx: tx.jobs.for_message(channel_id, message_ts))
        if job is None:
            return None
        job_id = job.id
        request = await self.store.read(lambda tx: tx.requests.for_job(job_id))
        if request is None:
            return None
        return request_message(
            request, rows=await job_rows(self.store, job), inviter_id=job.slack_user_id
        )


def _audit(
    user: str | None, action: str, channel_id: str | None, detail: dict[str, Any]
) -> dict[str, Any]:
    """An audit entry (the keyword arguments of `tx.audit.add`)."""
    return {"actor_slack_id": user, "action": action, "channel_id": channel_id, "detail": detail}


def _decided(tx: Tx, request_id: int, audit: dict[str, Any], **decision: Any) -> bool:
    """Close the request as `decision` says (`tx.requests.decide`) and audit it; False when
    someone (or something) decided first."""
    if not tx.requests.decide(request_id, **decision):
        return False
    tx.audit.add(**audit)
    return True


def _job_message(request: InviteRequest, turn: Turn) -> RequestMessage | None:
    """Where the approval's results show: the clicked request message, else the first."""
    posted = [m for m in request.messages if m.message_ts]
    clicked = (turn.request.channel_id, turn.request.message_ts)
    for message in posted:
        if (message.channel_id, message.message_ts) == clicked:
            return message
    return posted[0] if posted else None


def _detail(request: InviteRequest) -> dict[str, Any]:
    return {
        "request": request.id,
        "requester": request.requester_slack_id,
        "addresses": list(request.addresses),
        "role": request.role,
    }
