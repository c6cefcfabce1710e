"""A stored analysis file (``synkinesis.analysis`` JSON) shaped like what
:mod:`synkinesis.reports.figures` draws, so a report draws the stored results and recomputes
nothing.

The figures take the in-memory :class:`synkinesis.analysis.Analysis`; a report has only the
files the record keeps. :func:`stored_analysis` wraps the file's coupling matrix (movement,
normalised movement and the stored affected-minus-other difference), its findings with their
frame references and, for a face with no affected side named, the other side's call
(:class:`synkinesis.findings.SideCall`, as a live analysis holds it), and the rest spans;
with the measure result it adds the frame times and which frames were usable (the measure
file's own quality flags).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from synkinesis.findings import SideCall
from synkinesis.protocol import RestInfo

__all__ = ["StoredAnalysis", "StoredCoupling", "StoredFinding", "stored_analysis"]


def _matrix(rows: Any, n_columns: int) -> np.ndarray:
    """A stored task x region table (None = not measured) as a float array, NaN for None."""
    values = [[np.nan if v is None else float(v) for v in row] for row in rows or []]
    return np.array(values, dtype=float).reshape(len(values), n_columns)


@dataclass(frozen=True)
class StoredCoupling:
    """The stored coupling matrix: (tasks, regions) arrays per side (the patient's), mm and
    normalised, and the difference of ``difference_side`` minus the other side."""

    tasks: tuple[str, ...]
    regions: tuple[str, ...]
    movement_mm: Mapping[str, np.ndarray]
    normalised: Mapping[str, np.ndarray]
    difference_side: str
    difference_normalised: np.ndarray
    difference_mm: np.ndarray

    def difference(self, side: str, *, normalised: bool = True) -> np.ndarray:
        """The stored difference; only for the side the analysis stored it for."""
        if side != self.difference_side:
            raise ValueError(f"the analysis file stores the difference for the "
                             f"{self.difference_side} side, not {side}")
        return self.difference_normalised if normalised else self.difference_mm


@dataclass(frozen=True)
class StoredEvidence:
    """A finding's key evidence: the task, the excess (mm) and the peak frame (index into the
    analysed recording, the same as the measure result's rows)."""

    task: str
    excess_mm: float
    peak_frame: int


@dataclass(frozen=True)
class StoredFinding:
    """A stored finding (severity, index in Sunnybrook points, confidence 0..1); ``other_side``:
    the call about the other side of a face with no affected side named, else None."""

    pattern: str
    label: str
    side: str | None
    severity: str
    index: float
    confidence: float
    evidence: tuple[StoredEvidence, ...]
    proxy: str | None
    note: str
    interval: tuple[float, float, float | None] | None = None
    severity_range: tuple[str, str] | None = None
    other_side: SideCall | None = None


@dataclass(frozen=True)
class StoredRecording:
    """Frame times (s) and the usable-frame mask (N,) from the measure result."""

    time_s: np.ndarray
    usable: np.ndarray


@dataclass(frozen=True)
class StoredSegmentation:
    rest: RestInfo


@dataclass(frozen=True)
class StoredAffected:
    side: str | None
    leaning: str


@dataclass(frozen=True)
class StoredAnalysis:
    """What the figures read of an analysis. ``recording`` is None without a measure result
    (then only the coupling figure can be drawn)."""

    coupling: StoredCoupling
    affected: StoredAffected
    findings: tuple[StoredFinding, ...]
    resting: StoredFinding | None
    segmentation: StoredSegmentation
    recording: StoredRecording | None


def _finding(data: Mapping[str, Any]) -> StoredFinding:
    evidence = []
    for item in data.get("evidence") or []:
        peak = (item.get("peak") or {}).get("index")
        if isinstance(peak, int) and not isinstance(peak, bool):
            evidence.append(StoredEvidence(str(item.get("task", "")),
                                           float(item.get("excess_mm") or 0.0), peak))
    from synkinesis.store.analysis_files import finding_interval

    index = data.get("index")
    span = data.get("severity_range")
    return StoredFinding(
        pattern=str(data.get("pattern", "")), label=str(data.get("label", "")),
        side=data.get("side"), severity=str(data.get("severity", "")),
        index=float("nan") if index is None else float(index),
        confidence=float(data.get("confidence") or 0.0), evidence=tuple(evidence),
        proxy=data.get("proxy"), note=str(data.get("note") or ""),
        interval=finding_interval(data),
        severity_range=_span(span), other_side=_side_call(data))


def _span(span: Any) -> tuple[str, str] | None:
    return (str(span[0]), str(span[1])) if isinstance(span, list | tuple) and len(span) == 2 \
        else None


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else float("nan")


def _side_call(data: Mapping[str, Any]) -> SideCall | None:
    """The stored ``other_side`` of a finding as a :class:`SideCall` (None without one, and
    for a withheld finding)."""
    from synkinesis.store.analysis_files import finding_interval, other_side_entry

    other = other_side_entry(data)
    if other is None or other.get("side") not in ("left", "right"):
        return None
    interval = finding_interval(other)
    evidence = other["evidence"][0] if other["evidence"] else {}
    return SideCall(other["side"], _number(other.get("index")), str(other.get("severity", "")),
                    _span(other.get("severity_range")),
                    None if interval is None else interval[0],
                    None if interval is None else interval[1], str(other.get("settle") or ""),
                    evidence.get("task"), _number(evidence.get("excess_mm")))


def _rest(data: Mapping[str, Any]) -> RestInfo:
    rest = (data.get("segmentation") or {}).get("rest") or {}
    spans: Sequence[Sequence[float]] = rest.get("spans") or ()
    return RestInfo(start_s=float(rest.get("start_s") or 0.0),
                    end_s=float(rest.get("end_s") or 0.0), method=str(rest.get("method", "")),
                    flagged=bool(rest.get("flagged")), n_frames=int(rest.get("n_frames") or 0),
                    spans=tuple((float(a), float(b)) for a, b in spans))


def stored_analysis(data: Mapping[str, Any], measurement: Any = None) -> StoredAnalysis:
    """Wrap an analysis file's content (and its measure result, optional) for the figures.

    Parameters
    ----------
    data : mapping
        The content of a ``synkinesis.analysis`` file.
    measurement : synkinesis.measure.Measurement, optional
        The measure result it was made from; must have as many frames as the analysis.

    Raises
    ------
    ValueError
        The measure result has another number of frames than the analysis.
    """
    from synkinesis.quality import UNUSABLE

    coupling = data.get("coupling") or {}
    regions = tuple(coupling.get("regions") or ())
    n = len(regions)
    sides = ("left", "right")
    stored = StoredCoupling(
        tasks=tuple(coupling.get("tasks") or ()), regions=regions,
        movement_mm={s: _matrix((coupling.get("movement_mm") or {}).get(s), n) for s in sides},
        normalised={s: _matrix((coupling.get("normalised") or {}).get(s), n) for s in sides},
        difference_side=str(coupling.get("difference_side") or ""),
        difference_normalised=_matrix(coupling.get("difference_normalised"), n),
        difference_mm=_matrix(coupling.get("difference_mm"), n))
    affected = data.get("affected_side") or {}
    recording = None
    if measurement is not None:
        frames = (data.get("recording") or {}).get("frames")
        if frames != measurement.n_frames:
            raise ValueError(f"the analysis covers {frames} frames, the measure result "
                             f"{measurement.n_frames}")
        flags = np.asarray(measurement.frames["flags"], dtype=np.int64)
        recording = StoredRecording(np.asarray(measurement.frames["time_s"], dtype=float),
                                    (flags & int(UNUSABLE)) == 0)
    resting = data.get("resting")
    return StoredAnalysis(
        coupling=stored,
        affected=StoredAffected(affected.get("side"),
                                str(affected.get("leaning") or stored.difference_side)),
        findings=tuple(_finding(f) for f in data.get("findings") or []),
        resting=_finding(resting) if isinstance(resting, Mapping) else None,
        segmentation=StoredSegmentation(_rest(data)), recording=recording)
