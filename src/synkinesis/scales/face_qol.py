"""Facial Clinimetric Evaluation (FaCE) scale (Kahn et al. 2001).

Patient-reported quality of life. 15 items answered 1..5 where 5 is the best function (items
that are worded negatively on the paper form are entered already recoded so that 5 = best).
Six domains, each 0..100 (100 = best) [V]: facial movement, facial comfort, oral function, eye
comfort, lacrimal control, social function.

- Domain score = (sum - n) / (4 n) * 100 for a domain of n items [U].
- Total = (sum of the 15 items - 15) / 60 * 100 [V, but sources conflict: some describe the
  total as the mean of the domain scores]. Both are available through the ``total_formula``
  option (``items``, the default, or ``mean_of_domains``) and every result says which was used.
- The assignment of items to domains (3, 3, 2, 2, 1, 4 items) and the item wording here are
  paraphrased [U]; only the domain names and the facial-movement items (smile, brow raise, lip
  pucker) were read in sources.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from synkinesis.scales.base import (
    Choice,
    InstrumentDefinition,
    Item,
    Rater,
    Subscore,
    TotalRule,
    TotalValue,
    choice_option,
    mean,
)

__all__ = ["DEFINITION", "DOMAINS", "TOTAL_FORMULAS"]

#: domain key -> (label, ((item key, statement), ...)).
DOMAINS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "facial_movement": (
        "facial movement",
        (
            ("movement_smile", "when I smile, the affected side of my face moves"),
            ("movement_brow", "I can raise my eyebrows on the affected side"),
            ("movement_pucker", "I can pucker my lips (as for a kiss or whistle)"),
        ),
    ),
    "facial_comfort": (
        "facial comfort",
        (
            ("comfort_tension", "my face does not feel tense or tight"),
            ("comfort_fatigue", "my face does not feel tired when I use it"),
            ("comfort_stiffness", "my face does not feel stiff or uncomfortable"),
        ),
    ),
    "oral_function": (
        "oral function",
        (
            ("oral_eating", "I can eat without food collecting in my cheek"),
            ("oral_drinking", "I can drink without liquid escaping from my mouth"),
        ),
    ),
    "eye_comfort": (
        "eye comfort",
        (
            ("eye_dryness", "my eye does not feel dry or irritated"),
            ("eye_care", "I do not need eye drops or ointment"),
        ),
    ),
    "lacrimal_control": (
        "lacrimal control",
        (("lacrimal_tearing", "my eye does not tear excessively (e.g. when eating)"),),
    ),
    "social_function": (
        "social function",
        (
            ("social_eating_out", "I do not avoid eating in restaurants or with others"),
            ("social_appearance", "I am not bothered by how my face looks to others"),
            ("social_activities", "my face does not keep me from social activities"),
            ("social_mood", "my face does not make me feel sad or withdrawn"),
        ),
    ),
}

TOTAL_FORMULAS: dict[str, str] = {
    "items": "(sum of 15 items - 15) / 60 * 100",
    "mean_of_domains": "mean of the 6 domain scores",
}

_CHOICES = (
    Choice(1, "lowest function (worst)"),
    Choice(2, "poor"),
    Choice(3, "moderate"),
    Choice(4, "good"),
    Choice(5, "highest function (best)"),
)

_DOMAIN_UNCERTAIN = "FaCE domain formula (sum - n) / (4 n) * 100 [U]"
_TOTAL_UNCERTAIN = (
    "FaCE total {name!r}: {formula} [sources conflict: item-based vs mean of domains]"
)
_ITEMS_UNCERTAIN = "FaCE item wording and item-to-domain assignment paraphrased [U]"


def _domain_score(values: Sequence[float]) -> float:
    count = len(values)
    return (sum(values) - count) / (4 * count) * 100


def _total(
    item_scores: Mapping[str, float], subscores: Mapping[str, float], options: Mapping[str, Any]
) -> TotalValue:
    name = options["total_formula"]
    if name == "mean_of_domains":
        value = mean([subscores[key] for key in DOMAINS])
    else:
        value = (sum(item_scores.values()) - 15) / 60 * 100
    formula = TOTAL_FORMULAS[name]
    return TotalValue(
        value=value,
        formula=f"{name}: {formula}",
        uncertain=_TOTAL_UNCERTAIN.format(name=name, formula=formula),
    )


DEFINITION = InstrumentDefinition(
    name="face_qol",
    title="Facial Clinimetric Evaluation (FaCE) scale",
    version="2001.1",
    source=(
        "Kahn JB, Gliklich RE, Boyev KP, Stewart MG, Metson RB, McKenna MJ. Validation of a "
        "patient-graded instrument for facial nerve paralysis: the FaCE scale. Laryngoscope "
        "2001;111:387-398."
    ),
    description=(
        "Patient-reported quality of life. 15 items 1..5 (5 best); six domains and a total, "
        "each 0..100 (100 best)."
    ),
    items=tuple(
        Item(key=key, label=statement, group=domain, choices=_CHOICES)
        for domain, (_, statements) in DOMAINS.items()
        for key, statement in statements
    ),
    subscores=tuple(
        Subscore(
            key=domain,
            label=label,
            description=f"{label} domain (0 = worst, 100 = best)",
            items=tuple(key for key, _ in statements),
            formula=f"(sum - {len(statements)}) / {4 * len(statements)} * 100",
            minimum=0,
            maximum=100,
            aggregate=_domain_score,
            kind="domain",
            uncertain=_DOMAIN_UNCERTAIN,
        )
        for domain, (label, statements) in DOMAINS.items()
    ),
    total=TotalRule(
        label="total score",
        minimum=0,
        maximum=100,
        higher_is_better=True,
        compute=_total,
    ),
    default_rater=Rater.PATIENT,
    options=(
        choice_option(
            "total_formula",
            tuple(TOTAL_FORMULAS),
            "items",
            "How the total is computed: 'items' ((sum of 15 - 15)/60*100, default) or "
            "'mean_of_domains'. Sources conflict.",
        ),
    ),
    uncertain=(_ITEMS_UNCERTAIN,),
)
