"""Measured indices as rows, so trends of any measured index are one indexed query.

Revision 0001 kept a recording's figures only inside its ``summary`` JSON, which cannot be
queried across visits on both SQLite and PostgreSQL. Existing summaries are copied into the new
table (their ``indices`` mapping, name -> number or {value, unit, source}).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import math
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "measured_indices",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("recording_id", sa.String(36),
                  sa.ForeignKey("recordings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.UniqueConstraint("recording_id", "name"),
    )
    op.create_index("ix_measured_indices_recording_id", "measured_indices", ["recording_id"])
    op.create_index("ix_measured_indices_name", "measured_indices", ["name"])
    recordings = sa.table("recordings", sa.column("id", sa.String),
                          sa.column("summary", sa.JSON))
    rows = []
    for recording_id, summary in op.get_bind().execute(
            sa.select(recordings.c.id, recordings.c.summary)):
        for name, entry in ((summary or {}).get("indices") or {}).items():
            entry = entry if isinstance(entry, dict) else {"value": entry}
            value = entry.get("value")
            if isinstance(value, int | float) and math.isfinite(value):
                rows.append({"id": str(uuid.uuid4()), "recording_id": recording_id,
                             "name": str(name), "value": float(value),
                             "unit": str(entry.get("unit") or ""),
                             "source": str(entry.get("source") or "measure")})
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_table("measured_indices")
