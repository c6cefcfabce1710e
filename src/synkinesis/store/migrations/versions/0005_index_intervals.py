"""A measured index keeps its interval: ``low``, ``high`` (same unit) and ``level`` (0.9).

Since analysis format 2 every finding's index has a 90 % interval; the record kept only the
number, so a trend or a visit comparison could not say whether a change is beyond the noise
without re-reading each analysis file. The columns are nullable: measure indices have no
interval, and rows stored before this revision keep none (their intervals are still read from
their analysis file where it is present, :func:`synkinesis.store.queries.compare_visits`); no
interval is invented.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = ("low", "high", "level")


def upgrade() -> None:
    # plain ALTER TABLE (SQLite >= 3.35 drops columns too): a batch copy of the table would
    # leave its temporary table behind when a later downgrade step in the same run is refused
    for name in COLUMNS:
        op.add_column("measured_indices", sa.Column(name, sa.Float(), nullable=True))


def downgrade() -> None:
    # only the columns still there: SQLite commits each ALTER TABLE at once, so a downgrade
    # refused by an older revision's check in the same run has already dropped them
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("measured_indices")}
    for name in reversed(COLUMNS):
        if name in present:
            op.drop_column("measured_indices", name)
