"""Helpers shared by the CLI commands: error exit, console, progress bar."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console

from synkinesis.defaults import DEFAULT_IRIS_DIAMETER_MM, DEFAULT_METHOD

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line error and exit non-zero (never a traceback). The message is shown
    literally (Rich markup escaped: "SIDE[:SITE]", "[research]" and paths with brackets stay)."""
    from rich.markup import escape

    err_console.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


class _Advance:
    def __init__(self, progress, task) -> None:
        self._progress, self._task = progress, task

    def __call__(self, steps: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, steps)

    def set_total(self, total: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, total=total)


@contextmanager
def progress_bar(quiet: bool, label: str, total: int | None = None) -> Iterator[_Advance]:
    """A Rich progress bar (on stderr) whose advance(n) callback the library can call."""
    if quiet:
        yield _Advance(None, None)
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err_console, transient=True) as progress:
        yield _Advance(progress, progress.add_task(label, total=total))


def overwrite_option():
    """The ``--overwrite`` option, the same for every command that writes files."""
    from synkinesis.files import OVERWRITE_HELP

    return typer.Option(False, "--overwrite", help=OVERWRITE_HELP)


def write_error_message(error: OSError) -> str:
    """One line for an output the system could not write (a read-only folder, a full disk, a
    file where a folder should be)."""
    where = error.filename if error.filename is not None else "the output"
    return f"cannot write {where}: {error.strerror or error}"


# The measure and spans options of every command that measures a video and analyses it (synk
# analyze, synk record add): declared once so that the doors cannot drift apart again.


def method_option():
    """``--method``: how a video is landmarked; SYNK_MEASURE_METHOD sets the default."""
    return typer.Option(
        DEFAULT_METHOD, "--method", envvar="SYNK_MEASURE_METHOD",
        help="How a video is landmarked (as `synk measure --method`; ignored for a .synk "
             "input). Default: SYNK_MEASURE_METHOD, else composite-edges, which sees "
             "one-sided movement that symmetric and fast halve: docs/one_sided.md.")


def iris_option():
    """``--iris-mm``: the iris diameter of the millimetre scale."""
    return typer.Option(DEFAULT_IRIS_DIAMETER_MM, "--iris-mm",
                        help="Iris diameter for the mm scale (11.22 in children).")


def mirrored_option():
    """``--mirrored``: the video shows the patient as in a mirror."""
    return typer.Option(False, "--mirrored",
                        help="The video shows the patient as in a mirror (selfie camera); "
                             "left and right are corrected.")


def rest_option():
    """``--rest START:END``: the measure step's rest segment."""
    return typer.Option(None, "--rest", metavar="START:END",
                        help="Seconds of the rest segment the measure step scales signals "
                             "from. Default: the quietest frames.")


def measure_options(*, method: str, iris_mm: float, mirrored: bool, rest: str | None):
    """The :class:`synkinesis.measure.MeasureOptions` of the shared options (not yet
    validated: the workflow validates them when it measures)."""
    from synkinesis.measure import MeasureOptions

    span = None
    if rest is not None:
        try:
            start, end = (float(part) for part in rest.split(":"))
        except ValueError:
            fail(f"--rest must be START:END in seconds, e.g. 0:2.5, got {rest!r}")
        span = (start, end)
    return MeasureOptions(method=method, iris_diameter_mm=iris_mm, mirrored=mirrored,
                          rest_span_s=span)


def protocol_option():
    """``--protocol FILE`` (also ``--spans``): the recorder's task spans."""
    return typer.Option(
        None, "--protocol", "--spans",
        help="Task spans (JSON list of {task, start_s, end_s}). Default: the recorder's "
             "<stem>.protocol.json beside the video if present, else unguided segmentation.")


def span_option():
    """``--span TASK=START:END``, repeatable: task spans on the command line."""
    return typer.Option(
        None, "--span", metavar="TASK=START:END",
        help="A task span in seconds, e.g. --span rest=0:2 --span big_smile=5:8 (repeatable; "
             "overrides --protocol).")


def parse_spans(texts: list[str] | None) -> tuple[dict, ...] | None:
    """The task spans of ``--span`` options (None without any)."""
    if not texts:
        return None
    from synkinesis.analysis import AnalysisError, parse_span

    try:
        return tuple(parse_span(text) for text in texts)
    except AnalysisError as error:
        fail(str(error))
