"""The visit report's method lines say which cuts decided the severities."""

from types import SimpleNamespace

from synkinesis.reports.visit_report import _method_lines


def _lines(findings):
    analysis = {"options": {"findings": findings}, "format": "synkinesis-analysis",
                "format_version": 1}
    recording = SimpleNamespace(video_path="smile.mp4", sha256="0" * 64, protocol_version="1")
    return _method_lines(analysis, None, recording)


def test_the_severity_cuts_and_the_resting_cut_are_stated():
    lines = _lines({"severity_cuts": [0.5, 1.5, 2.5], "normal_resting": 1.0})
    cut = [line for line in lines if line.startswith("severity from the index")]
    assert len(cut) == 1
    assert "none < 0.5 <= mild < 1.5 <= moderate < 2.5 <= severe" in cut[0]
    assert cut[0].endswith("; resting tightness mild from 1")
    # an analysis file from before the resting cut: no resting clause
    older = _lines({"severity_cuts": [0.5, 1.5, 2.5]})
    assert not any("resting tightness" in line for line in older)


def test_an_unnamed_face_states_the_normal_asymmetry_it_was_decided_with():
    findings = {"severity_cuts": [0.5, 1.5, 2.5], "normal_resting": 1.0,
                "normal_asymmetry": {"ocular_oral": 1.3, "mentalis": 0.7}}
    recording = SimpleNamespace(video_path="smile.mp4", sha256="0" * 64, protocol_version="1")
    unnamed = {"options": {"findings": findings}, "format": "synkinesis-analysis",
               "format_version": 1, "affected_side": {"side": None, "leaning": "left"}}
    cut = [line for line in _method_lines(unnamed, None, recording)
           if line.startswith("severity from the index")]
    assert cut[0].endswith("; no affected side named: both sides called, mild from what "
                           "healthy faces reach (ocular-oral 1.3, mentalis 0.7)")
    named = {**unnamed, "affected_side": {"side": "left", "leaning": "left"}}
    cut = [line for line in _method_lines(named, None, recording)
           if line.startswith("severity from the index")]
    assert "no affected side named" not in cut[0]
