"""Questions the record answers across visits: history, trends, before/after, toxin due, doses.

All functions read only; they take a session first and everything else by keyword, and return
frozen dataclasses. Dates are calendar dates; sides are the patient's. Voided entries (and the
scores and recordings of a voided visit) are left out unless ``include_voided=True``; the
history then marks them ``[voided: reason]``.

Index names (``INDEX`` of ``synk trend``) are resolved by :func:`resolve_index`:

- an instrument name, e.g. ``sunnybrook`` (its total; ``hb`` and other aliases work);
- ``INSTRUMENT.KEY`` for a subscore or item, e.g. ``sunnybrook.synkinesis`` or
  ``eface.ocular_synkinesis``;
- a measured index stored with a recording, e.g. ``palpebral_fissure_range_affected_pct``.

Why one file of over 500 lines: the record's read side; every question shares the voided-entry
rule, the index resolution and the date handling, and none is over 100 lines.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from synkinesis.store.errors import StoreValidationError
from synkinesis.store.models import MeasuredIndex, Patient, RecordingRow, ScaleScore, Visit
from synkinesis.store.repository import get_patient, today_utc, visit_reference
from synkinesis.store.vocabulary import MUSCLES

__all__ = [
    "PATTERN_INDICES",
    "RATERS",
    "BeforeAfter",
    "DoseRow",
    "DoseTable",
    "DueEntry",
    "IndexSpec",
    "MuscleEffect",
    "TimelineEvent",
    "Trend",
    "TrendPoint",
    "TrendRow",
    "VisitChange",
    "VisitComparison",
    "analysis_index_side",
    "before_after",
    "chosen_rater",
    "compare_treatments",
    "compare_visits",
    "dose_table",
    "doses_per_muscle",
    "index_points",
    "measured_index_names",
    "muscle_effects",
    "patient_timeline",
    "reported_sides",
    "resolve_index",
    "toxin_due",
    "trend",
]

#: Where each synkinesis pattern shows up in the scales (item keys of synkinesis.scales):
#: eFACE synkinesis items name the patterns directly; Sunnybrook synkinesis per expression and
#: SAQ items are the nearest proxies. Measured indices whose name contains the pattern are
#: added at query time.
PATTERN_INDICES: dict[str, tuple[str, ...]] = {
    "ocular_oral": ("eface.ocular_synkinesis", "sunnybrook.synkinesis_smile",
                    "saq.eye_closes_smiling"),
    "oral_ocular": ("eface.midfacial_synkinesis", "sunnybrook.synkinesis_eye_closure",
                    "saq.mouth_moves_eye_closure"),
    "mentalis": ("eface.mentalis_synkinesis",),
    "platysmal": ("eface.platysmal_synkinesis", "saq.neck_tightens_smiling"),
}


#: ``rater=`` choices of the trend and comparison queries: one kind of rater (a scale's values
#: are never mixed across raters: an automatic 1 after a clinician's 2 is no change of the
#: patient), or ``any``. Measured indices have no rater.
RATERS = ("clinician", "patient", "automatic", "any")


@dataclass(frozen=True)
class IndexSpec:
    """A resolved index: a scale total/subscore/item, or a measured index.

    Attributes
    ----------
    name : str
        As given, normalised (``hb`` -> ``house_brackmann``).
    label : str
    unit : str
    higher_is_better : bool or None
        None when the direction is not defined (measured indices).
    instrument, key : str or None
        For scale indices: the instrument and the subscore/item key (None = total).
    """

    name: str
    label: str
    unit: str
    higher_is_better: bool | None
    instrument: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class TrendPoint:
    """One value of an index: its date, the visit and where it came from, and its interval
    (``interval`` = (low, high) at coverage ``level``) where the record stores one (analysis
    indices stored since revision 0005; None otherwise: no interval is invented)."""

    day: date
    value: float
    visit_ref: str
    source: str
    detail: str = ""
    interval: tuple[float, float] | None = None
    level: float | None = None


@dataclass(frozen=True)
class TimelineEvent:
    """One entry of a patient's history."""

    day: date
    kind: str
    ref: str
    title: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrendRow:
    """One line of a trend table: the value, its change from the first value, and the
    treatments given after the previous value up to this one."""

    point: TrendPoint
    change_from_first: float | None
    treatments_since_previous: tuple[TimelineEvent, ...]


