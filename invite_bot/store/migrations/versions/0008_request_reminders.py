"""Request reminders: one row per invite request reminded, claimed with the reminder's
posts (outbox kind 'request_reminder') in one transaction, so it is sent once.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "request_reminders",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("queued_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["invite_requests.id"],
            name="fk_request_reminders_request_id_invite_requests",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", name="pk_request_reminders"),
    )


def downgrade() -> None:
    op.drop_table("request_reminders")
