"""The one place where the record meets the analysis stage (``synk analyze``).

The analysis module (:mod:`synkinesis.analysis`, file format ``synkinesis.analysis``) is
optional here: it is looked up when a recording is added, and if it is missing, offers
neither entry point below, or fails, the recording is stored with its measurement and an
``analysis_status`` that says why there is no analysis. Nothing else in the store imports it.

Calling convention tried, in order (whichever the module offers):

1. ``analyze(measurement_path, output_path)`` / ``analyze(..., output=...)`` writing the file,
   or ``analyze(measurement_path)`` returning a dict, an object with ``to_dict()`` /
   ``as_dict()`` / ``content``, or an object that ``write_analysis`` saves;
2. ``run_analysis(measurement_path, scratch_dir, figures=False)`` returning an object with
   ``analysis_path`` (the file is moved into the record).

Either gets ``options=AnalysisOptions(affected_side=...)`` when it takes options, since the
record knows the patient's affected side. Automatic scale estimates in the file (``scales``)
are re-scored through :mod:`synkinesis.scales` and stored as automatic scores.
"""

from __future__ import annotations

import importlib
import inspect
import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synkinesis.store.repository import IndexValue

__all__ = [
    "ANALYSIS_FORMAT",
    "AnalysisOutcome",
    "analysis_function",
    "analysis_protocol",
    "indices_from_analysis",
    "protocol_version",
    "read_analysis_file",
    "run_analysis",
    "scale_results_from_analysis",
]

ANALYSIS_FORMAT = "synkinesis.analysis"
MAX_INDICES = 500
_INDEX_SECTIONS = ("indices", "patterns", "findings", "summary")


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
        Scalar indices found in the analysis file.
    protocol_version : str
        The recording protocol version the analysis used ("" when unknown).
    """

    path: Path | None
    status: str
    indices: Mapping[str, IndexValue] = field(default_factory=dict)
    protocol_version: str = ""


def _analysis_module() -> tuple[Any, str]:
    try:
        return importlib.import_module("synkinesis.analysis"), ""
    except ModuleNotFoundError as error:
        if error.name == "synkinesis.analysis":
            return None, "analysis not available: this synkinesis has no analysis module"
        return None, f"analysis not available: {error}"
    except Exception as error:  # a half-installed module must not stop the recording
        return None, f"analysis not available: importing it failed ({error})"


def analysis_function() -> tuple[Callable[..., Any] | None, str]:
    """The analysis entry point (``analyze``, else ``run_analysis``), or None and the reason
    it is unavailable."""
    module, reason = _analysis_module()
    if module is None:
        return None, reason
    for name in ("analyze", "run_analysis"):
        function = getattr(module, name, None)
        if callable(function):
            return function, ""
    return None, ("analysis not available: synkinesis.analysis has no analyze() or "
                  "run_analysis() function")


def protocol_version() -> str:
    """The recording protocol version of this software ("" when it has none)."""
    try:
        module = importlib.import_module("synkinesis.protocol")
    except Exception:
        return ""
    return str(getattr(module, "PROTOCOL_VERSION", ""))


def _to_dict(result: Any) -> dict[str, Any] | None:
    if isinstance(result, Mapping):
        return dict(result)
    for name in ("to_dict", "as_dict"):
        method = getattr(result, name, None)
        if callable(method):
            data = method()
            if isinstance(data, Mapping):
                return dict(data)
    content = getattr(result, "content", None)
    return dict(content) if isinstance(content, Mapping) else None


def _options(module: Any, parameters: Mapping[str, Any], affected_side: str | None) -> dict:
    """``options=AnalysisOptions(affected_side=...)`` when the module takes it: the record
    knows the patient's affected side, so the analysis need not guess it."""
    options_class = getattr(module, "AnalysisOptions", None)
    if "options" not in parameters or options_class is None or affected_side not in (
            "left", "right"):
        return {}
    try:
        return {"options": options_class(affected_side=affected_side)}
    except TypeError:
        return {}


def _call_analyze(module: Any, analyze: Callable[..., Any], measurement_path: Path,
                  output_path: Path, affected_side: str | None) -> None:
    parameters = inspect.signature(analyze).parameters
    extra = _options(module, parameters, affected_side)
    if "output" in parameters or "output_path" in parameters:
        key = "output" if "output" in parameters else "output_path"
        result = analyze(measurement_path, **{key: output_path}, **extra)
    elif len([p for p in parameters.values() if p.default is p.empty
              and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]) >= 2:
        result = analyze(measurement_path, output_path, **extra)
    else:
        result = analyze(measurement_path, **extra)
    if output_path.is_file():
        return
    data = _to_dict(result)
    if data is not None:
        output_path.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
        return
    writer = getattr(module, "write_analysis", None)
    if not callable(writer):
        raise ValueError(f"analyze() returned {type(result).__name__}, which cannot be saved")
    first = next(iter(inspect.signature(writer).parameters), "")
    if "path" in first:
        writer(output_path, result)
    else:
        writer(result, output_path)