@dataclass(frozen=True)
class Trend:
    """An index across visits, with the treatments in the same period (for plot markers).

    ``rater`` is whose values these are (``clinician``, ``patient``, ``automatic``, ``any``;
    "" for measured indices).
    """

    patient_code: str
    index: IndexSpec
    points: tuple[TrendPoint, ...]
    treatments: tuple[TimelineEvent, ...]
    rater: str = ""

    @property
    def rows(self) -> tuple[TrendRow, ...]:
        """The table of ``synk trend``: each value with its change from the first value
        (None for the first) and the treatments since the previous value."""
        rows: list[TrendRow] = []
        previous = None
        for point in self.points:
            between = tuple(t for t in self.treatments
                            if (previous is None or t.day > previous) and t.day <= point.day)
            change = None if not rows else point.value - self.points[0].value
            rows.append(TrendRow(point, change, between))
            previous = point.day
        return tuple(rows)


@dataclass(frozen=True)
class BeforeAfter:
    """An index just before a treatment and around ``after_days`` after it.

    ``change`` = after - before; ``improved`` uses the index's direction (None when unknown
    or when a value is missing). ``rater`` as in :class:`Trend`.
    """

    treatment: TimelineEvent
    index: IndexSpec
    before: TrendPoint | None
    after: TrendPoint | None
    change: float | None
    improved: bool | None
    rater: str = ""

    @property
    def verdict(self) -> str:
        """``better``, ``worse``, ``unchanged``, or ``-`` (a value missing or no direction)."""
        if self.change == 0:
            return "unchanged"
        return {True: "better", False: "worse", None: "-"}[self.improved]


@dataclass(frozen=True)
class DueEntry:
    """When a patient's next toxin session may be given."""

    patient_code: str
    last_session: date
    due_date: date
    days_until: int
    sessions: int

    @property
    def is_due(self) -> bool:
        """True when the minimum interval has passed."""
        return self.days_until <= 0


@dataclass(frozen=True)
class DoseRow:
    """Units given to one muscle and side in one session."""

    day: date
    muscle: str
    side: str
    units: float
    points: int
    product: str
    session_id: str


@dataclass(frozen=True)
class DoseTable:
    """Units per muscle and side (rows) and session day (columns), as ``synk doses`` prints.

    ``rows`` holds ``(muscle, side, units per day (None when not injected that day), total)``.
    """

    days: tuple[date, ...]
    rows: tuple[tuple[str, str, tuple[float | None, ...], float], ...]


@dataclass(frozen=True)
class MuscleEffect:
    """Doses into a muscle and the change of the pattern it drives."""

    day: date
    muscle: str
    side: str
    units: float
    pattern: str
    comparison: BeforeAfter


# -------------------------------------------------------------------------------------------
# index resolution and values


def _direction(instrument: str, key: str | None) -> bool:
    from synkinesis.scales import get_instrument

    definition = get_instrument(instrument)
    if key is None:
        return definition.total.higher_is_better
    if instrument == "sunnybrook":
        return key.startswith("voluntary")
    return definition.total.higher_is_better if instrument != "fngs2" else False


def resolve_index(session: Session, *, patient: Patient, name: str) -> IndexSpec:
    """Resolve an index name for ``patient`` (see the module docstring).

    Raises
    ------
    StoreValidationError
        Unknown name, listing the instruments and the measured indices stored for the patient.
    """
    from synkinesis.scales import ScaleValidationError, get_instrument

    text = str(name).strip()
    instrument_part, _, key = text.partition(".")
    try:
        definition = get_instrument(instrument_part)
    except ScaleValidationError:
        definition = None
    if definition is not None:
        if not key:
            total = definition.total
            return IndexSpec(definition.name, f"{definition.title} {total.label}", "",
                             _direction(definition.name, None), definition.name, None)
        for subscore in definition.subscores:
            if subscore.key == key:
                return IndexSpec(f"{definition.name}.{key}", f"{definition.title}: "
                                 f"{subscore.label}", "", _direction(definition.name, key),
                                 definition.name, key)
        if key in definition.item_keys:
            return IndexSpec(f"{definition.name}.{key}", f"{definition.title}: "
                             f"{definition.item(key).label}", "",
                             _direction(definition.name, key), definition.name, key)
        keys = [s.key for s in definition.subscores] + list(definition.item_keys)
        raise StoreValidationError(f"{definition.name} has no subscore or item {key!r}; "
                                   f"known: {', '.join(keys)}")
    row = session.execute(
        select(MeasuredIndex.unit).join(RecordingRow).join(Visit)
        .where(Visit.patient_id == patient.id, MeasuredIndex.name == text).limit(1)).first()
    if row is not None:
        return IndexSpec(text, text.replace("_", " "), row.unit, None)
    from synkinesis.scales import INSTRUMENTS

    stored = measured_index_names(session, patient=patient)
    raise StoreValidationError(
        f"unknown index {text!r}; use an instrument ({', '.join(INSTRUMENTS)}), "
        f"INSTRUMENT.SUBSCORE or INSTRUMENT.ITEM, or a measured index of {patient.code}"
        + (f" ({', '.join(stored[:12])}{' ...' if len(stored) > 12 else ''})" if stored
           else " (none stored yet)"))


