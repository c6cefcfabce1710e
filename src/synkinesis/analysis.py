"""Synkinesis analysis: where files meet the pure core (protocol -> coupling -> findings).

:func:`analyze_recording` runs the core on a :class:`synkinesis.recording.Recording` and checks the
input (too short, most frames flagged, spans that do not fit); :func:`analyze_measurement` runs it
on a measure result; :func:`analysis_to_dict` and :func:`write_analysis` make the analysis file.
The end-to-end path (measure a video, analyse it, write the files, store them) is
:mod:`synkinesis.workflow`, the same for every door.

The analysis file (JSON) says what it is:

``format`` ``"synkinesis.analysis"``, ``format_version``, the package version, the protocol
version, the version of every scale it scored, and the source measure file with its format
version, landmark engine and model sha256.

Format history
--------------
1 (package 0.1.0): first version.
2: ``uncertainty`` (level, draws, seed, what the draws vary, each region's smallest resolvable
change in mm, repetitions per task); every finding and scale item gains ``interval``
(``{low, high, level, replicates}`` or null). Version 1 files are read as they are (no
intervals).

Why one file of over 500 lines: it is the core's boundary (input checks, options, the
analysis file's format and its reader); the core itself is already split (protocol, coupling,
findings, scales/automatic), and the format's writer and reader belong together.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from synkinesis import __version__
from synkinesis.coupling import Coupling, CouplingOptions, compute_coupling
from synkinesis.findings import (
    NORMAL_ASYMMETRY,
    WINDOW_NORMAL_ASYMMETRY,
    AffectedSide,
    Finding,
    FindingOptions,
    SideCall,
    find_patterns,
    infer_affected_side,
    resting_tone,
)
from synkinesis.normalize import HeadPose
from synkinesis.protocol import (
    PROTOCOL_VERSION,
    TASKS,
    ProtocolError,
    Segmentation,
    SegmentationOptions,
    segment_recording,
)
from synkinesis.recording import REGION_SIGNALS, Recording
from synkinesis.regions import SIDES, Side
from synkinesis.scales.automatic import (
    ItemEstimate,
    ScaleEstimate,
    estimate_scales,
    house_brackmann_withheld,
    suggest_house_brackmann,
)
from synkinesis.uncertainty import (
    Uncertainty,
    UncertaintyOptions,
    decide_findings,
    estimate_uncertainty,
    repetition_agreement,
)

FORMAT_NAME = "synkinesis.analysis"
FORMAT_VERSION = 2
SUFFIX = ".analysis.json"


class AnalysisError(ValueError):
    """A recording or protocol that cannot be analysed (the message says why)."""


@dataclass(frozen=True)
class AnalysisOptions:
    """Options of ``synk analyze``.

    Attributes
    ----------
    affected_side : {"left", "right"} or None
        The patient's affected side when known; None infers it.
    min_duration_s : float
        Recordings shorter than this are refused, seconds.
    min_usable_frames : int
        Fewer usable frames than this are refused.
    warn_flagged_fraction : float
        Warn when more than this fraction of frames is unusable.
    uncertainty : UncertaintyOptions
        Intervals of every index and scale item (``replicates=0``: none).
    """

    affected_side: Side | None = None
    min_duration_s: float = 1.0
    min_usable_frames: int = 10
    warn_flagged_fraction: float = 0.5
    segmentation: SegmentationOptions = field(default_factory=SegmentationOptions)
    coupling: CouplingOptions = field(default_factory=CouplingOptions)
    findings: FindingOptions = field(default_factory=FindingOptions)
    uncertainty: UncertaintyOptions = field(default_factory=UncertaintyOptions)

    def __post_init__(self) -> None:
        # The normal-asymmetry limits were measured with the default reading of a held level;
        # a co-movement read from the region's own best window reads healthy faces higher and
        # keeps the limits measured that way (findings.WINDOW_NORMAL_ASYMMETRY), unless the
        # caller set limits of their own.
        if (self.coupling.held_level != "driver"
                and dict(self.findings.normal_asymmetry) == NORMAL_ASYMMETRY):
            object.__setattr__(self, "findings", replace(
                self.findings, normal_asymmetry=dict(WINDOW_NORMAL_ASYMMETRY)))

    def validate(self) -> None:
        if self.affected_side not in (None, "left", "right"):
            raise AnalysisError(
                f"affected side must be one of 'left', 'right', 'auto', got {self.affected_side!r}")
        try:
            self.uncertainty.validate()
        except ValueError as error:
            raise AnalysisError(f"uncertainty options: {error}") from None
        try:
            self.coupling.validate()
        except ValueError as error:
            raise AnalysisError(f"coupling options: {error}") from None
        try:
            self.findings.validate()
        except ValueError as error:
            raise AnalysisError(f"finding options: {error}") from None


@dataclass(frozen=True, eq=False)
class Analysis:
    """Everything the analysis found (what the analysis file stores); ``uncertainty`` is None
    when intervals were switched off."""

    recording: Recording
    segmentation: Segmentation
    coupling: Coupling
    affected: AffectedSide
    findings: tuple[Finding, ...]
    resting: Finding
    scales: tuple[ScaleEstimate, ...]
    warnings: tuple[str, ...]
    uncertainty: Uncertainty | None = None

    def finding(self, pattern: str) -> Finding:
        for finding in (*self.findings, self.resting):
            if finding.pattern == pattern:
                return finding
        raise KeyError(pattern)


def recording_from_measurement(measurement: Any) -> Recording:
    """The core's view of a :class:`synkinesis.measure.Measurement`: its signals, flags and
    blendshapes, the rest the measure step chose (its resting values and frames, as the
    result file stores them), and the head's yaw, pitch and roll per frame from its stored
    pose (every result file holds the pose: no re-measuring)."""
    manifest = measurement.manifest
    time_s = np.asarray(measurement.frames["time_s"], dtype=float)
    pose = np.asarray(measurement.pose, dtype=float)
    angles = (HeadPose.from_array(pose).angles_deg()
              if pose.ndim == 2 and pose.shape == (time_s.shape[0], 14) else None)
    return Recording(
        time_s=time_s,
        signals={k: np.asarray(v, dtype=float) for k, v in measurement.signals().items()},
        flags=np.asarray(measurement.frames["flags"], dtype=np.int64),
        blendshapes=np.asarray(measurement.blendshapes, dtype=float),
        blendshape_names=tuple(manifest.blendshape_names),
        rest_hint=dict(manifest.rest.reference),
        rest_hint_frames=manifest.rest.mask(time_s.shape[0]),
        head_angles_deg=angles,
    )


def analyze_recording(
    recording: Recording,
    *,
    spans: Sequence[Mapping[str, object]] | None = None,
    options: AnalysisOptions = AnalysisOptions(),
    rated_at: datetime | None = None,
) -> Analysis:
    """Segment, build the coupling matrices, find patterns and estimate scale items.

    Parameters
    ----------
    recording : Recording
    spans : sequence of {task, start_s, end_s}, optional
        Guided segmentation; None segments the recording automatically.
    options : AnalysisOptions
    rated_at : datetime, optional
        Timezone-aware time of the automatic rating (the scales' provenance); now (UTC) when
        not given.

    Raises
    ------
    AnalysisError
        Too short, too few usable frames, or spans that do not fit the recording.
    """
    options.validate()
    warnings: list[str] = []
    n = recording.n_frames
    usable = recording.usable
    if n == 0 or recording.duration_s < options.min_duration_s:
        raise AnalysisError(
            f"the recording is too short to analyse: {recording.duration_s:.2f} s, {n} frames "
            f"(needs at least {options.min_duration_s:g} s)")
    if usable.sum() < options.min_usable_frames:
        raise AnalysisError(
            f"only {int(usable.sum())} of {n} frames are usable (face found, pose within limits,"
            f" no occlusion); at least {options.min_usable_frames} are needed")
    flagged = 1 - usable.mean()
    if flagged > options.warn_flagged_fraction:
        warnings.append(f"{flagged:.0%} of frames are flagged unusable; results rest on "
                        f"{int(usable.sum())} frames")
    try:
        segmentation = segment_recording(recording, spans=spans, options=options.segmentation)
    except ProtocolError as error:
        raise AnalysisError(str(error)) from None
    warnings.extend(segmentation.notes)
    if segmentation.missing_tasks:
        warnings.append("tasks missing from the recording (not analysed): "
                        + ", ".join(segmentation.missing_tasks))
    coupling = compute_coupling(recording, segmentation, options=options.coupling)
    if not coupling.tasks:
        warnings.append("no protocol task was found: only the rest baseline could be measured")
    if coupling.short_tasks:
        warnings.append("tasks held shorter than the minimum duration (less certain): "
                        + ", ".join(coupling.short_tasks))
    affected = infer_affected_side(coupling, given=options.affected_side,
                                   options=options.findings)
    findings = find_patterns(coupling, affected, options=options.findings)
    resting = resting_tone(coupling, affected, options=options.findings)
    rated_at = rated_at if rated_at is not None else datetime.now(UTC)
    scales = tuple(score_estimates(e.instrument, list(e.items), list(e.missing), e.notes,
                                   rated_at=rated_at)
                   for e in estimate_scales(coupling, findings, affected,
                                            options=options.findings,
                                            rest_recorded=not segmentation.rest.flagged))
    uncertainty = None
    if options.uncertainty.replicates > 0:
        uncertainty = estimate_uncertainty(
            recording, segmentation, affected, findings=findings, resting=resting,
            scales=scales, coupling_options=options.coupling, finding_options=options.findings,
            options=options.uncertainty)
        uncertainty = replace(uncertainty, agreement=repetition_agreement(
            recording, segmentation, resolution=uncertainty.resolution,
            coupling_options=options.coupling))
        named = affected.side is not None
        findings = decide_findings(findings, uncertainty, segmentation, options=options.findings,
                                   side_named=named)
        resting = decide_findings((resting,), uncertainty, segmentation,
                                  options=options.findings, side_named=named)[0]
        scales = tuple(_with_grade_range(
            _graded_from_calls(e, coupling, findings, affected, rated_at), uncertainty)
            for e in scales)
    withheld = house_brackmann_withheld(findings, affected, options=options.findings)
    if withheld and any(e.instrument == "house_brackmann" for e in scales):
        note = f"House-Brackmann not suggested: {withheld}"
        scales = tuple(replace(e, notes=(*e.notes, note)) for e in scales
                       if e.instrument != "house_brackmann")
        warnings.append(note)
    if segmentation.rest.flagged:
        # Resting tightness compares the sides at rest; the quietest span of a recording
        # without a rest segment may be an expression (single_face's smile onset read "mild").
        resting = replace(resting, severity="not assessable", other_side=None, note=(
            "not assessable: the recording has no rest segment (its quietest span was used as "
            "the baseline of the movements); record a few seconds of a still, relaxed face"))
    return Analysis(recording, segmentation, coupling, affected, findings, resting, scales,
                    tuple(warnings), uncertainty)


def _graded_from_calls(estimate: ScaleEstimate, coupling: Coupling,
                       findings: tuple[Finding, ...], affected: AffectedSide,
                       rated_at: datetime) -> ScaleEstimate:
    """The House-Brackmann suggestion again, from the findings as decided from their intervals
    (the calls the report shows), not from their point estimates: a healthy face's index past
    the moderate cut but inside the normal asymmetry (called at most mild) suggested grade III
    (single_face re-encoded at crf 28 and scaled to 0.75). Other instruments are returned as
    they are."""
    if estimate.instrument != "house_brackmann":
        return estimate
    item, _ = suggest_house_brackmann(coupling, findings, affected.side or affected.leaning)
    if item is None or (estimate.items and item == estimate.items[0]):
        return estimate
    return score_estimates(estimate.instrument, [item], list(estimate.missing), estimate.notes,
                           rated_at=rated_at)


def _with_grade_range(estimate: ScaleEstimate, uncertainty: Uncertainty) -> ScaleEstimate:
    """A graded suggestion with the whole grades of its interval."""
    interval = uncertainty.items.get(estimate.instrument, {}).get("grade")
    if estimate.result is None or estimate.result.grade is None or interval is None:
        return estimate
    grade = estimate.items[0].value if estimate.items else interval.low
    # the interval was drawn around the point-estimate grade; it always holds the suggested one
    return replace(estimate, grade_range=(int(min(interval.low, grade)),
                                          int(max(interval.high, grade))))


def score_estimates(instrument: str, items: Sequence[ItemEstimate], missing: Sequence[str],
                    notes: tuple[str, ...] = (), *, rated_at: datetime | None = None
                    ) -> ScaleEstimate:
    """Score estimated items through :mod:`synkinesis.scales` (the one implementation of each
    formula), as an automatic rating made at ``rated_at`` (timezone-aware) with the evidence of
    every item; a draft when items are missing."""
    from synkinesis.scales import ItemEvidence, score

    evidence = {item.key: ItemEvidence(measurement=item.measurement,
                                       value=float(item.measured) if np.isfinite(item.measured)
                                       else 0.0,
                                       confidence=float(np.clip(item.confidence, 0, 1)),
                                       unit=item.unit)
                for item in items}
    result = score(instrument, {item.key: item.value for item in items}, rater="automatic",
                   evidence=evidence, draft=bool(missing), rated_at=rated_at)
    return ScaleEstimate(instrument, tuple(items), tuple(missing), result, notes)


# ---------------------------------------------------------------------------------------------
# protocol files and spans


def read_protocol_file(path: Path) -> list[dict[str, Any]]:
    """Task spans from a sidecar JSON file: a list of ``{task, start_s, end_s}`` or an object
    with such a list under ``"segments"``.

    Raises
    ------
    AnalysisError
        Unreadable file or wrong structure (the message shows what was expected).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except OSError as error:
        raise AnalysisError(f"cannot read protocol file {path}: {error.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise AnalysisError(f"protocol file {path} is not JSON: {error}") from None
    if isinstance(data, dict):
        data = data.get("segments")
    if not isinstance(data, list) or not all(isinstance(s, dict) for s in data):
        raise AnalysisError(
            f"protocol file {path} must be a JSON list of {{\"task\", \"start_s\", \"end_s\"}} "
            "objects (or an object with that list under \"segments\")")
    return data


def parse_span(text: str) -> dict[str, Any]:
    """``"big_smile=2.5:4"`` -> ``{"task": "big_smile", "start_s": 2.5, "end_s": 4.0}``."""
    try:
        task, times = text.split("=", 1)
        start, end = (float(part) for part in times.split(":"))
    except ValueError:
        raise AnalysisError(f"a span must be TASK=START:END in seconds, e.g. big_smile=2.5:4, "
                            f"got {text!r}") from None
    return {"task": task.strip(), "start_s": start, "end_s": end}


def sidecar_for(path: Path) -> Path | None:
    """The recorder's sidecar protocol file beside a video or result, if there is one:
    ``<stem>.protocol.json``."""
    candidate = Path(path).with_name(Path(path).stem + ".protocol.json")
    return candidate if candidate.is_file() else None


# ---------------------------------------------------------------------------------------------
# the analysis file


def _clean(value: Any) -> Any:
    """JSON-ready: NaN/inf -> None, numpy -> Python, tuples -> lists."""
    if isinstance(value, dict) or isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, np.generic):
        return _clean(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value


def _frame_ref(recording: Recording, frame_numbers: np.ndarray | None, index: int) -> dict:
    t = np.asarray(recording.time_s)
    if index < 0 or index >= t.size:
        return {"index": None, "frame": None, "time_s": None}
    frame = int(frame_numbers[index]) if frame_numbers is not None else index
    return {"index": int(index), "frame": frame, "time_s": round(float(t[index]), 4)}


def _interval_dict(interval: Any) -> dict[str, Any] | None:
    return None if interval is None else asdict(interval)


def _finding_dict(finding: Finding, recording: Recording,
                  frame_numbers: np.ndarray | None,
                  uncertainty: Uncertainty | None = None) -> dict[str, Any]:
    out = asdict(finding)
    out["interval"] = _interval_dict(
        None if uncertainty is None else uncertainty.indices.get(finding.pattern))
    out["tasks"] = list(finding.tasks)
    evidence = []
    for e in finding.evidence:
        item = asdict(e)
        for key in ("start_frame", "stop_frame", "peak_frame"):
            item.pop(key)
        item["window"] = [_frame_ref(recording, frame_numbers, e.start_frame),
                          _frame_ref(recording, frame_numbers, max(e.stop_frame - 1, 0))]
        item["peak"] = _frame_ref(recording, frame_numbers, e.peak_frame)
        evidence.append(item)
    out["evidence"] = evidence
    return out


def _scale_dict(estimate: ScaleEstimate, uncertainty: Uncertainty | None = None
                ) -> dict[str, Any]:
    from synkinesis.scales import result_to_dict

    intervals = {} if uncertainty is None else uncertainty.items.get(estimate.instrument, {})
    return {
        "instrument": estimate.instrument,
        "items": [{**asdict(item), "interval": _interval_dict(intervals.get(item.key))}
                  for item in estimate.items],
        "missing_items": list(estimate.missing),
        "notes": list(estimate.notes),
        "grade_range": None if estimate.grade_range is None else list(estimate.grade_range),
        "result": result_to_dict(estimate.result),
    }


def coupling_dict(coupling: Coupling, affected: AffectedSide) -> dict[str, Any]:
    side = affected.side or affected.leaning
    return {
        "tasks": list(coupling.tasks),
        "regions": list(coupling.regions),
        "region_meaning": {r: s.meaning for r, s in REGION_SIGNALS.items()},
        "movement_mm": {s: coupling.movement_mm[s] for s in SIDES},
        "normalised": {s: coupling.normalised[s] for s in SIDES},
        "voluntary_range_mm": {s: coupling.voluntary_range_mm[s] for s in SIDES},
        "excess_mm": {s: coupling.excess_mm[s] for s in SIDES},
        "difference_side": side,
        "difference_normalised": coupling.difference(side),  # by the larger range
        "difference_mm": coupling.difference(side, normalised=False),
        "noise_floor_mm": coupling.noise_floor_mm,
        "coverage": coupling.coverage,
        "label_confidence": coupling.label_confidence,
        "short_tasks": list(coupling.short_tasks),
        "auxiliary": coupling.auxiliary,
    }


def uncertainty_dict(uncertainty: Uncertainty | None) -> dict[str, Any] | None:
    """The ``uncertainty`` section of an analysis file (the intervals themselves sit in each
    finding and item)."""
    if uncertainty is None:
        return None
    return {"level": uncertainty.level, "replicates": uncertainty.replicates,
            "seed": uncertainty.seed, "sources": list(uncertainty.sources),
            "resolution": [asdict(r) for r in uncertainty.resolution],
            "repetitions": dict(uncertainty.repetitions),
            "agreement": [{**asdict(a), "agree": a.agree} for a in uncertainty.agreement]}


def analysis_to_dict(analysis: Analysis, *, source: Mapping[str, Any] | None = None,
                     options: AnalysisOptions | None = None,
                     frame_numbers: np.ndarray | None = None) -> dict[str, Any]:
    """The JSON-ready content of an analysis file."""
    seg = analysis.segmentation
    recording = analysis.recording
    return _clean({
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "package": {"name": "synkinesis", "version": __version__},
        "protocol_version": PROTOCOL_VERSION,
        "scale_versions": {e.instrument: e.result.instrument_version for e in analysis.scales},
        "source": dict(source or {}),
        "side_convention": "left/right are the PATIENT's",
        "recording": {"frames": recording.n_frames, "duration_s": recording.duration_s,
                      "usable_frames": int(recording.usable.sum())},
        "options": asdict(options) if options is not None else None,
        "segmentation": {
            "method": seg.method,
            "segments": [asdict(s) for s in seg.segments],
            "rest": asdict(seg.rest),
            "baseline": seg.baseline,
            "missing_tasks": list(seg.missing_tasks),
            "protocol_tasks": [{"name": t.name, "label": t.label, "drivers": list(t.drivers),
                                "watched": list(t.watched), "optional": t.optional}
                               for t in TASKS],
        },
        "coupling": coupling_dict(analysis.coupling, analysis.affected),
        "affected_side": asdict(analysis.affected),
        "findings": [_finding_dict(f, recording, frame_numbers, analysis.uncertainty)
                     for f in analysis.findings],
        "resting": _finding_dict(analysis.resting, recording, frame_numbers,
                                 analysis.uncertainty),
        "scales": [_scale_dict(e, analysis.uncertainty) for e in analysis.scales],
        "uncertainty": uncertainty_dict(analysis.uncertainty),
        "warnings": list(analysis.warnings),
    })


def write_analysis(path: Path, content: Mapping[str, Any]) -> Path:
    """Write an analysis file atomically."""
    from synkinesis.files import atomic_output

    with atomic_output(Path(path)) as temporary:
        temporary.write_text(json.dumps(content, indent=2, allow_nan=False))
    return Path(path)


def read_analysis(path: Path) -> dict[str, Any]:
    """Read an analysis file; refuses other formats and newer versions."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise AnalysisError(f"{path}: not an analysis file ({error})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise AnalysisError(f"{path}: not a {FORMAT_NAME!r} file")
    version = data.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise AnalysisError(f"{path}: format_version must be a whole number >= 1, got "
                            f"{version!r}")
    if version > FORMAT_VERSION:
        raise AnalysisError(f"{path}: analysis format {version} is newer than this program "
                            f"reads ({FORMAT_VERSION}); upgrade synkinesis")
    return data


# ---------------------------------------------------------------------------------------------
# provenance and output folder


def source_info(measurement: Any, *, keep_paths: bool = False) -> dict[str, Any]:
    """The measure file an analysis came from: its name (full path with ``keep_paths``),
    format version, engine, model hash, and the input files as its manifest names them."""
    manifest = measurement.manifest
    return {
        "measure_file": None if measurement.path is None else recorded_name(measurement.path,
                                                                            keep_paths),
        "measure_format": manifest.format,
        "measure_format_version": manifest.file_format_version,
        "measure_package_version": manifest.package.version,
        "engine": manifest.engine.to_dict(),
        "input": manifest.source.description,
        "input_files": None if manifest.source.files is None else list(manifest.source.files),
        "mirrored_input_corrected": manifest.landmarks.mirrored_input_corrected,
    }


def recorded_name(path: Path | str, keep_paths: bool) -> str:
    """A file as an output file records it: the full path only on request (folder names
    often hold user or patient names)."""
    return str(path) if keep_paths else Path(path).name


def prepare_output_dir(output_dir: Path) -> Path:
    """Create the output directory (and parents) if needed.

    Raises
    ------
    AnalysisError
        The path exists and is not a directory, or it cannot be created.
    """
    if output_dir.exists() and not output_dir.is_dir():
        raise AnalysisError(f"{output_dir} exists and is not a directory (-o names the output "
                            "directory)")
    from synkinesis.files import make_private_dir

    try:
        make_private_dir(output_dir)
    except OSError as error:
        raise AnalysisError(f"cannot create the output directory {output_dir}: "
                            f"{error.strerror or error}") from None
    return output_dir


def analyze_measurement(measurement: Any, *, spans: Sequence[Mapping[str, object]] | None = None,
                        options: AnalysisOptions = AnalysisOptions()) -> Analysis:
    """:func:`analyze_recording` on a :class:`synkinesis.measure.Measurement`.

    Measurements whose landmarks the model pulled toward symmetry (``--method symmetric`` or
    ``fast``) get a warning saying how much of a one-sided movement they miss.
    """
    analysis = analyze_recording(recording_from_measurement(measurement), spans=spans,
                                 options=options)
    manifest = getattr(measurement, "manifest", None)
    method = manifest.options.get("method") if manifest is not None else None
    if method in PULLED_TOWARD_SYMMETRY:
        analysis = replace(analysis, warnings=(*analysis.warnings,
                                               PULLED_TOWARD_SYMMETRY[method]))
    return analysis


#: What landmarks pulled toward symmetry miss (measured: docs/one_sided.md).
PULLED_TOWARD_SYMMETRY = {
    method: f"measured with --method {method}: the landmark model pulls one-sided movement "
            "toward symmetry; on real faces it saw 40-60 % of a one-sided eye narrowing and "
            "41-77 % of a mouth-corner movement, and put 14-31 % of it on the other side, so "
            "one-sided findings read weaker (docs/one_sided.md; the default, --method "
            "composite-edges, sees 75-122 % with <= 9 % leak)"
    for method in ("symmetric", "fast")
}


def _call_words(call: Finding | SideCall) -> str:
    """A call as the summary prints it: its severity, "uncertain (none..moderate)" with the
    classes of its interval's ends."""
    if call.severity == "uncertain" and call.severity_range:
        return f"uncertain ({call.severity_range[0]}..{call.severity_range[1]})"
    return call.severity


def summarise_analysis(analysis: Analysis) -> dict[str, Any]:
    """What a clinician reads first, as short lines and rows (for the CLI and reports).

    Returns
    -------
    dict with ``recording``, ``segmentation``, ``tasks`` (one line per span with the driver
    movement per side, mm), ``affected``, ``findings`` (rows, with the index's interval),
    ``scales`` (lines), ``uncertainty`` (lines: how the intervals were made, each region's
    smallest resolvable change), ``warnings``.
    """
    from synkinesis.protocol import COMPOUND, get_task
    from synkinesis.quality import FrameFlag
    from synkinesis.scales.house_brackmann import GRADES as HB_GRADES

    recording = analysis.recording
    seg = analysis.segmentation
    coupling = analysis.coupling
    flags = np.asarray(recording.flags, dtype=np.int64)
    blinks = 0
    for flag in (FrameFlag.BLINK_LEFT, FrameFlag.BLINK_RIGHT):
        mask = (flags & int(flag)) != 0
        blinks = max(blinks, int(np.sum(np.diff(np.concatenate([[0], mask.astype(int)])) == 1)))
    tasks = []
    order: list[str] = []
    for segment in seg.segments:
        if segment.task not in order:
            order.append(segment.task)
    for task in order:
        spans = [s for s in seg.segments if s.task == task]
        when = ", ".join(f"{s.start_s:.2f}-{s.end_s:.2f}" for s in spans)
        low, high = min(s.confidence for s in spans), max(s.confidence for s in spans)
        confidence = f"{low:.0%}" if low == high else f"{low:.0%}-{high:.0%}"
        line = f"{task:<19} {when} s ({spans[0].method}, confidence {confidence})"
        if task in coupling.tasks:
            moves = []
            for region in get_task(task).drivers:
                left, right = (coupling.cell(quantity="movement_mm", side=side, task=task,
                                             region=region) for side in SIDES)
                moves.append(f"{region.replace('_', ' ')} L {left:.1f} / R {right:.1f} mm")
            line += ": " + ", ".join(moves)
        elif task == COMPOUND:
            line += ": two movements on both sides at once (e.g. laughing with the eyes shut), " \
                    "not analysed"
        elif task == "rest":
            line += ": rest baseline" + (" (quietest span, flagged)" if seg.rest.flagged else "")
        tasks.append(line)
    affected = analysis.affected
    if affected.method == "given":
        side_text = f"{affected.side} (given)"
    elif affected.side is None:
        side_text = (f"none named (evidence too weak, leaning {affected.leaning}, score "
                     f"{affected.score:+.2f}): each pattern is called on both sides, "
                     f"the {affected.leaning} side first; scale items compare the "
                     f"{affected.leaning} side with the other")
    else:
        side_text = (f"{affected.side} (inferred, confidence {affected.confidence:.0%}: weakness "
                     f"{affected.weakness:+.2f}, co-movement {affected.co_movement:+.2f})")
    rows = []
    uncertainty = analysis.uncertainty
    for finding in (*analysis.findings, analysis.resting):
        key = finding.evidence[0] if finding.evidence else None
        interval = None if uncertainty is None else uncertainty.indices.get(finding.pattern)
        rows.append({
            "pattern": finding.pattern + (" (proxy)" if finding.pattern == "platysmal" else ""),
            "side": (finding.side if finding.severity not in ("not measurable", "not assessable")
                     else None),
            "severity": _call_words(finding),
            "settle": finding.settle, "index": finding.index,
            "index_low": None if interval is None else interval.low,
            "index_high": None if interval is None else interval.high,
            "index_left": finding.index_by_side.get("left"),
            "index_right": finding.index_by_side.get("right"),
            "task": key.task if key else ("rest" if finding.pattern == "resting_tightness"
                                          else None),
            "excess_mm": key.excess_mm if key else None, "confidence": finding.confidence,
            "note": (finding.note if finding.pattern != "resting_tightness"
                     or finding.severity == "not assessable" else ""),
        })
        other = finding.other_side
        if other is not None and finding.severity not in ("not measurable", "not assessable"):
            rows.append({
                "pattern": rows[-1]["pattern"], "side": other.side,
                "severity": _call_words(other),
                "settle": other.settle, "index": other.index, "index_low": other.low,
                "index_high": other.high, "index_left": finding.index_by_side.get("left"),
                "index_right": finding.index_by_side.get("right"), "task": other.task,
                "excess_mm": None if other.task == "rest" else other.excess_mm,
                "confidence": None, "note": "", "other_side": True,
            })
    scales = []
    for estimate in analysis.scales:
        result = estimate.result
        if result.draft:
            parts = [f"{s.label} {s.value:.0f}" for s in result.subscores
                     if s.value is not None and s.kind == "subscore"]
            text = (f"{estimate.instrument}: draft ({len(estimate.items)} items estimated, "
                    f"missing {len(estimate.missing)})" + (": " + ", ".join(parts) if parts
                                                           else ""))
        elif result.grade is not None:
            text = f"{estimate.instrument}: grade {result.grade.name} suggested"
            if estimate.grade_range is not None and uncertainty is not None:
                low, high = (HB_GRADES[g][0] for g in estimate.grade_range)
                text += f" ({uncertainty.level:.0%} range of grades {low}..{high})"
            else:
                text += " (range of grades unknown: intervals switched off)"
        else:
            text = f"{estimate.instrument}: total {result.total:.1f} ({result.total_formula})"
        scales.append(text)
    usable = int(recording.usable.sum())
    return {
        "recording": f"{recording.duration_s:.1f} s, {recording.n_frames} frames ({usable} "
                     f"usable), {blinks} blinks",
        "segmentation": f"{seg.method}; rest "
                        + ", ".join(f"{a:.2f}-{b:.2f}" for a, b in seg.rest.spans)
                        + f" s ({seg.rest.method})",
        "tasks": tasks,
        "affected": side_text,
        "findings": rows,
        "scales": scales,
        "uncertainty": _uncertainty_lines(uncertainty),
        "warnings": list(analysis.warnings),
    }


def _uncertainty_lines(uncertainty: Uncertainty | None) -> list[str]:
    if uncertainty is None:
        return ["intervals switched off (no uncertainty was estimated)"]
    kinds = {i.kind for i in uncertainty.indices.values()}
    kind = ("repeat (where a repeat recording would read)" if kinds == {"repeat"}
            else "confidence (where each number itself lies)")
    lines = [f"intervals: {uncertainty.level:.0%} {kind}, from {uncertainty.replicates} "
             "resamplings of "
             f"this recording (seed {uncertainty.seed}): "
             + "; ".join(uncertainty.sources)]
    resolution = ", ".join(f"{r.region.replace('_', ' ')} {r.smallest_change_mm:.2f}"
                           for r in uncertainty.resolution if math.isfinite(r.smallest_change_mm))
    frames = uncertainty.resolution[0].rest_frames if uncertainty.resolution else 0
    lines.append(f"smallest resolvable change, mm (from {frames} rest frames): "
                 + (resolution or "unknown (too few rest frames)"))
    repeated = [f"{task} x{n}" for task, n in uncertainty.repetitions.items() if n > 1]
    if repeated:
        lines.append("repetitions resampled: " + ", ".join(repeated))
    lines += agreement_lines(uncertainty.agreement)
    return lines


def agreement_lines(agreement: Sequence[Any]) -> list[str]:
    """One line per repeated task: whether its repetitions agree, and where they do not by
    how much (the largest spread, mm, against the region's smallest resolvable change)."""
    lines = []
    for entry in agreement:
        task = entry.task.replace("_", " ")
        if entry.agree:
            lines.append(f"repetitions agree: {task} x{entry.repetitions} (every region "
                         "within its smallest resolvable change)")
            continue
        worst = ", ".join(
            f"{region.replace('_', ' ')} {spread:.2f} mm apart (resolves "
            f"{limit:.2f})" for region, spread, limit in zip(
                entry.regions, entry.spread_mm, entry.smallest_change_mm)
            if region in entry.disagreeing)
        lines.append(f"repetitions DISAGREE: {task} x{entry.repetitions}: {worst}; "
                     "record the task again")
    return lines
