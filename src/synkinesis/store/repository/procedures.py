"""Nerve blocks, neurectomies and myectomies, with prediction and outcome."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from synkinesis.store.models import Patient, Procedure, Visit
from synkinesis.store.repository._common import (
    _bad,
    _check_date,
    _choice,
    _not_voided,
    _one_by_id_prefix,
    _text,
)
from synkinesis.store.repository.patients import get_patient
from synkinesis.store.repository.visits import _check_visit_patient
from synkinesis.store.vocabulary import (
    BRANCHES,
    INJECTION_SIDES,
    MUSCLES,
    PROCEDURE_KINDS,
    resolve_choice,
    resolve_muscle,
)


def _procedure_target(kind: str, target: str) -> str:
    try:
        return resolve_muscle(target).name
    except ValueError:
        pass
    try:
        return resolve_choice(target, BRANCHES, what="nerve branch")
    except ValueError:
        raise _bad(f"unknown {kind} target {target!r}; expected a muscle ({', '.join(MUSCLES)}) "
                   f"or a facial-nerve branch ({', '.join(BRANCHES)})") from None


def add_procedure(
    session: Session,
    *,
    patient_code: str,
    kind: str,
    target: str,
    side: str,
    procedure_date: date | str,
    agent: str = "",
    prediction: str = "",
    prediction_values: Mapping[str, float] | None = None,
    clinician: str = "",
    notes: str = "",
    visit: Visit | None = None,
    today: date | None = None,
) -> Procedure:
    """Add a nerve block, neurectomy or myectomy with the prediction made before it.

    Parameters
    ----------
    kind : str
        ``nerve_block``, ``neurectomy``, ``myectomy`` or ``other``.
    target : str
        A muscle (myectomy, block) or a facial-nerve branch (neurectomy).
    agent : str
        For blocks, e.g. ``"lidocaine 1%, 1 mL"``.
    prediction, prediction_values
        Expected result before the procedure: text and/or numbers by index name
        (e.g. ``{"sunnybrook": 60}``).
    """
    patient = get_patient(session, code=patient_code)
    values = check_procedure_values(
        patient=patient, kind=kind, target=target, side=side, procedure_date=procedure_date,
        agent=agent, prediction=prediction, prediction_values=prediction_values,
        clinician=clinician, notes=notes, today=today)
    _check_visit_patient(visit, patient)
    procedure = Procedure(patient=patient, visit_id=None if visit is None else visit.id,
                          **values)
    session.add(procedure)
    session.flush()
    return procedure


def check_procedure_values(
    *, patient: Patient, kind: str, target: str, side: str, procedure_date: date | str,
    agent: str, prediction: str, prediction_values: Mapping[str, float] | None,
    clinician: str, notes: str, today: date | None = None,
) -> dict[str, Any]:
    """The checked columns of a procedure before its outcome (for :func:`add_procedure` and
    bundle imports)."""
    when = _check_date(procedure_date, what="procedure date", patient=patient, today=today)
    kind = _choice(kind, PROCEDURE_KINDS, what="procedure")
    target_name = _procedure_target(kind, target)
    side_name = _choice(side, INJECTION_SIDES, what="side")
    if side_name == "midline" and not (target_name in MUSCLES and MUSCLES[target_name].midline):
        raise _bad(f"{target_name} is paired: side must be left or right, got 'midline'")
    return {"kind": kind, "target": target_name, "side": side_name, "procedure_date": when,
            "agent": _text(agent, what="agent"),
            "prediction": _text(prediction, what="prediction", limit=10_000),
            "prediction_values": _numbers(prediction_values, what="prediction"),
            "clinician": _text(clinician, what="clinician"),
            "notes": _text(notes, what="notes", limit=10_000)}


def _numbers(values: Mapping[str, Any] | None, *, what: str) -> dict[str, float]:
    checked: dict[str, float] = {}
    if not isinstance(values or {}, Mapping):
        raise _bad(f"{what} values must be NAME -> number, got {values!r}")
    for key, value in (values or {}).items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
                value):
            raise _bad(f"{what} value {key!r} must be a number, got {value!r}")
        checked[str(key)] = float(value)
    return checked


def get_procedure(session: Session, *, ref: str) -> Procedure:
    """A procedure by id or id prefix (at least 6 characters)."""
    ref = str(ref).strip()
    if len(ref) < 6:
        raise _bad(f"give the procedure id (at least 6 characters), got {ref!r}")
    return _one_by_id_prefix(session, Procedure, ref, what="procedure",
                             hint=" (`synk history PATIENT` lists them)")


def record_procedure_outcome(
    session: Session,
    *,
    procedure: Procedure,
    outcome: str = "",
    outcome_values: Mapping[str, float] | None = None,
    outcome_date: date | str,
    today: date | None = None,
) -> Procedure:
    """Record the outcome measured after a procedure (on or after its date)."""
    _not_voided(procedure)
    values = check_outcome_values(procedure=procedure, outcome=outcome,
                                  outcome_values=outcome_values, outcome_date=outcome_date,
                                  today=today)
    for key, value in values.items():
        setattr(procedure, key, value)
    session.flush()
    return procedure


def check_outcome_values(
    *, procedure: Procedure, outcome: str, outcome_values: Mapping[str, float] | None,
    outcome_date: date | str, today: date | None = None,
) -> dict[str, Any]:
    """The checked outcome columns of a procedure (on or after its date, not in the future)."""
    when = _check_date(outcome_date, what="outcome date", patient=procedure.patient,
                       today=today)
    if when < procedure.procedure_date:
        raise _bad(f"outcome date {when.isoformat()} is before the procedure "
                   f"({procedure.procedure_date.isoformat()})")
    return {"outcome": _text(outcome, what="outcome", limit=10_000),
            "outcome_values": _numbers(outcome_values, what="outcome"), "outcome_date": when}
