"""Bulk drafts: a bulk invite's checked rows waiting for its asker's click, in tables of
their own. They were JSON in the `state` table (`bulk-draft:<id>`, `{}` once used): the
drafts still waiting move over, with a day to live, and the JSON keys go.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-16
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bulk_drafts",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("role", sa.String(255), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bulk_drafts"),
    )
    op.create_index("ix_bulk_drafts_expires_at", "bulk_drafts", ["expires_at"])
    op.create_table(
        "bulk_draft_rows",
        sa.Column("draft_id", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("role", sa.String(255), nullable=True),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["bulk_drafts.id"],
            name="fk_bulk_draft_rows_draft_id_bulk_drafts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("draft_id", "position", name="pk_bulk_draft_rows"),
    )
    _move_json_drafts()


def _move_json_drafts() -> None:
    bind = op.get_bind()
    found = bind.execute(sa.text("SELECT key, value FROM state WHERE key LIKE 'bulk-draft:%'"))
    now = datetime.now(UTC)
    drafts = sa.table("bulk_drafts", *_DRAFT_COLUMNS)
    rows = sa.table("bulk_draft_rows", *_ROW_COLUMNS)
    for key, value in found.all():
        draft = _parsed(str(value))
        if draft is None or not draft["rows"]:
            continue
        draft_id = str(key).removeprefix("bulk-draft:")
        header = {k: draft[k] for k in ("user_id", "channel_id", "role", "source")}
        expires = now + timedelta(days=1)
        bind.execute(
            drafts.insert().values(id=draft_id, **header, created_at=now, expires_at=expires)
        )
        bind.execute(
            rows.insert(),
            [
                {"draft_id": draft_id, "position": i, "address": address, "role": role}
                for i, (address, role) in enumerate(draft["rows"])
            ],
        )
    bind.execute(sa.text("DELETE FROM state WHERE key LIKE 'bulk-draft:%'"))


def _parsed(raw: str) -> dict[str, Any] | None:
    """A draft as slack/bulk.py wrote it, or None (a used one is `{}`)."""
    try:
        data = json.loads(raw)
        return {
            "user_id": str(data["user_id"]),
            "channel_id": str(data["channel_id"]),
            "role": data.get("role"),
            "source": str(data["source"]),
            "rows": [(str(a), r if r is None else str(r)) for a, r in data["rows"]],
        }
    except (ValueError, KeyError, TypeError):
        return None


_DRAFT_COLUMNS = (
    *(sa.column(n) for n in ("id", "user_id", "channel_id", "role", "source")),
    sa.column("created_at", TIMESTAMP),
    sa.column("expires_at", TIMESTAMP),
)
_ROW_COLUMNS: tuple[sa.ColumnClause[Any], ...] = tuple(
    sa.column(n) for n in ("draft_id", "position", "address", "role")
)


def downgrade() -> None:
    op.drop_table("bulk_draft_rows")
    op.drop_index("ix_bulk_drafts_expires_at", table_name="bulk_drafts")
    op.drop_table("bulk_drafts")
