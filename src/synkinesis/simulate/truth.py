"""Ground truth of a simulated patient: the coupling matrix per side, pattern severities and
auto-scored items, on one day and after given treatments. Pure array maths.

Coupling (DESIGN.md): ``C[side][task, region]`` = how far the region moves from rest during
the task (change of its signal, :data:`~synkinesis.simulate.face.REGION_SIGNAL`, positive in
the region's active direction as in the analysis: negative when, e.g., the eye widens),
divided by that region's voluntary range on the same side of the same face when healthy (its
movement in :data:`~synkinesis.simulate.anatomy.REGION_RANGE_TASK`). A healthy face has ~1 on
the driver cells and small normal co-movement elsewhere (the eyes narrow on a big smile on both
sides). A pattern's severity is the mean excess of its cells over the healthy face's cells
(in fractions of the voluntary range, active direction only), so normal co-movement does not
count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synkinesis.regions import SIDES
from synkinesis.simulate.anatomy import (
    MUSCLES,
    PATTERN_CELLS,
    REGION_RANGE_TASK,
    REGIONS,
    TASK_DRIVER,
    TASKS,
    Parameter,
    command_matrix,
)
from synkinesis.simulate.face import displace, region_movements, region_values
from synkinesis.simulate.nerve import Nerve, drive_at
from synkinesis.simulate.treatments import Treatment

__all__ = [
    "GRADES",
    "GRADE_THRESHOLDS",
    "GroundTruth",
    "SUNNYBROOK_SYNKINESIS_TASKS",
    "ground_truth",
    "grade",
    "task_activations",
]

#: Pattern excess (fraction of the voluntary range) at which none/mild/moderate/severe start.
GRADE_THRESHOLDS = Parameter(0.1, "fraction of voluntary range", "assumption",
                             "mild >= 0.10, moderate >= 0.25, severe >= 0.50")
_THRESHOLDS = (0.10, 0.25, 0.50)
GRADES: tuple[str, ...] = ("none", "mild", "moderate", "severe")

#: Sunnybrook synkinesis is graded 0..3 on five expressions [V]; their protocol tasks.
SUNNYBROOK_SYNKINESIS_TASKS: dict[str, str] = {
    "brow_lift": "brow_raise",
    "gentle_eye_closure": "gentle_eye_closure",
    "open_mouth_smile": "big_smile",
    "snarl": "snarl",
    "lip_pucker": "pucker",
}
#: mm of palpebral-fissure difference between sides per Sunnybrook synkinesis point [V].
MM_PER_SUNNYBROOK_POINT = {"big_smile": 0.77, "pucker": 1.0}


def grade(excess: float) -> int:
    """0..3 (none, mild, moderate, severe) for an excess in fractions of the voluntary range."""
    return int(np.searchsorted(_THRESHOLDS, excess, side="right"))


def task_activations(
    nerve: Nerve, side: str, day: float, *, treatments: tuple[Treatment, ...] = ()
) -> np.ndarray:
    """(9, 16) muscle activations (0..1) at the peak of each task, rest first.

    Parameters
    ----------
    nerve : Nerve
    side : {"left", "right"}
    day : float, days since the injury
    treatments : treatments in force (those on other sides are ignored)
    """
    return drive_at(nerve, side, day, treatments=treatments).activation(command_matrix())


@dataclass(frozen=True)
class GroundTruth:
    """What is true about a simulated patient on one day.

    Attributes
    ----------
    day : float, days since the injury
    coupling : dict side -> (9, 8) array
        ``C[task, region]`` (:data:`TASKS` x :data:`REGIONS`), fractions of the region's
        voluntary range.
    healthy_coupling : dict side -> (9, 8) array
        The same face with no injury and no treatment.
    movement : dict side -> (9, 8) array
        Region movement from rest, positive in the active direction (mm; neck in platysma
        activation units).
    activation : dict side -> (9, 16) array
        Muscle activations at each task's peak.
    voluntary_range : dict side -> (8,) array
        The normalising movement of each region (mm; neck: activation).
    resting_offset : dict side -> (8,) array
        Region values at rest minus the healthy face's (mm; resting hypertonicity narrows the
        eye, shortens the nasolabial fold, lifts the mouth corner's neighbours).
    patterns : dict side -> dict pattern -> float
        Mean excess of the pattern's cells over the healthy face's.
    items : dict side -> dict
        Auto-scored items: Sunnybrook synkinesis grades (0..3) per expression and their sum,
        eFACE ocular synkinesis (0..100, this side against the other), and Sunnybrook points
        from the fissure difference in smile and pucker (0.77 and 1.0 mm per point [V]).
    injured_sides : tuple of str
    """

    day: float
    coupling: dict[str, np.ndarray]
    healthy_coupling: dict[str, np.ndarray]
    movement: dict[str, np.ndarray]
    activation: dict[str, np.ndarray]
    voluntary_range: dict[str, np.ndarray]
    resting_offset: dict[str, np.ndarray]
    patterns: dict[str, dict[str, float]]
    items: dict[str, dict[str, Any]]
    injured_sides: tuple[str, ...]

    def pattern_grades(self) -> dict[str, dict[str, str]]:
        """side -> pattern -> none/mild/moderate/severe."""
        return {side: {name: GRADES[grade(value)] for name, value in patterns.items()}
                for side, patterns in self.patterns.items()}

    @property
    def affected_side(self) -> str | None:
        """The injured side when exactly one side is injured, else None."""
        return self.injured_sides[0] if len(self.injured_sides) == 1 else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (matrices as nested lists, with their axis names)."""
        def matrices(values: dict[str, np.ndarray]) -> dict[str, list]:
            return {side: np.round(m, 6).tolist() for side, m in values.items()}

        return {
            "day": self.day,
            "tasks": list(TASKS),
            "regions": list(REGIONS),
            "muscles": list(MUSCLES),
            "coupling": matrices(self.coupling),
            "healthy_coupling": matrices(self.healthy_coupling),
            "movement": matrices(self.movement),
            "activation": matrices(self.activation),
            "voluntary_range": matrices(self.voluntary_range),
            "resting_offset": matrices(self.resting_offset),
            "patterns": {side: {k: round(v, 6) for k, v in p.items()}
                         for side, p in self.patterns.items()},
            "pattern_grades": self.pattern_grades(),
            "items": self.items,
            "injured_sides": list(self.injured_sides),
            "affected_side": self.affected_side,
        }


