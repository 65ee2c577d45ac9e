"""The tables, as SQLAlchemy Core objects shared by SQLite and PostgreSQL.

Changing a table here needs a new migration in `migrations/versions/`; the test
`test_migrations_match_schema` fails until the two agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB


def utcnow() -> datetime:
    """The one clock the store writes with: aware UTC, comparable to every stored time."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database.

    SQLite drops tzinfo, so values are converted to UTC before they are written (a naive
    value is refused rather than guessed) and marked UTC again when they are read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {value!r}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# PostgreSQL gets JSONB (compact, comparable); SQLite stores JSON text.
JSONDocument = JSON().with_variant(JSONB(), "postgresql")

# Stable constraint names, so later migrations (and SQLite batch mode) can refer to them.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

invitations = Table(
    "invitations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("email", String(320), nullable=False, index=True),
    Column("role", String(255), nullable=False),
    Column("status", String(32), nullable=False, index=True),
    Column("expires", UTCDateTime(), nullable=True),
    Column("inviter_slack_id", String(32), nullable=True),
    Column("channel_id", String(32), nullable=True),
    Column("message_ts", String(32), nullable=True),
    Column("block_id", String(255), nullable=True),
    # who moved it to its status: a Slack user ID (from Slack) or a Gencove name
    Column("changed_by", String(255), nullable=True),
    Column("first_seen", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("invitation_id", String(64), nullable=False),
    Column("new_status", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("payload", JSONDocument, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("available_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime(), nullable=True),
    Column("slack_ts", String(32), nullable=True),
    Column("last_error", Text, nullable=True),
    # A transition is announced once per channel, whoever applies it and however often.
    UniqueConstraint("kind", "invitation_id", "new_status", "channel_id"),
    Index(
        "uq_outbox_message_update",
        "invitation_id",
        "new_status",
        unique=True,
        sqlite_where=text("kind = 'message_update'"),
        postgresql_where=text("kind = 'message_update'"),
    ),
    # Ids are never reused on SQLite either: the Slack dedupe key is derived from them.
    sqlite_autoincrement=True,
)

state = Table(
    "state",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("channel_id", String(32), primary_key=True),
    Column("by_user", String(32), nullable=False),
    Column("since", UTCDateTime(), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime(), nullable=False, index=True),
    Column("actor_slack_id", String(32), nullable=True),
    Column("action", String(64), nullable=False, index=True),
    Column("invitation_id", String(64), nullable=True),
    Column("email", String(320), nullable=True),
    Column("channel_id", String(32), nullable=True),
    Column("detail", JSONDocument, nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
)

linked_accounts = Table(
    "linked_accounts",
    metadata,
    Column("slack_user_id", String(32), primary_key=True),
    Column("ciphertext", Text, nullable=False),
    Column("gencove_user_id", String(64), nullable=False),
    Column("gencove_email", String(320), nullable=False),
    Column("linked_at", UTCDateTime(), nullable=False),
)

invite_jobs = Table(
    "invite_jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slack_user_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("response_url", Text, nullable=True),
    Column("role", String(255), nullable=True),
    # A redelivered Slack request finds the job its first delivery created.
    Column("delivery_key", String(255), nullable=True, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("message_channel_id", String(32), nullable=True),
    Column("message_ts", String(32), nullable=True),
    Column("owner", String(255), nullable=True),
    Column("lease_expires", UTCDateTime(), nullable=True),
    Column("finished_at", UTCDateTime(), nullable=True, index=True),
)

invite_job_items = Table(
    "invite_job_items",
    metadata,
    Column("job_id", Integer, ForeignKey("invite_jobs.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("email", String(320), nullable=False),
    Column("outcome", String(16), nullable=True),
    Column("invitation_id", String(64), nullable=True),
    Column("error", Text, nullable=True),
    Column("updated_at", UTCDateTime(), nullable=True),
    PrimaryKeyConstraint("job_id", "position"),
    UniqueConstraint("job_id", "email"),
)

# One invite job at a time may create an invitation to an address, across processes: the
# duplicate guard. A claim lapses with its job's lease, so a dead process holds nothing.
address_claims = Table(
    "address_claims",
    metadata,
    Column("email", String(320), primary_key=True),
    Column("job_id", Integer, nullable=False),
    Column("owner", String(255), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("owner", String(255), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)
