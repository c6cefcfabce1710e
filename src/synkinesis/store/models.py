"""SQLAlchemy 2 models of the patient record.

Primary keys are UUID strings, so a patient exported from one database imports into another
with the same identifiers (lossless bundles, no renumbering). Dates of clinical events are
calendar dates; bookkeeping times (``created_at``, ``rated_at``) are timezone-aware UTC.
Sides are the PATIENT's left/right.

The schema is created and changed only by the Alembic revisions in
:mod:`synkinesis.store.migrations`; these classes must match the newest revision (a test
compares them).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "AuditEvent",
    "Base",
    "Injection",
    "MeasuredIndex",
    "Patient",
    "Procedure",
    "RecordingRow",
    "ScaleScore",
    "TherapySession",
    "ToxinSession",
    "Visit",
    "VoidableMixin",
    "WebAccount",
    "new_id",
    "utc_now",
]


def new_id() -> str:
    """A new primary key (UUID4 as text)."""
    return str(uuid.uuid4())


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend.

    SQLite keeps no offset, so values are converted to UTC on the way in and marked UTC on the
    way out; naive datetimes are refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"timestamps must be timezone-aware, got naive {value.isoformat()}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of the record's tables."""


class VoidableMixin:
    """Columns of an entry that can be voided: it stays in the record (and in the audit
    trail with who voided it and why) but is left out of history, trends, due dates, dose
    totals and exports unless they are asked to include voided entries."""

    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    void_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    @property
    def voided(self) -> bool:
        """True once the entry has been voided."""
        return self.voided_at is not None


class Patient(Base):
    """A patient, known only by a pseudonymous code."""

    __tablename__ = "patients"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    affected_side: Mapped[str] = mapped_column(String(16))
    cause: Mapped[str] = mapped_column(String(32))
    onset_date: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    visits: Mapped[list[Visit]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Visit.visit_date")
    toxin_sessions: Mapped[list[ToxinSession]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", passive_deletes=True,
        order_by="ToxinSession.session_date")
    therapy_sessions: Mapped[list[TherapySession]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", passive_deletes=True,
        order_by="TherapySession.session_date")
    procedures: Mapped[list[Procedure]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Procedure.procedure_date")


class Visit(VoidableMixin, Base):
    """An assessment visit on one date."""

    __tablename__ = "visits"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    patient_id: Mapped[str] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    visit_date: Mapped[date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(200), default="")
    clinician: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    patient: Mapped[Patient] = relationship(back_populates="visits")
    recordings: Mapped[list[RecordingRow]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", passive_deletes=True,
        order_by="RecordingRow.created_at")
    scores: Mapped[list[ScaleScore]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", passive_deletes=True,
        order_by="ScaleScore.rated_at")


class RecordingRow(Base):
    """A video recorded at a visit, with the files derived from it (a row of the record; the
    analysis' data model of a measured recording is :class:`synkinesis.recording.Recording`)."""

    __tablename__ = "recordings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    video_path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    protocol_version: Mapped[str] = mapped_column(String(32), default="")
    measurement_path: Mapped[str | None] = mapped_column(Text)
    measurement_sha256: Mapped[str | None] = mapped_column(String(64))
    analysis_path: Mapped[str | None] = mapped_column(Text)
    analysis_sha256: Mapped[str | None] = mapped_column(String(64))
    analysis_status: Mapped[str] = mapped_column(Text, default="")
    files_managed: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    visit: Mapped[Visit] = relationship(back_populates="recordings")
    indices: Mapped[list[MeasuredIndex]] = relationship(
        back_populates="recording", cascade="all, delete-orphan", passive_deletes=True,
        order_by="MeasuredIndex.name")


class MeasuredIndex(Base):
    """One scalar index measured on a recording (from measure or analysis), for trends."""

    __tablename__ = "measured_indices"
    __table_args__ = (UniqueConstraint("recording_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    recording_id: Mapped[str] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32), default="")
    source: Mapped[str] = mapped_column(String(32))
    #: The value's interval (same unit) and its coverage (0.9), where its analysis estimated
    #: one; None for measure indices and for rows stored before revision 0005.
    low: Mapped[float | None] = mapped_column(Float, nullable=True, default=None)
    high: Mapped[float | None] = mapped_column(Float, nullable=True, default=None)
    level: Mapped[float | None] = mapped_column(Float, nullable=True, default=None)

    recording: Mapped[RecordingRow] = relationship(back_populates="indices")


class ScaleScore(VoidableMixin, Base):
    """A clinical scale scored through :mod:`synkinesis.scales`, stored losslessly."""

    __tablename__ = "scale_scores"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    recording_id: Mapped[str | None] = mapped_column(
        ForeignKey("recordings.id", ondelete="SET NULL"))
    instrument: Mapped[str] = mapped_column(String(32), index=True)
    instrument_version: Mapped[str] = mapped_column(String(32))
    rater: Mapped[str] = mapped_column(String(16))
    rater_name: Mapped[str] = mapped_column(String(200), default="")
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    draft: Mapped[bool] = mapped_column(Boolean, default=False)
    total: Mapped[float | None] = mapped_column(Float)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    visit: Mapped[Visit] = relationship(back_populates="scores")
    recording: Mapped[RecordingRow | None] = relationship()


class ToxinSession(VoidableMixin, Base):
    """A botulinum toxin session: product, dilution and its injections."""

    __tablename__ = "toxin_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    patient_id: Mapped[str] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"))
    session_date: Mapped[date] = mapped_column(Date)
    product: Mapped[str] = mapped_column(String(64))
    dilution: Mapped[str] = mapped_column(String(200), default="")
    clinician: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    patient: Mapped[Patient] = relationship(back_populates="toxin_sessions")
    # many-to-one without a collection on Visit: orders inserts (bundle import) and lets
    # queries reach the visit; deleting a visit only clears visit_id (ON DELETE SET NULL)
    visit: Mapped[Visit | None] = relationship()
    injections: Mapped[list[Injection]] = relationship(
        back_populates="session", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Injection.position")

    @property
    def total_units(self) -> float:
        """Units of all injections of the session."""
        return float(sum(injection.units for injection in self.injections))


class Injection(Base):
    """One muscle injected in a toxin session."""

    __tablename__ = "injections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("toxin_sessions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    muscle: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(16))
    units: Mapped[float] = mapped_column(Float)
    points: Mapped[int] = mapped_column(Integer, default=1)

    session: Mapped[ToxinSession] = relationship(back_populates="injections")


class TherapySession(VoidableMixin, Base):
    """A neuromuscular retraining session."""

    __tablename__ = "therapy_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    patient_id: Mapped[str] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"))
    session_date: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int | None] = mapped_column(Integer)
    exercises: Mapped[list[str]] = mapped_column(JSON, default=list)
    biofeedback: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    therapist: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    patient: Mapped[Patient] = relationship(back_populates="therapy_sessions")
    # many-to-one without a collection on Visit: orders inserts (bundle import) and lets
    # queries reach the visit; deleting a visit only clears visit_id (ON DELETE SET NULL)
    visit: Mapped[Visit | None] = relationship()


