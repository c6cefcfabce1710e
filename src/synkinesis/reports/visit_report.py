"""The visit report: one visit of the patient record as a printable HTML page or an A4 PDF.

:func:`collect_visit_report` reads the record (patient, visit, recordings, scores, toxin
sessions, trends) and the files it keeps (analysis JSON, measure result) into a
:class:`VisitReport`; :func:`render_html` fills the Jinja2 template; :func:`write_visit_report`
writes HTML, or PDF from the same HTML with WeasyPrint. Nothing is recomputed: findings,
indices, scale drafts and the coupling matrix are shown as stored; figures are drawn from the
stored numbers (:mod:`synkinesis.reports.stored_analysis`) and embedded as data URIs, so the
file stands alone and WeasyPrint fetches nothing (:func:`embedded_only_fetcher` refuses every
URL that is not a ``data:`` URI).

Sides are the PATIENT's. Indices are Sunnybrook synkinesis points (0 none, 1 mild, 2 moderate,
3 severe), shown with their interval where the analysis stores one and "no interval" where it
does not: no interval is invented.

Why one file of over 500 lines: one report, collected from the record into one frozen
:class:`VisitReport` and rendered by one template; the collecting functions (most of the file)
each fill one section of that dataclass.
"""

from __future__ import annotations

import base64
import math
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from synkinesis import __version__

__all__ = [
    "REPORT_FORMAT",
    "REPORT_FORMAT_VERSION",
    "ReportError",
    "VisitReport",
    "check_report_path",
    "collect_visit_report",
    "embedded_only_fetcher",
    "html_to_pdf",
    "render_html",
    "write_visit_report",
]

REPORT_FORMAT = "synkinesis.visit_report"
#: 1 (package 0.1.0): first version.
REPORT_FORMAT_VERSION = 1
SUFFIXES = (".pdf", ".html", ".htm")

#: Plain words for a finding's severity (the Sunnybrook synkinesis grades' anchors).
SEVERITY_WORDS = {
    "none": "none: no co-movement beyond the other side",
    "mild": "mild: slight co-movement",
    "moderate": "moderate: obvious co-movement, not disfiguring",
    "severe": "severe: disfiguring co-movement, gross mass movement",
    "not measurable": "not measurable",
}
#: The same for resting tightness, which is not a movement.
RESTING_WORDS = {
    "none": "none: at rest like the other side",
    "mild": "mild: slightly tighter at rest",
    "moderate": "moderate: obviously tighter at rest",
    "severe": "severe: markedly tighter at rest",
    "not measurable": "not measurable",
}


def pattern_name(pattern: str) -> str:
    """A pattern's short name as clinicians write it (``ocular_oral`` -> ``ocular-oral``)."""
    return {"ocular_oral": "ocular-oral", "oral_ocular": "oral-ocular"}.get(
        pattern, str(pattern).replace("_", " "))


class ReportError(ValueError):
    """A report that cannot be made (the message says why, in one line)."""


@dataclass(frozen=True)
class Figure:
    """An embedded image: ``data_uri`` (PNG or SVG), a non-empty ``alt`` text, a caption."""

    title: str
    alt: str
    data_uri: str
    caption: str = ""


@dataclass(frozen=True)
class FindingRow:
    """One finding as the report prints it (values as stored; text ready to print)."""

    name: str
    label: str
    side: str
    severity: str
    severity_words: str
    index: str
    index_by_side: str
    interval: str
    confidence: str
    task: str
    excess_mm: str
    note: str
    #: The call about the other side of a face with no affected side named (the row after
    #: the finding's own).
    other_side: bool = False


@dataclass(frozen=True)
class RecordingSection:
    """One recording of the visit: quality, findings, coupling figure, key frames, method."""

    title: str
    status: str
    analysed: bool
    quality: tuple[str, ...]
    segments: tuple[tuple[str, str, str, str], ...]
    segmentation: str
    affected: str
    findings: tuple[FindingRow, ...]
    coupling: Figure | None
    coupling_note: str
    key_frames: tuple[Figure, ...]
    key_frames_note: str
    warnings: tuple[str, ...]
    method: tuple[str, ...]


