"""Recording rows with their indices (the files are handled by
:mod:`synkinesis.store.recordings`)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from synkinesis.store.errors import DuplicateError
from synkinesis.store.models import MeasuredIndex, RecordingRow, Visit
from synkinesis.store.repository._common import _bad
from synkinesis.store.repository.visits import visit_reference


@dataclass(frozen=True)
class IndexValue:
    """A scalar measured on a recording.

    Attributes
    ----------
    value : float
    unit : str
        ``"mm"``, ``"%"``, ``"ratio"``, ...
    source : str
        ``"measure"`` or ``"analysis"``.
    low, high : float or None
        The interval of the value (same unit), where its analysis estimated one.
    level : float or None
        The interval's coverage (0.9 for 90 %); None when unknown or without an interval.
    """

    value: float
    unit: str = ""
    source: str = "measure"
    low: float | None = None
    high: float | None = None
    level: float | None = None


def find_recording_by_sha256(session: Session, *, sha256: str) -> RecordingRow | None:
    """The recording of the video with this sha256, if one is stored."""
    return session.scalar(select(RecordingRow).where(RecordingRow.sha256 == sha256))


def check_not_recorded(session: Session, *, sha256: str) -> None:
    """Refuse a video that is already recorded (by its content): DuplicateError naming the
    visit and the file name it was stored under."""
    existing = find_recording_by_sha256(session, sha256=sha256)
    if existing is not None:
        raise DuplicateError(
            f"this video (sha256 {sha256[:12]}...) is already recorded for "
            f"{visit_reference(existing.visit)} as {Path(existing.video_path).name}; nothing "
            "was written")


def add_recording(
    session: Session,
    *,
    visit: Visit,
    video_path: str,
    sha256: str,
    protocol_version: str = "",
    measurement_path: str | None = None,
    measurement_sha256: str | None = None,
    analysis_path: str | None = None,
    analysis_sha256: str | None = None,
    analysis_status: str = "",
    files_managed: bool = False,
    summary: Mapping[str, Any] | None = None,
    indices: Mapping[str, IndexValue] | None = None,
) -> RecordingRow:
    """Store a recording with its result files and indices.

    Raises
    ------
    DuplicateError
        A recording with the same sha256 is already stored (the same video twice).
    """
    if not re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
        raise _bad(f"sha256 must be 64 lowercase hex digits, got {sha256!r}")
    check_not_recorded(session, sha256=sha256)
    recording = RecordingRow(
        visit=visit, video_path=str(video_path), sha256=sha256,
        protocol_version=str(protocol_version or ""), measurement_path=measurement_path,
        measurement_sha256=measurement_sha256, analysis_path=analysis_path,
        analysis_sha256=analysis_sha256, analysis_status=analysis_status,
        files_managed=files_managed, summary=dict(summary or {}))
    for name, index in sorted((indices or {}).items()):
        if not math.isfinite(index.value):
            continue
        interval = (index.low, index.high)
        known = all(v is not None and math.isfinite(v) for v in interval)
        recording.indices.append(MeasuredIndex(
            name=name, value=float(index.value), unit=index.unit, source=index.source,
            low=index.low if known else None, high=index.high if known else None,
            level=index.level if known else None))
    session.add(recording)
    session.flush()
    return recording
