"""``synk analyze`` end to end, the analysis file, and every bad input of issue 3."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from synthetic_faces import make_recording
from typer.testing import CliRunner

from synkinesis.analysis import (
    FORMAT_NAME,
    FORMAT_VERSION,
    AnalysisError,
    AnalysisOptions,
    analyze_recording,
    read_analysis,
)
from synkinesis.cli import app
from synkinesis.quality import FrameFlag

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, ["analyze", *map(str, args)])


def nothing_called_above_mild(finding):
    """A healthy face: no severity above mild is called (an uncertain finding reaching down
    to none or mild says the recording cannot tell, and what would settle it)."""
    if finding["severity"] == "uncertain":
        return finding["severity_range"][0] in ("none", "mild") and bool(finding["settle"])
    return finding["severity"] in ("none", "mild", "not measurable")


def test_analyze_a_measure_result(single_face_measurement, tmp_path):
    result = invoke(single_face_measurement.path, "-o", tmp_path)
    assert result.exit_code == 0, result.output
    # No side is named on this healthy face; its indices lean to different sides (ocular-oral
    # left, mentalis right) but none is called or beyond a healthy face's range, so
    # House-Brackmann is suggested (grade I, with its range) rather than withheld.
    for text in ("big_smile", "ocular_oral", "resting_tightness", "sunnybrook", "eface",
                 "house_brackmann: grade I suggested", "no rest segment"):
        assert text in result.output
    data = read_analysis(tmp_path / "single_face.analysis.json")
    assert data["format"] == FORMAT_NAME and data["format_version"] == FORMAT_VERSION
    assert data["protocol_version"] == "1"
    assert set(data["scale_versions"]) == {"eface", "sunnybrook", "house_brackmann"}
    assert data["source"]["engine"]["model_sha256"]
    # File names only, no folders (they hold user and patient names): issue 16.
    assert data["source"]["measure_file"] == single_face_measurement.path.name
    assert data["segmentation"]["method"] == "unguided"
    assert len(data["coupling"]["movement_mm"]["left"]) == len(data["coupling"]["tasks"])
    finding = next(f for f in data["findings"] if f["pattern"] == "ocular_oral")
    assert finding["evidence"][0]["peak"]["time_s"] is not None
    figures = sorted(p.name for p in (tmp_path / "figures").glob("*.png"))
    assert "single_face-signals.png" in figures and "single_face-coupling.png" in figures
    assert any("keyframe" in name for name in figures)
    # Figures show the patient's face: readable by the owner only.
    for png in (tmp_path / "figures").glob("*.png"):
        assert png.stat().st_mode & 0o077 == 0, png


def test_analyze_with_guided_spans_and_a_given_side(single_face_measurement, tmp_path):
    protocol = tmp_path / "spans.json"
    protocol.write_text(json.dumps({"segments": [
        {"task": "rest", "start_s": 0.0, "end_s": 0.5},
        {"task": "big_smile", "start_s": 0.7, "end_s": 2.3}]}))
    result = invoke(single_face_measurement.path, "-o", tmp_path, "--protocol", protocol,
                    "--affected-side", "right", "--no-figures")
    assert result.exit_code == 0, result.output
    data = read_analysis(tmp_path / "single_face.analysis.json")
    assert data["segmentation"]["method"] == "guided"
    assert data["affected_side"]["side"] == "right"
    assert data["affected_side"]["method"] == "given"
    assert all(f["side"] == "right" for f in data["findings"])
    assert "brow_raise" in data["segmentation"]["missing_tasks"]
    assert not (tmp_path / "figures").exists()


@pytest.mark.slow
def test_analyze_a_video(media, tmp_path):
    result = invoke(media / "single_face.mp4", "-o", tmp_path, "--span", "rest=0:0.5",
                    "--span", "big_smile=0.7:2.3", "-q")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "single_face.synk").is_file()
    data = read_analysis(tmp_path / "single_face.analysis.json")
    assert data["source"]["spans_source"] == "command line"
    assert all(nothing_called_above_mild(f) for f in data["findings"])


def test_analyze_a_video_with_honest_one_sided_signals(media, tmp_path):
    result = invoke(media / "single_face.mp4", "-o", tmp_path, "--method", "composite-edges",
                    "--no-figures")
    assert result.exit_code == 0, result.output
    from synkinesis.measure import read_measurement

    manifest = read_measurement(tmp_path / "single_face.synk").manifest
    assert manifest.options["method"] == "composite-edges"
    assert "pulls one-sided movement" not in result.output  # said only of symmetric / fast
    data = read_analysis(tmp_path / "single_face.analysis.json")
    assert all(nothing_called_above_mild(f) for f in data["findings"])
    bad = invoke(media / "single_face.mp4", "-o", tmp_path / "b", "--method", "honest")
    assert bad.exit_code == 2 and "'honest' is not one of 'composite-edges'" in bad.output


@pytest.mark.parametrize(("args", "message"), [
    (["--span", "big_smile=5:8"], "does not match the recording"),
    (["--span", "smile=0:1"], "unknown task 'smile'"),
    (["--span", "big_smile"], "TASK=START:END"),
    (["--affected-side", "up"], "'left', 'right', 'auto'"),
    (["--noise-floor", "hold"], "'hold' is not one of 'rest', 'window', 'sustained'"),
    (["--combine-repetitions", "max"], "'max' is not one of 'best', 'mean'"),
    (["--held-level", "median"], "'median' is not one of 'minimum', 'mean', 'driver'"),
])
def test_bad_options_exit_2_with_a_message(single_face_measurement, tmp_path, args, message):
    result = invoke(single_face_measurement.path, "-o", tmp_path, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_bad_protocol_files(single_face_measurement, tmp_path):
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"x": 1}')
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    for path, message in ((wrong, "must be a JSON list"), (broken, "is not JSON"),
                          (tmp_path / "none.json", "cannot read protocol file")):
        result = invoke(single_face_measurement.path, "-o", tmp_path, "--protocol", path)
        assert result.exit_code == 2 and message in result.output, result.output


def test_inputs_that_are_not_recordings(media, tmp_path):
    result = invoke(tmp_path / "missing.synk", "-o", tmp_path)
    assert result.exit_code == 2 and "no such file" in result.output
    notes = tmp_path / "notes.synk"
    notes.write_text("hello")
    result = invoke(notes, "-o", tmp_path)
    assert result.exit_code == 2 and "not a synkinesis result file" in result.output


@pytest.mark.slow
def test_video_without_a_face(media, tmp_path):
    result = invoke(media / "no_face.mp4", "-o", tmp_path)
    assert result.exit_code == 2 and "no face" in result.output


def test_sidecar_protocol_beside_the_input_is_used(single_face_measurement, tmp_path):
    import shutil

    copy = tmp_path / "visit.synk"
    shutil.copy(single_face_measurement.path, copy)
    (tmp_path / "visit.protocol.json").write_text(json.dumps([
        {"task": "rest", "start_s": 0.0, "end_s": 0.5},
        {"task": "big_smile", "start_s": 0.7, "end_s": 2.3}]))
    result = invoke(copy, "-o", tmp_path / "out", "--no-figures", "-q")
    assert result.exit_code == 0, result.output
    data = read_analysis(tmp_path / "out" / "visit.analysis.json")
    assert data["segmentation"]["method"] == "guided"
    assert data["source"]["spans_source"].endswith("visit.protocol.json")


def test_too_short_and_mostly_flagged_recordings():
    recording, _ = make_recording((("rest", 0.5),))
    with pytest.raises(AnalysisError, match="too short"):
        analyze_recording(recording)
    recording, spans = make_recording()
    flags = np.full(recording.n_frames, int(FrameFlag.NO_FACE))
    flags[:5] = 0
    from dataclasses import replace

    with pytest.raises(AnalysisError, match="only 5 of"):
        analyze_recording(replace(recording, flags=flags))
    flags[: int(0.4 * recording.n_frames)] = 0
    analysis = analyze_recording(replace(recording, flags=flags), spans=spans)
    assert any("flagged unusable" in w for w in analysis.warnings)


def test_bad_affected_side_option():
    with pytest.raises(AnalysisError, match="affected side"):
        AnalysisOptions(affected_side="up").validate()  # type: ignore[arg-type]


def test_importing_the_analysis_stays_light():
    code = ("import sys, synkinesis.analysis, synkinesis.protocol, synkinesis.coupling, "
            "synkinesis.findings, synkinesis.reports\n"
            "heavy = [m for m in ('matplotlib', 'cv2', 'mediapipe') if m in sys.modules]\n"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == ""


def test_an_output_that_is_a_file_or_cannot_be_created_is_a_clear_error(
        single_face_measurement, tmp_path):
    existing = tmp_path / "existing_file"
    existing.write_text("not a directory")
    for output, message in ((existing, "exists and is not a directory"),
                            ("/proc/nope", "cannot create the output directory")):
        result = invoke(single_face_measurement.path, "-o", output, "--no-figures")
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert "Traceback" not in result.output
        assert not isinstance(result.exception, OSError)
        assert len(result.output.strip().splitlines()) == 1


def test_a_span_past_the_end_is_cut_and_said(single_face_measurement, tmp_path):
    result = invoke(single_face_measurement.path, "-o", tmp_path, "--no-figures",
                    "--span", "rest=0:0.5", "--span", "big_smile=0.7:100")
    assert result.exit_code == 0, result.output
    assert "big_smile 0.7..100 s ends past the end of the recording" in result.output
    data = read_analysis(tmp_path / "single_face.analysis.json")
    assert any("past the end" in w for w in data["warnings"])


@pytest.mark.parametrize("version", ["1", "one", None, 0, 1.5, True])
def test_read_analysis_refuses_a_format_version_that_is_not_a_whole_number(tmp_path, version):
    path = tmp_path / "x.analysis.json"
    path.write_text(json.dumps({"format": FORMAT_NAME, "format_version": version}))
    with pytest.raises(AnalysisError, match="format_version must be a whole number"):
        read_analysis(path)
    path.write_text(json.dumps({"format": FORMAT_NAME, "format_version": 99}))
    with pytest.raises(AnalysisError, match="newer than this program"):
        read_analysis(path)


def test_analyze_with_the_hold_floor_and_averaged_repetitions(single_face_measurement, tmp_path):
    """`--noise-floor sustained --combine-repetitions mean`: recorded in the analysis file's
    options, every floor at least the 0.3 mm minimum, the healthy face still called nothing
    above mild (docs/validation.md: why neither is the default)."""
    result = invoke(single_face_measurement.path, "-o", tmp_path, "--no-figures",
                    "--noise-floor", "sustained", "--combine-repetitions", "mean")
    assert result.exit_code == 0, result.output
    data = json.loads(next(tmp_path.glob("*.analysis.json")).read_text())
    assert data["options"]["coupling"]["noise_floor"] == "sustained"
    assert data["options"]["coupling"]["repetitions"] == "mean"
    floors = [f for f in data["coupling"]["noise_floor_mm"] if f is not None]
    assert floors and min(floors) >= 0.3
    assert all(nothing_called_above_mild(f) for f in data["findings"])


def test_analyze_with_co_movement_read_over_the_driver_s_hold(single_face_measurement,
                                                               tmp_path):
    """`--held-level driver`: recorded in the analysis file's options, the driver cells (the
    voluntary ranges) as with the default, the healthy face still called nothing at least mild
    (docs/validation.md: why it is not the default)."""
    runs = {}
    for rule in ("minimum", "driver"):
        out = tmp_path / rule
        result = invoke(single_face_measurement.path, "-o", out, "--no-figures",
                        "--held-level", rule)
        assert result.exit_code == 0, result.output
        runs[rule] = json.loads(next(out.glob("*.analysis.json")).read_text())
    assert runs["driver"]["options"]["coupling"]["held_level"] == "driver"
    assert (runs["driver"]["coupling"]["voluntary_range_mm"]
            == runs["minimum"]["coupling"]["voluntary_range_mm"])
    assert all(nothing_called_above_mild(f) for f in runs["driver"]["findings"])
    assert not any(f.get("severity_range") and f["severity_range"][0] != "none"
                   for f in runs["driver"]["findings"]
                   if f["severity"] not in ("not assessable", "not measurable"))


def test_the_affected_side_help_states_the_normal_asymmetry_in_use():
    # The help's numbers are the defaults the analysis uses when no side is named.
    from synkinesis.findings import NORMAL_ASYMMETRY, SEVERITY_CUTS

    result = runner.invoke(app, ["analyze", "--help"], env={"COLUMNS": "400"})
    text = " ".join(result.output.split())
    assert f"ocular-oral below {NORMAL_ASYMMETRY['ocular_oral']:g} points" in text
    assert f"mentalis below {NORMAL_ASYMMETRY['mentalis']:g}" in text
    assert f"mild starts at {SEVERITY_CUTS[0]:g} on that side" in text
