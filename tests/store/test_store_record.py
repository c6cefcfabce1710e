"""``synk record add``: the real video measured end to end, and the analysis coupling
(available, missing, failing) checked with stand-in analysis modules."""

# pytest fixtures are imported from store_fixtures by name, and used as parameters:
# ruff: noqa: F401, F811

from __future__ import annotations

import json
import shutil
import sys
import types

import pytest
from store_fixtures import (
    TODAY,
    add_patient,
    backend_url,
    cli,
    postgres_url,
    record_env,
    settings,
    sqlite_settings,
    sqlite_store,
    store,
)

from synkinesis.store import DuplicateError, repository
from synkinesis.store.models import MeasuredIndex, Recording, ScaleScore
from synkinesis.store.recordings import file_sha256, measure_indices, record_video


@pytest.mark.slow
def test_record_add_real_video_end_to_end(cli, media, tmp_path):
    video = media / "single_face.mp4"
    assert cli("patient", "add", "P001", "--side", "left", "--onset", "2025-01-10").exit_code == 0
    assert cli("visit", "add", "P001", "--date", "2025-03-03").exit_code == 0
    result = cli("record", "add", video, "--visit", "P001@2025-03-03", "-q")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "recorded single_face.mp4 for P001@2025-03-03" in out
    assert "sha256 95ee1a41bfd0" in out  # the media file's published sha256
    assert "(72 frames, 72 usable)" in out
    analysis_line = next(line for line in out.splitlines() if "analysis:" in line)
    assert ("(analysed)" in analysis_line or "analysis not available" in analysis_line
            or "analysis failed" in analysis_line), analysis_line
    derived = tmp_path / "derived" / "P001"
    (synk,) = derived.glob("*.synk")
    from synkinesis.results import read_measurement

    assert read_measurement(synk).n_frames == 72
    bundle = tmp_path / "bundle.json"
    assert cli("db", "export", "P001", "--bundle", bundle).exit_code == 0
    (recording,) = json.loads(bundle.read_text())["patient"]["visits"][0]["recordings"]
    assert recording["sha256"] == file_sha256(video)
    assert recording["measurement_sha256"] == file_sha256(synk)
    names = {index["name"] for index in recording["indices"]}
    assert {"palpebral_fissure_rest_left_mm", "palpebral_fissure_range_affected_pct",
            "usable_frames_pct"} <= names
    trend = cli("trend", "P001", "palpebral_fissure_range_affected_pct")
    assert trend.exit_code == 0 and "2025-03-03" in trend.output
    # the same video again: refused before anything is measured or written
    again = cli("record", "add", video, "--visit", "P001@2025-03-03", "-q")
    assert again.exit_code == 2 and "already recorded for P001@2025-03-03" in again.output
    assert len(list(derived.iterdir())) == len(list(derived.glob("2025-03-03_*")))
    # deleting the patient removes the derived files, never the video
    assert cli("patient", "delete", "P001", "--confirm", "P001").exit_code == 0
    assert not list(derived.iterdir()) and video.is_file()


def test_measure_indices_from_a_summary():
    summary = {"frames": {"count": 10, "usable": 8},
               "rows": [{"signal": "palpebral_fissure", "rest_left": 8.0, "rest_right": 10.0,
                         "range_left": 3.0, "range_right": 4.0}]}
    indices = measure_indices(summary, affected_side="left")
    assert indices["palpebral_fissure_range_affected_pct"].value == 75.0
    assert indices["palpebral_fissure_rest_right_mm"].value == 10.0
    assert indices["usable_frames_pct"].value == 80.0
    right = measure_indices(summary, affected_side="right")
    assert right["palpebral_fissure_range_affected_pct"].value == pytest.approx(400 / 3)
    assert "palpebral_fissure_range_affected_pct" not in measure_indices(
        summary, affected_side="bilateral")


# ------------------------------------------------------------------------------------------
# the analysis coupling, with stand-in modules (no MediaPipe run: an existing .synk attached)


@pytest.fixture
def visit_store(sqlite_store):
    with sqlite_store.transaction() as session:
        add_patient(session)
        repository.create_visit(session, patient_code="P001", visit_date="2026-01-05",
                                today=TODAY)
    return sqlite_store


@pytest.fixture
def inputs(single_face_measurement, tmp_path):
    """A stand-in video (its bytes only identify it) and a real measure result to attach."""
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"stand-in video " + tmp_path.name.encode())
    measurement = tmp_path / "given.synk"
    shutil.copyfile(single_face_measurement.path, measurement)
    return video, measurement


def _fake_analysis(monkeypatch, **attributes):
    module = types.ModuleType("synkinesis.analysis")
    for name, value in attributes.items():
        setattr(module, name, value)
    monkeypatch.setitem(sys.modules, "synkinesis.analysis", module)
    return module


def _analysis_content(**extra):
    from synkinesis.scales import result_to_dict, score

    return {"format": "synkinesis.analysis", "format_version": 1, "protocol_version": "7",
            "findings": [{"pattern": "ocular_oral", "index": 1.5, "side": "left"},
                         {"pattern": "mentalis", "index": None}],
            "resting": {"pattern": "resting_tone", "index": 0.25},
            "scales": [{"instrument": "house_brackmann",
                        "result": result_to_dict(score(
                            "hb", {"grade": "II"}, rater="automatic",
                            evidence={"grade": {"measurement": "voluntary_ratio",
                                                "value": 0.8, "confidence": 0.6}}))}],
            **extra}


def _record(store, inputs, **options):
    video, measurement = inputs
    return record_video(store, video=video, visit_ref="P001@2026-01-05",
                        measurement=measurement, **options)


