"""Settings of the patient record, from the environment, built by a factory (never at import).

Environment variables
---------------------
``SYNK_DATABASE_URL``
    SQLAlchemy URL, e.g. ``sqlite:////path/record.sqlite`` or
    ``postgresql+psycopg://user@host/synk``. Default: ``record.sqlite`` in the user's data
    directory (platformdirs).
``SYNK_DATA_DIR``
    Where derived recording files (measure results, analyses) are kept. Default: ``recordings``
    beside a SQLite database file, else ``recordings`` in the user's data directory.
``SYNK_TOXIN_INTERVAL_DAYS``
    Minimum days between toxin sessions before the next is due (default 84 = 12 weeks, [U]).
``SYNK_MAX_UNITS``
    Per-muscle warning maxima overriding the vocabulary, ``muscle=units,...``
    (e.g. ``orbicularis_oculi=15,platysma=40``).
``SYNK_MEASURE_METHOD``
    Landmarking method for every measurement (``synk measure``, ``synk record add``, the web
    app): ``composite-edges`` (default), ``composite``, ``symmetric`` or ``fast``
    (docs/one_sided.md: ``composite-edges`` sees one-sided movement that the others halve).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field, field_validator

from synkinesis.defaults import DEFAULT_METHOD, METHODS
from synkinesis.store.vocabulary import MUSCLES, resolve_muscle

__all__ = ["StoreSettings", "default_data_dir", "load_settings"]

#: Re-injection not under ~12 weeks [U, CLINICAL.md "Timing"].
DEFAULT_TOXIN_INTERVAL_DAYS = 84
#: Review ~2 weeks after toxin [V, CLINICAL.md "Timing"]: the default "after" point.
DEFAULT_REVIEW_DAYS = 14
#: Session total ~20..60 U onabotulinumtoxinA [U]: warn above the upper end.
DEFAULT_MAX_SESSION_UNITS = 60.0
#: Above this many units in one injection the value is refused as a typing error, whatever the
#: product: no facial muscle takes 200 U (abobotulinumtoxinA platysma tops out near 90 U).
HARD_MAX_INJECTION_UNITS = 200.0


def default_data_dir() -> Path:
    """The user's data directory for synkinesis (platformdirs)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("synkinesis", appauthor=False))


class StoreSettings(BaseModel):
    """Database location and clinical thresholds of the record (immutable).

    Parameters
    ----------
    database_url : str
        SQLAlchemy URL.
    data_dir : Path
        Directory for derived recording files managed by the record.
    toxin_interval_days : int
        Minimum interval between toxin sessions, days.
    review_days : int
        Default "after" point of before/after comparisons, days after a treatment.
    max_units : mapping of str to float
        Per-muscle warning maxima (onabotulinumtoxinA units).
    max_session_units : float
        Warning maximum for one session's total (onabotulinumtoxinA units).
    measure_method : str
        Landmarking method of the measurements the record and the web app make.
    """

    model_config = ConfigDict(frozen=True)

    database_url: str
    data_dir: Path
    toxin_interval_days: int = Field(DEFAULT_TOXIN_INTERVAL_DAYS, ge=1, le=3650)
    review_days: int = Field(DEFAULT_REVIEW_DAYS, ge=0, le=3650)
    max_units: Mapping[str, float] = Field(
        default_factory=lambda: MappingProxyType({m.name: m.max_units for m in MUSCLES.values()}))
    max_session_units: float = Field(DEFAULT_MAX_SESSION_UNITS, gt=0)
    measure_method: str = DEFAULT_METHOD

    @field_validator("measure_method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        if value not in METHODS:  # the landmarking methods of synk measure
            raise ValueError(f"must be one of {', '.join(METHODS)}, got {value!r}")
        return value

    @field_validator("max_units")
    @classmethod
    def _known_muscles(cls, value: Mapping[str, float]) -> Mapping[str, float]:
        merged = {m.name: m.max_units for m in MUSCLES.values()}
        for name, units in value.items():
            muscle = resolve_muscle(name)
            if not units > 0:
                raise ValueError(f"maximum units for {muscle.name} must be > 0, got {units}")
            merged[muscle.name] = float(units)
        return MappingProxyType(merged)

    @property
    def is_sqlite(self) -> bool:
        """True when the database is SQLite."""
        return self.database_url.startswith("sqlite")


def _parse_max_units(text: str) -> dict[str, float]:
    parsed: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        try:
            parsed[name] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise ValueError(
                f"SYNK_MAX_UNITS must be muscle=units,... (e.g. platysma=40), got {part!r}")
    return parsed


def load_settings(
    *, database_url: str | None = None, environ: Mapping[str, str] | None = None,
) -> StoreSettings:
    """Build the settings from explicit values and the environment.

    Parameters
    ----------
    database_url : str, optional
        Overrides ``SYNK_DATABASE_URL``.
    environ : mapping, optional
        Environment to read (default ``os.environ``).

    Raises
    ------
    ValueError
        A malformed environment variable, with what was expected.
    """
    env = os.environ if environ is None else environ
    url = database_url or env.get("SYNK_DATABASE_URL") or ""
    if not url:
        directory = default_data_dir()
        url = f"sqlite:///{directory / 'record.sqlite'}"
    data_dir = env.get("SYNK_DATA_DIR")
    if data_dir:
        directory = Path(data_dir).expanduser()
    elif url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        directory = Path(url.removeprefix("sqlite:///")).expanduser().parent / "recordings"
    else:
        directory = default_data_dir() / "recordings"
    values: dict[str, object] = {"database_url": url, "data_dir": directory}
    if env.get("SYNK_TOXIN_INTERVAL_DAYS"):
        try:
            values["toxin_interval_days"] = int(env["SYNK_TOXIN_INTERVAL_DAYS"])
        except ValueError:
            raise ValueError("SYNK_TOXIN_INTERVAL_DAYS must be a whole number of days, got "
                             f"{env['SYNK_TOXIN_INTERVAL_DAYS']!r}") from None
    if env.get("SYNK_MAX_UNITS"):
        values["max_units"] = _parse_max_units(env["SYNK_MAX_UNITS"])
    if env.get("SYNK_MEASURE_METHOD"):
        values["measure_method"] = env["SYNK_MEASURE_METHOD"].strip()
    from pydantic import ValidationError

    try:
        return StoreSettings(**values)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        raise ValueError(f"store setting {'.'.join(map(str, first['loc']))}: {first['msg']}") \
            from None
