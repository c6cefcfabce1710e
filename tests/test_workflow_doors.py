"""One workflow, three doors (issue 17): the same recording with the same options gives the same
analysis whether it comes in by ``synk analyze``, ``synk record add`` or the web app's
recording job; and a face with no affected side named gets the same call about each side
whichever door and page shows it (the CLI summary, the record's indices, the web visit page,
the visit report and the Python API)."""

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


def through_analyze(video: Path, output: Path, *extra: str,
                    side: str | None = "left") -> dict[str, Any]:
    """``synk analyze`` (``side`` None: no affected side named)."""
    spans = [f"--span={s['task']}={s['start_s']}:{s['end_s']}" for s in SPANS]
    named = ["--affected-side", side] if side else []
    result = CliRunner().invoke(app, ["analyze", str(video), "-o", str(output), "-q",
                                      "--no-figures", *named, *spans, *extra])
    assert result.exit_code == 0, result.output
    return json.loads((output / f"{video.stem}.analysis.json").read_text())


def through_record_add(video: Path, root: Path, monkeypatch, *extra: str,
                       spans_file: bool = True, side: str | None = "left") -> dict[str, Any]:
    """``synk record add`` with the spans in a protocol file, or as --span options (``side``
    None: a patient whose palsy is bilateral, so no side is named to the analysis)."""
    root.mkdir()
    monkeypatch.setenv("SYNK_DATABASE_URL", f"sqlite:///{root / 'record.sqlite'}")
    monkeypatch.setenv("SYNK_DATA_DIR", str(root / "derived"))
    monkeypatch.delenv("SYNK_MEASURE_METHOD", raising=False)
    protocol = root / "spans.json"
    protocol.write_text(json.dumps(SPANS))
    spans = ["--spans", str(protocol)] if spans_file else [
        f"--span={s['task']}={s['start_s']}:{s['end_s']}" for s in SPANS]
    runner = CliRunner()
    for args in (["patient", "add", "P001", "--side", side or "bilateral"],
                 ["visit", "add", "P001", "--date", "2026-01-05"],
                 ["record", "add", str(video), "--visit", "P001@2026-01-05", "-q", *spans,
                  *extra]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    (analysis,) = (root / "derived" / "P001").glob("*.analysis.json")
    return json.loads(analysis.read_text())


def through_web_job(video: Path, root: Path, monkeypatch,
                    side: str | None = "left") -> dict[str, Any]:
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
        create_patient(session, code="P1", affected_side=side or "bilateral")
        visit_id = create_visit(session, patient_code="P1", visit_date="2026-01-05").id
    upload = root / "upload.bin"
    shutil.copyfile(video, upload)
    manager = jobs.JobManager(store)
    job = manager.submit_recording(patient_code="P1", affected_side=side or "bilateral",
                                   visit_ref=visit_id,
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


def _call(side: str, index: float, low: float, high: float, severity: str) -> tuple:
    """One side's call as every page shows it: the side, the index and its interval to two
    decimals, and the severity class (with the classes of an uncertain call's interval)."""
    return side, round(index, 2), round(low, 2), round(high, 2), severity.split(":")[0]


def calls_in_file(content: dict[str, Any]) -> list[tuple]:
    """Both sides' calls of each finding called on both sides, from the analysis file."""
    from synkinesis.store.analysis_files import other_side_entry, severity_text

    calls = []
    for finding in [*content["findings"], content["resting"]]:
        other = other_side_entry(finding)
        if other is not None:
            calls += [(finding["pattern"], _call(entry["side"], entry["index"],
                                                 entry["interval"]["low"],
                                                 entry["interval"]["high"],
                                                 severity_text(entry)))
                      for entry in (finding, other)]
    return calls


def calls_in_summary(summary: dict[str, Any]) -> list[tuple]:
    """The same from ``synk analyze --json`` (the summary the CLI prints)."""
    rows = summary["findings"]
    both = {row["pattern"] for row in rows if row.get("other_side")}
    return [(row["pattern"].removesuffix(" (proxy)"),
             _call(row["side"], row["index"], row["index_low"], row["index_high"],
                   row["severity"])) for row in rows if row["pattern"] in both]


def calls_in_api(result) -> list[tuple]:
    """The same from the Python API's findings table."""
    import pandas as pd

    calls = []
    for row in result.findings.itertuples():
        if pd.notna(row.other_side):
            severity = row.severity + (f" ({row.severity_range})"
                                       if row.severity == "uncertain" else "")
            other = row.other_severity + (f" ({row.other_severity_range})"
                                          if row.other_severity == "uncertain" else "")
            calls += [(row.pattern, _call(row.side, row.index, row.index_low, row.index_high,
                                          severity)),
                      (row.pattern, _call(row.other_side, row.other_index, row.other_low,
                                          row.other_high, other))]
    return calls


def calls_on_web_page(store, visit_id: str, tmp_path: Path) -> list[tuple]:
    """The other side's calls (in the findings' order) as the web visit page shows them."""
    import re
    from html import unescape

    from fastapi.testclient import TestClient

    from synkinesis.web import create_app
    from synkinesis.web.accounts import add_account
    from synkinesis.web.settings import load_web_settings

    with store.transaction() as session:
        add_account(session, username="drx", role="clinician", password="door test pass 1",
                    patient_code=None)
    settings = load_web_settings(environ={}, database_url=str(store.settings.database_url))
    with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as client:
        assert client.post("/login", data={"username": "drx", "password": "door test pass 1"},
                           follow_redirects=False).status_code == 303
        page = client.get(f"/visits/{visit_id}")
    assert page.status_code == 200
    found = re.findall(r'<tr class="other-side"><td>[^<]*</td><td>(\w+)</td><td class="index">'
                       r'(-?[\d.]+) \(90 % (-?[\d.]+)\.\.(-?[\d.]+)\)</td>'
                       r'<td class="severity">([^<]*)</td>', unescape(page.text))
    return [_call(side, float(i), float(lo), float(hi), severity)
            for side, i, lo, hi, severity in found]


def calls_in_report(store, visit_ref: str) -> list[tuple]:
    """The other side's calls as the visit report's findings table shows them."""
    from synkinesis.reports.visit_report import collect_visit_report

    with store.reading() as session:
        report = collect_visit_report(session, visit_ref=visit_ref, figures=False)
    (section,) = report.recordings
    calls = []
    for row in section.findings:
        if row.other_side:
            low, high = row.interval.removeprefix("90 % ").split("..")
            calls.append(_call(row.side, float(row.index), float(low), float(high),
                               row.severity_words))
    return calls


def indices_in_record(store) -> dict[str, tuple]:
    """``analysis.*`` indices the record stored: name -> (value, low, high), two decimals."""
    from synkinesis.store.models import MeasuredIndex

    with store.reading() as session:
        return {i.name: (round(i.value, 2), round(i.low, 2), round(i.high, 2))
                for i in session.query(MeasuredIndex).all() if i.name.startswith("analysis.")}


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_every_door_and_page_calls_both_sides_of_an_unnamed_face_alike(media, tmp_path,
                                                                        monkeypatch):
    """single_face.mp4 with no affected side named: each pattern is called on both sides
    (c253ab8), and the CLI summary, the API, the record, the web page and the report each show
    both calls, the same ones."""
    import synkinesis
    from synkinesis.store import load_settings, open_store

    video = tmp_path / "visit.mp4"
    shutil.copyfile(media / "single_face.mp4", video)
    analyzed = through_analyze(video, tmp_path / "analyze", "--json",
                               str(tmp_path / "summary.json"), side=None)
    recorded = through_record_add(video, tmp_path / "record", monkeypatch, side=None)
    from_web = through_web_job(video, tmp_path / "web", monkeypatch, side=None)
    assert analyzed["affected_side"]["side"] is None
    reference = without_provenance(analyzed)
    for door, content in (("synk record add", recorded), ("web job", from_web)):
        assert without_provenance(content) == reference, door
    calls = calls_in_file(analyzed)
    assert calls, "single_face named no side: its findings are called on both sides"
    assert {c[1][0] for c in calls} == {"left", "right"}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert calls_in_summary(summary) == calls
    api = synkinesis.analyze(tmp_path / "analyze" / "visit.synk", protocol=SPANS)
    assert without_provenance(api.to_dict()) == reference
    assert calls_in_api(api) == calls
    others = [call for n, (_, call) in enumerate(calls) if n % 2]  # each finding's other side
    for name, root in (("record", tmp_path / "record"), ("web", tmp_path / "web")):
        store = open_store(load_settings(
            database_url=f"sqlite:///{root / f'{name}.sqlite'}",
            environ={"SYNK_DATA_DIR": str(root / "derived")}))
        try:
            stored = indices_in_record(store)
            for pattern, (side, index, low, high, _) in calls:
                assert stored[f"analysis.{pattern}.index.{side}"] == (index, low, high), name
            assert calls_in_report(store, "P001@2026-01-05" if name == "record"
                                   else "P1@2026-01-05") == others, name
            if name == "web":
                from synkinesis.store.models import Visit

                with store.reading() as session:
                    visit_id = session.query(Visit).one().id
                assert calls_on_web_page(store, visit_id, tmp_path) == others
        finally:
            store.close()


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
