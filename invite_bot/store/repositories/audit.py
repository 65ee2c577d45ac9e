"""The audit log: who did what, kept so an admin can answer "who revoked this?" later."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from invite_bot.domain.records import AuditEntry
from invite_bot.store.repositories.repository import Repository, from_row
from invite_bot.store.schema import audit_log, utcnow


class AuditLog(Repository):
    def add(
        self,
        *,
        actor_slack_id: str | None,
        action: str,
        invitation_id: str | None = None,
        email: str | None = None,
        channel_id: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Append to the audit log; `detail` must be JSON-serialisable."""
        self._conn.execute(
            audit_log.insert().values(
                at=utcnow(),
                actor_slack_id=actor_slack_id,
                action=action,
                invitation_id=invitation_id,
                email=email,
                channel_id=channel_id,
                detail=dict(detail or {}),
            )
        )

    def add_many(self, entries: Sequence[Mapping[str, Any]]) -> None:
        """Append several entries (the keyword arguments of `add`) in one statement."""
        if not entries:
            return
        at = utcnow()
        rows = [
            {
                "at": at,
                "actor_slack_id": e.get("actor_slack_id"),
                "action": e["action"],
                "invitation_id": e.get("invitation_id"),
                "email": e.get("email"),
                "channel_id": e.get("channel_id"),
                "detail": dict(e.get("detail") or {}),
            }
            for e in entries
        ]
        self._conn.execute(audit_log.insert(), rows)

    def page(self, *, since: datetime, after_id: int = 0, limit: int = 1000) -> list[AuditEntry]:
        """One page of the entries made at or after `since`, oldest first, those after the
        entry `after_id` (a keyset page: the next starts after this one's last id)."""
        query = (
            select(audit_log)
            .where(audit_log.c.at >= since, audit_log.c.id > after_id)
            .order_by(audit_log.c.id)
            .limit(limit)
        )
        result = self._conn.execute(query)
        return [from_row(AuditEntry, row, detail=dict(row["detail"])) for row in result.mappings()]

    def entries(self, *, limit: int = 100, action: str | None = None) -> list[AuditEntry]:
        """The newest entries first."""
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if action is not None:
            query = query.where(audit_log.c.action == action)
        result = self._conn.execute(query)
        return [from_row(AuditEntry, row, detail=dict(row["detail"])) for row in result.mappings()]
