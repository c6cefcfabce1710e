"""Scenarios as a person writes them: a simulated patient from option text, prediction dates,
parameter grids, and the facts a report of a prediction shows.

Pure: text and numbers in, :class:`SimulationSpec` and plain values out. Bad input raises
:class:`ModelError` or :class:`TreatmentError` (both :class:`ValueError`) with a message saying
what was expected and what came. Left and right are the patient's.

Examples
--------
>>> spec = build_spec(injuries=["left:proximal:0.8"], seed=1)
>>> spec.injuries[0].side, spec.day
('left', 365.0)
>>> parse_number_list("0,0.6", name="--severities", low=0, high=1)
(0.0, 0.6)
>>> prediction_days("", plan=(), today=365)
(364.0, 379.0, 395.0, 455.0, 485.0, 545.0)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from synkinesis.simulate.anatomy import REGIONS, TASKS
from synkinesis.simulate.nerve import Injury, ModelError, RegrowthParameters
from synkinesis.simulate.patient import (
    SimulationSpec,
    format_treatment,
    parse_injury,
    parse_treatment,
)
from synkinesis.simulate.recording import ProtocolTiming

__all__ = ["CouplingChange", "DEFAULT_DAY", "SIDES", "build_spec", "describe_spec",
           "largest_coupling_changes", "parse_frame", "parse_number_list", "parse_sides",
           "prediction_days", "prediction_payload", "validation_grid"]

#: The day of a recording when none is given: one year after the injury.
DEFAULT_DAY = 365.0
#: The patient's sides.
SIDES = ("left", "right")
#: Coupling changes smaller than this (of the healthy range) are not reported.
CHANGE_FLOOR = 0.005


def build_spec(
    *,
    injuries: Iterable[str] = (),
    misrouting: float = 0.7,
    sprouts: float = 1.5,
    terminal_sprouting: float = 3.0,
    non_reaching: float = 0.15,
    axons: int = 7000,
    day: float = DEFAULT_DAY,
    treatments: Iterable[str] = (),
    seed: int = 0,
    timing: Mapping[str, Any] | None = None,
) -> SimulationSpec:
    """A validated :class:`SimulationSpec` from the text of injuries and treatments.

    ``injuries`` as ``SIDE[:SITE[:SEVERITY]]``, ``treatments`` as ``KIND:ARGS[@DAY]`` (a
    treatment without ``@DAY`` is given on ``day``), ``timing`` changes fields of
    :class:`ProtocolTiming` (``fps``, ``noise_px``, ...). Raises ModelError or TreatmentError.
    """
    spec = SimulationSpec(
        injuries=tuple(parse_injury(text) for text in injuries),
        regrowth=RegrowthParameters(
            n_axons=axons, misrouting=misrouting, collateral_sprouts=sprouts,
            terminal_sprouting=terminal_sprouting, non_reaching=non_reaching),
        day=day,
        treatments=tuple(parse_treatment(text, default_day=day) for text in treatments),
        timing=replace(ProtocolTiming(), **dict(timing or {})),
        seed=seed,
    )
    spec.validate()
    return spec


def parse_number_list(text: str, *, name: str, low: float, high: float) -> tuple[float, ...]:
    """``"0,0.6,0.95"`` -> ``(0.0, 0.6, 0.95)``, each in ``low..high``; ``name`` is the option
    named in the message."""
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ModelError(f"{name} must be numbers separated by commas, got {text!r}") from None
    if not values or any(not low <= v <= high for v in values):
        raise ModelError(f"{name} values must be in {low:g}..{high:g}, got {text!r}")
    return values


def parse_frame(text: str | None, *, name: str = "--frame") -> tuple[int, int]:
    """``"1920x1080"`` -> ``(1920, 1080)`` (width, height, pixels); None or "" -> ``(0, 0)``:
    the neutral face's own frame."""
    if not text:
        return 0, 0
    parts = text.lower().replace("×", "x").split("x")
    try:
        width, height = (int(part) for part in parts)
    except ValueError:
        raise ModelError(f"{name} must be WIDTHxHEIGHT in pixels, e.g. 1920x1080, "
                         f"got {text!r}") from None
    if not (16 <= width <= 8192 and 16 <= height <= 8192):
        raise ModelError(f"{name} must be 16..8192 pixels each way, got {text!r}")
    return width, height


def parse_sides(text: str, *, name: str = "--sides") -> tuple[str, ...]:
    """``"left,right"`` -> ``("left", "right")``."""
    sides = tuple(part.strip() for part in text.split(",") if part.strip())
    for side in sides:
        if side not in SIDES:
            raise ModelError(f"unknown side {side!r} in {name}; expected left, right")
    if not sides:
        raise ModelError(f"{name} names no side; expected left, right or both")
    return sides


def prediction_days(text: str | None, *, plan: Sequence[Any], today: float) -> tuple[float, ...]:
    """The days (since the injury) to predict: ``text`` as ``DAY,DAY,...``, or by default the
    day before the first treatment (else today), then 2 weeks, 1, 3, 4 and 6 months after."""
    if text:
        try:
            days = tuple(float(part) for part in text.split(",") if part.strip())
        except ValueError:
            raise ModelError(
                f"--at must be days separated by commas, e.g. 379,394,470, got {text!r}") from None
        if not days or any(not 0 <= d <= 36500 for d in days):
            raise ModelError(f"--at days must be in 0..36500, got {text!r}")
        return days
    start = float(min((t.day for t in plan), default=today))
    return (max(start - 1, 0.0), start + 14, start + 30, start + 90, start + 120, start + 180)