def measured_index_names(session: Session, *, patient: Patient) -> list[str]:
    """Names of the measured indices stored for a patient."""
    return list(session.scalars(
        select(MeasuredIndex.name).join(RecordingRow).join(Visit)
        .where(Visit.patient_id == patient.id).distinct().order_by(MeasuredIndex.name)))


def _scale_value(score: ScaleScore, spec: IndexSpec) -> float | None:
    if spec.key is None:
        return score.total
    for subscore in score.result.get("subscores", []):
        if subscore["key"] == spec.key:
            return subscore["value"]
    return score.result.get("item_scores", {}).get(spec.key)


def _check_rater(rater: str | None) -> None:
    if rater is not None and rater not in RATERS:
        raise StoreValidationError(f"rater must be one of {', '.join(RATERS)}, got {rater!r}")


def chosen_rater(points: Sequence[TrendPoint], spec: IndexSpec, rater: str | None) -> str:
    """The rater whose values a query uses: ``rater`` when given; else ``clinician`` when the
    clinician scored this index, else the one rater there is (``any`` if several)."""
    _check_rater(rater)
    if spec.instrument is None:
        return ""
    if rater is not None:
        return rater
    sources = {p.source for p in points}
    if "clinician" in sources:
        return "clinician"
    return sources.pop() if len(sources) == 1 else "any"


def is_live(entry: object, include_voided: bool = False) -> bool:
    """Whether an entry counts: not voided, nor its visit (scores), or voided ones asked for.
    Every reader that lists entries (history, trends, reports, web pages) asks this."""
    if include_voided:
        return True
    if getattr(entry, "voided_at", None) is not None:
        return False
    visit = getattr(entry, "visit", None)
    return visit is None or visit.voided_at is None


def _voided_mark(entry: object) -> str:
    reason = getattr(entry, "void_reason", "")
    return f" [voided: {reason}]" if getattr(entry, "voided_at", None) is not None else ""


def _rated_by(points: Sequence[TrendPoint], rater: str) -> list[TrendPoint]:
    return [p for p in points if rater in ("", "any") or p.source == rater]


def index_points(session: Session, *, patient: Patient, spec: IndexSpec,
                 include_voided: bool = False) -> list[TrendPoint]:
    """Every stored value of an index for a patient, by date (drafts only where complete),
    whoever rated it (``source`` = the rater for scale indices)."""
    points: list[TrendPoint] = []
    if spec.instrument is not None:
        scores = session.scalars(
            select(ScaleScore).join(Visit).where(Visit.patient_id == patient.id,
                                                 ScaleScore.instrument == spec.instrument))
        for score in scores:
            value = _scale_value(score, spec)
            if value is None or not is_live(score, include_voided):
                continue
            who = score.rater + (f" {score.rater_name}" if score.rater_name else "")
            points.append(TrendPoint(score.visit.visit_date, float(value),
                                     visit_reference(score.visit), score.rater, who))
    else:
        rows = session.scalars(
            select(MeasuredIndex).join(RecordingRow).join(Visit)
            .where(Visit.patient_id == patient.id, MeasuredIndex.name == spec.name))
        for index in rows:
            visit = index.recording.visit
            if not is_live(visit, include_voided):
                continue
            points.append(TrendPoint(visit.visit_date, index.value, visit_reference(visit),
                                     index.source, Path(index.recording.video_path).name,
                                     _stored_interval(index), index.level))
    return sorted(points, key=lambda p: (p.day, p.visit_ref, p.source))


# -------------------------------------------------------------------------------------------
# history


def _injection_text(injections: Iterable) -> str:
    return ", ".join(f"{i.muscle} {i.side} {i.units:g} U" + (f" ({i.points} pts)"
                     if i.points != 1 else "") for i in injections)


