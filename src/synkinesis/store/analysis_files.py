"""What the record reads from an analysis file (format ``synkinesis.analysis``).

The store never runs nor imports the analysis: :mod:`synkinesis.workflow`, a layer above
both, runs it and hands the file down. From an analysis file the record keeps each finding's
index (``findings`` and ``resting``: ``analysis.<pattern>.index``, Sunnybrook synkinesis
points on the affected side) and the automatic scale estimates (``scales``), which are
re-scored through :mod:`synkinesis.scales` and stored as automatic scores.
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
    "indices_from_analysis",
    "read_analysis_file",
    "scale_results_from_analysis",
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


def indices_from_analysis(data: Mapping[str, Any]) -> dict[str, IndexValue]:
    """The findings' indices of an analysis file: ``analysis.<pattern>.index`` in Sunnybrook
    synkinesis points (on the affected side), for each entry of ``findings`` and for
    ``resting``. Findings without an index (not measurable) are left out."""
    found: dict[str, IndexValue] = {}
    findings = data.get("findings")
    entries = [*(findings if isinstance(findings, list) else []), data.get("resting")]
    for finding in entries:
        if not isinstance(finding, Mapping) or "pattern" not in finding:
            continue
        value = finding.get("index")
        if isinstance(value, int | float) and not isinstance(value, bool) and \
                math.isfinite(value):
            found[f"analysis.{finding['pattern']}.index"] = IndexValue(float(value), "points",
                                                                       "analysis")
    return found


def scale_results_from_analysis(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Automatic scale results in an analysis file (``synkinesis.scale_result`` dicts)."""
    results = []
    for entry in data.get("scales") or []:
        result = entry.get("result") if isinstance(entry, Mapping) else None
        if isinstance(result, Mapping) and result.get("format") == "synkinesis.scale_result":
            results.append(dict(result))
    return results