def describe_spec(spec: SimulationSpec) -> str:
    """One line: the injuries and the regrowth of a simulated patient."""
    injuries = ", ".join(f"{i.side} {i.site} (severity {i.severity:g})" for i in spec.injuries)
    r = spec.regrowth
    return (f"{injuries or 'no injury'}; misrouting {r.misrouting:g}, sprouts "
            f"{r.collateral_sprouts:g}, {r.n_axons} axons, seed {spec.seed}")


def prediction_payload(spec: SimulationSpec, plan: Sequence[Any], days: Sequence[float],
                       before: Sequence[Any], after: Sequence[Any]) -> dict[str, Any]:
    """A prediction as plain JSON-ready data: parameters, plan, days, truth before and after."""
    return {"parameters": spec.as_dict(), "plan": [format_treatment(t) for t in plan],
            "days": list(days),
            "before": [t.as_dict() for t in before], "after": [t.as_dict() for t in after]}


@dataclass(frozen=True)
class CouplingChange:
    """One coupling cell a plan changes: its value (fraction of the healthy range) before and
    after."""

    task: str
    region: str
    before: float
    after: float


def largest_coupling_changes(before: Sequence[Any], after: Sequence[Any], *, side: str,
                             count: int = 6) -> tuple[int, tuple[CouplingChange, ...]]:
    """The day index where the plan changes the ``side``'s coupling most, and up to ``count``
    cells that change most then (largest first; none below :data:`CHANGE_FLOOR`).

    ``before``/``after``: the truths per day without and with the plan, each with
    ``coupling[side]`` a (tasks, regions) array.
    """
    changes = np.stack([a.coupling[side] - b.coupling[side] for a, b in zip(after, before)])
    k = int(np.argmax(np.abs(changes).reshape(len(changes), -1).max(axis=1)))
    cells = []
    for index in np.argsort(-np.abs(changes[k]).ravel())[:count]:
        t, r = divmod(int(index), len(REGIONS))
        if abs(changes[k, t, r]) < CHANGE_FLOOR:
            break
        cells.append(CouplingChange(TASKS[t], REGIONS[r], float(before[k].coupling[side][t, r]),
                                    float(after[k].coupling[side][t, r])))
    return k, tuple(cells)


def fit_on_canonical_face(movement_mm: Mapping[str, np.ndarray], *, side: str,
                          vertices: np.ndarray, day: float = DEFAULT_DAY, seed: int = 0) -> Any:
    """:func:`synkinesis.simulate.fit.fit_patient` of a measured patient's region movements
    (mm, per task and side, as :func:`synkinesis.simulate.io.movement_from_analysis` reads
    them) on the canonical face of ``vertices`` ((468, 3) model landmarks)."""
    from synkinesis.simulate.face import canonical_face_mm, muscle_fields
    from synkinesis.simulate.fit import fit_patient

    if side not in SIDES:
        raise ModelError("the analysis names no affected side: give --side left or --side right")
    face_mm = canonical_face_mm(vertices)
    return fit_patient(dict(movement_mm), side=side, face_mm=face_mm,
                       fields=muscle_fields(vertices, face_mm), day=day, seed=seed)


def describe_fit(result: Any, *, side: str) -> str:
    """One line: the fitted injury and regrowth and how well they match."""
    injury, regrowth = result.spec.injuries[0], result.spec.regrowth
    return (f"{side} proximal injury, severity {injury.severity:.2f}, misrouting "
            f"{regrowth.misrouting:.2f}, sprouts {regrowth.collateral_sprouts:.2f}; RMS "
            f"asymmetry error {result.error:.2f} of the healthy range over {result.cells} cells "
            f"(severity and misrouting trade off: read the predictions, not the parameters)")


def validation_grid(
    *,
    severities: tuple[float, ...] = (0.0, 0.6, 0.95),
    misrouting: tuple[float, ...] = (0.4, 0.9),
    sides: tuple[str, ...] = ("left", "right"),
    head_motion_deg: tuple[float, ...] = (1.0, 4.0),
    noise_px: tuple[float, ...] = (0.3, 1.0),
    day: float = 365.0,
    seed: int = 0,
    timing: dict[str, Any] | None = None,
) -> tuple[SimulationSpec, ...]:
    """Simulation specs of every combination (a severity of 0 is one healthy face per motion
    and noise level, whatever the side and misrouting). ``timing`` changes other fields of
    every case's :class:`~synkinesis.simulate.recording.ProtocolTiming` (repetitions, camera).

    Returns
    -------
    tuple of SimulationSpec, each with its own seed (``seed`` + case number)
    """
    specs: list[SimulationSpec] = []
    seen = set()
    for severity, route, side, motion, noise in itertools.product(
            severities, misrouting, sides, head_motion_deg, noise_px):
        key = (severity, route, side, motion, noise) if severity > 0 else (0, motion, noise)
        if key in seen:
            continue
        seen.add(key)
        base = SimulationSpec()
        spec = SimulationSpec(
            injuries=(Injury(side, "proximal", severity),) if severity > 0 else (),
            regrowth=replace(base.regrowth, misrouting=route),
            day=day,
            timing=replace(base.timing, **dict(timing or {}), head_motion_deg=motion,
                           noise_px=noise),
            seed=seed + len(specs),
        )
        spec.validate()
        specs.append(spec)
    if not specs:
        raise ModelError("the validation grid is empty")
    return tuple(specs)
