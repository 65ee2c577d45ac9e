"""Invite requests: a member asks, an inviter approves or denies, once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types at this revision (schema.py may move on).
TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "invite_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_slack_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("addresses", JSON_DOCUMENT, nullable=False),
        sa.Column("role", sa.String(255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("delivery_key", sa.String(255), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("shown_status", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_invite_requests"),
        sa.UniqueConstraint("delivery_key", name="uq_invite_requests_delivery_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_invite_requests_status", "invite_requests", ["status"])
    op.create_index(
        "ix_invite_requests_requester_slack_id", "invite_requests", ["requester_slack_id"]
    )

    op.create_table(
        "invite_request_messages",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["invite_requests.id"],
            name="fk_invite_request_messages_request_id_invite_requests",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", "channel_id", name="pk_invite_request_messages"),
    )
    op.create_index(
        "ix_invite_request_messages_message_ts", "invite_request_messages", ["message_ts"]
    )


def downgrade() -> None:
    op.drop_table("invite_request_messages")
    op.drop_table("invite_requests")
