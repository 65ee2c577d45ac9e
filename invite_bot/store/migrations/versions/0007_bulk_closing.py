"""A bulk invite's end: when its closing message was shown (from then on it cannot be
cancelled), what became of its report, and the rows of its list that were skipped as bad
(kept with the draft until its Start, then with the job, for its summary and report).

Revision ID: 0007
Revises: 0006
Create Date: 2027-01-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("invite_jobs") as jobs:
        jobs.add_column(sa.Column("closed_at", TIMESTAMP, nullable=True))
        jobs.add_column(sa.Column("report", sa.String(255), nullable=True))
        jobs.add_column(sa.Column("skipped", JSON_DOCUMENT, nullable=True))
    with op.batch_alter_table("bulk_drafts") as drafts:
        drafts.add_column(sa.Column("skipped", JSON_DOCUMENT, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bulk_drafts") as drafts:
        drafts.drop_column("skipped")
    with op.batch_alter_table("invite_jobs") as jobs:
        jobs.drop_column("skipped")
        jobs.drop_column("report")
        jobs.drop_column("closed_at")
