"""Shared by the patient-record commands: open the record, turn bad input into one line.

The store (SQLAlchemy) is imported only when a record command runs, so ``synk --help`` and
the other commands stay fast.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from synkinesis.cli.common import console, err_console, fail


class AfterCommit:
    """Lines to print once the transaction has committed.

    A command that printed "added ..." inside its transaction would report a change that a
    failing commit (a duplicate code, a lost database) then threw away.
    """

    def __init__(self) -> None:
        self._lines: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def print(self, *args: Any, **kwargs: Any) -> None:
        self._lines.append((args, kwargs))

    def flush(self) -> None:
        for args, kwargs in self._lines:
            console.print(*args, **kwargs)
        self._lines.clear()


@contextmanager
def bad_input_exits() -> Iterator[None]:
    """Run a record command: expected errors become ``error: ...`` and exit code 2, the
    record's warnings (doses, intervals, attached files) become ``warning: ...`` lines."""
    from synkinesis.files import OutputPathError
    from synkinesis.scales import ScaleValidationError
    from synkinesis.store.errors import StoreError

    expected: tuple[type[BaseException], ...] = (StoreError, ScaleValidationError,
                                                 OutputPathError)
    try:
        from synkinesis.landmarks.sources import InputError
        from synkinesis.measure import MeasureError, ResultFileError

        expected += (InputError, MeasureError, ResultFileError)
    except ImportError:  # measuring needs MediaPipe; the record works without it
        pass
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except expected as error:
            _print_warnings(caught)
            fail(" ".join(str(error).split()))
    _print_warnings(caught)


def _print_warnings(caught: list[Any]) -> None:
    from synkinesis.store.errors import StoreWarning

    for warning in caught:
        if issubclass(warning.category, StoreWarning):
            err_console.print(f"[yellow]warning:[/yellow] {warning.message}", highlight=False,
                              soft_wrap=True)


def open_record(*, upgrade: bool = True) -> Any:
    """The record named by SYNK_DATABASE_URL (or the default), migrated to the newest schema.

    What the command then does is audited as the OS user on this host, via ``cli``.
    """
    from synkinesis.store import audit, open_store
    from synkinesis.store.errors import StoreError
    from synkinesis.store.settings import load_settings

    audit.set_actor(audit.cli_actor())

    try:
        settings = load_settings()
    except ValueError as error:
        raise StoreError(str(error)) from None
    return open_store(settings, upgrade=upgrade)


def record_view(session: Any, code: str | None, what: str) -> None:
    """Put a view of patient ``code`` (None: of every patient) into the audit trail."""
    from synkinesis.store import audit

    audit.record_view(session, patient_code=code, what=what)


def include_voided_option() -> Any:
    """The ``--include-voided`` option of the commands that read entries."""
    import typer

    return typer.Option(False, "--include-voided",
                        help="Also show voided entries (marked [voided: reason]).")


def reason_option() -> Any:
    """The required ``--reason`` of a correction."""
    import typer

    return typer.Option(..., "--reason", help="Why (required; kept in the audit trail).")


def void_command(kind: str, ref: str, reason: str) -> None:
    """Void a visit, score, toxin or therapy session or procedure (``synk KIND void``)."""
    from synkinesis.store import repository

    with bad_input_exits():
        store = open_record()
        later = AfterCommit()
        with store.transaction() as session:
            entry = repository.find_entry(session, kind=kind, ref=ref)
            repository.void_entry(session, entry=entry, reason=reason)
            shown = repository.visit_reference(entry) if kind == "visit" else entry.id[:8]
            later.print(f"voided {kind} {shown} ({entry.void_reason}); it stays in the record, "
                        "hidden unless --include-voided", highlight=False, markup=False)
        later.flush()


def parse_pairs(pairs: list[str] | None, *, what: str, numbers: bool = False) -> dict[str, Any]:
    """``["a=1", "b=x"]`` -> ``{"a": 1, "b": "x"}``: the one NAME=VALUE reader
    (:func:`synkinesis.scales.entry.parse_pairs`), values as numbers where they parse
    (:func:`~synkinesis.scales.entry.parse_scalar`); an empty value is refused here, and with
    ``numbers`` so is text."""
    from synkinesis.scales.entry import EntryError, parse_scalar
    from synkinesis.scales.entry import parse_pairs as split_pairs
    from synkinesis.store.errors import StoreValidationError

    try:
        texts = split_pairs(pairs, what=what)
    except EntryError as error:
        raise StoreValidationError(str(error)) from None
    parsed: dict[str, Any] = {}
    for key, text in texts.items():
        if not text:
            raise StoreValidationError(f"{what} {key!r} has no value: write NAME=VALUE")
        value = parse_scalar(text)
        if numbers and isinstance(value, str):
            raise StoreValidationError(f"{what} {key!r} must be a number, got {text!r}")
        parsed[key] = value
    return parsed


def fmt(value: float | None) -> str:
    """A number as a clinician reads it (``37``, ``62.5``), ``-`` for none."""
    if value is None:
        return "-"
    from synkinesis.scales.base import format_number

    return format_number(round(float(value), 2))
