"""The analysis recovers simulated patients: ``synk validate`` on a small grid."""

from __future__ import annotations

import json

import numpy as np
import pytest

from synkinesis.regions import SIDES
from synkinesis.simulate import REGIONS
from synkinesis.simulate.face import REGION_SIGN, REGION_SIGNAL
from synkinesis.simulate.validation import (
    MISS_REASONS,
    run_validation,
    summarise_cases,
    validation_grid,
    why_missed,
)

#: Stated tolerances of the analysis on simulated recordings (0.3 px noise, 1 degree motion):
#: every coupling cell within 1.0 mm of the truth on average, the affected side always named,
#: the injured side's ocular-oral index within half a Sunnybrook point of the truth (both
#: graded by the same code, synkinesis.findings, in the same clinical convention).
CELL_TOLERANCE_MM = 1.0
INDEX_TOLERANCE_POINTS = 0.5


def test_region_conventions_agree_with_the_analysis():
    from synkinesis.recording import REGION_SIGNALS

    for region in REGIONS:
        spec = REGION_SIGNALS[region]
        assert REGION_SIGN[region] == spec.sign, region
        if spec.quantity is not None:
            assert REGION_SIGNAL[region] == spec.quantity, region


def test_validation_grid_deduplicates_healthy_faces():
    specs = validation_grid(severities=(0.0, 0.5), misrouting=(0.4, 0.9), sides=("left", "right"),
                            head_motion_deg=(1.0,), noise_px=(0.3,))
    assert len(specs) == 1 + 2 * 2
    assert len({spec.seed for spec in specs}) == len(specs)
    assert sum(1 for spec in specs if not spec.injuries) == 1


