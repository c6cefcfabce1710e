"""The public Python API (docs/api.md): str and Path inputs, photos, DataFrames, nothing
written unless asked, options checked with the allowed values named, and the same analysis
as ``synk analyze``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import synkinesis

ROOT = Path(__file__).resolve().parent.parent


def _files(*folders: Path) -> set[Path]:
    return {p for folder in folders for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def video(media, tmp_path_factory) -> Path:
    """single_face.mp4 copied alone into a folder, so that a file written beside it shows."""
    folder = tmp_path_factory.mktemp("input")
    return Path(shutil.copy(media / "single_face.mp4", folder / "single_face.mp4"))


@pytest.fixture(scope="module")
def measured(video, tmp_path_factory):
    """Measured by the API with a str path, from a clean working directory; what it left."""
    cwd = tmp_path_factory.mktemp("cwd")
    before = _files(cwd, video.parent)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        measurement = synkinesis.measure_recording(str(video))
    finally:
        os.chdir(old)
    return measurement, _files(cwd, video.parent) - before


def test_measure_writes_nothing_and_keeps_the_measurement_in_memory(measured):
    measurement, written = measured
    assert written == set()
    assert measurement.path is None
    assert measurement.n_frames == 72
    assert measurement.load_landmarks().shape == (72, 478, 3)  # no file needed


def test_a_path_measures_as_a_str(measured, video):
    import numpy as np

    again = synkinesis.measure_recording(Path(video))
    first = measured[0]
    assert again.n_frames == first.n_frames
    np.testing.assert_array_equal(again.frames["flags"], first.frames["flags"])


def test_save_to_writes_the_result_asked_for(video, tmp_path):
    target = tmp_path / "kept.synk"
    measurement = synkinesis.measure_recording(video, save_to=target, method="fast")
    assert target.is_file() and measurement.path == target
    assert measurement.manifest.options["method"] == "fast"
    assert synkinesis.measure_recording(target).n_frames == measurement.n_frames


def test_a_list_of_photos(media, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    photos = [media / "single_face.jpg", str(media / "45-m7-di-ph.jpg")]
    measurement = synkinesis.measure_recording(photos)
    assert measurement.n_frames == 2
    assert list(tmp_path.iterdir()) == []
    frame = measurement.to_dataframe()
    assert len(frame) == 2 and "source" in frame.columns


def test_to_dataframe_columns_and_dtypes(measured):
    measurement = measured[0]
    frame = measurement.to_dataframe()
    assert len(frame) == 72
    columns = frame.columns.tolist()
    flags = [c for c in columns if c.startswith("flag_")]
    assert columns[columns.index("flags") + 1:][:len(flags)] == flags  # after the bitmask
    assert {"flag_NO_FACE", "flag_BLINK_LEFT", "flag_HIDDEN_RIGHT"} <= set(flags)
    assert all(frame[c].dtype == bool for c in flags)
    assert frame["landmark_source_left"].iloc[0] == "composite+lid-and-corner-edges"
    for name in measurement.signal_names:
        assert frame[name].dtype.kind == "f"
    assert frame["time_s"].dtype.kind == "f" and frame["frame"].dtype.kind == "i"
    raw = measurement.to_dataframe(decode_flags=False)
    assert not any(c.startswith("flag_") for c in raw.columns)
    assert raw["landmark_source_left"].dtype.kind == "i"
    assert raw.columns.tolist() == list(measurement.frames)


def test_findings_dataframe_and_to_dict(measured):
    result = synkinesis.analyze(measured[0], affected_side="right")
    findings = result.findings
    assert {"pattern", "side", "index", "severity", "confidence", "index_left", "index_right",
            "key_task", "excess_mm"} <= set(findings.columns)
    assert findings["pattern"].tolist()[-1] == "resting_tightness"
    assert len(findings) == len(result.analysis.findings) + 1
    for column in ("index", "confidence", "index_left", "index_right", "excess_mm"):
        assert findings[column].dtype == "float64"
    assert set(findings["side"]) == {"right"}
    content = result.to_dict()
    assert content["format"] and content["affected_side"]["side"] == "right"
    assert [f["pattern"] for f in content["findings"]] == findings["pattern"].tolist()[:-1]
    content["findings"].clear()
    assert result.to_dict()["findings"]  # a copy
    for column in ("index_low", "index_high", "other_index", "other_low", "other_high"):
        assert findings[column].dtype == "float64"
    assert findings["other_side"].isna().all()  # a side named: no other side's call


def test_findings_dataframe_of_an_unnamed_face_has_the_other_sides_call(measured):
    """No affected side named: each finding's row carries the other side's call, as the
    analysis file stores it (its ``other_side``)."""
    import pandas as pd

    result = synkinesis.analyze(measured[0])
    assert result.affected_side is None
    findings = result.findings
    stored = {f["pattern"]: f for f in [*result.to_dict()["findings"],
                                        result.to_dict()["resting"]]}
    called = 0
    for row in findings.itertuples():
        other = stored[row.pattern]["other_side"]
        if other is None:
            assert pd.isna(row.other_side) and pd.isna(row.other_index)
            continue
        called += 1
        assert (row.other_side, row.other_severity, row.other_key_task) == (
            other["side"], other["severity"], other["task"])
        assert (row.other_index, row.other_low, row.other_high) == pytest.approx(
            (other["index"], other["low"], other["high"]))
        assert row.other_side != row.side
        interval = stored[row.pattern]["interval"]
        assert (row.index_low, row.index_high) == pytest.approx((interval["low"],
                                                                 interval["high"]))
    assert called >= 2


@pytest.mark.parametrize(("options", "named"), [
    ({"method": "quick"}, "composite-edges"),
    ({"mirored": True}, "mirrored"),
    ({"mirrored": "yes"}, "True or False"),
    ({"iris_mm": 40}, "between 5 and 20"),
    ({"iris_mm": "11.7"}, "a number"),
    ({"rest_span_s": (3, 1)}, "START < END"),
    ({"engine": "tflite"}, "litert, mediapipe-tasks"),
])
def test_bad_options_name_the_allowed_values(video, options, named):
    with pytest.raises(ValueError, match=named):
        synkinesis.measure_recording(video, **options)


def test_bad_analysis_arguments_name_the_allowed_values(measured):
    with pytest.raises(ValueError, match="'left', 'right'"):
        synkinesis.analyze(measured[0], affected_side="L")
    with pytest.raises(ValueError, match="protocol must be"):
        synkinesis.analyze(measured[0], protocol=42)
    with pytest.raises(ValueError, match="non-empty list"):
        synkinesis.measure_recording([])


def test_missing_pandas_names_the_extra(measured, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install 'synkinesis\[research\]'"):
        measured[0].to_dataframe()


def _without_provenance(content: dict) -> dict:
    """The content less what says where and when it was made: the source files (the API's
    measurement has no file) and the time each scale was rated."""
    out = {k: v for k, v in content.items() if k != "source"}
    out["scales"] = [{**scale, "result": {**scale["result"], "provenance": {
        k: v for k, v in scale["result"]["provenance"].items() if k != "rated_at"}}}
        for scale in content["scales"]]
    return out


def test_the_same_analysis_as_synk_analyze(video, tmp_path, measured):
    spans = [{"task": "rest", "start_s": 0.0, "end_s": 0.8},
             {"task": "big_smile", "start_s": 0.8, "end_s": 2.4}]
    protocol = tmp_path / "spans.json"
    protocol.write_text(json.dumps(spans))
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "synkinesis", "analyze", str(video), "-o", str(out),
                    "--no-figures", "-q", "--protocol", str(protocol),
                    "--affected-side", "left"], check=True, cwd=tmp_path)
    cli = json.loads((out / "single_face.analysis.json").read_text())
    # from the CLI's own measure result: the same measurement, so the same analysis
    api = synkinesis.analyze(out / "single_face.synk", protocol=protocol, affected_side="left")
    assert _without_provenance(api.to_dict()) == _without_provenance(cli)
    assert api.to_dict()["source"]["spans_source"] == cli["source"]["spans_source"]
    # spans given as a list, and the API's own measurement of the video with the protocol's
    # rest span (a guided recording is measured with its rest, by every door)
    rested = synkinesis.measure_recording(video, rest_span_s=(0.0, 0.8))
    listed = synkinesis.analyze(rested, protocol=spans, affected_side="left")
    assert _without_provenance(listed.to_dict()) == _without_provenance(cli)
    # a video path: measured and analysed in one call
    direct = synkinesis.analyze(str(video), protocol=str(protocol), affected_side="left")
    assert _without_provenance(direct.to_dict()) == _without_provenance(cli)


def test_gallery_script_runs(media, tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "api_example.py"),
                          str(media / "single_face.mp4")], capture_output=True, text=True,
                         cwd=tmp_path, check=True).stdout
    assert "72 frames" in out and "resting_tightness" in out
    assert list(tmp_path.iterdir()) == []


def test_lazy_exports():
    assert set(synkinesis.__all__) >= {"measure_recording", "analyze", "Measurement"}
    code = ("import sys, synkinesis; assert 'numpy' not in sys.modules; "
            "f = synkinesis.measure_recording; import synkinesis.measure; "
            "assert synkinesis.measure_recording is f and callable(f); "
            "assert synkinesis.measure.__name__ == 'synkinesis.measure'")
    subprocess.run([sys.executable, "-c", code], check=True)
    with pytest.raises(AttributeError):
        synkinesis.no_such_name  # noqa: B018


# ---------------------------------------------------------------------------------------------
# photo sets


@pytest.fixture(scope="module")
def photo_folder(media, tmp_path_factory) -> Path:
    """single_face.mp4's rest frame (9) and smile peak (39) as a photo set named by task."""
    import cv2

    from videotools import read_frames

    frames = read_frames(media / "single_face.mp4")
    folder = tmp_path_factory.mktemp("photos")
    for name, index in (("rest.png", 9), ("smile_open.png", 39)):
        cv2.imwrite(str(folder / name), frames[index])
    return folder


