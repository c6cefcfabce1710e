"""Validation of the analysis against simulated patients whose synkinesis is known.

Each case of a grid (injury severity, misrouting, side, head motion, tracker noise) is simulated
on a real neutral face, written through the measure path (temporary ``.synk`` files: this module
does file I/O, unlike the rest of the package), analysed with its protocol spans, and compared
with its ground truth measured on the same face:

- recovery error per coupling cell: analysed - true movement, mm, both in the region's active
  direction; the truth is clipped at 0 because the analysis' sustained level of a movement
  against the active direction is ~0 (the task's still frames); the neck has no landmark and is
  skipped;
- pattern sensitivity and specificity per side: a pattern is truly present when its true
  grade is at least mild (:data:`~synkinesis.simulate.truth.GRADE_THRESHOLDS`), detected when
  the analysis grades it at least mild on that side;
- affected-side accuracy: the analysis names the injured side (None for a healthy face).
"""

from __future__ import annotations

import itertools
import tempfile
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from synkinesis.regions import SIDES
from synkinesis.simulate.anatomy import PATTERNS, REGIONS, TASKS
from synkinesis.simulate.face import NeutralFace, muscle_fields
from synkinesis.simulate.nerve import Injury, ModelError
from synkinesis.simulate.patient import SimulationSpec, build_nerve, truth_on_day
from synkinesis.simulate.recording import synthesize_recording
from synkinesis.simulate.truth import ground_truth

__all__ = ["ValidationCase", "ValidationReport", "run_validation", "validation_grid"]

#: Analysis pattern names for the simulator's patterns (the analysis grades a platysmal proxy).
ANALYSIS_PATTERN = {"ocular_oral": "ocular_oral", "oral_ocular": "oral_ocular",
                    "mentalis": "mentalis", "platysmal": "platysmal"}


def validation_grid(
    *,
    severities: tuple[float, ...] = (0.0, 0.6, 0.95),
    misrouting: tuple[float, ...] = (0.4, 0.9),
    sides: tuple[str, ...] = ("left", "right"),
    head_motion_deg: tuple[float, ...] = (1.0, 4.0),
    noise_px: tuple[float, ...] = (0.3, 1.0),
    day: float = 365.0,
    seed: int = 0,
) -> tuple[SimulationSpec, ...]:
    """Simulation specs of every combination (a severity of 0 is one healthy face per motion
    and noise level, whatever the side and misrouting).

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
            timing=replace(base.timing, head_motion_deg=motion, noise_px=noise),
            seed=seed + len(specs),
        )
        spec.validate()
        specs.append(spec)
    if not specs:
        raise ModelError("the validation grid is empty")
    return tuple(specs)


@dataclass(frozen=True)
class ValidationCase:
    """One simulated patient compared with its analysis.

    Attributes
    ----------
    spec : SimulationSpec
    true_movement, measured_movement : dict side -> (9, 8) array, mm
        Truth on the same face (clipped at 0), and the analysis' sustained movement, both in the
        active direction (NaN: not analysed; the rest row and the neck column are NaN).
    true_grades, found_grades : dict side -> dict pattern -> int (0..3)
    true_side, found_side : str or None
    """

    spec: SimulationSpec
    true_movement: dict[str, np.ndarray]
    measured_movement: dict[str, np.ndarray]
    true_grades: dict[str, dict[str, int]]
    found_grades: dict[str, dict[str, int]]
    true_side: str | None
    found_side: str | None


@dataclass(frozen=True)
class ValidationReport:
    """Summary of a validation run.

    Attributes
    ----------
    cases : tuple of ValidationCase
    cell_error_mm : (9, 8) array
        Mean absolute recovery error per coupling cell over cases and sides, mm.
    cell_bias_mm : (9, 8) array
        Mean signed error (analysed - true), mm.
    sensitivity, specificity : dict pattern -> float (NaN when no positive/negative case)
    counts : dict pattern -> dict {"tp", "fp", "tn", "fn"}
    side_accuracy : float
        Fraction of cases whose affected side (or "none") the analysis named correctly.
    """

    cases: tuple[ValidationCase, ...]
    cell_error_mm: np.ndarray
    cell_bias_mm: np.ndarray
    sensitivity: dict[str, float]
    specificity: dict[str, float]
    counts: dict[str, dict[str, int]]
    side_accuracy: float

    def as_dict(self) -> dict[str, Any]:
        def clean(a: np.ndarray) -> list:
            return [[None if not np.isfinite(v) else round(float(v), 4) for v in row]
                    for row in a]

        return {
            "cases": len(self.cases),
            "tasks": list(TASKS), "regions": list(REGIONS),
            "cell_error_mm": clean(self.cell_error_mm),
            "cell_bias_mm": clean(self.cell_bias_mm),
            "sensitivity": self.sensitivity, "specificity": self.specificity,
            "counts": self.counts, "side_accuracy": self.side_accuracy,
        }


def _severity_grade(severity: str) -> int:
    order = ("none", "mild", "moderate", "severe")
    return order.index(severity) if severity in order else 0


def _grade_on_side(finding, side: str) -> int:
    """The analysis' grade (0..3) of a pattern with ``side`` taken as affected."""
    index = finding.index_by_side.get(side, np.nan) if finding.index_by_side else np.nan
    if not np.isfinite(index):
        return _severity_grade(finding.severity) if finding.side == side else 0
    return int(np.searchsorted((0.5, 1.5, 2.5), index, side="right"))


