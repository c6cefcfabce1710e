"""What the measure and analysis steps give on the shared videos, saved once and compared on
every run: a restructuring must not change a number (issue 17). An intended change of results
is made in its own commit that re-saves these files (``python scripts/make_golden.py``) and
says why, with its figures.

Compared: every per-frame column of the ``.synk`` (signals in mm, flags, sources, counts), the
manifest's scale and rest decisions, and the whole analysis (segments, coupling matrix,
findings, resting tone, scale drafts, warnings); not the provenance (package version, paths).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

GOLDEN_DIR = Path(__file__).resolve().parent
VIDEOS = {"single_face": "single_face.mp4", "wolfgang": "WolfgangLanger_Pexels.mp4"}
#: Absolute tolerance of a number (mm, s, ratios): float32 storage and summation order.
ATOL = 1e-3
_MANIFEST_KEYS = ("scale", "rest")
_ANALYSIS_SKIP = ("package", "source")
#: Keys whose values are the clock, not a result.
_CLOCK_KEYS = ("rated_at",)


def frames_of(measurement) -> dict[str, np.ndarray]:
    return {name: np.asarray(values) for name, values in measurement.frames.items()
            if np.asarray(values).dtype != object}


def analysis_of(measurement) -> dict[str, Any]:
    from synkinesis.analysis import AnalysisOptions, analysis_to_dict, analyze_measurement

    options = AnalysisOptions()
    content = analysis_to_dict(analyze_measurement(measurement, options=options),
                               options=options)
    return {k: v for k, v in content.items() if k not in _ANALYSIS_SKIP}


def manifest_of(measurement) -> dict[str, Any]:
    # The typed manifest's scale and rest as the saved files hold them (rest without the
    # frame rows format 2 added: the rest frames are compared through the analysis).
    manifest = measurement.manifest
    sections = {"scale": asdict(manifest.scale), "rest": manifest.rest.to_dict(with_rows=False)}
    return json.loads(json.dumps({k: sections[k] for k in _MANIFEST_KEYS}, default=str))


def save(name: str, measurement) -> None:
    np.savez_compressed(GOLDEN_DIR / f"{name}.frames.npz", **frames_of(measurement))
    content = {"manifest": manifest_of(measurement), "analysis": analysis_of(measurement)}
    (GOLDEN_DIR / f"{name}.json").write_text(json.dumps(content, indent=1, sort_keys=True))


def differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Every place where ``actual`` differs from ``expected`` (numbers within ATOL)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected a mapping, got {type(actual).__name__}"]
        out = [f"{where}.{key}: missing" for key in expected if key not in actual]
        out += [f"{where}.{key}: new" for key in actual if key not in expected]
        for key in expected:
            if key in actual and key not in _CLOCK_KEYS:
                out += differences(expected[key], actual[key], f"{where}.{key}")
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {len(expected)} items, got "
                    f"{len(actual) if isinstance(actual, list) else type(actual).__name__}"]
        out: list[str] = []
        for index, (e, a) in enumerate(zip(expected, actual)):
            out += differences(e, a, f"{where}[{index}]")
        return out
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        return [] if expected == actual else [f"{where}: {expected!r} -> {actual!r}"]
    if isinstance(expected, (int, float)):
        if isinstance(actual, bool) or not isinstance(actual, (int, float)):
            return [f"{where}: {expected!r} -> {actual!r}"]
        if math.isclose(expected, actual, rel_tol=1e-6, abs_tol=ATOL) or (
                math.isnan(expected) and math.isnan(actual)):
            return []
        return [f"{where}: {expected!r} -> {actual!r}"]
    return [] if expected == actual else [f"{where}: {expected!r} -> {actual!r}"]


def frame_differences(name: str, measurement) -> list[str]:
    expected = dict(np.load(GOLDEN_DIR / f"{name}.frames.npz"))
    actual = frames_of(measurement)
    out = [f"column {c}: missing" for c in expected if c not in actual]
    for column, values in expected.items():
        if column not in actual:
            continue
        got = actual[column]
        if got.shape != values.shape:
            out.append(f"column {column}: shape {values.shape} -> {got.shape}")
        elif values.dtype.kind == "f":
            if not np.array_equal(np.isnan(values), np.isnan(got)):
                out.append(f"column {column}: missing values moved "
                           f"({int(np.isnan(values).sum())} -> {int(np.isnan(got).sum())})")
            else:
                worst = float(np.nanmax(np.abs(values - got), initial=0.0))
                if worst > ATOL:
                    out.append(f"column {column}: differs by up to {worst:.4g}")
        elif not np.array_equal(values, got):
            out.append(f"column {column}: {int((values != got).sum())} frames differ")
    return out


def content_differences(name: str, measurement) -> list[str]:
    expected = json.loads((GOLDEN_DIR / f"{name}.json").read_text())
    actual = json.loads(json.dumps({"manifest": manifest_of(measurement),
                                    "analysis": analysis_of(measurement)}))
    return differences(expected, actual, name)