@dataclass(frozen=True)
class ScaleTable:
    """An instrument's scores of the visit side by side: ``columns`` (who rated), ``rows``
    (label, one text per column), ``notes``."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class TrendSection:
    """An index across visits up to this one: rows (date, value, visit, source, treatments
    since the previous value) and its plot (two values or more)."""

    title: str
    rows: tuple[tuple[str, str, str, str, str], ...]
    figure: Figure | None


@dataclass(frozen=True)
class VisitReport:
    """Everything a visit report shows, ready to print (see the module docstring)."""

    patient_code: str
    patient_name: str
    visit_ref: str
    visit_date: date
    visit_label: str
    clinician: str
    patient_lines: tuple[str, ...]
    summary: tuple[str, ...]
    recordings: tuple[RecordingSection, ...]
    scales: tuple[ScaleTable, ...]
    trends: tuple[TrendSection, ...]
    trends_note: str
    toxin_sessions: tuple[tuple[str, tuple[tuple[str, str, str, str], ...]], ...]
    toxin_diagram: Figure | None
    dose_days: tuple[str, ...]
    dose_rows: tuple[tuple[str, str, tuple[str, ...], str], ...]
    method: tuple[str, ...]
    generated_at: datetime
    sources: tuple[str, ...] = ()
    software: str = f"synkinesis {__version__}"


# -------------------------------------------------------------------------------------------
# small formatting helpers


def _number(value: Any, digits: int = 2) -> str:
    if value is None or isinstance(value, bool):
        return "-"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "-"
    from synkinesis.scales.base import format_number

    return format_number(round(number, digits))


def _words(name: str) -> str:
    return str(name).replace("_", " ")


def _percent(value: Any) -> str:
    return "-" if not isinstance(value, int | float) else f"{float(value):.0%}"


def _data_uri(content: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"


def _png(draw: Callable[[Path], Any], directory: Path, name: str) -> str:
    """Draw a figure into ``directory`` and return it as a data URI (the file is temporary)."""
    path = directory / name
    draw(path)
    return _data_uri(path.read_bytes(), "image/png")


def find_source_video(recording: Any, folders: Sequence[Path]) -> Path | None:
    """The recording's source video, found by its name and proved by its sha256.

    The record keeps a video's file name and sha256, not where it lies (a folder name can
    hold a patient's name): it is looked for where the record says when that is a full path
    (``record add --source-path``), then in each of ``folders`` (the patient's own video
    folder, where the web app keeps its recordings, and any the user names). A file of that
    name whose content differs is not used.
    """
    from synkinesis.store.recordings import file_sha256

    stored = Path(recording.video_path)
    candidates = ([stored] if stored.is_absolute() else []) + [
        Path(folder) / stored.name for folder in folders]
    for candidate in candidates:
        if candidate.is_file() and (not recording.sha256
                                    or file_sha256(candidate) == recording.sha256):
            return candidate
    return None


# -------------------------------------------------------------------------------------------
# collecting


def _finding_rows(data: Mapping[str, Any]) -> list[FindingRow]:
    """A finding's row, and the other side's call after it when no affected side is named."""
    from synkinesis.store.analysis_files import other_side_entry

    rows = [_finding_row(data)]
    other = other_side_entry(data)
    if other is not None:
        rows.append(replace(_finding_row({
            **other, "uncertain": data.get("uncertain"),
            "index_by_side": data.get("index_by_side")}), other_side=True, note=""))
    return rows


def _finding_row(data: Mapping[str, Any]) -> FindingRow:
    severity = str(data.get("severity") or "")
    evidence = (data.get("evidence") or [{}])[0] if data.get("evidence") else {}
    from synkinesis.store.analysis_files import finding_interval, severity_text

    interval = finding_interval(data)
    if interval is None:
        interval_text = "no interval"
    else:
        coverage = "" if interval[2] is None else f"{interval[2]:.0%} ".replace("%", " %")
        interval_text = f"{coverage}{_number(interval[0])}..{_number(interval[1])}"
    by_side = data.get("index_by_side") or {}
    resting = data.get("pattern") == "resting_tightness"
    words = ((RESTING_WORDS if resting else SEVERITY_WORDS).get(severity)
             or severity_text(data))
    if severity == "not measurable" and data.get("note"):
        words += f" ({data['note']})"
    label = str(data.get("label") or _words(data.get("pattern", "")))
    notes = [str(data.get("proxy") or ""), str(data.get("note") or "")
             if severity != "not measurable" else ""]
    return FindingRow(
        name=pattern_name(str(data.get("pattern", ""))) + (" [U]" if data.get("uncertain")
                                                           else ""),
        label=label, side=str(data.get("side") or "-") if severity != "not measurable" else "-",
        severity=severity, severity_words=words, index=_number(data.get("index")),
        index_by_side=f"L {_number(by_side.get('left'))} / R {_number(by_side.get('right'))}",
        interval=interval_text,
        confidence=_percent(data.get("confidence")) if severity != "not measurable" else "-",
        task=_words(evidence.get("task", "")) or ("rest" if data.get("pattern") ==
                                                  "resting_tightness" else "-"),
        excess_mm=_number(evidence.get("excess_mm")),
        note="; ".join(n for n in notes if n))


def _quality(summary: Mapping[str, Any], analysis: Mapping[str, Any] | None) -> tuple[str, ...]:
    from synkinesis.quality import FLAG_DESCRIPTIONS

    lines = []
    frames = summary.get("frames") or {}
    count, usable = frames.get("count"), frames.get("usable")
    if isinstance(count, int) and count:
        lines.append(f"{count} frames, {usable} usable ({100 * (usable or 0) / count:.0f} %), "
                     f"a face found in {frames.get('with_face', '-')}")
    if analysis is not None:
        recorded = analysis.get("recording") or {}
        lines.append(f"analysed: {_number(recorded.get('duration_s'))} s, "
                     f"{recorded.get('usable_frames', '-')} usable frames of "
                     f"{recorded.get('frames', '-')}")
    counts = summary.get("flag_counts") or {}
    flagged = [f"{FLAG_DESCRIPTIONS.get(name, _words(name))}: {number} frame(s)"
               for name, number in counts.items() if number]
    lines += [f"flagged - {text}" for text in flagged] or ["no frame flagged"]
    scale = summary.get("scale") or {}
    if scale.get("method"):
        lines.append(f"millimetres from the {scale['method']} ({_number(scale.get('reference_mm'))}"
                     f" mm), {scale.get('frames_used', '-')} frames used")
    return tuple(lines)


def _method_lines(analysis: Mapping[str, Any] | None, measurement: Any,
                  recording: Any) -> tuple[str, ...]:
    lines = [f"video {recording.video_path} (sha256 {recording.sha256[:12]}...), protocol "
             f"version {recording.protocol_version or '-'}"]
    manifest = getattr(measurement, "manifest", None)
    engine = (manifest.engine.to_dict() if manifest is not None
              else ((analysis or {}).get("source") or {}).get("engine") or {})
    if engine:
        lines.append(f"landmarks: {engine.get('name', '-')} ({engine.get('version', '-')}, model "
                     f"sha256 {str(engine.get('model_sha256', '-'))[:12]}...), method "
                     f"{engine.get('method', '-')}")
    if manifest is not None:
        lines.append(f"measure result made by synkinesis {manifest.package.version} (format "
                     f"{manifest.format} {manifest.file_format_version})")
    if analysis is not None:
        scales = ", ".join(f"{k} {v}" for k, v in (analysis.get("scale_versions") or {}).items())
        lines.append(f"analysis made by synkinesis "
                     f"{(analysis.get('package') or {}).get('version', '-')} (format "
                     f"{analysis.get('format')} {analysis.get('format_version')}, protocol "
                     f"{analysis.get('protocol_version', '-')}; scales {scales or '-'})")
        findings = (analysis.get("options") or {}).get("findings") or {}
        cuts, resting = findings.get("severity_cuts"), findings.get("normal_resting")
        if isinstance(cuts, list) and len(cuts) == 3:
            lines.append(f"severity from the index: none < {_number(cuts[0])} <= mild < "
                         f"{_number(cuts[1])} <= moderate < {_number(cuts[2])} <= severe "
                         "(Sunnybrook synkinesis points; the excess must also clear the "
                         "recording's noise floor)"
                         + (f"; resting tightness mild from {_number(resting)}"
                            if isinstance(resting, int | float) and resting > cuts[0]
                            else "")
                         + _unnamed_clause(analysis, findings, cuts[0]))
    return tuple(lines)


def _unnamed_clause(analysis: Mapping[str, Any], findings: Mapping[str, Any],
                    mild: float) -> str:
    """Where the recording named no affected side: mild started at each pattern's normal
    asymmetry (``FindingOptions.decision_cuts(side_named=False)``), said with the numbers the
    analysis used; "" otherwise."""
    affected = analysis.get("affected_side")
    normal = findings.get("normal_asymmetry")
    if not isinstance(affected, Mapping) or affected.get("side") is not None \
            or not isinstance(normal, Mapping):
        return ""
    parts = [f"{str(p).replace('_', '-')} {_number(v)}" for p, v in normal.items()
             if isinstance(v, int | float) and v > mild]
    return ("; no affected side named: both sides called, mild from what healthy faces reach ("
            + ", ".join(parts) + ")") if parts else ""


def _key_frames(view: Any, measurement: Any, video: Path, directory: Path,
                stem: str) -> tuple[Figure, ...]:
    import numpy as np

    from synkinesis.reports.figures import plot_key_frame, plot_rest_frame

    landmarks = measurement.load_landmarks()
    frame_numbers = np.asarray(measurement.frames["frame"])
    mirrored = measurement.manifest.landmarks.mirrored_input_corrected
    figures = []
    resting = view.resting
    if resting is not None and math.isfinite(resting.index):
        uri = _png(lambda p: plot_rest_frame(view, landmarks, frame_numbers, video, p,
                                             mirrored=mirrored), directory, f"{stem}-rest.png")
        figures.append(Figure(
            "Rest frame (resting tightness)",
            f"Rest frame of the patient with the eye outline, the alar-base-to-mouth-corner line "
            f"and the mouth corner of each side drawn; resting tightness {resting.severity} on "
            f"the patient's {resting.side} side{_other_words(resting)}", uri, resting.note))
    for finding in view.findings:
        if not finding.evidence or not math.isfinite(finding.index):
            continue
        key = finding.evidence[0]
        uri = _png(lambda p, f=finding: plot_key_frame(view, f, landmarks, frame_numbers,
                                                       video, p, mirrored=mirrored),
                   directory, f"{stem}-{finding.pattern}.png")
        figures.append(Figure(
            f"Key frames: {finding.label}",
            f"Two video frames with face landmarks: rest, and the peak of "
            f"{_words(key.task)} for {_words(finding.pattern)} ({finding.severity}, patient's "
            f"{finding.side} side{_other_words(finding)})", uri,
            f"rest and peak of {_words(key.task)} (analysis frame {key.peak_frame}); the "
            "pattern's points are outlined on both sides, the affected side ringed"))
    return tuple(figures)


def _other_words(finding: Any) -> str:
    other = finding.other_side
    return "" if other is None else f"; {other.severity} on the {other.side} side"


def _recording_section(recording: Any, number: int, directory: Path, figures: bool,
                       video_folders: Sequence[Path] = ()
                       ) -> tuple[RecordingSection, dict[str, Any] | None]:
    from synkinesis.reports.stored_analysis import stored_analysis
    from synkinesis.store.analysis_files import read_analysis_file
    from synkinesis.store.recordings import checked_file

    name = Path(recording.video_path).name
    title = f"Recording {number}: {name}"
    analysis_file, analysis_problem = checked_file(
        recording.analysis_path, recording.analysis_sha256, "analysis")
    analysis = None
    if analysis_file is not None:
        try:
            analysis = read_analysis_file(analysis_file)
        except ValueError as error:
            analysis_problem = str(error)
    measurement_file, measurement_problem = checked_file(
        recording.measurement_path, recording.measurement_sha256, "measure result")
    measurement = None
    if measurement_file is not None:
        from synkinesis.measure import ResultFileError, read_measurement

        try:
            measurement = read_measurement(measurement_file)
        except ResultFileError as error:
            measurement_problem = str(error)
    warnings: list[str] = []
    if analysis is None:
        status = recording.analysis_status or "no analysis"
        if analysis_problem and recording.analysis_path:
            status = "analysis not shown (see below)"
            warnings.append(analysis_problem)
        section = RecordingSection(
            title=title, status=status, analysed=False,
            quality=_quality(recording.summary or {}, None), segments=(), segmentation="",
            affected="", findings=(), coupling=None,
            coupling_note="no analysis: no coupling matrix", key_frames=(),
            key_frames_note="no analysis: no key frames", warnings=tuple(warnings),
            method=_method_lines(None, measurement, recording))
        return section, None
    seg = analysis.get("segmentation") or {}
    segments = tuple((_words(s.get("task", "")),
                      f"{_number(s.get('start_s'))}-{_number(s.get('end_s'))} s",
                      f"{s.get('method', '-')}, {_percent(s.get('confidence'))}",
                      str(s.get("note") or "")) for s in seg.get("segments") or [])
    rest = seg.get("rest") or {}
    missing = [_words(t) for t in seg.get("missing_tasks") or []]
    from synkinesis.store.analysis_files import repetition_lines

    repeated = repetition_lines(analysis)
    segmentation = (f"{seg.get('method', '-')} segmentation; rest: {rest.get('method', '-')}"
                    + (" (flagged: not a recorded rest task)" if rest.get("flagged") else "")
                    + (f"; protocol tasks not found: {', '.join(missing)}" if missing else "")
                    + (f"; repeated tasks: {'; '.join(repeated)}" if repeated else ""))
    affected = analysis.get("affected_side") or {}
    if affected.get("method") == "given":
        affected_text = f"{affected.get('side')} (from the record)"
    elif affected.get("side"):
        affected_text = (f"{affected.get('side')} (inferred, confidence "
                         f"{_percent(affected.get('confidence'))})")
    else:
        affected_text = (f"none named (leaning {affected.get('leaning', '-')}): each pattern "
                         "is called on both sides")
    rows = [row for f in analysis.get("findings") or [] for row in _finding_rows(f)]
    if isinstance(analysis.get("resting"), Mapping):
        rows += _finding_rows(analysis["resting"])
    view = stored_analysis(analysis)
    coupling = None
    coupling_note = ""
    if figures and view.coupling.tasks:
        from synkinesis.reports.figures import plot_coupling

        uri = _png(lambda p: plot_coupling(view, p), directory, f"r{number}-coupling.png")
        tasks = ", ".join(_words(t) for t in view.coupling.tasks)
        coupling = Figure(
            "Coupling matrix",
            f"Coupling matrix heatmaps: how far each face region moved during each task "
            f"({tasks}) on the patient's left and right side, and the affected side minus the "
            "other side", uri,
            "movement in each task as a fraction of the region's voluntary range; numbers in "
            "mm. Off the task's own region, movement is co-movement.")
    elif not view.coupling.tasks:
        coupling_note = "no protocol task was found in this recording: no coupling matrix"
    key_frames: tuple[Figure, ...] = ()
    video = find_source_video(recording, video_folders)
    if not figures:
        key_frames_note = "figures were not requested"
    elif measurement is None:
        key_frames_note = (f"key frames not shown: {measurement_problem}" if measurement_problem
                           else "key frames not shown: no measure result stored")
    elif video is None:
        key_frames_note = (f"key frames not shown: the source video "
                           f"{Path(recording.video_path).name} was not found with the content "
                           "recorded (give its folder with --videos; the landmarks alone would "
                           "not show the face)")
    else:
        try:
            view = stored_analysis(analysis, measurement)
            key_frames = _key_frames(view, measurement, video, directory, f"r{number}")
            key_frames_note = ("" if key_frames else
                               "no finding has a frame reference to show")
        except (ValueError, KeyError, OSError) as error:
            key_frames_note = f"key frames not shown: {error}"
    if measurement_problem and measurement is None:
        warnings.append(measurement_problem)
    warnings += [str(w) for w in analysis.get("warnings") or []]
    section = RecordingSection(
        title=title, status=recording.analysis_status or "analysed", analysed=True,
        quality=_quality(recording.summary or {}, analysis), segments=segments,
        segmentation=segmentation, affected=affected_text, findings=tuple(rows),
        coupling=coupling, coupling_note=coupling_note, key_frames=key_frames,
        key_frames_note=key_frames_note, warnings=tuple(warnings),
        method=_method_lines(analysis, measurement, recording))
    return section, analysis


def _score_column(score: Any) -> str:
    who = score.rater + (f" ({score.rater_name})" if score.rater_name else "")
    return who + (", draft" if score.draft else "")


def _scale_tables(scores: Sequence[Any], intervals: Mapping[str, Mapping[str, Mapping[
        str, tuple[float, float, float | None]]]] | None = None) -> tuple[ScaleTable, ...]:
    """Per instrument, the clinician's scores first, then the automatic drafts, then others.
    ``intervals``: recording id -> instrument -> item -> interval, from the analysis files;
    an automatic item whose interval spans more than its value is printed with it."""
    from synkinesis.scales import ScaleValidationError, get_instrument

    order = {"clinician": 0, "automatic": 1, "patient": 2}
    tables = []
    for instrument in sorted({s.instrument for s in scores}):
        chosen = sorted((s for s in scores if s.instrument == instrument),
                        key=lambda s: (order.get(s.rater, 3), s.rated_at))
        try:
            definition = get_instrument(instrument)
        except ScaleValidationError:
            definition = None
        title = definition.title if definition else instrument
        keys = list(definition.item_keys) if definition else sorted(
            {k for s in chosen for k in (s.result.get("items") or {})})
        rows = []
        for key in keys:
            values = []
            for score in chosen:
                items = score.result.get("items") or {}
                value = items.get(key)
                text = _number(value) if not isinstance(value, str) else _words(value)
                found = ((intervals or {}).get(score.recording_id or "") or {}).get(
                    instrument, {}).get(key) if score.rater == "automatic" else None
                if found is not None and not isinstance(value, str) and found[0] != found[1]:
                    coverage = "" if found[2] is None else f"{found[2]:.0%} ".replace("%", " %")
                    text += f" ({coverage}{_number(found[0])}..{_number(found[1])})"
                values.append(text)
            if any(v != "-" for v in values):
                label = definition.item(key).label if definition else _words(key)
                rows.append((label, tuple(values)))
        for subscore in (definition.subscores if definition else ()):
            values = []
            for score in chosen:
                stored = {s.get("key"): s.get("value") for s in
                          score.result.get("subscores") or []}
                values.append(_number(stored.get(subscore.key)))
            if any(v != "-" for v in values):
                rows.append((subscore.label, tuple(values)))
        totals = []
        for score in chosen:
            grade = (score.result.get("grade") or {}).get("name")
            total = "draft, no total" if score.total is None else _number(score.total)
            totals.append(total + (f" (grade {grade})" if grade else ""))
        rows.append(("total", tuple(totals)))
        notes = []
        for score in chosen:
            missing = score.result.get("missing") or []
            if missing:
                notes.append(f"{_score_column(score)}: not estimated - "
                             + ", ".join(_words(k) for k in missing))
        tables.append(ScaleTable(title, tuple(_score_column(s) for s in chosen), tuple(rows),
                                 tuple(notes)))
    return tuple(tables)


def _trend_indices(session: Any, patient: Any, visit_day: date) -> list[str]:
    from sqlalchemy import select

    from synkinesis.store.models import ScaleScore, Visit
    from synkinesis.store.queries import measured_index_names

    instruments = sorted(set(session.scalars(
        select(ScaleScore.instrument).join(Visit)
        .where(Visit.patient_id == patient.id, Visit.visit_date <= visit_day,
               ScaleScore.total.is_not(None)))))
    analysed = [n for n in measured_index_names(session, patient=patient)
                if n.startswith("analysis.")]
    return instruments + analysed


def _trends(session: Any, patient: Any, visit: Any, directory: Path,
            figures: bool) -> tuple[list[TrendSection], list[str]]:
    """Trends up to the visit, and what changed since the previous visit (sentences)."""
    from synkinesis.store.plot import plot_trend
    from synkinesis.store.queries import analysis_index_side, trend
    from synkinesis.store.repository import visit_reference

    day = visit.visit_date
    this_ref = visit_reference(visit)
    sections, changes = [], []
    said: dict[str, str] = {}
    readings: dict[str, tuple[float, float]] = {}
    names = _trend_indices(session, patient, day)
    for number, index in enumerate(names):
        found = trend(session, patient_code=patient.code, index=index)
        found = replace(found, points=tuple(p for p in found.points if p.day <= day),
                        treatments=tuple(t for t in found.treatments if t.day <= day))
        if not found.points:
            continue
        rows = []
        for row in found.rows:
            source = row.point.detail if found.index.instrument else row.point.source
            rows.append((row.point.day.isoformat(), _trend_value(row.point),
                         row.point.visit_ref, source,
                         ", ".join(t.title for t in row.treatments_since_previous)))
        if index.startswith("analysis."):
            side = analysis_index_side(index)
            label = (f"{pattern_name(index.split('.')[1])} index"
                     + (f", {side} side taken as affected" if side else "")
                     + " (analysis, Sunnybrook synkinesis points; higher is more)")
        else:
            label = found.index.label + (f", rated by {found.rater}" if found.rater else "")
        figure = None
        if figures and len({p.day for p in found.points}) > 1:
            uri = _png(lambda p, t=found: plot_trend(t, p), directory, f"trend-{number}.png")
            figure = Figure(label, f"Line plot of {label} over the patient's visits "
                                   "up to this one, toxin sessions marked as dashed vertical "
                                   "lines", uri)
        sections.append(TrendSection(label, tuple(rows), figure))
        now = [p for p in found.points if p.visit_ref == this_ref]
        before = [p for p in found.points if p.day < day]
        if now and before:
            old, new = before[-1], now[-1]
            change = new.value - old.value
            higher = found.index.higher_is_better
            if found.index.name.startswith("analysis."):
                higher = False  # Sunnybrook synkinesis points: more is worse
            overlap = (old.interval is not None and new.interval is not None
                       and old.interval[0] <= new.interval[1]
                       and new.interval[0] <= old.interval[1])
            sides = _reported_sides(session, patient.code, index, names, (old, new))
            verdict = (f"sides differ ({sides[0]} then {sides[1]}: read each side's own "
                       "index)" if sides[0] and sides[1] and sides[0] != sides[1]
                       else "unchanged" if change == 0 else "within the interval" if overlap
                       else "" if higher is None else
                       "better" if (change > 0) == higher else "worse")
            name = label if not found.rater else f"{found.index.label} ({found.rater})"
            said[index] = (f"{name} {_trend_value(old)} on {old.day.isoformat()} -> "
                           f"{_trend_value(new)} now" + (f", {verdict}" if verdict else ""))
            # each side's own index is said unless it repeats the unsuffixed one (the same
            # side at both visits: the same numbers); the other side's is not its mirror image
            # (resting tightness sums each side's own parts, a pattern takes its largest task)
            readings[index] = (old.value, new.value)
            base = index.rsplit(".", 1)[0] if analysis_index_side(index) else None
            if base is None or base not in said or "sides differ" in said[base] \
                    or readings.get(base) != readings[index]:
                changes.append(said[index])
    return sections, changes


def _reported_sides(session: Any, code: str, index: str, names: Sequence[str],
                    points: Sequence[Any]) -> list[str | None]:
    """Which side each of ``points`` of ``analysis.<pattern>.index`` is about, where the record
    holds each side's index too (a face with no affected side named); None where unknown."""
    from synkinesis.store.queries import reported_sides, trend

    if not all(f"{index}.{side}" in names for side in ("left", "right")):
        return [None] * len(points)
    per_side = {side: {(p.visit_ref, p.detail): p.value for p in trend(
        session, patient_code=code, index=f"{index}.{side}").points} for side in ("left", "right")}
    return [reported_sides({index: point.value, **{
        f"{index}.{side}": values.get((point.visit_ref, point.detail))
        for side, values in per_side.items()}}).get(index) for point in points]


