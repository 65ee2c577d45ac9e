"""The store: everything the bot must remember across restarts and share between replicas.

Every method is one short transaction. Exactly-once promises rest on unique constraints
and INSERT ... ON CONFLICT, never on read-then-write, so they hold across processes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self, TypeVar, cast

from sqlalchemy import RowMapping, Table, case, delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from . import migrate as migrations
from .engine import READ_ONLY, Insert, create_engine, insert, normalise_database_url, redact
from .lease import AdvisoryLockLease, LeaderLease, RowLease
from .records import (
    AuditEntry,
    InviteJob,
    InviteJobItem,
    JobOutcome,
    KnownInvitation,
    LinkedAccount,
    NewInviteJob,
    OutboxItem,
    OutboxKind,
    OutboxState,
    Subscription,
    Transition,
)
from .schema import (
    audit_log,
    deliveries,
    invitations,
    invite_job_items,
    invite_jobs,
    linked_accounts,
    outbox,
    state,
    subscriptions,
    utcnow,
)

logger = logging.getLogger(__name__)

BASELINE_DONE = "baseline_done"
JOB_OUTCOMES: frozenset[str] = frozenset({"created", "existing", "failed"})

# Rows per multi-row statement: far below SQLite's and asyncpg's bound-parameter limits.
_CHUNK = 200
# Seconds /healthz waits for the database before calling it down.
_PING_TIMEOUT = 5.0
# Error text kept on an outbox row: enough to diagnose, bounded in size.
_MAX_ERROR = 2000

_T = TypeVar("_T")


class Store:
    """Durable state behind a small async interface; open one per process and share it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._reader = engine.execution_options(**{READ_ONLY: True})
        # Strong references: a lease dropped by its caller must still be released on close.
        self._leases: dict[tuple[str, str], LeaderLease] = {}
        self.dialect: str = engine.dialect.name
        # The connection of the transaction() the current task is inside, if any.
        self._joined: ContextVar[AsyncConnection | None] = ContextVar("store_tx", default=None)
        # SQLite lets one writer in at a time and makes the others spin on a busy timeout;
        # queueing writers here instead costs far less CPU under load.
        self._writers: asyncio.Lock | None = asyncio.Lock() if self.dialect == "sqlite" else None

    # -- life cycle -------------------------------------------------------------------

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Connect to `url` (any SQLite/PostgreSQL URL form) and, by default, migrate."""
        url = normalise_database_url(url)
        store = cls(create_engine(url))
        if migrate:
            try:
                await store.migrate()
            except BaseException:
                await store.close()
                raise
        logger.info("store open: %s", redact(url))
        return store

    async def close(self) -> None:
        """Release held leader leases (so another replica takes over now) and disconnect."""
        for lease in list(self._leases.values()):
            try:
                await lease.release()
            except Exception:
                logger.exception("could not release leader lease %r", lease.name)
        await self._engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def migrate(self) -> None:
        """Bring the schema to the newest revision; safe to call from every replica."""
        await migrations.upgrade(self._engine)

    async def ping(self) -> bool:
        """Whether the database answers (for /healthz); never raises, never hangs."""
        try:
            async with asyncio.timeout(_PING_TIMEOUT), self._reader.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as error:
            logger.warning("database ping failed: %s", type(error).__name__)
            return False
        return True

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Make every write inside one transaction: all of them land, or none.

        Store writes made inside (by the same task) join it; nested use joins too. Reads
        use their own connection and do not see its uncommitted writes. Await nothing but
        the store inside, and start no task there: the transaction holds the write lock.
        """
        if self._joined.get() is not None:
            yield
            return
        async with self._begin() as conn:
            token = self._joined.set(conn)
            try:
                yield
            finally:
                self._joined.reset(token)

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        joined = self._joined.get()
        if joined is not None:
            yield joined
            return
        async with self._begin() as conn:
            yield conn

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[AsyncConnection]:
        if self._writers is None:
            async with self._engine.begin() as conn:
                yield conn
            return
        async with self._writers, self._engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        async with self._reader.connect() as conn:
            yield conn

    def _insert(self, table: Table) -> Insert:
        return insert(self.dialect, table)

    # -- invitations ------------------------------------------------------------------

    async def upsert_invitations(self, rows: Sequence[KnownInvitation]) -> None:
        """Record invitations as seen now; a row without message location or inviter keeps
        the stored one (the watcher knows statuses, only the bot knows its messages)."""
        latest = {row.id: row for row in rows}
        async with self._write() as conn:
            for chunk in _chunks(sorted(latest.values(), key=lambda r: r.id)):
                await conn.execute(self._upsert_invitations_stmt(chunk))

    def _upsert_invitations_stmt(self, rows: Sequence[KnownInvitation]) -> Any:
        stmt = self._insert(invitations).values(
            [
                {
                    "id": r.id,
                    "email": r.email,
                    "role": r.role,
                    "status": r.status,
                    "expires": r.expires,
                    "inviter_slack_id": r.inviter_slack_id,
                    "channel_id": r.channel_id,
                    "message_ts": r.message_ts,
                    "block_id": r.block_id,
                    "first_seen": r.first_seen,
                    "updated_at": r.updated_at,
                    "changed_by": r.changed_by,
                }
                for r in rows
            ]
        )
        new = stmt.excluded
        has_message = new.channel_id.is_not(None)
        return stmt.on_conflict_do_update(
            index_elements=[invitations.c.id],
            set_={
                "email": new.email,
                "role": new.role,
                "status": new.status,
                "expires": new.expires,
                "updated_at": new.updated_at,
                "inviter_slack_id": func.coalesce(
                    new.inviter_slack_id, invitations.c.inviter_slack_id
                ),
                # A status seen without its actor keeps the actor the bot recorded.
                "changed_by": case(
                    (
                        new.status == invitations.c.status,
                        func.coalesce(new.changed_by, invitations.c.changed_by),
                    ),
                    else_=new.changed_by,
                ),
                # The message location moves as one piece, never half of it.
                "channel_id": case((has_message, new.channel_id), else_=invitations.c.channel_id),
                "message_ts": case((has_message, new.message_ts), else_=invitations.c.message_ts),
                "block_id": case((has_message, new.block_id), else_=invitations.c.block_id),
            },
        )

    async def get_invitation(self, invitation_id: str) -> KnownInvitation | None:
        async with self._read() as conn:
            result = await conn.execute(
                select(invitations).where(invitations.c.id == invitation_id)
            )
            row = result.mappings().first()
        return None if row is None else _invitation(row)

    async def get_invitations(self, invitation_ids: Sequence[str]) -> list[KnownInvitation]:
        """The known invitations among `invitation_ids` (any order)."""
        found: list[KnownInvitation] = []
        for chunk in _chunks(list(dict.fromkeys(invitation_ids))):
            found += await self._invitations(select(invitations).where(invitations.c.id.in_(chunk)))
        return found

    async def invitations_by_email(
        self, email: str, *, status: str | None = None
    ) -> list[KnownInvitation]:
        """Invitations to `email` (compared case-insensitively), oldest first."""
        query = select(invitations).where(func.lower(invitations.c.email) == email.lower())
        if status is not None:
            query = query.where(invitations.c.status == status)
        return await self._invitations(query)

    async def invitations_with_status(self, status: str) -> list[KnownInvitation]:
        """Invitations with `status`, oldest first."""
        return await self._invitations(select(invitations).where(invitations.c.status == status))

    async def _invitations(self, query: Any) -> list[KnownInvitation]:
        async with self._read() as conn:
            result = await conn.execute(query.order_by(invitations.c.first_seen, invitations.c.id))
            return [_invitation(row) for row in result.mappings()]

    async def set_message(
        self, invitation_id: str, *, channel_id: str, message_ts: str, block_id: str
    ) -> None:
        """Remember where the bot posted the invitation's result, to update it later."""
        async with self._write() as conn:
            result = await conn.execute(
                update(invitations)
                .where(invitations.c.id == invitation_id)
                .values(channel_id=channel_id, message_ts=message_ts, block_id=block_id)
            )
        _expect_one(result.rowcount, "invitation", invitation_id)

    async def count_invitations(self) -> int:
        async with self._read() as conn:
            result = await conn.execute(select(func.count()).select_from(invitations))
            return int(result.scalar_one())

    # -- watcher ----------------------------------------------------------------------

    async def apply_transitions(
        self, transitions: Sequence[Transition], *, notify_channels: Sequence[str]
    ) -> list[OutboxItem]:
        """Record one poll's transitions and queue their Slack posts, in one transaction.

        Returns only the outbox items this call created: applying the same transition
        again, from this process or another, queues nothing.
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
        async with self._write() as conn:
            known: dict[str, KnownInvitation] = {}
            for chunk in _chunks(list(latest.values())):
                stmt = self._upsert_transitions_stmt(chunk, first_seen).returning(*invitations.c)
                for row in (await conn.execute(stmt)).mappings():
                    known[row["id"]] = _invitation(row)
            rows: list[dict[str, Any]] = []
            # Queued in the order things happened, which is the order they are sent in.
            for transition in sorted(transitions, key=lambda t: (t.at, t.invitation_id)):
                invitation = known[transition.invitation_id]
                payload = _transition_payload(transition, invitation)
                rows.extend(
                    _outbox_row("notify", transition, channel, payload, now) for channel in channels
                )
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
            created: list[OutboxItem] = []
            for chunk_rows in _chunks(rows):
                stmt = (
                    self._insert(outbox)
                    .values(chunk_rows)
                    .on_conflict_do_nothing()
                    .returning(*outbox.c)
                )
                created.extend(_outbox_item(row) for row in (await conn.execute(stmt)).mappings())
        created.sort(key=lambda item: item.id)
        return created

    def _upsert_transitions_stmt(
        self, chunk: Sequence[Transition], first_seen: Mapping[str, datetime]
    ) -> Any:
        stmt = self._insert(invitations).values(
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
            index_elements=[invitations.c.id],
            set_={
                "email": new.email,
                "role": new.role,
                "status": new.status,
                "expires": new.expires,
                "updated_at": new.updated_at,
                "changed_by": new.changed_by,
            },
        )

    async def baseline(self, rows: Sequence[KnownInvitation]) -> None:
        """The silent first poll: record what already exists, announce nothing, and set
        the state key BASELINE_DONE in the same transaction."""
        latest = {row.id: row for row in rows}
        async with self._write() as conn:
            for chunk in _chunks(sorted(latest.values(), key=lambda r: r.id)):
                await conn.execute(self._upsert_invitations_stmt(chunk))
            await conn.execute(self._set_state_stmt(BASELINE_DONE, utcnow().isoformat()))

    async def get_state(self, key: str) -> str | None:
        async with self._read() as conn:
            result = await conn.execute(select(state.c.value).where(state.c.key == key))
            value = result.scalar_one_or_none()
        return None if value is None else str(value)

    async def set_state(self, key: str, value: str) -> None:
        async with self._write() as conn:
            await conn.execute(self._set_state_stmt(key, value))

    def _set_state_stmt(self, key: str, value: str) -> Any:
        stmt = self._insert(state).values(key=key, value=value, updated_at=utcnow())
        return stmt.on_conflict_do_update(
            index_elements=[state.c.key],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )

    # -- outbox -----------------------------------------------------------------------

    async def claim_outbox(self, limit: int = 50) -> list[OutboxItem]:
        """Items due for delivery, oldest first. A 'sending' item may already be in Slack
        (crash after the post): look for its dedupe_key in the channel before resending.
        Only the leader should send, so nothing here locks items against other replicas."""
        query = (
            select(outbox)
            .where(outbox.c.state.in_(("pending", "sending")), outbox.c.available_at <= utcnow())
            .order_by(outbox.c.id)
            .limit(limit)
        )
        async with self._read() as conn:
            result = await conn.execute(query)
            return [_outbox_item(row) for row in result.mappings()]

    async def mark_sending(self, item_id: int) -> None:
        """Written before the Slack call, so a crash leaves evidence to check afterwards."""
        await self._update_outbox(item_id, state="sending", attempts=outbox.c.attempts + 1)

    async def mark_sent(self, item_id: int, slack_ts: str | None) -> None:
        await self._update_outbox(item_id, state="sent", slack_ts=slack_ts, sent_at=utcnow())

    async def mark_failed(self, item_id: int, error: str) -> None:
        """Give up on the item for good (e.g. channel_not_found), keeping the reason."""
        await self._update_outbox(item_id, state="failed", last_error=error[:_MAX_ERROR])

    async def release(
        self, item_id: int, *, retry_after: timedelta | None = None, error: str | None = None
    ) -> None:
        """Back to pending after a transient failure; not claimable before `retry_after`."""
        values: dict[str, Any] = {
            "state": "pending",
            "available_at": utcnow() + (retry_after or timedelta(0)),
        }
        if error is not None:
            values["last_error"] = error[:_MAX_ERROR]
        await self._update_outbox(item_id, **values)

    async def get_outbox_item(self, item_id: int) -> OutboxItem | None:
        async with self._read() as conn:
            result = await conn.execute(select(outbox).where(outbox.c.id == item_id))
            row = result.mappings().first()
        return None if row is None else _outbox_item(row)

    async def _update_outbox(self, item_id: int, **values: Any) -> None:
        async with self._write() as conn:
            result = await conn.execute(
                update(outbox).where(outbox.c.id == item_id).values(updated_at=utcnow(), **values)
            )
        _expect_one(result.rowcount, "outbox item", item_id)

    # -- channel subscriptions --------------------------------------------------------

    async def subscribe(self, channel_id: str, by_user: str) -> bool:
        """False when the channel was subscribed already (the first subscriber is kept)."""
        stmt = (
            self._insert(subscriptions)
            .values(channel_id=channel_id, by_user=by_user, since=utcnow())
            .on_conflict_do_nothing()
            .returning(subscriptions.c.channel_id)
        )
        async with self._write() as conn:
            return (await conn.execute(stmt)).first() is not None

    async def unsubscribe(self, channel_id: str) -> bool:
        async with self._write() as conn:
            result = await conn.execute(
                delete(subscriptions).where(subscriptions.c.channel_id == channel_id)
            )
        return bool(result.rowcount)

    async def subscriptions(self) -> list[Subscription]:
        async with self._read() as conn:
            result = await conn.execute(
                select(subscriptions).order_by(subscriptions.c.since, subscriptions.c.channel_id)
            )
            return [
                Subscription(channel_id=r["channel_id"], by_user=r["by_user"], since=r["since"])
                for r in result.mappings()
            ]

    # -- audit log --------------------------------------------------------------------

    async def audit(
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
        async with self._write() as conn:
            await conn.execute(
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

    async def audit_entries(
        self, *, limit: int = 100, action: str | None = None
    ) -> list[AuditEntry]:
        """The newest entries first."""
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if action is not None:
            query = query.where(audit_log.c.action == action)
        async with self._read() as conn:
            result = await conn.execute(query)
            return [
                AuditEntry(
                    id=r["id"],
                    at=r["at"],
                    actor_slack_id=r["actor_slack_id"],
                    action=r["action"],
                    invitation_id=r["invitation_id"],
                    email=r["email"],
                    channel_id=r["channel_id"],
                    detail=dict(r["detail"]),
                )
                for r in result.mappings()
            ]

    # -- processed Slack deliveries ---------------------------------------------------

    async def claim_delivery(self, key: str) -> bool:
        """True for the first caller with `key` in any process: Slack retries a request it
        thinks timed out, and the retry must not act a second time."""
        stmt = (
            self._insert(deliveries)
            .values(key=key, created_at=utcnow())
            .on_conflict_do_nothing()
            .returning(deliveries.c.key)
        )
        async with self._write() as conn:
            return (await conn.execute(stmt)).first() is not None

    async def prune_deliveries(self, older_than: timedelta) -> int:
        """Forget deliveries older than Slack's retry window; returns how many."""
        async with self._write() as conn:
            result = await conn.execute(
                delete(deliveries).where(deliveries.c.created_at < utcnow() - older_than)
            )
        return int(result.rowcount)

    # -- linked personal Gencove accounts ---------------------------------------------

    async def save_link(
        self, slack_user_id: str, *, ciphertext: str, gencove_user_id: str, gencove_email: str
    ) -> None:
        """Store (or replace) the user's encrypted personal key."""
        stmt = self._insert(linked_accounts).values(
            slack_user_id=slack_user_id,
            ciphertext=ciphertext,
            gencove_user_id=gencove_user_id,
            gencove_email=gencove_email,
            linked_at=utcnow(),
        )
        new = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=[linked_accounts.c.slack_user_id],
            set_={
                "ciphertext": new.ciphertext,
                "gencove_user_id": new.gencove_user_id,
                "gencove_email": new.gencove_email,
                "linked_at": new.linked_at,
            },
        )
        async with self._write() as conn:
            await conn.execute(stmt)

    async def get_link(self, slack_user_id: str) -> LinkedAccount | None:
        async with self._read() as conn:
            result = await conn.execute(
                select(linked_accounts).where(linked_accounts.c.slack_user_id == slack_user_id)
            )
            row = result.mappings().first()
        if row is None:
            return None
        return LinkedAccount(
            slack_user_id=row["slack_user_id"],
            ciphertext=row["ciphertext"],
            gencove_user_id=row["gencove_user_id"],
            gencove_email=row["gencove_email"],
            linked_at=row["linked_at"],
        )

    async def delete_link(self, slack_user_id: str) -> bool:
        async with self._write() as conn:
            result = await conn.execute(
                delete(linked_accounts).where(linked_accounts.c.slack_user_id == slack_user_id)
            )
        return bool(result.rowcount)

    # -- invite jobs ------------------------------------------------------------------

    async def create_job(
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
        }
        if owner is not None:
            values["owner"] = owner
            values["lease_expires"] = now + (lease if lease is not None else timedelta(minutes=5))
        stmt = (
            self._insert(invite_jobs)
            .values(**values)
            .on_conflict_do_nothing()
            .returning(invite_jobs.c.id)
        )
        async with self._write() as conn:
            job_id = (await conn.execute(stmt)).scalar_one_or_none()
            if job_id is None:
                existing = await conn.execute(
                    select(invite_jobs.c.id).where(invite_jobs.c.delivery_key == job.delivery_key)
                )
                return int(existing.scalar_one())
            emails = list(dict.fromkeys(job.addresses))
            if emails:
                await conn.execute(
                    invite_job_items.insert(),
                    [
                        {"job_id": job_id, "position": position, "email": email}
                        for position, email in enumerate(emails)
                    ],
                )
        return int(job_id)

    async def set_job_message(self, job_id: int, *, channel_id: str, message_ts: str) -> None:
        """Where the job's result message is, so a resumed job edits it instead of posting."""
        async with self._write() as conn:
            result = await conn.execute(
                update(invite_jobs)
                .where(invite_jobs.c.id == job_id)
                .values(message_channel_id=channel_id, message_ts=message_ts)
            )
        _expect_one(result.rowcount, "invite job", job_id)

    async def record_job_item(
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
        async with self._write() as conn:
            result = await conn.execute(
                update(invite_job_items)
                .where(invite_job_items.c.job_id == job_id, invite_job_items.c.email == email)
                .values(
                    outcome=outcome, invitation_id=invitation_id, error=error, updated_at=utcnow()
                )
            )
        _expect_one(result.rowcount, "invite job address", f"{job_id}/{email}")

    async def finish_job(self, job_id: int) -> None:
        async with self._write() as conn:
            result = await conn.execute(
                update(invite_jobs)
                .where(invite_jobs.c.id == job_id)
                .values(finished_at=utcnow(), lease_expires=None)
            )
        _expect_one(result.rowcount, "invite job", job_id)

    async def get_job(self, job_id: int) -> InviteJob | None:
        jobs = await self._jobs(invite_jobs.c.id == job_id)
        return jobs[0] if jobs else None

    async def unfinished_jobs(self) -> list[InviteJob]:
        """Jobs a crash interrupted (or still running elsewhere: claim_job decides)."""
        return await self._jobs(invite_jobs.c.finished_at.is_(None))

    async def _jobs(self, condition: Any) -> list[InviteJob]:
        async with self._read() as conn:
            job_rows = (
                (
                    await conn.execute(
                        select(invite_jobs).where(condition).order_by(invite_jobs.c.id)
                    )
                )
                .mappings()
                .all()
            )
            ids = [row["id"] for row in job_rows]
            items: dict[int, list[InviteJobItem]] = {job_id: [] for job_id in ids}
            for chunk in _chunks(ids):
                result = await conn.execute(
                    select(invite_job_items)
                    .where(invite_job_items.c.job_id.in_(chunk))
                    .order_by(invite_job_items.c.job_id, invite_job_items.c.position)
                )
                for row in result.mappings():
                    items[row["job_id"]].append(
                        InviteJobItem(
                            email=row["email"],
                            outcome=cast(JobOutcome | None, row["outcome"]),
                            invitation_id=row["invitation_id"],
                            error=row["error"],
                        )
                    )
        return [
            InviteJob(
                id=row["id"],
                slack_user_id=row["slack_user_id"],
                channel_id=row["channel_id"],
                response_url=row["response_url"],
                role=row["role"],
                delivery_key=row["delivery_key"],
                created_at=row["created_at"],
                message_channel_id=row["message_channel_id"],
                message_ts=row["message_ts"],
                owner=row["owner"],
                lease_expires=row["lease_expires"],
                finished_at=row["finished_at"],
                items=tuple(items[row["id"]]),
            )
            for row in job_rows
        ]

    async def job_for_message(self, channel_id: str, message_ts: str) -> InviteJob | None:
        """The invite job whose result message is at (channel, ts), if the bot posted it."""
        jobs = await self._jobs(
            (invite_jobs.c.message_channel_id == channel_id)
            & (invite_jobs.c.message_ts == message_ts)
        )
        return jobs[0] if jobs else None

    async def job_for_invitation(self, invitation_id: str) -> InviteJob | None:
        """The latest invite job that showed this invitation."""
        latest = (
            select(invite_job_items.c.job_id)
            .where(invite_job_items.c.invitation_id == invitation_id)
            .order_by(invite_job_items.c.job_id.desc())
            .limit(1)
            .scalar_subquery()
        )
        jobs = await self._jobs(invite_jobs.c.id == latest)
        return jobs[0] if jobs else None

    async def claim_job(self, job_id: int, owner: str, lease: timedelta) -> bool:
        """Take (or extend) the right to work on an unfinished job until now + `lease`;
        False while another owner's lease runs, or when the job is finished."""
        now = utcnow()
        stmt = (
            update(invite_jobs)
            .where(
                invite_jobs.c.id == job_id,
                invite_jobs.c.finished_at.is_(None),
                or_(
                    invite_jobs.c.owner.is_(None),
                    invite_jobs.c.owner == owner,
                    invite_jobs.c.lease_expires.is_(None),
                    invite_jobs.c.lease_expires <= now,
                ),
            )
            .values(owner=owner, lease_expires=now + lease)
        )
        async with self._write() as conn:
            return (await conn.execute(stmt)).rowcount == 1

    # -- leadership -------------------------------------------------------------------

    def leader_lease(self, name: str, *, owner: str, ttl: timedelta) -> LeaderLease:
        """The lease for `name` as `owner` (the same object when asked again; see
        LeaderLease). close() releases it if still held."""
        lease = self._leases.get((name, owner))
        if lease is None:
            lease_class = AdvisoryLockLease if self.dialect == "postgresql" else RowLease
            lease = lease_class(self._engine, name, owner=owner, ttl=ttl)
            self._leases[name, owner] = lease
        lease.ttl = ttl
        return lease


# -- row conversion ---------------------------------------------------------------------


def _invitation(row: RowMapping) -> KnownInvitation:
    return KnownInvitation(
        id=row["id"],
        email=row["email"],
        role=row["role"],
        status=row["status"],
        expires=row["expires"],
        inviter_slack_id=row["inviter_slack_id"],
        channel_id=row["channel_id"],
        message_ts=row["message_ts"],
        block_id=row["block_id"],
        first_seen=row["first_seen"],
        updated_at=row["updated_at"],
        changed_by=row["changed_by"],
    )


def _outbox_item(row: RowMapping) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        kind=cast(OutboxKind, row["kind"]),
        invitation_id=row["invitation_id"],
        new_status=row["new_status"],
        channel_id=row["channel_id"],
        payload=dict(row["payload"]),
        state=cast(OutboxState, row["state"]),
        attempts=row["attempts"],
        created_at=row["created_at"],
        slack_ts=row["slack_ts"],
        dedupe_key=f"ib-{row['id']}",
        last_error=row["last_error"],
    )


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


def _transition_payload(transition: Transition, invitation: KnownInvitation) -> dict[str, Any]:
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


def _expect_one(rowcount: int, what: str, key: object) -> None:
    if rowcount != 1:
        raise LookupError(f"unknown {what} {key!r}")


def _chunks(items: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