def test_analyze_photos_as_synk_analyze_photos_and_writes_nothing(photo_folder, tmp_path,
                                                                 monkeypatch):
    from typer.testing import CliRunner

    from synkinesis.cli import app

    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    before = _files(cwd, photo_folder)
    (result,) = synkinesis.analyze_photos(str(photo_folder), affected_side="left")
    assert _files(cwd, photo_folder) == before
    assert isinstance(result, synkinesis.PhotoSetAnalysis)
    assert result.person == "photos" and set(result.photos) == {"rest", "big_smile"}
    assert result.measurement.path is None and result.measurement.n_frames == 2
    assert result.identity["checked"] is False
    findings = result.findings
    assert "ocular_oral" in set(findings["pattern"]) and findings["index"].dtype == "float64"
    out = tmp_path / "out"
    cli = CliRunner().invoke(app, ["analyze", "--photos", str(photo_folder), "-o", str(out),
                                   "-q", "--affected-side", "left"])
    assert cli.exit_code == 0, cli.output
    written = json.loads((out / "photos.analysis.json").read_text())
    assert _without_provenance(result.to_dict()) == _without_provenance(written)
    # the same set as a mapping task -> photo (Path), saved where asked
    saved = tmp_path / "saved"
    (mapped,) = synkinesis.analyze_photos(
        {"rest": photo_folder / "rest.png", "smile_open": photo_folder / "smile_open.png"},
        affected_side="left", save_to=saved)
    assert _without_provenance(mapped.to_dict()) == _without_provenance(written)
    assert {p.name for p in saved.iterdir()} == {"photos.synk", "photos.analysis.json"}
    assert mapped.measurement.path == saved / "photos.synk"


@pytest.mark.parametrize(("photos", "options", "named"), [
    ({"rest": "rest.png", "frown": "x.png"}, {}, "unknown task 'frown'"),
    (["rest.png", "holiday.png"], {}, "holiday.png"),
    ({"smile_open": "smile_open.png"}, {}, "no rest photo"),
    ("rest.png", {}, "is one photo"),
    (["rest.png"], {"rest_span_s": (0, 1)}, "rest is the rest photo"),
    (["rest.png"], {"method": "quick"}, "composite-edges"),
    ([1, 2], {}, "a mapping task -> photo"),
])
def test_analyze_photos_refuses_what_makes_no_set(photo_folder, photos, options, named):
    def inside(value):
        return str(photo_folder / value) if isinstance(value, str) else value

    given = ({k: inside(v) for k, v in photos.items()} if isinstance(photos, dict)
             else [inside(p) for p in photos] if isinstance(photos, list) else inside(photos))
    with pytest.raises(ValueError, match=re.escape(named)):
        synkinesis.analyze_photos(given, **options)
