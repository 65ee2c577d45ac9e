"""The Home tab: who opened it (only they get it refreshed) and what was last published
to each.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "home_tabs",
        sa.Column("slack_user_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=True),
        sa.Column("opened_at", TIMESTAMP, nullable=False),
        sa.Column("published_hash", sa.String(64), nullable=True),
        sa.Column("published_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("slack_user_id", name="pk_home_tabs"),
    )


def downgrade() -> None:
    op.drop_table("home_tabs")
