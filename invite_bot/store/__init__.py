"""Durable state of the bot (SQLite or PostgreSQL) behind one async interface: `Store`.

`store.py` the life cycle and the two ways in (`store.read(work)`, `store.write(work)`,
each one hop), `tx.py` the `Tx` a unit of work gets (one repository per concern, one
module each: invitations, jobs, claims, transitions, outbox, links, deliveries,
subscriptions, audit, state, preferences, reminders, reinvites, requests, drafts),
`db.py` the repositories' base and shared statement shapes; `runner.py` where units of
work run (`sqlite_runner.py`: worker threads; `postgres_runner.py`: asyncpg); leases.py
the leader leases; `unavailable.py` the one exception for a database that cannot serve
(`StoreUnavailable`); `schema.py`, `engine.py`, `migrate.py` as their names say.
"""

from invite_bot.domain.records import (
    AuditEntry,
    BulkDraft,
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
from invite_bot.store.drivers import DEFAULT_DATABASE_URL, normalise_database_url, redact
from invite_bot.store.leases import LeaderLease
from invite_bot.store.repositories.home import HomeViewer
from invite_bot.store.repositories.state import BASELINE_DONE, WATCHER_POLLED
from invite_bot.store.store import Store
from invite_bot.store.tx import Tx
from invite_bot.store.unavailable import StoreUnavailable

__all__ = [
    "BASELINE_DONE",
    "DEFAULT_DATABASE_URL",
    "WATCHER_POLLED",
    "AuditEntry",
    "BulkDraft",
    "HomeViewer",
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
    "Tx",
    "normalise_database_url",
    "redact",
]
