"""Invite jobs: a multi-address `/gencove invite` stored with its addresses before the first
Gencove call, each address's outcome as soon as it is known, where its result message is,
and which process may work on it (a claim with a lease), so a crash mid-way is resumed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast, get_args

from sqlalchemy import bindparam, or_, select

from invite_bot.domain.records import (
    InviteJob,
    InviteJobItem,
    ItemOutcome,
    JobOutcome,
    NewInviteJob,
    SkippedRow,
)
from invite_bot.store.repositories.repository import (
    Repository,
    chunks,
    from_row,
    insert_or_nothing_returning,
    update_count,
    update_one,
)
from invite_bot.store.schema import invite_job_items, invite_jobs, utcnow

JOB_OUTCOMES: frozenset[str] = frozenset(get_args(JobOutcome))


class Jobs(Repository):
    def create(
        self, job: NewInviteJob, *, owner: str | None = None, lease: timedelta | None = None
    ) -> int:
        """Store the job with all its addresses before the first Gencove call.

        With `owner` and `lease` the job is claimed in the same transaction, so no other
        replica resumes it meanwhile. A job with a `delivery_key` already stored (Slack
        redelivered the command) is not created again: its id is returned.
        """
        now = utcnow()
        values: dict[str, Any] = {
            "slack_user_id": job.slack_user_id,
            "channel_id": job.channel_id,
            "response_url": job.response_url,
            "role": job.role,
            "delivery_key": job.delivery_key,
            "created_at": now,
            "message_channel_id": job.message_channel_id,
            "message_ts": job.message_ts,
            "kind": job.kind,
            "skipped": [[row.number, row.typed, row.problem] for row in job.skipped],
        }
        if owner is not None:
            values["owner"] = owner
            values["lease_expires"] = now + (lease if lease is not None else timedelta(minutes=5))
        created = insert_or_nothing_returning(self._conn, invite_jobs, values, invite_jobs.c.id)
        if not created:
            existing = self._conn.execute(
                select(invite_jobs.c.id).where(invite_jobs.c.delivery_key == job.delivery_key)
            )
            return int(existing.scalar_one())
        job_id = int(created[0]["id"])
        emails = list(dict.fromkeys(job.addresses))
        if emails:
            self._conn.execute(
                invite_job_items.insert(),
                [
                    {
                        "job_id": job_id,
                        "position": position,
                        "email": email,
                        "role": job.roles.get(email),
                    }
                    for position, email in enumerate(emails)
                ],
            )
        return job_id

    def set_message(self, job_id: int, *, channel_id: str, message_ts: str) -> None:
        """Where the job's result message is, so a resumed job edits it instead of posting."""
        self._update(job_id, message_channel_id=channel_id, message_ts=message_ts)

    def record_item(
        self,
        job_id: int,
        email: str,
        *,
        outcome: str,
        invitation_id: str | None,
        error: str | None,
    ) -> None:
        """Record what happened to one address, right after the Gencove call returned."""
        if outcome not in JOB_OUTCOMES:
            raise ValueError(f"outcome must be one of {sorted(JOB_OUTCOMES)}, not {outcome!r}")
        update_one(
            self._conn,
            invite_job_items,
            invite_job_items.c.job_id == job_id,
            invite_job_items.c.email == email,
            values={
                "outcome": outcome,
                "invitation_id": invitation_id,
                "error": error,
                "updated_at": utcnow(),
            },
            what="invite job address",
            key=f"{job_id}/{email}",
        )

    def record_items(self, job_id: int, outcomes: Sequence[ItemOutcome]) -> None:
        """Record several addresses' outcomes in one statement batch."""
        if not outcomes:
            return
        for outcome in outcomes:
            if outcome.outcome not in JOB_OUTCOMES:
                raise ValueError(f"outcome must be one of {sorted(JOB_OUTCOMES)}")
        now = utcnow()
        statement = (
            invite_job_items.update()
            .where(
                invite_job_items.c.job_id == bindparam("_job"),
                invite_job_items.c.email == bindparam("_email"),
            )
            .values(
                outcome=bindparam("_outcome"),
                invitation_id=bindparam("_invitation"),
                error=bindparam("_error"),
                updated_at=now,
            )
        )
        self._conn.execute(
            statement,
            [
                {
                    "_job": job_id,
                    "_email": o.email,
                    "_outcome": o.outcome,
                    "_invitation": o.invitation_id,
                    "_error": o.error,
                }
                for o in outcomes
            ],
        )

    def cancel(self, job_id: int) -> bool:
        """Ask an unfinished job to stop (it does after the requests in flight); False if it
        had finished or closed (its closing message is shown), or was asked already. One
        conditional UPDATE: of a cancel and the job's `close`, the first decides."""
        asked = update_count(
            self._conn,
            invite_jobs,
            invite_jobs.c.id == job_id,
            invite_jobs.c.finished_at.is_(None),
            invite_jobs.c.closed_at.is_(None),
            invite_jobs.c.cancelled_at.is_(None),
            values={"cancelled_at": utcnow()},
        )
        return asked == 1

    def close(self, job_id: int) -> bool:
        """The job's closing message is about to be shown: no cancel is taken from now on.
        Returns whether it was asked to stop before (what the closing message says)."""
        update_count(
            self._conn,
            invite_jobs,
            invite_jobs.c.id == job_id,
            invite_jobs.c.closed_at.is_(None),
            values={"closed_at": utcnow()},
        )
        return self.cancelled(job_id)

    def set_report(self, job_id: int, report: str) -> None:
        """What became of the job's report (its kind's word: see `InviteJob.report`)."""
        self._update(job_id, report=report[:255])

    def cancelled(self, job_id: int) -> bool:
        """Whether the job was asked to stop (one small read, between chunks)."""
        found = self._conn.execute(
            select(invite_jobs.c.cancelled_at).where(invite_jobs.c.id == job_id)
        )
        return found.scalar_one_or_none() is not None

    def finish(self, job_id: int) -> None:
        self._update(job_id, finished_at=utcnow(), lease_expires=None)

    def _update(self, job_id: int, **values: Any) -> None:
        update_one(
            self._conn,
            invite_jobs,
            invite_jobs.c.id == job_id,
            values=values,
            what="invite job",
            key=job_id,
        )

    def claim(self, job_id: int, owner: str, lease: timedelta) -> bool:
        """Take (or extend) the right to work on an unfinished job until now + `lease`;
        False while another owner's lease runs, or when the job is finished."""
        now = utcnow()
        claimed = update_count(
            self._conn,
            invite_jobs,
            invite_jobs.c.id == job_id,
            invite_jobs.c.finished_at.is_(None),
            or_(
                invite_jobs.c.owner.is_(None),
                invite_jobs.c.owner == owner,
                invite_jobs.c.lease_expires.is_(None),
                invite_jobs.c.lease_expires <= now,
            ),
            values={"owner": owner, "lease_expires": now + lease},
        )
        return claimed == 1

    def get(self, job_id: int) -> InviteJob | None:
        jobs = self._select(invite_jobs.c.id == job_id)
        return jobs[0] if jobs else None

    def unfinished(self) -> list[InviteJob]:
        """Jobs a crash interrupted (or still running elsewhere: claim() decides)."""
        return self._select(invite_jobs.c.finished_at.is_(None))

    def for_message(self, channel_id: str, message_ts: str) -> InviteJob | None:
        """The invite job whose result message is at (channel, ts), if the bot posted it."""
        jobs = self._select(
            (invite_jobs.c.message_channel_id == channel_id)
            & (invite_jobs.c.message_ts == message_ts)
        )
        return jobs[0] if jobs else None

    def by_delivery_key(self, delivery_key: str) -> InviteJob | None:
        """The job a request (by its delivery key) created, if any."""
        jobs = self._select(invite_jobs.c.delivery_key == delivery_key)
        return jobs[0] if jobs else None

    def for_invitation(self, invitation_id: str) -> InviteJob | None:
        """The latest invite job that showed this invitation."""
        latest = (
            select(invite_job_items.c.job_id)
            .where(invite_job_items.c.invitation_id == invitation_id)
            .order_by(invite_job_items.c.job_id.desc())
            .limit(1)
            .scalar_subquery()
        )
        jobs = self._select(invite_jobs.c.id == latest)
        return jobs[0] if jobs else None

    def _select(self, condition: Any) -> list[InviteJob]:
        query = select(invite_jobs).where(condition).order_by(invite_jobs.c.id)
        job_rows = self._conn.execute(query).mappings().all()
        ids = [row["id"] for row in job_rows]
        items: dict[int, list[InviteJobItem]] = {job_id: [] for job_id in ids}
        for chunk in chunks(ids):
            result = self._conn.execute(
                select(invite_job_items)
                .where(invite_job_items.c.job_id.in_(chunk))
                .order_by(invite_job_items.c.job_id, invite_job_items.c.position)
            )
            for row in result.mappings():
                outcome = cast(JobOutcome | None, row["outcome"])
                items[row["job_id"]].append(from_row(InviteJobItem, row, outcome=outcome))
        return [
            from_row(
                InviteJob, row, items=tuple(items[row["id"]]), skipped=skipped_rows(row["skipped"])
            )
            for row in job_rows
        ]


def skipped_rows(stored: Any) -> tuple[SkippedRow, ...]:
    """Skipped rows as stored in a JSON column (`[[row, typed, problem], …]`; None: none)."""
    if not isinstance(stored, list):
        return ()
    return tuple(
        SkippedRow(int(number), str(typed), str(problem)) for number, typed, problem in stored
    )
