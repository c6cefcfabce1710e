"""scripts/validate_findings.py (issue 19, healthy copies): the table's counts and how a call
that differs from the original's is classed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "validate_findings.py"


def _script():
    spec = importlib.util.spec_from_file_location("validate_findings", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_copy_identical_to_the_original_reads_the_same(single_face_measurement, measured_dir,
                                                         tmp_path, capsys):
    original = measured_dir / "single_face.synk"  # written by the measurement fixture
    copy = tmp_path / "single_face-copy.synk"
    copy.write_bytes(original.read_bytes())
    assert _script().main([str(original), str(copy)]) == 0
    out = capsys.readouterr().out
    assert "copies with the same calls: 1/1" in out
    assert "indices inside the original's interval: 3/3" in out
    assert ("indices inside the original's repeat interval (where another recording of the "
            "same face reads, sqrt(2) wider): 3/3") in out
    assert "copies with the same call words (the classes of an uncertain call aside): 1/1" in out
    assert ("copies with the same calls if uncertain calls were read by their lower class "
            "only (not the rule in use): 1/1") in out
    assert ("copies with the same calls, a pattern withheld in both for different reasons "
            "(not measurable / not assessable) counted as the same: 1/1") in out
    assert "copies with House-Brackmann above II: 0/1" in out
    assert "calls that differ, by kind: none" in out
    # single_face is healthy: no call whose interval's low end is at least mild, on either
    # side (no side is named, so both are called)
    assert "no side named (leans right; both sides called)" in out
    assert "  ocular_oral        left " in out and "  ocular_oral        right " in out
    assert ("calls at least mild (the interval's low end; a healthy face has none): original "
            "none; copies with one: 0/1") in out
    # the held level is an option of the analysis, checked before anything is read
    assert _script().main(["--held-level", "driver", str(original), str(copy)]) == 0
    assert "copies with the same calls: 1/1" in capsys.readouterr().out
    assert _script().main(["--held-level", "median", str(original), str(copy)]) == 2
    assert "--held-level takes one of minimum, mean, driver" in capsys.readouterr().err


def test_an_unreadable_input_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.synk"
    bad.write_text("not a measurement")
    assert _script().main([str(bad), str(bad)]) == 1
    assert capsys.readouterr().err.startswith("error:")


def test_a_differing_call_is_classed():
    script = _script()
    call, kind = script._Call, script._kind
    none = call("none", ("none", "none"), 0.3, 0.1, 0.6)
    reaching = call("uncertain", ("none", "mild"), 0.4, 0.0, 0.9)
    assert kind(none, reaching) == "knife edge"  # 0.4 inside the original's 0.1..0.6
    assert kind(none, call("uncertain", ("none", "mild"), 0.9, 0.5, 1.2)) == "compatible"
    assert kind(none, call("moderate", ("moderate", "moderate"), 2.5, 2.0, 3.0)) == \
        "contradictory"
    assert kind(none, call("not measurable", None, float("nan"), None, None)) == "measurability"
    assert kind(none, None) == "side named in one"


def test_calls_are_keyed_by_side_and_a_mirrored_copy_swaps_them(single_face_measurement):
    from synkinesis.analysis import analyze_measurement

    script = _script()
    analysis = analyze_measurement(single_face_measurement)
    calls, swapped = script._calls(analysis), script._calls(analysis, swap=True)
    assert ("ocular_oral", "left") in calls and ("ocular_oral", "right") in calls
    assert calls[("ocular_oral", "left")].text == swapped[("ocular_oral", "right")].text
    assert calls[("ocular_oral", "left")].index == swapped[("ocular_oral", "right")].index
    assert ("oral_ocular", "-") in calls  # withheld: one call, no side


def test_a_pattern_withheld_in_both_for_different_reasons_counts_as_the_same():
    script = _script()
    same, call = script._same_or_withheld, script._Call
    none = call("none", ("none", "none"), 0.0, -0.1, 0.1)
    reference = {("ocular_oral", "left"): none, ("oral_ocular", "-"): call(
        "not assessable", None, float("nan"), None, None)}
    assert same({("ocular_oral", "left"): none, ("oral_ocular", "-"): call(
        "not measurable", None, float("nan"), None, None)}, reference)
    assert same(dict(reference), reference)
    assert not same({("ocular_oral", "left"): call("mild", ("mild", "mild"), 0.8, 0.6, 1.0),
                     ("oral_ocular", "-"): reference[("oral_ocular", "-")]}, reference)
