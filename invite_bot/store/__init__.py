"""Durable state of the bot (SQLite or PostgreSQL) behind one async interface: `Store`."""

from .engine import DEFAULT_DATABASE_URL, normalise_database_url, redact
from .lease import LeaderLease
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
from .store import BASELINE_DONE, Store

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
    "normalise_database_url",
    "redact",
]