def _trend_value(point: Any) -> str:
    """A trend value with the interval the record stores for it (none for scale scores and
    for indices stored without one)."""
    if point.interval is None:
        return _number(point.value)
    coverage = "" if point.level is None else f"{point.level:.0%} ".replace("%", " %")
    return (f"{_number(point.value)} ({coverage}{_number(point.interval[0])}.."
            f"{_number(point.interval[1])})")


def _toxin(patient: Any, visit: Any) -> tuple[list[Any], Figure | None]:
    """The toxin sessions of this visit (linked to it or on its date), else the last one
    before it, and the diagram of their units."""
    from synkinesis.reports.face_diagram import dose_diagram_svg, injected_units
    from synkinesis.store.queries import is_live

    sessions = [t for t in patient.toxin_sessions if is_live(t)
                and (t.visit_id == visit.id or t.session_date == visit.visit_date)]
    if not sessions:
        return [], None
    units = injected_units((i.muscle, i.side, i.units) for t in sessions for i in t.injections)
    svg = dose_diagram_svg(units, title="toxin units per muscle at this visit")
    injected = ", ".join(f"{_words(m)} {s} {_number(u)} U" for (m, s), u in sorted(units.items()))
    return sessions, Figure(
        "Toxin at this visit on the face", f"Face diagram seen from the front (the patient's "
        f"right on the reader's left) with the toxin units given at this visit: {injected}",
        _data_uri(svg.encode("utf-8"), "image/svg+xml"),
        "dot area grows with the units; grey dots: muscles not injected")


