"""The public Python API for researchers: measure a recording, analyse it, get DataFrames.

::

    import synkinesis

    m = synkinesis.measure_recording("visit.mp4", method="composite-edges")
    frames = m.to_dataframe()                   # one row per frame, flags as named booleans
    result = synkinesis.analyze(m, affected_side="left")
    result.findings                             # one row per pattern (a DataFrame)
    result.to_dict()                            # what `synk analyze` writes as .analysis.json
    (photos,) = synkinesis.analyze_photos("visit-photos/")   # a standard photo set
    photos.findings

Nothing is written unless asked (``save_to``): a video or photos are measured in a temporary
folder and the result kept in memory. The measure and analysis steps are the ones every other
door uses (:mod:`synkinesis.measure`, :func:`synkinesis.workflow.analyse_measurement`), so the
same input with the same options gives what ``synk analyze`` gives.

Why ``measure_recording`` and not ``synkinesis.measure``: ``synkinesis.measure`` is the measure
package; ``import synkinesis.measure`` (which every measurement runs) sets the package's
attribute ``measure`` to that subpackage, so a function of that name would be replaced by the
module as soon as anything measured (docs/api.md).
"""

from __future__ import annotations

import copy
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synkinesis.analysis import Analysis, AnalysisOptions
from synkinesis.measure import METHODS, SUFFIX, Measurement, MeasureOptions, read_measurement
from synkinesis.workflow import WorkflowOptions, analyse_measurement, read_spans, rest_span

__all__ = ["AFFECTED_SIDES", "MEASURE_OPTIONS", "AnalysisResult", "PhotoSetAnalysis", "analyze",
           "analyze_photos", "measure_recording"]

#: The keyword options of :func:`measure_recording` -> the :class:`MeasureOptions` field.
MEASURE_OPTIONS = {
    "method": "method",
    "iris_mm": "iris_diameter_mm",
    "interpupil_mm": "interpupil_mm",
    "mirrored": "mirrored",
    "rest_span_s": "rest_span_s",
    "min_confidence": "min_confidence",
    "engine": "engine",
    "auto_orient": "auto_orient",
    "allow_truncated": "allow_truncated",
    "keep_paths": "keep_paths",
}
_BOOLEAN = ("mirrored", "auto_orient", "allow_truncated", "keep_paths")
_NUMBER = ("iris_mm", "interpupil_mm", "min_confidence")

#: ``affected_side`` values of :func:`analyze` (None and "auto": inferred).
AFFECTED_SIDES = (None, "auto", "left", "right")

PathLike = str | os.PathLike


def _measure_options(options: Mapping[str, Any]) -> MeasureOptions:
    """The keyword options as :class:`MeasureOptions`, each checked; ValueError names the
    allowed names or values."""
    unknown = sorted(set(options) - set(MEASURE_OPTIONS))
    if unknown:
        raise ValueError(f"unknown option{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(map(repr, unknown))}; allowed: {', '.join(MEASURE_OPTIONS)}")
    if "method" in options and options["method"] not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, got "
                         f"{options['method']!r}")
    for name in _BOOLEAN:
        if name in options and not isinstance(options[name], bool):
            raise ValueError(f"{name} must be True or False, got {options[name]!r}")
    for name in _NUMBER:
        value = options.get(name)
        if name in options and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError(f"{name} must be a number, got {value!r}")
    if options.get("rest_span_s") is not None:
        span = options["rest_span_s"]
        if (not isinstance(span, Sequence) or len(span) != 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in span)):
            raise ValueError(f"rest_span_s must be (start_s, end_s) or None, got {span!r}")
        options = {**options, "rest_span_s": (float(span[0]), float(span[1]))}
    measure = MeasureOptions(**{MEASURE_OPTIONS[k]: v for k, v in options.items()})
    measure.validate()  # ranges (iris 5-20 mm, ...): InputError, a ValueError
    return measure


def _affected_side(affected_side: str | None) -> str | None:
    """``affected_side`` checked: "left", "right" or None (inferred)."""
    if affected_side not in AFFECTED_SIDES:
        raise ValueError(f"affected_side must be one of "
                         f"{', '.join(map(repr, AFFECTED_SIDES))}, got {affected_side!r}")
    return None if affected_side in (None, "auto") else affected_side