class Procedure(VoidableMixin, Base):
    """A nerve block, neurectomy or myectomy, with its prediction and outcome."""

    __tablename__ = "procedures"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    patient_id: Mapped[str] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(16))
    procedure_date: Mapped[date] = mapped_column(Date)
    agent: Mapped[str] = mapped_column(String(200), default="")
    prediction: Mapped[str] = mapped_column(Text, default="")
    prediction_values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outcome: Mapped[str] = mapped_column(Text, default="")
    outcome_values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outcome_date: Mapped[date | None] = mapped_column(Date)
    clinician: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    patient: Mapped[Patient] = relationship(back_populates="procedures")
    # many-to-one without a collection on Visit: orders inserts (bundle import) and lets
    # queries reach the visit; deleting a visit only clears visit_id (ON DELETE SET NULL)
    visit: Mapped[Visit | None] = relationship()


class AuditEvent(Base):
    """Who viewed, created, changed, voided, amended or deleted which patient's data, when
    (UTC) and from where, and who was denied access (:mod:`synkinesis.store.audit`).

    Kept without a foreign key to the patient: the trail outlives a deleted patient.
    """

    __tablename__ = "audit_events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    via: Mapped[str] = mapped_column(String(16))
    client: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(16), index=True)
    patient_code: Mapped[str | None] = mapped_column(String(64), index=True)
    entity: Mapped[str] = mapped_column(String(64), default="")
    entity_id: Mapped[str | None] = mapped_column(String(36))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class WebAccount(Base):
    """A login of the web app (``synk serve adduser``): a clinician sees every patient, a
    patient account only its own patient's record (deleted with that patient).

    ``password_hash`` is scrypt (:func:`synkinesis.web.accounts.hash_password`); no password
    is ever stored.
    """

    __tablename__ = "web_accounts"
    # logins, not clinical data: whole-record exports (CSV) leave this table out
    __table_args__ = {"info": {"credentials": True}}

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    patient_id: Mapped[str | None] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    patient: Mapped[Patient | None] = relationship(lazy="joined")