def _summary(report_parts: Mapping[str, Any]) -> tuple[str, ...]:
    """The clinician-facing paragraph: what was found, how sure, what changed."""
    from synkinesis.store.analysis_files import (
        finding_interval,
        index_text,
        other_side_entry,
        severity_text,
    )

    sentences: list[str] = []
    analyses: list[tuple[str, Mapping[str, Any]]] = report_parts["analyses"]
    recordings: Sequence[RecordingSection] = report_parts["recordings"]
    if not analyses:
        sentences.append(f"{len(recordings)} recording(s) at this visit, none analysed ("
                         + "; ".join(r.status for r in recordings) + "): no findings.")
    for name, analysis in analyses:
        found, normal, unmeasured, uncertain = [], [], [], []
        entries = [f for f in [*(analysis.get("findings") or []), analysis.get("resting") or {}]
                   if f]
        # a face with no affected side named is called on both sides: each side's call
        both = {id(f): other for f in entries if (other := other_side_entry(f)) is not None}
        for finding in [g for f in entries for g in (f, both.get(id(f))) if g is not None]:
            called = pattern_name(finding.get("pattern", ""))
            severity = finding.get("severity")
            pattern = (f"{called} ({finding.get('side')} side)"
                       if id(finding) in both or "other_side_of" in finding else called)
            if severity in ("mild", "moderate", "severe"):
                what = called if called == "resting tightness" else f"{called} synkinesis"
                sure = ("" if finding.get("confidence") is None
                        else f", confidence {_percent(finding.get('confidence'))}")
                found.append(f"{severity} {what} on the patient's {finding.get('side')} side "
                             f"(index {index_text(finding)} Sunnybrook points{sure})")
            elif severity == "none":
                normal.append(pattern)
            elif severity == "uncertain":
                uncertain.append(f"{pattern}: index {index_text(finding)}, "
                                 f"{severity_text(finding)}")
            else:
                unmeasured.append(pattern)
        seg = analysis.get("segmentation") or {}
        sentence = f"The {seg.get('method', '')} analysis of {name} found " + (
            "; ".join(found) if found else "no synkinesis pattern beyond the other side")
        sentence += "."
        if normal and found:
            sentence += f" Nothing beyond the other side: {', '.join(normal)}."
        if uncertain:
            sentence += (" Not called, the interval spans more than one class: "
                         + "; ".join(uncertain) + ".")
        if unmeasured:
            sentence += (f" Not measurable here: {', '.join(unmeasured)} (their tasks were not "
                         "recorded or not usable).")
        sentences.append(sentence)
        if any(finding_interval(f) is not None for f in entries):
            kinds = {(f.get("interval") or {}).get("kind") for f in entries
                     if isinstance(f.get("interval"), dict)}
            # Files written before the confidence interval became the default store repeat
            # intervals (kind "repeat", or no kind in the earliest): say which one is shown.
            where = ("where the face's own index lies 9 times in 10" if kinds == {"confidence"}
                     else "where a repeat recording of the same face would read")
            sure = (f"How sure: each index is shown with the interval {where}; a severity is "
                    "called only where the whole interval lies in one class.")
        else:
            sure = ("How sure: each index is a single value with no interval (the analysis "
                    "stores none), so a value near a severity boundary could fall either side; "
                    "the confidence combines how clearly the task was recognised, the usable "
                    "frames and the distance from a boundary.")
        if (seg.get("rest") or {}).get("flagged"):
            sure += (" The rest baseline is the quietest span, not a recorded rest task, which "
                     "can under-read a change present throughout.")
        missing = seg.get("missing_tasks") or []
        if missing:
            sure += f" {len(missing)} protocol task(s) were not found in the recording."
        sentences.append(sure)
    clinician = [t for t in report_parts["clinician_scores"]]
    sentences.append("Clinician's scores at this visit: " + ", ".join(clinician) + "."
                     if clinician else "No clinician's score at this visit: the automatic "
                     "scale drafts below need the clinician's review.")
    previous: date | None = report_parts["previous_visit"]
    if previous is None:
        sentences.append("This is the patient's first visit in the record: nothing to compare.")
    else:
        changes = report_parts["changes"]
        treatments = report_parts["treatments_since"]
        text = f"Since the last visit ({previous.isoformat()}): "
        text += ("treatment: " + ", ".join(treatments) if treatments
                 else "no treatment recorded")
        text += "; " + ("; ".join(changes) if changes else
                        "no index measured or scored at both visits") + "."
        sentences.append(text)
    return tuple(sentences)


