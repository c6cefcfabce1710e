"""Neuromuscular retraining (therapy) sessions."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from synkinesis.store.models import Patient, TherapySession, Visit
from synkinesis.store.repository._common import _bad, _check_date, _text
from synkinesis.store.repository.patients import get_patient
from synkinesis.store.repository.visits import _check_visit_patient


def add_therapy_session(
    session: Session,
    *,
    patient_code: str,
    session_date: date | str,
    minutes: int | None = None,
    exercises: Sequence[str] = (),
    biofeedback: Mapping[str, Any] | None = None,
    therapist: str = "",
    notes: str = "",
    visit: Visit | None = None,
    today: date | None = None,
) -> TherapySession:
    """Add a neuromuscular retraining session.

    Parameters
    ----------
    minutes : int, optional
        Duration, 1..480 minutes.
    exercises : sequence of str
        What was practised (CLINICAL.md "Neuromuscular retraining").
    biofeedback : mapping, optional
        Results by name, numbers or text (e.g. ``{"eye_closure_during_smile_pct": 12}``).
    """
    patient = get_patient(session, code=patient_code)
    values = check_therapy_values(patient=patient, session_date=session_date, minutes=minutes,
                                  exercises=exercises, biofeedback=biofeedback,
                                  therapist=therapist, notes=notes, today=today)
    _check_visit_patient(visit, patient)
    therapy = TherapySession(patient=patient, visit_id=None if visit is None else visit.id,
                             **values)
    session.add(therapy)
    session.flush()
    return therapy


def check_therapy_values(
    *, patient: Patient, session_date: date | str, minutes: int | None,
    exercises: Sequence[str], biofeedback: Mapping[str, Any] | None, therapist: str,
    notes: str, today: date | None = None,
) -> dict[str, Any]:
    """The checked columns of a therapy session (for :func:`add_therapy_session` and bundle
    imports)."""
    when = _check_date(session_date, what="therapy session date", patient=patient, today=today)
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int)
                                or not 1 <= minutes <= 480):
        raise _bad(f"minutes must be a whole number 1..480, got {minutes!r}")
    if isinstance(exercises, str) or not all(isinstance(e, str) for e in exercises):
        raise _bad(f"exercises must be a list of texts, got {exercises!r}")
    feedback = biofeedback or {}
    if not isinstance(feedback, Mapping):
        raise _bad(f"biofeedback must be NAME -> number or text, got {feedback!r}")
    for key, value in feedback.items():
        if not isinstance(value, str | int | float | bool) or (
                isinstance(value, float) and not math.isfinite(value)):
            raise _bad(f"biofeedback {key!r} must be a number or text, got {value!r}")
    return {"session_date": when, "minutes": minutes,
            "exercises": [_text(e, what="exercise") for e in exercises if e.strip()],
            "biofeedback": dict(feedback), "therapist": _text(therapist, what="therapist"),
            "notes": _text(notes, what="notes", limit=10_000)}
