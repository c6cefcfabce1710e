"""What the record reads from an analysis file (format ``synkinesis.analysis``).

The store never runs nor imports the analysis: :mod:`synkinesis.workflow`, a layer above
both, runs it and hands the file down. From an analysis file the record keeps each finding's
index (``findings`` and ``resting``: ``analysis.<pattern>.index``, Sunnybrook synkinesis
points on the affected side; for a face with no affected side named, which is called on both
sides, also ``analysis.<pattern>.index.left`` and ``.right``) and the automatic scale
estimates (``scales``), which are re-scored through :mod:`synkinesis.scales` and stored as
automatic scores.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synkinesis.store.repository import IndexValue

__all__ = [
    "ANALYSIS_FORMAT",
    "analysis_protocol",
    "analysis_segmentation",
    "finding_interval",
    "index_text",
    "indices_from_analysis",
    "item_intervals",
    "other_side_entry",
    "repetition_lines",
    "read_analysis_file",
    "scale_results_from_analysis",
    "severity_text",
]

ANALYSIS_FORMAT = "synkinesis.analysis"


def read_analysis_file(path: Path) -> dict[str, Any]:
    """Read an analysis JSON file and check its format name.

    Raises
    ------
    ValueError
        Not JSON, larger or deeper than a bundle may be, or not a ``synkinesis.analysis``
        file.
    """
    from synkinesis.store.exchange import MAX_JSON_BYTES, MAX_JSON_DEPTH, json_depth

    try:
        if Path(path).stat().st_size > MAX_JSON_BYTES:
            raise ValueError(f"larger than {MAX_JSON_BYTES // 2**20} MB")
        text = Path(path).read_text(encoding="utf-8")
        if json_depth(text) > MAX_JSON_DEPTH:  # refused before Python's parser recurses
            raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
        data = json.loads(text)
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: not a readable analysis file ({error})") from None
    if not isinstance(data, dict) or data.get("format") != ANALYSIS_FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"{path}: format {found!r}, expected {ANALYSIS_FORMAT!r}")
    return data


def analysis_segmentation(data: Mapping[str, Any]) -> str:
    """How an analysis file found the tasks: ``"guided"`` (task spans given), ``"unguided"``,
    or "" when it does not say."""
    segmentation = data.get("segmentation")
    method = segmentation.get("method") if isinstance(segmentation, Mapping) else ""
    return str(method or "")


def analysis_protocol(data: Mapping[str, Any]) -> str:
    """The protocol version an analysis file names ("" when it names none)."""
    protocol = data.get("protocol_version")
    return "" if protocol is None else str(protocol)


def _finite(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def finding_interval(entry: Mapping[str, Any]) -> tuple[float, float, float | None] | None:
    """``(low, high, level)`` of a finding's or scale item's interval as an analysis file
    stores it: format 2 ``{low, high, level, replicates}``, format 1 ``[low, high]`` (level
    unknown: None). None when the entry has no finite interval (intervals switched off, an
    older file): no interval is invented."""
    interval = entry.get("interval")
    level = None
    if isinstance(interval, Mapping):
        level = interval.get("level") if _finite(interval.get("level")) else None
        interval = [interval.get("low"), interval.get("high")]
    if (isinstance(interval, list | tuple) and len(interval) == 2
            and all(_finite(v) for v in interval)):
        return float(min(interval)), float(max(interval)), level
    return None


def index_text(entry: Mapping[str, Any], *, digits: int = 2) -> str:
    """A finding's index with its interval, as every page prints it: ``2.10 (90 % 0.28..4.35)``;
    ``2.10 (no interval)`` when the file stores none; "-" without an index."""
    value = entry.get("index")
    if not _finite(value):
        return "-"
    interval = finding_interval(entry)
    if interval is None:
        return f"{value:.{digits}f} (no interval)"
    low, high, level = interval
    coverage = "" if level is None else f"{level:.0%} ".replace("%", " %")
    return f"{value:.{digits}f} ({coverage}{low:.{digits}f}..{high:.{digits}f})"


def severity_text(entry: Mapping[str, Any]) -> str:
    """A finding's severity as every page prints it: the class where the interval supports
    one, ``uncertain (none..severe): record a rest ...`` (the classes of the interval's ends,
    and what would settle it) where it does not."""
    severity = str(entry.get("severity") or "")
    span = entry.get("severity_range")
    if severity == "uncertain" and isinstance(span, list | tuple) and len(span) == 2:
        severity += f" ({span[0]}..{span[1]})"
    settle = str(entry.get("settle") or "")
    return f"{severity}: {settle}" if settle and severity.startswith("uncertain") else severity


#: Severities of a finding that is withheld: it has no call on either side.
WITHHELD = ("not measurable", "not assessable")


def other_side_entry(entry: Mapping[str, Any]) -> dict[str, Any] | None:
    """The call about the other side of a face with no affected side named (a finding's
    ``other_side``), as an entry of its own that :func:`index_text`, :func:`severity_text` and
    :func:`finding_interval` read like the finding's: ``pattern``, ``label``, ``side``,
    ``index``, ``interval`` (``{low, high, level}``, the finding's level; None without one),
    ``severity``, ``severity_range``, ``settle``, ``evidence`` (its key task and excess) and
    ``other_side_of`` (the finding's side). None when the finding has no such call (a side
    given or inferred, an older file) or is withheld (not measurable, not assessable)."""
    other = entry.get("other_side")
    if not isinstance(other, Mapping) or str(entry.get("severity") or "") in WITHHELD:
        return None
    own = finding_interval(entry)
    low, high = other.get("low"), other.get("high")
    interval = ({"low": low, "high": high, "level": None if own is None else own[2]}
                if _finite(low) and _finite(high) else None)
    task = other.get("task")
    return {
        "pattern": entry.get("pattern"), "label": entry.get("label"),
        "side": other.get("side"), "index": other.get("index"), "interval": interval,
        "severity": other.get("severity"), "severity_range": other.get("severity_range"),
        "settle": other.get("settle") or "",
        "evidence": [{"task": task, "excess_mm": other.get("excess_mm")}] if task else [],
        "other_side_of": entry.get("side"),
    }


def item_intervals(data: Mapping[str, Any]
                   ) -> dict[str, dict[str, tuple[float, float, float | None]]]:
    """instrument -> item key -> ``(low, high, level)`` of each automatic scale item's interval
    an analysis file stores (format 2); items without one are left out."""
    out: dict[str, dict[str, tuple[float, float, float | None]]] = {}
    for entry in data.get("scales") or []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("items"), list):
            continue
        for item in entry["items"]:
            interval = finding_interval(item) if isinstance(item, Mapping) else None
            if interval is not None and "key" in item:
                out.setdefault(str(entry.get("instrument")), {})[str(item["key"])] = interval
    return out


def repetition_lines(data: Mapping[str, Any]) -> list[str]:
    """Per task recorded more than once, whether its repetitions agree, from the analysis
    file's ``uncertainty.agreement``: "big smile x2: repetitions agree" or "big smile x2:
    repetitions DISAGREE (mouth corner 5.06 mm apart, resolves 0.09 mm): record the task
    again". Empty for a file without it (format 1, intervals off, no repeated task)."""
    uncertainty = data.get("uncertainty")
    entries = uncertainty.get("agreement") if isinstance(uncertainty, Mapping) else None
    lines = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping):
            continue
        task = f"{str(entry.get('task', '?')).replace('_', ' ')} x{entry.get('repetitions')}"
        if entry.get("agree"):
            lines.append(f"{task}: repetitions agree")
            continue
        apart = [f"{str(region).replace('_', ' ')} {spread:.2f} mm apart, resolves "
                 f"{limit:.2f} mm" for region, spread, limit in zip(
                     entry.get("regions") or [], entry.get("spread_mm") or [],
                     entry.get("smallest_change_mm") or [])
                 if region in (entry.get("disagreeing") or []) and _finite(spread)
                 and _finite(limit)]
        lines.append(f"{task}: repetitions DISAGREE ({'; '.join(apart)}): record the task "
                     "again")
    return lines