def test_analysis_recovers_simulated_patients_within_tolerance(neutral_face, canonical):
    specs = validation_grid(severities=(0.0, 0.95), misrouting=(0.9,), sides=("left", "right"),
                            head_motion_deg=(1.0,), noise_px=(0.3,), seed=20)
    report = run_validation(specs, neutral_face, canonical_vertices=canonical.vertices)
    assert len(report.cases) == 3
    assert report.side_accuracy == 1.0
    finite = report.cell_error_mm[np.isfinite(report.cell_error_mm)]
    assert finite.size == 8 * 7  # every task but rest, every region but the neck
    assert finite.max() < CELL_TOLERANCE_MM
    assert report.sensitivity["ocular_oral"] == 1.0
    assert report.counts["ocular_oral"]["fp"] == 0  # the healthy face and healthy sides
    assert report.cases[0].found_side is None and report.cases[0].true_side is None
    # the healthy face: no pattern and no Sunnybrook synkinesis, in the truth and as found
    healthy = report.cases[0]
    for side in SIDES:
        assert set(healthy.true_grades[side].values()) == {0}
        assert set(healthy.found_grades[side].values()) == {0}
        assert set(healthy.true_sunnybrook[side].values()) == {0}
        assert set(healthy.found_sunnybrook[side].values()) == {0}
    assert all(value == 1.0 for value in report.specificity.values())
    for case in report.cases[1:]:
        injured, other = case.true_side, "left" if case.true_side == "right" else "right"
        # ocular-oral: present, and found with the truth's index and severity (+- one grade)
        true_index = case.true_index[injured]["ocular_oral"]
        assert case.true_grades[injured]["ocular_oral"] >= 2
        assert abs(case.found_index[injured]["ocular_oral"] - true_index) < \
            INDEX_TOLERANCE_POINTS
        assert abs(case.found_grades[injured]["ocular_oral"]
                   - case.true_grades[injured]["ocular_oral"]) <= 1
        assert set(case.true_grades[other].values()) == {0}
        assert set(case.found_grades[other].values()) == {0}
    table = report.severity_table["ocular_oral"]
    assert table.sum() == 6 and table[0, 0] == 4  # 4 healthy sides, none found on them
    # The same targets graded on the interval decisions (what `synk analyze` calls).
    decided = report.decisions["ocular_oral"]
    assert decided["specificity"] == 1.0  # nothing found on the healthy face and sides
    assert decided["side"] == 1.0 and decided["within_one"] == 1.0
    # Both injured sides are severe (3.0 and 2.9 points): found, since their intervals stay
    # above the mild cut (the normal asymmetry only bounds calls above mild).
    assert decided["sensitivity"] == 1.0
    assert decided["case_sides"] == 6
    # An uncertain call reaching down to none is not "found"; one from mild up is.
    from dataclasses import replace

    from synkinesis.simulate.validation import interval_decisions

    def called(case, call):
        calls = {side: dict(c) for side, c in case.interval_calls.items()}
        calls[case.true_side]["ocular_oral"] = call
        return replace(case, interval_calls=calls)

    doubtful = (report.cases[0], called(report.cases[1], ("uncertain", "none", "moderate")),
                report.cases[2])
    found = [case for case in report.cases[1:]
             if case.interval_calls[case.true_side]["ocular_oral"][1] != "none"]
    missed = [case for case in report.cases[1:] if case not in found]
    doubtful = (report.cases[0], called(found[0], ("uncertain", "none", "moderate")),
                *missed)
    assert interval_decisions(doubtful)["ocular_oral"]["sensitivity"] == 0.0
    leaning_up = (report.cases[0], found[0],
                  *(called(case, ("uncertain", "mild", "severe")) for case in missed))
    assert interval_decisions(leaning_up)["ocular_oral"]["sensitivity"] == 1.0
    # Every miss is classified from the interval's numeric bounds, which the cases keep.
    for case in report.cases:
        for side in SIDES:
            low, high = case.interval_points[side]["ocular_oral"]
            assert low <= case.found_index[side]["ocular_oral"] <= high
    assert not [m for m in report.misses if m.pattern == "ocular_oral"]
    assert report.decisions["ocular_oral"]["called_none"] == 0
    for pattern, decided in report.decisions.items():  # every miss has a reason
        misses = [m for m in report.misses if m.pattern == pattern]
        assert len(misses) == decided["fn"]
        assert all(m.reason in MISS_REASONS and m.text for m in misses)
        assert sum(decided[r.replace(" ", "_")] for r in MISS_REASONS) == decided["fn"]
    injured = found[0]
    true_oo = injured.true_index[injured.true_side]["ocular_oral"]

    def bounded(case, call, low, high):
        case = called(case, (call, "none", "severe" if call == "uncertain" else "none"))
        points = {side: dict(p) for side, p in case.interval_points.items()}
        points[case.true_side]["ocular_oral"] = (low, high)
        return replace(case, interval_points=points)

    reassured = (report.cases[0], bounded(injured, "none", 0.1, 0.4), *missed)
    decided = interval_decisions(reassured)["ocular_oral"]
    assert decided["fn"] >= 1 and decided["called_none"] == 1
    summary = summarise_cases(reassured)
    (miss,) = [m for m in summary.misses
               if m.seed == injured.spec.seed and m.pattern == "ocular_oral"]
    assert miss.reason == "called none" and miss.side == injured.true_side
    assert (miss.low, miss.high) == (0.1, 0.4)
    wide = bounded(injured, "uncertain", 0.3, true_oo + 5.0)  # half-width > truth - cut
    summary = summarise_cases((report.cases[0], wide))
    assert [m.reason for m in summary.misses
            if m.pattern == "ocular_oral"] == ["below resolution"]
    assert summary.decisions["ocular_oral"]["below_resolution"] == 1
    assert summary.decisions["ocular_oral"]["called_none"] == 0
    payload = json.loads(json.dumps(summary.as_dict()))
    (miss,) = [m for m in payload["misses"] if m["pattern"] == "ocular_oral"]
    assert miss["reason"] == "below resolution" and miss["seed"] == injured.spec.seed
    assert miss["low"] == 0.3 and miss["call"] == "uncertain"
    assert payload["decisions"]["ocular_oral"]["below_resolution"] == 1
    from rich.console import Console

    from synkinesis.cli.decisions import decision_table, why_table

    console = Console(record=True, width=250)
    console.print(decision_table(summary))
    assert "called none" in console.export_text()
    console.print(why_table(summary))
    rows = [line.split() for line in console.export_text().splitlines()]
    # misses, called none, below resolution, reads low, low tail, no interval
    assert ["ocular_oral", "1", "0", "1", "0", "0", "0"] in rows
    payload = json.loads(json.dumps(report.as_dict()))
    assert payload["decisions"]["ocular_oral"]["sensitivity"] == 1.0
    assert len(payload["misses"]) == len(report.misses)
    assert payload["cases"] == 3
    assert payload["grades"] == ["none", "mild", "moderate", "severe"]
    assert np.array(payload["sunnybrook_table"]).sum() == 3 * 2 * 5
    # eFACE synkinesis items against the generative truth (issue 19: within 10 points). The
    # healthy face's truth is 100 (no synkinesis) on every item; the severe ocular-oral
    # sides' ocular item is well below it, from the true fissures, and the analysis' estimate
    # follows it.
    for side in SIDES:
        assert healthy.true_eface[side]["mentalis_synkinesis"] == 100.0
        assert healthy.true_eface[side]["midfacial_synkinesis"] == 100.0
        assert healthy.true_eface[side]["ocular_synkinesis"] == pytest.approx(100.0, abs=1.0)
    for case in report.cases[1:]:
        true = case.true_eface[case.true_side]["ocular_synkinesis"]
        assert true < 80.0
        assert abs(case.found_eface[case.true_side]["ocular_synkinesis"] - true) < 15.0
    within, estimated, within_present, present = report.eface_within["ocular_synkinesis"]
    assert estimated == 6 and within >= 5
    assert present == 2 and within_present == 2  # the two severe sides, read within 10
    assert payload["eface_within"]["ocular_synkinesis"] == {
        "within": within, "estimated": estimated, "within_present": within_present,
        "present": present}


