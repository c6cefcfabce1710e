"""scripts/validate_findings.py (issue 19, healthy copies): the table's counts and how a call
that differs from the original's is classed."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

from synkinesis.uncertainty import Interval

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
    assert ("copies with the same calls on the original's side (a copy leaning to the other "
            "side re-analysed with that side given): 1/1") in out
    assert ("copies with the same calls if uncertain calls were read by their lower class "
            "only (not the rule in use): 1/1") in out
    assert ("copies with the same calls, a pattern withheld in both for different reasons "
            "(not measurable / not assessable) counted as the same: 1/1") in out
    assert "copies with House-Brackmann above II: 0/1" in out
    assert "calls that differ, by kind: none" in out
    # single_face is healthy: no call whose interval's low end is at least mild
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


def test_a_differing_call_is_classed(single_face_measurement):
    from synkinesis.analysis import analyze_measurement

    kind = _script()._kind
    finding = analyze_measurement(single_face_measurement).finding("ocular_oral")
    none = replace(finding, severity="none", severity_range=("none", "none"))
    reaching = replace(finding, severity="uncertain", severity_range=("none", "mild"))
    moderate = replace(finding, severity="moderate", severity_range=("moderate", "moderate"))
    gone = replace(finding, severity="not measurable", severity_range=None)
    interval = Interval(0.1, 0.6, 0.9, 100, "repeat")
    assert kind(none, reaching, interval, 0.4, True) == "knife edge"
    assert kind(none, reaching, interval, 0.9, True) == "compatible"
    assert kind(none, moderate, interval, 2.5, True) == "contradictory"
    assert kind(none, moderate, interval, 0.4, False) == "other side"
    assert kind(none, gone, interval, None, True) == "measurability"


def test_a_pattern_withheld_in_both_for_different_reasons_counts_as_the_same():
    same = _script()._same_or_withheld
    reference = {"ocular_oral": "none", "oral_ocular": "not assessable"}
    assert same({"ocular_oral": "none", "oral_ocular": "not measurable"}, reference)
    assert same(dict(reference), reference)
    assert not same({"ocular_oral": "none", "oral_ocular": "none"}, reference)
    assert not same({"ocular_oral": "not measurable", "oral_ocular": "not assessable"},
                    reference)
