"""The rows of a job's message, from the stored facts: each address as its message shows
it now, with the re-invites made from it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from invite_bot.domain.records import InviteRow
from invite_bot.store import InviteJob, KnownInvitation, Store


async def job_rows(
    store: Store, job: InviteJob, *, known: Mapping[str, InviteRow] | None = None
) -> list[InviteRow]:
    """The job's addresses as its message shows them. `known`: rows just learnt, by
    address (the store is read only for the others, so a fresh job costs no read)."""
    fresh = known or {}
    ids = [
        item.invitation_id for item in job.items if item.invitation_id and item.email not in fresh
    ]
    found = await store.read(lambda tx: tx.invitations.get_many(ids)) if ids else []
    stored = {inv.id: inv for inv in found}
    rows = []
    for item in job.items:
        invitation = stored.get(item.invitation_id or "")
        if item.email in fresh:
            rows.append(fresh[item.email])
        elif item.outcome in ("failed", "member", "unsure"):
            rows.append(
                InviteRow(
                    email=item.email, status=item.outcome, role=job.role or "", error=item.error
                )
            )
        elif item.outcome is None or invitation is None:
            rows.append(InviteRow(email=item.email, status="working", role=job.role or ""))
        else:
            rows.append(
                InviteRow(
                    email=item.email,
                    status=invitation.status,
                    role=invitation.role,
                    invitation_id=invitation.id,
                    expires=invitation.expires,
                    changed_by=invitation.changed_by,
                    existing=item.outcome == "existing",
                )
            )
    # A pending invitation is not re-invited: only a job showing others can have any.
    if all(row.status in ("pending", "failed", "member", "unsure", "working") for row in rows):
        return rows
    return await with_reinvites(store, rows)


def known_row(known: KnownInvitation) -> InviteRow:
    return InviteRow(
        email=known.email,
        status=known.status,
        role=known.role,
        invitation_id=known.id,
        expires=known.expires,
        changed_by=known.changed_by,
    )


async def with_reinvites(
    store: Store, rows: Sequence[InviteRow], *, follow: bool = True
) -> list[InviteRow]:
    """Rows of a result message or a list with their re-invites shown: the old row says
    who re-invited it (and loses its button); with `follow`, the new invitation's row
    follows it."""
    ids = [row.invitation_id for row in rows if row.invitation_id]
    reinvites = await store.read(lambda tx: tx.reinvites.get_many(ids)) if ids else {}
    if not reinvites:
        return list(rows)
    new_ids = [r.new_invitation_id for r in reinvites.values() if r.new_invitation_id]
    found = await store.read(lambda tx: tx.invitations.get_many(new_ids)) if new_ids else []
    new = {k.id: k for k in found}
    shown = {row.invitation_id for row in rows}
    out: list[InviteRow] = []
    for row in rows:
        reinvite = reinvites.get(row.invitation_id or "")
        if reinvite is None:
            out.append(row)
            continue
        out.append(replace(row, reinvited_by=reinvite.by_user))
        if not follow:
            continue
        made = new.get(reinvite.new_invitation_id or "")
        if made is None:
            out.append(InviteRow(email=row.email, status="working", role=row.role))
        elif made.id not in shown:
            out.append(known_row(made))
    return out