def test_why_missed_classifies_from_the_interval():
    """Hand-made misses (mild cut 0.5): the whole interval below mild is false reassurance;
    an interval spanning the cut is below resolution when the truth lies within its
    half-width above the cut, else the index reads low (or, reading the truth, a low tail)."""
    reason, text = why_missed("none", 0.05, 0.45, 1.2, 0.25)
    assert reason == "called none"
    assert "0.05..0.45" in text and "1.20" in text and "-0.95" in text
    # truth 0.9: 0.4 above the cut, half-width (1.4 - 0.2) / 2 = 0.6 -> below resolution
    reason, text = why_missed("uncertain", 0.2, 1.4, 0.9, 0.8)
    assert reason == "below resolution"
    assert text == ("below resolution: the truth is 0.40 points above the cut, the "
                    "interval's half-width 0.60")
    # truth 2.0: 1.5 above the cut, half-width 0.5 -> the index reads low by 1.3
    reason, text = why_missed("uncertain", 0.2, 1.2, 2.0, 0.7)
    assert reason == "reads low" and text.startswith("reads low by 1.30 points")
    # the index reads the truth but the interval reaches further down than its half-width
    assert why_missed("uncertain", 0.4, 2.2, 2.0, 2.1)[0] == "low tail"
    # an index just under the truth is not "reads low" when the interval's own width, not
    # the gap, takes it below the cut (a review finding)
    assert why_missed("uncertain", 0.2, 2.6, 2.0, 1.98)[0] == "low tail"
    # nothing to say why without an interval or an index; a none call says so plainly
    assert why_missed("uncertain", float("nan"), float("nan"), 1.0, 0.8)[0] == "no interval"
    assert why_missed("uncertain", 0.1, 1.9, 1.5, float("nan"))[0] == "no interval"
    reason, text = why_missed("none", float("nan"), float("nan"), 1.0, 0.2)
    assert reason == "called none" and "nan" not in text.split("(")[0]
    # the cut is the decision's, not a fixed number
    assert why_missed("uncertain", 0.5, 1.5, 1.4, 1.0, mild_cut=1.0)[0] == "below resolution"
    assert why_missed("uncertain", 0.5, 1.5, 1.4, 1.0, mild_cut=0.5)[0] == "reads low"