def patient_timeline(session: Session, *, patient_code: str,
                     include_voided: bool = False) -> list[TimelineEvent]:
    """A patient's history: visits (scores, recordings), toxin, therapy, procedures, by date.

    Recordings are named by their video's file name (never a full path)."""
    patient = get_patient(session, code=patient_code)
    live = [v for v in patient.visits if is_live(v, include_voided)]
    events: list[TimelineEvent] = []
    if patient.onset_date is not None:
        events.append(TimelineEvent(patient.onset_date, "onset", patient.code,
                                    f"onset ({patient.cause.replace('_', ' ')}, "
                                    f"{patient.affected_side} side)"))
    for visit in live:
        details = []
        for score in visit.scores:
            if not is_live(score, include_voided):
                continue
            total = "draft" if score.total is None else f"{score.total:g}"
            grade = (score.result.get("grade") or {}).get("name")
            details.append(f"{score.instrument} {total}" + (f" (grade {grade})" if grade else "")
                           + f" by {score.rater}" + (f" {score.rater_name}"
                                                     if score.rater_name else "")
                           + f" [{score.id[:8]}]{_voided_mark(score)}")
        for recording in visit.recordings:
            details.append(f"recording {Path(recording.video_path).name} "
                           f"[{recording.id[:8]}]: {len(recording.indices)} indices, "
                           f"{recording.analysis_status}")
        title = "visit" + (f": {visit.label}" if visit.label else "") + _voided_mark(visit)
        events.append(TimelineEvent(visit.visit_date, "visit", visit_reference(visit), title,
                                    tuple(details)))
    healthy = {"left": "right", "right": "left"}.get(patient.affected_side)
    for toxin in patient.toxin_sessions:
        if not is_live(toxin, include_voided):
            continue
        details = [_injection_text(toxin.injections)]
        if healthy and any(i.side == healthy for i in toxin.injections):
            details.append(f"includes healthy-side ({healthy}) injections to balance")
        if toxin.dilution:
            details.append(f"dilution {toxin.dilution}")
        events.append(TimelineEvent(
            toxin.session_date, "toxin", toxin.id,
            f"toxin {toxin.product} {toxin.total_units:g} U{_voided_mark(toxin)}",
            tuple(details)))
    for therapy in patient.therapy_sessions:
        if not is_live(therapy, include_voided):
            continue
        details = []
        if therapy.exercises:
            details.append("exercises: " + ", ".join(therapy.exercises))
        if therapy.biofeedback:
            details.append("biofeedback: " + ", ".join(f"{k} {v}" for k, v in
                                                       therapy.biofeedback.items()))
        minutes = f" {therapy.minutes} min" if therapy.minutes else ""
        events.append(TimelineEvent(therapy.session_date, "therapy", therapy.id,
                                    f"therapy{minutes}{_voided_mark(therapy)}",
                                    tuple(details)))
    for procedure in patient.procedures:
        if not is_live(procedure, include_voided):
            continue
        details = []
        if procedure.agent:
            details.append(f"agent {procedure.agent}")
        if procedure.prediction or procedure.prediction_values:
            details.append("predicted: " + "; ".join(filter(None, [procedure.prediction, ", ".join(
                f"{k} {v:g}" for k, v in procedure.prediction_values.items())])))
        if procedure.outcome_date is not None:
            details.append(f"outcome {procedure.outcome_date.isoformat()}: " + "; ".join(
                filter(None, [procedure.outcome, ", ".join(
                    f"{k} {v:g}" for k, v in procedure.outcome_values.items())])))
        events.append(TimelineEvent(
            procedure.procedure_date, "procedure", procedure.id,
            f"{procedure.kind.replace('_', ' ')} {procedure.target} {procedure.side}"
            f"{_voided_mark(procedure)}", tuple(details)))
    order = {"onset": 0, "visit": 1, "procedure": 2, "toxin": 3, "therapy": 4}
    return sorted(events, key=lambda e: (e.day, order[e.kind], e.ref))


# -------------------------------------------------------------------------------------------
# trend and comparisons


def _treatments(patient: Patient, include_voided: bool = False) -> list[TimelineEvent]:
    events = [TimelineEvent(t.session_date, "toxin", t.id, f"toxin {t.total_units:g} U",
                            (_injection_text(t.injections),)) for t in patient.toxin_sessions
              if is_live(t, include_voided)]
    events += [TimelineEvent(p.procedure_date, "procedure", p.id,
                             f"{p.kind.replace('_', ' ')} {p.target}") for p in patient.procedures
               if is_live(p, include_voided)]
    return sorted(events, key=lambda e: (e.day, e.kind))


