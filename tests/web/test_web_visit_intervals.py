"""Every place a finding's number is shown carries its interval: the web visit page and the
visit report (HTML) of a visit whose analysis file (format 2) has an uncertain ocular-oral
index, a called mild mentalis finding and a resting index; an old-format file (no interval)
reads "no interval"."""

from __future__ import annotations

import json
from html import unescape
from pathlib import Path

import pytest
from web_fixtures import (
    PASSWORD,
    add_analysed_visit,
    clinician_record,  # noqa: F401 (the record fixture)
    logged_in_get,
)

from synkinesis.web.settings import load_web_settings

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

SETTLE = "record a rest, then repeat the smile"
ANALYSIS = {
    "format": "synkinesis.analysis", "format_version": 2, "protocol_version": "1",
    "segmentation": {"method": "guided", "segments": [], "rest": {}, "missing_tasks": []},
    "affected_side": {"side": "right", "leaning": "right", "method": "excess"},
    "findings": [
        {"pattern": "ocular_oral", "label": "eye narrows during mouth tasks", "side": "right",
         "severity": "uncertain", "severity_range": ["none", "severe"], "settle": SETTLE,
         "index": 2.1, "confidence": 0.4, "evidence": [],
         "interval": {"low": 0.28, "high": 4.35, "level": 0.9, "replicates": 100}},
        {"pattern": "mentalis", "label": "chin during smile", "side": "right",
         "severity": "mild", "index": 1.2, "confidence": 0.8, "evidence": [],
         "interval": {"low": 1.05, "high": 1.41, "level": 0.9, "replicates": 100}}],
    "resting": {"pattern": "resting_tightness", "label": "resting tightness", "side": "right",
                "severity": "none", "index": 0.3, "confidence": 0.9, "evidence": [],
                "interval": {"low": 0.1, "high": 0.5, "level": 0.9, "replicates": 100}},
    "scales": [], "warnings": [],
    "uncertainty": {"level": 0.9, "replicates": 100, "agreement": [
        {"task": "big_smile", "repetitions": 2, "regions": ["eye", "mouth_corner"],
         "levels_mm": {}, "spread_mm": [0.05, 5.06], "smallest_change_mm": [0.12, 0.09],
         "disagreeing": ["mouth_corner"], "agree": False},
        {"task": "brow_raise", "repetitions": 2, "regions": ["brow"], "levels_mm": {},
         "spread_mm": [0.1], "smallest_change_mm": [0.2], "disagreeing": [], "agree": True}]},
}
DISAGREE = ("big smile x2: repetitions DISAGREE (mouth corner 5.06 mm apart, resolves 0.09 "
            "mm): record the task again")


def _visit_with_analysis(store, folder: Path, analysis: dict) -> str:
    return add_analysed_visit(store, folder, analysis)


def _page(store, url, visit_id):
    return logged_in_get(store, url, f"/visits/{visit_id}")


def test_visit_page_shows_each_index_with_its_interval_and_what_would_settle_it(record):
    store, url, folder = record
    text = _page(store, url, _visit_with_analysis(store, folder, ANALYSIS))
    assert "2.10 (90 % 0.28..4.35)" in text
    assert f"uncertain (none..severe): {SETTLE}" in text
    assert "1.20 (90 % 1.05..1.41)" in text
    assert "0.30 (90 % 0.10..0.50)" in text  # resting tightness is a row too
    assert DISAGREE in text and "brow raise x2: repetitions agree" in text


def test_visit_page_of_an_old_analysis_says_no_interval(record):
    store, url, folder = record
    old = json.loads(json.dumps(ANALYSIS))
    for finding in [*old["findings"], old["resting"]]:
        finding.pop("interval")
    old["format_version"] = 1
    old.pop("uncertainty")
    text = _page(store, url, _visit_with_analysis(store, folder, old))
    assert "2.10 (no interval)" in text and "(90 %" not in text
    assert "repetitions" not in text


def test_visit_report_html_carries_the_intervals(record):
    pytest.importorskip("jinja2")
    from synkinesis.reports.visit_report import collect_visit_report, render_html

    store, _url, folder = record
    _visit_with_analysis(store, folder, ANALYSIS)
    with store.reading() as session:
        report = collect_visit_report(session, visit_ref="P001@2026-11-02", figures=False)
    (section,) = report.recordings
    rows = {f.name: f for f in section.findings}
    assert rows["ocular-oral"].interval == "90 % 0.28..4.35"
    assert rows["ocular-oral"].severity_words == f"uncertain (none..severe): {SETTLE}"
    html = " ".join(unescape(render_html(report)).split())
    assert ("ocular-oral: index 2.10 (90 % 0.28..4.35), uncertain (none..severe): "
            f"{SETTLE}") in html
    assert "mild mentalis synkinesis on the patient's right side (index 1.20 (90 % " \
           "1.05..1.41) Sunnybrook points" in html
    assert "a severity is called only where the whole interval lies in one class" in html
    assert "no interval" not in html
    assert DISAGREE in html and "brow raise x2: repetitions agree" in html
    trend = next(t for t in report.trends if t.title.startswith("ocular-oral"))
    assert [row[1] for row in trend.rows] == ["2.1 (90 % 0.28..4.35)"]  # stored with it


