"""Checks shared by every entity of the record: dates, codes, texts, choices, id prefixes,
voided entries; the :class:`DoseWarning` category."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from synkinesis.store.errors import NotFoundError, StoreValidationError, StoreWarning
from synkinesis.store.models import Patient
from synkinesis.store.vocabulary import resolve_choice

PATIENT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class DoseWarning(StoreWarning):
    """Units above the configured maximum, a muscle that needs care, or a session under the
    minimum interval after another; stored anyway."""


def today_utc() -> date:
    """Today's date in UTC (the record's calendar)."""
    return datetime.now(UTC).date()


def _bad(message: str) -> StoreValidationError:
    return StoreValidationError(message)


def _choice(text: str, allowed: Any, *, what: str, aliases: Any = None) -> str:
    try:
        return resolve_choice(text, allowed, what=what, aliases=aliases)
    except ValueError as error:
        raise _bad(str(error)) from None


def parse_date(value: date | str, *, what: str) -> date:
    """A date from ``YYYY-MM-DD`` (or a date); StoreValidationError naming ``what``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise _bad(f"{what} must be a date YYYY-MM-DD, got {value!r}") from None


def _check_date(
    value: date | str, *, what: str, patient: Patient | None, today: date | None,
) -> date:
    """A date that is not in the future and not before the patient's onset."""
    checked = parse_date(value, what=what)
    today = today or today_utc()
    if checked > today:
        raise _bad(f"{what} {checked.isoformat()} is in the future (today is "
                   f"{today.isoformat()} UTC)")
    if patient is not None and patient.onset_date is not None and checked < patient.onset_date:
        raise _bad(f"{what} {checked.isoformat()} is before the onset of {patient.code} "
                   f"({patient.onset_date.isoformat()})")
    return checked


def check_patient_code(code: str, *, fold: bool = True) -> str:
    """A patient code as stored: 1..64 letters, digits, ``.``, ``_`` or ``-`` starting with a
    letter or digit, never ``.``/``..`` path parts (the code names the patient's folder of
    derived files), in upper case: ``p001`` and ``P001`` are one patient (one folder on a
    case-insensitive file system). ``fold=False`` only checks (a stored code as it is).

    Raises
    ------
    StoreValidationError
    """
    text = str(code).strip()
    if not PATIENT_CODE.match(text) or text.strip(".") == "":
        raise _bad(f"patient code must be 1..64 letters, digits, '.', '_' or '-' starting with a "
                   f"letter or digit (a pseudonym, never a name), got {code!r}")
    return text.upper() if fold else text


def _text(value: str | None, *, what: str, limit: int = 200) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise _bad(f"{what} must be at most {limit} characters, got {len(value)}")
    return value


def _one_by_id_prefix(session: Session, model: type, ref: str, *, what: str,
                      hint: str = "") -> Any:
    """The one row of ``model`` whose id starts with ``ref`` (NotFoundError when none, a
    validation error when several)."""
    found = list(session.scalars(
        select(model).where(model.id.startswith(ref, autoescape=True)).limit(2)))
    if not found:
        raise NotFoundError(f"no {what} {ref!r}{hint}")
    if len(found) > 1:
        raise _bad(f"{what} id prefix {ref!r} is ambiguous; give more characters")
    return found[0]


def count_rows(session: Session, model: type) -> int:
    """Number of rows of a table (for tests and ``synk db``)."""
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _not_voided(entry: Any) -> None:
    if entry.voided:
        raise _bad(f"this {entry.__tablename__[:-1].replace('_', ' ')} was voided on "
                   f"{entry.voided_at.date().isoformat()} ({entry.void_reason}); a voided "
                   "entry cannot be changed")