def trend(session: Session, *, patient_code: str, index: str,
          rater: str | None = None, include_voided: bool = False) -> Trend:
    """An index across a patient's visits, with their toxin sessions and procedures.

    Parameters
    ----------
    rater : str, optional
        Whose scale values (:data:`RATERS`); default the clinician's when there are any
        (see :func:`chosen_rater`). Ignored for measured indices.
    """
    _check_rater(rater)
    patient = get_patient(session, code=patient_code)
    spec = resolve_index(session, patient=patient, name=index)
    points = index_points(session, patient=patient, spec=spec, include_voided=include_voided)
    chosen = chosen_rater(points, spec, rater)
    return Trend(patient.code, spec, tuple(_rated_by(points, chosen)),
                 tuple(_treatments(patient, include_voided)), chosen)


def _compare(
    treatment: TimelineEvent, spec: IndexSpec, points: Sequence[TrendPoint], *, after_days: int,
    before_window_days: int, tolerance_days: int, rater: str,
) -> BeforeAfter:
    points = _rated_by(points, rater)
    before_candidates = [p for p in points
                         if treatment.day - timedelta(days=before_window_days) <= p.day
                         <= treatment.day]
    before = before_candidates[-1] if before_candidates else None
    target = treatment.day + timedelta(days=after_days)
    after_candidates = [p for p in points if p.day > treatment.day
                        and abs((p.day - target).days) <= tolerance_days]
    after = min(after_candidates, key=lambda p: (abs((p.day - target).days), p.day),
                default=None)
    change = improved = None
    if before is not None and after is not None:
        change = after.value - before.value
        if spec.higher_is_better is not None and change != 0:
            improved = (change > 0) == spec.higher_is_better
    return BeforeAfter(treatment, spec, before, after, change, improved, rater)


def before_after(
    session: Session,
    *,
    patient_code: str,
    index: str,
    treatment_date: date | str,
    after_days: int = 14,
    before_window_days: int = 120,
    tolerance_days: int = 7,
    rater: str | None = None,
    include_voided: bool = False,
) -> BeforeAfter:
    """An index before and after a treatment given on ``treatment_date``.

    Parameters
    ----------
    after_days : int
        When to look after the treatment (14: the ~2-week toxin review, CLINICAL.md).
    before_window_days : int
        "Before" is the last value on or before the treatment date, at most this many days
        earlier.
    tolerance_days : int
        "After" is the value closest to ``treatment_date + after_days`` within this many days
        (and strictly after the treatment).
    rater : str, optional
        Whose scale values, as in :func:`trend`: before and after are never from different
        raters.
    """
    _check_rater(rater)
    patient = get_patient(session, code=patient_code)
    spec = resolve_index(session, patient=patient, name=index)
    day = treatment_date if isinstance(treatment_date, date) else date.fromisoformat(
        str(treatment_date))
    matching = [t for t in _treatments(patient, include_voided) if t.day == day]
    treatment = matching[0] if matching else TimelineEvent(day, "date", day.isoformat(),
                                                           "given date")
    points = index_points(session, patient=patient, spec=spec, include_voided=include_voided)
    return _compare(treatment, spec, points, after_days=after_days,
                    before_window_days=before_window_days, tolerance_days=tolerance_days,
                    rater=chosen_rater(points, spec, rater))


def compare_treatments(
    session: Session,
    *,
    patient_code: str,
    index: str,
    after_days: int = 14,
    before_window_days: int = 120,
    tolerance_days: int = 7,
    rater: str | None = None,
    include_voided: bool = False,
) -> list[BeforeAfter]:
    """:func:`before_after` around every toxin session and procedure of the patient."""
    _check_rater(rater)
    patient = get_patient(session, code=patient_code)
    spec = resolve_index(session, patient=patient, name=index)
    points = index_points(session, patient=patient, spec=spec, include_voided=include_voided)
    chosen = chosen_rater(points, spec, rater)
    return [_compare(t, spec, points, after_days=after_days,
                     before_window_days=before_window_days, tolerance_days=tolerance_days,
                     rater=chosen)
            for t in _treatments(patient, include_voided)]


def toxin_due(
    session: Session,
    *,
    interval_days: int,
    today: date | None = None,
    patient_code: str | None = None,
    include_voided: bool = False,
) -> list[DueEntry]:
    """When each patient's next toxin session may be given: the last session plus
    ``interval_days`` (not under ~12 weeks, CLINICAL.md [U]); soonest first."""
    if interval_days < 1:
        raise StoreValidationError(f"interval must be at least 1 day, got {interval_days}")
    today = today or today_utc()
    patients = [get_patient(session, code=patient_code)] if patient_code else list(
        session.scalars(select(Patient).order_by(Patient.code)))
    entries = []
    for patient in patients:
        sessions = [t for t in patient.toxin_sessions if is_live(t, include_voided)]
        if not sessions:
            continue
        last = max(t.session_date for t in sessions)
        due = last + timedelta(days=interval_days)
        entries.append(DueEntry(patient.code, last, due, (due - today).days, len(sessions)))
    return sorted(entries, key=lambda e: (e.due_date, e.patient_code))