def collect_visit_report(session: Any, *, visit_ref: str, name: str | None = None,
                         figures: bool = True, now: datetime | None = None,
                         data_dir: Path | None = None,
                         video_folders: Sequence[Path] = ()) -> VisitReport:
    """Read one visit and everything the report shows about it from the record and its files.

    Parameters
    ----------
    session : sqlalchemy Session
    visit_ref : str
        ``CODE@YYYY-MM-DD`` (``#n`` for the n-th that day) or a visit id.
    name : str, optional
        The patient's name, printed only when given (the record holds no names).
    figures : bool
        Draw the coupling, key-frame and trend figures (False: tables only, fast).
    now : datetime, optional
        When the report is made (UTC; default now).
    data_dir : Path, optional
        The record's folder of derived files: the patient's own ``videos`` folder there is
        searched for the source videos (:func:`find_source_video`).
    video_folders : sequence of Path
        Further folders that may hold the source videos (for the key frames).

    Raises
    ------
    synkinesis.store.NotFoundError
        No such visit.
    ReportError
        The visit has no recording.
    """
    from synkinesis.store.queries import is_live
    from synkinesis.store.repository import find_visit, visit_reference

    visit = find_visit(session, ref=visit_ref)
    patient = visit.patient
    reference = visit_reference(visit)
    if not visit.recordings:
        raise ReportError(f"visit {reference} has no recording: nothing to report (add one "
                          f"with `synk record add VIDEO --visit {reference}`)")
    folders = [*([Path(data_dir) / patient.code / "videos"] if data_dir else []),
               *map(Path, video_folders)]
    with tempfile.TemporaryDirectory(prefix="synk-report-") as temporary:
        directory = Path(temporary)
        from synkinesis.store.analysis_files import item_intervals

        sections, analyses, intervals = [], [], {}
        for number, recording in enumerate(visit.recordings, start=1):
            section, analysis = _recording_section(recording, number, directory, figures,
                                                   folders)
            sections.append(section)
            if analysis is not None:
                analyses.append((Path(recording.video_path).name, analysis))
                intervals[recording.id] = item_intervals(analysis)
        trends, changes = _trends(session, patient, visit, directory, figures)
    sessions, diagram = _toxin(patient, visit)
    toxin_rows = tuple(
        (f"{t.session_date.isoformat()}: {t.product}, {_number(t.total_units)} U"
         + (f", dilution {t.dilution}" if t.dilution else "")
         + (f", by {t.clinician}" if t.clinician else ""),
         tuple((_words(i.muscle), i.side, _number(i.units), str(i.points))
               for i in t.injections)) for t in sessions)
    from synkinesis.store.queries import dose_table

    doses = dose_table(session, patient_code=patient.code)
    keep = [i for i, day in enumerate(doses.days) if day <= visit.visit_date]
    dose_rows = []
    for muscle, side, cells, _total in doses.rows:
        kept = [cells[i] for i in keep]
        if any(c is not None for c in kept):
            dose_rows.append((_words(muscle), side, tuple(_number(c) for c in kept),
                              _number(math.fsum(c for c in kept if c is not None))))
    earlier = [v for v in patient.visits if is_live(v) and v.visit_date < visit.visit_date]
    previous = earlier[-1].visit_date if earlier else None
    treatments_since = []
    if previous is not None:
        for toxin in filter(is_live, patient.toxin_sessions):
            if previous <= toxin.session_date < visit.visit_date:
                treatments_since.append(f"toxin {_number(toxin.total_units)} U on "
                                        f"{toxin.session_date.isoformat()}")
        for procedure in filter(is_live, patient.procedures):
            if previous <= procedure.procedure_date < visit.visit_date:
                treatments_since.append(f"{_words(procedure.kind)} {procedure.target} on "
                                        f"{procedure.procedure_date.isoformat()}")
        therapy = [t for t in patient.therapy_sessions
                   if is_live(t) and previous <= t.session_date < visit.visit_date]
        if therapy:
            treatments_since.append(f"{len(therapy)} therapy session(s)")
    clinician_scores = [
        f"{s.instrument} {_number(s.total) if s.total is not None else 'draft'}"
        + (f" ({s.rater_name})" if s.rater_name else "")
        for s in visit.scores if s.rater == "clinician" and is_live(s)]
    summary = _summary({"analyses": analyses, "recordings": sections,
                        "clinician_scores": clinician_scores, "previous_visit": previous,
                        "changes": changes, "treatments_since": treatments_since})
    if sessions:
        summary += ("Toxin given at this visit: " + "; ".join(
            f"{_number(t.total_units)} U {t.product}" for t in sessions) + ".",)
    patient_lines = [f"affected side: {patient.affected_side} (the patient's)",
                     f"cause: {_words(patient.cause)}"]
    if patient.onset_date is not None:
        patient_lines.append(f"onset: {patient.onset_date.isoformat()}")
    method = (
        f"made by synkinesis {__version__} from the patient record and the files it keeps; "
        "nothing was measured or analysed again for this report",
        "findings: each pattern's index is the affected side's co-movement beyond the other "
        "side, in Sunnybrook synkinesis points, during the tasks that show it (docs/analysis.md)",
        "scale drafts: estimated automatically from the analysis; a clinician's score is the "
        "reference (docs/scales.md)",
        "left and right are the PATIENT's throughout",
        "[U]: a threshold or mapping this project chose that is not yet validated on patients",
    )
    return VisitReport(
        patient_code=patient.code, patient_name=(name or "").strip(), visit_ref=reference,
        visit_date=visit.visit_date, visit_label=visit.label, clinician=visit.clinician,
        patient_lines=tuple(patient_lines), summary=summary, recordings=tuple(sections),
        scales=_scale_tables([s for s in visit.scores if is_live(s)], intervals),
        trends=tuple(trends),
        trends_note="" if trends else "no score or analysed index stored up to this visit",
        toxin_sessions=toxin_rows, toxin_diagram=diagram,
        dose_days=tuple(doses.days[i].isoformat() for i in keep), dose_rows=tuple(dose_rows),
        method=method, generated_at=(now or datetime.now(UTC)).astimezone(UTC),
        sources=tuple(path for r in visit.recordings for path in (
            r.video_path, r.measurement_path, r.analysis_path) if path))


