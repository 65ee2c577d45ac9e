"""What the Home tab reads and remembers: who opened it (only they get it refreshed), what
was last published to each, the invitations it lists and counts, and one cheap mark that
moves whenever anything the Home shows may have changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from invite_bot.domain.records import KnownInvitation
from invite_bot.store.repositories.invitations import invitation_from_row
from invite_bot.store.repositories.repository import Repository, from_row, update_count
from invite_bot.store.schema import audit_log, home_tabs, invitations, invite_requests


@dataclass(frozen=True)
class HomeViewer:
    """Someone who opened the Home tab: the bot's DM with them, and a hash of the view last
    published to them (None before the first)."""

    slack_user_id: str
    channel_id: str | None
    published_hash: str | None


class HomeTabs(Repository):
    def opened(self, slack_user_id: str, channel_id: str | None, now: datetime) -> None:
        """Remember that the person opened the Home tab (and the DM it belongs to)."""
        stmt = self.insert(home_tabs).values(
            slack_user_id=slack_user_id, channel_id=channel_id, opened_at=now
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[home_tabs.c.slack_user_id],
            set_={
                "opened_at": stmt.excluded.opened_at,
                "channel_id": func.coalesce(stmt.excluded.channel_id, home_tabs.c.channel_id),
            },
        )
        self._conn.execute(stmt)

    def viewer(self, slack_user_id: str) -> HomeViewer | None:
        query = select(home_tabs).where(home_tabs.c.slack_user_id == slack_user_id)
        row = self._conn.execute(query).mappings().first()
        return None if row is None else from_row(HomeViewer, row)

    def viewers(self) -> list[HomeViewer]:
        """Everyone who opened the Home tab, the longest-standing first."""
        query = select(home_tabs).order_by(home_tabs.c.opened_at, home_tabs.c.slack_user_id)
        return [from_row(HomeViewer, row) for row in self._conn.execute(query).mappings()]

    def published(self, slack_user_id: str, view_hash: str, now: datetime) -> None:
        update_count(
            self._conn,
            home_tabs,
            home_tabs.c.slack_user_id == slack_user_id,
            values={"published_hash": view_hash, "published_at": now},
        )

    def change_mark(self) -> str:
        """Moves when anything a Home tab shows may have changed: every action the bot
        takes is audited (invites, revokes, requests and their decisions, links, notification
        settings), and every status Gencove reports moves an invitation's `updated_at`."""
        audited = self._conn.execute(select(func.max(audit_log.c.id))).scalar_one()
        seen = self._conn.execute(
            select(func.max(invitations.c.updated_at), func.count()).select_from(invitations)
        ).one()
        return f"{audited}|{seen[0]}|{seen[1]}"

    def pending(self, *, limit: int) -> tuple[list[KnownInvitation], int]:
        """The newest `limit` pending invitations, and how many are pending in all."""
        where = invitations.c.status == "pending"
        total = self._conn.execute(select(func.count()).where(where)).scalar_one()
        query = (
            select(invitations)
            .where(where)
            .order_by(invitations.c.first_seen.desc(), invitations.c.id.desc())
            .limit(limit)
        )
        found = [invitation_from_row(row) for row in self._conn.execute(query).mappings()]
        return found, int(total)

    def open_request_count(self) -> int:
        where = invite_requests.c.status == "open"
        return int(self._conn.execute(select(func.count()).where(where)).scalar_one())

    def status_counts(self, since: datetime) -> dict[str, int]:
        """How many invitations first seen since `since` are now in each status."""
        query = (
            select(invitations.c.status, func.count())
            .where(invitations.c.first_seen >= since)
            .group_by(invitations.c.status)
        )
        return {str(status): int(count) for status, count in self._conn.execute(query).all()}
