"""Assessment visits: create, check, reference (``CODE@YYYY-MM-DD#n``) and find."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from synkinesis.store.errors import NotFoundError
from synkinesis.store.models import Patient, Visit
from synkinesis.store.repository._common import (
    _bad,
    _check_date,
    _one_by_id_prefix,
    _text,
    parse_date,
)
from synkinesis.store.repository.patients import get_patient

_VISIT_REF = re.compile(r"^(?P<code>[^@]+)@(?P<date>\d{4}-\d{2}-\d{2})(?:#(?P<n>\d+))?$")


def create_visit(
    session: Session,
    *,
    patient_code: str,
    visit_date: date | str,
    label: str = "",
    clinician: str = "",
    notes: str = "",
    today: date | None = None,
) -> Visit:
    """Add an assessment visit (not in the future, not before onset)."""
    patient = get_patient(session, code=patient_code)
    visit = Visit(patient=patient, **check_visit_values(
        patient=patient, visit_date=visit_date, label=label, clinician=clinician, notes=notes,
        today=today))
    session.add(visit)
    session.flush()
    return visit


def check_visit_values(
    *, patient: Patient, visit_date: date | str, label: str, clinician: str, notes: str,
    today: date | None = None,
) -> dict[str, Any]:
    """The checked columns of a visit (for :func:`create_visit` and bundle imports)."""
    return {"visit_date": _check_date(visit_date, what="visit date", patient=patient,
                                      today=today),
            "label": _text(label, what="label"), "clinician": _text(clinician, what="clinician"),
            "notes": _text(notes, what="notes", limit=10_000)}


def visit_reference(visit: Visit) -> str:
    """``CODE@YYYY-MM-DD`` (with ``#n`` when the patient had several visits that day)."""
    same_day = [v for v in visit.patient.visits if v.visit_date == visit.visit_date]
    base = f"{visit.patient.code}@{visit.visit_date.isoformat()}"
    if len(same_day) > 1:
        ordered = sorted(same_day, key=lambda v: (v.created_at, v.id))
        return f"{base}#{ordered.index(visit) + 1}"
    return base


def find_visit(session: Session, *, ref: str, include_voided: bool = False) -> Visit:
    """A visit by ``CODE@YYYY-MM-DD`` (``#n`` for the n-th that day; the code in any case)
    or by its id (or an id prefix of at least 6 characters).

    A voided visit is refused (nothing more may be added to it) unless ``include_voided``;
    voided visits keep their place in the ``#n`` numbering, so references never shift.
    """
    visit = _find_visit(session, ref=ref)
    if visit.voided and not include_voided:
        raise NotFoundError(f"visit {visit_reference(visit)} was voided on "
                            f"{visit.voided_at.date().isoformat()} ({visit.void_reason}); "
                            "add a new visit instead")
    return visit


def _find_visit(session: Session, *, ref: str) -> Visit:
    ref = str(ref).strip()
    match = _VISIT_REF.match(ref)
    if match:
        patient = get_patient(session, code=match["code"])
        when = parse_date(match["date"], what="visit date")
        visits = sorted((v for v in patient.visits if v.visit_date == when),
                        key=lambda v: (v.created_at, v.id))
        if not visits:
            dates = ", ".join(sorted({v.visit_date.isoformat() for v in patient.visits}))
            raise NotFoundError(f"{patient.code} has no visit on {when.isoformat()} "
                                f"(visits: {dates or 'none'})")
        if match["n"]:
            number = int(match["n"])
            if not 1 <= number <= len(visits):
                raise NotFoundError(f"{patient.code} has {len(visits)} visit(s) on "
                                    f"{when.isoformat()}, not #{number}")
            return visits[number - 1]
        if len(visits) > 1:
            raise _bad(f"{patient.code} has {len(visits)} visits on {when.isoformat()}; add "
                       f"#1..#{len(visits)} to the reference, e.g. {ref}#1")
        return visits[0]
    if len(ref) < 6:
        raise _bad(f"a visit is given as CODE@YYYY-MM-DD (e.g. P001@2026-03-02) or its id, "
                   f"got {ref!r}")
    return _one_by_id_prefix(session, Visit, ref, what="visit")


def _check_visit_patient(visit: Visit | None, patient: Patient) -> None:
    if visit is not None and visit.patient_id != patient.id:
        raise _bad(f"visit {visit_reference(visit)} belongs to another patient, not "
                   f"{patient.code}")