def doses_per_muscle(session: Session, *, patient_code: str,
                     include_voided: bool = False) -> list[DoseRow]:
    """Every dose of a patient by date, muscle and side (injections of the same muscle and
    side in one session added up)."""
    patient = get_patient(session, code=patient_code)
    rows = []
    for toxin in patient.toxin_sessions:
        if not is_live(toxin, include_voided):
            continue
        merged: dict[tuple[str, str], list[float]] = {}
        for injection in toxin.injections:
            units_points = merged.setdefault((injection.muscle, injection.side), [0.0, 0])
            units_points[0] += injection.units
            units_points[1] += injection.points
        for (muscle, side), (units, points) in merged.items():
            rows.append(DoseRow(toxin.session_date, muscle, side, units, int(points),
                                toxin.product, toxin.id))
    return sorted(rows, key=lambda r: (r.day, r.muscle, r.side))


def dose_table(session: Session, *, patient_code: str,
               include_voided: bool = False) -> DoseTable:
    """:func:`doses_per_muscle` as a table: one row per muscle and side, one column per
    session day (units of that day added up), and the total."""
    doses = doses_per_muscle(session, patient_code=patient_code,
                             include_voided=include_voided)
    days = tuple(sorted({r.day for r in doses}))
    rows = []
    for muscle, side in sorted({(r.muscle, r.side) for r in doses}):
        cells = tuple(math.fsum(r.units for r in doses
                                if (r.muscle, r.side, r.day) == (muscle, side, day)) or None
                      for day in days)
        rows.append((muscle, side, cells, math.fsum(c for c in cells if c is not None)))
    return DoseTable(days, tuple(rows))


def muscle_effects(
    session: Session, *, patient_code: str, after_days: int = 14, tolerance_days: int = 7,
    before_window_days: int = 120, rater: str | None = None, include_voided: bool = False,
) -> list[MuscleEffect]:
    """For every dose, the change of the pattern its muscle drives (vocabulary
    ``Muscle.pattern``), on each scale item or measured index that shows that pattern
    (scale values of one rater, as in :func:`trend`)."""
    _check_rater(rater)
    patient = get_patient(session, code=patient_code)
    measured = measured_index_names(session, patient=patient)
    effects = []
    cache: dict[str, tuple[IndexSpec, list[TrendPoint], str]] = {}
    treatments = {t.ref: t for t in _treatments(patient, include_voided)}
    for dose in doses_per_muscle(session, patient_code=patient_code,
                                 include_voided=include_voided):
        pattern = MUSCLES[dose.muscle].pattern
        if pattern is None:
            continue
        # one side's index (a face with no affected side named) only for a dose on that side
        names = list(PATTERN_INDICES.get(pattern, ())) + [
            n for n in measured if pattern in n
            and analysis_index_side(n) in (None, dose.side)]
        for name in names:
            if name not in cache:
                spec = resolve_index(session, patient=patient, name=name)
                points = index_points(session, patient=patient, spec=spec,
                                      include_voided=include_voided)
                chosen = chosen_rater(points, spec, rater)
                cache[name] = (spec, _rated_by(points, chosen), chosen)
            spec, points, chosen = cache[name]
            if not points:
                continue
            comparison = _compare(treatments[dose.session_id], spec, points,
                                  after_days=after_days, before_window_days=before_window_days,
                                  tolerance_days=tolerance_days, rater=chosen)
            effects.append(MuscleEffect(dose.day, dose.muscle, dose.side, dose.units, pattern,
                                        comparison))
    return effects


# -------------------------------------------------------------------------------------------
# visit against visit

#: What a change between two visits is called (:attr:`VisitChange.verdict`).
VERDICTS = ("better", "worse", "unchanged", "within the interval", "no direction",
            "sides differ", "-")


