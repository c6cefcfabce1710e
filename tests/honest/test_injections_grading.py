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


def _finding(side, severity, low, left, right, floor=0.3, note="", interval=None,
             intervals=True):
    """A finding as ``read_calls`` keeps it (``intervals`` False: analysed without them)."""
    found = (severity in ("mild", "moderate", "severe")
             or severity == "uncertain" and low != "none")
    return {"side": side, "severity": severity, "note": note, "noise_floor_mm": floor,
            "called": found, "interval": interval,
            "severity_range": ([low, severity if severity != "uncertain" else "severe"]
                               if intervals else None),
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
    # analysed without intervals: index 0.6 (0.46 mm) under a 0.9 mm floor
    assert why(_case(), _finding("right", "none", "none", -0.6, 0.6, floor=0.9,
                                 intervals=False), plain, resolution)[0] == "noise floor"
    # uncertain from none: 0.77 mm applied < 1.2 mm resolvable, but 1.54 mm is not
    uncertain = _finding("right", "uncertain", "none", -1.0, 1.0)
    reason, text = why(_case(points=1.0, delivered=0.77), uncertain, plain, resolution)
    assert reason == "below resolution" and "0.77 mm < smallest resolvable change 1.20" in text
    assert why(_case(), uncertain, plain, resolution)[0] == "uncertain"


def test_a_none_call_decided_from_its_interval_is_not_put_on_the_noise_floor(script):
    """Under interval decisions "none" means the interval's top is below the mild cut: an index
    at least the cut lies outside its own interval, whatever the noise floor; rules 7-8 (below
    resolution, uncertain) are for uncertain calls only."""
    why = script.why_missed
    plain = _finding("right", "none", "none", 0.0, 0.0)
    resolution = {"eye": {"noise_mm": 0.3, "resolvable_mm": 1.2}}
    # index 0.6 (0.46 mm) under a 0.9 mm floor, but the interval 0.1..0.45 decided
    none = _finding("right", "none", "none", -0.6, 0.6, floor=0.9, interval=[0.1, 0.45])
    reason, text = why(_case(), none, plain, resolution)
    assert reason == "outside its interval"
    assert "the index 0.60 lies outside its interval 0.10..0.45" in text
    # the same below resolution (0.77 mm applied < 1.2 mm): still not "below resolution",
    # which would print "none (none..none) although ..."
    reason, text = why(_case(points=1.0, delivered=0.77), none, plain, resolution)
    assert reason == "outside its interval" and "none..none" not in text
    # an interval not saved (older results): deduced from the call
    reason, text = why(_case(), _finding("right", "none", "none", -0.6, 0.6), plain,
                       resolution)
    assert reason == "outside its interval" and "its top below the mild cut" in text
    # an index inside its interval and a none call cannot both hold at the cut; if they did,
    # the plain reason, never the noise floor
    odd = _finding("right", "none", "none", -0.6, 0.6, floor=0.9, interval=[0.2, 0.7])
    assert why(_case(), odd, plain, resolution)[0] == "called none"
    # without intervals and above the floor: the plain reason too
    assert why(_case(), _finding("right", "none", "none", -0.6, 0.6, floor=0.1,
                                 intervals=False), plain, resolution)[0] == "called none"
    # every reason is tallied
    assert {"outside its interval", "called none"} <= set(script.MISS_REASONS)


def test_why_a_false_call_and_the_summary(script):
    right = _finding("right", "mild", "mild", -0.8, 0.8)
    # an untouched original compared with itself: a healthy face called, not "own asymmetry"
    assert script.why_false("ocular_oral", "right", right, right)[0] == "healthy original"
    # in a case, the original called there: the face's own asymmetry
    assert script.why_false("ocular_oral", "right", right, right,
                            _case(side="left"))[0] == "own asymmetry"
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
    # the right, as in the original: the face's own asymmetry; the original's own call on the
    # right: a healthy face called, counted apart
    assert g["misses_by_reason"]["other side"] == 1
    assert g["false_by_reason"] == {"healthy original": 1, "own asymmetry": 1, "leak": 0,
                                    "unexplained": 0}
    assert (g["false_calls"], g["false_originals"], g["false_cases"]) == (2, 1, 1)
    text = "\n".join(script.why_tables(script.grade([result])))
    assert ("| pattern | misses | other side | false calls, healthy originals | false calls, "
            "injected cases (why) |") in text
    assert "| ocular-oral | 1 | 1 | 1 | 1 (own asymmetry 1) |" in text
    assert "face left 2: miss, reported for the other side" in text
    assert "face original right: false call, healthy original (its own asymmetry)" in text


def test_the_why_rules_use_the_analysis_mild_cut(script):
    """Resting tightness is decided mild from 1 point (the healthy norm), so a face reading
    0.72 point on a side does not explain a call there, and a 1-point injection read 0.8 is
    missed at the cut, not for want of being seen."""
    assert script.mild_cut("resting_tightness") == 1.0 and script.mild_cut("mentalis") == 0.5
    called = _finding("right", "mild", "mild", 0.0, 1.1)
    original = _finding("right", "none", "none", 0.0, 0.72)
    left = {"pattern": "resting_tightness", "side": "left", "points": 1.0, "amount_mm": 1.0,
            "coverage": {"applied_median_mm": 1.0, "seen": 1.0, "leak": 0.0}}
    assert script.why_false("resting_tightness", "right", called, original, left)[0] \
        == "unexplained"
    case = {"pattern": "resting_tightness", "side": "right", "points": 1.0, "amount_mm": 1.0,
            "coverage": {"applied_median_mm": 1.0, "seen": 0.8}}
    plain = _finding("right", "none", "none", 0.0, 0.0)
    assert script.why_missed(case, plain, plain, {})[0] == "at the mild cut"
    case = {**case, "points": 2.0, "amount_mm": 2.0,
            "coverage": {"applied_median_mm": 2.0, "seen": 0.4}}
    assert script.why_missed(case, plain, plain, {})[0] == "not seen"


def test_resting_tightness_false_call_reads_the_sides_own_sum(script):
    """Resting tightness is called on each side's own sum of points, not on the difference of
    the two sides: a face reading right 1.2 / left 0.5 (1.2 at least the 1-point cut) explains
    a call on the right, although the difference is only +0.70."""
    called = _finding("right", "mild", "mild", 0.4, 1.3)
    original = _finding("right", "uncertain", "none", 0.5, 1.2)  # not called: uncertain
    left = {"pattern": "resting_tightness", "side": "left", "points": 2.0, "amount_mm": 2.0,
            "coverage": {"applied_median_mm": 2.0, "seen": 1.0, "leak": 0.0}}
    reason, text = script.why_false("resting_tightness", "right", called, original, left)
    assert reason == "own asymmetry" and "reads +1.20 points on the right, its own sum" in text
    # below the cut on its own (0.9), though well above the other side (0.0): unexplained
    original = _finding("right", "none", "none", 0.0, 0.9)
    reason, text = script.why_false("resting_tightness", "right", called, original, left)
    assert reason == "unexplained" and "+0.90" in text
    # the patterns' index is the sides' difference already: read as it is
    called = _finding("right", "mild", "mild", -0.7, 0.7)
    original = _finding("right", "none", "none", -0.6, 0.6)
    assert script.why_false("ocular_oral", "right", called, original,
                            _case(side="left"))[0] == "own asymmetry"


def test_the_why_table_is_well_formed_without_misses(script):
    """No pattern missed anything: no reason column, and every row has as many cells as the
    header and its separator."""
    found = _finding("left", "moderate", "moderate", 2.0, -2.0)
    result = {"source": "face.mp4", "fissure_smile_mm": 10.0, "resolution": {},
              "original": {"patterns": {"ocular_oral": _finding("left", "none", "none", 0.1,
                                                                -0.1)}, "items": {}},
              "cases": [{**_case(side="left"), "calls": {"patterns": {"ocular_oral": found},
                                                          "items": {}}}]}
    lines = script.why_tables(script.grade([result]))
    table = [line for line in lines if line.startswith("|")]
    assert len(table) == 3
    cells = [len(line.strip("|").split("|")) for line in table]
    assert cells == [4, 4, 4], table
    assert table[1] == "|---|---|---|---|"
    assert table[2] == "| ocular-oral | 0 | 0 | 0 |"


@pytest.fixture(scope="module")
def normal():
    spec = importlib.util.spec_from_file_location(
        "normal_asymmetry", ROOT / "scripts" / "normal_asymmetry.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_normal_asymmetry_counts_each_pattern_against_its_own_mild_cut(normal, capsys):
    """Resting tightness is called mild from 1 point, the patterns from 0.5: a healthy 0.8 is
    above the ocular-oral cut and below the resting one."""
    rows = {"ocular_oral": [("a left", 0.8), ("a right", 0.2)],
            "resting_tightness": [("a left", 0.8), ("a right", 1.1)]}
    summary = normal.summarise(rows)
    assert summary["ocular_oral"]["mild_cut"] == 0.5
    assert summary["ocular_oral"]["above_mild_cut"] == 0.5
    assert summary["resting_tightness"]["mild_cut"] == 1.0
    assert summary["resting_tightness"]["above_mild_cut"] == 0.5
    rows["resting_tightness"] = [("a left", 0.8), ("a right", 0.7)]
    assert normal.summarise(rows)["resting_tightness"]["above_mild_cut"] == 0.0
    normal.print_report({"healthy": normal.summarise(rows)})
    lines = capsys.readouterr().out.splitlines()
    assert "mild cut 0.5" not in lines[1] and "its mild cut (the pattern's own" in lines[1]
    assert lines[2].split()[:2] == ["ocular_oral", "2"] and lines[2].split()[5] == "0.50"
    assert lines[3].split()[0] == "resting_tightness" and lines[3].split()[5] == "1.00"
    assert lines[3].split()[6] == "0%"
    assert normal.main(["--help"]) == 0 and "Usage" in capsys.readouterr().out
    assert normal.main([]) == 1 and "error" in capsys.readouterr().err


def _unnamed(leaning, severity, low, left, right, other_severity, other_low):
    """An analysis that named no side: its finding about the side it leans to, and the other
    side's call (``other_side``)."""
    content = _calls(leaning, severity, low, left, right)
    other = "left" if leaning == "right" else "right"
    content["affected_side"] = {"side": None, "leaning": leaning}
    content["findings"][0]["other_side"] = {
        "side": other, "index": left if other == "left" else right,
        "severity": other_severity,
        "severity_range": [other_low, other_severity if other_severity != "uncertain"
                           else "moderate"], "low": 0.6, "high": 1.9}
    return content


def test_an_unnamed_face_is_graded_on_the_call_about_the_injected_side(script):
    read = script.read_calls
    original = read(_unnamed("right", "none", "none", 0.2, -0.2, "none", "none"))
    assert original["patterns"]["ocular_oral"]["side_named"] is False
    result = {"source": "face.mp4", "fissure_smile_mm": 10.0, "original": original, "cases": [
        # injected left, the analysis leans right (none there) and calls the left mild:
        # found, on the right side, no false call on the untouched right
        {"pattern": "ocular_oral", "side": "left", "points": 1.0,
         "calls": read(_unnamed("right", "none", "none", 1.4, -1.4, "mild", "mild"))},
        # injected right, leaning left, the right reaching down to none: a miss, graded on
        # the right's own call (not "other side")
        {"pattern": "ocular_oral", "side": "right", "points": 1.0,
         "calls": read(_unnamed("left", "none", "none", -1.0, 1.0, "uncertain", "none"))},
    ]}
    g = script.grade([result])["ocular_oral"]
    assert g["found"] == 1 and g["side"] == 1.0 and g["false_calls"] == 0
    why = [w for w in g["why"] if w["kind"] == "miss"]
    assert len(why) == 1 and why[0]["reason"] != "other side"
    # the why rules use the cut the analysis decided with: unnamed, ocular-oral's 1.3
    assert script.mild_cut("ocular_oral", False) == pytest.approx(1.3)
    assert script.mild_cut("ocular_oral") == pytest.approx(0.5)
    view = script.on_side(result["cases"][0]["calls"]["patterns"]["ocular_oral"], "left")
    assert view["side"] == "left" and view["severity"] == "mild" and view["called"]
    assert view["interval"] == [0.6, 1.9]
