"""Web accounts in the record's database (they were a JSON file beside it).

One table, so that the accounts live, are backed up and are restored with the record they
give access to, and a patient account can only name a patient that exists (deleted with it).
An old ``web-accounts.json`` is brought in once with ``synk serve users --import FILE``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_accounts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("patient_id", sa.String(36),
                  sa.ForeignKey("patients.id", ondelete="CASCADE"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_web_accounts_username", "web_accounts", ["username"], unique=True)
    op.create_index("ix_web_accounts_patient_id", "web_accounts", ["patient_id"])


def downgrade() -> None:
    # Below this revision the accounts would be gone (nobody could log in): refuse while
    # there are any.
    accounts = op.get_bind().execute(sa.text("SELECT count(*) FROM web_accounts")).scalar_one()
    if accounts:
        raise RuntimeError(f"refusing to downgrade below revision 0004: the {accounts} web "
                           "account(s) would be lost; remove them first (synk serve deluser) "
                           "or downgrade a copy")
    op.drop_table("web_accounts")
