"""Workflow steps: each execution of the "Invite to Gencove" Workflow Builder step, by
Slack's function_execution_id, with the outcome decided and whether Slack was told, so a
step completes exactly once across Slack's retries and the bot's restarts.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "workflow_steps",
        sa.Column("execution_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=True),
        sa.Column("email", sa.String(400), nullable=False),
        sa.Column("role", sa.String(255), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("outputs", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        sa.Column("completed_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("execution_id", name="pk_workflow_steps"),
    )
    op.create_index("ix_workflow_steps_completed_at", "workflow_steps", ["completed_at"])


def downgrade() -> None:
    op.drop_index("ix_workflow_steps_completed_at", table_name="workflow_steps")
    op.drop_table("workflow_steps")