@dataclass(frozen=True)
class VisitChange:
    """One index at two visits: its values, their change and what the change means.

    ``verdict``: ``better`` or ``worse`` by the index's direction; ``unchanged``; ``within the
    interval`` when both values carry the analysis's interval and the intervals overlap (the
    change is within what the measurement can tell apart); ``no direction`` for measured
    indices, whose better direction is not defined (a wider fissure can be recovery or a
    weaker blink); ``sides differ`` when an analysis index of a face with no affected side
    named was about one side at A and the other at B (``sides``: which at each; the face's
    evidence leaned to another side), so its two values are no change of one side: compare
    each side's own index (``analysis.<pattern>.index.left`` / ``.right``); ``-`` when one
    visit has no value. ``interval_a``/``interval_b`` are the analysis's intervals where it
    stores one, never invented.
    """

    index: IndexSpec
    rater: str
    value_a: float | None
    value_b: float | None
    interval_a: tuple[float, float] | None = None
    interval_b: tuple[float, float] | None = None
    sides: tuple[str, str] | None = None

    @property
    def change(self) -> float | None:
        """``value_b - value_a`` (None when one is missing)."""
        if self.value_a is None or self.value_b is None:
            return None
        return self.value_b - self.value_a

    @property
    def verdict(self) -> str:
        change = self.change
        if change is None:
            return "-"
        if self.sides is not None and self.sides[0] != self.sides[1]:
            return "sides differ"
        if math.isclose(change, 0.0, abs_tol=1e-9):
            return "unchanged"
        if self.interval_a and self.interval_b and (
                self.interval_a[0] <= self.interval_b[1]
                and self.interval_b[0] <= self.interval_a[1]):
            return "within the interval"
        if self.index.higher_is_better is None:
            return "no direction"
        return "better" if (change > 0) == self.index.higher_is_better else "worse"


@dataclass(frozen=True)
class VisitComparison:
    """Every index two visits of one patient share or either has (visit A earlier or as
    chosen, B the other)."""

    patient_code: str
    visit_a: str
    visit_b: str
    date_a: date
    date_b: date
    changes: tuple[VisitChange, ...]


def _visit_scale_values(visit: Visit) -> dict[tuple[str, str], tuple[IndexSpec, float]]:
    """(index name, rater) -> value of the visit's live, scored totals and subscores (the
    latest score of an instrument and rater when there are several)."""
    from synkinesis.scales import ScaleValidationError, get_instrument

    values: dict[tuple[str, str], tuple[IndexSpec, float]] = {}
    for score in sorted(filter(is_live, visit.scores), key=lambda s: s.rated_at):
        try:
            definition = get_instrument(score.instrument)
        except ScaleValidationError:
            continue
        keys: list[str | None] = [None, *(sub.key for sub in definition.subscores)]
        for key in keys:
            if key is None:
                spec = IndexSpec(definition.name, f"{definition.title} "
                                 f"{definition.total.label}", "",
                                 _direction(definition.name, None), definition.name, None)
            else:
                label = next(sub.label for sub in definition.subscores if sub.key == key)
                spec = IndexSpec(f"{definition.name}.{key}", f"{definition.title}: {label}", "",
                                 _direction(definition.name, key), definition.name, key)
            value = _scale_value(score, spec)
            if value is not None:
                values[(spec.name, score.rater)] = (spec, float(value))
    return values


def _visit_measured_values(visit: Visit) -> dict[str, tuple[IndexSpec, float,
                                                            tuple[float, float] | None]]:
    """Index name -> (spec, value, interval) of the visit's measured indices (the latest
    recording's where several have one); analysis indices carry the interval their analysis
    file stores, and their direction (synkinesis points: lower is better)."""
    found: dict[str, tuple[IndexSpec, float, tuple[float, float] | None]] = {}
    for recording in sorted(visit.recordings, key=lambda r: r.created_at):
        # rows stored before revision 0005 kept no interval: their analysis file may have one
        intervals = (None if all(_stored_interval(i) is not None for i in recording.indices
                                 if i.name.startswith("analysis."))
                     else _analysis_intervals(recording))
        for index in recording.indices:
            analysis = index.name.startswith("analysis.")
            spec = IndexSpec(index.name, _measured_label(index.name), index.unit,
                             False if analysis else None)
            found[index.name] = (spec, index.value, _stored_interval(index) or (
                None if intervals is None else intervals.get(index.name)))
    return found


def _stored_interval(index: MeasuredIndex) -> tuple[float, float] | None:
    if index.low is None or index.high is None:
        return None
    return float(index.low), float(index.high)


def _measured_label(name: str) -> str:
    """A measured index's label in words: ``analysis.ocular_oral.index`` -> ``ocular-oral
    index (analysis)``, ``analysis.ocular_oral.index.left`` (one side of a face with no
    affected side named) -> ``ocular-oral index, left side taken as affected (analysis)``,
    ``palpebral_fissure_rest_left_mm`` -> ``palpebral fissure rest left mm``."""
    parts = name.split(".")
    if 3 <= len(parts) <= 4 and parts[0] == "analysis" and parts[2] == "index":
        pattern = {"ocular_oral": "ocular-oral", "oral_ocular": "oral-ocular"}.get(
            parts[1], parts[1].replace("_", " "))
        side = f", {parts[3]} side taken as affected" if len(parts) == 4 else ""
        return f"{pattern} index{side} (analysis)"
    return name.replace("_", " ")