def _inputs(path_or_paths: PathLike | Sequence[PathLike]) -> list[Path]:
    if isinstance(path_or_paths, str | os.PathLike):
        return [Path(path_or_paths)]
    if isinstance(path_or_paths, Sequence) and path_or_paths and all(
            isinstance(p, str | os.PathLike) for p in path_or_paths):
        return [Path(p) for p in path_or_paths]
    raise ValueError("give a path (str or pathlib.Path) of a video, photo or .synk result, or a "
                     f"non-empty list of photo paths; got {path_or_paths!r}")


def measure_recording(path_or_paths: PathLike | Sequence[PathLike], *,
                      save_to: PathLike | None = None, **options: Any) -> Measurement:
    """Measure a video, a photo or a list of photos (or read a ``.synk`` result).

    Parameters
    ----------
    path_or_paths : str or Path, or a list of them
        A video, one photo, a list of photos (one frame each, in order), or a measure result
        (``.synk``, read as it is; options are then not allowed).
    save_to : str or Path, optional
        Write the measure result (``.synk``) there. Default: nothing is written; the video is
        measured in a temporary folder and the result, landmarks included, kept in memory.
    **options
        ``method`` (one of :data:`synkinesis.measure.METHODS`, default ``composite-edges``),
        ``iris_mm`` (5-20), ``interpupil_mm`` (30-100), ``mirrored``, ``rest_span_s``
        (``(start, end)`` seconds), ``min_confidence``, ``engine``, ``auto_orient``,
        ``allow_truncated``, ``keep_paths``: as ``synk measure``'s options.

    Raises
    ------
    ValueError
        An unknown option or a value out of range (the message lists what is allowed); an
        input that cannot be measured (:class:`synkinesis.landmarks.sources.InputError`).
    synkinesis.measure.MeasureError, synkinesis.measure.ResultFileError
    """
    from synkinesis.landmarks.sources import IMAGE_SUFFIXES, InputError
    from synkinesis.measure import measure_images, measure_video

    paths = _inputs(path_or_paths)
    if len(paths) == 1 and paths[0].suffix.lower() == SUFFIX:
        if options:
            raise ValueError(f"{paths[0].name} is measured already: options "
                             f"({', '.join(options)}) apply to a video or photos")
        return read_measurement(paths[0])
    measure = _measure_options(options)
    for path in paths:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
    photos = len(paths) > 1 or paths[0].suffix.lower() in IMAGE_SUFFIXES
    if len(paths) > 1 and any(p.suffix.lower() not in IMAGE_SUFFIXES for p in paths):
        raise ValueError(f"a list holds photos ({', '.join(IMAGE_SUFFIXES)}); measure a video "
                         "on its own")

    def run(output: Path) -> Measurement:
        if photos:
            return measure_images(paths, output, options=measure)
        return measure_video(paths[0], output, options=measure)

    if save_to is not None:
        run(Path(save_to))
        return read_measurement(Path(save_to))
    with tempfile.TemporaryDirectory(prefix="synkinesis-") as scratch:
        output = Path(scratch) / (paths[0].stem + SUFFIX)
        run(output)
        measurement = read_measurement(output, landmarks=True)
    measurement.path = None  # held in memory; its file is gone
    return measurement


def _span_text(span: tuple[str, str] | None) -> str | None:
    """An uncertain call's classes as text ("none..moderate"), None without them."""
    return None if span is None else f"{span[0]}..{span[1]}"


