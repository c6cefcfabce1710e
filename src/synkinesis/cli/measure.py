"""``synk measure``: videos, photos or a camera -> per-side region signals in millimetres."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from synkinesis.cli.common import (
    Engine,
    Method,
    check_json_target,
    console,
    emit_json,
    err_console,
    fail,
    json_option,
    overwrite_option,
    parse_rest,
    progress_bar,
    write_error_message,
)
from synkinesis.defaults import (
    DEFAULT_ENGINE,
    DEFAULT_INTERPUPIL_MM,
    DEFAULT_IRIS_DIAMETER_MM,
    DEFAULT_METHOD,
)


def measure(
    inputs: list[Path] = typer.Argument(
        None, help="Video files (mp4, mov, webm, avi, mkv), photos (jpg, png, ...) or directories.",
        show_default=False),
    output: Path = typer.Option(
        None, "-o", "--output",
        help="Result file (.synk) for one input, or a directory for several. "
             "Default: beside each input."),
    camera: int = typer.Option(None, "--camera", help="Measure from camera number N instead."),
    duration: float = typer.Option(10.0, "--duration", min=0.5, max=3600,
                                   help="Seconds to record with --camera."),
    csv: bool = typer.Option(False, "--csv", help="Also write the per-frame table as CSV."),
    workers: int = typer.Option(1, "--workers", min=1, max=64,
                                help="Processes: several inputs run side by side; a single long "
                                     "video is cut into this many chunks with --method fast or "
                                     "symmetric and the mediapipe-tasks engine (the same "
                                     "result as one pass)."),
    iris_mm: float = typer.Option(DEFAULT_IRIS_DIAMETER_MM, "--iris-mm",
                                  help="Iris diameter used for the mm scale (11.22 in children)."),
    interpupil_mm: float = typer.Option(DEFAULT_INTERPUPIL_MM, "--interpupil-mm",
                                        help="Fallback inter-pupillary distance when the iris "
                                             "cannot be measured."),
    mirrored: bool = typer.Option(False, "--mirrored",
                                  help="The input shows the patient as in a mirror (selfie "
                                       "camera); left and right are corrected."),
    method: Method = typer.Option(
        Method(DEFAULT_METHOD), "--method", envvar="SYNK_MEASURE_METHOD",
        help="composite-edges (default, assessment): each side landmarked in its own half-face "
             "mirror composite, lids and mouth corners refined on their edges in the pixels "
             "(sees most of a one-sided movement; a half covered by a hand is flagged and "
             "left out, the other half measured). composite: the same without the pixel "
             "refinement. symmetric: each frame landmarked as seen and mirrored and averaged "
             "(mirror-exact, but halves a one-sided movement). fast: one pass (live use; "
             "leaks 15-31 % of a one-sided movement to the other side). Accuracy of each: "
             "docs/one_sided.md."),
    engine: Engine = typer.Option(
        Engine(DEFAULT_ENGINE), "--engine", envvar="SYNK_LANDMARK_ENGINE",
        help="What runs the landmark networks: litert (default: the bundle's networks run "
             "directly with LiteRT in our own tracking loop, less CPU per frame) or "
             "mediapipe-tasks (MediaPipe's Tasks API, the reference it is checked against: "
             "landmarks within 0.03 px). docs/measure.md."),
    rest: str = typer.Option(None, "--rest", metavar="START:END",
                             help="Seconds of the rest segment. Default: the quietest tenth of "
                                  "frames."),
    overwrite: bool = overwrite_option(),
    keep_paths: bool = typer.Option(
        False, "--keep-paths",
        help="Store each input's full path in the result. Default: only its file name and "
             "content sha256 (folder names often hold user or patient names)."),
    orient: bool = typer.Option(
        True, "--orient/--no-orient",
        help="Turn a video or photo whose face is upside down or on its side upright before "
             "landmarking (found with the landmark model's own face detector; the result and "
             "the summary say so). --no-orient measures the frames as recorded."),
    allow_truncated: bool = typer.Option(
        False, "--allow-truncated",
        help="Measure a video that decodes far fewer frames than its container declares (a "
             "damaged or partly copied file) instead of refusing it; the result says so."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
    as_json: str = json_option("the summary of each result (a list)"),
) -> None:
    """Measure faces in videos, photos or a camera stream.

    Tracks the face (MediaPipe FaceLandmarker, 478 points), removes head pose, scales to
    millimetres from the iris, and writes per-side signals (brow, eye, nasolabial fold, mouth
    corner, lips, chin) for every frame with quality flags, to a result file that
    `synk analyze` reads. Left and right are the PATIENT's.

    Example:

        synk measure smile.mp4 -o smile.synk --csv

        synk measure visit-photos/ -o results/ --workers 2
    """
    from synkinesis.files import OutputPathError
    from synkinesis.landmarks.model import LandmarkModelError
    from synkinesis.landmarks.sources import InputError
    from synkinesis.measure import (
        MeasureError,
        MeasureOptions,
        ResultFileError,
        measure_camera,
        plan_outputs,
        write_signals_csv,
    )

    if not inputs and camera is None:
        fail("give at least one video, photo or directory, or --camera N (see --help)")
    if inputs and camera is not None:
        fail("give either input files or --camera, not both")
    options = MeasureOptions(iris_diameter_mm=iris_mm, interpupil_mm=interpupil_mm,
                             mirrored=mirrored, rest_span_s=parse_rest(rest),
                             method=str(method), engine=str(engine), keep_paths=keep_paths,
                             allow_truncated=allow_truncated, auto_orient=orient)
    errors: list[str] = []
    quiet = quiet or as_json == "-"
    check_json_target(as_json, overwrite=overwrite)
    try:
        options.validate()
        if camera is not None:
            target = output or Path(f"camera{camera}.synk")
            _check_outputs([target], [], csv=csv, overwrite=overwrite)
            with progress_bar(quiet, "camera") as advance:
                results = [measure_camera(camera, target, duration_s=duration, options=options,
                                          progress=advance)]
        else:
            jobs = plan_outputs(list(inputs), output)
            _check_outputs([out for _, _, out in jobs],
                           [p for _, src, _ in jobs for p in src.split(os.pathsep)],
                           csv=csv, overwrite=overwrite)
            results, errors = _measure_files(jobs, options, workers, quiet)
        for measurement in results:
            if csv:
                write_signals_csv(measurement, measurement.path.with_suffix(".csv"))
            if not quiet:
                _print_summary(measurement)
    except (InputError, MeasureError, LandmarkModelError, ResultFileError, OutputPathError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(write_error_message(exc))
    if as_json is not None:
        from synkinesis.measure import summarise_measurement

        emit_json([{"path": m.path, **summarise_measurement(m)} for m in results], as_json,
                  overwrite=overwrite)
    if errors:  # every input was tried; the ones that worked are written above
        fail("; ".join(errors))


def _check_outputs(outputs: list[Path], inputs: list[str], *, csv: bool,
                   overwrite: bool) -> None:
    """Every file this run will write (results and, with --csv, their tables), before any
    measuring: never an input, never an existing file without --overwrite."""
    from synkinesis.files import check_output_path

    for out in outputs:
        for path in (out, out.with_suffix(".csv")) if csv else (out,):
            check_output_path(path, inputs=inputs, overwrite=overwrite)


def _measure_files(jobs, options, workers: int, quiet: bool):
    """Measure every planned input, side by side with ``workers > 1``.

    Returns the measurements that worked and one message per input that did not: a bad input
    never stops the others.
    """
    from rich.markup import escape

    from synkinesis.landmarks.model import LandmarkModelError
    from synkinesis.landmarks.sources import InputError
    from synkinesis.measure import (
        MeasureError,
        measure_images,
        measure_job,
        measure_video,
        read_measurement,
        why_not_split,
    )

    expected = (InputError, MeasureError, LandmarkModelError, OSError)
    results, errors = [], []
    if len(jobs) > 1 and workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with progress_bar(quiet, f"{len(jobs)} inputs", total=len(jobs)) as advance, \
                ProcessPoolExecutor(max_workers=workers,
                                    mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [pool.submit(measure_job, (kind, src, str(out)), options)
                       for kind, src, out in jobs]
            for future in as_completed(futures):
                try:
                    results.append(read_measurement(Path(future.result())))
                except expected as exc:
                    errors.append(_message(exc))
                advance(1)
        return sorted(results, key=lambda m: str(m.path)), errors
    # One input (several with workers > 1 returned above): say why a video is not cut.
    why = why_not_split(options, workers) if any(k == "video" for k, _, _ in jobs) else None
    if why is not None and not quiet:
        err_console.print(f"note: --workers {workers} does not cut the video into chunks: "
                          f"{escape(why)}; it is measured in one pass.", highlight=False)
    for kind, src, out in jobs:
        try:
            if kind == "video":
                with progress_bar(quiet, Path(src).name) as advance:
                    results.append(measure_video(Path(src), out, options=options,
                                                 workers=workers, progress=advance,
                                                 on_total=advance.set_total,
                                                 on_phase=advance.phase))
            else:
                paths = [Path(p) for p in src.split(os.pathsep)]
                with progress_bar(quiet, f"{len(paths)} photos", total=len(paths)) as advance:
                    results.append(measure_images(paths, out, options=options,
                                                  progress=advance))
        except expected as exc:
            errors.append(_message(exc))
    return results, errors


def _message(error: Exception) -> str:
    return write_error_message(error) if isinstance(error, OSError) else str(error)


def _print_summary(measurement) -> None:
    from rich.table import Table

    from synkinesis.measure import summarise_measurement

    summary = summarise_measurement(measurement)
    frames, scale = summary["frames"], summary["scale"]
    console.print(f"[bold]{measurement.path}[/bold]")
    source = measurement.manifest.source
    turned = (source.orientation or {}).get("turned_ccw_deg")
    if turned and (turned if isinstance(turned, int) else any(turned)):
        how = (f"every frame {turned} degrees" if isinstance(turned, int) else
               "photos " + ", ".join(f"{name} {deg} degrees" for name, deg in
                                     zip(source.files or (), turned)
                                     if deg))
        console.print(f"  [bold yellow]orientation:[/bold yellow] the face was not upright: "
                      f"turned {how} counter-clockwise before landmarking", highlight=False)
    truncated = source.truncated
    if truncated:
        console.print(
            f"  [bold red]TRUNCATED VIDEO:[/bold red] only {truncated['decoded_frames']} of the "
            f"{truncated['declared_frames']} frames it declares decoded "
            f"({truncated['decoded_s']:.1f} of {truncated['declared_s']:.1f} s); the rest of "
            "the recording is missing from this result", highlight=False)
    console.print(
        f"  frames {frames['count']}, with a face {frames['with_face']}, usable "
        f"{frames['usable']}; scale {scale['mm_per_unit']:.2f} mm/unit from the "
        f"{scale['method']} ({scale['reference_mm']} mm); inter-pupil "
        f"{summary['interpupil_mm']:.1f} mm")
    if summary["flag_counts"]:
        console.print("  flagged frames: " + ", ".join(
            f"{name} {count}" for name, count in summary["flag_counts"].items()))
    console.print(f"  rest: {summary['rest']['method']} ({summary['rest']['frames']} frames)")
    table = Table(box=None, padding=(0, 2))
    table.add_column("signal (mm)")
    for header in ("rest L", "rest R", "range L", "range R"):
        table.add_column(header, justify="right")
    for row in summary["rows"]:
        table.add_row(row["signal"], *(_fmt(row[k]) for k in
                                       ("rest_left", "rest_right", "range_left", "range_right")))
    console.print(table)
    console.print("  L/R = the patient's left/right; range = 5th..95th percentile over the "
                  "recording")


def _fmt(value) -> str:
    return "-" if value is None or value != value else f"{value:.1f}"


def register(app: typer.Typer) -> None:
    app.command("measure")(measure)
