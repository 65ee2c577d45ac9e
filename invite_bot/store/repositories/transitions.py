"""Status changes of invitations, as the watcher (or a revoke, or an invite) saw them:
each is recorded on its invitation and queued in the outbox once per channel, in one
transaction; the watcher's silent first poll (the baseline) queues nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from invite_bot.domain.notifications import personal_recipient
from invite_bot.domain.records import KnownInvitation, OutboxItem, OutboxKind, Transition
from invite_bot.store.repositories.invitations import Invitations, invitation_from_row, sighted
from invite_bot.store.repositories.notify import opted_out
from invite_bot.store.repositories.outbox import outbox_item_from_row
from invite_bot.store.repositories.repository import Repository, chunks, insert_or_nothing_returning
from invite_bot.store.repositories.state import BASELINE_DONE, State
from invite_bot.store.schema import invitations, outbox, utcnow


class Transitions(Repository):
    def apply(
        self,
        transitions: Sequence[Transition],
        *,
        notify_channels: Sequence[str],
        job_id: int | None = None,
    ) -> list[OutboxItem]:
        """Record one poll's transitions and queue their Slack posts, in one transaction.

        Returns only the outbox items this call created: applying the same transition
        again, from this process or another, queues nothing. `job_id`: the invite job
        that made them (its notifications become one post, in the order typed).
        """
        if not transitions:
            return []
        channels = list(dict.fromkeys(notify_channels))
        # One lock order for every caller, so concurrent appliers never deadlock.
        ordered = sorted(transitions, key=lambda t: (t.invitation_id, t.at))
        latest = {t.invitation_id: t for t in ordered}
        first_seen: dict[str, datetime] = {}
        for t in ordered:
            first_seen.setdefault(t.invitation_id, t.at)
        now = utcnow()
        known: dict[str, KnownInvitation] = {}
        for chunk in chunks(list(latest.values())):
            stmt = self._upsert(chunk, first_seen).returning(*invitations.c)
            for row in self._conn.execute(stmt).mappings():
                known[row["id"]] = invitation_from_row(row)
        rows: list[dict[str, Any]] = []
        inviters = {k.inviter_slack_id for k in known.values() if k.inviter_slack_id}
        quiet = opted_out(self._conn, inviters)
        # Queued in the order things happened, which is the order they are sent in; at one
        # time, in the order given (an invite job's: the order its addresses were typed).
        for transition in sorted(transitions, key=lambda t: t.at):
            invitation = known[transition.invitation_id]
            rows += _outbox_rows(transition, invitation, channels, now, job_id)
            # The inviter hears of it in a DM, unless it was their own doing.
            person = personal_recipient(
                new_status=transition.new_status,
                inviter=invitation.inviter_slack_id,
                actor=transition.actor_name,
                opted_out=quiet,
            )
            if person is not None:
                payload = _payload(transition, invitation)
                rows.append(_outbox_row("dm", transition, person, payload, now))
        created: list[OutboxItem] = []
        for chunk_rows in chunks(rows):
            new = insert_or_nothing_returning(self._conn, outbox, chunk_rows, *outbox.c)
            created += [outbox_item_from_row(row) for row in new]
        created.sort(key=lambda item: item.id)
        return created

    def _upsert(self, chunk: Sequence[Transition], first_seen: Mapping[str, datetime]) -> Any:
        stmt = self.insert(invitations).values(
            [
                {
                    "id": t.invitation_id,
                    "email": t.email,
                    "role": t.role,
                    "status": t.new_status,
                    "expires": t.expires,
                    "first_seen": first_seen[t.invitation_id],
                    "updated_at": t.at,
                    "changed_by": t.actor_name,
                }
                for t in chunk
            ]
        )
        new = stmt.excluded
        return stmt.on_conflict_do_update(
            index_elements=[invitations.c.id], set_={**sighted(new), "changed_by": new.changed_by}
        )

    def baseline(self, rows: Sequence[KnownInvitation]) -> None:
        """The silent first poll: record what already exists, announce nothing, and set
        the state key BASELINE_DONE in the same transaction."""
        Invitations(self._conn).record(rows)
        State(self._conn).set(BASELINE_DONE, utcnow().isoformat())


def _outbox_rows(
    transition: Transition,
    invitation: KnownInvitation,
    channels: Sequence[str],
    now: datetime,
    job_id: int | None = None,
) -> list[dict[str, Any]]:
    """A notification per channel, plus an update of the bot's message where there is one."""
    payload = _payload(transition, invitation)
    if job_id is not None:
        payload["job_id"] = job_id
    rows = [_outbox_row("notify", transition, channel, payload, now) for channel in channels]
    if invitation.channel_id is not None and invitation.message_ts is not None:
        message = {
            "channel_id": invitation.channel_id,
            "message_ts": invitation.message_ts,
            "block_id": invitation.block_id,
        }
        rows.append(
            _outbox_row(
                "message_update",
                transition,
                invitation.channel_id,
                {**payload, "message": message},
                now,
            )
        )
    return rows


def _outbox_row(
    kind: OutboxKind,
    transition: Transition,
    channel_id: str,
    payload: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "invitation_id": transition.invitation_id,
        "new_status": transition.new_status,
        "channel_id": channel_id,
        "payload": payload,
        "state": "pending",
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
        "available_at": now,
    }


def _payload(transition: Transition, invitation: KnownInvitation) -> dict[str, Any]:
    """What the sender needs to word the message, frozen at the time of the transition."""
    return {
        "invitation_id": transition.invitation_id,
        "email": transition.email,
        "role": transition.role,
        "old_status": transition.old_status,
        "new_status": transition.new_status,
        "expires": _iso(transition.expires),
        "actor_name": transition.actor_name,
        "at": _iso(transition.at),
        "inviter_slack_id": invitation.inviter_slack_id,
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
