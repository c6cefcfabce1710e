"""``synk analyze``: a video or a measure result -> synkinesis patterns, scale items, figures."""

from __future__ import annotations

from pathlib import Path

import typer

from synkinesis.cli.common import (
    AffectedSide,
    CombineRepetitions,
    HeldLevel,
    Method,
    NoiseFloor,
    check_json_target,
    combine_repetitions_option,
    console,
    emit_json,
    fail,
    held_level_option,
    iris_option,
    json_option,
    measure_options,
    method_option,
    mirrored_option,
    noise_floor_option,
    overwrite_option,
    parse_spans,
    progress_bar,
    protocol_option,
    rest_option,
    span_option,
    write_error_message,
)


def analyze(
    input_path: Path = typer.Argument(
        ..., metavar="INPUT", help="A video, or a measure result (.synk) from `synk measure`; "
                                  "with --photos a folder of task photos or a list file.",
        show_default=False),
    output: Path = typer.Option(
        ..., "-o", "--output", help="Output directory: <stem>.analysis.json, figures/ and, for a "
                                    "video, the measure result <stem>.synk.",
        show_default=False),
    protocol: Path = protocol_option(),
    span: list[str] = span_option(),
    affected_side: AffectedSide = typer.Option(
        AffectedSide.AUTO, "--affected-side", help=(
            "The patient's affected side (auto: inferred). Give it when it is known: with no "
            "side named, both sides are called and a left-right difference healthy faces show "
            "(by default ocular-oral below 1.3 points, mentalis below 0.7) is not called "
            "synkinesis; with the side known, mild starts at 0.5 on that side.")),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Save PNG figures."),
    method: Method = method_option(),
    iris_mm: float = iris_option(),
    mirrored: bool = mirrored_option(),
    rest: str = rest_option(),
    overwrite: bool = overwrite_option(),
    keep_paths: bool = typer.Option(
        False, "--keep-paths",
        help="Store the full paths of the input, measure result and protocol file. Default: "
             "their file names (folder names often hold user or patient names)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
    photos: bool = typer.Option(
        False, "--photos",
        help="INPUT is a standard photo set: a folder of photos named by task (rest.jpg, "
             "brow_raise.jpg, eye_closure_gentle.jpg, eye_closure_tight.jpg, "
             "smile_closed.jpg, smile_open.jpg, snarl.jpg, pucker.jpg, eee.jpg; "
             "PERSON_TASK.jpg splits several people) or a list file of 'TASK PATH' lines "
             "(docs/photos.md). Writes <person>.synk and <person>.analysis.json."),
    noise_floor: NoiseFloor = noise_floor_option(),
    combine: CombineRepetitions = combine_repetitions_option(),
    held_level: HeldLevel = held_level_option(),
    as_json: str = json_option("the summary (the full analysis is the .analysis.json)"),
) -> None:
    """Analyse facial synkinesis in a recording of the expression protocol.

    Segments the recording into tasks (rest, brow raise, eye closures, smiles, snarl, pucker,
    "EEE", speech, chewing), builds the coupling matrix per side, reports each synkinesis
    pattern (ocular-oral, oral-ocular, mentalis, platysmal proxy, nasolabial fold, resting
    tightness) with severity and evidence, and estimates eFACE, Sunnybrook and House-Brackmann
    items. Left and right are the PATIENT's.

    Example:

        synk analyze visit.mp4 -o visit-analysis --affected-side left

        synk analyze visit.synk --protocol visit.protocol.json -o out/

        synk analyze --photos visit-photos/ -o out/
    """
    from synkinesis.analysis import AnalysisError, AnalysisOptions
    from synkinesis.coupling import CouplingOptions
    from synkinesis.files import OutputPathError
    from synkinesis.landmarks.model import LandmarkModelError
    from synkinesis.landmarks.sources import InputError
    from synkinesis.measure import MeasureError, ResultFileError
    from synkinesis.workflow import WorkflowOptions, measure_and_analyse

    side = str(affected_side)
    check_json_target(as_json, overwrite=overwrite)
    coupling = CouplingOptions(noise_floor=str(noise_floor),  # type: ignore[arg-type]
                               repetitions=str(combine),  # type: ignore[arg-type]
                               held_level=str(held_level))  # type: ignore[arg-type]
    if photos:
        if span or protocol is not None or rest is not None:
            fail("--span, --protocol and --rest do not apply to --photos: each photo's task "
                 "comes from its file name or the list file, and rest is the rest photo")
        if noise_floor == "sustained":
            fail("--noise-floor sustained does not apply to --photos: a photo has no hold "
                 "to measure jitter in")
        _analyze_photos(input_path, output, side=side, method=method, iris_mm=iris_mm,
                        mirrored=mirrored, keep_paths=keep_paths, overwrite=overwrite,
                        quiet=quiet)
        return
    try:
        options = WorkflowOptions(
            measure=measure_options(method=method, iris_mm=iris_mm, mirrored=mirrored,
                                    rest=rest),
            analysis=AnalysisOptions(affected_side=None if side == "auto" else side,  # type: ignore[arg-type]
                                     coupling=coupling),
            spans=parse_spans(span),
            protocol_file=protocol, figures=figures, overwrite=overwrite,
            keep_paths=keep_paths)
        is_video = input_path.suffix != ".synk"
        with progress_bar(quiet or not is_video or as_json == "-", input_path.name) as advance:
            run = measure_and_analyse(input_path, options=options, output_dir=output,
                                      progress=advance, on_total=advance.set_total,
                                      on_phase=advance.phase)
    except (AnalysisError, InputError, MeasureError, LandmarkModelError, ResultFileError,
            OutputPathError) as error:
        fail(str(error))
    except OSError as error:
        fail(write_error_message(error))
    if as_json is not None:
        from synkinesis.analysis import summarise_analysis

        emit_json({"analysis": run.analysis_path, "measurement": run.measurement_path,
                   "figures": list(run.figures), **summarise_analysis(run.analysis)}, as_json,
                  overwrite=overwrite)
        if as_json == "-":
            return
    if not quiet:
        print_summary(run)


def _analyze_photos(source: Path, output: Path, *, side: str, method: str, iris_mm: float,
                    mirrored: bool, keep_paths: bool, overwrite: bool,
                    quiet: bool) -> None:
    """``synk analyze --photos``: the photo sets in a folder or list file (synkinesis.photoset)."""
    from synkinesis.analysis import AnalysisError, AnalysisOptions
    from synkinesis.files import OutputPathError
    from synkinesis.landmarks.model import LandmarkModelError
    from synkinesis.landmarks.sources import InputError
    from synkinesis.measure import MeasureError, ResultFileError
    from synkinesis.photoset import PhotoSetError, assess_photos

    try:
        results = assess_photos(
            source, output,
            measure_options=measure_options(method=method, iris_mm=iris_mm, mirrored=mirrored,
                                            rest=None),
            analysis_options=AnalysisOptions(affected_side=None if side == "auto" else side),  # type: ignore[arg-type]
            keep_paths=keep_paths, overwrite=overwrite)
    except (PhotoSetError, AnalysisError, InputError, MeasureError, LandmarkModelError,
            ResultFileError, OutputPathError) as error:
        fail(str(error))
    except OSError as error:
        fail(write_error_message(error))
    if not quiet:
        for result in results:
            print_summary(result)


def _fmt(value: float | None, pattern: str = "{:.2f}") -> str:
    return "-" if value is None or value != value else pattern.format(value)


def print_summary(run) -> None:
    """The readable summary of an analysis run."""
    from synkinesis.analysis import summarise_analysis

    summary = summarise_analysis(run.analysis)

    def say(text: str) -> None:
        console.print(text, highlight=False, soft_wrap=True)

    say(f"[bold]{run.analysis_path}[/bold]  (from {run.measurement_path})")
    say(f"  {summary['recording']}")
    say(f"  segmentation: {summary['segmentation']}")
    for line in summary["tasks"]:
        say(f"    {line}")
    say(f"  affected side: {summary['affected']}")
    say(f"  {'pattern':<20} {'side':<6} {'severity':<27} {'index':>6} {'90% interval':>13} "
        f"{'L / R':>13}  {'key task':<19} {'excess mm':>9} {'conf.':>5}")
    for row in summary["findings"]:
        both = f"{_fmt(row['index_left'])} / {_fmt(row['index_right'])}"
        interval = f"{_fmt(row['index_low'])}..{_fmt(row['index_high'])}"
        say(f"  {row['pattern']:<20} {row['side'] or '-':<6} {row['severity']:<27} "
            f"{_fmt(row['index']):>6} {interval:>13} {both:>13}  {row['task'] or '-':<19} "
            f"{_fmt(row['excess_mm']):>9} {_fmt(row['confidence'], '{:.0%}'):>5}")
    both = any(row.get("other_side") for row in summary["findings"])
    for row in summary["findings"]:
        # both sides called (no side named): say which side's call a line is about
        label = f"{row['pattern']} ({row['side']})" if both and row["side"] else row["pattern"]
        if row["note"]:
            say(f"    {label}: {row['note']}")
        if row["settle"]:
            say(f"    {label}: to settle it: {row['settle']}")
    from synkinesis.findings import NORMAL_ASYMMETRY

    unnamed = ", ".join(f"{p.replace('_', '-')} {v:g}" for p, v in NORMAL_ASYMMETRY.items())
    say("  index: Sunnybrook synkinesis points, the named side against the other "
        "(L / R: each side taken as affected); a severity is called when its whole interval "
        "lies in one class (none < 0.5 <= mild < 1.5 <= moderate "
        "< 2.5 <= severe; resting tightness mild from 1: healthy faces reach it; with no side "
        f"named, the classes start at what healthy faces reach, by default {unnamed}: the "
        "notes give the cuts used)")
    for line in summary["scales"]:
        say(f"  {line}")
    for line in summary["uncertainty"]:
        say(f"  {line}")
    for warning in summary["warnings"]:
        say(f"  [yellow]note:[/yellow] {warning}")
    if run.figures:
        say(f"  figures: {Path(run.figures[0]).parent} ({len(run.figures)} PNG)")


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze)