def test_analysis_with_analyze_function(visit_store, inputs, monkeypatch):
    calls = []

    def analyze(measurement_path, output):
        calls.append(measurement_path)
        output.write_text(json.dumps(_analysis_content()))

    _fake_analysis(monkeypatch, analyze=analyze)
    outcome = _record(visit_store, inputs)
    assert outcome.analysis_status == "analysed" and outcome.analysis_path.is_file()
    assert calls == [outcome.measurement_path]
    assert outcome.indices["analysis.ocular_oral.index"].value == 1.5
    assert outcome.indices["analysis.resting_tone.index"].value == 0.25
    assert "analysis.mentalis.index" not in outcome.indices
    assert outcome.scale_notes == ("automatic house_brackmann 2",)
    with visit_store.reading() as session:
        (recording,) = session.query(Recording).all()
        assert recording.protocol_version == "7"
        assert recording.analysis_sha256 == file_sha256(outcome.analysis_path)
        (score,) = session.query(ScaleScore).all()
        assert (score.rater, score.rater_name, score.recording_id, score.total) == (
            "automatic", "synkinesis analysis", recording.id, 2)


def test_analysis_run_analysis_convention_gets_the_affected_side(visit_store, inputs,
                                                                 monkeypatch):
    seen = {}

    class AnalysisOptions:
        def __init__(self, affected_side=None):
            self.affected_side = affected_side

    def run_analysis(input_path, output_dir, *, options=None, figures=True):
        seen.update(side=options.affected_side, figures=figures)
        path = output_dir / "x.analysis.json"
        path.write_text(json.dumps(_analysis_content()))
        return types.SimpleNamespace(analysis_path=path)

    _fake_analysis(monkeypatch, run_analysis=run_analysis, AnalysisOptions=AnalysisOptions)
    outcome = _record(visit_store, inputs)
    assert outcome.analysis_status == "analysed"
    assert seen == {"side": "left", "figures": False}
    assert not [p for p in outcome.analysis_path.parent.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(("attributes", "status"), [
    ({}, "analysis not available: synkinesis.analysis has no analyze() or run_analysis()"),
    ({"analyze": lambda path: (_ for _ in ()).throw(RuntimeError("boom"))},
     "analysis failed: boom"),
    ({"analyze": lambda path: {"format": "something.else"}},
     "analysis failed: "),
    ({"analyze": lambda path: object()}, "analysis failed: analyze() returned object"),
])
def test_analysis_degrades_and_keeps_the_measurement(visit_store, inputs, monkeypatch,
                                                     attributes, status):
    _fake_analysis(monkeypatch, **attributes)
    outcome = _record(visit_store, inputs)
    assert outcome.analysis_status.startswith(status)
    assert outcome.analysis_path is None and outcome.measurement_path.is_file()
    assert not list(outcome.measurement_path.parent.glob("*.analysis.json"))
    with visit_store.reading() as session:
        (recording,) = session.query(Recording).all()
        assert recording.analysis_status == outcome.analysis_status
        assert recording.analysis_path is None
        assert session.query(MeasuredIndex).count() == len(outcome.indices) > 20


def test_missing_analysis_module(visit_store, inputs, monkeypatch):
    monkeypatch.setitem(sys.modules, "synkinesis.analysis", None)
    outcome = _record(visit_store, inputs)
    assert outcome.analysis_status == (
        "analysis not available: this synkinesis has no analysis module")


def test_attached_analysis_and_no_analysis(visit_store, inputs, tmp_path, monkeypatch):
    _fake_analysis(monkeypatch)
    given = tmp_path / "given.analysis.json"
    given.write_text(json.dumps(_analysis_content()))
    outcome = _record(visit_store, inputs, analysis=given)
    assert outcome.analysis_status == "attached"
    assert outcome.indices["analysis.ocular_oral.index"].value == 1.5
    video2 = tmp_path / "clip2.mp4"
    video2.write_bytes(b"another")
    second = record_video(visit_store, video=video2, visit_ref="P001@2026-01-05",
                          measurement=inputs[1], analyse=False)
    assert second.analysis_status == "analysis not requested"


def test_failure_while_storing_removes_new_files(visit_store, inputs, monkeypatch):
    import synkinesis.store.recordings as recordings

    _fake_analysis(monkeypatch)

    def refuse(*_args, **_kwargs):
        raise DuplicateError("raced by another writer")

    monkeypatch.setattr(recordings, "add_recording", refuse)
    with pytest.raises(DuplicateError):
        _record(visit_store, inputs)
    assert not list((visit_store.settings.data_dir / "P001").iterdir())
    with visit_store.reading() as session:
        assert session.query(Recording).count() == 0


def test_bad_attached_files(visit_store, inputs, tmp_path):
    from synkinesis.store import StoreValidationError

    video, measurement = inputs
    not_analysis = tmp_path / "x.json"
    not_analysis.write_text("{}")
    with pytest.raises(StoreValidationError, match="expected 'synkinesis.analysis'"):
        record_video(visit_store, video=video, visit_ref="P001@2026-01-05",
                     measurement=measurement, analysis=not_analysis)
    from synkinesis.results import ResultFileError

    with pytest.raises(ResultFileError):
        record_video(visit_store, video=video, visit_ref="P001@2026-01-05",
                     measurement=not_analysis)
    assert not list((visit_store.settings.data_dir / "P001").glob("*"))


def test_store_package_stays_out_of_light_imports():
    import subprocess

    code = ("import sys, synkinesis, synkinesis.cli.patient, synkinesis.cli.visit, "
            "synkinesis.cli.record, synkinesis.cli.treatment, synkinesis.cli.history, "
            "synkinesis.cli.db; "
            "heavy = [m for m in ('sqlalchemy', 'alembic', 'matplotlib', 'fhir') "
            "if m in sys.modules]; print(heavy); sys.exit(bool(heavy))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
