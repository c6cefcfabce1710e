"""Errors of the patient record. All are ValueErrors with one clear line of text."""

from __future__ import annotations

__all__ = ["DuplicateError", "NotFoundError", "SchemaError", "StoreError",
           "StoreValidationError", "StoreWarning"]


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
