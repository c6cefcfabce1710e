"""Errors of the patient record. All are ValueErrors with one clear line of text."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["DuplicateError", "NotFoundError", "SchemaError", "StoreError",
           "StoreValidationError", "StoreWarning", "writing"]


class StoreError(ValueError):
    """Something the user must fix; nothing was written."""


class StoreValidationError(StoreError):
    """Bad input (unknown muscle or side, impossible units or dates...)."""


class NotFoundError(StoreError):
    """No patient, visit or record with the given reference."""


class DuplicateError(StoreError):
    """The record already exists (same patient code, same recording sha256)."""


class SchemaError(StoreError):
    """The database schema does not match this software (newer, or not upgraded)."""


class StoreWarning(UserWarning):
    """Stored, but worth a second look (the CLI prints it as ``warning: ...``)."""


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turn a failure to write ``path`` (missing folder, a directory where a file should be,
    no permission...) into a one-line :class:`StoreError`."""
    try:
        yield
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise StoreError(f"cannot write {path}: {reason}; nothing was written there") from None
