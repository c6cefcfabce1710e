"""Helpers shared by the CLI commands: the one error exit, consoles, --json, progress bar."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

from synkinesis.defaults import DEFAULT_IRIS_DIAMETER_MM, DEFAULT_METHOD, ENGINES, METHODS

#: Width of tables when the output is not a terminal (a pipe, a file): wide enough that nothing
#: is hard-wrapped in the middle of a row; a terminal uses its own width.
PIPE_WIDTH = 200


def make_console(*, stderr: bool = False) -> Console:
    """A Rich console; piped or redirected, it does not wrap lines at 80 columns."""
    probe = Console(stderr=stderr)
    if probe.is_terminal:
        return Console(stderr=stderr, highlight=False)
    return Console(stderr=stderr, highlight=False, soft_wrap=True,
                   width=max(probe.width, PIPE_WIDTH))


console = make_console()
err_console = make_console(stderr=True)


def help_width() -> int | None:
    """The width of ``--help``: TERMINAL_WIDTH if set (Typer's own setting), else a
    terminal's own width (None), else, piped or redirected, at least :data:`PIPE_WIDTH`, as
    the command output's consoles (:func:`make_console`)."""
    import os

    if os.environ.get("TERMINAL_WIDTH", "").strip().isdigit():
        return int(os.environ["TERMINAL_WIDTH"])
    probe = Console()
    return None if probe.is_terminal else max(probe.width, PIPE_WIDTH)


def print_error(message: str) -> None:
    """One ``error:`` line on stderr; the message is text, not Rich markup."""
    from rich.markup import escape

    err_console.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """The one error exit of every command: one ``error:`` line on stderr, exit ``code``."""
    print_error(message)
    raise typer.Exit(code)


def json_option(what: str = "the report"):
    """``--json [PATH|-]``: the same option on every command that reports."""
    return typer.Option(None, "--json", metavar="PATH|-", show_default=False,
                        help=f"Write {what} as JSON to PATH ('-': standard output, "
                             "and nothing else is printed there).")


def jsonable(value: object) -> object:
    """``value`` as plain JSON data: dataclasses and mappings as objects, dates as ISO text,
    enums as their values, NumPy numbers and arrays as numbers and lists, NaN as null."""
    import dataclasses
    import enum
    import math
    from collections.abc import Mapping
    from datetime import date

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "tolist"):  # NumPy arrays and scalars
        return jsonable(value.tolist())
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def check_json_target(target: str | Path | None, *, overwrite: bool) -> None:
    """Before any work: ``--json PATH`` may be written (``-`` and None always may)."""
    if target is None or str(target) == "-":
        return
    from synkinesis.files import OutputPathError, check_output_path

    try:
        check_output_path(Path(target), overwrite=overwrite)
    except OutputPathError as error:
        fail(str(error))


