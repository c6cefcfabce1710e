"""The grading of scripts/validate_injections.py on hand-made calls (no media): found, side,
specificity from the untouched side and the original, within one class, scale items."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location(
        "validate_injections", ROOT / "scripts" / "validate_injections.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _calls(side, severity, low, left, right, smile=None):
    finding = {"pattern": "ocular_oral", "side": side, "severity": severity,
               "severity_range": [low, severity if severity != "uncertain" else "severe"],
               "index_by_side": {"left": left, "right": right}}
    content = {"findings": [finding], "scales": []}
    if smile is not None:
        content["scales"] = [{"instrument": "sunnybrook",
                              "items": [{"key": "synkinesis_smile", "value": smile}]}]
    return content


def test_found_side_specificity_and_class(script):
    read = script.read_calls
    result = {"source": "face.mp4", "fissure_smile_mm": 10.0,
              "original": read(_calls("left", "none", "none", 0.1, -0.1, smile=0)),
              "cases": [
                  # mild left, found on the left, index in the mild class
                  {"pattern": "ocular_oral", "side": "left", "points": 1.0,
                   "calls": read(_calls("left", "mild", "mild", 1.2, -1.0, smile=1))},
                  # moderate right, found but named left: a false call on the untouched side
                  {"pattern": "ocular_oral", "side": "right", "points": 2.0,
                   "calls": read(_calls("left", "uncertain", "mild", 0.9, 0.2, smile=3))},
                  # severe right, "uncertain (none..severe)": not found
                  {"pattern": "ocular_oral", "side": "right", "points": 3.0,
                   "calls": read(_calls("right", "uncertain", "none", -2.0, 2.0, smile=2))},
              ]}
    graded = script.grade([result])
    g = graded["ocular_oral"]
    assert g["found"] == 2 and g["sensitivity"] == pytest.approx(2 / 3)
    assert (g["false_calls"], g["negatives"]) == (1, 5)  # 2 original sides + 3 untouched
    assert g["side"] == pytest.approx(0.5)
    # classes of the injected side's index: 1 (truth 1), 0 (truth 2: off by two), 2 (truth 3)
    assert g["within_one"] == pytest.approx(2 / 3)
    smile = graded["items"]["synkinesis_smile"]
    # truth 0, 1, 2, 3 against 0, 1, 3, 2: every one within a point
    assert smile["n"] == 4 and smile["within"] == 1.0 and smile["worst"] == 1.0


def test_an_uncertain_call_is_found_only_from_mild_up(script):
    assert script.called({"severity": "uncertain", "severity_range": ["mild", "severe"]})
    assert not script.called({"severity": "uncertain", "severity_range": ["none", "severe"]})
    assert not script.called({"severity": "not assessable", "severity_range": ["mild", "mild"]})
    assert script.called({"severity": "moderate"})


def test_side_given_counts_cases_found_and_originals_called(script):
    read = script.read_calls
    result = {"source": "face.mp4", "original": read(_calls("left", "none", "none", 0, 0)),
              "original_side": {"left": read(_calls("left", "mild", "mild", 0.8, 0)),
                                "right": read(_calls("right", "none", "none", 0, 0.1))},
              "cases": [{"pattern": "ocular_oral", "side": "right", "points": 2.0,
                         "calls": read(_calls("left", "none", "none", 0, 0)),
                         "calls_side": read(_calls("right", "moderate", "moderate", 0, 2.1))}]}
    given = script.side_given([result])["ocular_oral"]
    assert (given["found"], given["cases"]) == (1, 1)
    assert (given["false"], given["negatives"]) == (1, 2)


def _case(side="right", points=2.0, delivered=1.54, seen=1.0, leak=0.0):
    """An ocular-oral case (0.77 mm per point) with its warp's delivered mm and share seen."""
    return {"pattern": "ocular_oral", "side": side, "points": points,
            "amount_mm": points * 0.77,
            "coverage": {"applied_median_mm": delivered, "seen": seen, "leak": leak}}


def _finding(side, severity, low, left, right, floor=0.3, note=""):
    """A finding as ``read_calls`` keeps it."""
    found = (severity in ("mild", "moderate", "severe")
             or severity == "uncertain" and low != "none")
    return {"side": side, "severity": severity, "note": note, "noise_floor_mm": floor,
            "called": found,
            "severity_range": [low, severity if severity != "uncertain" else "severe"],
            "index_by_side": {"left": left, "right": right}}