def compare_case(spec: SimulationSpec, face: NeutralFace, canonical_vertices: np.ndarray,
                 work_dir: Path) -> ValidationCase:
    """Simulate, measure, analyse and compare one case (writes one file in ``work_dir``)."""
    from synkinesis.analysis import analyze_measurement
    from synkinesis.simulate.io import write_simulation
    from synkinesis.simulate.truth import grade

    nerve = build_nerve(spec)
    _, recording_rng = spec.generators()
    fields = muscle_fields(canonical_vertices, face.head_mm)
    recording = synthesize_recording(nerve, face, fields, day=spec.day,
                                     treatments=spec.treatments, timing=spec.timing,
                                     rng=recording_rng)
    truth = ground_truth(nerve, day=spec.day, face_mm=face.head_mm, fields=fields,
                         treatments=spec.treatments)
    output = Path(work_dir) / f"case-{spec.seed}.synk"
    measurement = write_simulation(
        output, spec, recording,
        truth_on_day(nerve, spec.day, spec.treatments, canonical_vertices=canonical_vertices),
        face, face_truth=truth)
    spans = [{"task": s.task, "start_s": s.start_s, "end_s": s.end_s} for s in recording.spans]
    analysis = analyze_measurement(measurement, spans=spans)
    coupling = analysis.coupling
    measured = {side: np.full((len(TASKS), len(REGIONS)), np.nan) for side in SIDES}
    for i, task in enumerate(coupling.tasks):
        if task not in TASKS:
            continue
        for j, region in enumerate(coupling.regions):
            if region in REGIONS and region != "neck":
                for side in SIDES:
                    measured[side][TASKS.index(task), REGIONS.index(region)] = (
                        coupling.movement_mm[side][i, j])
    found = {}
    for side in SIDES:
        found[side] = {}
        for pattern in PATTERNS:
            try:
                finding = analysis.finding(ANALYSIS_PATTERN[pattern])
            except KeyError:
                found[side][pattern] = 0
                continue
            found[side][pattern] = _grade_on_side(finding, side)
    true_movement = {side: np.maximum(truth.movement[side], 0.0) for side in SIDES}
    for side in SIDES:
        true_movement[side][0, :] = np.nan
        true_movement[side][:, REGIONS.index("neck")] = np.nan
    output.unlink(missing_ok=True)
    return ValidationCase(
        spec=spec,
        true_movement=true_movement,
        measured_movement=measured,
        true_grades={side: {p: grade(v) for p, v in truth.patterns[side].items()}
                     for side in SIDES},
        found_grades=found,
        true_side=truth.affected_side,
        found_side=analysis.affected.side,
    )


def summarise_cases(cases: tuple[ValidationCase, ...]) -> ValidationReport:
    """Recovery error, sensitivity, specificity and side accuracy over cases."""
    errors = np.stack([case.measured_movement[side] - case.true_movement[side]
                       for case in cases for side in SIDES])
    with warnings.catch_warnings():  # all-NaN cells (rest row, neck) stay NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        cell_error = np.nanmean(np.abs(errors), axis=0)
        cell_bias = np.nanmean(errors, axis=0)
    counts: dict[str, dict[str, int]] = {}
    sensitivity: dict[str, float] = {}
    specificity: dict[str, float] = {}
    for pattern in PATTERNS:
        c = {"tp": 0, "fp": 0, "tn": 0, "fn": 0}
        for case in cases:
            for side in SIDES:
                truly = case.true_grades[side][pattern] >= 1
                found = case.found_grades[side][pattern] >= 1
                c[("t" if truly == found else "f") + ("p" if found else "n")] += 1
        counts[pattern] = c
        positives, negatives = c["tp"] + c["fn"], c["tn"] + c["fp"]
        sensitivity[pattern] = c["tp"] / positives if positives else float("nan")
        specificity[pattern] = c["tn"] / negatives if negatives else float("nan")
    side_accuracy = float(np.mean([case.found_side == case.true_side for case in cases]))
    return ValidationReport(cases=cases, cell_error_mm=cell_error, cell_bias_mm=cell_bias,
                            sensitivity=sensitivity, specificity=specificity, counts=counts,
                            side_accuracy=side_accuracy)


def run_validation(
    specs: tuple[SimulationSpec, ...],
    face: NeutralFace,
    *,
    canonical_vertices: np.ndarray,
    work_dir: Path | None = None,
    progress=None,
) -> ValidationReport:
    """Simulate, measure and analyse every case; see the module docstring.

    Parameters
    ----------
    specs : tuple of SimulationSpec, e.g. from :func:`validation_grid`
    face : NeutralFace
    canonical_vertices : (468, 3) array, cm
    work_dir : directory for the temporary result files (default: a temporary directory)
    progress : callable(int) or None, called with 1 after each case
    """
    with tempfile.TemporaryDirectory(dir=work_dir) as directory:
        cases = []
        for spec in specs:
            cases.append(compare_case(spec, face, canonical_vertices, Path(directory)))
            if progress is not None:
                progress(1)
    return summarise_cases(tuple(cases))