def indices_from_analysis(data: Mapping[str, Any]) -> dict[str, IndexValue]:
    """The findings' indices of an analysis file: ``analysis.<pattern>.index`` in Sunnybrook
    synkinesis points (on the affected side), for each entry of ``findings`` and for
    ``resting``, with the interval the file stores (:func:`finding_interval`). Findings
    without an index (not measurable) are left out.

    A face with no affected side named is called on both sides (the finding's
    ``other_side``), and which side ``analysis.<pattern>.index`` is about follows the side its
    evidence leans to, which can change from one visit to the next: each side's index is then
    also stored, ``analysis.<pattern>.index.left`` and ``.right`` (that side taken as
    affected, with its own interval), so that a trend can follow one side."""
    found: dict[str, IndexValue] = {}
    findings = data.get("findings")
    entries = [*(findings if isinstance(findings, list) else []), data.get("resting")]
    for finding in entries:
        if not isinstance(finding, Mapping) or "pattern" not in finding:
            continue
        name = f"analysis.{finding['pattern']}.index"
        value = _index_value(finding)
        if value is None:
            continue
        found[name] = value
        other = other_side_entry(finding)
        sides = (finding.get("side"), other and other.get("side"))
        if other is None or set(sides) != {"left", "right"}:
            continue
        other_value = _index_value(other)
        if other_value is not None:
            found[f"{name}.{sides[0]}"] = value
            found[f"{name}.{sides[1]}"] = other_value
    return found


def _index_value(entry: Mapping[str, Any]) -> IndexValue | None:
    value = entry.get("index")
    if not _finite(value):
        return None
    low, high, level = finding_interval(entry) or (None, None, None)
    return IndexValue(float(value), "points", "analysis", low=low, high=high, level=level)


def scale_results_from_analysis(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Automatic scale results in an analysis file (``synkinesis.scale_result`` dicts)."""
    results = []
    for entry in data.get("scales") or []:
        result = entry.get("result") if isinstance(entry, Mapping) else None
        if isinstance(result, Mapping) and result.get("format") == "synkinesis.scale_result":
            results.append(dict(result))
    return results
