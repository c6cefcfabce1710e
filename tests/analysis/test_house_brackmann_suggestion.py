"""House-Brackmann is a suggestion: it carries the range of grades its interval spans (in the
analysis, its file and the CLI summary), and it is left out, with a note saying why, when no
affected side could be named and the findings point to different sides (a grade would depend
on which side is taken as affected). A face whose findings all read none still gets grade I."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from synthetic_faces import guided, make_recording

from synkinesis.analysis import (
    AnalysisOptions,
    analysis_to_dict,
    analyze_recording,
    summarise_analysis,
)
from synkinesis.uncertainty import UncertaintyOptions

STEPS = (("rest", 2.0), ("big_smile", 2.0), ("rest", 1.0), ("brow_raise", 2.0), ("rest", 1.0),
         ("gentle_eye_closure", 2.0), ("rest", 1.0))
#: Ocular-oral synkinesis on the left (3 mm of eye narrowing with the smile) and mentalis on
#: the right (3 mm of chin-pad lift with the smile): the two sides' evidence cancels out.
BOTH_SIDES = {("big_smile", "left", "palpebral_fissure"): -3.0,
              ("big_smile", "right", "chin_height"): 3.0}
ONE_SIDE = {("big_smile", "left", "palpebral_fissure"): -3.0,
            ("big_smile", "left", "chin_height"): 3.0}


def _analyse(extra, *, side=None, replicates=10):
    recording, spans = make_recording(STEPS, extra=extra)
    return analyze_recording(recording, spans=guided(spans), options=AnalysisOptions(
        uncertainty=UncertaintyOptions(replicates=replicates, seed=0), affected_side=side))


def _hb(analysis):
    return [e for e in analysis.scales if e.instrument == "house_brackmann"]


def test_no_side_named_and_findings_on_both_sides_leaves_house_brackmann_out_with_a_note():
    analysis = _analyse(BOTH_SIDES)
    assert analysis.affected.side is None
    by_pattern = {f.pattern: f for f in analysis.findings}
    # the evidence itself: ocular-oral stronger on the left, mentalis on the right
    assert by_pattern["ocular_oral"].index_by_side["left"] > 2.0
    assert by_pattern["mentalis"].index_by_side["right"] > 2.0
    assert _hb(analysis) == []
    (warning,) = [w for w in analysis.warnings if w.startswith("House-Brackmann not suggested")]
    assert "no affected side could be named and the findings point to different sides" in warning
    assert "ocular-oral" in warning and "on the left" in warning
    assert "mentalis" in warning and "on the right" in warning
    for estimate in analysis.scales:  # eFACE and Sunnybrook say why it is missing
        assert warning in estimate.notes
    data = analysis_to_dict(analysis)
    assert "house_brackmann" not in {s["instrument"] for s in data["scales"]}
    summary = summarise_analysis(analysis)
    assert not any(line.startswith("house_brackmann") for line in summary["scales"])
    assert warning in summary["warnings"]


def test_no_side_named_and_every_finding_none_still_suggests_grade_one_with_its_range():
    analysis = _analyse({})
    assert analysis.affected.side is None
    assert all(f.severity in ("none", "not measurable") for f in analysis.findings)
    (hb,) = _hb(analysis)
    assert hb.result.grade.name == "I"
    assert hb.grade_range == (1, 1)
    assert not any("House-Brackmann not suggested" in w for w in analysis.warnings)
    assert "house_brackmann: grade I suggested (90% range of grades I..I)" in \
        summarise_analysis(analysis)["scales"]


def test_findings_on_one_side_keep_the_suggestion_when_no_side_is_named():
    analysis = _analyse(ONE_SIDE)
    (hb,) = _hb(analysis)
    assert hb.grade_range is not None
    assert hb.grade_range[0] <= hb.result.items["grade"] <= hb.grade_range[1]


def test_a_given_side_keeps_the_suggestion_and_its_range_reaches_the_file_and_summary():
    analysis = _analyse(BOTH_SIDES, side="left")
    (hb,) = _hb(analysis)
    interval = analysis.uncertainty.items["house_brackmann"]["grade"]
    assert hb.grade_range == (int(interval.low), int(interval.high))
    grade = hb.result.items["grade"]
    assert hb.grade_range[0] <= grade <= hb.grade_range[1]
    (saved,) = [s for s in analysis_to_dict(analysis)["scales"]
                if s["instrument"] == "house_brackmann"]
    assert saved["grade_range"] == list(hb.grade_range)
    numerals = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI"}
    low, high = (numerals[g] for g in hb.grade_range)
    assert (f"house_brackmann: grade {hb.result.grade.name} suggested (90% range of grades "
            f"{low}..{high})") in summarise_analysis(analysis)["scales"]


def test_repetitions_that_disagree_on_strength_widen_the_range():
    # The left smile at half strength; of two brow raises the second moves the left brow a
    # tenth as much: the draws keep one raise or both, the voluntary ratio moves, and so does
    # the grade.
    steps = (("rest", 2.0), ("brow_raise", 2.0), ("rest", 1.0), ("brow_raise", 2.0),
             ("rest", 1.0), ("big_smile", 2.0), ("rest", 1.0), ("gentle_eye_closure", 2.0),
             ("rest", 1.0))
    weak_smile = {("big_smile", "left"): 0.5}
    full, spans = make_recording(steps, scale=weak_smile, rng=np.random.default_rng(1))
    weak, _ = make_recording(steps, scale={**weak_smile, ("brow_raise", "left"): 0.1},
                             rng=np.random.default_rng(1))
    second = [s for s in spans if s["task"] == "brow_raise"][1]
    t = np.asarray(full.time_s)
    inside = (t >= second["start_s"]) & (t < second["end_s"])
    recording = replace(full, signals={name: np.where(inside, weak.signals[name], values)
                                       for name, values in full.signals.items()})
    analysis = analyze_recording(recording, spans=guided(spans), options=AnalysisOptions(
        uncertainty=UncertaintyOptions(replicates=20, seed=0), affected_side="left"))
    (hb,) = _hb(analysis)
    low, high = hb.grade_range
    assert low < high and low <= hb.result.items["grade"] <= high


def test_without_intervals_the_summary_says_the_range_is_unknown():
    analysis = _analyse({}, replicates=0)
    (hb,) = _hb(analysis)
    assert hb.grade_range is None
    (line,) = [x for x in summarise_analysis(analysis)["scales"]
               if x.startswith("house_brackmann")]
    assert line.endswith("(range of grades unknown: intervals switched off)")
    (saved,) = [s for s in analysis_to_dict(analysis)["scales"]
                if s["instrument"] == "house_brackmann"]
    assert saved["grade_range"] is None


def test_the_analysis_file_with_a_grade_range_matches_its_schema():
    jsonschema = pytest.importorskip("jsonschema")
    from synkinesis.schemas import analysis_schema

    for analysis in (_analyse(BOTH_SIDES, side="left"), _analyse(BOTH_SIDES)):
        data = json.loads(json.dumps(analysis_to_dict(analysis)))
        jsonschema.validate(data, analysis_schema())
