"""Durable state of the bot (SQLite or PostgreSQL) behind one async interface: `Store`.

`store.py` the life cycle and the unit of work, `work.py` the repositories it exposes
(one module each: invitations, jobs, transitions, outbox, links, deliveries,
subscriptions, audit, state; leases.py the leader leases), `db.py` the engine, the
transaction machinery and the shared statement shapes; `schema.py`, `records.py`,
`engine.py`, `migrate.py` as their names say.
"""

from .engine import DEFAULT_DATABASE_URL, normalise_database_url, redact
from .leases import LeaderLease
from .records import (
    AuditEntry,
    InviteJob,
    InviteJobItem,
    KnownInvitation,
    LinkedAccount,
    NewInviteJob,
    OutboxItem,
    Subscription,
    Transition,
)
from .state import BASELINE_DONE
from .store import Store
from .work import UnitOfWork

__all__ = [
    "BASELINE_DONE",
    "DEFAULT_DATABASE_URL",
    "AuditEntry",
    "InviteJob",
    "InviteJobItem",
    "KnownInvitation",
    "LeaderLease",
    "LinkedAccount",
    "NewInviteJob",
    "OutboxItem",
    "Store",
    "Subscription",
    "Transition",
    "UnitOfWork",
    "normalise_database_url",
    "redact",
]
