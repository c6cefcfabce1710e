"""``synk report``: the visit report of a real analysed visit (single_face.mp4 measured and
analysed once per session into a temporary SQLite record), read back from the PDF; the HTML's
headings and alt texts; nothing fetched; bad input refused with one line and exit 2."""

from __future__ import annotations

import re
import shutil
import socket
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
import typer
from typer.testing import CliRunner

from synkinesis import __version__

pytest.importorskip("weasyprint")
pypdf = pytest.importorskip("pypdf")

TODAY = date(2026, 12, 1)
VISIT = "P001@2026-09-14"
SUNNYBROOK = {
    "rest_eye": "narrow", "rest_cheek": 1, "rest_mouth": 1,
    "voluntary_brow_lift": 3, "voluntary_eye_closure": 4, "voluntary_smile": 3,
    "voluntary_snarl": 3, "voluntary_pucker": 2,
    "synkinesis_brow_lift": 1, "synkinesis_eye_closure": 2, "synkinesis_smile": 2,
    "synkinesis_snarl": 1, "synkinesis_pucker": 2,
}  # total 37 (CLINICAL.md test vector)
FINDING_NAMES = ("ocular-oral", "oral-ocular", "mentalis", "platysmal", "nasolabial",
                 "resting tightness")


@pytest.fixture(scope="session")
def record(tmp_path_factory, media):
    """A record with patient P001: a baseline visit (clinician's Sunnybrook 37, toxin), the
    visit P001@2026-09-14 with the real video measured and analysed (clinician's Sunnybrook
    38, toxin), and a later visit without a recording."""
    from synkinesis.store import open_store, repository
    from synkinesis.store.settings import load_settings
    from synkinesis.workflow import record_recording

    root = tmp_path_factory.mktemp("report-record")
    url = f"sqlite:///{root / 'record.sqlite'}"
    settings = load_settings(database_url=url,
                             environ={"SYNK_DATA_DIR": str(root / "derived")})
    store = open_store(settings)
    with store.transaction() as session:
        repository.create_patient(session, code="P001", affected_side="left",
                                  cause="bell_palsy", onset_date="2025-01-10", notes="",
                                  today=TODAY)
        for day in ("2026-06-01", "2026-09-14", "2026-10-01"):
            repository.create_visit(session, patient_code="P001", visit_date=day,
                                    label="", clinician="Dr A", notes="", today=TODAY)
    with store.transaction() as session:
        for day, smile in (("2026-06-01", 2), ("2026-09-14", 1)):
            visit = repository.find_visit(session, ref=f"P001@{day}")
            repository.add_score(session, visit=visit, instrument="sunnybrook",
                                 items={**SUNNYBROOK, "synkinesis_smile": smile},
                                 rater_name="Dr A")
            repository.add_toxin_session(
                session, patient_code="P001", session_date=day, product="botox",
                dilution="100 U / 2.5 mL", clinician="Dr A", notes="", visit=visit,
                injections=[repository.InjectionSpec("oo", "left", 7.5, 3),
                            repository.InjectionSpec("mentalis", "left", 2.5)],
                settings=settings, today=TODAY)
    outcome = record_recording(store, video=media / "single_face.mp4", visit_ref=VISIT)
    assert outcome.analysis_path is not None, outcome.analysis_status
    store.close()
    return SimpleNamespace(url=url, data_dir=root / "derived", root=root, settings=settings)


@pytest.fixture(scope="session")
def report(record, media):
    """The report content of the analysed visit (figures drawn; the source video found in
    the media folder by its name and sha256)."""
    from synkinesis.reports.visit_report import collect_visit_report
    from synkinesis.store import open_store

    store = open_store(record.settings)
    with store.reading() as session:
        content = collect_visit_report(session, visit_ref=VISIT, video_folders=[media])
    store.close()
    return content


@pytest.fixture(scope="session")
def html(report):
    from synkinesis.reports.visit_report import render_html

    return render_html(report)


def run_report(record, *args: str):
    """``synk report ...`` in-process against the test record."""
    from synkinesis.cli import report as report_command

    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """Test root."""

    report_command.register(app)
    return CliRunner().invoke(app, ["report", *map(str, args)], env={
        "SYNK_DATABASE_URL": record.url, "SYNK_DATA_DIR": str(record.data_dir),
        "COLUMNS": "200"})


