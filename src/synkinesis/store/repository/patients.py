"""Patients: create, check, find, list, delete."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from synkinesis.store.errors import DuplicateError, NotFoundError
from synkinesis.store.models import Patient
from synkinesis.store.repository._common import (
    _bad,
    _check_date,
    _choice,
    _text,
    check_patient_code,
)
from synkinesis.store.vocabulary import AFFECTED_SIDES, CAUSE_ALIASES, CAUSES


def create_patient(
    session: Session,
    *,
    code: str,
    affected_side: str,
    cause: str = "unknown",
    onset_date: date | str | None = None,
    notes: str = "",
    today: date | None = None,
) -> Patient:
    """Add a patient.

    Parameters
    ----------
    code : str
        Pseudonymous code (letters, digits, ``.``, ``_``, ``-``; up to 64). Never a name.
    affected_side : str
        ``left``, ``right`` or ``bilateral`` (the patient's side).
    cause : str
        One of :data:`synkinesis.store.vocabulary.CAUSES`.
    onset_date : date or str, optional
        Onset of the palsy; later dates are checked against it.
    today : date, optional
        Reference for "in the future" (default: today, UTC).

    Raises
    ------
    StoreValidationError, DuplicateError
    """
    values = check_patient_values(code=code, affected_side=affected_side, cause=cause,
                                  onset_date=onset_date, notes=notes, today=today)
    code = values["code"]
    existing = session.scalar(select(Patient.code).where(func.upper(Patient.code) == code))
    if existing is not None:
        raise DuplicateError(f"patient {existing} already exists (codes are not case-sensitive)")
    patient = Patient(**values)
    session.add(patient)
    session.flush()
    return patient


def check_patient_values(
    *, code: str, affected_side: str, cause: str, onset_date: date | str | None, notes: str,
    today: date | None = None,
) -> dict[str, Any]:
    """The checked, canonical columns of a patient (for :func:`create_patient` and bundle
    imports)."""
    return {
        "code": check_patient_code(code),
        "affected_side": _choice(affected_side, AFFECTED_SIDES, what="affected side"),
        "cause": _choice(cause, CAUSES, what="cause", aliases=CAUSE_ALIASES),
        "onset_date": None if onset_date in (None, "") else _check_date(
            onset_date, what="onset date", patient=None,  # type: ignore[arg-type]
            today=today),
        "notes": _text(notes, what="notes", limit=10_000),
    }


def get_patient(session: Session, *, code: str) -> Patient:
    """The patient with ``code`` in any case; :class:`NotFoundError` otherwise."""
    text = str(code).strip()
    found = list(session.scalars(select(Patient).where(func.upper(Patient.code) == text.upper())))
    exact = [patient for patient in found if patient.code == text]
    if len(found) == 1 or len(exact) == 1:
        return (exact or found)[0]
    if not found:
        raise NotFoundError(f"no patient {text!r} (`synk patient list` shows the codes)")
    raise _bad(f"patient codes {', '.join(p.code for p in found)} differ only in case (made "
               f"before codes were case-folded); give one exactly as stored")


def list_patients(session: Session) -> list[Patient]:
    """All patients, by code."""
    return list(session.scalars(select(Patient).order_by(Patient.code)))


def delete_patient(session: Session, *, code: str, confirm: str) -> list[str]:
    """Delete a patient and everything recorded about them.

    Parameters
    ----------
    code : str
    confirm : str
        Must repeat ``code`` exactly: deletion cannot be undone.

    Returns
    -------
    list of str
        Derived files (measure results, analyses) that the record manages for this patient's
        recordings; delete them once the transaction has committed
        (:func:`synkinesis.store.recordings.remove_derived_files`).
    """
    patient = get_patient(session, code=code)
    if str(confirm or "").strip().upper() != patient.code.upper():
        raise _bad(f"deleting {patient.code} needs confirmation: repeat the patient code "
                   f"(got {confirm!r}); nothing was deleted")
    files = [path for visit in patient.visits for recording in visit.recordings
             if recording.files_managed
             for path in (recording.measurement_path, recording.analysis_path) if path]
    session.delete(patient)
    session.flush()
    return files
