"""A face with no affected side named is called on both sides (each finding's ``other_side``):
the web visit page, the compare page, the visit report and the record show the other side's
call too, with its index, interval and severity, the same call ``synk analyze`` prints."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pytest
from web_fixtures import (
    add_analysed_visit,
    clinician_record,  # noqa: F401 (the record fixture)
    logged_in_get,
)

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

SETTLE = "repeat the task; record a rest"


def _interval(low: float, high: float) -> dict:
    return {"low": low, "high": high, "level": 0.9, "replicates": 100, "kind": "confidence"}


def unnamed_analysis(lean: str = "left", ocular_oral: float = 1.23,
                     right_interval: tuple[float, float] = (-0.06, 2.22)) -> dict:
    """An analysis file of a face with no affected side named, leaning to ``lean``:
    ocular-oral none on the left and uncertain on the right (``ocular_oral`` points, the
    right side taken as affected), mentalis mild on the left, oral-ocular withheld, resting
    tightness none on both sides."""
    right = {"index": ocular_oral, "interval": _interval(*right_interval),
             "severity": "uncertain", "severity_range": ["none", "moderate"], "settle": SETTLE}
    left = {"index": -ocular_oral, "interval": _interval(-right_interval[1], -right_interval[0]),
            "severity": "none", "severity_range": ["none", "none"], "settle": ""}
    own, other = (left, right) if lean == "left" else (right, left)
    other_side = "right" if lean == "left" else "left"
    by_side = {"left": -ocular_oral, "right": ocular_oral}

    def side_call(call: dict, side: str, task: str, excess: float) -> dict:
        return {"side": side, "index": call["index"], "severity": call["severity"],
                "severity_range": call["severity_range"], "low": call["interval"]["low"],
                "high": call["interval"]["high"], "settle": call["settle"], "task": task,
                "excess_mm": excess}

    return {
        "format": "synkinesis.analysis", "format_version": 2, "protocol_version": "1",
        "segmentation": {"method": "guided", "segments": [], "rest": {}, "missing_tasks": []},
        "affected_side": {"side": None, "leaning": lean, "method": "inferred",
                          "confidence": 0.1},
        "findings": [
            {"pattern": "ocular_oral", "label": "eye narrows during mouth tasks", "side": lean,
             **own, "index_by_side": by_side, "confidence": 0.79, "evidence": [],
             "other_side": side_call(other, other_side, "big_smile", 0.95 if lean == "left"
                                     else -0.95)},
            {"pattern": "mentalis", "label": "chin during smile", "side": "left",
             "severity": "mild", "index": 1.6, "index_by_side": {"left": 1.6, "right": -1.6},
             "confidence": 0.8, "evidence": [], "interval": _interval(1.4, 1.8),
             "severity_range": ["mild", "mild"], "settle": "",
             "other_side": {"side": "right", "index": -1.6, "severity": "none",
                            "severity_range": ["none", "none"], "low": -1.8, "high": -1.4,
                            "settle": "", "task": "big_smile", "excess_mm": -1.6}},
            {"pattern": "oral_ocular", "label": "mouth moves with eye closure", "side": None,
             "severity": "not assessable", "index": None, "confidence": 0.0, "evidence": [],
             "interval": None, "other_side": None}],
        "resting": {"pattern": "resting_tightness", "label": "resting tightness",
                    "side": "left", "severity": "none", "index": 0.3,
                    "index_by_side": {"left": 0.3, "right": 0.0}, "confidence": 0.9,
                    "evidence": [], "interval": _interval(0.1, 0.5),
                    "other_side": {"side": "right", "index": 0.0, "severity": "none",
                                   "severity_range": ["none", "none"], "low": 0.0,
                                   "high": 0.2, "settle": "", "task": "rest",
                                   "excess_mm": 0.0}},
        "scales": [], "warnings": [],
    }


def _add_visit(store, folder: Path, analysis: dict, day: str) -> str:
    return add_analysed_visit(store, folder, analysis, day)


def _get(store, url, path: str, **params) -> str:
    return unescape(logged_in_get(store, url, path, **params))


def test_visit_page_shows_the_other_sides_call_after_each_finding(record):
    store, url, folder = record
    visit_id = _add_visit(store, folder, unnamed_analysis(), "2026-11-02")
    text = _get(store, url, f"/visits/{visit_id}")
    assert "each pattern is called on both sides" in text
    assert "affected side: none named, leaning left (inferred)" in text
    own = text.index("-1.23 (90 % -2.22..0.06)")
    other = text.index("1.23 (90 % -0.06..2.22)", own + 5)
    mentalis = text.index("1.60 (90 % 1.40..1.80)")
    assert own < other < mentalis  # the other side's row right after its finding
    assert (f'<td>↳ other side</td><td>right</td><td class="index">1.23 (90 % -0.06..2.22)</td>'
            f'<td class="severity">uncertain (none..moderate): {SETTLE}</td>') in text
    assert ('<td>↳ other side</td><td>right</td><td class="index">-1.60 (90 % -1.80..-1.40)'
            '</td><td class="severity">none</td>') in text
    assert text.count("↳ other side") == 3  # not for the withheld oral-ocular finding


def test_visit_page_of_a_named_side_has_no_other_side_row(record):
    store, url, folder = record
    named = unnamed_analysis()
    named["affected_side"] = {"side": "left", "leaning": "left", "method": "given"}
    for finding in [*named["findings"], named["resting"]]:
        finding["other_side"] = None
    text = _get(store, url, f"/visits/{_add_visit(store, folder, named, '2026-11-02')}")
    assert "other side</td>" not in text and "called on both sides" not in text
    assert "-1.23 (90 % -2.22..0.06)" in text


def test_record_stores_each_sides_index_of_an_unnamed_face():
    from synkinesis.store.analysis_files import indices_from_analysis

    found = indices_from_analysis(unnamed_analysis())
    assert {k: (v.value, v.low, v.high, v.level) for k, v in found.items()} == {
        "analysis.ocular_oral.index": (-1.23, -2.22, 0.06, 0.9),
        "analysis.ocular_oral.index.left": (-1.23, -2.22, 0.06, 0.9),
        "analysis.ocular_oral.index.right": (1.23, -0.06, 2.22, 0.9),
        "analysis.mentalis.index": (1.6, 1.4, 1.8, 0.9),
        "analysis.mentalis.index.left": (1.6, 1.4, 1.8, 0.9),
        "analysis.mentalis.index.right": (-1.6, -1.8, -1.4, 0.9),
        "analysis.resting_tightness.index": (0.3, 0.1, 0.5, 0.9),
        "analysis.resting_tightness.index.left": (0.3, 0.1, 0.5, 0.9),
        "analysis.resting_tightness.index.right": (0.0, 0.0, 0.2, 0.9)}
    leaning_right = indices_from_analysis(unnamed_analysis("right"))
    assert leaning_right["analysis.ocular_oral.index"].value == 1.23  # the side it leans to
    assert leaning_right["analysis.ocular_oral.index.left"].value == -1.23  # each side stays


def test_compare_page_compares_each_side_with_itself_when_the_lean_flips(record):
    store, url, folder = record
    _add_visit(store, folder, unnamed_analysis("left"), "2026-08-01")
    _add_visit(store, folder, unnamed_analysis("right", 1.0, (0.8, 1.2)), "2026-11-02")
    text = _get(store, url, "/patients/P001/compare")
    assert 'id="per-side"' in text
    for row in (
            # the unsuffixed index reads the left at A, the right at B: no change of one side
            "<td>ocular-oral index (analysis) (points)</td><td>measured</td> <td>-1.23<br>"
            "<small>-2.22 to 0.06</small></td> <td>1<br><small>0.8 to 1.2</small></td> "
            "<td>+2.23</td><td class=\"verdict\">sides differ<br><small>left at A, right at "
            "B</small></td>",
            "<td>ocular-oral index, left side taken as affected (analysis) (points)</td>"
            "<td>measured</td> <td>-1.23<br><small>-2.22 to 0.06</small></td> <td>-1<br>"
            "<small>-1.2 to -0.8</small></td> <td>+0.23</td>",
            "<td>ocular-oral index, right side taken as affected (analysis) (points)</td>"
            "<td>measured</td> <td>1.23<br><small>-0.06 to 2.22</small></td> <td>1<br>"
            "<small>0.8 to 1.2</small></td> <td>-0.23</td><td class=\"verdict\">within the "
            "interval</td>"):
        assert row in text


def test_visit_report_calls_both_sides(record):
    pytest.importorskip("jinja2")
    from synkinesis.reports.visit_report import collect_visit_report, render_html

    store, _url, folder = record
    _add_visit(store, folder, unnamed_analysis("left"), "2026-08-01")
    _add_visit(store, folder, unnamed_analysis("right", 1.0, (0.8, 1.2)), "2026-11-02")
    with store.reading() as session:
        report = collect_visit_report(session, visit_ref="P001@2026-08-01", figures=False)
    (section,) = report.recordings
    assert "each pattern is called on both sides" in section.affected
    rows = [(f.name, f.side, f.other_side, f.severity_words, f.interval)
            for f in section.findings]
    assert rows[:2] == [
        ("ocular-oral", "left", False,
         "none: no co-movement beyond the other side", "90 % -2.22..0.06"),
        ("ocular-oral", "right", True, f"uncertain (none..moderate): {SETTLE}",
         "90 % -0.06..2.22")]
    assert [f.side for f in section.findings if f.name == "mentalis"] == ["left", "right"]
    assert [f.side for f in section.findings if f.name == "oral-ocular"] == ["-"]
    summary = " ".join(report.summary)
    assert ("mild mentalis synkinesis on the patient's left side (index 1.60 (90 % 1.40..1.80) "
            "Sunnybrook points, confidence 80%)") in summary
    assert ("ocular-oral (right side): index 1.23 (90 % -0.06..2.22), uncertain "
            f"(none..moderate): {SETTLE}") in summary
    assert "Nothing beyond the other side: ocular-oral (left side), mentalis (right side)" \
        in summary
    html = " ".join(unescape(render_html(report)).split())
    assert "the other side's call in the row after it" in html
    assert "<td>ocular-oral, other side</td><td>right</td>" in html
    with store.reading() as session:
        later = collect_visit_report(session, visit_ref="P001@2026-11-02", figures=False)
    assert ("ocular-oral index (analysis, Sunnybrook synkinesis points; higher is more) -1.23 "
            "(90 % -2.22..0.06) on 2026-08-01 -> 1 (90 % 0.8..1.2) now, sides differ (left "
            "then right: read each side's own index)") in " ".join(later.summary)
    assert ("ocular-oral index, right side taken as affected (analysis, Sunnybrook synkinesis "
            "points; higher is more) 1.23 (90 % -0.06..2.22) on 2026-08-01 -> 1 (90 % 0.8..1.2) "
            "now, within the interval") in " ".join(later.summary)
    # mentalis was about the left at both visits: its sides' own sentences would repeat it
    assert "mentalis index (analysis" in " ".join(later.summary)
    assert "mentalis index, left side" not in " ".join(later.summary)
    trends = {t.title: [row[1] for row in t.rows] for t in later.trends}
    assert trends["mentalis index, right side taken as affected (analysis, Sunnybrook "
                  "synkinesis points; higher is more)"] == ["-1.6 (90 % -1.8..-1.4)"] * 2
    assert trends["ocular-oral index, right side taken as affected (analysis, Sunnybrook "
                  "synkinesis points; higher is more)"] == ["1.23 (90 % -0.06..2.22)",
                                                            "1 (90 % 0.8..1.2)"]
    assert trends["ocular-oral index (analysis, Sunnybrook synkinesis points; higher is "
                  "more)"] == ["-1.23 (90 % -2.22..0.06)", "1 (90 % 0.8..1.2)"]
