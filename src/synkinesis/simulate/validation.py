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
  severity is at least mild, detected when the analysis grades it at least mild with that side
  taken as affected. Both grades come from the same code and the same clinical convention
  (:func:`synkinesis.findings.pattern_index_from_excess`: excess of one side over the other in
  mm, in Sunnybrook points by the [V]/[U] mm-per-point anchors of CLINICAL.md), the truth from
  the true movements without a noise floor, the analysis from the recording with its floor
  (what it reports); so disagreements are measurement error and the floor, not definitions.
  The same with the analysis' index alone (no floor) separates the two;
- severity agreement per pattern: the true x found grade table (none..severe), and the same for
  the five Sunnybrook synkinesis items (:func:`synkinesis.scales.automatic.task_synkinesis_points`
  against the truth's :func:`synkinesis.scales.automatic.watched_excess_points`);
- affected-side accuracy: the analysis names the injured side (None for a healthy face);
- why each truly present pattern was missed by the interval decision, and the eFACE
  synkinesis items against the truth: :mod:`synkinesis.simulate.grading`.
"""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from synkinesis.coupling import DEFAULT_HELD_LEVEL
from synkinesis.findings import SEVERITIES
from synkinesis.regions import SIDES
from synkinesis.simulate.anatomy import REGIONS, TASKS
from synkinesis.simulate.face import NeutralFace, muscle_fields
from synkinesis.simulate.grading import (  # noqa: F401  (re-exported)
    EFACE_SYNKINESIS_ITEMS,
    EFACE_TOLERANCE,
    MISS_REASONS,
    Miss,
    _rates,
    eface_agreement,
    interval_decisions,
    interval_misses,
    true_eface_items,
    why_missed,
)
from synkinesis.simulate.patient import SimulationSpec, build_nerve, truth_on_day
from synkinesis.simulate.recording import synthesize_recording
from synkinesis.simulate.scenarios import validation_grid  # noqa: F401  (re-exported)
from synkinesis.simulate.truth import PATTERNS, SUNNYBROOK_SYNKINESIS_TASKS, ground_truth

__all__ = ["MISS_REASONS", "Miss", "ValidationCase", "ValidationReport", "analysis_grades",
           "interval_misses", "run_validation", "validation_grid", "why_missed"]


@dataclass(frozen=True)
class ValidationCase:
    """One simulated patient compared with its analysis.

    Attributes
    ----------
    spec : SimulationSpec
    true_movement, measured_movement : dict side -> (9, 8) array, mm
        Truth on the same face (clipped at 0), and the analysis' sustained movement, both in the
        active direction (NaN: not analysed; the rest row and the neck column are NaN).
    true_index, found_index : dict side -> dict pattern -> float
        Pattern index with that side taken as affected, Sunnybrook points (found: NaN when
        not measurable).
    true_grades, found_grades : dict side -> dict pattern -> int (0..3)
    true_sunnybrook, found_sunnybrook : dict side -> dict expression -> int (0..3)
        Sunnybrook synkinesis grade of each expression with that side taken as affected
        (found: -1 when the task was not analysed).
    true_side, found_side : str or None
    interval_calls : dict side -> dict pattern -> (call, low class, high class), optional
        What ``synk analyze`` says with that side taken as affected: the severity decided from
        the index's 90 % interval (:func:`synkinesis.findings.severity_from_interval`; "uncertain"
        when the interval spans classes) and the classes of the interval's ends.
    leaning : str or None
        The side the analysis names, or leans to when it names none.
    interval_points : dict side -> dict pattern -> (low, high), optional
        The index's 90 % interval itself (:attr:`synkinesis.uncertainty.Uncertainty.indices`),
        Sunnybrook points, with that side taken as affected.
    mild_cuts : dict pattern -> float, optional
        Where the interval decision starts mild (points;
        :meth:`synkinesis.findings.FindingOptions.decision_cuts`; the first severity cut when
        missing).
    true_eface, found_eface : dict side -> dict item -> float, optional
        The eFACE synkinesis items (:data:`EFACE_SYNKINESIS_ITEMS`, 0..100, 100 normal) with
        that side taken as affected: the truth from the generative model (the ocular item from
        the true palpebral fissures, the others ``100 - POINTS_TO_EFACE * true index``), and
        what ``synk analyze`` estimates (NaN when it estimates none).
    """

    spec: SimulationSpec
    true_movement: dict[str, np.ndarray]
    measured_movement: dict[str, np.ndarray]
    true_index: dict[str, dict[str, float]]
    found_index: dict[str, dict[str, float]]
    true_grades: dict[str, dict[str, int]]
    found_grades: dict[str, dict[str, int]]
    true_sunnybrook: dict[str, dict[str, int]]
    found_sunnybrook: dict[str, dict[str, int]]
    true_side: str | None
    found_side: str | None
    interval_calls: dict[str, dict[str, tuple[str, str, str]]] | None = None
    leaning: str | None = None
    interval_points: dict[str, dict[str, tuple[float, float]]] | None = None
    mild_cuts: dict[str, float] | None = None
    true_eface: dict[str, dict[str, float]] | None = None
    found_eface: dict[str, dict[str, float]] | None = None


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
    index_sensitivity, index_specificity : dict pattern -> float
        The same when the analysis' grade is taken from its index alone, without its noise
        floor (:func:`synkinesis.findings.points_grade`).
    severity_table : dict pattern -> (4, 4) int array
        Case-sides by true grade (rows) and found grade (columns), none..severe.
    severity_agreement : dict pattern -> float
        Fraction of case-sides whose found grade equals the true grade.
    index_bias : dict pattern -> float
        Mean found - true index (each clipped at 0) over the case-sides where the pattern is
        truly present, Sunnybrook points (NaN when it is never present).
    sunnybrook_table : (4, 4) int array
        The same table for the Sunnybrook synkinesis items, all five expressions pooled.
    side_accuracy : float
        Fraction of cases whose affected side (or "none") the analysis named correctly.
    decisions : dict pattern -> dict
        The interval decisions (issue 19 targets), when the cases have them: ``sensitivity``
        (truly present and the interval's low end at least mild), ``specificity`` (truly absent
        and the low end none), ``uncertain`` (fraction of case-sides whose call is
        "uncertain"), ``side`` (of the case-sides found, the fraction on the injured side that
        the analysis names or leans to), ``within_one`` (found class within one of the true
        class; the found class is the call, or for an uncertain call the index's class within
        its interval's classes), ``spearman`` (found against true index); and the misses
        (``fn``) by why (:func:`why_missed`): ``called_none`` (false reassurance: the whole
        interval below mild although the truth is at least mild), ``below_resolution``,
        ``reads_low``, ``low_tail`` and ``no_interval``.
    misses : tuple of Miss
        Every miss of the interval decisions, with why (:func:`interval_misses`).
    eface_within : dict item -> (within, estimated, within where present, present), optional
        Per eFACE synkinesis item, of the case-sides where the analysis estimates it, how many
        lie within :data:`EFACE_TOLERANCE` points of the truth (issue 19: within 10); then the
        same over the case-sides whose true item is more than the tolerance below 100
        (synkinesis present).
    """

    cases: tuple[ValidationCase, ...]
    cell_error_mm: np.ndarray
    cell_bias_mm: np.ndarray
    sensitivity: dict[str, float]
    specificity: dict[str, float]
    counts: dict[str, dict[str, int]]
    index_sensitivity: dict[str, float]
    index_specificity: dict[str, float]
    severity_table: dict[str, np.ndarray]
    severity_agreement: dict[str, float]
    index_bias: dict[str, float]
    sunnybrook_table: np.ndarray
    side_accuracy: float
    decisions: dict[str, dict[str, float]] | None = None
    misses: tuple[Miss, ...] = ()
    eface_within: dict[str, tuple[int, int, int, int]] | None = None
    noise_floor: str = "window"
    combine: str = "best"
    held_level: str = DEFAULT_HELD_LEVEL

    def setting(self) -> dict[str, Any]:
        """What the grid was recorded and analysed with: repetitions per task, the face's
        width in pixels and the frame (0: the neutral face's own), the analysis' noise floor,
        how it combines repetitions and how it reads a held level."""
        timings = [case.spec.timing for case in self.cases]
        return {"repetitions": sorted({t.repetitions for t in timings}),
                "face_px": sorted({t.face_px for t in timings}),
                "frame": sorted({f"{t.frame_width}x{t.frame_height}" for t in timings}),
                "noise_px": sorted({t.noise_px for t in timings}),
                "head_motion_deg": sorted({t.head_motion_deg for t in timings}),
                "seeds": [min(c.spec.seed for c in self.cases),
                          max(c.spec.seed for c in self.cases)] if self.cases else [],
                "noise_floor": self.noise_floor, "combine_repetitions": self.combine,
                "held_level": self.held_level}

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (NaN as None)."""
        def clean(a: np.ndarray) -> list:
            return [[None if not np.isfinite(v) else round(float(v), 4) for v in row]
                    for row in a]

        def values(by_pattern: dict[str, float]) -> dict[str, float | None]:
            return {k: None if not np.isfinite(v) else round(float(v), 4)
                    for k, v in by_pattern.items()}

        return {
            "cases": len(self.cases),
            "setting": self.setting(),
            "tasks": list(TASKS), "regions": list(REGIONS),
            "cell_error_mm": clean(self.cell_error_mm),
            "cell_bias_mm": clean(self.cell_bias_mm),
            "sensitivity": values(self.sensitivity), "specificity": values(self.specificity),
            "counts": self.counts,
            "index_sensitivity": values(self.index_sensitivity),
            "index_specificity": values(self.index_specificity),
            "grades": list(SEVERITIES),
            "severity_table": {p: t.tolist() for p, t in self.severity_table.items()},
            "severity_agreement": values(self.severity_agreement),
            "index_bias": values(self.index_bias),
            "sunnybrook_table": self.sunnybrook_table.tolist(),
            "side_accuracy": self.side_accuracy,
            "decisions": None if self.decisions is None else {
                p: values(d) for p, d in self.decisions.items()},
            "misses": [{"seed": m.seed, "side": m.side, "pattern": m.pattern, "call": m.call,
                        "low": _rounded(m.low), "high": _rounded(m.high),
                        "true_index": _rounded(m.true_index),
                        "found_index": _rounded(m.found_index), "mild_cut": m.mild_cut,
                        "reason": m.reason, "text": m.text} for m in self.misses],
            "eface_within": None if self.eface_within is None else {
                k: {"within": w, "estimated": n, "within_present": wp, "present": npr}
                for k, (w, n, wp, npr) in self.eface_within.items()},
        }


def _rounded(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 4)


def analysis_grades(coupling, *, options=None) -> tuple[dict[str, dict[str, float]],
                                                         dict[str, dict[str, int]],
                                                         dict[str, dict[str, int]]]:
    """The analysis' pattern indices and grades, and Sunnybrook synkinesis grades, with each
    side taken as affected (what :func:`synkinesis.findings.find_patterns` and
    :func:`synkinesis.scales.automatic.estimate_sunnybrook` report for that side, noise floor
    included).

    Parameters
    ----------
    coupling : synkinesis.coupling.Coupling
    options : synkinesis.findings.FindingOptions, default options if None

    Returns
    -------
    index : dict side -> dict pattern -> float (points; NaN: not measurable)
    grades : dict side -> dict pattern -> int (0..3; 0 when not measurable)
    sunnybrook : dict side -> dict expression -> int (0..3; -1 when the task is missing)
    """
    from synkinesis.findings import (
        FindingOptions,
        pattern_excess_mm,
        pattern_index_from_excess,
        pattern_points,
        points_grade,
    )
    from synkinesis.scales.automatic import task_synkinesis_points

    options = FindingOptions() if options is None else options
    index: dict[str, dict[str, float]] = {side: {} for side in SIDES}
    grades: dict[str, dict[str, int]] = {side: {} for side in SIDES}
    sunnybrook: dict[str, dict[str, int]] = {side: {} for side in SIDES}
    for side in SIDES:
        for pattern in options.patterns():
            excess = pattern_excess_mm(pattern, coupling, side)
            points = pattern_points(pattern, excess)
            key = max(points, key=points.__getitem__) if points else None
            floor = coupling.noise_floor(pattern.region, key)
            value, severity = pattern_index_from_excess(
                pattern, excess, floor_mm=floor, cuts=options.severity_cuts)
            index[side][pattern.name] = value
            grades[side][pattern.name] = (SEVERITIES.index(severity)
                                          if severity in SEVERITIES else 0)
        for expression, task in SUNNYBROOK_SYNKINESIS_TASKS.items():
            points = task_synkinesis_points(coupling, task, side)[0]
            sunnybrook[side][expression] = (points_grade(points, options.severity_cuts)
                                            if np.isfinite(points) else -1)
    return index, grades, sunnybrook


def compare_case(spec: SimulationSpec, face: NeutralFace, canonical_vertices: np.ndarray,
                 work_dir: Path, *, noise_floor: str = "window",
                 combine: str = "best", held_level: str = DEFAULT_HELD_LEVEL) -> ValidationCase:
    """Simulate, measure, analyse and compare one case (writes one file in ``work_dir``);
    ``noise_floor``, ``combine`` and ``held_level`` are the analysis'
    :attr:`synkinesis.coupling.CouplingOptions.noise_floor`, ``repetitions`` and
    ``held_level``."""
    from synkinesis.analysis import AnalysisOptions, analyze_measurement
    from synkinesis.coupling import CouplingOptions
    from synkinesis.simulate.io import write_simulation

    options = AnalysisOptions(coupling=CouplingOptions(
        noise_floor=noise_floor, repetitions=combine,  # type: ignore[arg-type]
        held_level=held_level))  # type: ignore[arg-type]

    nerve = build_nerve(spec)
    _, recording_rng = spec.generators()
    fields = muscle_fields(canonical_vertices, face.head_mm)
    recording = synthesize_recording(nerve, face, fields, day=spec.day,
                                     treatments=spec.treatments, timing=spec.timing,
                                     rng=recording_rng)
    truth = ground_truth(nerve, day=spec.day, face_mm=face.head_mm, fields=fields,
                         treatments=spec.treatments, options=options.findings)
    output = Path(work_dir) / f"case-{spec.seed}.synk"
    measurement = write_simulation(
        output, spec, recording,
        truth_on_day(nerve, spec.day, spec.treatments, canonical_vertices=canonical_vertices),
        face, face_truth=truth)
    spans = [{"task": s.task, "start_s": s.start_s, "end_s": s.end_s} for s in recording.spans]
    analysis = analyze_measurement(measurement, spans=spans, options=options)
    coupling = analysis.coupling
    interval_calls: dict[str, dict[str, tuple[str, str, str]]] = {}
    interval_points: dict[str, dict[str, tuple[float, float]]] = {}
    found_eface: dict[str, dict[str, float]] = {}
    for side in SIDES:  # the interval decision with each side taken as affected
        taken = (analysis if analysis.affected.side == side else analyze_measurement(
            measurement, spans=spans, options=replace(options, affected_side=side)))
        interval_calls[side] = {
            f.pattern: (f.severity, *(f.severity_range or (f.severity, f.severity)))
            for f in taken.findings}
        indices = {} if taken.uncertainty is None else taken.uncertainty.indices
        interval_points[side] = {pattern: (interval.low, interval.high)
                                 for pattern, interval in indices.items()}
        estimated = {i.key: float(i.value) for e in taken.scales if e.instrument == "eface"
                     for i in e.items if i.key in EFACE_SYNKINESIS_ITEMS}
        found_eface[side] = {k: estimated.get(k, float("nan")) for k in EFACE_SYNKINESIS_ITEMS}
    measured: dict[str, np.ndarray] = {side: np.full((len(TASKS), len(REGIONS)), np.nan)
                                       for side in SIDES}
    for i, task in enumerate(coupling.tasks):
        if task not in TASKS:
            continue
        for j, region in enumerate(coupling.regions):
            if region in REGIONS and region != "neck":
                for side in SIDES:
                    measured[side][TASKS.index(task), REGIONS.index(region)] = (
                        coupling.movement_mm[side][i, j])
    found_index, found_grades, found_sunnybrook = analysis_grades(coupling,
                                                                  options=options.findings)
    true_movement: dict[str, np.ndarray] = {side: np.maximum(truth.movement[side], 0.0)
                                            for side in SIDES}
    for side in SIDES:
        true_movement[side][0, :] = np.nan
        true_movement[side][:, REGIONS.index("neck")] = np.nan
    output.unlink(missing_ok=True)
    return ValidationCase(
        spec=spec,
        true_movement=true_movement,
        measured_movement=measured,
        true_index=truth.patterns,
        found_index=found_index,
        true_grades=truth.pattern_grades(),
        found_grades=found_grades,
        true_sunnybrook={side: dict(truth.items[side]["sunnybrook_synkinesis"])
                         for side in SIDES},
        found_sunnybrook=found_sunnybrook,
        true_side=truth.affected_side,
        found_side=analysis.affected.side,
        interval_calls=interval_calls,
        leaning=analysis.affected.side or analysis.affected.leaning,
        interval_points=interval_points,
        mild_cuts={p: options.findings.decision_cuts(p)[0] for p in PATTERNS},
        true_eface=true_eface_items(truth),
        found_eface=found_eface,
    )


def summarise_cases(cases: tuple[ValidationCase, ...]) -> ValidationReport:
    """Recovery error, sensitivity, specificity, severity agreement and side accuracy over
    cases."""
    from synkinesis.findings import points_grade

    errors = np.stack([case.measured_movement[side] - case.true_movement[side]
                       for case in cases for side in SIDES])
    with warnings.catch_warnings():  # all-NaN cells (rest row, neck) stay NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        cell_error = np.nanmean(np.abs(errors), axis=0)
        cell_bias = np.nanmean(errors, axis=0)
    counts: dict[str, dict[str, int]] = {}
    sensitivity: dict[str, float] = {}
    specificity: dict[str, float] = {}
    index_sensitivity: dict[str, float] = {}
    index_specificity: dict[str, float] = {}
    tables: dict[str, np.ndarray] = {}
    agreement: dict[str, float] = {}
    bias: dict[str, float] = {}
    n = len(SEVERITIES)
    for pattern in PATTERNS:
        c = {"tp": 0, "fp": 0, "tn": 0, "fn": 0}
        by_index = dict(c)
        table = np.zeros((n, n), dtype=int)
        gaps = []
        for case in cases:
            for side in SIDES:
                true_grade = case.true_grades[side][pattern]
                found_grade = case.found_grades[side][pattern]
                truly, found = true_grade >= 1, found_grade >= 1
                c[("t" if truly == found else "f") + ("p" if found else "n")] += 1
                index = case.found_index[side][pattern]
                found = bool(np.isfinite(index)) and points_grade(index) >= 1
                by_index[("t" if truly == found else "f") + ("p" if found else "n")] += 1
                table[true_grade, found_grade] += 1
                if truly:
                    gaps.append(max(index, 0.0) - max(case.true_index[side][pattern], 0.0))
        counts[pattern], tables[pattern] = c, table
        sensitivity[pattern], specificity[pattern] = _rates(c)
        index_sensitivity[pattern], index_specificity[pattern] = _rates(by_index)
        agreement[pattern] = float(np.trace(table) / table.sum()) if table.sum() else float("nan")
        finite = [g for g in gaps if np.isfinite(g)]
        bias[pattern] = float(np.mean(finite)) if finite else float("nan")
    sunnybrook = np.zeros((n, n), dtype=int)
    for case in cases:
        for side in SIDES:
            for expression, true_grade in case.true_sunnybrook[side].items():
                found_grade = case.found_sunnybrook[side][expression]
                if found_grade >= 0:
                    sunnybrook[true_grade, found_grade] += 1
    side_accuracy = float(np.mean([case.found_side == case.true_side for case in cases]))
    decided = all(case.interval_calls for case in cases)
    misses = interval_misses(cases) if decided else ()
    decisions = interval_decisions(cases, misses) if decided else None
    return ValidationReport(cases=cases, cell_error_mm=cell_error, cell_bias_mm=cell_bias,
                            sensitivity=sensitivity, specificity=specificity, counts=counts,
                            index_sensitivity=index_sensitivity,
                            index_specificity=index_specificity, severity_table=tables,
                            severity_agreement=agreement,
                            index_bias=bias, sunnybrook_table=sunnybrook,
                            side_accuracy=side_accuracy, decisions=decisions, misses=misses,
                            eface_within=eface_agreement(cases))


def run_validation(
    specs: tuple[SimulationSpec, ...],
    face: NeutralFace,
    *,
    canonical_vertices: np.ndarray,
    work_dir: Path | None = None,
    progress=None,
    noise_floor: str = "window",
    combine: str = "best",
    held_level: str = DEFAULT_HELD_LEVEL,
) -> ValidationReport:
    """Simulate, measure and analyse every case; see the module docstring.

    Parameters
    ----------
    specs : tuple of SimulationSpec, e.g. from :func:`validation_grid`
    face : NeutralFace
    canonical_vertices : (468, 3) array, cm
    work_dir : directory for the temporary result files (default: a temporary directory)
    progress : callable(int) or None, called with 1 after each case
    noise_floor : str
        The analysis' :attr:`synkinesis.coupling.CouplingOptions.noise_floor`.
    combine : str
        The analysis' :attr:`synkinesis.coupling.CouplingOptions.repetitions`.
    held_level : str
        The analysis' :attr:`synkinesis.coupling.CouplingOptions.held_level`.
    """
    with tempfile.TemporaryDirectory(dir=work_dir) as directory:
        cases = []
        for spec in specs:
            cases.append(compare_case(spec, face, canonical_vertices, Path(directory),
                                      noise_floor=noise_floor, combine=combine,
                                      held_level=held_level))
            if progress is not None:
                progress(1)
    return replace(summarise_cases(tuple(cases)), noise_floor=noise_floor, combine=combine,
                   held_level=held_level)
