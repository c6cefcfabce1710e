"""Synkinesis Assessment Questionnaire (Mehta et al. 2007).

Patient-reported. Nine statements about synkinesis, each answered 1 (seldom or never) .. 5 (all
the time). Score = sum / 45 * 100, range 20..100, higher is worse (CLINICAL.md [V]: r = 0.876,
alpha = 0.859). The item wording here is paraphrased from the topics the items cover [U].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from synkinesis.scales.base import (
    Choice,
    InstrumentDefinition,
    Item,
    Rater,
    TotalRule,
    TotalValue,
)

__all__ = ["DEFINITION", "STATEMENTS"]

#: (key, statement) in questionnaire order.
STATEMENTS: tuple[tuple[str, str], ...] = (
    ("eye_closes_smiling", "when I smile, my eye closes"),
    ("eye_closes_speaking", "when I speak, my eye closes"),
    ("eye_closes_puckering", "when I whistle or pucker my lips, my eye closes"),
    ("neck_tightens_smiling", "when I smile, my neck tightens"),
    ("face_tight_eye_closure", "when I close my eyes, my face gets tight"),
    ("mouth_moves_eye_closure", "when I close my eyes, the corner of my mouth moves"),
    ("neck_tight_eye_closure", "when I close my eyes, my neck tightens"),
    ("eye_waters_eating", "when I eat, my eye waters"),
    ("twitching_tightness", "my face twitches or feels tight"),
)

_CHOICES = (
    Choice(1, "seldom or never"),
    Choice(2, "occasionally"),
    Choice(3, "sometimes"),
    Choice(4, "most of the time"),
    Choice(5, "all the time"),
)


def _total(
    item_scores: Mapping[str, float], subscores: Mapping[str, float], options: Mapping[str, Any]
) -> TotalValue:
    return TotalValue(
        value=sum(item_scores.values()) / 45 * 100, formula="sum of 9 items / 45 * 100"
    )


DEFINITION = InstrumentDefinition(
    name="saq",
    title="Synkinesis Assessment Questionnaire",
    version="2007.1",
    source=(
        "Mehta RP, WernickRobinson M, Hadlock TA. Validation of a synkinesis assessment "
        "questionnaire. Laryngoscope 2007;117:923-926."
    ),
    description="Patient-reported. 9 items 1..5; score 20..100, higher means more synkinesis.",
    items=tuple(
        Item(key=key, label=statement, group="synkinesis", choices=_CHOICES)
        for key, statement in STATEMENTS
    ),
    subscores=(),
    total=TotalRule(
        label="SAQ score",
        minimum=20,
        maximum=100,
        higher_is_better=False,
        compute=_total,
    ),
    default_rater=Rater.PATIENT,
    uncertain=("SAQ item wording paraphrased from the topics of the items [U]",),
)