def reported_sides(values: Mapping[str, float]) -> dict[str, str]:
    """Which side each ``analysis.<pattern>.index`` of one recording (or visit) is about, where
    the record also holds each side's index (a face with no affected side named): the side
    whose own index it equals (the same stored number). Left out where it cannot be told (no
    per-side index; both sides read the same)."""
    sides = {}
    for name, value in values.items():
        if analysis_index_side(name) is not None or not name.startswith("analysis."):
            continue
        same = [side for side in ("left", "right") if values.get(f"{name}.{side}") == value]
        if len(same) == 1:
            sides[name] = same[0]
    return sides


def analysis_index_side(name: str) -> str | None:
    """The side an analysis index is about when its name says it (``analysis.<pattern>.index.
    left``: stored for a face with no affected side named), else None."""
    parts = name.split(".")
    if len(parts) == 4 and parts[0] == "analysis" and parts[2] == "index":
        return parts[3]
    return None


def _analysis_intervals(recording: RecordingRow) -> dict[str, tuple[float, float]]:
    """``analysis.<pattern>.index`` -> the (low, high) interval its analysis file stores."""
    from synkinesis.store.analysis_files import read_analysis_file
    from synkinesis.store.recordings import checked_file

    file, _why = checked_file(recording.analysis_path, recording.analysis_sha256, "analysis")
    if file is None:
        return {}
    try:
        data = read_analysis_file(file)
    except ValueError:
        return {}
    intervals = {}
    for finding in [*(data.get("findings") or []), data.get("resting")]:
        if not isinstance(finding, dict) or "pattern" not in finding:
            continue
        interval = finding.get("interval")
        if isinstance(interval, dict):  # analysis format 2: {low, high, level, replicates}
            interval = [interval.get("low"), interval.get("high")]
        if (isinstance(interval, list | tuple) and len(interval) == 2
                and all(isinstance(v, int | float) and not isinstance(v, bool)
                        and math.isfinite(v) for v in interval)):
            intervals[f"analysis.{finding['pattern']}.index"] = (float(min(interval)),
                                                                 float(max(interval)))
    return intervals


def compare_visits(session: Session, *, patient_code: str, visit_a: str,
                   visit_b: str) -> VisitComparison:
    """Two visits of one patient side by side: every scale total and subscore (per rater:
    a clinician's score is never compared with a patient's) and every measured index,
    with the change from A to B and its verdict (:class:`VisitChange`).

    Raises
    ------
    NotFoundError
        A visit does not exist (or was voided).
    StoreValidationError
        A visit is another patient's, or both are the same visit.
    """
    from synkinesis.store.repository import find_visit

    patient = get_patient(session, code=patient_code)
    first = find_visit(session, ref=visit_a)
    second = find_visit(session, ref=visit_b)
    for visit in (first, second):
        if visit.patient_id != patient.id:
            raise StoreValidationError(f"visit {visit_reference(visit)} is not a visit of "
                                       f"{patient.code}")
    if first.id == second.id:
        raise StoreValidationError("choose two different visits to compare")
    scales_a, scales_b = _visit_scale_values(first), _visit_scale_values(second)
    changes = []
    for key in sorted(set(scales_a) | set(scales_b)):
        spec = (scales_a.get(key) or scales_b[key])[0]
        changes.append(VisitChange(spec, key[1], scales_a.get(key, (spec, None))[1],
                                   scales_b.get(key, (spec, None))[1]))
    measured_a, measured_b = _visit_measured_values(first), _visit_measured_values(second)
    sides_a = reported_sides({n: v[1] for n, v in measured_a.items()})
    sides_b = reported_sides({n: v[1] for n, v in measured_b.items()})
    for name in sorted(set(measured_a) | set(measured_b)):
        spec = (measured_a.get(name) or measured_b[name])[0]
        a, b = measured_a.get(name), measured_b.get(name)
        sides = ((sides_a[name], sides_b[name]) if name in sides_a and name in sides_b
                 and sides_a[name] != sides_b[name] else None)
        changes.append(VisitChange(spec, "", a[1] if a else None, b[1] if b else None,
                                   a[2] if a else None, b[2] if b else None, sides))
    return VisitComparison(patient.code, visit_reference(first), visit_reference(second),
                           first.visit_date, second.visit_date, tuple(changes))