def _movements(face_mm: np.ndarray, fields: np.ndarray,
               activation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """activation (9, 2, 16) -> region movement (9, 2, 8) and region values (9, 2, 8)."""
    heads = displace(face_mm, fields, activation)
    moved = region_movements(heads, heads[0], activation, activation[0])
    return moved, region_values(heads, activation)


def ground_truth(
    nerve: Nerve,
    *,
    day: float,
    face_mm: np.ndarray,
    fields: np.ndarray,
    treatments: tuple[Treatment, ...] = (),
) -> GroundTruth:
    """The true coupling, patterns and items of a simulated patient on ``day``.

    Parameters
    ----------
    nerve : Nerve
    day : float, days since the injury
    face_mm : (478, 3) array, mm
        Neutral face (head frame) on which movements are measured; the canonical face gives a
        truth that does not depend on a photo and is exactly mirror-symmetric.
    fields : (2, 16, 478, 3) array from :func:`~synkinesis.simulate.face.muscle_fields`
    treatments : treatments given so far

    Returns
    -------
    GroundTruth
    """
    activation = np.stack([task_activations(nerve, side, day, treatments=tuple(treatments))
                           for side in SIDES], axis=1)
    healthy_activation = np.repeat(command_matrix()[:, None, :], len(SIDES), axis=1)
    moved, values = _movements(face_mm, fields, activation)
    healthy_moved, healthy_values = _movements(face_mm, fields, healthy_activation)
    range_rows = [TASKS.index(REGION_RANGE_TASK[region]) for region in REGIONS]
    columns = np.arange(len(REGIONS))
    eye = REGIONS.index("eye")
    out: dict[str, dict[str, Any]] = {k: {} for k in
                                      ("coupling", "healthy", "movement", "range", "activation",
                                       "offset")}
    patterns: dict[str, dict[str, float]] = {}
    items: dict[str, dict[str, Any]] = {}
    for s, side in enumerate(SIDES):
        voluntary = healthy_moved[range_rows, s, columns]
        coupling = moved[:, s, :] / voluntary
        healthy = healthy_moved[:, s, :] / voluntary
        # movement against a region's active direction is not co-movement (a weaker lower-lip
        # rise in a smile is not excess): compare the active parts only
        excess = np.maximum(np.maximum(coupling, 0.0) - np.maximum(healthy, 0.0), 0.0)
        out["coupling"][side], out["healthy"][side] = coupling, healthy
        out["movement"][side], out["range"][side] = moved[:, s, :], voluntary
        out["activation"][side] = activation[:, s, :]
        out["offset"][side] = np.nan_to_num(values[0, s, :] - healthy_values[0, s, :])
        patterns[side] = {
            name: float(np.mean([excess[TASKS.index(t), REGIONS.index(r)] for t, r in cells]))
            for name, cells in PATTERN_CELLS.items()}
        sunnybrook = {}
        for item, task in SUNNYBROOK_SYNKINESIS_TASKS.items():
            row = excess[TASKS.index(task)].copy()
            row[REGIONS.index(TASK_DRIVER[task])] = 0.0
            sunnybrook[item] = grade(float(row.max()))
        fissure = values[:, s, eye]
        other_fissure = values[:, 1 - s, eye]
        ratios = [fissure[TASKS.index(t)] / other_fissure[TASKS.index(t)]
                  for t in MM_PER_SUNNYBROOK_POINT]
        points = {t: int(np.clip(np.round((other_fissure[TASKS.index(t)]
                                           - fissure[TASKS.index(t)]) / mm), 0, 3))
                  for t, mm in MM_PER_SUNNYBROOK_POINT.items()}
        items[side] = {
            "sunnybrook_synkinesis": sunnybrook,
            "sunnybrook_synkinesis_sum": int(sum(sunnybrook.values())),
            "eface_ocular_synkinesis": float(np.clip(100.0 * min(ratios), 0.0, 100.0)),
            "ocular_synkinesis_points_from_fissure": points,
        }
    return GroundTruth(
        day=float(day),
        coupling=out["coupling"],
        healthy_coupling=out["healthy"],
        movement=out["movement"],
        activation=out["activation"],
        voluntary_range=out["range"],
        resting_offset=out["offset"],
        patterns=patterns,
        items=items,
        injured_sides=tuple(sorted({injury.side for injury in nerve.injuries
                                    if injury.severity > 0})),
    )
