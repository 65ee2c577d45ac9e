"""What an invite job writes to the store, each a unit of work of its own: the job with
its first claims (`store_job`), each chunk's outcomes (`record`), and where its message
is, with the job's end (`place_message`). Kept apart from the job's run (engine.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from invite_bot.domain.records import InviteRow
from invite_bot.domain.transitions import known_invitation, transition
from invite_bot.gencove import Invitation
from invite_bot.jobs.steps import Outcome
from invite_bot.slack.reading import Posted
from invite_bot.store import InviteJob, ItemOutcome, NewInviteJob, Store, Tx


def store_job(
    tx: Tx,
    new_job: NewInviteJob,
    *,
    owner: str,
    lease: timedelta,
    running: frozenset[int],
    notify_channel: str | None,
) -> tuple[InviteJob, tuple[set[str], list[str]] | None]:
    """The job as stored, and (its claimed addresses, the channels to announce in); None
    instead of the latter for a job stored before (a redelivery) that is not to run here."""
    job_id = tx.jobs.create(new_job, owner=owner, lease=lease)
    job = tx.jobs.get(job_id)
    assert job is not None
    if job.finished_at is not None or job.owner != owner or job.id in running:
        return job, None
    # The duplicate guard's first claim, in the same transaction (see JobRun.claim).
    claimed = tx.claims.take(job.id, job.pending_emails, owner=owner, lease=lease)
    # The channel the job posts in gets the result message, not a notification too.
    announce_in = tx.subscriptions.notified(also=notify_channel, besides=new_job.channel_id)
    return job, (claimed, announce_in)


def place_message(
    tx: Tx,
    job: InviteJob,
    rows: Sequence[InviteRow],
    posted: Posted | None,
    *,
    moved: bool,
    finish: bool,
) -> None:
    """Record where the job's message is (if it was posted anew) and which invitations it
    shows; finish the job if `finish`. One transaction."""
    if posted is not None:
        if moved:
            tx.jobs.set_message(job.id, channel_id=posted.channel, message_ts=posted.ts)
        # Invitations that already existed keep the message that first showed them, if any.
        existing = [r.invitation_id for r in rows if r.existing and r.invitation_id]
        shown = tx.invitations.get_many(existing) if existing else []
        unplaced = {invitation.id for invitation in shown if not invitation.message_ts}
        for row in rows:
            # This message shows the invitations it made, and those no other message shows.
            if row.invitation_id and (not row.existing or row.invitation_id in unplaced):
                tx.invitations.set_message(
                    row.invitation_id,
                    channel_id=posted.channel,
                    message_ts=posted.ts,
                    block_id=f"inv:{row.invitation_id}",
                )
    if finish:
        tx.jobs.finish(job.id)


AUDIT_ACTIONS = {
    "created": "invite",
    "existing": "invite_existing",
    "member": "invite_member",
    "unsure": "invite_unsure",
    "cancelled": "invite_cancelled",
}


async def record(
    store: Store, job: InviteJob, outcomes: Sequence[Outcome], announce_in: Sequence[str]
) -> dict[str, InviteRow]:
    """Record a chunk's outcomes in one transaction: the invitations, the job's items, the
    audit entries, the claims' release and the announcements land together or not at all.
    Returns each address's row for the job's message."""
    if not outcomes:
        return {}
    now = datetime.now(UTC)
    invitations = [
        known_invitation(
            o.invitation,
            email=o.email,
            inviter_slack_id=job.slack_user_id if o.created else None,
            now=now,
        )
        for o in outcomes
        if isinstance(o.invitation, Invitation)
    ]
    announced = [
        transition(o.invitation, old=None, new="pending", actor=None, at=now, email=o.email)
        for o in outcomes
        if o.created and isinstance(o.invitation, Invitation)
    ]
    items = [
        ItemOutcome(
            o.email, o.outcome, o.invitation.id if o.invitation is not None else None, o.error
        )
        for o in outcomes
    ]
    audited = [_audit_entry(job, o) for o in outcomes]

    def write(tx: Tx) -> None:
        if invitations:
            tx.invitations.record(invitations)
        tx.jobs.record_items(job.id, items)
        # The next job to claim these addresses finds their invitations in Gencove's list.
        tx.claims.release(job.id, [o.email for o in outcomes])
        tx.audit.add_many(audited)
        if announced and announce_in:
            # Subscribed channels hear of invitations made from Slack too.
            tx.transitions.apply(announced, notify_channels=announce_in, job_id=job.id)

    await store.write(write)
    return {o.email: row_of(o) for o in outcomes}


def _audit_entry(job: InviteJob, outcome: Outcome) -> dict[str, Any]:
    invitation = outcome.invitation
    detail: dict[str, Any] = {"error": outcome.error} if outcome.error else {}
    if invitation is not None:
        detail = {
            "role": invitation.role,
            "as": "linked key" if outcome.created and outcome.as_linked else "organization key",
        }
    return {
        "actor_slack_id": job.slack_user_id,
        "action": AUDIT_ACTIONS.get(outcome.outcome, "invite_failed"),
        "invitation_id": invitation.id if invitation is not None else None,
        "email": outcome.email,
        "channel_id": job.channel_id,
        "detail": detail,
    }


def row_of(outcome: Outcome) -> InviteRow:
    """How the job's message shows one address's outcome (pure)."""
    invitation = outcome.invitation
    if invitation is None:
        return InviteRow(
            email=outcome.email, status=outcome.outcome, role=outcome.role, error=outcome.error
        )
    return InviteRow(
        email=outcome.email,
        status=invitation.status,
        role=invitation.role,
        invitation_id=invitation.id,
        expires=invitation.expires,
        changed_by=getattr(invitation, "changed_by", None),
        existing=not outcome.created,
    )
