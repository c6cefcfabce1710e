"""Fit the model to a measured patient, so that predictions can start from a real face.

The target is the patient's left-right asymmetry, cell by cell: for each task and region,
``(active movement of the affected side - that of the healthy side) / the healthy side's
voluntary range of the region`` (movements in the region's active direction, clipped at 0;
the voluntary range is the movement in :data:`~synkinesis.simulate.anatomy.REGION_RANGE_TASK`).
Dividing by the patient's own healthy side makes the target free of face size, effort and the
model's displacement amplitudes, which are the least certain numbers of the model. The model's
same quantity is computed from its truth on the canonical face, and the injury severity,
misrouting and collateral sprouting are searched on a grid, then refined around the best cell.
Pure; with a fixed seed the search is deterministic.

The fit is underdetermined in places (severity and misrouting trade off when there is little
weakness to see); :class:`FitResult` keeps the error so callers can say how well it matches.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np

from synkinesis.regions import SIDES, other_side
from synkinesis.simulate.anatomy import REGION_RANGE_TASK, REGIONS, TASKS
from synkinesis.simulate.nerve import Injury, ModelError
from synkinesis.simulate.patient import SimulationSpec, build_nerve
from synkinesis.simulate.truth import ground_truth

__all__ = ["FitResult", "asymmetry", "fit_patient"]

#: Smallest healthy voluntary range used as a denominator, mm (below it the region barely
#: moves and the ratio is noise).
MIN_RANGE_MM = 0.5


def asymmetry(affected_mm: np.ndarray, healthy_mm: np.ndarray) -> np.ndarray:
    """Asymmetry of the affected side in fractions of the healthy side's voluntary range.

    Parameters
    ----------
    affected_mm, healthy_mm : (9, 8) arrays, mm
        Movement per task (:data:`TASKS`) and region (:data:`REGIONS`), in the region's active
        direction; NaN where not measured.

    Returns
    -------
    (9, 8) array
        NaN in the rest row, the neck column, unmeasured cells and regions whose healthy range
        is below :data:`MIN_RANGE_MM`.
    """
    affected = np.maximum(np.asarray(affected_mm, dtype=float), 0.0)
    healthy = np.maximum(np.asarray(healthy_mm, dtype=float), 0.0)
    rows = [TASKS.index(REGION_RANGE_TASK[region]) for region in REGIONS]
    ranges = healthy[rows, np.arange(len(REGIONS))]
    ranges = np.where(ranges >= MIN_RANGE_MM, ranges, np.nan)
    out = (affected - healthy) / ranges[None, :]
    out[TASKS.index("rest"), :] = np.nan
    out[:, REGIONS.index("neck")] = np.nan
    return out


@dataclass(frozen=True)
class FitResult:
    """The best-fitting simulated patient.

    Attributes
    ----------
    spec : SimulationSpec
        Injury (side, proximal, severity), misrouting and collateral sprouts found; the other
        parameters are the defaults.
    error : float
        RMS difference between model and target asymmetry over the measured cells (fractions of
        the healthy range).
    target, model : (9, 8) arrays
        Target and fitted asymmetry (:func:`asymmetry`).
    cells : int
        Number of cells compared.
    """

    spec: SimulationSpec
    error: float
    target: np.ndarray
    model: np.ndarray
    cells: int


def _model_asymmetry(spec: SimulationSpec, side: str, face_mm: np.ndarray,
                     fields: np.ndarray) -> np.ndarray:
    truth = ground_truth(build_nerve(spec), day=spec.day, face_mm=face_mm, fields=fields)
    return asymmetry(truth.movement[side], truth.movement[other_side(side)])


def fit_patient(
    movement_mm: dict[str, np.ndarray],
    *,
    side: str,
    face_mm: np.ndarray,
    fields: np.ndarray,
    day: float = 365.0,
    seed: int = 0,
    severities: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
    misrouting: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
    sprouts: tuple[float, ...] = (0.5, 1.5, 3.0),
) -> FitResult:
    """Find the proximal injury of ``side`` whose asymmetry best matches a measured patient.

    Parameters
    ----------
    movement_mm : dict side -> (9, 8) array, mm
        Measured movement per task and region in the active direction (e.g. the analysis'
        ``coupling.movement_mm`` placed in :data:`TASKS` x :data:`REGIONS` order), NaN where
        not measured.
    side : {"left", "right"}
        The affected side.
    face_mm, fields
        Face and fields the model's movements are measured on (the canonical face is fine:
        the target is relative to the healthy side).
    day : float
        Days since the injury (chronic synkinesis: ~1 year or more).
    seed : int
        Seed of the model's wiring (fixed during the search).
    severities, misrouting, sprouts : grids searched first

    Returns
    -------
    FitResult
    """
    if side not in SIDES:
        raise ModelError(f"unknown side {side!r}; expected one of left, right")
    target = asymmetry(movement_mm[side], movement_mm[other_side(side)])
    measured = np.isfinite(target)
    if measured.sum() < 5:
        raise ModelError("too few measured cells to fit the model (need at least 5 tasks x "
                         "regions with a healthy-side range)")

    def score(severity: float, route: float, sprout: float) -> tuple[float, SimulationSpec,
                                                                     np.ndarray]:
        base = SimulationSpec()
        spec = SimulationSpec(
            injuries=(Injury(side, "proximal", float(np.clip(severity, 0, 1))),),
            regrowth=replace(base.regrowth, misrouting=float(np.clip(route, 0, 1)),
                             collateral_sprouts=float(max(sprout, 0.0))),
            day=day, seed=seed)
        model = _model_asymmetry(spec, side, face_mm, fields)
        both = measured & np.isfinite(model)
        error = float(np.sqrt(np.mean((model[both] - target[both]) ** 2))) if both.any() \
            else np.inf
        return error, spec, model

    best = min((score(*point) for point in itertools.product(severities, misrouting, sprouts)),
               key=lambda item: item[0])
    injury = best[1].injuries[0]
    regrowth = best[1].regrowth
    step = 0.05
    refined = itertools.product(
        (injury.severity - step, injury.severity, injury.severity + step),
        (regrowth.misrouting - step, regrowth.misrouting, regrowth.misrouting + step),
        (regrowth.collateral_sprouts * 0.75, regrowth.collateral_sprouts,
         regrowth.collateral_sprouts * 1.25))
    best = min([best, *(score(*point) for point in refined)], key=lambda item: item[0])
    error, spec, model = best
    return FitResult(spec=spec, error=error, target=target, model=model,
                     cells=int((measured & np.isfinite(model)).sum()))
