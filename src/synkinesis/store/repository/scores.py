"""Scale scores: a form scored through :mod:`synkinesis.scales`, stored whole."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from synkinesis.store.models import RecordingRow, ScaleScore, Visit
from synkinesis.store.repository._common import _bad, _text


def add_score(
    session: Session,
    *,
    visit: Visit,
    instrument: str,
    items: Mapping[str, Any],
    rater: str | None = None,
    rater_name: str = "",
    rated_at: datetime | None = None,
    options: Mapping[str, Any] | None = None,
    evidence: Mapping[str, Any] | None = None,
    draft: bool = False,
    recording: RecordingRow | None = None,
) -> ScaleScore:
    """Validate and score a form through :mod:`synkinesis.scales` and store the result.

    The whole result (items, choices, subscores, total, formula, uncertainties, provenance) is
    kept in the scales library's ``synkinesis.scale_result`` JSON, so it reads back exactly.

    Raises
    ------
    synkinesis.scales.ScaleValidationError
        Unknown instrument or item, a value out of range, missing items (unless ``draft``).
    """
    from synkinesis.scales import result_to_dict, score

    rated_at = rated_at or datetime.now(UTC)
    if rated_at.tzinfo is None:
        raise _bad(f"rated_at must carry a UTC offset, got {rated_at.isoformat()}")
    result = score(instrument, items, rater=rater, rated_at=rated_at,
                   rater_name=rater_name or None, visit_id=visit.id, evidence=evidence,
                   options=options, draft=draft)
    stored = ScaleScore(
        visit=visit, recording_id=None if recording is None else recording.id,
        instrument=result.instrument, instrument_version=result.instrument_version,
        rater=result.provenance.rater.value, rater_name=_text(rater_name, what="rater name"),
        rated_at=rated_at, draft=result.draft,
        total=None if result.total is None else float(result.total),
        result=result_to_dict(result))
    session.add(stored)
    session.flush()
    return stored
