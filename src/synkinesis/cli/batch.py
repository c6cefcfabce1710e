"""``synk batch``: a whole archive of recordings -> cohort tables, resumable, locally or on Dask."""

from __future__ import annotations

from pathlib import Path

import typer

from synkinesis.cli.common import (
    console,
    fail,
    iris_option,
    measure_options,
    method_option,
    mirrored_option,
    progress_bar,
    rest_option,
    write_error_message,
)

__all__ = ["batch", "register"]


def batch(
    archive: Path = typer.Argument(
        ..., metavar="ARCHIVE", show_default=False,
        help="A folder of videos, or a CSV manifest: path, and optionally recording, subject, "
             "visit, side, protocol, rater, clinician.INSTRUMENT.ITEM (docs/cohort.md)."),
    output: Path = typer.Option(
        ..., "-o", "--output", show_default=False,
        help="Output folder: recordings/<key>/ per recording, the cohort tables "
             "(patterns, scales, recordings as .parquet and .csv) and batch-report.json. "
             "Run again with the same folder to resume."),
    workers: int = typer.Option(
        None, "--workers", min=1, max=64, show_default=False,
        help="Local worker processes, one recording and one core each [default: the usable "
             "CPUs]."),
    scheduler: str = typer.Option(
        None, "--scheduler", metavar="tcp://HOST:PORT", show_default=False,
        help="Run on this Dask distributed scheduler instead of locally (its workers need "
             "synkinesis and the archive and output folder at the same paths)."),
    affected_side: str = typer.Option(
        "auto", "--affected-side",
        help="Affected side of recordings whose manifest row gives none: left, right or "
             "auto (inferred)."),
    figures: bool = typer.Option(False, "--figures/--no-figures",
                                 help="Save each recording's PNG figures."),
    method: str = method_option(),
    iris_mm: float = iris_option(),
    mirrored: bool = mirrored_option(),
    rest: str = rest_option(),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Measure and analyse every recording of an archive into cohort tables.

    Each recording is measured and analysed exactly as `synk analyze` does, in its own folder
    named by its content, this software's version and the options: a recording done by an
    earlier run is skipped, so an interrupted run resumes where it stopped. A recording that
    cannot be analysed is listed with its reason in batch-report.json and the recordings
    table; it never stops the others. The scales table is the input of `synk agreement`.

    Example:

        synk batch archive/ -o cohort/ --workers 2

        synk batch manifest.csv -o cohort/ --scheduler tcp://10.0.0.5:8786

        synk agreement cohort/scales.parquet
    """
    import time

    from rich.markup import escape

    from synkinesis.analysis import AnalysisError, AnalysisOptions
    from synkinesis.measure import MeasureError
    from synkinesis.workflow import WorkflowOptions

    try:
        from synkinesis.cohort.batch import ArchiveError, read_archive, run_batch, write_run
    except ModuleNotFoundError as error:
        fail(escape(f"this command needs the optional 'research' part ({error.name} is not "
                    "installed): pip install 'synkinesis[research]'"))
    side = affected_side.strip().lower()
    if side not in ("left", "right", "auto"):
        fail(f"--affected-side must be one of left, right, auto, got {affected_side!r}")
    options = WorkflowOptions(
        measure=measure_options(method=method, iris_mm=iris_mm, mirrored=mirrored, rest=rest),
        analysis=AnalysisOptions(affected_side=None if side == "auto" else side),  # type: ignore[arg-type]
        figures=figures)
    try:
        options.validate()
        entries = read_archive(archive)
    except (ArchiveError, AnalysisError, MeasureError) as error:
        fail(escape(str(error)))
    client = _client(scheduler) if scheduler else None
    started = time.monotonic()
    try:
        with progress_bar(quiet, f"{len(entries)} recordings", total=len(entries)) as advance:
            run = run_batch(entries, options=options, output_dir=output, workers=workers,
                            client=client, on_result=lambda _: advance(1))
        written = write_run(run, output, options=options,
                            elapsed_s=round(time.monotonic() - started, 3))
    except OSError as error:
        fail(write_error_message(error))
    finally:
        if client is not None:
            client.close()
    if quiet:
        return
    console.print(f"{len(run.results)} recordings: {run.done_now} analysed, {run.skipped} "
                  f"already done, {run.failed} failed", highlight=False)
    for result in run.results:
        if result["status"] == "failed":
            console.print(f"  [yellow]failed:[/yellow] {escape(result['recording'])}: "
                          f"{escape(result['reason'])}", highlight=False, soft_wrap=True)
    console.print(f"tables and report in {escape(str(written[-1].parent))}", highlight=False)


def _client(address: str):
    """A Dask client of the scheduler at ``address``, or a clear failure."""
    from rich.markup import escape

    if not address.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        fail(f"--scheduler must be an address such as tcp://HOST:8786, got {address!r}")
    try:
        from distributed import Client
    except ModuleNotFoundError as error:
        fail(escape(f"--scheduler needs the optional 'cluster' part ({error.name} is not "
                    "installed): pip install 'synkinesis[cluster]'"))
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError) as error:
        fail(escape(f"cannot reach the Dask scheduler at {address}: {error}"))


def register(app: typer.Typer) -> None:
    app.command("batch")(batch)
