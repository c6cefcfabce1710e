"""The one path measure -> analyse -> persist, the same for every door.

``synk analyze`` calls :func:`measure_and_analyse`; ``synk record add`` and the web app's
recording jobs call :func:`record_recording`, which measures and analyses the same way and then
hands the files down to the record (:mod:`synkinesis.store.recordings`, which only persists).
Each door turns its own inputs (command-line options, the patient record, the browser's task
clock) into one :class:`WorkflowOptions`; nothing else decides how a recording is measured or
analysed, so the same recording with the same options gives the same analysis whichever door
it came in by.

The store never imports the analysis: this module, a layer above both, runs it and passes the
results down.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synkinesis.analysis import (
    SUFFIX,
    Analysis,
    AnalysisError,
    AnalysisOptions,
    analysis_to_dict,
    analyze_measurement,
    prepare_output_dir,
    read_protocol_file,
    recorded_name,
    sidecar_for,
    source_info,
    write_analysis,
)
from synkinesis.measure import MeasureOptions

if TYPE_CHECKING:
    from synkinesis.measure import Measurement
    from synkinesis.store import Store
    from synkinesis.store.recordings import RecordOutcome

__all__ = [
    "WorkflowOptions",
    "WorkflowResult",
    "analyse_measurement",
    "measure_and_analyse",
    "planned_outputs",
    "read_spans",
    "record_recording",
    "recorded_spans",
    "rest_span",
]

#: ``progress(frames)``: frames measured since the last call.
Progress = Callable[[int], None]
#: ``on_stage(stage)``: ``"measuring"``, ``"analysing"`` or ``"storing"`` begins.
StageCallback = Callable[[str], None]
#: ``on_phase(phase)``: the finer steps of a progress bar, in order: the measure step's
#: (``"orienting"``, ``"loading the model"``, ``"landmarks"``, ``"calibrating"``,
#: ``"writing"``: :func:`synkinesis.measure.measure_video`), then ``"analysing"`` and, for
#: the record, ``"storing"``.
PhaseCallback = Callable[[str], None]


def _teller(on_stage: StageCallback | None, on_phase: PhaseCallback | None
            ) -> Callable[[str], None]:
    """One callback for a stage that begins: ``on_stage`` hears every stage, ``on_phase``
    all but "measuring" (the measure step names its own finer phases)."""
    def tell(stage: str) -> None:
        if on_stage is not None:
            on_stage(stage)
        if on_phase is not None and stage != "measuring":
            on_phase(stage)
    return tell


@dataclass(frozen=True)
class WorkflowOptions:
    """How a recording is measured and analysed, and what is written: the one options object
    of every door.

    Attributes
    ----------
    measure : MeasureOptions
        How a video is measured (method, iris diameter, mirroring, rest span, ...); unused
        for a measure result (``.synk``) given as input.
    analysis : AnalysisOptions
        The analysis' options (affected side, thresholds). The record fills in the patient's
        affected side as recorded.
    spans : tuple of {task, start_s, end_s}, optional
        Task spans given directly (command line, the browser's recorder); they win over
        ``protocol_file`` and the sidecar.
    spans_source : str
        What the analysis file names as the origin of ``spans``.
    protocol_file : Path, optional
        A protocol file of task spans. Without spans or protocol file, the recorder's sidecar
        ``<stem>.protocol.json`` beside the source video is used if there is one; else
        segmentation is unguided.
    spans_outrun_recording : bool
        The spans were timed by a clock that may run on a few frames after the recording
        stops (the browser's recorder): a span that starts after the recording ends was not
        recorded and is left out (:func:`recorded_spans`) instead of refusing the protocol.
    analyse : bool
        Run the analysis (False: measure only).
    figures : bool
        Save the analysis's PNG figures.
    overwrite : bool
        Replace outputs that exist already (``measure_and_analyse``; the record's files are
        always new).
    keep_paths : bool
        Name the input, measure result and protocol file by full path in the files written
        (default: file names only; folder names often hold user or patient names).
    """

    measure: MeasureOptions = field(default_factory=MeasureOptions)
    analysis: AnalysisOptions = field(default_factory=AnalysisOptions)
    spans: tuple[Mapping[str, Any], ...] | None = None
    spans_source: str = "command line"
    protocol_file: Path | None = None
    spans_outrun_recording: bool = False
    analyse: bool = True
    figures: bool = False
    overwrite: bool = True
    keep_paths: bool = False

    def validate(self, *, measuring: bool = True) -> None:
        """Raises the analysis' error for a bad option, and the measure step's when a video
        is to be measured."""
        if measuring:
            self.measure_options().validate()
        self.analysis.validate()

    def measure_options(self, spans: Sequence[Mapping[str, Any]] | None = None
                        ) -> MeasureOptions:
        """The measure step's options, naming files as ``keep_paths`` says; with task
        ``spans`` (a guided recording), rest is the protocol's rest span (:func:`rest_span`)
        unless a rest span was given explicitly."""
        measure = replace(self.measure, keep_paths=self.keep_paths)
        span = rest_span(spans)
        if span is not None and measure.rest_span_s is None:
            measure = replace(measure, rest_span_s=span)
        return measure


def rest_span(spans: Sequence[Mapping[str, Any]] | None) -> tuple[float, float] | None:
    """The rest span of a guided recording's task spans (seconds): the first span of the
    task "rest", which the measure step then takes as rest (its frames set the resting level
    and the pixel refinements' resting offsets) instead of the quietest frames. None when
    the spans hold no rest task."""
    for span in spans or ():
        if str(span.get("task", "")).strip().lower() == "rest":
            start, end = float(span["start_s"]), float(span["end_s"])
            if 0 <= start < end:
                return (start, end)
    return None


@dataclass(frozen=True, eq=False)
class WorkflowResult:
    """What :func:`measure_and_analyse` produced.

    Attributes
    ----------
    measurement : synkinesis.measure.Measurement
    measurement_path : Path
    analysis : Analysis or None
        None when the analysis was not asked for.
    analysis_path : Path or None
    content : mapping or None
        The analysis file's content.
    figures : tuple of Path
    spans_source : str or None
        Where the task spans came from (None: unguided).
    """

    measurement: Measurement
    measurement_path: Path
    analysis: Analysis | None = None
    analysis_path: Path | None = None
    content: Mapping[str, Any] | None = None
    figures: tuple[Path, ...] = ()
    spans_source: str | None = None


def _protocol_file(source: Path | None, options: WorkflowOptions) -> Path | None:
    """The protocol file the spans come from (None: spans given directly, or none); the
    sidecar is looked for beside ``source`` (None: no sidecar)."""
    if options.spans:
        return None
    if options.protocol_file is not None or source is None:
        return options.protocol_file
    return sidecar_for(source)


def read_spans(source: Path | None, options: WorkflowOptions
                ) -> tuple[list[Mapping[str, Any]] | None, str | None]:
    """The task spans and where they came from: given spans, else the protocol file, else
    the sidecar beside ``source``; (None, None) for unguided segmentation."""
    if options.spans:
        return list(options.spans), options.spans_source
    protocol_file = _protocol_file(source, options)
    if protocol_file is None:
        return None, None
    return read_protocol_file(protocol_file), recorded_name(protocol_file, options.keep_paths)


def recorded_spans(spans: Sequence[Mapping[str, Any]], time_s: Any) -> list[Mapping[str, Any]]:
    """The task spans that a recording holds, for spans timed by a clock that runs on after
    the recorder stops.

    The web page times the tasks with its own clock and stops the recorder after the last
    one; the recording (converted to 30 fps) can end a few frames before the last span's
    start on a busy machine. Such a span was not recorded: it is left out (the analysis then
    reports the task as missing) instead of failing the whole visit's analysis.
    """
    import numpy as np

    t = np.asarray(time_s, dtype=float)
    if t.size == 0:
        return list(spans)
    step = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    end = float(t[-1] - t[0] + step)
    return [span for span in spans
            if not isinstance(span.get("start_s"), int | float)
            or float(span["start_s"]) < end - 1e-6]


def analyse_measurement(measurement: Measurement, *, options: WorkflowOptions,
                        spans: Sequence[Mapping[str, Any]] | None, spans_source: str | None
                        ) -> tuple[Analysis, dict[str, Any]]:
    """The analysis step in memory: the analysis and the analysis file's content, nothing
    written. Every door (and the Python API, :mod:`synkinesis.api`) analyses through it."""
    import numpy as np

    if spans and options.spans_outrun_recording:
        spans = recorded_spans(spans, measurement.frames["time_s"]) or None
    analysis = analyze_measurement(measurement, spans=spans, options=options.analysis)
    source = {**source_info(measurement, keep_paths=options.keep_paths),
              "spans_source": spans_source}
    content = analysis_to_dict(analysis, source=source, options=options.analysis,
                               frame_numbers=np.asarray(measurement.frames["frame"]))
    return analysis, content


def _analyse(measurement: Measurement, *, options: WorkflowOptions,
             spans: Sequence[Mapping[str, Any]] | None, spans_source: str | None,
             analysis_path: Path, figures_dir: Path | None, video: Path | None
             ) -> tuple[Analysis, dict[str, Any], tuple[Path, ...]]:
    """Analyse a measurement, write its analysis file and, into ``figures_dir``, its figures.
    The same for every door."""
    analysis, content = analyse_measurement(measurement, options=options, spans=spans,
                                            spans_source=spans_source)
    try:
        write_analysis(analysis_path, content)
    except OSError as error:
        raise AnalysisError(f"cannot write the analysis into {analysis_path.parent}: "
                            f"{error.strerror or error}") from None
    written: tuple[Path, ...] = ()
    if figures_dir is not None:
        from synkinesis.reports import save_figures

        written = save_figures(analysis, measurement, figures_dir,
                               stem=analysis_path.name.removesuffix(SUFFIX), video=video)
    return analysis, content, written


def planned_outputs(source: Path, output_dir: Path, *, figures: bool) -> list[Path]:
    """The files :func:`measure_and_analyse` writes that exist already or are sure to be
    written: the analysis file, the measure result of a video input, and the figures of an
    earlier analysis of the same stem."""
    import glob

    from synkinesis.measure import SUFFIX as MEASURE_SUFFIX

    source, output_dir = Path(source), Path(output_dir)
    stem = source.stem
    paths = [output_dir / (stem + SUFFIX)]
    if source.suffix != MEASURE_SUFFIX:
        paths.append(output_dir / (stem + MEASURE_SUFFIX))
    if figures:
        paths += sorted((output_dir / "figures").glob(glob.escape(stem) + "-*.png"))
    return paths


def measure_and_analyse(
    source: Path,
    *,
    options: WorkflowOptions = WorkflowOptions(),
    output_dir: Path,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
    on_stage: StageCallback | None = None,
    on_phase: PhaseCallback | None = None,
) -> WorkflowResult:
    """Measure a video (or read a measure result) and analyse it into ``output_dir``:
    ``<stem>.synk`` for a video, ``<stem>.analysis.json`` and, with ``options.figures``, the
    figures under ``output_dir/figures``.

    ``progress`` counts the frames measured; ``on_stage`` hears "measuring" and "analysing";
    ``on_phase`` the finer steps of a progress bar (:data:`PhaseCallback`).

    No output may be an input (the source or the protocol file); ``options.overwrite=False``
    refuses outputs that exist already (:func:`planned_outputs`).

    Raises
    ------
    AnalysisError, synkinesis.measure.ResultFileError, synkinesis.measure.MeasureError,
    synkinesis.landmarks.sources.InputError, synkinesis.files.OutputPathError
        Input that cannot be analysed, or outputs that would destroy data, with a message
        for the user.
    """
    from synkinesis.files import check_output_path
    from synkinesis.measure import SUFFIX as MEASURE_SUFFIX

    source, output_dir = Path(source), Path(output_dir)
    options.validate(measuring=source.suffix != MEASURE_SUFFIX)
    protocol_file = _protocol_file(source, options)
    inputs = [source, *([] if protocol_file is None else [protocol_file])]
    for planned in planned_outputs(source, output_dir, figures=options.figures):
        check_output_path(planned, inputs=inputs, overwrite=options.overwrite)
    output_dir = prepare_output_dir(output_dir)
    spans, spans_source = read_spans(source, options)
    measurement = _load_or_measure(source, output_dir / (source.stem + ".synk"),
                                   options=options, progress=progress, on_total=on_total,
                                   on_stage=on_stage, on_phase=on_phase, spans=spans)
    if not options.analyse:
        return WorkflowResult(measurement, Path(str(measurement.path)))
    _teller(on_stage, on_phase)("analysing")
    video = None if source.suffix == ".synk" else source
    analysis, content, figures = _analyse(
        measurement, options=options, spans=spans, spans_source=spans_source,
        analysis_path=output_dir / (source.stem + SUFFIX),
        figures_dir=output_dir / "figures" if options.figures else None, video=video)
    return WorkflowResult(measurement, Path(str(measurement.path)), analysis,
                          output_dir / (source.stem + SUFFIX), content, figures, spans_source)


def _load_or_measure(source: Path, target: Path, *, options: WorkflowOptions,
                     progress: Progress | None, on_total: Callable[[int], None] | None,
                     on_stage: StageCallback | None, on_phase: PhaseCallback | None = None,
                     spans: Sequence[Mapping[str, Any]] | None = None) -> Measurement:
    """Read a ``.synk`` result, or measure a video into ``target`` (with the rest span of
    the task ``spans``, if any)."""
    from synkinesis.measure import SUFFIX as MEASURE_SUFFIX
    from synkinesis.measure import read_measurement

    if not source.exists():
        raise AnalysisError(f"{source}: no such file")
    if source.suffix == MEASURE_SUFFIX:
        return read_measurement(source)
    from synkinesis.measure import measure_video

    _teller(on_stage, on_phase)("measuring")
    return measure_video(source, target, options=options.measure_options(spans),
                         progress=progress, on_total=on_total, on_phase=on_phase)


def _spans_or_none(video: Path, options: WorkflowOptions
                   ) -> list[Mapping[str, Any]] | None:
    """The task spans for the measure step's rest; None when there are none or the protocol
    file cannot be read (the analysis then reports that, as before, and the measurement is
    kept)."""
    try:
        return read_spans(video, options)[0]
    except AnalysisError:  # the analysis step reads them again and says why
        return None


def record_recording(
    store: Store,
    *,
    video: Path,
    visit_ref: str,
    options: WorkflowOptions = WorkflowOptions(),
    measurement: Path | None = None,
    analysis: Path | None = None,
    protocol_version: str | None = None,
    force: bool = False,
    keep_source_path: bool = False,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
    on_stage: StageCallback | None = None,
    on_phase: PhaseCallback | None = None,
) -> RecordOutcome:
    """Measure (or attach) a video of a visit, analyse it as :func:`measure_and_analyse`
    does, and store it with the visit.

    Parameters
    ----------
    store : synkinesis.store.Store
    video : Path
        The recording; its sha256 identifies it (the same video cannot be added twice).
    visit_ref : str
        ``CODE@YYYY-MM-DD`` or a visit id.
    options : WorkflowOptions
        As for :func:`measure_and_analyse`; the patient's affected side as recorded (left or
        right) replaces ``options.analysis.affected_side``. Spans: the sidecar is looked for
        beside ``video``.
    measurement, analysis : Path, optional
        Attach existing result files instead of computing them (copied into the record).
        They must have been made from ``video``
        (:func:`synkinesis.store.recordings.check_results_match_video`) unless ``force``.
    protocol_version : str, optional
        Recording protocol version (default: the analysis's, else this software's).
    keep_source_path : bool
        Store the video's full path (default: its file name and sha256 only).
    progress, on_total, on_stage, on_phase
        As for :func:`measure_and_analyse`; ``on_stage`` and ``on_phase`` also hear
        "storing".

    An analysis that fails leaves the recording stored with its measurement and an
    ``analysis_status`` that says why. Files whose names differ from the video's are noted
    as :class:`synkinesis.store.errors.StoreWarning`.

    Raises
    ------
    StoreValidationError, NotFoundError, DuplicateError
        Before anything is measured or written.
    synkinesis.landmarks.sources.InputError, synkinesis.measure.MeasureError
        The video cannot be measured (nothing is written).
    """
    import tempfile

    from synkinesis.measure import read_measurement, summarise_measurement
    from synkinesis.protocol import PROTOCOL_VERSION
    from synkinesis.store import recordings
    from synkinesis.store.analysis_files import analysis_protocol, read_analysis_file
    from synkinesis.store.errors import StoreWarning

    options.validate(measuring=measurement is None)
    plan = recordings.plan_recording(store, video=video, visit_ref=visit_ref,
                                     measurement=measurement, analysis=analysis,
                                     spans=options.protocol_file, force=force)
    if plan.affected_side in ("left", "right"):
        options = replace(options, analysis=replace(options.analysis,
                                                    affected_side=plan.affected_side))
    notes = list(plan.notes)
    tell = _teller(on_stage, on_phase)
    with tempfile.TemporaryDirectory(prefix=".figures-", dir=plan.directory) as scratch:
        try:
            if plan.attached_measurement is not None:
                recordings.attach_file(Path(str(measurement)), plan.measurement_path)
                measured = read_measurement(plan.measurement_path)
            else:
                measured = _load_or_measure(plan.video, plan.measurement_path,
                                            options=options, progress=progress,
                                            on_total=on_total, on_stage=on_stage,
                                            on_phase=on_phase,
                                            spans=_spans_or_none(plan.video, options))
            summary = summarise_measurement(measured)
            content: Mapping[str, Any] | None = None
            figures: tuple[Path, ...] = ()
            if plan.attached_analysis is not None:
                if not force:
                    notes += recordings.check_results_match_video(
                        plan.video, analysis=plan.attached_analysis,
                        measured_frames=measured.n_frames)
                recordings.attach_file(Path(str(analysis)), plan.analysis_path)
                content, status = plan.attached_analysis, "attached"
            elif options.analyse:
                tell("analysing")
                try:
                    spans, spans_source = read_spans(plan.video, options)
                    _, _, figures = _analyse(
                        measured, options=options, spans=spans, spans_source=spans_source,
                        analysis_path=plan.analysis_path,
                        figures_dir=Path(scratch) if options.figures else None,
                        video=plan.video)
                    content, status = read_analysis_file(plan.analysis_path), "analysed"
                except Exception as error:  # the measurement is still worth keeping
                    plan.analysis_path.unlink(missing_ok=True)
                    figures = ()
                    message = " ".join(str(error).split()) or type(error).__name__
                    status = f"analysis failed: {message}"
            else:
                status = "analysis not requested"
            tell("storing")
            protocol = protocol_version or (analysis_protocol(content) if content else "") \
                or PROTOCOL_VERSION
        except BaseException:
            recordings.discard_recording_files(plan)
            raise
        outcome = recordings.store_recording(  # removes the files itself when it fails
            store, plan=plan, summary=summary, analysis=content, analysis_status=status,
            protocol_version=protocol, keep_source_path=keep_source_path)
        if figures:
            outcome = replace(outcome, figures=recordings.keep_figures(
                store, plan=plan, recording_id=outcome.recording_id, figures=figures))
    for note in notes:
        warnings.warn(note, StoreWarning, stacklevel=2)
    return outcome
