"""Toxin sessions with their injections, and the dose and interval checks."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from synkinesis.store.models import Injection, Patient, ToxinSession, Visit
from synkinesis.store.repository._common import DoseWarning, _bad, _check_date, _choice, _text
from synkinesis.store.repository.patients import get_patient
from synkinesis.store.repository.visits import _check_visit_patient
from synkinesis.store.settings import (
    DEFAULT_MAX_SESSION_UNITS,
    HARD_MAX_INJECTION_UNITS,
    StoreSettings,
)
from synkinesis.store.vocabulary import (
    INJECTION_SIDES,
    MUSCLE_ALIASES,
    MUSCLES,
    PRODUCT_ALIASES,
    PRODUCTS,
    resolve_muscle,
)

MAX_POINTS = 20


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
