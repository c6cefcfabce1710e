"""Audit trail and corrections: who did what to which patient's data, and voided entries.

``audit_events`` records every view, creation, change, correction, deletion and denied access
(``synkinesis.store.audit``); it has no foreign key to the patient, so the trail outlives a
deleted patient. Visits, scale scores, toxin and therapy sessions and procedures get
``voided_at`` / ``void_reason``: a wrong entry is voided (kept, hidden by default) or amended,
never silently edited.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

VOIDABLE = ("visits", "scale_scores", "toxin_sessions", "therapy_sessions", "procedures")


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("patient_code", sa.String(64), nullable=True),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_action", "audit_events", ["action"])
    op.create_index("ix_audit_events_patient_code", "audit_events", ["patient_code"])
    for table in VOIDABLE:
        op.add_column(table, sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True))
        op.add_column(table, sa.Column("void_reason", sa.Text(), nullable=False,
                                       server_default=""))


def downgrade() -> None:
    # Below this revision a voided entry would read as a live one and the trail would be
    # gone: refuse while there is either (a backup restores them; `synk db backup`).
    connection = op.get_bind()
    voided = sum(connection.execute(sa.text(
        f"SELECT count(*) FROM {table} WHERE voided_at IS NOT NULL")).scalar_one()
        for table in VOIDABLE)
    events = connection.execute(sa.text("SELECT count(*) FROM audit_events")).scalar_one()
    if voided or events:
        raise RuntimeError(
            f"refusing to downgrade below revision 0003: {voided} voided entries would become "
            f"live again and {events} audit events would be lost; downgrade a copy, or "
            "restore a backup made before the upgrade")
    for table in VOIDABLE:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("void_reason")
            batch.drop_column("voided_at")
    op.drop_table("audit_events")