@pytest.fixture(scope="session")
def pdf(record, tmp_path_factory):
    path = tmp_path_factory.mktemp("report-pdf") / "P001-2026-09-14.pdf"
    result = run_report(record, VISIT, "-o", path)
    assert result.exit_code == 0, result.output
    assert f"wrote {path}" in result.output
    return path


def test_pdf_report_of_an_analysed_visit(pdf):
    assert pdf.stat().st_mode & 0o777 == 0o600  # patient data: the user's only
    reader = pypdf.PdfReader(pdf)
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 4, len(pages)  # summary, recording, scales/trends, toxin/method
    for number, text in enumerate(pages, start=1):
        assert "P001 · visit 2026-09-14" in text
        assert f"page {number} of {len(pages)}" in text
    first = " ".join(pages[0].split())  # the PDF's line breaks are layout, not text
    assert "Synkinesis visit report" in first and "Summary" in first
    assert "mild ocular-oral synkinesis on the patient's left side" in first
    assert "Since the last visit (2026-06-01)" in first
    assert "treatment: toxin 10 U on 2026-06-01" in first
    assert "composite score (clinician) 37 on 2026-06-01 -> 38 now, better" in first
    text = " ".join(" ".join(pages).split())
    for name in FINDING_NAMES:
        assert name in text, name
    assert "90 % " in text  # the analysis' intervals (format 2), not "no interval"
    assert f"synkinesis {__version__}" in text
    assert "Coupling matrix" in text and "Key frames" in text
    assert "Units per muscle up to this visit" in text
    page_size = reader.pages[0].mediabox
    assert (round(float(page_size.width)), round(float(page_size.height))) == (595, 842)  # A4
    assert reader.metadata.title == "Synkinesis visit report P001 2026-09-14"
    assert "synkinesis.visit_report 1" in reader.metadata.subject


class _Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.images: list[dict[str, str | None]] = []
        self.lang: str | None = None

    def handle_starttag(self, tag, attrs):
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "img":
            self.images.append(dict(attrs))
        elif tag == "html":
            self.lang = dict(attrs).get("lang")


def test_html_headings_and_alt_texts(html):
    outline = _Outline()
    outline.feed(html)
    assert outline.lang == "en"
    assert outline.headings.count(1) == 1 and outline.headings[0] == 1
    for previous, level in zip(outline.headings, outline.headings[1:]):
        assert level <= previous + 1, f"h{previous} followed by h{level}"
    # coupling matrix, key frames (rest + 2 findings), Sunnybrook trend, toxin diagram
    assert len(outline.images) >= 5
    for image in outline.images:
        assert (image.get("alt") or "").strip(), image.get("src", "")[:40]
        assert image["src"].startswith(("data:image/png;base64,", "data:image/svg+xml;base64,"))


def test_report_reads_the_record_and_recomputes_nothing(record, report, monkeypatch):
    (section,) = report.recordings
    assert section.analysed and section.coupling is not None
    assert all(f.interval.startswith("90 % ") for f in section.findings if f.index != "-")
    ocular = next(f for f in section.findings if f.name.startswith("ocular-oral"))
    assert (ocular.severity, ocular.side) == ("mild", "left")
    assert [f.title for f in section.key_frames][:1] == ["Rest frame (resting tightness)"]
    assert not section.key_frames_note
    assert any("100 %" in line for line in section.quality)
    sunnybrook = next(t for t in report.trends if t.title.startswith("Sunnybrook"))
    assert [row[1] for row in sunnybrook.rows] == ["37", "38"] and sunnybrook.figure
    assert report.toxin_diagram is not None
    assert report.dose_days == ("2026-06-01", "2026-09-14")
    assert report.patient_name == ""
    # the same report again with the analysis stage made unusable: nothing is recomputed
    import synkinesis.analysis as analysis
    from synkinesis.reports.visit_report import collect_visit_report
    from synkinesis.store import open_store

    def refuse(*args, **kwargs):
        raise AssertionError("the report recomputed the analysis")

    import synkinesis.workflow as workflow

    for name in ("analyze_recording", "analyze_measurement"):
        monkeypatch.setattr(analysis, name, refuse)
    for name in ("measure_and_analyse", "record_recording", "analyze_measurement"):
        monkeypatch.setattr(workflow, name, refuse)
    store = open_store(record.settings)
    with store.reading() as session:
        again = collect_visit_report(session, visit_ref=VISIT, figures=False)
    store.close()
    assert again.recordings[0].findings == section.findings
    assert again.summary == report.summary