@dataclass(frozen=True, eq=False)
class AnalysisResult:
    """What :func:`analyze` found.

    Attributes
    ----------
    analysis : synkinesis.analysis.Analysis
        The analysis itself (segmentation, coupling, findings, scale estimates).
    measurement : synkinesis.measure.Measurement
        The measurement analysed.
    content : dict
        The analysis file's content (:meth:`to_dict` returns a copy).
    """

    analysis: Analysis
    measurement: Measurement
    content: Mapping[str, Any]

    @property
    def findings(self):
        """One row per pattern (the resting-tightness finding last) as a
        ``pandas.DataFrame``: pattern, label, side, index, index_left, index_right, severity,
        confidence, uncertain, key_task, excess_mm, tasks, noise_floor_mm, proxy, note,
        source, then index_low, index_high (the index's interval; NaN without one),
        severity_range ("none..moderate" for an uncertain call), settle, and the call about
        the other side of a face with no affected side named (None / NaN otherwise):
        other_side, other_index, other_low, other_high, other_severity,
        other_severity_range, other_settle, other_key_task, other_excess_mm. Left and right
        are the patient's; index in Sunnybrook synkinesis points."""
        from synkinesis.measure.result_file import _require_pandas

        _require_pandas()
        import pandas as pd

        nan = float("nan")
        uncertainty = self.analysis.uncertainty
        rows = []
        for finding in (*self.analysis.findings, self.analysis.resting):
            key = finding.evidence[0] if finding.evidence else None
            interval = None if uncertainty is None else uncertainty.indices.get(finding.pattern)
            other = (finding.other_side if finding.severity not in ("not measurable",
                                                                    "not assessable")
                     else None)  # a withheld finding is called on neither side
            rows.append({
                "pattern": finding.pattern, "label": finding.label, "side": finding.side,
                "index": finding.index,
                "index_left": finding.index_by_side.get("left", float("nan")),
                "index_right": finding.index_by_side.get("right", float("nan")),
                "severity": finding.severity, "confidence": finding.confidence,
                "uncertain": finding.uncertain,
                "key_task": key.task if key else None,
                "excess_mm": key.excess_mm if key else float("nan"),
                "tasks": ", ".join(finding.tasks),
                "noise_floor_mm": finding.noise_floor_mm, "proxy": finding.proxy,
                "note": finding.note, "source": finding.source,
                "index_low": nan if interval is None else interval.low,
                "index_high": nan if interval is None else interval.high,
                "severity_range": _span_text(finding.severity_range),
                "settle": finding.settle,
                "other_side": None if other is None else other.side,
                "other_index": nan if other is None else other.index,
                "other_low": nan if other is None or other.low is None else other.low,
                "other_high": nan if other is None or other.high is None else other.high,
                "other_severity": None if other is None else other.severity,
                "other_severity_range": None if other is None else _span_text(
                    other.severity_range),
                "other_settle": None if other is None else other.settle,
                "other_key_task": None if other is None else other.task,
                "other_excess_mm": nan if other is None else other.excess_mm,
            })
        frame = pd.DataFrame(rows)
        for column in ("index", "index_left", "index_right", "confidence", "excess_mm",
                       "noise_floor_mm", "index_low", "index_high", "other_index", "other_low",
                       "other_high", "other_excess_mm"):
            frame[column] = frame[column].astype("float64")
        return frame.astype({"uncertain": "bool"})

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.analysis.warnings

    @property
    def affected_side(self) -> str | None:
        """The affected side given or inferred (None: the evidence named none)."""
        return self.analysis.affected.side

    def to_dict(self) -> dict[str, Any]:
        """The analysis file's content (``<stem>.analysis.json`` of ``synk analyze``)."""
        return copy.deepcopy(dict(self.content))


def analyze(measurement_or_path: Measurement | PathLike | Sequence[PathLike], *,
            protocol: PathLike | Sequence[Mapping[str, Any]] | None = None,
            affected_side: str | None = None, save_to: PathLike | None = None,
            **options: Any) -> AnalysisResult:
    """Analyse a measurement, a ``.synk`` result, a video or photos, as ``synk analyze`` does.

    Parameters
    ----------
    measurement_or_path : Measurement, or a path (or photo paths) as for
        :func:`measure_recording`, which measures it first (with ``save_to`` and ``options``).
    protocol : None, str or Path, or a list of {task, start_s, end_s}
        The task spans: a protocol file, or the spans themselves. None: the recorder's
        ``<stem>.protocol.json`` beside the input file if there is one (as ``synk analyze``),
        else unguided segmentation.
    affected_side : None, "auto", "left" or "right"
        The patient's affected side; None or "auto" infers it.

    A video measured here with task spans that hold a rest span is measured with that rest
    (``rest_span_s``, unless given), as ``synk analyze`` measures it. Nothing is written
    unless ``save_to`` asks for the measure result.
    """
    side = _affected_side(affected_side)
    spans: tuple[Mapping[str, Any], ...] | None = None
    protocol_file: Path | None = None
    if isinstance(protocol, str | os.PathLike):
        protocol_file = Path(protocol)
    elif protocol is not None:
        if (not isinstance(protocol, Sequence) or not protocol
                or not all(isinstance(s, Mapping) for s in protocol)):
            raise ValueError("protocol must be None, a protocol file path, or a non-empty list "
                             f"of {{task, start_s, end_s}} mappings; got {protocol!r}")
        spans = tuple(protocol)
    workflow = WorkflowOptions(analysis=AnalysisOptions(affected_side=side), spans=spans,
                               spans_source="python", protocol_file=protocol_file,
                               keep_paths=bool(options.get("keep_paths", False)))
    workflow.validate(measuring=False)
    if isinstance(measurement_or_path, Measurement):
        if options or save_to is not None:
            raise ValueError("options and save_to apply to a path to measure, not to a "
                             "Measurement")
        measurement, source = measurement_or_path, measurement_or_path.path
        found_spans, spans_source = read_spans(
            None if source is None else Path(source), workflow)
    else:
        paths = _inputs(measurement_or_path)
        source = paths[0] if len(paths) == 1 else None
        found_spans, spans_source = read_spans(source, workflow)
        rest = rest_span(found_spans)
        if (rest is not None and source is not None and source.suffix.lower() != SUFFIX
                and options.get("rest_span_s") is None):
            # as every door measures a guided recording: rest is the protocol's rest span
            options = {**options, "rest_span_s": rest}
        measurement = measure_recording(measurement_or_path, save_to=save_to, **options)
    analysis, content = analyse_measurement(measurement, options=workflow,
                                            spans=found_spans, spans_source=spans_source)
    return AnalysisResult(analysis, measurement, content)


