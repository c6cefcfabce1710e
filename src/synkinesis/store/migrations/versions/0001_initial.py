"""Patient record: patients, visits, recordings, scale scores, toxin, therapy, procedures.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.String(36), primary_key=True)


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "patients",
        _id(),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("affected_side", sa.String(16), nullable=False),
        sa.Column("cause", sa.String(32), nullable=False),
        sa.Column("onset_date", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        _created(),
    )
    op.create_index("ix_patients_code", "patients", ["code"], unique=True)
    op.create_table(
        "visits",
        _id(),
        sa.Column("patient_id", sa.String(36),
                  sa.ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("clinician", sa.String(200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        _created(),
    )
    op.create_index("ix_visits_patient_id", "visits", ["patient_id"])
    op.create_table(
        "recordings",
        _id(),
        sa.Column("visit_id", sa.String(36),
                  sa.ForeignKey("visits.id", ondelete="CASCADE"), nullable=False),
        sa.Column("video_path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("protocol_version", sa.String(32), nullable=False),
        sa.Column("measurement_path", sa.Text(), nullable=True),
        sa.Column("measurement_sha256", sa.String(64), nullable=True),
        sa.Column("analysis_path", sa.Text(), nullable=True),
        sa.Column("analysis_sha256", sa.String(64), nullable=True),
        sa.Column("analysis_status", sa.Text(), nullable=False),
        sa.Column("files_managed", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        _created(),
    )
    op.create_index("ix_recordings_visit_id", "recordings", ["visit_id"])
    op.create_table(
        "scale_scores",
        _id(),
        sa.Column("visit_id", sa.String(36),
                  sa.ForeignKey("visits.id", ondelete="CASCADE"), nullable=False),
        sa.Column("recording_id", sa.String(36),
                  sa.ForeignKey("recordings.id", ondelete="SET NULL"), nullable=True),
        sa.Column("instrument", sa.String(32), nullable=False),
        sa.Column("instrument_version", sa.String(32), nullable=False),
        sa.Column("rater", sa.String(16), nullable=False),
        sa.Column("rater_name", sa.String(200), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("draft", sa.Boolean(), nullable=False),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        _created(),
    )
    op.create_index("ix_scale_scores_visit_id", "scale_scores", ["visit_id"])
    op.create_index("ix_scale_scores_instrument", "scale_scores", ["instrument"])
    op.create_table(
        "toxin_sessions",
        _id(),
        sa.Column("patient_id", sa.String(36),
                  sa.ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("visit_id", sa.String(36),
                  sa.ForeignKey("visits.id", ondelete="SET NULL"), nullable=True),
        sa.Column("session_date", sa.Date(), nullable=False),
        sa.Column("product", sa.String(64), nullable=False),
        sa.Column("dilution", sa.String(200), nullable=False),
        sa.Column("clinician", sa.String(200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        _created(),
    )
    op.create_index("ix_toxin_sessions_patient_id", "toxin_sessions", ["patient_id"])
    op.create_table(
        "injections",
        _id(),
        sa.Column("session_id", sa.String(36),
                  sa.ForeignKey("toxin_sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("muscle", sa.String(64), nullable=False),
        sa.Column("side", sa.String(16), nullable=False),
        sa.Column("units", sa.Float(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
    )
    op.create_index("ix_injections_session_id", "injections", ["session_id"])
    op.create_table(
        "therapy_sessions",
        _id(),
        sa.Column("patient_id", sa.String(36),
                  sa.ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("visit_id", sa.String(36),
                  sa.ForeignKey("visits.id", ondelete="SET NULL"), nullable=True),
        sa.Column("session_date", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("exercises", sa.JSON(), nullable=False),
        sa.Column("biofeedback", sa.JSON(), nullable=False),
        sa.Column("therapist", sa.String(200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        _created(),
    )
    op.create_index("ix_therapy_sessions_patient_id", "therapy_sessions", ["patient_id"])
    op.create_table(
        "procedures",
        _id(),
        sa.Column("patient_id", sa.String(36),
                  sa.ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("visit_id", sa.String(36),
                  sa.ForeignKey("visits.id", ondelete="SET NULL"), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("side", sa.String(16), nullable=False),
        sa.Column("procedure_date", sa.Date(), nullable=False),
        sa.Column("agent", sa.String(200), nullable=False),
        sa.Column("prediction", sa.Text(), nullable=False),
        sa.Column("prediction_values", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("outcome_values", sa.JSON(), nullable=False),
        sa.Column("outcome_date", sa.Date(), nullable=True),
        sa.Column("clinician", sa.String(200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        _created(),
    )
    op.create_index("ix_procedures_patient_id", "procedures", ["patient_id"])


def downgrade() -> None:
    for table in ("procedures", "therapy_sessions", "injections", "toxin_sessions",
                  "scale_scores", "recordings", "visits", "patients"):
        op.drop_table(table)
