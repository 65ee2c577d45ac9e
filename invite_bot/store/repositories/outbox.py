"""The outbox: Slack posts promised exactly once, walking pending -> sending -> sent |
failed (and back to pending on a transient failure). `Transitions` fills it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import RowMapping, func, select

from invite_bot.domain.records import OutboxItem, OutboxKind, OutboxState
from invite_bot.store.repositories.repository import Repository, from_row, update_one
from invite_bot.store.schema import outbox, utcnow

# Error text kept on an outbox row: enough to diagnose, bounded in size.
_MAX_ERROR = 2000


class Outbox(Repository):
    def claim(self, limit: int = 50, *, kinds: Sequence[str] | None = None) -> list[OutboxItem]:
        """Items due for delivery (of `kinds`, when given), oldest first. A 'sending' item
        may already be in Slack (crash after the post): look for its dedupe_key in the
        channel before resending. Only the leader should send, so nothing here locks items
        against other replicas."""
        query = (
            select(outbox)
            .where(outbox.c.state.in_(("pending", "sending")), outbox.c.available_at <= utcnow())
            .order_by(outbox.c.id)
            .limit(limit)
        )
        if kinds is not None:
            query = query.where(outbox.c.kind.in_(tuple(kinds)))
        result = self._conn.execute(query)
        return [outbox_item_from_row(row) for row in result.mappings()]

    def mark_sending(self, item_id: int) -> None:
        """Written before the Slack call, so a crash leaves evidence to check afterwards."""
        self._update(item_id, state="sending", attempts=outbox.c.attempts + 1)

    def mark_sent(self, item_id: int, slack_ts: str | None) -> None:
        self._update(item_id, state="sent", slack_ts=slack_ts, sent_at=utcnow())

    def mark_failed(self, item_id: int, error: str) -> None:
        """Give up on the item for good (e.g. channel_not_found), keeping the reason."""
        self._update(item_id, state="failed", last_error=error[:_MAX_ERROR])

    def release(
        self, item_id: int, *, retry_after: timedelta | None = None, error: str | None = None
    ) -> None:
        """Back to pending after a transient failure; not claimable before `retry_after`."""
        values: dict[str, Any] = {
            "state": "pending",
            "available_at": utcnow() + (retry_after or timedelta(0)),
        }
        if error is not None:
            values["last_error"] = error[:_MAX_ERROR]
        self._update(item_id, **values)

    def backlog(self) -> tuple[int, datetime | None]:
        """How many items wait (pending or sending), and when the oldest was written."""
        query = select(func.count(), func.min(outbox.c.created_at)).where(
            outbox.c.state.in_(("pending", "sending"))
        )
        depth, oldest = self._conn.execute(query).one()
        return int(depth), oldest

    def mark_all_sending(self, item_ids: Sequence[int]) -> None:
        """Several items about to go out as one (summary) post, in one transaction."""
        for item_id in item_ids:
            self.mark_sending(item_id)

    def mark_all_sent(self, item_ids: Sequence[int], slack_ts: str | None) -> None:
        for item_id in item_ids:
            self.mark_sent(item_id, slack_ts)

    def posted(self, slack_ts: str, *, invitation_id: str | None = None) -> list[OutboxItem]:
        """The notices sent as the Slack message `slack_ts` (several for a summary)."""
        query = select(outbox).where(
            outbox.c.slack_ts == slack_ts, outbox.c.kind != "message_update"
        )
        if invitation_id is not None:
            query = query.where(outbox.c.invitation_id == invitation_id)
        result = self._conn.execute(query.order_by(outbox.c.id))
        return [outbox_item_from_row(row) for row in result.mappings()]

    def get(self, item_id: int) -> OutboxItem | None:
        result = self._conn.execute(select(outbox).where(outbox.c.id == item_id))
        row = result.mappings().first()
        return None if row is None else outbox_item_from_row(row)

    def _update(self, item_id: int, **values: Any) -> None:
        update_one(
            self._conn,
            outbox,
            outbox.c.id == item_id,
            values={"updated_at": utcnow(), **values},
            what="outbox item",
            key=item_id,
        )


def outbox_item_from_row(row: RowMapping) -> OutboxItem:
    return from_row(
        OutboxItem,
        row,
        kind=cast(OutboxKind, row["kind"]),
        payload=dict(row["payload"]),
        state=cast(OutboxState, row["state"]),
        dedupe_key=f"ib-{row['id']}",
    )