def test_report_names_a_change_inside_both_intervals_as_such(record):
    from synkinesis.reports.visit_report import collect_visit_report
    from synkinesis.store import repository
    from synkinesis.store.analysis_files import indices_from_analysis

    store, _url, folder = record
    earlier = json.loads(json.dumps(ANALYSIS))
    earlier["findings"][0].update(index=1.4, interval={"low": 0.2, "high": 3.0, "level": 0.9})
    earlier["findings"][1].update(index=2.6, interval={"low": 2.4, "high": 2.8, "level": 0.9})
    with store.transaction() as session:
        visit = repository.create_visit(session, patient_code="P001", visit_date="2026-08-01")
        repository.add_recording(session, visit=visit, video_path="/videos/q.mp4",
                                 sha256="b" * 64, indices=indices_from_analysis(earlier))
    _visit_with_analysis(store, folder, ANALYSIS)
    with store.reading() as session:
        report = collect_visit_report(session, visit_ref="P001@2026-11-02", figures=False)
    summary = " ".join(report.summary)
    assert ("ocular-oral index (analysis, Sunnybrook synkinesis points; higher is more) "
            "1.4 (90 % 0.2..3) on 2026-08-01 -> 2.1 (90 % 0.28..4.35) now, within the "
            "interval") in summary
    assert ("mentalis index (analysis, Sunnybrook synkinesis points; higher is more) "
            "2.6 (90 % 2.4..2.8) on 2026-08-01 -> 1.2 (90 % 1.05..1.41) now, better") in summary


def test_the_dashboard_trend_carries_the_stored_interval(record):
    from fastapi.testclient import TestClient

    from synkinesis.web import create_app

    store, url, folder = record
    _visit_with_analysis(store, folder, ANALYSIS)
    settings = load_web_settings(environ={}, database_url=url)
    with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as client:
        assert client.post("/login", data={"username": "drx", "password": PASSWORD},
                           follow_redirects=False).status_code == 303
        data = client.get("/patients/P001/trend",
                          params={"index": "analysis.ocular_oral.index"}).json()
    assert [(p["value"], p["interval"], p["level"]) for p in data["points"]] == [
        (2.1, [0.28, 4.35], 0.9)]


def test_report_scale_table_prints_an_automatic_items_interval(record):
    from synkinesis.reports.visit_report import collect_visit_report
    from synkinesis.store import repository
    from synkinesis.store.analysis_files import indices_from_analysis
    from synkinesis.store.recordings import file_sha256

    store, _url, folder = record
    analysis = {**ANALYSIS, "scales": [{"instrument": "house_brackmann", "items": [
        {"key": "grade", "value": 2, "interval": {"low": 2, "high": 3, "level": 0.9}}]}]}
    file = folder / "s.analysis.json"
    file.write_text(json.dumps(analysis))
    with store.transaction() as session:
        visit = repository.create_visit(session, patient_code="P001", visit_date="2026-11-03")
        recording = repository.add_recording(
            session, visit=visit, video_path="/videos/s.mp4", sha256="d" * 64,
            analysis_path=str(file), analysis_sha256=file_sha256(file),
            analysis_status="analysed", indices=indices_from_analysis(analysis))
        repository.add_score(session, visit=visit, instrument="house_brackmann",
                             items={"grade": 2}, rater="automatic", recording=recording,
                             evidence={"grade": {"measurement": "voluntary_ratio",
                                                 "value": 0.9, "confidence": 0.5}})
        repository.add_score(session, visit=visit, instrument="house_brackmann",
                             items={"grade": 2}, rater="clinician")
    with store.reading() as session:
        report = collect_visit_report(session, visit_ref="P001@2026-11-03", figures=False)
    (table,) = report.scales
    grade = dict(table.rows)[next(label for label, _ in table.rows if label != "total")]
    assert table.columns[:2] == ("clinician", "automatic")
    assert grade[:2] == ("2", "2 (90 % 2..3)")  # the clinician's score has no interval
