"""``synk record add`` / :func:`synkinesis.workflow.record_recording`: the real video measured
end to end, and the analysis step (run, failing, attached, not asked for) checked with stand-in
analysis functions."""

# pytest fixtures are imported from store_fixtures by name, and used as parameters:
# ruff: noqa: F401, F811

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

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
from synkinesis.store.models import MeasuredIndex, RecordingRow, ScaleScore
from synkinesis.store.recordings import file_sha256, measure_indices
from synkinesis.workflow import WorkflowOptions, record_recording

MEASURE_ONLY = WorkflowOptions(analyse=False)


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
    assert analysis_line.endswith("(analysed, unguided)"), analysis_line
    derived = tmp_path / "derived" / "P001"
    (synk,) = derived.glob("*.synk")
    from synkinesis.measure import read_measurement

    assert read_measurement(synk).n_frames == 72
    # patient data readable by the user only: the record's database, folders and files
    for path in (synk, *derived.glob("*.analysis.json"), tmp_path / "cli.sqlite"):
        assert path.stat().st_mode & 0o777 == 0o600, path
    assert derived.stat().st_mode & 0o777 == 0o700
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
    assert not derived.exists() and video.is_file()


@pytest.mark.slow
def test_record_add_measures_with_the_clinic_method(cli, media, monkeypatch):
    """SYNK_MEASURE_METHOD chooses how the record measures (a clinic that records protocol
    videos can choose the honest one-sided method for everything)."""
    from synkinesis.measure import read_measurement

    assert cli("patient", "add", "P001", "--side", "left", "--onset", "2025-01-10").exit_code == 0
    assert cli("visit", "add", "P001", "--date", "2025-03-03").exit_code == 0
    monkeypatch.setenv("SYNK_MEASURE_METHOD", "composite-edges")
    result = cli("record", "add", media / "single_face.mp4", "--visit", "P001@2025-03-03", "-q",
                 "--no-analysis")
    assert result.exit_code == 0, result.output
    assert cli("visit", "add", "P001", "--date", "2025-03-17").exit_code == 0
    monkeypatch.setenv("SYNK_MEASURE_METHOD", "nonsense")
    bad = cli("record", "add", media / "single_face.mp4", "--visit", "P001@2025-03-17", "-q")
    assert bad.exit_code == 2 and "'nonsense' is not one of" in bad.output
    assert "'composite-edges'" in bad.output
    data_dir = Path(os.environ["SYNK_DATA_DIR"]) / "P001"
    (synk,) = data_dir.glob("*.synk")
    manifest = read_measurement(synk).manifest
    assert manifest.options["method"] == "composite-edges"
    assert manifest.refinement_rest_offsets is not None


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


def _fake_analysis(monkeypatch, *, content=None, seen=None, error=None):
    """Stand in for the analysis inside the workflow: record what it was asked, then fail
    with ``error`` or make ``content`` the analysis file."""
    import synkinesis.workflow as workflow

    def analyze_measurement(measurement, *, spans=None, options=None):
        if seen is not None:
            seen.update(input=measurement.path, side=options.affected_side, spans=spans)
        if error is not None:
            raise error
        return object()

    monkeypatch.setattr(workflow, "analyze_measurement", analyze_measurement)
    monkeypatch.setattr(workflow, "analysis_to_dict", lambda *_a, **_k: content)


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
    """Attach the real measurement to the stand-in video (``force``: these tests are about
    the analysis step, not about matching the files)."""
    video, measurement = inputs
    return record_recording(store, video=video, visit_ref="P001@2026-01-05",
                            measurement=measurement, **{"force": True, **options})


def test_analysis_is_run_with_the_affected_side(visit_store, inputs, monkeypatch):
    seen = {}
    _fake_analysis(monkeypatch, content=_analysis_content(), seen=seen)
    outcome = _record(visit_store, inputs)
    assert outcome.analysis_status == "analysed" and outcome.analysis_path.is_file()
    assert seen == {"input": outcome.measurement_path, "side": "left", "spans": None}
    assert not [p for p in outcome.analysis_path.parent.iterdir() if p.name.startswith(".")]
    assert outcome.indices["analysis.ocular_oral.index"].value == 1.5
    assert outcome.indices["analysis.resting_tone.index"].value == 0.25
    assert "analysis.mentalis.index" not in outcome.indices
    assert outcome.scale_notes == ("automatic house_brackmann 2",)
    with visit_store.reading() as session:
        (recording,) = session.query(RecordingRow).all()
        assert recording.protocol_version == "7"
        assert recording.analysis_sha256 == file_sha256(outcome.analysis_path)
        (score,) = session.query(ScaleScore).all()
        assert (score.rater, score.rater_name, score.recording_id, score.total) == (
            "automatic", "synkinesis analysis", recording.id, 2)


