"""Invite requests: a member's ask, where it was posted, and its one decision.

Every change of status is a conditional UPDATE ... WHERE status = 'open' (and, for a
decision, not yet expired) whose row count says whether this caller made it: of two
approvers clicking at once, in one process or two, exactly one gets 1. What the request's
messages show (`shown_status`) is claimed the same way, so each outcome is shown (and the
member told) once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import func, or_, select

from invite_bot.domain.records import InviteRequest, NewInviteRequest, RequestMessage, RequestStatus
from invite_bot.store.repositories.repository import (
    Repository,
    chunks,
    from_row,
    insert_or_nothing_returning,
    update_count,
)
from invite_bot.store.schema import invite_request_messages, invite_requests, utcnow

CLOSED: tuple[RequestStatus, ...] = ("approved", "denied", "withdrawn", "expired")


class Requests(Repository):
    def create(self, request: NewInviteRequest) -> tuple[int, bool]:
        """Store an open request; (its id, True). A request whose `delivery_key` is stored
        already (Slack redelivered the command) is not stored again: (that id, False)."""
        values: dict[str, Any] = {
            "requester_slack_id": request.requester_slack_id,
            "channel_id": request.channel_id,
            "addresses": list(dict.fromkeys(request.addresses)),
            "role": request.role,
            "reason": request.reason,
            "status": "open",
            "delivery_key": request.delivery_key,
            "created_at": utcnow(),
            "expires_at": request.expires_at,
        }
        created = insert_or_nothing_returning(
            self._conn, invite_requests, values, invite_requests.c.id
        )
        if created:
            return int(created[0]["id"]), True
        existing = self._conn.execute(
            select(invite_requests.c.id).where(
                invite_requests.c.delivery_key == request.delivery_key
            )
        )
        return int(existing.scalar_one()), False

    def add_message(self, request_id: int, channel_id: str, message_ts: str | None) -> None:
        """Remember where the request was posted (one message per channel)."""
        stmt = (
            self.insert(invite_request_messages)
            .values(request_id=request_id, channel_id=channel_id, message_ts=message_ts)
            .on_conflict_do_update(
                index_elements=["request_id", "channel_id"],
                set_={"message_ts": message_ts},
            )
        )
        self._conn.execute(stmt)

    def decide(
        self,
        request_id: int,
        *,
        status: RequestStatus,
        by: str | None,
        now: datetime,
        note: str | None = None,
        job_id: int | None = None,
        requester: str | None = None,
    ) -> bool:
        """Close an open request as `status`; True only for the one caller that did.

        Approved, denied and withdrawn need the request not to have expired by `now`;
        expired needs it to have. `requester` limits it to that member's request.
        """
        where = [invite_requests.c.id == request_id, invite_requests.c.status == "open"]
        if status == "expired":
            where.append(invite_requests.c.expires_at <= now)
        else:
            where.append(invite_requests.c.expires_at > now)
        if requester is not None:
            where.append(invite_requests.c.requester_slack_id == requester)
        values: dict[str, Any] = {
            "status": status,
            "decided_by": by,
            "decided_at": now,
            "decision_note": note,
        }
        if job_id is not None:
            values["job_id"] = job_id
        return update_count(self._conn, invite_requests, *where, values=values) == 1

    def set_job(self, request_id: int, job_id: int) -> None:
        where = invite_requests.c.id == request_id
        update_count(self._conn, invite_requests, where, values={"job_id": job_id})

    def due_to_expire(self, now: datetime, *, limit: int = 200) -> list[int]:
        """Open requests whose time is up (`decide(..., status="expired")` closes each)."""
        query = (
            select(invite_requests.c.id)
            .where(invite_requests.c.status == "open", invite_requests.c.expires_at <= now)
            .order_by(invite_requests.c.id)
            .limit(limit)
        )
        return [int(i) for i in self._conn.execute(query).scalars()]

    def claim_shown(self, request_id: int, status: RequestStatus) -> bool:
        """Take the showing of `status` on the request's messages; True for one caller."""
        claimed = update_count(
            self._conn,
            invite_requests,
            invite_requests.c.id == request_id,
            invite_requests.c.status == status,
            or_(
                invite_requests.c.shown_status.is_(None),
                invite_requests.c.shown_status != status,
            ),
            values={"shown_status": status},
        )
        return claimed == 1

    def unshown(self, *, limit: int = 100) -> list[InviteRequest]:
        """Closed requests whose messages do not show it yet (a crash, or the watcher's
        expiry): what is left to show."""
        return self._select(
            invite_requests.c.status.in_(CLOSED),
            or_(
                invite_requests.c.shown_status.is_(None),
                invite_requests.c.shown_status != invite_requests.c.status,
            ),
            limit=limit,
        )

    def get(self, request_id: int) -> InviteRequest | None:
        found = self._select(invite_requests.c.id == request_id)
        return found[0] if found else None

    def by_delivery_key(self, delivery_key: str) -> InviteRequest | None:
        """The request a delivery stored (a redelivery, a resumed workflow step), if any."""
        found = self._select(invite_requests.c.delivery_key == delivery_key)
        return found[0] if found else None

    def for_job(self, job_id: int) -> InviteRequest | None:
        """The approved request whose invitations this invite job made, if any."""
        found = self._select(invite_requests.c.job_id == job_id)
        return found[0] if found else None

    def open_requests(
        self, *, requester: str | None = None, limit: int = 20
    ) -> list[InviteRequest]:
        """Open requests, oldest first (only `requester`'s when given)."""
        where = [invite_requests.c.status == "open"]
        if requester is not None:
            where.append(invite_requests.c.requester_slack_id == requester)
        return self._select(*where, limit=limit)

    def count_open(self, requester: str) -> int:
        query = select(func.count()).where(
            invite_requests.c.status == "open",
            invite_requests.c.requester_slack_id == requester,
        )
        return int(self._conn.execute(query).scalar_one())

    def _select(self, *where: Any, limit: int | None = None) -> list[InviteRequest]:
        query = select(invite_requests).where(*where).order_by(invite_requests.c.id)
        if limit is not None:
            query = query.limit(limit)
        rows = self._conn.execute(query).mappings().all()
        ids = [row["id"] for row in rows]
        messages: dict[int, list[RequestMessage]] = {i: [] for i in ids}
        for chunk in chunks(ids):
            result = self._conn.execute(
                select(invite_request_messages)
                .where(invite_request_messages.c.request_id.in_(chunk))
                .order_by(
                    invite_request_messages.c.request_id, invite_request_messages.c.channel_id
                )
            )
            for message in result.mappings():
                messages[message["request_id"]].append(from_row(RequestMessage, message))
        return [_request(row, messages[row["id"]]) for row in rows]


def _request(row: Any, messages: Sequence[RequestMessage]) -> InviteRequest:
    return from_row(
        InviteRequest,
        row,
        addresses=tuple(str(a) for a in row["addresses"]),
        status=cast(RequestStatus, row["status"]),
        messages=tuple(messages),
    )
