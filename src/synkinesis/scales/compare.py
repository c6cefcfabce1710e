"""Item-by-item comparison of two scores of the same instrument, typically an automatic estimate
against the clinician's grading of the same visit."""

from __future__ import annotations

import math
from dataclasses import dataclass

from synkinesis.scales.base import ScaleResult, ScaleValidationError
from synkinesis.scales.registry import get_instrument

__all__ = ["ItemComparison", "ScoreComparison", "SubscoreComparison", "compare_scores"]


@dataclass(frozen=True)
class ItemComparison:
    """One item in both scores.

    ``difference`` is ``automatic - reference``, None when either score lacks the item: on
    the item-score scale, except for bidirectional items (eFACE static items, 0..200 with 100
    balanced), which are compared on their raw values: 130 (brow high) and 70 (brow low) both
    score 70 but are opposite findings, 60 apart. ``compared_on`` says which (``"score"`` or
    ``"raw"``). ``confidence`` is the automatic estimate's confidence when evidence was
    recorded.
    """

    key: str
    label: str
    automatic_value: float | None
    reference_value: float | None
    automatic_score: float | None
    reference_score: float | None
    difference: float | None
    agrees: bool | None
    confidence: float | None
    measurement: str | None
    compared_on: str = "score"


@dataclass(frozen=True)
class SubscoreComparison:
    """A subscore (or the total, key ``"total"``) in both scores."""

    key: str
    label: str
    automatic: float | None
    reference: float | None
    difference: float | None


@dataclass(frozen=True)
class ScoreComparison:
    """Result of :func:`compare_scores`.

    ``mean_absolute_difference`` is over the items present in both scores (None if there are
    none); ``agreeing`` counts items whose absolute difference is within the tolerance.
    ``notes`` says what was not compared and why (e.g. totals computed with different
    options: their difference is None).
    """

    instrument: str
    items: tuple[ItemComparison, ...]
    subscores: tuple[SubscoreComparison, ...]
    total: SubscoreComparison
    compared: int
    agreeing: int
    mean_absolute_difference: float | None
    tolerance: float
    notes: tuple[str, ...] = ()


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def compare_scores(
    automatic: ScaleResult, reference: ScaleResult, *, tolerance: float = 0.0
) -> ScoreComparison:
    """Compare an automatic score with a reference (clinician) score, item by item.

    Parameters
    ----------
    automatic, reference : ScaleResult
        Scores of the same instrument and version (drafts allowed: missing items compare as
        None).
    tolerance : float
        Items agree when ``|automatic - reference| <= tolerance`` on the item-score scale
        (raw values for bidirectional items; 0 for exact agreement; e.g. 10 for eFACE points).

    Scores computed with different options (e.g. eFACE ``total_formula`` ``weighted`` vs
    ``mean_of_items``) are compared item by item and by subscore, but their totals are not:
    the total's difference is None and ``notes`` says why.

    Returns
    -------
    ScoreComparison

    Raises
    ------
    ScaleValidationError
        Different instruments or instrument versions.
    """
    if automatic.instrument != reference.instrument:
        raise ScaleValidationError(
            f"cannot compare {automatic.instrument!r} with {reference.instrument!r}: "
            "scores must be of the same instrument"
        )
    if automatic.instrument_version != reference.instrument_version:
        raise ScaleValidationError(
            f"cannot compare {automatic.instrument} version {automatic.instrument_version!r} "
            f"with version {reference.instrument_version!r}"
        )
    if not math.isfinite(tolerance) or tolerance < 0:
        raise ValueError(f"tolerance must be a finite number >= 0, got {tolerance!r}")
    definition = get_instrument(automatic.instrument)
    rows = []
    for item in definition.items:
        a_score = automatic.item_scores.get(item.key)
        r_score = reference.item_scores.get(item.key)
        a_value, r_value = automatic.items.get(item.key), reference.items.get(item.key)
        difference = (_difference(a_value, r_value) if item.bidirectional
                      else _difference(a_score, r_score))
        evidence = automatic.provenance.evidence.get(item.key)
        rows.append(
            ItemComparison(
                key=item.key,
                label=item.label,
                automatic_value=a_value,
                reference_value=r_value,
                automatic_score=a_score,
                reference_score=r_score,
                difference=difference,
                agrees=None if difference is None else abs(difference) <= tolerance,
                confidence=None if evidence is None else evidence.confidence,
                measurement=None if evidence is None else evidence.measurement,
                compared_on="raw" if item.bidirectional else "score",
            )
        )
    compared = [row for row in rows if row.difference is not None]
    notes: list[str] = []
    same_options = dict(automatic.options) == dict(reference.options)
    if not same_options:
        differing = sorted(key for key in set(automatic.options) | set(reference.options)
                           if automatic.options.get(key) != reference.options.get(key))
        notes.append("totals not compared: computed with different options ("
                     + ", ".join(f"{key} {automatic.options.get(key)!r} vs "
                                 f"{reference.options.get(key)!r}" for key in differing) + ")")
    reference_subscores = {s.key: s for s in reference.subscores}
    subscores = tuple(
        SubscoreComparison(
            key=s.key,
            label=s.label,
            automatic=s.value,
            reference=reference_subscores[s.key].value,
            difference=_difference(s.value, reference_subscores[s.key].value),
        )
        for s in automatic.subscores
    )
    return ScoreComparison(
        instrument=definition.name,
        items=tuple(rows),
        subscores=subscores,
        total=SubscoreComparison(
            key="total",
            label=definition.total.label,
            automatic=automatic.total,
            reference=reference.total,
            difference=_difference(automatic.total, reference.total) if same_options else None,
        ),
        compared=len(compared),
        agreeing=sum(1 for row in compared if row.agrees),
        mean_absolute_difference=(
            math.fsum(abs(row.difference) for row in compared) / len(compared)  # type: ignore[arg-type]
            if compared
            else None
        ),
        tolerance=tolerance,
        notes=tuple(notes),
    )
