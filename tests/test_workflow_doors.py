"""One workflow, three doors (issue 17): the same recording with the same options gives the same
analysis whether it comes in by ``synk analyze``, ``synk record add`` or the web app's
recording job."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from synkinesis.cli import app

#: Guided spans of single_face.mp4 (2.4 s), as a recorder would give them.
SPANS = [{"task": "rest", "start_s": 0.0, "end_s": 0.5},
         {"task": "big_smile", "start_s": 0.7, "end_s": 2.3}]
#: What says where, when and by which program a file was made, not what was found.
PROVENANCE = ("package", "source", "rated_at")


def without_provenance(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_provenance(v) for k, v in value.items() if k not in PROVENANCE}
    if isinstance(value, list):
        return [without_provenance(v) for v in value]
    return value


def through_analyze(video: Path, output: Path, *extra: str) -> dict[str, Any]:
    spans = [f"--span={s['task']}={s['start_s']}:{s['end_s']}" for s in SPANS]
    result = CliRunner().invoke(app, ["analyze", str(video), "-o", str(output), "-q",
                                      "--no-figures", "--affected-side", "left", *spans,
                                      *extra])
    assert result.exit_code == 0, result.output
    return json.loads((output / f"{video.stem}.analysis.json").read_text())


def through_record_add(video: Path, root: Path, monkeypatch, *extra: str,
                       spans_file: bool = True) -> dict[str, Any]:
    """``synk record add`` with the spans in a protocol file, or as --span options."""
    root.mkdir()
    monkeypatch.setenv("SYNK_DATABASE_URL", f"sqlite:///{root / 'record.sqlite'}")
    monkeypatch.setenv("SYNK_DATA_DIR", str(root / "derived"))
    monkeypatch.delenv("SYNK_MEASURE_METHOD", raising=False)
    protocol = root / "spans.json"
    protocol.write_text(json.dumps(SPANS))
    spans = ["--spans", str(protocol)] if spans_file else [
        f"--span={s['task']}={s['start_s']}:{s['end_s']}" for s in SPANS]
    runner = CliRunner()
    for args in (["patient", "add", "P001", "--side", "left"],
                 ["visit", "add", "P001", "--date", "2026-01-05"],
                 ["record", "add", str(video), "--visit", "P001@2026-01-05", "-q", *spans,
                  *extra]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    (analysis,) = (root / "derived" / "P001").glob("*.analysis.json")
    return json.loads(analysis.read_text())


def through_web_job(video: Path, root: Path, monkeypatch) -> dict[str, Any]:
    """The JobManager path without a browser. The browser's WebM is converted to MP4 first
    (the web door's own input step); here the upload is an MP4 already and kept as it is,
    so that all three doors measure the same bytes."""
    import synkinesis.web.jobs as jobs
    from synkinesis.store import load_settings, open_store
    from synkinesis.store.repository import create_patient, create_visit

    root.mkdir()

    def keep(source: Path, output: Path) -> Path:
        shutil.copyfile(source, output)
        return output

    monkeypatch.setattr(jobs, "normalise_video", keep)
    store = open_store(load_settings(database_url=f"sqlite:///{root / 'web.sqlite'}",
                                     environ={"SYNK_DATA_DIR": str(root / "derived")}))
    with store.transaction() as session:
        create_patient(session, code="P1", affected_side="left")
        visit_id = create_visit(session, patient_code="P1", visit_date="2026-01-05").id
    upload = root / "upload.bin"
    shutil.copyfile(video, upload)
    manager = jobs.JobManager(store)
    job = manager.submit_recording(patient_code="P1", affected_side="left", visit_ref=visit_id,
                                   upload=upload, spans=SPANS)
    deadline = time.monotonic() + 600
    while not (job.done or job.failed) and time.monotonic() < deadline:
        time.sleep(0.2)
    manager.shutdown()
    assert job.done, job.message
    with store.reading() as session:
        from synkinesis.store.models import RecordingRow

        (recording,) = session.query(RecordingRow).all()
        path = Path(recording.analysis_path)
    store.close()
    return json.loads(path.read_text())


@pytest.mark.slow
def test_the_three_doors_give_the_same_analysis(media, tmp_path, monkeypatch):
    video = tmp_path / "visit.mp4"
    shutil.copyfile(media / "single_face.mp4", video)
    doors = {
        "synk analyze": through_analyze(video, tmp_path / "analyze"),
        "synk record add": through_record_add(video, tmp_path / "record", monkeypatch),
        "web job": through_web_job(video, tmp_path / "web", monkeypatch),
    }
    reference = without_provenance(doors["synk analyze"])
    assert reference["segmentation"]["method"] == "guided"
    assert reference["affected_side"]["side"] == "left"
    for door, content in doors.items():
        assert without_provenance(content) == reference, door


def test_the_commands_that_measure_take_the_same_measure_options():
    """synk analyze and synk record add declare their measure and spans options once
    (cli/common.py): before issue 17, analyze had no --iris-mm or --mirrored, neither had
    --rest, record add had no --span and called --protocol --spans."""
    from typer.main import get_command

    command = get_command(app)
    analyze = command.commands["analyze"]  # type: ignore[attr-defined]
    record_add = command.commands["record"].commands["add"]  # type: ignore[attr-defined]
    shared = {"--method", "--iris-mm", "--mirrored", "--rest", "--span", "--protocol"}
    for door in (analyze, record_add):
        options = {name: param for param in door.params for name in param.opts}
        assert shared <= set(options), door.name
        assert options["--method"].envvar == "SYNK_MEASURE_METHOD"
        assert options["--iris-mm"].default == 11.77


@pytest.mark.slow
def test_analyze_and_record_add_agree_on_a_childs_iris(media, tmp_path, monkeypatch):
    """A child's iris (11.22 mm) through both commands: the same analysis, and another one
    than the adult default (single_face.mp4: ocular-oral index 0.94 vs 0.99)."""
    video = tmp_path / "visit.mp4"
    shutil.copyfile(media / "single_face.mp4", video)
    child = ("--iris-mm", "11.22", "--rest", "0:0.5")
    analyzed = through_analyze(video, tmp_path / "analyze", *child)
    recorded = through_record_add(video, tmp_path / "record", monkeypatch, *child,
                                  spans_file=False)
    assert without_provenance(analyzed) == without_provenance(recorded)
    assert recorded["source"]["spans_source"] == analyzed["source"]["spans_source"] == \
        "command line"
    adult = through_analyze(video, tmp_path / "adult")
    assert without_provenance(adult) != without_provenance(analyzed)
