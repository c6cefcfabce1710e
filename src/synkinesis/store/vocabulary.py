"""Controlled vocabularies of the patient record: sides, causes, muscles, products, procedures.

Muscle names follow the toxin targets and the anatomy list of CLINICAL.md ("Botulinum toxin A",
"Anatomy for the model"). Dose maxima are the upper ends of the ranges CLINICAL.md marks [U]
("confirm before relying"): they only trigger warnings, never refusals, and every one can be
overridden in :class:`synkinesis.store.settings.StoreSettings`.

This module is pure data and small helpers: no database, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "AFFECTED_SIDES",
    "BRANCHES",
    "CAUSES",
    "INJECTION_SIDES",
    "MUSCLES",
    "PROCEDURE_KINDS",
    "PRODUCTS",
    "RATERS",
    "Muscle",
    "Product",
    "normalise_name",
    "resolve_choice",
    "resolve_muscle",
]

#: The patient's affected side (from the patient's view).
AFFECTED_SIDES = ("left", "right", "bilateral")
#: The side of one injection or procedure; "midline" only for unpaired muscles (procerus).
INJECTION_SIDES = ("left", "right", "midline")
#: Who gave a scale score (same names as :class:`synkinesis.scales.Rater`).
RATERS = ("clinician", "patient", "automatic")

#: Causes of the facial palsy that led to synkinesis.
CAUSES = (
    "bell_palsy",
    "ramsay_hunt",
    "acoustic_neuroma",
    "other_tumour",
    "trauma",
    "iatrogenic",
    "infection",
    "congenital",
    "other",
    "unknown",
)

CAUSE_ALIASES: Mapping[str, str] = MappingProxyType({
    "bell": "bell_palsy", "bells": "bell_palsy", "bells_palsy": "bell_palsy",
    "bell's_palsy": "bell_palsy", "rhs": "ramsay_hunt", "vestibular_schwannoma":
    "acoustic_neuroma", "tumour": "other_tumour", "tumor": "other_tumour",
    "surgery": "iatrogenic",
})

#: Facial-nerve branches (CLINICAL.md "Anatomy for the model").
BRANCHES = ("temporal", "zygomatic", "buccal", "marginal_mandibular", "cervical")

#: Procedures (CLINICAL.md "Surgery and diagnostic blocks").
PROCEDURE_KINDS = ("nerve_block", "neurectomy", "myectomy", "other")


@dataclass(frozen=True)
class Muscle:
    """One muscle of the vocabulary.

    Attributes
    ----------
    name : str
        Canonical snake_case name, e.g. ``"orbicularis_oculi"``.
    branches : tuple of str
        Facial-nerve branches that supply it.
    pattern : str or None
        The synkinesis pattern it mostly drives (DESIGN.md pattern names), used to link doses to
        their effect; None when it drives none (voluntary smile muscles).
    max_units : float
        Warning threshold for one session, onabotulinumtoxinA units; [U] per CLINICAL.md.
    caution : str or None
        A warning given whenever it is injected (the smile muscles).
    pitfall : str or None
        The known complication of injecting it (listed by ``synk toxin muscles``).
    midline : bool
        Unpaired muscle (side ``midline`` allowed).
    """

    name: str
    branches: tuple[str, ...]
    pattern: str | None
    max_units: float
    caution: str | None = None
    midline: bool = False
    pitfall: str | None = None


_SMILE_CAUTION = "over-weakening loses the smile; inject only with great care (CLINICAL.md)"

#: Muscle name -> definition. Maxima: CLINICAL.md dose ranges [U] (upper end); muscles without a
#: published range get 5 U, a deliberately low warning threshold that a clinic should configure.
MUSCLES: Mapping[str, Muscle] = MappingProxyType({m.name: m for m in (
    Muscle("orbicularis_oculi", ("temporal", "zygomatic"), "ocular_oral", 12.5,
           pitfall="risk of lagophthalmos or ptosis (CLINICAL.md)"),
    Muscle("mentalis", ("marginal_mandibular",), "mentalis", 5.0),
    Muscle("depressor_anguli_oris", ("marginal_mandibular",), "platysmal", 5.0,
           pitfall="placed medially it weakens the lower lip (CLINICAL.md)"),
    Muscle("depressor_labii_inferioris", ("marginal_mandibular",), "platysmal", 5.0),
    Muscle("platysma", ("cervical",), "platysmal", 30.0),
    Muscle("buccinator", ("buccal",), "oral_ocular", 10.0,
           pitfall="risk of oral incompetence (CLINICAL.md)"),
    Muscle("corrugator", ("temporal",), "oral_ocular", 8.0),
    Muscle("procerus", ("temporal", "buccal"), None, 5.0, midline=True),
    Muscle("frontalis", ("temporal",), "oral_ocular", 5.0,
           pitfall="risk of brow ptosis (CLINICAL.md)"),
    Muscle("zygomaticus_major", ("zygomatic", "buccal"), None, 5.0, _SMILE_CAUTION),
    Muscle("zygomaticus_minor", ("zygomatic", "buccal"), None, 5.0, _SMILE_CAUTION),
    Muscle("risorius", ("buccal",), None, 5.0, _SMILE_CAUTION),
    Muscle("levator_labii_superioris", ("buccal",), "oral_ocular", 5.0),
    Muscle("levator_labii_superioris_alaeque_nasi", ("buccal",), "oral_ocular", 5.0),
    Muscle("levator_anguli_oris", ("buccal",), None, 5.0),
    Muscle("nasalis", ("buccal",), "oral_ocular", 5.0),
    Muscle("orbicularis_oris", ("buccal", "marginal_mandibular"), "oral_ocular", 5.0),
)})

#: Short names clinicians type.
MUSCLE_ALIASES: Mapping[str, str] = MappingProxyType({
    "oo": "orbicularis_oculi",
    "ooc": "orbicularis_oculi",
    "dao": "depressor_anguli_oris",
    "dli": "depressor_labii_inferioris",
    "lls": "levator_labii_superioris",
    "llsan": "levator_labii_superioris_alaeque_nasi",
    "lao": "levator_anguli_oris",
    "zyg": "zygomaticus_major",
    "zygomaticus": "zygomaticus_major",
    "oor": "orbicularis_oris",
})


@dataclass(frozen=True)
class Product:
    """A botulinum toxin A product; ``unit_factor`` scales the (onabotulinumtoxinA) maxima."""

    name: str
    unit_factor: float
    note: str = ""


#: Units differ by product: abobotulinumtoxinA ~2.5..3x onabotulinumtoxinA [U, CLINICAL.md].
PRODUCTS: Mapping[str, Product] = MappingProxyType({p.name: p for p in (
    Product("onabotulinumtoxinA", 1.0, "Botox"),
    Product("incobotulinumtoxinA", 1.0, "Xeomin; taken as 1:1 with onabotulinumtoxinA [U]"),
    Product("abobotulinumtoxinA", 3.0, "Dysport; ~2.5..3 x onabotulinumtoxinA units [U]"),
    Product("prabotulinumtoxinA", 1.0, "Jeuveau; taken as 1:1 [U]"),
    Product("daxibotulinumtoxinA", 2.0, "Daxxify; conversion uncertain [U]"),
    Product("other", 1.0, "unknown conversion: maxima as onabotulinumtoxinA"),
)})

PRODUCT_ALIASES: Mapping[str, str] = MappingProxyType({
    "botox": "onabotulinumtoxinA",
    "xeomin": "incobotulinumtoxinA",
    "dysport": "abobotulinumtoxinA",
    "jeuveau": "prabotulinumtoxinA",
    "daxxify": "daxibotulinumtoxinA",
})


def normalise_name(text: str) -> str:
    """``"Orbicularis Oculi"`` -> ``"orbicularis_oculi"``."""
    return "_".join(str(text).strip().lower().replace("-", " ").replace("_", " ").split())


def resolve_choice(
    text: str, allowed: tuple[str, ...] | Mapping[str, object], *, what: str,
    aliases: Mapping[str, str] | None = None,
) -> str:
    """The canonical name for ``text``; ValueError listing the allowed values otherwise."""
    wanted = normalise_name(text)
    by_key = {normalise_name(name): name for name in allowed}
    for alias, target in (aliases or {}).items():
        by_key.setdefault(normalise_name(alias), target)
    if wanted in by_key:
        return by_key[wanted]
    raise ValueError(f"unknown {what} {text!r}; expected one of: {', '.join(allowed)}")


def resolve_muscle(text: str) -> Muscle:
    """The :class:`Muscle` called ``text`` (canonical name or alias, any case)."""
    return MUSCLES[resolve_choice(text, MUSCLES, what="muscle", aliases=MUSCLE_ALIASES)]
