"""eFACE, the clinician-graded electronic facial paralysis assessment (Banks et al. 2015).

15 items scored 0..100 where 100 is normal (CLINICAL.md [V]):

- static (4): brow, palpebral fissure, nasolabial fold depth and oral commissure at rest. These
  are bidirectional: entered 0..200 with 100 balanced and scored ``100 - |100 - raw|``. Each
  end's meaning follows the Auto-eFACE ratio the analysis computes (CLINICAL.md [V], affected
  side a, healthy side h): brow ``100*BH_a/BH_h`` (above 100 = higher), palpebral fissure
  ``100*PF_h/PF_a`` (inverted: above 100 = the affected fissure is *narrower*), nasolabial fold
  from the alar-base-to-corner line ``100*NL_h/NL_a`` (above 100 = deeper), oral commissure
  (above 100 = higher);
- dynamic (7): movement compared with the healthy side, 0 = none, 100 = equal;
- synkinesis (4): 100 = no synkinesis, 0 = the most severe.

What is uncertain [U] and therefore labelled in every result: the subscores as the mean of each
group, the total formula (``mean_of_items`` or ``weighted`` = (static + 2*dynamic +
synkinesis)/4, chosen by the ``total_formula`` option), and the composition of the zone scores,
which is this project's grouping under the published zone names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from synkinesis.scales.base import (
    InstrumentDefinition,
    Item,
    Rater,
    Subscore,
    TotalRule,
    TotalValue,
    choice_option,
    mean,
)

__all__ = ["DEFINITION", "TOTAL_FORMULAS"]

#: Total formulas accepted by the ``total_formula`` option, with how each is written in results.
TOTAL_FORMULAS: dict[str, str] = {
    "mean_of_items": "mean of the 15 item scores",
    "weighted": "(static + 2 * dynamic + synkinesis) / 4",
}

_SUBSCORE_UNCERTAIN = "eFACE subscores as the mean of each item group [U]"
_TOTAL_UNCERTAIN = "eFACE total formula {name!r}: {formula} [U, configurable]"
_ZONE_UNCERTAIN = (
    "eFACE zone scores: published zone names, item composition is this project's grouping [U]"
)


def _static(key: str, label: str, low: str, high: str) -> Item:
    return Item(
        key=key,
        label=label,
        group="static",
        minimum=0,
        maximum=200,
        anchors=((0, low), (100, "balanced with the healthy side"), (200, high)),
        bidirectional=True,
    )


def _dynamic(key: str, label: str) -> Item:
    return Item(
        key=key,
        label=label,
        group="dynamic",
        minimum=0,
        maximum=100,
        anchors=((0, "no movement"), (100, "movement equal to the healthy side")),
    )


def _synkinesis(key: str, label: str) -> Item:
    return Item(
        key=key,
        label=label,
        group="synkinesis",
        minimum=0,
        maximum=100,
        anchors=((0, "most severe synkinesis"), (100, "no synkinesis")),
    )


_STATIC = (
    _static("brow_rest", "brow at rest", "brow much lower (ptosis)", "brow much higher"),
    # Auto-eFACE's 100 * PF_healthy / PF_affected (CLINICAL.md [V]) rises as the affected eye
    # narrows: 0 is the wide (e.g. flaccid) end, 200 the narrow (e.g. synkinetic) end.
    _static(
        "palpebral_fissure_rest",
        "palpebral fissure at rest",
        "fissure much wider",
        "fissure much narrower",
    ),
    _static(
        "nasolabial_fold_rest",
        "nasolabial fold depth at rest",
        "fold absent",
        "fold much deeper",
    ),
    _static(
        "oral_commissure_rest",
        "oral commissure at rest",
        "corner much lower (drooped)",
        "corner much higher (pulled up)",
    ),
)
_DYNAMIC = (
    _dynamic("brow_elevation", "brow elevation"),
    _dynamic("gentle_eye_closure", "gentle eye closure"),
    _dynamic("full_eye_closure", "full (tight) eye closure"),
    _dynamic("nasolabial_fold_depth_smile", "nasolabial fold depth with smile"),
    _dynamic("nasolabial_fold_orientation_smile", "nasolabial fold orientation with smile"),
    _dynamic("oral_commissure_smile", "oral commissure movement with smile"),
    _dynamic("lower_lip_eee", 'lower lip movement with "EEE"'),
)
_SYNKINESIS = (
    _synkinesis("ocular_synkinesis", "ocular synkinesis (eye narrows with mouth movement)"),
    _synkinesis("midfacial_synkinesis", "midfacial synkinesis (cheek moves with eye closure)"),
    _synkinesis("mentalis_synkinesis", "mentalis synkinesis (chin dimpling)"),
    _synkinesis("platysmal_synkinesis", "platysmal synkinesis (neck banding)"),
)


def _group(
    key: str, label: str, description: str, items: tuple[Item, ...], uncertain: str
) -> Subscore:
    return Subscore(
        key=key,
        label=label,
        description=description,
        items=tuple(item.key for item in items),
        formula=f"mean of {len(items)} item scores",
        minimum=0,
        maximum=100,
        aggregate=mean,
        uncertain=uncertain,
    )


def _zone(key: str, label: str, items: tuple[str, ...]) -> Subscore:
    return Subscore(
        key=key,
        label=label,
        description=f"{label} zone (this project's grouping of items)",
        items=items,
        formula=f"mean of {len(items)} item scores (project grouping)",
        minimum=0,
        maximum=100,
        aggregate=mean,
        kind="zone",
        uncertain=_ZONE_UNCERTAIN,
    )


def _total(
    item_scores: Mapping[str, float], subscores: Mapping[str, float], options: Mapping[str, Any]
) -> TotalValue:
    name = options["total_formula"]
    if name == "weighted":
        value = (subscores["static"] + 2 * subscores["dynamic"] + subscores["synkinesis"]) / 4
    else:
        value = mean(list(item_scores.values()))
    formula = TOTAL_FORMULAS[name]
    return TotalValue(
        value=value,
        formula=f"{name}: {formula}",
        uncertain=_TOTAL_UNCERTAIN.format(name=name, formula=formula),
    )


DEFINITION = InstrumentDefinition(
    name="eface",
    title="eFACE clinician-graded facial function scale",
    version="2015.1",
    source=(
        "Banks CA, Bhama PK, Park J, Hadlock CR, Hadlock TA. Clinician-graded electronic facial "
        "paralysis assessment: the eFACE. Plast Reconstr Surg 2015;136:223e-230e."
    ),
    description=(
        "Clinician-graded, 0..100 per item (100 = normal). Static items are bidirectional "
        "(0..200, 100 balanced). Static, dynamic and synkinesis subscores, zone scores, total."
    ),
    items=_STATIC + _DYNAMIC + _SYNKINESIS,
    subscores=(
        _group("static", "static score", "symmetry at rest", _STATIC, _SUBSCORE_UNCERTAIN),
        _group("dynamic", "dynamic score", "voluntary movement", _DYNAMIC, _SUBSCORE_UNCERTAIN),
        _group(
            "synkinesis",
            "synkinesis score",
            "absence of synkinesis (100 = none)",
            _SYNKINESIS,
            _SUBSCORE_UNCERTAIN,
        ),
        _zone(
            "periocular",
            "periocular",
            (
                "brow_rest",
                "palpebral_fissure_rest",
                "brow_elevation",
                "gentle_eye_closure",
                "full_eye_closure",
                "ocular_synkinesis",
            ),
        ),
        _zone(
            "midface_smile",
            "midface / smile",
            (
                "nasolabial_fold_rest",
                "oral_commissure_rest",
                "nasolabial_fold_depth_smile",
                "nasolabial_fold_orientation_smile",
                "oral_commissure_smile",
                "midfacial_synkinesis",
            ),
        ),
        _zone(
            "lower_face_neck",
            "lower face / neck",
            ("lower_lip_eee", "mentalis_synkinesis", "platysmal_synkinesis"),
        ),
    ),
    total=TotalRule(
        label="total score",
        minimum=0,
        maximum=100,
        higher_is_better=True,
        compute=_total,
    ),
    default_rater=Rater.CLINICIAN,
    options=(
        choice_option(
            "total_formula",
            tuple(TOTAL_FORMULAS),
            "mean_of_items",
            "How the total is computed: 'mean_of_items' (mean of the 15 item scores) or "
            "'weighted' ((static + 2*dynamic + synkinesis)/4). Both are uncertain [U].",
        ),
    ),
)