def emit_json(data: object, target: str | Path, *, overwrite: bool = False) -> None:
    """Write ``data`` (made :func:`jsonable`) as JSON to ``target``, ``-`` meaning standard
    output."""
    import json

    text = json.dumps(jsonable(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if str(target) == "-":
        typer.echo(text, nl=False)
        return
    check_json_target(target, overwrite=overwrite)
    path = Path(target)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        fail(write_error_message(error))


class _Advance:
    def __init__(self, progress, task) -> None:
        self._progress, self._task = progress, task

    def __call__(self, steps: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, steps)

    def set_total(self, total: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, total=total)

    def phase(self, name: str) -> None:
        """Name the step under way (``loading the model``, ``landmarks``, ``writing``...)."""
        if self._progress is not None:
            self._progress.update(self._task, phase=name)


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

    with Progress(TextColumn("{task.description}"), TextColumn("{task.fields[phase]}"),
                  BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err_console, transient=True) as progress:
        yield _Advance(progress, progress.add_task(label, total=total, phase=""))


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
        Method(DEFAULT_METHOD), "--method", envvar="SYNK_MEASURE_METHOD",
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


def measure_options(*, method: str | Method, iris_mm: float, mirrored: bool, rest: str | None):
    """The :class:`synkinesis.measure.MeasureOptions` of the shared options (not yet
    validated: the workflow validates them when it measures)."""
    from synkinesis.measure import MeasureOptions

    return MeasureOptions(method=str(method), iris_diameter_mm=iris_mm, mirrored=mirrored,
                          rest_span_s=parse_rest(rest))


def parse_rest(text: str | None) -> tuple[float, float] | None:
    """``--rest START:END`` in seconds (None without it)."""
    if text is None:
        return None
    try:
        start, end = (float(part) for part in text.split(":"))
    except ValueError:
        fail(f"--rest must be START:END in seconds, e.g. 0:2.5, got {text!r}")
    return start, end


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


# The conventions every command shares, applied once to the whole command tree: one `error:`
# line for every error (usage errors included), help without type noise. Typer vendors Click
# (typer._click); its exceptions are the ones it raises.


def _type_label(param) -> str | None:
    """What the help's type column shows: the choices, or one plain word (PATH, NUMBER), or
    nothing for a flag or an argument (its name is shown already)."""
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return None
    desc = getattr(param, "type_descriptor", None)
    many = "..." if getattr(param, "multiple", False) else ""
    if desc is not None and desc.is_choice:
        return "|".join(str(getattr(c, "value", c)) for c in desc.choices or ()) + many
    if param.param_type_name == "argument":
        return None
    if param.metavar is not None:
        return param.metavar
    if desc is None:
        return None
    if desc.is_path:
        word = "PATH"
    else:
        annotation = desc.annotation
        inner = getattr(annotation, "__args__", (annotation,))
        kinds = {getattr(a, "__name__", "") for a in inner} - {"NoneType"}
        word = ("INTEGER" if kinds == {"int"} else "NUMBER" if kinds == {"float"}
                else "TEXT")
    return word + many


def _keep_angle_brackets(text: str) -> str:
    """Help is Markdown: ``<stem>.synk`` would be read as an HTML tag and vanish from the
    help; escaped, it shows as written (idempotent: the conventions run on every call)."""
    import re

    return re.sub(r"(?<!\\)<([\w/.-]+)>", r"\\<\1\\>", text)


def apply_conventions(command) -> None:
    """Give every parameter of ``command`` and its sub-commands a plain type label."""
    for param in getattr(command, "params", ()):
        label = _type_label(param)
        param.display_type_rich = lambda ctx, label=label: label
        if getattr(param, "help", None):
            param.help = _keep_angle_brackets(param.help)
    if not getattr(command, "_synk_conventions", False):
        # --help is made afresh for each call: label it as it is made.
        make_help = command.get_help_option

        def get_help_option(ctx, make_help=make_help):
            option = make_help(ctx)
            if option is not None:
                option.display_type_rich = lambda ctx: None
            return option

        command.get_help_option = get_help_option
        # Typer makes its help consoles with rich_utils.MAX_WIDTH (read when each is made):
        # set when help is written, so that a command that writes none does not import
        # rich_utils (Markdown, Pygments: 35 ms of CPU on every run).
        write_help = command.format_help

        def format_help(ctx, formatter, write_help=write_help):
            from typer import rich_utils

            rich_utils.MAX_WIDTH = help_width()
            return write_help(ctx, formatter)

        command.format_help = format_help
        command._synk_conventions = True
    for sub in getattr(command, "commands", {}).values():
        apply_conventions(sub)


def _group_class():
    from typer import Abort
    from typer._click.exceptions import ClickException, UsageError
    from typer.core import TyperGroup

    class SynkGroup(TyperGroup):
        """The ``synk`` group: help without type noise, every error as one ``error:`` line."""

        def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
                 **extra):
            import sys

            apply_conventions(self)
            try:
                rv = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                                  standalone_mode=False, **extra)
            except UsageError as error:
                where = error.ctx.command_path if error.ctx is not None else "synk"
                # Typer's enum conversion prefixes its message with pydantic's "Value error, "
                message = error.format_message().replace("Value error, ", "")
                print_error(f"{message} (see '{where} --help')")
                code = error.exit_code
            except ClickException as error:
                print_error(error.format_message())
                code = error.exit_code
            except Abort:
                print_error("aborted")
                code = 1
            else:
                if not standalone_mode:
                    return rv
                code = rv if isinstance(rv, int) else 0
            if standalone_mode:
                sys.exit(code)
            raise typer.Exit(code)

    return SynkGroup


# Choices shown in help and checked before any work starts. Their values are the library's
# own names (a test checks that they have not drifted apart: the library's lists live in
# modules too heavy to import for `synk --help`).


