"""Durable state of the bot (SQLite or PostgreSQL) behind one async interface: `Store`.

`store.py` the life cycle and the unit of work, `work.py` the repositories it exposes
(one module each: invitations, jobs, transitions, outbox, links, deliveries,
subscriptions, audit, state, requests; leases.py the leader leases), `db.py` the engine, the
transaction machinery and the shared statement shapes; `unavailable.py` the one exception
for a database that cannot serve (`StoreUnavailable`); `schema.py`, `records.py`,
`engine.py`, `migrate.py` as their names say; `no_orm.py`, imported first, keeps the
ORM out of the process.
"""

from invite_bot.domain.records import (
    AuditEntry,
    InviteJob,
    InviteJobItem,
    InviteRequest,
    ItemOutcome,
    JobOutcome,
    KnownInvitation,
    LinkedAccount,
    NewInviteJob,
    NewInviteRequest,
    OutboxItem,
    RequestMessage,
    Subscription,
    Transition,
)

from . import no_orm  # noqa: F401 (first: before anything imports sqlalchemy.ext.asyncio)
from .engine import DEFAULT_DATABASE_URL, normalise_database_url, redact
from .leases import LeaderLease
from .state import BASELINE_DONE, WATCHER_POLLED
from .store import Store
from .unavailable import StoreUnavailable
from .work import UnitOfWork

__all__ = [
    "BASELINE_DONE",
    "DEFAULT_DATABASE_URL",
    "WATCHER_POLLED",
    "AuditEntry",
    "InviteJob",
    "InviteJobItem",
    "InviteRequest",
    "ItemOutcome",
    "JobOutcome",
    "KnownInvitation",
    "LeaderLease",
    "LinkedAccount",
    "NewInviteJob",
    "NewInviteRequest",
    "OutboxItem",
    "RequestMessage",
    "Store",
    "StoreUnavailable",
    "Subscription",
    "Transition",
    "UnitOfWork",
    "normalise_database_url",
    "redact",
]