# -------------------------------------------------------------------------------------------
# rendering and writing


def render_html(report: VisitReport) -> str:
    """The report as one self-contained HTML page (styles inline, images as data URIs)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    templates = Path(__file__).parent / "templates"
    environment = Environment(loader=FileSystemLoader(templates), undefined=StrictUndefined,
                              autoescape=select_autoescape(["html"]))
    css = (templates / "visit_report.css").read_text(encoding="utf-8")
    return environment.get_template("visit_report.html").render(
        report=report, css=css, format_name=REPORT_FORMAT, format_version=REPORT_FORMAT_VERSION)


def embedded_only_fetcher() -> Any:
    """WeasyPrint's ``url_fetcher`` for a report: only ``data:`` URIs (everything the report
    needs is embedded). Any other URL (http, https, file, ...) is refused before anything is
    opened, and stops the rendering, so making a PDF never touches the network nor reads a
    file the report did not embed. ``refused`` lists the URLs it refused."""
    from weasyprint.urls import URLFetcher

    class EmbeddedOnly(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data",), allow_redirects=False,
                             fail_on_errors=True)
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not str(url).startswith("data:"):
                self.refused.append(str(url))
                raise ReportError(f"the report may not fetch {str(url)[:80]!r}: only "
                                  "embedded data")
            return super().fetch(url, headers)

    return EmbeddedOnly()


def html_to_pdf(html: str, *, url_fetcher: Any = None) -> bytes:
    """A4 PDF of a report page (WeasyPrint; fonts from the system, nothing fetched: the
    default fetcher is :func:`embedded_only_fetcher`).

    Raises
    ------
    ReportError
        The page asked for something that is not embedded.
    """
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    fetcher = url_fetcher if url_fetcher is not None else embedded_only_fetcher()
    try:
        return HTML(string=html, url_fetcher=fetcher, base_url=None).write_pdf()
    except FatalURLFetchingError as error:
        raise ReportError(f"the report was not written: {error.__cause__ or error}") from None


def check_report_path(path: Path, *, overwrite: bool = False,
                      inputs: Sequence[str | Path] = ()) -> Path:
    """Refuse a report path before any work: a suffix other than .pdf/.html/.htm, a missing
    folder, an existing file without ``overwrite``, or one of the ``inputs``.

    Raises
    ------
    ReportError
        Suffix or folder.
    synkinesis.files.OutputPathError
        The file exists and ``overwrite`` is False, or it is one of ``inputs``.
    """
    from synkinesis.files import check_output_path

    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise ReportError(f"the report file must end in .pdf, .html or .htm, got "
                          f"{path.name!r}")
    check_output_path(path, inputs=inputs, overwrite=overwrite)
    if not path.parent.is_dir():
        raise ReportError(f"folder {path.parent} does not exist")
    return path


def write_visit_report(report: VisitReport, path: Path, *, overwrite: bool = False) -> Path:
    """Write the report as PDF (``.pdf``) or HTML (``.html``/``.htm``), readable by the user
    only (0600), atomically.

    Raises
    ------
    ReportError, synkinesis.files.OutputPathError
        As :func:`check_report_path`; the files the report was made from
        (``report.sources``: videos, measure results, analyses) are never overwritten.
    """
    from synkinesis.files import atomic_output

    path = check_report_path(path, overwrite=overwrite, inputs=report.sources)
    html = render_html(report)
    content = html_to_pdf(html) if path.suffix.lower() == ".pdf" else html.encode("utf-8")
    with atomic_output(path) as temporary:
        temporary.write_bytes(content)
    return path
