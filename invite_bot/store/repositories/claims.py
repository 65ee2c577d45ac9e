"""Address claims, the duplicate guard: an invite job claims each address before it may
create an invitation to it, so two jobs (in any processes) never invite one address at once.

A claim is held by one job and lapses with that job's lease: a crashed process's claims
lapse, and the process that takes its job over claims them again. A job releases an
address's claim in the same transaction that records the address's outcome, so whoever
claims it next finds that outcome (an invitation now pending) in the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import and_, or_, select

from invite_bot.store.repositories.repository import (
    Repository,
    delete_count,
    update_count,
    values_of,
)
from invite_bot.store.schema import address_claims, utcnow


class Claims(Repository):
    def take(self, job_id: int, emails: Iterable[str], *, owner: str, lease: timedelta) -> set[str]:
        """Claim what is free (unclaimed, lapsed, or this job's already); returns those."""
        wanted = list(dict.fromkeys(emails))
        if not wanted:
            return set()
        now = utcnow()
        row = {"job_id": job_id, "owner": owner, "expires_at": now + lease}
        insert = self.insert(address_claims).values(
            values_of([{"email": e, **row} for e in wanted])
        )
        stmt = insert.on_conflict_do_update(
            index_elements=[address_claims.c.email],
            set_={"job_id": job_id, "owner": owner, "expires_at": now + lease},
            where=or_(
                address_claims.c.expires_at < now,
                address_claims.c.job_id == job_id,
            ),
        ).returning(address_claims.c.email)
        taken = self._conn.execute(stmt).scalars().all()
        return {str(email) for email in taken}

    def held_by_others(self, job_id: int, emails: Iterable[str]) -> set[str]:
        """The addresses another job holds a live claim on."""
        wanted = list(dict.fromkeys(emails))
        if not wanted:
            return set()
        query = select(address_claims.c.email).where(
            address_claims.c.email.in_(wanted),
            address_claims.c.job_id != job_id,
            address_claims.c.expires_at >= utcnow(),
        )
        return {str(email) for email in self._conn.execute(query).scalars()}

    def renew(self, job_id: int, *, owner: str, lease: timedelta) -> int:
        """Extend the job's claims with its lease; returns how many it holds."""
        return update_count(
            self._conn,
            address_claims,
            address_claims.c.job_id == job_id,
            values={"owner": owner, "expires_at": utcnow() + lease},
        )

    def release(self, job_id: int, emails: Iterable[str]) -> int:
        """Give up the job's claims on `emails` (another job's claims stay)."""
        wanted = list(dict.fromkeys(emails))
        if not wanted:
            return 0
        return delete_count(
            self._conn,
            address_claims,
            and_(address_claims.c.job_id == job_id, address_claims.c.email.in_(wanted)),
        )