@dataclass(frozen=True, eq=False)
class PhotoSetAnalysis(AnalysisResult):
    """What :func:`analyze_photos` found for one person's photo set: an
    :class:`AnalysisResult` (``findings``, ``to_dict()``...) and the set.

    Attributes
    ----------
    person : str
        The person's file-name prefix, or ``"photos"`` without one.
    photos : mapping task -> Path
        The protocol task of each photo.
    identity : mapping
        How one person per set was decided (the file naming; faces are not compared).
    """

    person: str
    photos: Mapping[str, Path]
    identity: Mapping[str, Any]


def analyze_photos(photos: PathLike | Mapping[str, PathLike] | Sequence[PathLike], *,
                   affected_side: str | None = None, save_to: PathLike | None = None,
                   **options: Any) -> list[PhotoSetAnalysis]:
    """Assess standard photo sets (rest, brow raise, eye closures, smiles, snarl, pucker,
    "EEE") as ``synk analyze --photos`` does: one result per person.

    Parameters
    ----------
    photos : str or Path, a mapping, or a list of paths
        A folder of photos named by task (``rest.jpg``, ``smile_open.jpg``...;
        ``PERSON_TASK.jpg`` splits several people), a list file of ``TASK PATH`` lines, a
        mapping task -> photo (one person), or a list of photos named by task. Tasks and
        names: ``synkinesis.photoset.TASK_FILE_NAMES`` (docs/photos.md).
    affected_side : None, "auto", "left" or "right"
        The patient's affected side; None or "auto" infers it.
    save_to : str or Path, optional
        A folder to write ``<person>.synk`` and ``<person>.analysis.json`` into (existing
        ones are not replaced). Default: nothing is written.
    **options
        The measure options of :func:`measure_recording` but ``rest_span_s`` (rest is the
        rest photo).

    Raises
    ------
    ValueError
        Photos that do not make a set (:class:`synkinesis.photoset.PhotoSetError`: the
        message says why), an unknown option or a bad value.
    synkinesis.measure.MeasureError, synkinesis.files.OutputPathError
    """
    from synkinesis.photoset import assess_photo_sets, find_photo_sets, photo_sets_of

    side = _affected_side(affected_side)
    if "rest_span_s" in options:
        raise ValueError("rest_span_s does not apply to a photo set: rest is the rest photo")
    measure = _measure_options(options)
    if isinstance(photos, str | os.PathLike):
        sets = find_photo_sets(Path(photos))
    elif isinstance(photos, Mapping | Sequence) and all(
            isinstance(p, str | os.PathLike)
            for p in (photos.values() if isinstance(photos, Mapping) else photos)):
        sets = photo_sets_of(photos)
    else:
        raise ValueError("give a folder or list file (str or Path), a mapping task -> photo "
                         f"path, or a list of photo paths named by task; got {photos!r}")

    def run(output: Path) -> list[PhotoSetAnalysis]:
        results = assess_photo_sets(sets, output, measure_options=measure,
                                    analysis_options=AnalysisOptions(affected_side=side),
                                    keep_paths=measure.keep_paths)
        found = []
        for result in results:
            measurement = read_measurement(result.measurement_path, landmarks=True)
            if save_to is None:
                measurement.path = None  # held in memory; its file is gone
            found.append(PhotoSetAnalysis(result.analysis, measurement, result.content,
                                          result.photo_set.name,
                                          dict(result.photo_set.photos), result.identity))
        return found

    if save_to is not None:
        return run(Path(save_to))
    with tempfile.TemporaryDirectory(prefix="synkinesis-") as scratch:
        return run(Path(scratch))