def test_why_a_case_was_missed_follows_the_documented_rules(script):
    why = script.why_missed
    plain = _finding("right", "none", "none", 0.0, 0.0)  # the original reads nothing
    resolution = {"eye": {"noise_mm": 0.3, "resolvable_mm": 1.2}}
    note = "not assessable: the recording has no rest segment (its quietest span was used)"
    assert why(_case(), _finding("right", "not assessable", "none", 0, 2, note=note), plain,
               resolution) == ("not assessable",
                               "not assessable: the recording has no rest segment")
    # the measurement reports 2 % of a delivered 2 points: not seen, whatever the face reads
    reason, text = why(_case(seen=0.02), _finding("right", "none", "none", 0, 0.9),
                       _finding("right", "none", "none", -0.9, 0.9), resolution)
    assert reason == "not seen" and "share seen 0.02" in text
    # the warp delivered 0.4 of 1.54 mm, seen in full: 0.52 points... x 0.9 < the mild cut
    reason, text = why(_case(delivered=0.4, seen=0.9), plain, plain, resolution)
    assert reason == "warp not delivered" and "0.40 of 1.54 mm" in text
    # 2 points seen in full, but the face reads -1.8 on that side
    reason, text = why(_case(), plain, _finding("left", "none", "none", 1.8, -1.8),
                       resolution)
    assert reason == "own asymmetry" and "-1.80 points" in text
    # the analysis grades the other side
    assert why(_case(), _finding("left", "none", "none", -2, 2), plain,
               resolution)[0] == "other side"
    # the injected side reads 0.2 although 2 points are expected
    assert why(_case(), _finding("right", "none", "none", -0.2, 0.2), plain,
               resolution)[0] == "reads low"
    # index 0.6 (0.46 mm) under a 0.9 mm floor
    assert why(_case(), _finding("right", "none", "none", -0.6, 0.6, floor=0.9), plain,
               resolution)[0] == "noise floor"
    # uncertain from none: 0.77 mm applied < 1.2 mm resolvable, but 1.54 mm is not
    uncertain = _finding("right", "uncertain", "none", -1.0, 1.0)
    reason, text = why(_case(points=1.0, delivered=0.77), uncertain, plain, resolution)
    assert reason == "below resolution" and "0.77 mm < smallest resolvable change 1.20" in text
    assert why(_case(), uncertain, plain, resolution)[0] == "uncertain"


def test_why_a_false_call_and_the_summary(script):
    right = _finding("right", "mild", "mild", -0.8, 0.8)
    assert script.why_false("ocular_oral", "right", right, right)[0] == "own asymmetry"
    plain = _finding("left", "none", "none", 0.0, 0.0)
    leaky = _case(side="left", leak=0.5)  # half of a 2-point warp seen on the right
    assert script.why_false("ocular_oral", "right", right, plain, leaky)[0] == "leak"
    assert script.why_false("ocular_oral", "right", right, plain, _case(side="left"))[0] \
        == "unexplained"
    # resting tightness: each side's positive parts, so the face's reading is the difference
    assert script.signed_reading("resting_tightness", {"left": 2.3, "right": 0.0},
                                 "right") == pytest.approx(-2.3)
    assert script.signed_reading("ocular_oral", {"left": 1.2, "right": -1.2},
                                 "right") == pytest.approx(-1.2)
    result = {"source": "face.mp4", "fissure_smile_mm": 10.0,
              "resolution": {"eye": {"resolvable_mm": 1.2}},
              "original": {"patterns": {"ocular_oral": right}, "items": {}},
              "cases": [{**_case(side="left"), "calls": {"patterns": {"ocular_oral": _finding(
                  "right", "none", "none", 0.5, -0.5)}, "items": {}}},
                        {**_case(side="left"), "calls": {"patterns": {"ocular_oral": _finding(
                            "right", "mild", "mild", -0.5, 0.5)}, "items": {}}}]}
    g = script.grade([result])["ocular_oral"]
    # the first left case: missed, the analysis grades the right; the second: a false call on
    # the right, as in the original: the face's own asymmetry
    assert g["misses_by_reason"]["other side"] == 1
    assert g["false_by_reason"] == {"own asymmetry": 2, "leak": 0, "unexplained": 0}
    text = "\n".join(script.why_tables(script.grade([result])))
    assert "| ocular-oral | 1 | 1 | 2 (own asymmetry 2) |" in text
    assert "face left 2: miss, reported for the other side" in text


def test_the_why_rules_use_the_analysis_mild_cut(script):
    """Resting tightness is decided mild from 1 point (the healthy norm), so a face reading
    0.72 point on a side does not explain a call there, and a 1-point injection read 0.8 is
    missed at the cut, not for want of being seen."""
    assert script.mild_cut("resting_tightness") == 1.0 and script.mild_cut("mentalis") == 0.5
    called = _finding("right", "mild", "mild", 0.0, 1.1)
    original = _finding("right", "none", "none", 0.0, 0.72)
    assert script.why_false("resting_tightness", "right", called, original)[0] == "unexplained"
    case = {"pattern": "resting_tightness", "side": "right", "points": 1.0, "amount_mm": 1.0,
            "coverage": {"applied_median_mm": 1.0, "seen": 0.8}}
    plain = _finding("right", "none", "none", 0.0, 0.0)
    assert script.why_missed(case, plain, plain, {})[0] == "at the mild cut"
    case = {**case, "points": 2.0, "amount_mm": 2.0,
            "coverage": {"applied_median_mm": 2.0, "seen": 0.4}}
    assert script.why_missed(case, plain, plain, {})[0] == "not seen"