#: How a video is landmarked: one member per method of :data:`synkinesis.defaults.METHODS`.
Method = StrEnum("Method", {name.upper().replace("-", "_"): name for name in METHODS})
#: What runs the landmark networks: one member per engine of :data:`synkinesis.defaults.ENGINES`.
Engine = StrEnum("Engine", {name.upper().replace("-", "_"): name for name in ENGINES})


class Side(StrEnum):
    """The patient's side."""

    LEFT = "left"
    RIGHT = "right"


class AffectedSide(StrEnum):
    """The patient's affected side, or ``auto`` to infer it."""

    LEFT = "left"
    RIGHT = "right"
    AUTO = "auto"


class NoiseFloor(StrEnum):
    """Where the analysis measures each cell's noise floor
    (:attr:`synkinesis.coupling.CouplingOptions.noise_floor`)."""

    REST = "rest"
    WINDOW = "window"
    SUSTAINED = "sustained"


class CombineRepetitions(StrEnum):
    """How the analysis makes one cell of a task done several times
    (:attr:`synkinesis.coupling.CouplingOptions.repetitions`)."""

    BEST = "best"
    MEAN = "mean"


def noise_floor_option():
    """``--noise-floor``: where the analysis measures each cell's noise floor (``synk analyze``,
    ``synk validate``)."""
    return typer.Option(
        NoiseFloor.WINDOW, "--noise-floor",
        help="Where each cell's noise floor is measured: window (left-right jitter over the "
             "rest frames averaged over windows as long as a held level, one floor per "
             "region), rest (the same frame by frame) or sustained (jitter "
             "inside each task's hold, one floor per cell; docs/validation.md compares them).")


def combine_repetitions_option():
    """``--combine-repetitions``: how the analysis makes one cell of a task done several times
    (``synk analyze``, ``synk validate``)."""
    return typer.Option(
        CombineRepetitions.BEST, "--combine-repetitions",
        help="How one cell is made of a task done several times: best (the best held window "
             "over all repetitions) or mean (each repetition's level, averaged; "
             "docs/validation.md compares them).")


class HeldLevel(StrEnum):
    """How the analysis reads the level of a cell's held window
    (:attr:`synkinesis.coupling.CouplingOptions.held_level`)."""

    MINIMUM = "minimum"
    MEAN = "mean"
    DRIVER = "driver"


def held_level_option():
    """``--held-level``: how the analysis reads a cell's held level (``synk analyze``,
    ``synk validate``)."""
    return typer.Option(
        HeldLevel.DRIVER, "--held-level",
        help="How a co-movement cell's level is read: driver (default: its mean over the "
             "frames where the task's driver is held, so its own noise does not choose its "
             "frames: unbiased, finds more on the simulator, nothing at least mild on the "
             "healthy videos), minimum (the lowest frame of its best held window, the default "
             "before: reads low under tracker noise) or mean (the mean of that window: calls "
             "synkinesis where there is none on the simulator). docs/validation.md compares "
             "them.")


class ScaleRater(StrEnum):
    """Whose scale values a query uses (:data:`synkinesis.store.queries` raters, or any)."""

    CLINICIAN = "clinician"
    PATIENT = "patient"
    AUTOMATIC = "automatic"
    ANY = "any"


class PatientSide(StrEnum):
    """The affected side of a patient (:data:`synkinesis.store.vocabulary.AFFECTED_SIDES`)."""

    LEFT = "left"
    RIGHT = "right"
    BILATERAL = "bilateral"


class TreatedSide(StrEnum):
    """Where a procedure is done (:data:`synkinesis.store.vocabulary.INJECTION_SIDES`)."""

    LEFT = "left"
    RIGHT = "right"
    MIDLINE = "midline"


class ProcedureKind(StrEnum):
    """A procedure (:data:`synkinesis.store.vocabulary.PROCEDURE_KINDS`)."""

    NERVE_BLOCK = "nerve_block"
    NEURECTOMY = "neurectomy"
    MYECTOMY = "myectomy"
    OTHER = "other"


class Role(StrEnum):
    """A web account's role (:data:`synkinesis.web.accounts.ROLES`)."""

    CLINICIAN = "clinician"
    PATIENT = "patient"