def test_validate_cli(run_cli, face_file):
    result = run_cli("validate", "--severities", "0.95", "--misrouting", "0.9", "--sides",
                     "right", "--head-motion-deg", "1", "--noise-px", "0.3", "--face",
                     face_file, "--quiet")
    assert result.exit_code == 0, result.output
    assert "recovery error per coupling cell" in result.output
    assert "affected side named correctly" in result.output and "100%" in result.output
    assert "severity agreement" in result.output and "Sunnybrook items" in result.output
    assert "decisions from the 90 % intervals" in result.output
    assert "called none" in result.output  # false reassurance, next to the sensitivity
    assert "eFACE synkinesis items within 10 points of the truth" in result.output
    bad = run_cli("validate", "--severities", "2", "--face", face_file)
    assert bad.exit_code == 2 and "--severities values must be in 0..1" in bad.output
    bad = run_cli("validate", "--sides", "top", "--face", face_file)
    assert bad.exit_code == 2 and "unknown side 'top'" in bad.output


def test_validate_cli_with_repetitions_camera_and_noise_floor(run_cli, face_file, tmp_path):
    """`synk validate` end to end with every task done twice, a closer camera in a larger
    frame, the sustained noise floor, the repetitions averaged and the co-movement cells read
    over the driver's hold: the setting is in the table and the JSON."""
    report = tmp_path / "report.json"
    result = run_cli("validate", "--severities", "0,0.95", "--misrouting", "0.9", "--sides",
                     "left", "--head-motion-deg", "1", "--noise-px", "1", "--repetitions", "2",
                     "--face-px", "300", "--frame", "1280x720", "--noise-floor", "sustained",
                     "--combine-repetitions", "mean", "--held-level", "driver", "--seed", "40",
                     "--face", face_file,
                     "--quiet", "--json", report)
    assert result.exit_code == 0, result.output
    assert ("2 simulated patients (seeds 40..41): each task performed 2 times; tracker noise "
            "1 px") in result.output
    assert ("face width 300 px, frame 1280x720; noise floor sustained (task holds)"
            in result.output)
    assert "repetitions combined: mean; held level driver" in result.output
    payload = json.loads(report.read_text())
    assert payload["cases"] == 2
    assert payload["setting"] == {"repetitions": [2], "face_px": [300.0],
                                  "frame": ["1280x720"], "noise_px": [1.0],
                                  "head_motion_deg": [1.0], "seeds": [40, 41],
                                  "noise_floor": "sustained", "combine_repetitions": "mean",
                                  "held_level": "driver"}
    decided = payload["decisions"]["ocular_oral"]
    assert decided["case_sides"] == 4
    assert decided["fp"] == 0  # the healthy face and the healthy side
    # the severe injured side is found: at 300 px 1 px of tracker noise is about 0.5 mm
    assert decided["tp"] == 1
    for args, message in (
            (("--repetitions", "0"), "repetitions must be in 1..10"),
            (("--frame", "1280"), "--frame must be WIDTHxHEIGHT"),
            (("--face-px", "1000"), "does not fit in a 640x360 frame"),
            (("--noise-floor", "hold"), "'hold' is not one of 'rest', 'window', 'sustained'"),
            (("--combine-repetitions", "max"),
             "'max' is not one of 'best', 'mean'")):
        bad = run_cli("validate", "--severities", "0", "--head-motion-deg", "1",
                      "--noise-px", "1", "--face", face_file, "--quiet", *args)
        assert bad.exit_code == 2, (args, bad.output)
        assert message in bad.output, (args, bad.output)
        assert "Traceback" not in bad.output
