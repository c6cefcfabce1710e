"""Corrections: entries are voided or amended with a reason, never silently edited."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from synkinesis.store.models import (
    Injection,
    Procedure,
    ScaleScore,
    TherapySession,
    ToxinSession,
    Visit,
    utc_now,
)
from synkinesis.store.repository._common import (
    DoseWarning,
    _bad,
    _not_voided,
    _one_by_id_prefix,
    _text,
)
from synkinesis.store.repository.therapy import check_therapy_values
from synkinesis.store.repository.toxin import InjectionSpec, check_toxin_values
from synkinesis.store.repository.visits import check_visit_values, find_visit
from synkinesis.store.settings import StoreSettings

#: Entries that can be voided, by the name the CLI uses.
VOIDABLE: dict[str, type] = {"visit": Visit, "score": ScaleScore, "toxin": ToxinSession,
                             "therapy": TherapySession, "procedure": Procedure}


def find_entry(session: Session, *, kind: str, ref: str) -> Any:
    """A visit, score, toxin or therapy session or procedure by id or id prefix (at least 6
    characters); a visit also by ``CODE@YYYY-MM-DD``. Voided entries are found too."""
    if kind not in VOIDABLE:
        raise _bad(f"kind must be one of {', '.join(VOIDABLE)}, got {kind!r}")
    if kind == "visit":
        return find_visit(session, ref=ref, include_voided=True)
    model = VOIDABLE[kind]
    ref = str(ref).strip()
    if len(ref) < 6:
        raise _bad(f"give the {kind} id (at least 6 characters; `synk history PATIENT` lists "
                   f"them), got {ref!r}")
    return _one_by_id_prefix(session, model, ref, what=kind,
                             hint=" (`synk history PATIENT` lists the ids)")


def _reason(reason: str | None) -> str:
    text = " ".join(str(reason or "").split())
    if not text:
        raise _bad("a correction needs a reason (--reason TEXT), kept in the audit trail")
    return _text(text, what="reason", limit=2000)


def void_entry(session: Session, *, entry: Any, reason: str,
               now: datetime | None = None) -> Any:
    """Void a visit, score, toxin or therapy session or procedure: it stays in the record
    with when and why (``voided_at``, ``void_reason``; who, in the audit trail) and is left
    out of history, trends, due dates, dose totals and exports unless voided entries are
    asked for. A voided visit hides its scores and recordings with it.

    Raises
    ------
    StoreValidationError
        No reason, or the entry is voided already.
    """
    from synkinesis.store import audit

    if not isinstance(entry, tuple(VOIDABLE.values())):
        raise _bad(f"only a {', '.join(VOIDABLE)} can be voided, got {type(entry).__name__}")
    why = _reason(reason)
    _not_voided(entry)
    audit.explain(session, entry, action="void", reason=why)
    entry.voided_at = now or utc_now()
    entry.void_reason = why
    session.flush()
    return entry


def _amend(session: Session, entry: Any, values: Mapping[str, Any], *, reason: str,
           detail: Mapping[str, Any] | None = None) -> Any:
    from synkinesis.store import audit

    changed = {key: value for key, value in values.items() if getattr(entry, key) != value}
    if not changed and not detail:
        raise _bad("nothing to amend: every given value equals the stored one")
    audit.explain(session, entry, action="amend", reason=reason, detail=detail)
    for key, value in changed.items():
        setattr(entry, key, value)
    session.flush()
    return entry


def _given(value: Any, current: Any) -> Any:
    return current if value is None else value


def amend_visit(
    session: Session, *, visit: Visit, reason: str, visit_date: date | str | None = None,
    label: str | None = None, clinician: str | None = None, notes: str | None = None,
    today: date | None = None,
) -> Visit:
    """Correct a visit's date, label, clinician or notes (None keeps a value), checked as
    when entered; the old values and the reason go to the audit trail."""
    why = _reason(reason)
    _not_voided(visit)
    values = check_visit_values(
        patient=visit.patient, visit_date=_given(visit_date, visit.visit_date),
        label=_given(label, visit.label), clinician=_given(clinician, visit.clinician),
        notes=_given(notes, visit.notes), today=today)
    return _amend(session, visit, values, reason=why)


def amend_score(
    session: Session, *, score: ScaleScore, reason: str, items: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None, rater_name: str | None = None,
    draft: bool | None = None,
) -> ScaleScore:
    """Correct items (merged over the stored ones) or options of a scale score: re-scored
    through :mod:`synkinesis.scales` like a new score; the old result and the reason go to the
    audit trail.

    Raises
    ------
    synkinesis.scales.ScaleValidationError
        An unknown item or a value out of range.
    """
    from synkinesis.scales import result_to_dict
    from synkinesis.scales import score as score_form

    why = _reason(reason)
    _not_voided(score)
    stored = score.result
    merged = {key: (stored.get("choices") or {}).get(key, value)
              for key, value in (stored.get("items") or {}).items()}
    merged.update(items or {})
    result = score_form(
        score.instrument, merged, rater=score.rater, rated_at=score.rated_at,
        rater_name=_given(rater_name, score.rater_name) or None, visit_id=score.visit_id,
        evidence=(stored.get("provenance") or {}).get("evidence") or None,
        options={**(stored.get("options") or {}), **(options or {})} or None,
        draft=_given(draft, score.draft))
    values = {"instrument_version": result.instrument_version,
              "rater_name": _text(_given(rater_name, score.rater_name), what="rater name"),
              "draft": result.draft,
              "total": None if result.total is None else float(result.total),
              "result": result_to_dict(result)}
    if values["result"] == stored and values["rater_name"] == score.rater_name:
        raise _bad("nothing to amend: the re-scored form equals the stored one")
    return _amend(session, score, values, reason=why)


def amend_toxin_session(
    session: Session, *, toxin: ToxinSession, reason: str, settings: StoreSettings,
    session_date: date | str | None = None, product: str | None = None,
    injections: Sequence[InjectionSpec] | None = None, dilution: str | None = None,
    clinician: str | None = None, notes: str | None = None, today: date | None = None,
) -> ToxinSession:
    """Correct a toxin session (None keeps a value; ``injections`` replaces all of them),
    checked as when entered (dose warnings again); the old values, the old injections and
    the reason go to the audit trail."""
    why = _reason(reason)
    _not_voided(toxin)
    current = [InjectionSpec(i.muscle, i.side, i.units, i.points) for i in toxin.injections]
    values, checked, notes_ = check_toxin_values(
        patient=toxin.patient, session_date=_given(session_date, toxin.session_date),
        product=_given(product, toxin.product),
        injections=current if injections is None else injections, settings=settings,
        dilution=_given(dilution, toxin.dilution), clinician=_given(clinician, toxin.clinician),
        notes=_given(notes, toxin.notes), today=today)
    detail = None
    if injections is not None and checked != current:
        detail = {"old_injections": [[s.muscle, s.side, s.units, s.points] for s in current]}
    _amend(session, toxin, values, reason=why, detail=detail)
    if detail is not None:
        toxin.injections.clear()
        session.flush()
        for position, spec in enumerate(checked):
            toxin.injections.append(Injection(position=position, muscle=spec.muscle,
                                              side=spec.side, units=spec.units,
                                              points=spec.points))
        session.flush()
    for note in notes_:
        warnings.warn(note, DoseWarning, stacklevel=2)
    return toxin


def amend_therapy_session(
    session: Session, *, therapy: TherapySession, reason: str,
    session_date: date | str | None = None, minutes: int | None = None,
    exercises: Sequence[str] | None = None, biofeedback: Mapping[str, Any] | None = None,
    therapist: str | None = None, notes: str | None = None, today: date | None = None,
) -> TherapySession:
    """Correct a therapy session (None keeps a value), checked as when entered; the old
    values and the reason go to the audit trail."""
    why = _reason(reason)
    _not_voided(therapy)
    values = check_therapy_values(
        patient=therapy.patient, session_date=_given(session_date, therapy.session_date),
        minutes=_given(minutes, therapy.minutes), exercises=_given(exercises, therapy.exercises),
        biofeedback=_given(biofeedback, therapy.biofeedback),
        therapist=_given(therapist, therapy.therapist), notes=_given(notes, therapy.notes),
        today=today)
    return _amend(session, therapy, values, reason=why)
