"""Reminders sent, `notify me` choices, and re-invites.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("invitation_id", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("expires", TIMESTAMP, nullable=True),
        sa.Column("queued_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("invitation_id", name="pk_reminders"),
    )
    op.create_table(
        "notify_preferences",
        sa.Column("slack_user_id", sa.String(32), nullable=False),
        sa.Column("personal", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("slack_user_id", name="pk_notify_preferences"),
    )
    op.create_table(
        "reinvites",
        sa.Column("invitation_id", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("by_user", sa.String(32), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("new_invitation_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("invitation_id", name="pk_reinvites"),
    )
    op.create_index("ix_reinvites_new_invitation_id", "reinvites", ["new_invitation_id"])
    # A click on a notice finds what it showed by the message's ts.
    op.create_index("ix_outbox_slack_ts", "outbox", ["slack_ts"])


def downgrade() -> None:
    op.drop_index("ix_outbox_slack_ts", table_name="outbox")
    op.drop_index("ix_reinvites_new_invitation_id", table_name="reinvites")
    op.drop_table("reinvites")
    op.drop_table("notify_preferences")
    op.drop_table("reminders")