def test_name_only_when_given(report, html):
    from synkinesis.reports.visit_report import render_html

    assert "Jane Doe" not in html
    named = render_html(replace(report, patient_name="Jane Doe"))
    assert "Jane Doe" in named


def test_no_network_fetch(html, monkeypatch):
    """The PDF is made with no socket opened, and the fetcher refuses anything that is not
    embedded (a remote image, a local file) and stops the rendering."""
    from synkinesis.reports.visit_report import ReportError, embedded_only_fetcher, html_to_pdf

    connections = []

    def no_connect(self, address):
        connections.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", no_connect)
    fetcher = embedded_only_fetcher()
    assert html_to_pdf(html, url_fetcher=fetcher).startswith(b"%PDF")
    assert fetcher.refused == [] and connections == []
    for url in ("http://example.org/face.png", "https://example.org/x.css",
                "file:///etc/hostname"):
        fetcher = embedded_only_fetcher()
        page = html.replace("</body>", f'<img src="{url}" alt="remote"></body>')
        with pytest.raises(ReportError, match="only embedded data"):
            html_to_pdf(page, url_fetcher=fetcher)
        assert fetcher.refused == [url]
    assert connections == []


def test_bad_input_one_line_exit_2(record, pdf, tmp_path):
    cases = [
        ((VISIT.replace("09-14", "03-03"), "-o", tmp_path / "a.pdf"), "P001 has no visit on"),
        (("P999@2026-09-14", "-o", tmp_path / "b.pdf"), "P999"),
        (("P001@2026-10-01", "-o", tmp_path / "c.pdf"), "has no recording"),
        ((VISIT, "-o", pdf), "exists"),
        ((VISIT, "-o", tmp_path / "report.docx"), "must end in .pdf, .html or .htm"),
        ((VISIT, "-o", tmp_path / "missing" / "r.html"), "does not exist"),
    ]
    for args, expected in cases:
        result = run_report(record, *args)
        assert result.exit_code == 2, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:"), result.output
        assert expected in lines[0], lines[0]
    assert not list(tmp_path.iterdir())  # nothing written for a refused report


def test_html_output_and_overwrite(record, tmp_path):
    path = tmp_path / "visit.html"
    path.write_text("old")
    assert run_report(record, VISIT, "-o", path, "--name", "Jane Doe",
                      "--overwrite").exit_code == 0
    content = path.read_text()
    assert content.startswith("<!DOCTYPE html>") and "Jane Doe" in content
    assert 'content="synkinesis.visit_report 1' in content


def test_key_frames_need_the_source_video(record, tmp_path):
    """Without the source video the report says why there are no key frames; a changed
    analysis file is not shown as if it were the recorded one."""
    from synkinesis.reports.visit_report import _recording_section
    from synkinesis.store import open_store

    store = open_store(record.settings)
    with store.reading() as session:
        from synkinesis.store.repository import find_visit

        (stored,) = find_visit(session, ref=VISIT).recordings
        columns = {c: getattr(stored, c) for c in (
            "video_path", "sha256", "protocol_version", "measurement_path",
            "measurement_sha256", "analysis_path", "analysis_sha256", "analysis_status",
            "summary")}
    store.close()
    moved = SimpleNamespace(**{**columns, "video_path": str(tmp_path / "gone.mp4")})
    section, analysis = _recording_section(moved, 1, tmp_path, True)
    assert analysis is not None and section.key_frames == ()
    assert "source video" in section.key_frames_note and "not found" in \
        section.key_frames_note
    changed = tmp_path / "changed.analysis.json"
    shutil.copyfile(columns["analysis_path"], changed)
    with open(changed, "a") as handle:
        handle.write(" ")
    edited = SimpleNamespace(**{**columns, "analysis_path": str(changed)})
    section, analysis = _recording_section(edited, 1, tmp_path, False)
    assert analysis is None and not section.analysed
    assert section.status == "analysis not shown (see below)"
    assert any("has changed since it was recorded" in w for w in section.warnings)


