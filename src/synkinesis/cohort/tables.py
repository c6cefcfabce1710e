"""Cohort tables: reading the tidy score table of :mod:`synkinesis.cohort.agreement`, and
building the tables of a batch run (:mod:`synkinesis.cohort.batch`) from its results.

The schema of the three batch tables is documented in docs/cohort.md; each file written is
self-describing (Parquet: ``synkinesis.cohort_table`` metadata with the format version; CSV:
the same columns, the recordings table names the software version on every row).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["COHORT_TABLES", "COHORT_TABLE_VERSION", "PATTERN_COLUMNS", "RECORDING_COLUMNS",
           "SCALE_COLUMNS", "TABLE_SUFFIXES", "UNNAMED_RATER", "cohort_tables", "read_score_table",
           "write_cohort_tables"]

#: The batch tables, by file stem.
COHORT_TABLES = ("patterns", "scales", "recordings")
#: Version of the batch tables' schema (docs/cohort.md); 1: first version; 2: the patterns
#: table has the other side's call of a face with no affected side named (``other_*``).
COHORT_TABLE_VERSION = 2
#: Columns every patterns table starts with (any further scalar field of a finding follows,
#: flattened: ``index_by_side_left``...). ``other_*``: the call about the other side of a face
#: with no affected side named (empty when a side is named, and for a withheld finding).
PATTERN_COLUMNS = ("recording", "subject", "visit", "pattern", "side", "index", "severity",
                   "confidence", "uncertain", "key_task", "key_start_s", "key_end_s",
                   "usable_fraction", "other_side", "other_index", "other_low", "other_high",
                   "other_severity", "other_severity_range", "other_settle", "other_key_task",
                   "other_excess_mm")
#: The ``rater`` of rows whose manifest row names none, when other rows name one.
UNNAMED_RATER = "unnamed"
#: Columns of the scales table (one row per recording x instrument item, ``total`` included;
#: ``rater`` only when the manifest names raters).
SCALE_COLUMNS = ("recording", "subject", "visit", "instrument", "item", "automatic",
                 "automatic_choice", "automatic_confidence", "automatic_draft", "clinician",
                 "rater")
#: Columns of the recordings table.
RECORDING_COLUMNS = ("recording", "subject", "visit", "input", "status", "reason", "sha256",
                     "frames", "duration_s", "usable_frames", "usable_fraction",
                     "affected_side", "affected_side_given", "n_warnings", "software_version",
                     "engine", "model_sha256", "method", "options", "key", "analysis_file")

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


def _flat(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Scalar fields of a mapping, nested mappings flattened with ``_``; lists of scalars
    joined with ``,``; lists of mappings (evidence) left out."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, Mapping):
            out.update(_flat(item, name + "_"))
        elif isinstance(item, list | tuple):
            if all(not isinstance(x, Mapping | list | tuple) for x in item):
                out[name] = ",".join(str(x) for x in item)
        else:
            out[name] = item
    return out


def _pattern_rows(result: Mapping[str, Any], usable: float | None) -> list[dict[str, Any]]:
    analysis = result["analysis"]
    rows = []
    for finding in [*analysis.get("findings", []), analysis.get("resting")]:
        if not finding:
            continue
        evidence = finding.get("evidence") or []
        key = evidence[0] if evidence else {}
        window = key.get("window") or [{}, {}]
        generic = _flat({k: v for k, v in finding.items()
                         if k not in ("label", "source", "evidence", "other_side")})
        rows.append({**generic, **_other_side_columns(finding), **{
            "recording": result["recording"], "subject": result["subject"],
            "visit": result["visit"],
            "key_task": key.get("task"),
            "key_start_s": window[0].get("time_s"), "key_end_s": window[-1].get("time_s"),
            "usable_fraction": usable}})
    return rows


def _other_side_columns(finding: Mapping[str, Any]) -> dict[str, Any]:
    """The ``other_*`` columns of a finding: the other side's call (all None without one, and
    for a withheld finding, as every other place that shows a finding). Read here rather
    than through the record's reader, which needs the record's extra."""
    other = finding.get("other_side")
    if not isinstance(other, Mapping) or finding.get("severity") in ("not measurable",
                                                                       "not assessable"):
        other = {}
    span = other.get("severity_range")
    return {"other_side": other.get("side"), "other_index": other.get("index"),
            "other_low": other.get("low"), "other_high": other.get("high"),
            "other_severity": other.get("severity"),
            "other_severity_range": (",".join(str(x) for x in span)
                                     if isinstance(span, list | tuple) else None),
            "other_settle": other.get("settle"), "other_key_task": other.get("task"),
            "other_excess_mm": other.get("excess_mm")}


def _scale_rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    base = {"recording": result.get("recording"), "subject": result.get("subject"),
            "visit": result.get("visit")}
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for scale in (result.get("analysis") or {}).get("scales", []):
        instrument, scored = scale["instrument"], scale.get("result") or {}
        confidence = {item["key"]: item.get("confidence") for item in scale.get("items", [])}
        values = dict(scored.get("items") or {})
        if scored.get("total") is not None:
            values["total"] = scored["total"]
        for item, value in values.items():
            rows[(instrument, item)] = {
                **base, "instrument": instrument, "item": item,
                "automatic": None if value is None else float(value),
                "automatic_choice": (scored.get("choices") or {}).get(item),
                "automatic_confidence": confidence.get(item),
                "automatic_draft": bool(scored.get("draft")),
                "clinician": None, "rater": result.get("rater") or None}
    for instrument, item, value in result.get("clinician") or []:
        row = rows.setdefault((instrument, item), {
            **base, "instrument": instrument, "item": item, "automatic": None,
            "automatic_choice": None, "automatic_confidence": None, "automatic_draft": None,
            "rater": result.get("rater") or None})
        row["clinician"] = str(value)
    return list(rows.values())


def _recording_row(result: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {column: None for column in RECORDING_COLUMNS}
    row.update({k: result.get(k) for k in ("recording", "subject", "visit", "input", "status",
                                           "reason", "sha256", "key", "analysis_file")})
    analysis = result.get("analysis")
    if analysis:
        recording, source = analysis.get("recording") or {}, analysis.get("source") or {}
        engine = source.get("engine") or {}
        frames, usable = recording.get("frames"), recording.get("usable_frames")
        row.update({
            "frames": frames, "duration_s": recording.get("duration_s"),
            "usable_frames": usable,
            "usable_fraction": usable / frames if frames and usable is not None else None,
            "affected_side": (analysis.get("affected_side") or {}).get("side"),
            "affected_side_given": result.get("side"),
            "n_warnings": len(analysis.get("warnings") or []),
            "software_version": (analysis.get("package") or {}).get("version"),
            "engine": engine.get("name"), "model_sha256": engine.get("model_sha256"),
            "method": engine.get("method"),
            "options": json.dumps(result.get("options"), sort_keys=True)})
    return row


def cohort_tables(results: Sequence[Mapping[str, Any]]) -> dict[str, pd.DataFrame]:
    """The three cohort tables of a batch run's results (:attr:`BatchRun.results
    <synkinesis.cohort.batch.BatchRun.results>`), in the order given.

    Returns
    -------
    dict
        ``patterns``: one row per recording x pattern (the resting finding included), columns
        :data:`PATTERN_COLUMNS` then every other scalar field of the finding, flattened;
        ``scales``: one row per recording x scale item, automatic and clinician side by side
        (:data:`SCALE_COLUMNS`; the input of ``synk agreement``); ``recordings``: one row per
        recording, failed ones included with their reason (:data:`RECORDING_COLUMNS`).
    """
    patterns: list[dict[str, Any]] = []
    scales: list[dict[str, Any]] = []
    recordings = []
    for result in results:
        row = _recording_row(result)
        recordings.append(row)
        if result.get("status") != "done":
            continue
        patterns += _pattern_rows(result, row["usable_fraction"])
        scales += _scale_rows(result)
    extra = sorted({k for row in patterns for k in row} - set(PATTERN_COLUMNS))
    scale_table = pd.DataFrame(scales, columns=list(SCALE_COLUMNS)).astype(
        {"clinician": "string", "automatic_choice": "string", "rater": "string"})
    if scale_table["rater"].isna().all():  # no rater named: synk agreement then needs none
        scale_table = scale_table.drop(columns="rater")
    else:
        scale_table["rater"] = scale_table["rater"].fillna(UNNAMED_RATER)
    return {
        "patterns": pd.DataFrame(patterns, columns=[*PATTERN_COLUMNS, *extra]),
        "scales": scale_table,
        "recordings": pd.DataFrame(recordings, columns=list(RECORDING_COLUMNS)),
    }


def write_cohort_tables(tables: Mapping[str, pd.DataFrame], output_dir: str | os.PathLike[str],
                        *, formats: Sequence[str] = ("parquet", "csv")) -> list[Path]:
    """Write each table as ``<name>.parquet`` and ``<name>.csv`` into ``output_dir``
    (atomically: a reader never sees half a table). Returns the paths written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from synkinesis import __version__
    from synkinesis.files import atomic_output

    written = []
    for name, frame in tables.items():
        for kind in formats:
            path = Path(output_dir) / f"{name}.{kind}"
            with atomic_output(path) as temporary:
                if kind == "csv":
                    frame.to_csv(temporary, index=False)
                else:
                    table = pa.Table.from_pandas(frame, preserve_index=False)
                    meta = {**(table.schema.metadata or {}),
                            b"synkinesis.cohort_table": json.dumps(
                                {"table": name, "format_version": COHORT_TABLE_VERSION,
                                 "software": f"synkinesis {__version__}"}).encode()}
                    pq.write_table(table.replace_schema_metadata(meta), temporary)
            written.append(path)
    return written
