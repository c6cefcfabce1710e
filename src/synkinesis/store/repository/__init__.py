"""Repository functions of the patient record: validate, then write or read, on a session.

Every function takes the session first and everything else by keyword (FastAPI-template
``crud`` style). Writers only ``add``/``flush``: the caller's :meth:`Store.transaction` commits
the whole unit of work, so a failure anywhere leaves nothing written. Input is checked before
anything is added, with one-line messages naming what was expected and what came.

Dates must not be in the future or before the patient's onset. Toxin units above the per-muscle
maximum of the settings give a :class:`DoseWarning` (``warnings.warn``), never a refusal.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from synkinesis.store.errors import NotFoundError as NotFoundError
from synkinesis.store.models import (
    Injection,
    Patient,
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
    _check_date,
    _choice,
    _not_voided,
    _one_by_id_prefix,
    _text,
    check_patient_code,
    count_rows,
    parse_date,
    today_utc,
)
from synkinesis.store.repository.patients import (
    check_patient_values,
    create_patient,
    delete_patient,
    get_patient,
    list_patients,
)
from synkinesis.store.repository.recordings import (
    IndexValue,
    add_recording,
    find_recording_by_sha256,
)
from synkinesis.store.repository.scores import add_score
from synkinesis.store.repository.visits import (
    _check_visit_patient,
    check_visit_values,
    create_visit,
    find_visit,
    visit_reference,
)
from synkinesis.store.settings import (
    DEFAULT_MAX_SESSION_UNITS,
    HARD_MAX_INJECTION_UNITS,
    StoreSettings,
)
from synkinesis.store.vocabulary import (
    BRANCHES,
    INJECTION_SIDES,
    MUSCLE_ALIASES,
    MUSCLES,
    PROCEDURE_KINDS,
    PRODUCT_ALIASES,
    PRODUCTS,
    resolve_choice,
    resolve_muscle,
)

__all__ = [
    "DoseWarning",
    "IndexValue",
    "InjectionSpec",
    "add_procedure",
    "add_recording",
    "add_score",
    "add_therapy_session",
    "add_toxin_session",
    "amend_score",
    "amend_therapy_session",
    "amend_toxin_session",
    "amend_visit",
    "check_injections",
    "check_outcome_values",
    "check_patient_code",
    "check_patient_values",
    "check_procedure_values",
    "check_therapy_values",
    "check_toxin_values",
    "check_visit_values",
    "count_rows",
    "create_patient",
    "create_visit",
    "delete_patient",
    "find_entry",
    "find_recording_by_sha256",
    "find_visit",
    "get_patient",
    "get_procedure",
    "list_patients",
    "parse_date",
    "record_procedure_outcome",
    "today_utc",
    "visit_reference",
    "void_entry",
]

MAX_POINTS = 20






# -------------------------------------------------------------------------------------------
# toxin


@dataclass(frozen=True)
class InjectionSpec:
    """One injection as entered: muscle, side (the patient's), units, points."""

    muscle: str
    side: str
    units: float
    points: int = 1

    @classmethod
    def parse(cls, text: str) -> InjectionSpec:
        """``"MUSCLE:SIDE:UNITS[:POINTS]"``, e.g. ``"orbicularis_oculi:left:7.5:3"``."""
        parts = [part.strip() for part in str(text).split(":")]
        if len(parts) not in (3, 4) or not all(parts):
            raise _bad(f"an injection is MUSCLE:SIDE:UNITS[:POINTS], e.g. "
                       f"orbicularis_oculi:left:7.5:3, got {text!r}")
        try:
            units = float(parts[2])
        except ValueError:
            raise _bad(f"units must be a number, got {parts[2]!r} in {text!r}") from None
        try:
            points = int(parts[3]) if len(parts) == 4 else 1
        except ValueError:
            raise _bad(f"points must be a whole number, got {parts[3]!r} in {text!r}") from None
        return cls(muscle=parts[0], side=parts[1], units=units, points=points)


def check_injections(
    injections: Sequence[InjectionSpec], *, product: str, settings: StoreSettings | None,
) -> tuple[list[InjectionSpec], list[str]]:
    """Validate injections and name the doses that deserve a second look.

    Returns
    -------
    injections : list of InjectionSpec
        With canonical muscle and side names.
    warnings : list of str
        Units above the per-muscle maximum (scaled by the product's unit factor), a session
        total above the configured maximum, muscles that need care.

    Raises
    ------
    StoreValidationError
        Unknown muscle or side, units not > 0 or above an implausible 200 U, points not 1..20.
    """
    product_name = _choice(product, PRODUCTS, what="product", aliases=PRODUCT_ALIASES)
    factor = PRODUCTS[product_name].unit_factor
    max_units = {m.name: m.max_units for m in MUSCLES.values()} if settings is None else \
        settings.max_units
    max_session_units = DEFAULT_MAX_SESSION_UNITS if settings is None else \
        settings.max_session_units
    if not injections:
        raise _bad("a toxin session needs at least one injection (MUSCLE:SIDE:UNITS[:POINTS])")
    checked: list[InjectionSpec] = []
    notes: list[str] = []
    per_muscle: dict[tuple[str, str], float] = {}
    for spec in injections:
        try:
            muscle = resolve_muscle(spec.muscle)
        except ValueError:
            raise _bad(f"unknown muscle {spec.muscle!r}; expected one of: "
                       f"{', '.join(MUSCLES)} (or {', '.join(MUSCLE_ALIASES)})") from None
        side = _choice(spec.side, INJECTION_SIDES, what="side")
        if side == "midline" and not muscle.midline:
            raise _bad(f"{muscle.name} is paired: side must be left or right, got 'midline'")
        units = spec.units
        if not isinstance(units, int | float) or not math.isfinite(units) or units <= 0:
            raise _bad(f"units for {muscle.name} must be a positive number, got {units!r}")
        if units > HARD_MAX_INJECTION_UNITS:
            raise _bad(f"{units:g} U into {muscle.name} is implausible (above "
                       f"{HARD_MAX_INJECTION_UNITS:g} U); check the entry")
        if not isinstance(spec.points, int) or not 1 <= spec.points <= MAX_POINTS:
            raise _bad(f"points for {muscle.name} must be 1..{MAX_POINTS}, got {spec.points!r}")
        checked.append(InjectionSpec(muscle.name, side, float(units), spec.points))
        per_muscle[(muscle.name, side)] = per_muscle.get((muscle.name, side), 0.0) + units
    for (name, side), units in per_muscle.items():
        maximum = max_units[name] * factor
        if units > maximum:
            notes.append(f"{units:g} U into {name} ({side}) is above the configured maximum "
                         f"{maximum:g} U for {product_name} [U, CLINICAL.md; "
                         "set SYNK_MAX_UNITS to change]")
        if MUSCLES[name].caution:
            notes.append(f"{name}: {MUSCLES[name].caution}")
    total = sum(spec.units for spec in checked)
    if total > max_session_units * factor:
        notes.append(f"session total {total:g} U is above the usual "
                     f"{max_session_units * factor:g} U for {product_name} [U]")
    return checked, list(dict.fromkeys(notes))


def add_toxin_session(
    session: Session,
    *,
    patient_code: str,
    session_date: date | str,
    product: str,
    injections: Sequence[InjectionSpec],
    settings: StoreSettings,
    dilution: str = "",
    clinician: str = "",
    notes: str = "",
    visit: Visit | None = None,
    today: date | None = None,
) -> ToxinSession:
    """Add a toxin session with its injections.

    Units are the product's own units. Doses above the configured maxima are stored and
    reported with :class:`DoseWarning`.

    Raises
    ------
    StoreValidationError
        See :func:`check_injections`; dates in the future or before onset.
    """
    patient = get_patient(session, code=patient_code)
    values, checked, notes_ = check_toxin_values(
        patient=patient, session_date=session_date, product=product, injections=injections,
        settings=settings, dilution=dilution, clinician=clinician, notes=notes, today=today)
    _check_visit_patient(visit, patient)
    notes_ += _interval_notes(patient, values["session_date"], settings=settings)
    toxin = ToxinSession(patient=patient, visit_id=None if visit is None else visit.id,
                         **values)
    for position, spec in enumerate(checked):
        toxin.injections.append(Injection(position=position, muscle=spec.muscle, side=spec.side,
                                          units=spec.units, points=spec.points))
    session.add(toxin)
    session.flush()
    for note in notes_:
        warnings.warn(note, DoseWarning, stacklevel=2)
    return toxin


def check_toxin_values(
    *, patient: Patient, session_date: date | str, product: str,
    injections: Sequence[InjectionSpec], settings: StoreSettings | None, dilution: str,
    clinician: str, notes: str, today: date | None = None,
) -> tuple[dict[str, Any], list[InjectionSpec], list[str]]:
    """The checked columns of a toxin session, its checked injections and the dose notes
    (for :func:`add_toxin_session` and bundle imports; see :func:`check_injections`)."""
    when = _check_date(session_date, what="toxin session date", patient=patient, today=today)
    product_name = _choice(product, PRODUCTS, what="product", aliases=PRODUCT_ALIASES)
    checked, dose_notes = check_injections(injections, product=product_name, settings=settings)
    return ({"session_date": when, "product": product_name,
             "dilution": _text(dilution, what="dilution"),
             "clinician": _text(clinician, what="clinician"),
             "notes": _text(notes, what="notes", limit=10_000)}, checked, dose_notes)


def _interval_notes(patient: Patient, when: date, *, settings: StoreSettings) -> list[str]:
    """A note when the session is closer to another toxin session of the patient than the
    minimum interval (not under ~12 weeks [U], CLINICAL.md "Timing"; the setting
    ``toxin_interval_days`` that ``synk due`` uses). Voided sessions do not count."""
    minimum = settings.toxin_interval_days
    others = [t.session_date for t in patient.toxin_sessions
              if t.session_date is not None and not t.voided]
    close = [day for day in others if abs((when - day).days) < minimum]
    if not close:
        return []
    nearest = min(close, key=lambda day: abs((when - day).days))
    gap = abs((when - nearest).days)
    return [f"toxin session on {when.isoformat()} is {gap} day(s) from the session on "
            f"{nearest.isoformat()}, under the minimum interval of {minimum} days "
            "(not under ~12 weeks [U], CLINICAL.md; set SYNK_TOXIN_INTERVAL_DAYS to change)"]


# -------------------------------------------------------------------------------------------
# therapy and procedures


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


# -------------------------------------------------------------------------------------------
# corrections: entries are voided or amended with a reason, never silently edited

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
