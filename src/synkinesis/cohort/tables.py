"""Reading the tidy score table of :mod:`synkinesis.cohort.agreement` from a file."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

__all__ = ["TABLE_SUFFIXES", "read_score_table"]

#: File suffix -> format.
TABLE_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}

_TEXT_COLUMNS = {"recording": str, "instrument": str, "item": str, "rater": str}


def read_score_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a score table from CSV or Parquet (chosen by the suffix).

    CSV columns ``recording``, ``instrument``, ``item`` and ``rater`` are read as text (a
    recording called ``007`` stays ``007``); empty cells are missing values.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Another suffix (the message lists the accepted ones), or a file that cannot be parsed.
    """
    source = Path(path)
    kind = TABLE_SUFFIXES.get(source.suffix.lower())
    if kind is None:
        raise ValueError(f"{source}: the table must be CSV or Parquet ("
                         f"{', '.join(TABLE_SUFFIXES)}), got {source.suffix or 'no suffix'!r}")
    if not source.is_file():
        raise FileNotFoundError(f"{source}: no such file")
    try:
        if kind == "csv":
            return pd.read_csv(source, dtype=_TEXT_COLUMNS)
        return pd.read_parquet(source)
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise ValueError(f"{source}: cannot read it as {kind}: {error}") from None