def test_dose_diagram_svg():
    import xml.etree.ElementTree as ElementTree

    from synkinesis.reports.face_diagram import DIAGRAM, dose_diagram_svg, injected_units
    from synkinesis.store.vocabulary import MUSCLES

    assert set(DIAGRAM) <= set(MUSCLES)
    units = injected_units([("orbicularis_oculi", "left", 7.5), ("orbicularis_oculi", "left",
                                                                 2.5), ("procerus", "midline", 2)])
    assert units == {("orbicularis_oculi", "left"): 10.0, ("procerus", "midline"): 2.0}
    root = ElementTree.fromstring(dose_diagram_svg(units))
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "10 U" in texts and "2 U" in texts and "patient's left" in texts
    # the patient's left is on the reader's right
    labels = {t.text: float(t.get("x")) for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert labels["10 U"] > 200


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_web_visit_page_downloads_the_report(record, tmp_path):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from synkinesis.store import open_store
    from synkinesis.store.repository import find_visit
    from synkinesis.web import create_app
    from synkinesis.web.settings import load_web_settings

    settings = load_web_settings(environ={}, database_url=record.url, no_login=True)
    store = open_store(record.settings)
    with store.reading() as session:
        visit_id = find_visit(session, ref=VISIT).id
        empty_id = find_visit(session, ref="P001@2026-10-01").id
    with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as client:
        page = client.get(f"/visits/{visit_id}", headers={"Accept": "text/html"})
        assert f'href="/visits/{visit_id}/report.pdf"' in page.text
        response = client.get(f"/visits/{visit_id}/report.pdf")
        assert response.status_code == 200, response.text[:200]
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"] == \
            'attachment; filename="P001-2026-09-14.pdf"'
        assert response.content.startswith(b"%PDF")
        assert client.get(f"/visits/{empty_id}/report.pdf").status_code == 409
    store.close()


def test_the_source_video_is_found_by_name_and_content(record, media, tmp_path):
    """The record keeps the video's name and sha256: the report finds it in the folders it is
    given (the patient's own video folder first), and a different file of that name is not
    taken for it."""
    from synkinesis.reports.visit_report import find_source_video
    from synkinesis.store import open_store
    from synkinesis.store.repository import find_visit

    store = open_store(record.settings)
    with store.reading() as session:
        (stored,) = find_visit(session, ref=VISIT).recordings
        recording = SimpleNamespace(video_path=stored.video_path, sha256=stored.sha256)
    store.close()
    assert recording.video_path == "single_face.mp4"  # the name only, no folder
    impostor = tmp_path / "impostor"
    impostor.mkdir()
    (impostor / "single_face.mp4").write_bytes(b"another video of the same name")
    assert find_source_video(recording, [impostor]) is None
    assert find_source_video(recording, [impostor, media]) == media / "single_face.mp4"



@pytest.mark.parametrize("kind, says", [
    ("confidence", "where the face's own index lies 9 times in 10"),
    ("repeat", "where a repeat recording of the same face would read"),
    (None, "where a repeat recording of the same face would read")])
def test_the_summary_names_the_kind_of_interval_the_file_stores(kind, says):
    # Files written before the confidence interval became the default store repeat intervals.
    from synkinesis.reports.visit_report import _summary

    interval = {"low": 0.2, "high": 1.1, "level": 0.9, "replicates": 100}
    if kind is not None:
        interval["kind"] = kind
    finding = {"pattern": "ocular_oral", "severity": "uncertain", "side": "left", "index": 0.6,
               "severity_range": ["none", "mild"], "interval": interval}
    text = " ".join(_summary({"analyses": [("a.json", {"findings": [finding]})],
                              "recordings": [], "clinician_scores": [],
                              "previous_visit": None}))
    assert f"How sure: each index is shown with the interval {says};" in text