def _call_run_analysis(module: Any, run: Callable[..., Any], measurement_path: Path,
                       output_path: Path, affected_side: str | None) -> None:
    parameters = inspect.signature(run).parameters
    extra = _options(module, parameters, affected_side)
    if "figures" in parameters:
        extra["figures"] = False
    with tempfile.TemporaryDirectory(prefix=".analysis-", dir=output_path.parent) as scratch:
        outcome = run(measurement_path, Path(scratch), **extra)
        written = getattr(outcome, "analysis_path", None)
        if written is not None and Path(written).is_file():
            os.replace(written, output_path)
            return
        data = _to_dict(outcome)
        if data is None:
            raise ValueError(f"run_analysis() returned {type(outcome).__name__} without an "
                             "analysis file")
        output_path.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")


def run_analysis(
    measurement_path: Path, output_path: Path, *, affected_side: str | None = None,
) -> AnalysisOutcome:
    """Analyse a measure result into ``output_path`` if the analysis module allows it.

    Parameters
    ----------
    affected_side : str, optional
        The patient's affected side, passed on when the analysis accepts it.

    Never raises for a missing or failing analysis: the outcome's ``status`` says what
    happened, and no file is left behind on failure.
    """
    function, reason = analysis_function()
    if function is None:
        return AnalysisOutcome(None, reason)
    module = importlib.import_module("synkinesis.analysis")
    output_path = Path(output_path)
    try:
        call = _call_analyze if function is getattr(module, "analyze", None) else \
            _call_run_analysis
        call(module, function, Path(measurement_path), output_path, affected_side)
        data = read_analysis_file(output_path)
    except Exception as error:  # the measurement is still worth keeping
        output_path.unlink(missing_ok=True)
        message = " ".join(str(error).split()) or type(error).__name__
        return AnalysisOutcome(None, f"analysis failed: {message}")
    return AnalysisOutcome(output_path, "analysed", indices_from_analysis(data),
                           analysis_protocol(data))


def read_analysis_file(path: Path) -> dict[str, Any]:
    """Read an analysis JSON file and check its format name.

    Raises
    ------
    ValueError
        Not JSON, or not a ``synkinesis.analysis`` file.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: not a readable analysis file ({error})") from None
    if not isinstance(data, dict) or data.get("format") != ANALYSIS_FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"{path}: format {found!r}, expected {ANALYSIS_FORMAT!r}")
    return data


def analysis_protocol(data: Mapping[str, Any]) -> str:
    """The protocol version an analysis file names ("" when it names none)."""
    protocol = data.get("protocol_version", data.get("protocol"))
    if isinstance(protocol, Mapping):
        protocol = protocol.get("version")
    return "" if protocol is None else str(protocol)


def indices_from_analysis(data: Mapping[str, Any]) -> dict[str, IndexValue]:
    """Scalar indices of an analysis file.

    Each finding (``findings`` list and ``resting``) gives ``analysis.<pattern>.index`` in
    Sunnybrook synkinesis points; other numbers are named ``analysis.<section>.<key>...``.

    Numbers under the ``indices``, ``patterns``, ``findings`` and ``summary`` sections are
    taken (nested names joined by dots); ``{"value": x, "unit": u}`` entries keep their unit.
    """
    found: dict[str, IndexValue] = {}

    def walk(prefix: str, value: Any, depth: int) -> None:
        if len(found) >= MAX_INDICES or depth > 4:
            return
        if isinstance(value, bool):
            return
        if isinstance(value, int | float):
            if math.isfinite(value):
                found[prefix] = IndexValue(float(value), "", "analysis")
            return
        if isinstance(value, Mapping):
            number = value.get("value")
            if isinstance(number, int | float) and not isinstance(number, bool):
                if math.isfinite(number):
                    found[prefix] = IndexValue(float(number), str(value.get("unit") or ""),
                                               "analysis")
                return
            for key, item in value.items():
                walk(f"{prefix}.{key}", item, depth + 1)
        elif isinstance(value, list) and all(isinstance(v, Mapping) and "name" in v
                                             for v in value):
            for item in value:
                walk(f"{prefix}.{item['name']}", {k: v for k, v in item.items() if k != "name"},
                     depth + 1)

    findings = data.get("findings")
    if isinstance(findings, list):
        for finding in [*findings, data.get("resting")]:
            if isinstance(finding, Mapping) and "pattern" in finding:
                value = finding.get("index")
                if isinstance(value, int | float) and not isinstance(value, bool) and \
                        math.isfinite(value):
                    found[f"analysis.{finding['pattern']}.index"] = IndexValue(
                        float(value), "points", "analysis")
    for section in _INDEX_SECTIONS:
        if section in data and not (section == "findings" and isinstance(findings, list)):
            walk(f"analysis.{section}", data[section], 0)
    return found


def scale_results_from_analysis(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Automatic scale results in an analysis file (``synkinesis.scale_result`` dicts)."""
    results = []
    for entry in data.get("scales") or []:
        result = entry.get("result") if isinstance(entry, Mapping) else None
        if isinstance(result, Mapping) and result.get("format") == "synkinesis.scale_result":
            results.append(dict(result))
    return results

