"""Facial Nerve Grading System 2.0 (Vrabec et al. 2009).

Four regions (brow, eye, nasolabial fold, oral) are graded 1 (normal) .. 6 (no movement); a
secondary-movement score (synkinesis, contracture) 0 (none) .. 3 (disfiguring) is added.
Total = sum, 4..27, lower is better (CLINICAL.md [U] for the instrument as a whole).

Grade cut-offs: grade I = total 4 and grade VI = 24 are read in a source [V]; the others
(II 5-9, III 10-14, IV 15-19, V 20-23 by default) are uncertain [U], configurable through the
``grade_cutoffs`` option and labelled in every result that relies on them. Totals above 24 are
only possible with secondary movement on a paralysed face and are graded VI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from synkinesis.scales.base import (
    Choice,
    Grade,
    InstrumentDefinition,
    Item,
    Option,
    Rater,
    Subscore,
    TotalRule,
    TotalValue,
    weighted_sum,
)

__all__ = ["DEFAULT_GRADE_CUTOFFS", "DEFINITION", "REGIONS"]

#: Highest total of grades II, III, IV and V [U].
DEFAULT_GRADE_CUTOFFS: tuple[int, int, int, int] = (9, 14, 19, 23)

REGIONS: tuple[tuple[str, str], ...] = (
    ("brow", "brow region (forehead elevation)"),
    ("eye", "eye region (eye closure)"),
    ("nasolabial", "nasolabial fold region (midface movement)"),
    ("oral", "oral region (mouth corner movement)"),
)

_WORDING_UNCERTAIN = "FNGS 2.0 value descriptions paraphrased from secondary sources [U]"
_CUTOFF_UNCERTAIN = "FNGS 2.0 grade cut-offs for grades II-V (and totals above 24) [U]"

_REGIONAL_CHOICES = (
    Choice(1, "normal"),
    Choice(2, "slight weakness, more than 75 % of normal"),
    Choice(3, "obvious weakness, more than 50 % of normal"),
    Choice(4, "obvious incomplete movement, less than 50 % of normal"),
    Choice(5, "trace movement"),
    Choice(6, "no movement"),
)

_SECONDARY_CHOICES = (
    Choice(0, "none"),
    Choice(1, "slight synkinesis, minimal contracture"),
    Choice(2, "obvious synkinesis, mild to moderate contracture"),
    Choice(3, "disfiguring synkinesis, severe contracture"),
)

_GRADE_DESCRIPTIONS = {
    "I": "normal",
    "II": "mild dysfunction",
    "III": "moderate dysfunction",
    "IV": "moderately severe dysfunction",
    "V": "severe dysfunction",
    "VI": "total paralysis",
}


def _parse_cutoffs(value: Any) -> tuple[int, ...]:
    if isinstance(value, str):
        parts: Sequence[Any] = [part for part in value.replace(" ", "").split(",") if part]
    elif isinstance(value, Sequence):
        parts = value
    else:
        raise ValueError(value)
    try:
        numbers = tuple(int(part) for part in parts)
    except (TypeError, ValueError) as error:
        raise ValueError(value) from error
    if any(isinstance(part, bool | float) for part in parts):
        raise ValueError(value)
    if len(numbers) != 4 or list(numbers) != sorted(set(numbers)):
        raise ValueError(value)
    if numbers[0] < 5 or numbers[-1] > 23:
        raise ValueError(value)
    return numbers


def _total(
    item_scores: Mapping[str, float], subscores: Mapping[str, float], options: Mapping[str, Any]
) -> TotalValue:
    value = subscores["regional"] + item_scores["secondary_movement"]
    return TotalValue(value=value, formula="brow + eye + nasolabial + oral + secondary movement")


def _grade(total: float, options: Mapping[str, Any]) -> Grade:
    bands = zip(("II", "III", "IV", "V"), options["grade_cutoffs"], strict=True)
    if total <= 4:
        name = "I"
    else:
        name = next((candidate for candidate, upper in bands if total <= upper), "VI")
    uncertain = None if name == "I" or total == 24 else _CUTOFF_UNCERTAIN
    return Grade(name=name, description=_GRADE_DESCRIPTIONS[name], uncertain=uncertain)


_REGIONAL_ITEMS = tuple(
    Item(
        key=key,
        label=f"{label}: movement compared with the healthy side",
        group="regional",
        choices=_REGIONAL_CHOICES,
    )
    for key, label in REGIONS
)

DEFINITION = InstrumentDefinition(
    name="fngs2",
    title="Facial Nerve Grading System 2.0",
    version="2009.1",
    source=(
        "Vrabec JT, Backous DD, Djalilian HR, et al. Facial Nerve Grading System 2.0. "
        "Otolaryngol Head Neck Surg 2009;140:445-450."
    ),
    description=(
        "Clinician-graded. Four regions 1..6 plus secondary movement 0..3; total 4..27 "
        "(lower is better) and grade I..VI."
    ),
    items=_REGIONAL_ITEMS
    + (
        Item(
            key="secondary_movement",
            label="secondary movement (synkinesis, contracture)",
            group="secondary",
            choices=_SECONDARY_CHOICES,
        ),
    ),
    subscores=(
        Subscore(
            key="regional",
            label="regional score",
            description="sum of the four regions (4 = normal, 24 = no movement)",
            items=tuple(item.key for item in _REGIONAL_ITEMS),
            formula="brow + eye + nasolabial + oral",
            minimum=4,
            maximum=24,
            aggregate=weighted_sum(1),
        ),
    ),
    total=TotalRule(
        label="total score",
        minimum=4,
        maximum=27,
        higher_is_better=False,
        compute=_total,
    ),
    default_rater=Rater.CLINICIAN,
    grade=_grade,
    options=(
        Option(
            name="grade_cutoffs",
            description=(
                "Highest total of grades II, III, IV and V, e.g. '9,14,19,23' (default). "
                "Grade I is 4 and grade VI is 24 and above. Uncertain [U]."
            ),
            default=DEFAULT_GRADE_CUTOFFS,
            parse=_parse_cutoffs,
            allowed_text="four increasing whole numbers from 5 to 23, e.g. '9,14,19,23'",
            json_schema={
                "description": "highest total of grades II, III, IV and V [U]",
                "default": list(DEFAULT_GRADE_CUTOFFS),
                "anyOf": [
                    {"type": "string", "pattern": r"^\s*\d+(\s*,\s*\d+){3}\s*$"},
                    {
                        "type": "array",
                        "items": {"type": "integer", "minimum": 5, "maximum": 23},
                        "minItems": 4,
                        "maxItems": 4,
                    },
                ],
            },
        ),
    ),
    uncertain=(_WORDING_UNCERTAIN,),
)
