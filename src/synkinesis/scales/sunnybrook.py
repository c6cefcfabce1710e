"""Sunnybrook Facial Grading System (Ross et al. 1996).

Three parts, each comparing the affected side with the healthy side:

- resting symmetry: eye, cheek (nasolabial fold), mouth; score = sum * 5 (0..20, lower better);
- symmetry of voluntary movement: five standard expressions graded 1..5; score = sum * 4
  (20..100, higher better);
- synkinesis: the same five expressions graded 0..3; score = sum (0..15, lower better).

Composite = voluntary - resting - synkinesis. Its arithmetic range is -15..100; the raw value is
stored and clamped to 0..100 only for display (CLINICAL.md [V]). Synkinesis is weighted x1: a
public package multiplying it by 4 is wrong (CLINICAL.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from synkinesis.scales.base import (
    Choice,
    InstrumentDefinition,
    Item,
    Rater,
    Subscore,
    TotalRule,
    TotalValue,
    weighted_sum,
)

__all__ = ["DEFINITION", "EXPRESSIONS"]

#: The five standard expressions, as (key, label).
EXPRESSIONS: tuple[tuple[str, str], ...] = (
    ("brow_lift", "brow lift (forehead wrinkle)"),
    ("eye_closure", "gentle eye closure"),
    ("smile", "open-mouth smile"),
    ("snarl", "snarl (upper lip raise)"),
    ("pucker", "lip pucker"),
)

_VOLUNTARY_CHOICES = (
    Choice(1, "unable to initiate movement"),
    Choice(2, "initiates slight movement"),
    Choice(3, "initiated movement with mild excursion"),
    Choice(4, "movement almost complete"),
    Choice(5, "movement complete"),
)

_SYNKINESIS_CHOICES = (
    Choice(0, "none: no synkinesis or mass movement"),
    Choice(1, "mild: slight synkinesis of one or several muscles"),
    Choice(2, "moderate: obvious but not disfiguring synkinesis of one or several muscles"),
    Choice(3, "severe: disfiguring synkinesis, gross mass movement of several muscles"),
)

_RESTING_ITEMS = (
    Item(
        key="rest_eye",
        label="eye at rest (palpebral fissure)",
        group="resting",
        choices=(
            Choice(0, "normal", "normal"),
            Choice(1, "narrow", "narrow"),
            Choice(1, "wide", "wide"),
            Choice(1, "eyelid surgery", "eyelid_surgery"),
        ),
    ),
    Item(
        key="rest_cheek",
        label="cheek at rest (nasolabial fold)",
        group="resting",
        choices=(
            Choice(0, "normal", "normal"),
            Choice(2, "absent", "absent"),
            Choice(1, "less pronounced", "less"),
            Choice(1, "more pronounced", "more"),
        ),
    ),
    Item(
        key="rest_mouth",
        label="mouth at rest (oral commissure)",
        group="resting",
        choices=(
            Choice(0, "normal", "normal"),
            Choice(1, "corner drooped", "drooped"),
            Choice(1, "corner pulled up/out", "pulled"),
        ),
    ),
)

_VOLUNTARY_ITEMS = tuple(
    Item(
        key=f"voluntary_{key}",
        label=f"{label}: voluntary movement",
        group="voluntary",
        choices=_VOLUNTARY_CHOICES,
    )
    for key, label in EXPRESSIONS
)

_SYNKINESIS_ITEMS = tuple(
    Item(
        key=f"synkinesis_{key}",
        label=f"{label}: synkinesis",
        group="synkinesis",
        choices=_SYNKINESIS_CHOICES,
    )
    for key, label in EXPRESSIONS
)


def _composite(
    item_scores: Mapping[str, float], subscores: Mapping[str, float], options: Mapping[str, Any]
) -> TotalValue:
    value = subscores["voluntary"] - subscores["resting"] - subscores["synkinesis"]
    return TotalValue(value=value, formula="voluntary - resting - synkinesis")


DEFINITION = InstrumentDefinition(
    name="sunnybrook",
    title="Sunnybrook Facial Grading System",
    version="1996.1",
    source=(
        "Ross BG, Fradet G, Nedzelski JM. Development of a sensitive clinical facial grading "
        "system. Otolaryngol Head Neck Surg 1996;114:380-386."
    ),
    description=(
        "Clinician-graded. Resting symmetry, voluntary movement of five expressions and "
        "synkinesis during them, combined into a composite score (100 = normal)."
    ),
    items=_RESTING_ITEMS + _VOLUNTARY_ITEMS + _SYNKINESIS_ITEMS,
    subscores=(
        Subscore(
            key="resting",
            label="resting symmetry score",
            description="asymmetry at rest against the healthy side (0 = symmetric, 20 = worst)",
            items=tuple(item.key for item in _RESTING_ITEMS),
            formula="(eye + cheek + mouth) * 5",
            minimum=0,
            maximum=20,
            aggregate=weighted_sum(5),
        ),
        Subscore(
            key="voluntary",
            label="voluntary movement score",
            description="excursion against the healthy side (20 = no movement, 100 = normal)",
            items=tuple(item.key for item in _VOLUNTARY_ITEMS),
            formula="sum of 5 expressions * 4",
            minimum=20,
            maximum=100,
            aggregate=weighted_sum(4),
        ),
        Subscore(
            key="synkinesis",
            label="synkinesis score",
            description=(
                "involuntary movement elsewhere during the five expressions (0 = none, 15 = worst)"
            ),
            items=tuple(item.key for item in _SYNKINESIS_ITEMS),
            formula="sum of 5 expressions (x1)",
            minimum=0,
            maximum=15,
            aggregate=weighted_sum(1),
        ),
    ),
    total=TotalRule(
        label="composite score",
        minimum=-15,
        maximum=100,
        higher_is_better=True,
        compute=_composite,
        display_minimum=0,
        display_maximum=100,
    ),
    default_rater=Rater.CLINICIAN,
)
