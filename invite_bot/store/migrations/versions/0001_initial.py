"""Initial schema: invitations, outbox, state, subscriptions, audit log, deliveries,
linked accounts, invite jobs and leases.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types at this revision (schema.py may move on).
TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
MESSAGE_UPDATE_ONLY = sa.text("kind = 'message_update'")


def upgrade() -> None:
    _create_invitations()
    _create_outbox()
    _create_bookkeeping()
    _create_linked_accounts()
    _create_invite_jobs()
    _create_leases()


def _create_invitations() -> None:
    """The invitations the bot knows of, with the Slack message that shows each."""
    op.create_table(
        "invitations",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(255), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("expires", TIMESTAMP, nullable=True),
        sa.Column("inviter_slack_id", sa.String(32), nullable=True),
        sa.Column("channel_id", sa.String(32), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("block_id", sa.String(255), nullable=True),
        sa.Column("changed_by", sa.String(255), nullable=True),
        sa.Column("first_seen", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_invitations"),
    )
    op.create_index("ix_invitations_email", "invitations", ["email"])
    op.create_index("ix_invitations_status", "invitations", ["status"])


def _create_outbox() -> None:
    """The notifications waiting to be posted (at most one message update per change)."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("invitation_id", sa.String(64), nullable=False),
        sa.Column("new_status", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("payload", JSON_DOCUMENT, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("available_at", TIMESTAMP, nullable=False),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.Column("slack_ts", sa.String(32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint(
            "kind",
            "invitation_id",
            "new_status",
            "channel_id",
            name="uq_outbox_kind_invitation_id_new_status_channel_id",
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_state", "outbox", ["state"])
    op.create_index(
        "uq_outbox_message_update",
        "outbox",
        ["invitation_id", "new_status"],
        unique=True,
        sqlite_where=MESSAGE_UPDATE_ONLY,
        postgresql_where=MESSAGE_UPDATE_ONLY,
    )


def _create_bookkeeping() -> None:
    """Key-value state, channel subscriptions, the audit log, processed Slack deliveries."""
    op.create_table(
        "state",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_state"),
    )

    op.create_table(
        "subscriptions",
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("by_user", sa.String(32), nullable=False),
        sa.Column("since", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("channel_id", name="pk_subscriptions"),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor_slack_id", sa.String(32), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("invitation_id", sa.String(64), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("channel_id", sa.String(32), nullable=True),
        sa.Column("detail", JSON_DOCUMENT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])

    op.create_table(
        "deliveries",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_deliveries"),
    )
    op.create_index("ix_deliveries_created_at", "deliveries", ["created_at"])


def _create_linked_accounts() -> None:
    """Personal Gencove API keys, encrypted, by Slack user."""
    op.create_table(
        "linked_accounts",
        sa.Column("slack_user_id", sa.String(32), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("gencove_user_id", sa.String(64), nullable=False),
        sa.Column("gencove_email", sa.String(320), nullable=False),
        sa.Column("linked_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("slack_user_id", name="pk_linked_accounts"),
    )


def _create_invite_jobs() -> None:
    """Invite jobs and the addresses of each."""
    op.create_table(
        "invite_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("response_url", sa.Text(), nullable=True),
        sa.Column("role", sa.String(255), nullable=True),
        sa.Column("delivery_key", sa.String(255), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("message_channel_id", sa.String(32), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("owner", sa.String(255), nullable=True),
        sa.Column("lease_expires", TIMESTAMP, nullable=True),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_invite_jobs"),
        sa.UniqueConstraint("delivery_key", name="uq_invite_jobs_delivery_key"),
    )
    op.create_index("ix_invite_jobs_finished_at", "invite_jobs", ["finished_at"])

    op.create_table(
        "invite_job_items",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("invitation_id", sa.String(64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["invite_jobs.id"],
            name="fk_invite_job_items_job_id_invite_jobs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "position", name="pk_invite_job_items"),
        sa.UniqueConstraint("job_id", "email", name="uq_invite_job_items_job_id_email"),
    )


def _create_leases() -> None:
    """Leadership leases (SQLite): which process holds one, until when."""
    op.create_table(
        "leases",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_leases"),
    )


def downgrade() -> None:
    for table in (
        "leases",
        "invite_job_items",
        "invite_jobs",
        "linked_accounts",
        "deliveries",
        "audit_log",
        "subscriptions",
        "state",
        "outbox",
        "invitations",
    ):
        op.drop_table(table)
