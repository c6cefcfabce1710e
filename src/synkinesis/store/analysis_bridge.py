"""The one place where the record meets the analysis stage (``synk analyze``).

The record calls :func:`synkinesis.analysis.run_analysis` on the measure result it stored,
with the patient's affected side and the recorder's protocol file (task spans) when there is
one. If the analysis module is missing or fails, the recording is still stored with its
measurement and an ``analysis_status`` that says why there is no analysis. Nothing else in the
store imports the analysis.

From an analysis file (format ``synkinesis.analysis``) the record keeps each finding's index
(``findings`` and ``resting``: ``analysis.<pattern>.index``, Sunnybrook synkinesis points on
the affected side) and the automatic scale estimates (``scales``), which are re-scored through
:mod:`synkinesis.scales` and stored as automatic scores.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synkinesis.store.repository import IndexValue

__all__ = [
    "ANALYSIS_FORMAT",
    "AnalysisOutcome",
    "analysis_protocol",
    "indices_from_analysis",
    "outcome_of",
    "protocol_version",
    "read_analysis_file",
    "run_analysis",
    "scale_results_from_analysis",
    "sidecar_protocol",
]

ANALYSIS_FORMAT = "synkinesis.analysis"


@dataclass(frozen=True)
class AnalysisOutcome:
    """What the analysis step produced.

    Attributes
    ----------
    path : Path or None
        The analysis file, when there is one.
    status : str
        ``"analysed"``, ``"attached"``, or why there is no analysis.
    indices : mapping of str to IndexValue
        The findings' indices of the analysis file.
    protocol_version : str
        The recording protocol version the analysis used ("" when unknown).
    segmentation : str
        ``"guided"`` (task spans from a protocol file), ``"unguided"``, or "" when unknown.
    """

    path: Path | None
    status: str
    indices: Mapping[str, IndexValue] = field(default_factory=dict)
    protocol_version: str = ""
    segmentation: str = ""


def _analysis_module() -> tuple[Any, str]:
    try:
        return importlib.import_module("synkinesis.analysis"), ""
    except ModuleNotFoundError as error:
        if error.name == "synkinesis.analysis":
            return None, "analysis not available: this synkinesis has no analysis module"
        return None, f"analysis not available: {error}"
    except Exception as error:  # a half-installed module must not stop the recording
        return None, f"analysis not available: importing it failed ({error})"


def protocol_version() -> str:
    """The recording protocol version of this software ("" when it has none)."""
    try:
        module = importlib.import_module("synkinesis.protocol")
    except Exception:
        return ""
    return str(getattr(module, "PROTOCOL_VERSION", ""))


def sidecar_protocol(video: Path) -> Path | None:
    """The recorder's protocol file beside a source video, ``<video stem>.protocol.json``
    (found as ``synk analyze`` finds it beside its input), if there is one."""
    module, _reason = _analysis_module()
    sidecar_for = getattr(module, "sidecar_for", None)
    return None if sidecar_for is None else sidecar_for(Path(video))


def run_analysis(
    measurement_path: Path, output_path: Path, *, affected_side: str | None = None,
    protocol_file: Path | None = None,
) -> AnalysisOutcome:
    """Analyse a measure result into ``output_path`` with
    :func:`synkinesis.analysis.run_analysis`.

    Parameters
    ----------
    measurement_path : Path
        The ``.synk`` measure result (stored in the record's data directory).
    output_path : Path
        Where the analysis file goes.
    affected_side : str, optional
        The patient's affected side (``left``/``right``; others let the analysis infer it).
    protocol_file : Path, optional
        The recorder's task spans (``<video stem>.protocol.json`` beside the source video, or
        a file the user gave); without one the analysis segments the recording unguided.

    Never raises for a missing or failing analysis: the outcome's ``status`` says what
    happened, and no file is left behind on failure.
    """
    module, reason = _analysis_module()
    if module is None:
        return AnalysisOutcome(None, reason)
    output_path = Path(output_path)
    try:
        side = affected_side if affected_side in ("left", "right") else None
        options = module.AnalysisOptions(affected_side=side)
        with tempfile.TemporaryDirectory(prefix=".analysis-", dir=output_path.parent) as scratch:
            done = module.run_analysis(Path(measurement_path), Path(scratch),
                                       protocol_file=protocol_file, options=options,
                                       figures=False)
            os.replace(done.analysis_path, output_path)
        data = read_analysis_file(output_path)
    except Exception as error:  # the measurement is still worth keeping
        output_path.unlink(missing_ok=True)
        message = " ".join(str(error).split()) or type(error).__name__
        return AnalysisOutcome(None, f"analysis failed: {message}")
    return outcome_of(output_path, data, "analysed")


def outcome_of(path: Path, data: Mapping[str, Any], status: str) -> AnalysisOutcome:
    """The :class:`AnalysisOutcome` of an analysis file that was read."""
    segmentation = data.get("segmentation")
    method = segmentation.get("method") if isinstance(segmentation, Mapping) else ""
    return AnalysisOutcome(path, status, indices_from_analysis(data), analysis_protocol(data),
                           str(method or ""))


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
