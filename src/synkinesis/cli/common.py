"""Helpers shared by the CLI commands: error exit, console, progress bar."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line error and exit non-zero (never a traceback)."""
    err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
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
