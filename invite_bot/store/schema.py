"""The tables, as SQLAlchemy Core objects shared by SQLite and PostgreSQL.

Changing a table here needs a new migration in `migrations/versions/`; the test
`test_migrations_match_schema` fails until the two agree.

JSONB is looked up when a PostgreSQL dialect first asks for it; the outbox's partial
index names its WHERE for both databases, which loads PostgreSQL's dialect module here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
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
from sqlalchemy.types import TypeEngine


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


class JSONDocument(TypeDecorator[Any]):
    """A JSON document: JSONB on PostgreSQL (compact, comparable), JSON text on SQLite.

    What `JSON().with_variant(JSONB(), "postgresql")` says, without importing JSONB (and
    with it PostgreSQL's dialect) where no PostgreSQL database is used.
    """

    impl = JSON
    cache_ok = True
    # As JSON's: Python None is stored as the JSON value null, not as SQL NULL.
    should_evaluate_none = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


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
    Column("payload", JSONDocument(), nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("available_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime(), nullable=True),
    Column("slack_ts", String(32), nullable=True, index=True),
    Column("last_error", Text, nullable=True),
    # A transition is announced once per channel, whoever applies it and however often.
    UniqueConstraint("kind", "invitation_id", "new_status", "channel_id"),
    # One message update per invitation and status. Naming `postgresql_where` makes
    # SQLAlchemy load PostgreSQL's dialect (about 2 MiB) wherever this module is imported.
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
    Column("detail", JSONDocument(), nullable=False),
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
    # "invite" (a command, the modal, a re-invite, an approved request) or "bulk"
    Column("kind", String(16), nullable=False, server_default="invite"),
    Column("cancelled_at", UTCDateTime(), nullable=True),  # asked to stop (bulk's Cancel)
)

invite_job_items = Table(
    "invite_job_items",
    metadata,
    Column("job_id", Integer, ForeignKey("invite_jobs.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("email", String(320), nullable=False),
    Column("role", String(255), nullable=True),  # this address's role, if not the job's
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

# A member's ask to invite addresses, decided once by an inviter (approved, denied) or
# ended by the member (withdrawn) or the clock (expired): a conditional UPDATE ... WHERE
# status = 'open' makes the one decision, across processes. `shown_status` is what its
# messages show, so the watcher marks an expired request on them exactly once.
invite_requests = Table(
    "invite_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("requester_slack_id", String(32), nullable=False, index=True),
    Column("channel_id", String(32), nullable=False),
    Column("addresses", JSONDocument(), nullable=False),
    Column("role", String(255), nullable=True),
    Column("reason", Text, nullable=True),
    Column("status", String(16), nullable=False, index=True),
    # A redelivered Slack request finds the request its first delivery created.
    Column("delivery_key", String(255), nullable=True, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("decided_by", String(32), nullable=True),
    Column("decided_at", UTCDateTime(), nullable=True),
    Column("decision_note", Text, nullable=True),
    Column("job_id", Integer, nullable=True),
    Column("shown_status", String(16), nullable=True),
    sqlite_autoincrement=True,
)

# Where a request was posted (the approval channel, or a DM to each of a few inviters).
invite_request_messages = Table(
    "invite_request_messages",
    metadata,
    Column(
        "request_id", Integer, ForeignKey("invite_requests.id", ondelete="CASCADE"), nullable=False
    ),
    Column("channel_id", String(32), nullable=False),
    Column("message_ts", String(32), nullable=True, index=True),
    PrimaryKeyConstraint("request_id", "channel_id"),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("owner", String(255), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

# One reminder per invitation, ever: inserted (ON CONFLICT DO NOTHING) in the transaction
# that queues the reminder's posts, so two watchers or a restart never remind twice.
reminders = Table(
    "reminders",
    metadata,
    Column("invitation_id", String(64), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("expires", UTCDateTime(), nullable=True),
    Column("queued_at", UTCDateTime(), nullable=False),
)

# One reminder per invite request nobody decided in INVITE_REQUEST_REMIND_AFTER: inserted
# (ON CONFLICT DO NOTHING) in the transaction that queues its posts in the outbox (kind
# 'request_reminder'), so two watchers or a restart never remind twice.
request_reminders = Table(
    "request_reminders",
    metadata,
    Column(
        "request_id",
        Integer,
        ForeignKey("invite_requests.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("queued_at", UTCDateTime(), nullable=False),
)

# `/gencove notify me [off]`: a Slack user's choice about DMs of their own invitations.
# No row: the default (on).
notify_preferences = Table(
    "notify_preferences",
    metadata,
    Column("slack_user_id", String(32), primary_key=True),
    Column("personal", Boolean(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# A re-invite of an expired, revoked (or, from a reminder, pending) invitation: one per old
# invitation, so a double click (in any process) re-invites once. `new_invitation_id` is
# set once the new invitation exists; a refused re-invite deletes its row.
reinvites = Table(
    "reinvites",
    metadata,
    Column("invitation_id", String(64), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("by_user", String(32), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("new_invitation_id", String(64), nullable=True, index=True),
)

# A bulk invite's checked rows, waiting for its asker's click ("Invite the N good ones" or
# "Cancel"): the click takes the draft with one conditional DELETE, so exactly one wins.
bulk_drafts = Table(
    "bulk_drafts",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("user_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("role", String(255), nullable=True),  # for rows that name none
    Column("source", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
)

bulk_draft_rows = Table(
    "bulk_draft_rows",
    metadata,
    Column(
        "draft_id", String(16), ForeignKey("bulk_drafts.id", ondelete="CASCADE"), nullable=False
    ),
    Column("position", Integer, nullable=False),
    Column("address", String(320), nullable=False),
    Column("role", String(255), nullable=True),
    PrimaryKeyConstraint("draft_id", "position"),
)

# A Workflow Builder step's executions, by Slack's function_execution_id: its inputs, the
# outcome decided (recorded before Slack is told), and whether Slack was told. A step is
# completed exactly once: a redelivery or a restart finds the outcome here and only tells
# Slack again when the telling was not confirmed.
workflow_steps = Table(
    "workflow_steps",
    metadata,
    Column("execution_id", String(64), primary_key=True),
    Column("user_id", String(32), nullable=True),  # the person it acts for
    Column("email", String(400), nullable=False),
    Column("role", String(255), nullable=True),
    Column("outcome", String(16), nullable=True),  # "success" | "error", once decided
    Column("outputs", Text, nullable=True),  # JSON, for "success"
    Column("error", Text, nullable=True),  # a person-readable reason, for "error"
    Column("created_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=True),
    Column("completed_at", UTCDateTime(), nullable=True, index=True),
)

# Who has opened the bot's Home tab (`app_home_opened`): only they get it refreshed, and
# what was last published to each (a hash of the view), so an unchanged Home is not sent
# again.
home_tabs = Table(
    "home_tabs",
    metadata,
    Column("slack_user_id", String(32), primary_key=True),
    Column("channel_id", String(32), nullable=True),  # the bot's DM with them
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("published_hash", String(64), nullable=True),
    Column("published_at", UTCDateTime(), nullable=True),
)
