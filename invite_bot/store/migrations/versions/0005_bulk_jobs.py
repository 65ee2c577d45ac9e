"""Bulk invite jobs: a job's kind, its cancellation, and a role per address.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("invite_jobs") as jobs:
        jobs.add_column(
            sa.Column("kind", sa.String(16), nullable=False, server_default="invite")
        )
        jobs.add_column(sa.Column("cancelled_at", TIMESTAMP, nullable=True))
    with op.batch_alter_table("invite_job_items") as items:
        items.add_column(sa.Column("role", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invite_job_items") as items:
        items.drop_column("role")
    with op.batch_alter_table("invite_jobs") as jobs:
        jobs.drop_column("cancelled_at")
        jobs.drop_column("kind")
