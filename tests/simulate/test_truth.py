"""The truth grades synkinesis in the analysis' clinical convention, with the analysis' code."""

from __future__ import annotations

import numpy as np
import pytest

from synkinesis.regions import SIDES
from synkinesis.simulate import PATTERN_CELLS, PATTERNS, REGIONS, TASKS, Injury
from synkinesis.simulate.truth import SUNNYBROOK_SYNKINESIS_TASKS


def _perfect_coupling(truth):
    """The coupling an analysis would compute if it measured the truth's peaks exactly (no
    noise floor)."""
    from synkinesis.coupling import Coupling

    rows = slice(1, None)  # no rest row in the analysis
    n_tasks = len(TASKS) - 1
    return Coupling(
        tasks=TASKS[1:], regions=REGIONS,
        movement_mm={side: truth.movement[side][rows] for side in SIDES},
        normalised={side: truth.coupling[side][rows] for side in SIDES},
        voluntary_range_mm=truth.voluntary_range,
        excess_mm={side: truth.excess_mm[side][rows] for side in SIDES},
        excess_window={side: np.zeros((n_tasks, len(REGIONS), 3), int) for side in SIDES},
        noise_floor_mm=np.zeros(len(REGIONS)), coverage=np.ones(n_tasks),
        label_confidence=np.ones(n_tasks), short_tasks=(), auxiliary={}, rest_values={},
        frame_interval_s=1 / 30)


@pytest.fixture(scope="module")
def injured(truth_of):
    return truth_of((Injury("left", "proximal", 0.9),), misrouting=0.9)


def test_names_are_the_analysis_patterns_and_sunnybrook_expressions():
    from synkinesis.findings import PATTERNS as FINDINGS
    from synkinesis.scales.sunnybrook import EXPRESSIONS

    assert PATTERNS == tuple(p.name for p in FINDINGS)
    assert tuple(SUNNYBROOK_SYNKINESIS_TASKS) == tuple(key for key, _ in EXPRESSIONS)
    assert SUNNYBROOK_SYNKINESIS_TASKS["smile"] == "big_smile"
    assert ("pucker", "eye") in PATTERN_CELLS["ocular_oral"]
    assert PATTERN_CELLS["platysmal"] == (("closed_smile", "lower_lip"),)


def test_excess_is_one_side_over_the_other_in_the_active_direction(injured):
    active = {side: np.maximum(injured.movement[side], 0.0) for side in SIDES}
    np.testing.assert_allclose(injured.excess_mm["left"], active["left"] - active["right"])
    np.testing.assert_allclose(injured.excess_mm["right"], -injured.excess_mm["left"])


def test_ocular_oral_uses_the_clinical_mm_anchors(injured):
    # CLINICAL.md [V]: one Sunnybrook point ~ 0.77 mm of fissure difference in smile, 1.0 mm
    # in pucker; the index is the largest over the pattern's tasks
    eye = REGIONS.index("eye")
    excess = injured.excess_mm["left"][:, eye]
    per_task = {task: excess[TASKS.index(task)] / (1.0 if task == "pucker" else 0.77)
                for task, _ in PATTERN_CELLS["ocular_oral"]}
    assert injured.patterns["left"]["ocular_oral"] == pytest.approx(max(per_task.values()))
    index = injured.patterns["left"]["ocular_oral"]
    assert injured.severities["left"]["ocular_oral"] == (
        "severe" if index >= 2.5 else "moderate" if index >= 1.5 else "mild" if index >= 0.5
        else "none")


def test_truth_is_what_the_analysis_reports_on_perfect_measurements(injured):
    from synkinesis.findings import AffectedSide, find_patterns, points_grade
    from synkinesis.scales.automatic import task_synkinesis_points

    coupling = _perfect_coupling(injured)
    for side in SIDES:
        given = AffectedSide(side, "given", 1.0, side, 0.0, 0.0, 0.0)
        for finding in find_patterns(coupling, given):
            assert injured.patterns[side][finding.pattern] == pytest.approx(finding.index,
                                                                            abs=1e-4)
            assert injured.severities[side][finding.pattern] == finding.severity
        for expression, task in SUNNYBROOK_SYNKINESIS_TASKS.items():
            points = task_synkinesis_points(coupling, task, side)[0]
            assert injured.items[side]["sunnybrook_synkinesis_points"][expression] == \
                pytest.approx(points, abs=1e-6)
            assert injured.items[side]["sunnybrook_synkinesis"][expression] == \
                points_grade(points)
    assert injured.items["left"]["sunnybrook_synkinesis_sum"] >= 3
    assert injured.severities["left"]["ocular_oral"] in ("moderate", "severe")


def test_options_of_the_analysis_change_the_truth_alike(truth_of, face_mm, fields):
    from synkinesis.findings import FindingOptions
    from synkinesis.simulate import ground_truth, regenerate

    nerve = regenerate((Injury("left", "proximal", 0.9),), rng=np.random.default_rng(1))
    default = ground_truth(nerve, day=365.0, face_mm=face_mm, fields=fields)
    halved = ground_truth(nerve, day=365.0, face_mm=face_mm, fields=fields,
                          options=FindingOptions(anchor_overrides={"oral_ocular": 0.75}))
    assert halved.patterns["left"]["oral_ocular"] == pytest.approx(
        2 * default.patterns["left"]["oral_ocular"])
    assert halved.patterns["left"]["ocular_oral"] == default.patterns["left"]["ocular_oral"]


def test_the_truth_grades_with_its_own_table_not_the_analysis_code():
    # Issue 19: a wrong anchor or grading rule in synkinesis.findings must not cancel out in
    # validation, so the truth restates CLINICAL.md itself. Its [V] anchors:
    import inspect

    from synkinesis.findings import PATTERNS as ANALYSIS_PATTERNS
    from synkinesis.scales import automatic
    from synkinesis.simulate import truth

    eye, ocular = truth.TRUTH_PATTERNS["ocular_oral"]
    assert eye == "eye" and ocular["big_smile"] == 0.77 and ocular["pucker"] == 1.0
    source = inspect.getsource(truth)
    for shared in ("pattern_index_from_excess", "points_grade", "watched_excess_points",
                   "severity_of", "findings.PATTERNS"):
        assert shared not in source, shared
    # The two tables describe one clinical convention; this says when they part (then decide
    # which one is right, do not copy one into the other).
    for pattern in ANALYSIS_PATTERNS:
        region, anchors = truth.TRUTH_PATTERNS[pattern.name]
        assert region == pattern.region
        assert anchors == dict(pattern.mm_per_point), pattern.name
    assert truth.TRUTH_WATCH_ANCHORS == automatic._WATCH_ANCHORS


def test_truth_grade_is_the_nearest_whole_point():
    from synkinesis.simulate.truth import truth_grade

    assert [truth_grade(p) for p in (-1.0, 0.0, 0.49, 0.5, 1.49, 1.5, 2.5, 7.0, np.nan)] == [
        0, 0, 0, 1, 1, 2, 3, 3, 0]
