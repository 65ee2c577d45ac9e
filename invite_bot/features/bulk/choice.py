"""A bulk invite's choice ("Invite the N good ones" or "Cancel"), as units of work on its
draft: whichever click takes the draft decides, across processes (one conditional
DELETE), and what it decided is remembered, so every later click is told what happened:
the invite started, or the list was cancelled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from invite_bot.store import BulkDraft, Tx

STARTED = "bulk-started:"  # + a draft's id: a delivery key, once its Start took it
DISCARDED = "bulk-discarded:"  # + a draft's id: once its Cancel took it

Decided = Literal["started", "cancelled", "gone"]  # gone: expired, or never sent


@dataclass(frozen=True)
class Start:
    """What a Start click got: the draft (it took it), or who may start it, or what became
    of it before."""

    draft: BulkDraft | None = None
    owner: str | None = None  # someone else's list: theirs to start
    before: Decided = "gone"


def take_to_start(tx: Tx, draft_id: str, user: str) -> Start:
    """The draft, taken for this Start (remembered: STARTED); else why not."""
    draft = tx.drafts.get(draft_id)
    if draft is not None and draft.user_id != user:
        return Start(owner=draft.user_id)
    taken = tx.drafts.take(draft_id) if draft is not None and draft.rows else None
    if taken is not None:
        tx.deliveries.claim(STARTED + draft_id)
        return Start(draft=taken)
    return Start(before=_decided(tx, draft_id))


def take_to_cancel(tx: Tx, draft_id: str) -> Decided | None:
    """None when this Cancel took the draft (remembered: DISCARDED); else what was decided
    before it."""
    if tx.drafts.take(draft_id) is not None:
        tx.deliveries.claim(DISCARDED + draft_id)
        return None
    return _decided(tx, draft_id)


def _decided(tx: Tx, draft_id: str) -> Decided:
    if tx.deliveries.seen(STARTED + draft_id):
        return "started"
    if tx.deliveries.seen(DISCARDED + draft_id):
        return "cancelled"
    return "gone"
