"""A bulk invite's choice ("Invite the N good ones" or "Cancel"), as units of work on its
draft: whichever click takes the draft decides, across processes, and a Start that took it
is remembered so a later Cancel can say the invite started."""

from __future__ import annotations

from invite_bot.store import BulkDraft, Tx

STARTED = "bulk-started:"  # + a draft's id: a delivery key, once its Start took it


def take_to_start(tx: Tx, draft_id: str, user: str) -> tuple[BulkDraft | None, str | None]:
    """(The draft, taken for its Start, None); (None, its owner) when `user` is not the
    one who sent it; (None, None) when it is gone. A Start taken is remembered (STARTED)."""
    draft = tx.drafts.get(draft_id)
    if draft is not None and draft.user_id != user:
        return None, draft.user_id
    taken = tx.drafts.take(draft_id) if draft is not None and draft.rows else None
    if taken is not None:
        tx.deliveries.claim(STARTED + draft_id)
    return taken, None


def take_to_cancel(tx: Tx, draft_id: str) -> tuple[bool, bool]:
    """(Whether this cancel took the draft, whether a Start took it before)."""
    if tx.drafts.take(draft_id) is not None:
        return True, False
    return False, tx.deliveries.seen(STARTED + draft_id)
