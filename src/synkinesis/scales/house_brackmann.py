"""House-Brackmann facial nerve grading system (House and Brackmann 1985).

One global grade, I (normal) to VI (total paralysis), chosen by the clinician from the
descriptions below (CLINICAL.md [V]). Synkinesis is part of the description of grades II and III,
not scored separately. The "total" of a result is the grade number (1..6, lower is better) and
the grade carries the Roman numeral and description.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from synkinesis.scales.base import (
    Choice,
    Grade,
    InstrumentDefinition,
    Item,
    Rater,
    TotalRule,
    TotalValue,
)

__all__ = ["DEFINITION", "GRADES"]

#: Grade number -> (Roman numeral, description).
GRADES: dict[int, tuple[str, str]] = {
    1: ("I", "normal: normal facial function in all areas"),
    2: (
        "II",
        "slight dysfunction: slight weakness on close inspection, may have very slight "
        "synkinesis; normal symmetry and tone at rest; complete eye closure with minimal effort",
    ),
    3: (
        "III",
        "moderate dysfunction: obvious but not disfiguring difference between sides, noticeable "
        "but not severe synkinesis, contracture or hemifacial spasm; complete eye closure with "
        "effort",
    ),
    4: (
        "IV",
        "moderately severe dysfunction: obvious weakness and/or disfiguring asymmetry; no "
        "forehead movement; incomplete eye closure",
    ),
    5: (
        "V",
        "severe dysfunction: only barely perceptible motion; asymmetry at rest; incomplete eye "
        "closure",
    ),
    6: ("VI", "total paralysis: no movement"),
}


def _total(
    item_scores: Mapping[str, float], subscores: Mapping[str, float], options: Mapping[str, Any]
) -> TotalValue:
    return TotalValue(value=item_scores["grade"], formula="grade number (I = 1 .. VI = 6)")


def _grade(total: float, options: Mapping[str, Any]) -> Grade:
    name, description = GRADES[int(total)]
    return Grade(name=name, description=description)


DEFINITION = InstrumentDefinition(
    name="house_brackmann",
    title="House-Brackmann facial nerve grading system",
    version="1985.1",
    source=(
        "House JW, Brackmann DE. Facial nerve grading system. Otolaryngol Head Neck Surg "
        "1985;93:146-147."
    ),
    description="Clinician-graded global grade I (normal) to VI (total paralysis).",
    items=(
        Item(
            key="grade",
            label="overall facial nerve function",
            group="grade",
            choices=tuple(
                Choice(number, f"{name}, {description}", name)
                for number, (name, description) in GRADES.items()
            ),
        ),
    ),
    subscores=(),
    total=TotalRule(
        label="grade number",
        minimum=1,
        maximum=6,
        higher_is_better=False,
        compute=_total,
    ),
    default_rater=Rater.CLINICIAN,
    grade=_grade,
)