@pytest.mark.parametrize(("stand_in", "status"), [
    ({"error": RuntimeError("boom")}, "analysis failed: boom"),
    ({"content": {"format": "something.else"}}, "analysis failed: "),
])
def test_analysis_degrades_and_keeps_the_measurement(visit_store, inputs, monkeypatch,
                                                     stand_in, status):
    _fake_analysis(monkeypatch, **stand_in)
    outcome = _record(visit_store, inputs)
    assert outcome.analysis_status.startswith(status)
    assert outcome.analysis_path is None and outcome.measurement_path.is_file()
    assert not list(outcome.measurement_path.parent.glob("*.analysis.json"))
    with visit_store.reading() as session:
        (recording,) = session.query(RecordingRow).all()
        assert recording.analysis_status == outcome.analysis_status
        assert recording.analysis_path is None
        assert session.query(MeasuredIndex).count() == len(outcome.indices) > 20


def test_the_store_does_not_import_the_analysis():
    """The store only persists: the workflow, a layer above both, runs the analysis and
    hands its file down (issue 17)."""
    import subprocess

    code = ("import sys, synkinesis.store.recordings, synkinesis.store.analysis_files, "
            "synkinesis.store.exchange; print([m for m in ('synkinesis.analysis', "
            "'synkinesis.workflow') if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stdout + done.stderr


def test_attached_analysis_and_no_analysis(visit_store, inputs, tmp_path, monkeypatch):
    _fake_analysis(monkeypatch, error=AssertionError("the analysis ran"))
    given = tmp_path / "given.analysis.json"
    given.write_text(json.dumps(_analysis_content()))
    outcome = _record(visit_store, inputs, analysis=given)
    assert outcome.analysis_status == "attached"
    assert outcome.indices["analysis.ocular_oral.index"].value == 1.5
    video2 = tmp_path / "clip2.mp4"
    video2.write_bytes(b"another")
    second = record_recording(visit_store, video=video2, visit_ref="P001@2026-01-05",
                              measurement=inputs[1], options=MEASURE_ONLY,
                              force=True)
    assert second.analysis_status == "analysis not requested"


def test_failure_while_storing_removes_new_files(visit_store, inputs, monkeypatch):
    import synkinesis.store.recordings as recordings

    _fake_analysis(monkeypatch, error=RuntimeError("not needed here"))

    def refuse(*_args, **_kwargs):
        raise DuplicateError("raced by another writer")

    monkeypatch.setattr(recordings, "add_recording", refuse)
    with pytest.raises(DuplicateError):
        _record(visit_store, inputs)
    assert not list((visit_store.settings.data_dir / "P001").iterdir())
    with visit_store.reading() as session:
        assert session.query(RecordingRow).count() == 0


def test_bad_attached_files(visit_store, inputs, tmp_path):
    from synkinesis.store import StoreValidationError

    video, measurement = inputs
    not_analysis = tmp_path / "x.json"
    not_analysis.write_text("{}")
    with pytest.raises(StoreValidationError, match="expected 'synkinesis.analysis'"):
        record_recording(visit_store, video=video, visit_ref="P001@2026-01-05",
                         measurement=measurement, analysis=not_analysis)
    from synkinesis.measure import ResultFileError

    with pytest.raises(ResultFileError):
        record_recording(visit_store, video=video, visit_ref="P001@2026-01-05",
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


# ------------------------------------------------------------------------------------------
# attached files must come from the video; the recorder's spans guide the analysis; the
# derived files are private; the real analysis's indices are the ones stored


@pytest.fixture
def visit_copy(media, tmp_path):
    """The real test video under another name (as a clinic's recorder would save it)."""
    video = tmp_path / "visit.mp4"
    shutil.copyfile(media / "single_face.mp4", video)
    return video


def test_attached_measurement_of_another_video_is_refused(visit_store, media,
                                                          single_face_measurement):
    from synkinesis.store import StoreValidationError

    with pytest.raises(StoreValidationError, match=(
            r"made from another video \(single_face.mp4: frame_count 72 vs 98, fps 30.0 vs "
            r"23.67.*, width 640 vs 960, height 360 vs 540 in no_face.mp4\)")):
        record_recording(visit_store, video=media / "no_face.mp4", visit_ref="P001@2026-01-05",
                         measurement=single_face_measurement.path, options=MEASURE_ONLY)
    assert not (visit_store.settings.data_dir / "P001").exists()
    with visit_store.reading() as session:
        assert session.query(RecordingRow).count() == 0
    forced = record_recording(visit_store, video=media / "no_face.mp4",
                              visit_ref="P001@2026-01-05", measurement=single_face_measurement.path,
                              options=MEASURE_ONLY, force=True)
    assert forced.summary["frames"]["count"] == 72


def test_attached_analysis_of_another_recording_is_refused(visit_store, visit_copy, tmp_path,
                                                           single_face_measurement):
    from synkinesis.store import StoreValidationError

    other = tmp_path / "other.analysis.json"
    other.write_text(json.dumps(_analysis_content(recording={"frames": 300},
                                                  source={"input": "/v/other.mp4"})))
    with pytest.raises(StoreValidationError, match="the analysis covers 300 frames, the "
                                                   "measurement of visit.mp4 72"):
        record_recording(visit_store, video=visit_copy, visit_ref="P001@2026-01-05",
                         measurement=single_face_measurement.path, analysis=other)
    assert not list((visit_store.settings.data_dir / "P001").iterdir())


def test_matching_attached_files_are_accepted_with_a_note_on_the_name(
        visit_store, visit_copy, tmp_path, single_face_measurement):
    from synkinesis.store.errors import StoreWarning

    given = tmp_path / "given.analysis.json"
    given.write_text(json.dumps(_analysis_content(recording={"frames": 72},
                                                  source={"input": "/v/single_face.mp4"})))
    with pytest.warns(StoreWarning) as caught:
        outcome = record_recording(visit_store, video=visit_copy, visit_ref="P001@2026-01-05",
                                   measurement=single_face_measurement.path, analysis=given)
    assert outcome.analysis_status == "attached"
    assert [str(w.message) for w in caught] == [
        "the measure result was made from a file named single_face.mp4, not visit.mp4 (same "
        "frame count, rate and size)",
        "the analysis was made from a file named single_face.mp4, not visit.mp4 (same frame "
        "count)"]


@pytest.mark.slow
def test_sidecar_protocol_beside_the_source_video_guides_the_analysis(
        visit_store, visit_copy, single_face_measurement, tmp_path):
    sidecar = visit_copy.with_name("visit.protocol.json")
    sidecar.write_text(json.dumps([{"task": "rest", "start_s": 0, "end_s": 0.5},
                                   {"task": "big_smile", "start_s": 0.7, "end_s": 2.3}]))
    outcome = record_recording(visit_store, video=visit_copy, visit_ref="P001@2026-01-05",
                               measurement=single_face_measurement.path, force=True)
    assert (outcome.analysis_status, outcome.segmentation) == ("analysed", "guided")
    data = json.loads(outcome.analysis_path.read_text())
    assert data["segmentation"]["method"] == "guided"
    assert data["source"]["spans_source"] == sidecar.name  # no folder names (issue 16)
    # an explicit spans file wins over the sidecar
    other_video = tmp_path / "other" / "clip.mp4"
    other_video.parent.mkdir()
    other_video.write_bytes(visit_copy.read_bytes() + b"\0")
    spans = tmp_path / "spans.json"
    spans.write_text(sidecar.read_text())
    explicit = record_recording(visit_store, video=other_video, visit_ref="P001@2026-01-05",
                                measurement=single_face_measurement.path,
                                options=WorkflowOptions(protocol_file=spans), force=True)
    assert explicit.segmentation == "guided"
    assert json.loads(explicit.analysis_path.read_text())["source"]["spans_source"] == spans.name


@pytest.mark.slow
def test_real_analysis_indices_are_stored(visit_store, visit_copy, single_face_measurement):
    """The indices stored from a real analysis of single_face.mp4 are its findings' indices,
    by pattern, in Sunnybrook points (and nothing else of the analysis file)."""
    outcome = record_recording(visit_store, video=visit_copy, visit_ref="P001@2026-01-05",
                               measurement=single_face_measurement.path, force=True)
    assert (outcome.analysis_status, outcome.segmentation) == ("analysed", "unguided")
    data = json.loads(outcome.analysis_path.read_text())
    expected = {f"analysis.{f['pattern']}.index": f["index"]
                for f in [*data["findings"], data["resting"]] if f["index"] is not None}
    assert "analysis.ocular_oral.index" in expected and len(expected) >= 3
    with visit_store.reading() as session:
        stored = {i.name: (i.value, i.unit) for i in session.query(MeasuredIndex)
                  if i.source == "analysis"}
    assert stored == {name: (pytest.approx(value), "points") for name, value in expected.items()}
    assert data["source"]["spans_source"] is None


def test_derived_files_and_folders_are_private(visit_store, visit_copy,
                                               single_face_measurement):
    outcome = record_recording(visit_store, video=visit_copy, visit_ref="P001@2026-01-05",
                               measurement=single_face_measurement.path, options=MEASURE_ONLY,
                               force=True)
    assert outcome.measurement_path.stat().st_mode & 0o777 == 0o600
    assert outcome.measurement_path.parent.stat().st_mode & 0o777 == 0o700


def test_patient_code_cannot_leave_the_data_directory(visit_store, visit_copy, tmp_path,
                                                      single_face_measurement):
    from sqlalchemy import text

    from synkinesis.store import StoreValidationError
    from synkinesis.store.recordings import patient_directory

    root = tmp_path / "data"
    assert patient_directory(root, "P001") == root.resolve() / "P001"
    for bad in ("../escaped", "..", "a/b", "/etc", ""):
        with pytest.raises(StoreValidationError, match="patient code"):
            patient_directory(root, bad)
    # a row written around the repository (an old database) still cannot place files outside
    with visit_store.transaction() as session:
        visit_id = repository.find_visit(session, ref="P001@2026-01-05").id
        session.execute(text("UPDATE patients SET code = '../escaped'"))
    with pytest.raises(StoreValidationError, match="patient code"):
        record_recording(visit_store, video=visit_copy, visit_ref=visit_id,
                         measurement=single_face_measurement.path, options=MEASURE_ONLY)
    assert not (visit_store.settings.data_dir.parent / "escaped").exists()


def test_source_video_is_stored_by_name_and_derived_files_private_under_any_umask(
        visit_store, visit_copy, single_face_measurement):
    """Issue 16 items 15 and 16: no folder names (user, patient) of the source video in the
    record unless asked; the patient folder and its files 0700/0600 whatever the umask."""
    previous = os.umask(0o022)
    try:
        outcome = record_recording(visit_store, video=visit_copy, visit_ref="P001@2026-01-05",
                                   measurement=single_face_measurement.path, options=MEASURE_ONLY,
                                   force=True)
    finally:
        os.umask(previous)
    with visit_store.reading() as session:
        stored = session.get(RecordingRow, outcome.recording_id)
        assert stored.video_path == visit_copy.name and stored.sha256 == outcome.sha256
    assert outcome.measurement_path.stat().st_mode & 0o777 == 0o600
    assert outcome.measurement_path.parent.stat().st_mode & 0o777 == 0o700


def _with_source_sha256(measurement, target, digest):
    """A copy of a measure result whose manifest gives its source as name + sha256 (as
    results written since issue 16 do), without any folder."""
    import zipfile

    with zipfile.ZipFile(measurement) as given, zipfile.ZipFile(target, "w") as copy:
        for item in given.infolist():
            data = given.read(item.filename)
            if item.filename == "manifest.json":
                manifest = json.loads(data)
                manifest["source"].update(files=["single_face.mp4"], sha256=[digest],
                                          description="single_face.mp4")
                manifest["source"]["video"]["path"] = "single_face.mp4"
                data = json.dumps(manifest).encode()
            copy.writestr(item, data)
    return target


def test_attached_measurement_is_matched_by_the_sha256_it_gives(
        visit_store, visit_copy, tmp_path, single_face_measurement):
    from synkinesis.store import StoreValidationError

    other = _with_source_sha256(single_face_measurement.path, tmp_path / "other.synk",
                                "0" * 64)
    with pytest.raises(StoreValidationError, match=r"made from another video \(sha256 "
                                                   r"000000000000\.\.\."):
        record_recording(visit_store, video=visit_copy, visit_ref="P001@2026-01-05",
                         measurement=other, options=MEASURE_ONLY)
    same = _with_source_sha256(single_face_measurement.path, tmp_path / "same.synk",
                               file_sha256(visit_copy))
    with pytest.warns(UserWarning, match="made from a file named single_face.mp4"):
        outcome = record_recording(visit_store, video=visit_copy, visit_ref="P001@2026-01-05",
                                   measurement=same, options=MEASURE_ONLY)
    assert outcome.recording_id
