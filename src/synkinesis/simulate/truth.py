"""Ground truth of a simulated patient: the coupling matrix per side, pattern severities and
auto-scored items, on one day and after given treatments. Pure array maths.

Coupling (DESIGN.md): ``C[side][task, region]`` = how far the region moves from rest during
the task (change of its signal, :data:`~synkinesis.simulate.face.REGION_SIGNAL`, positive in
the region's active direction as in the analysis: negative when, e.g., the eye widens),
divided by that region's voluntary range on the same side of the same face when healthy (its
movement in :data:`~synkinesis.simulate.anatomy.REGION_RANGE_TASK`). A healthy face has ~1 on
the driver cells and small normal co-movement elsewhere (the eyes narrow on a big smile on both
sides).

Patterns and the Sunnybrook synkinesis items are graded on the TRUE movements with the truth's
OWN table and arithmetic (:data:`TRUTH_PATTERNS`, :data:`TRUTH_WATCH_ANCHORS`), restated from
CLINICAL.md and not read from :mod:`synkinesis.findings`: the validation compares the analysis
with this truth, and a wrong anchor or grading rule shared by both would cancel out
(issue 19). For each side, the excess of its active movement over the other side's in each
task (mm; movement against the active direction counts as 0 on both sides) is converted to
Sunnybrook points (palpebral fissure 0.77 mm per point in smile, 1.0 mm in pucker [V,
CLINICAL.md]; the other anchors are [U] project defaults, the same numbers the analysis uses,
and a test says when the two tables part) and graded by the nearest whole point, 0..3
(Sunnybrook's none / mild / moderate / severe). A user's anchor overrides and severity cuts
(:class:`synkinesis.findings.FindingOptions`) are a clinical convention both sides share, so
they apply here too. The truth has no noise floor. Normal co-movement is on both sides and
cancels; a healthy face reads none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synkinesis.findings import FindingOptions
from synkinesis.protocol import TASKS as PROTOCOL_TASKS
from synkinesis.protocol import get_task
from synkinesis.regions import SIDES
from synkinesis.simulate.anatomy import (
    MUSCLES,
    REGION_RANGE_TASK,
    REGIONS,
    TASKS,
    command_matrix,
)
from synkinesis.simulate.face import displace, region_movements, region_values
from synkinesis.simulate.nerve import Nerve, drive_at
from synkinesis.simulate.treatments import Treatment

__all__ = [
    "GroundTruth",
    "PATTERNS",
    "PATTERN_CELLS",
    "SUNNYBROOK_SYNKINESIS_TASKS",
    "ground_truth",
    "task_activations",
]

#: Grades of the Sunnybrook synkinesis items, 0..3 [V].
GRADES: tuple[str, ...] = ("none", "mild", "moderate", "severe")

_MOUTH_TASKS = ("closed_smile", "big_smile", "pucker", "eee", "speech", "snarl")
_EYE_DRIVEN = ("gentle_eye_closure", "tight_eye_closure", "brow_raise")

#: The truth's pattern table (DESIGN.md, CLINICAL.md): name -> (watched region, task -> mm of
#: excess per Sunnybrook point). Ocular-oral: 0.77 mm palpebral fissure per point in smile,
#: 1.0 mm in pucker [V, 29 patients]; the other mouth tasks use the smile anchor [U].
#: Oral-ocular 1.5 mm of mouth corner, mentalis 1.0 mm of chin, platysmal proxy 1.0 mm of lower
#: lip in a closed smile, nasolabial 1.0 mm of the alar-base-to-corner line [U, project
#: defaults].
TRUTH_PATTERNS: dict[str, tuple[str, dict[str, float]]] = {
    "ocular_oral": ("eye", {task: 1.0 if task == "pucker" else 0.77 for task in _MOUTH_TASKS}),
    "oral_ocular": ("mouth_corner", dict.fromkeys(_EYE_DRIVEN, 1.5)),
    "mentalis": ("chin", dict.fromkeys(("closed_smile", "big_smile", "eee",
                                        "gentle_eye_closure", "tight_eye_closure"), 1.0)),
    "platysmal": ("lower_lip", {"closed_smile": 1.0}),
    "nasolabial": ("nasolabial", dict.fromkeys(_EYE_DRIVEN, 1.0)),
}

#: mm of excess per Sunnybrook point of each watched region for the synkinesis items (the eye
#: in pucker: 1.0 mm [V]; others as :data:`TRUTH_PATTERNS`; brow and upper lip 1.0 mm [U]).
TRUTH_WATCH_ANCHORS: dict[str, float] = {
    "eye": 0.77, "mouth_corner": 1.5, "chin": 1.0, "nasolabial": 1.0, "lower_lip": 1.0,
    "upper_lip": 1.0, "brow": 1.0}

#: The named patterns.
PATTERNS: tuple[str, ...] = tuple(TRUTH_PATTERNS)

#: Each pattern's coupling cells (task, region) among the simulated tasks (DESIGN.md):
#: ocular-oral = eye in the mouth tasks and snarl, oral-ocular = mouth corner in the eye tasks,
#: mentalis = chin in smiles, "EEE" and closures, platysmal = the analysis' proxy (lower lip in
#: a closed smile; the platysma itself is the neck column), nasolabial = nasolabial line in the
#: eye tasks.
PATTERN_CELLS: dict[str, tuple[tuple[str, str], ...]] = {
    name: tuple((task, region) for task in anchors if task in TASKS)
    for name, (region, anchors) in TRUTH_PATTERNS.items()}


def truth_grade(points: float, cuts: tuple[float, float, float] = (0.5, 1.5, 2.5)) -> int:
    """Sunnybrook synkinesis grade 0..3 of an excess in points: the nearest whole point
    (``cuts``: where mild, moderate and severe start)."""
    return int(sum(points >= cut for cut in cuts)) if np.isfinite(points) else 0

#: Sunnybrook synkinesis is graded 0..3 on five expressions [V]: expression (the Sunnybrook
#: scale's item key, ``synkinesis_<expression>``) -> protocol task.
SUNNYBROOK_SYNKINESIS_TASKS: dict[str, str] = {
    task.sunnybrook: task.name for task in PROTOCOL_TASKS if task.sunnybrook is not None}


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
        ``C[task, region]`` (:data:`~synkinesis.simulate.anatomy.TASKS` x
        :data:`~synkinesis.simulate.anatomy.REGIONS`), fractions of the region's voluntary
        range.
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
    excess_mm : dict side -> (9, 8) array
        Active movement of this side minus the other side's (each clipped at 0 first), mm;
        neck: platysma activation. The true counterpart of
        :attr:`synkinesis.coupling.Coupling.excess_mm`.
    patterns : dict side -> dict pattern -> float
        Index of each :data:`PATTERNS` entry with this side taken as affected, Sunnybrook
        points: the largest ``excess_mm / mm per point`` over the pattern's tasks
        (:data:`TRUTH_PATTERNS`); negative when the other side moves more.
    severities : dict side -> dict pattern -> str
        none / mild / moderate / severe from the index (no noise floor).
    items : dict side -> dict
        Auto-scored items: Sunnybrook synkinesis grades (0..3) per expression
        (:data:`SUNNYBROOK_SYNKINESIS_TASKS`), their points (the task's largest watched-region
        excess, :data:`TRUTH_WATCH_ANCHORS`) and their sum; eFACE
        ocular synkinesis (0..100, this side against the other: 100 x min fissure ratio in big smile
        and pucker [V formula]).
    injured_sides : tuple of str
    """

    day: float
    coupling: dict[str, np.ndarray]
    healthy_coupling: dict[str, np.ndarray]
    movement: dict[str, np.ndarray]
    activation: dict[str, np.ndarray]
    voluntary_range: dict[str, np.ndarray]
    resting_offset: dict[str, np.ndarray]
    excess_mm: dict[str, np.ndarray]
    patterns: dict[str, dict[str, float]]
    severities: dict[str, dict[str, str]]
    items: dict[str, dict[str, Any]]
    injured_sides: tuple[str, ...]

    def pattern_grades(self) -> dict[str, dict[str, int]]:
        """side -> pattern -> 0..3 (none, mild, moderate, severe)."""
        return {side: {name: GRADES.index(severity) for name, severity in by_name.items()}
                for side, by_name in self.severities.items()}

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
            "excess_mm": matrices(self.excess_mm),
            "patterns": {side: {k: round(v, 6) for k, v in p.items()}
                         for side, p in self.patterns.items()},
            "pattern_index_unit": "Sunnybrook synkinesis points (this side against the other)",
            "pattern_severities": self.severities,
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
    options: FindingOptions = FindingOptions(),
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
    options : FindingOptions
        The analysis' anchors and severity cuts used to grade patterns and items (use the
        same options as the analysis the truth is compared with).

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
                                       "offset", "excess")}
    patterns: dict[str, dict[str, float]] = {}
    severities: dict[str, dict[str, str]] = {}
    items: dict[str, dict[str, Any]] = {}
    # movement against a region's active direction is not co-movement (a lower lip that rises
    # in a smile is not excess): each side's active part only, as the analysis does
    active = np.maximum(moved, 0.0)
    for s, side in enumerate(SIDES):
        voluntary = healthy_moved[range_rows, s, columns]
        excess = active[:, s, :] - active[:, 1 - s, :]
        out["coupling"][side] = moved[:, s, :] / voluntary
        out["healthy"][side] = healthy_moved[:, s, :] / voluntary
        out["movement"][side], out["range"][side] = moved[:, s, :], voluntary
        out["activation"][side] = activation[:, s, :]
        out["offset"][side] = np.nan_to_num(values[0, s, :] - healthy_values[0, s, :])
        out["excess"][side] = excess
        patterns[side], severities[side] = {}, {}
        for name, (region, anchors) in TRUTH_PATTERNS.items():
            r = REGIONS.index(region)
            override = options.anchor_overrides.get(name)
            points = [float(excess[TASKS.index(task), r]) / (override or anchor)
                      for task, anchor in anchors.items() if task in TASKS]
            index = max(points) if points else float("nan")
            patterns[side][name] = index
            severities[side][name] = GRADES[truth_grade(index, options.severity_cuts)]
        sunnybrook, sunnybrook_points = {}, {}
        for expression, task in SUNNYBROOK_SYNKINESIS_TASKS.items():
            t = TASKS.index(task)
            points = 0.0
            for region in get_task(task).watched:
                if region not in TRUTH_WATCH_ANCHORS or region not in REGIONS:
                    continue
                anchor = 1.0 if (region == "eye" and task == "pucker") else \
                    TRUTH_WATCH_ANCHORS[region]
                points = max(points, float(excess[t, REGIONS.index(region)]) / anchor)
            sunnybrook_points[expression] = round(points, 6)
            sunnybrook[expression] = truth_grade(points, options.severity_cuts)
        fissure = values[:, s, eye]
        other_fissure = values[:, 1 - s, eye]
        ratios = [fissure[TASKS.index(t)] / other_fissure[TASKS.index(t)]
                  for t in ("big_smile", "pucker")]
        items[side] = {
            "sunnybrook_synkinesis": sunnybrook,
            "sunnybrook_synkinesis_points": sunnybrook_points,
            "sunnybrook_synkinesis_sum": int(sum(sunnybrook.values())),
            "eface_ocular_synkinesis": float(np.clip(100.0 * min(ratios), 0.0, 100.0)),
        }
    return GroundTruth(
        day=float(day),
        coupling=out["coupling"],
        healthy_coupling=out["healthy"],
        movement=out["movement"],
        activation=out["activation"],
        voluntary_range=out["range"],
        resting_offset=out["offset"],
        excess_mm=out["excess"],
        patterns=patterns,
        severities=severities,
        items=items,
        injured_sides=tuple(sorted({injury.side for injury in nerve.injuries
                                    if injury.severity > 0})),
    )
