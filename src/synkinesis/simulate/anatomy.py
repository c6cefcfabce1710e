"""Anatomy of the model as data: branches, muscles, who innervates whom, tasks and regions.

Every number is a :class:`Parameter` with its unit and its source: a line of CLINICAL.md marked
[V] (read in a source), [U] (second-hand, uncertain) or "assumption" (chosen for this model; change
it freely). Sides are the PATIENT's. Pure data, imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# The coupling matrix's regions are the landmark schema's (one definition).
from synkinesis.regions import REGIONS

__all__ = [
    "BRANCHES",
    "BRANCH_MUSCLE_WEIGHTS",
    "CENTRAL_COMMANDS",
    "MUSCLES",
    "MUSCLE_ALIASES",
    "MUSCLE_AXON_SHARE",
    "MUSCLE_PATH_LENGTH_MM",
    "Parameter",
    "REGIONS",
    "REGION_RANGE_TASK",
    "TASKS",
    "TASK_DRIVER",
    "branch_muscle_matrix",
    "command_matrix",
]

#: Tasks of the standard protocol, in recording order (names shared with the analysis).
TASKS: tuple[str, ...] = (
    "rest",
    "brow_raise",
    "gentle_eye_closure",
    "tight_eye_closure",
    "closed_smile",
    "big_smile",
    "snarl",
    "pucker",
    "eee",
)

#: The five extratemporal branches of the facial nerve.
BRANCHES: tuple[str, ...] = ("temporal", "zygomatic", "buccal", "marginal_mandibular", "cervical")

#: The mimetic muscles of one side (procerus and orbicularis oris are paired halves here, so
#: that each side of the face can be driven on its own).
MUSCLES: tuple[str, ...] = (
    "frontalis",
    "corrugator",
    "procerus",
    "orbicularis_oculi",
    "zygomaticus_major",
    "zygomaticus_minor",
    "levator_labii_superioris",
    "levator_anguli_oris",
    "risorius",
    "buccinator",
    "orbicularis_oris",
    "nasalis",
    "depressor_anguli_oris",
    "depressor_labii_inferioris",
    "mentalis",
    "platysma",
)

#: Other names accepted for a muscle (the record's vocabulary names the alaeque nasi part).
MUSCLE_ALIASES: dict[str, str] = {
    "levator_labii_superioris_alaeque_nasi": "levator_labii_superioris",
}

Source = Literal["V", "U", "assumption"]


@dataclass(frozen=True)
class Parameter:
    """A named model constant.

    Attributes
    ----------
    value : float
    unit : str
        e.g. ``"mm/day"``, ``"fraction"``, ``"1"`` (dimensionless).
    source : {"V", "U", "assumption"}
        [V] read in a source, [U] second-hand and uncertain (see CLINICAL.md), or chosen for the
        model.
    note : str
        Where the value comes from, or why it was chosen.
    """

    value: float
    unit: str
    source: Source
    note: str = ""


def _share(value: float, note: str = "") -> Parameter:
    return Parameter(value, "fraction", "assumption", note)


#: BRANCH_MUSCLE_WEIGHTS[branch][muscle]: fraction of the muscle's motor axons that reach it
#: through that branch; the weights of each muscle sum to 1 (many-to-many, because the zygomatic
#: and buccal branches interconnect). Which branch serves which muscle is [V] (CLINICAL.md,
#: "Anatomy for the model"); the split between branches is an assumption.
BRANCH_MUSCLE_WEIGHTS: dict[str, dict[str, Parameter]] = {
    "temporal": {
        "frontalis": _share(1.0),
        "corrugator": _share(0.7),
        "procerus": _share(0.3),
        "orbicularis_oculi": _share(0.35, "upper orbicularis oculi"),
    },
    "zygomatic": {
        "corrugator": _share(0.3),
        "orbicularis_oculi": _share(0.55),
        "zygomaticus_major": _share(0.5),
        "zygomaticus_minor": _share(0.4),
        "levator_labii_superioris": _share(0.2),
        "levator_anguli_oris": _share(0.1),
        "nasalis": _share(0.2),
    },
    "buccal": {
        "procerus": _share(0.7),
        "orbicularis_oculi": _share(0.1, "lower-lid fibres via zygomatic-buccal plexus"),
        "zygomaticus_major": _share(0.5),
        "zygomaticus_minor": _share(0.6),
        "levator_labii_superioris": _share(0.8),
        "levator_anguli_oris": _share(0.9),
        "risorius": _share(0.9),
        "buccinator": _share(1.0),
        "orbicularis_oris": _share(0.6, "upper orbicularis oris"),
        "nasalis": _share(0.8),
        "depressor_anguli_oris": _share(0.1),
    },
    "marginal_mandibular": {
        "risorius": _share(0.1),
        "orbicularis_oris": _share(0.4, "lower orbicularis oris"),
        "depressor_anguli_oris": _share(0.9),
        "depressor_labii_inferioris": _share(1.0),
        "mentalis": _share(1.0),
        "platysma": _share(0.1),
    },
    "cervical": {
        "platysma": _share(0.9),
    },
}

_SIZE_NOTE = "share of the ~7,000 facial motor axons; roughly by muscle size"

#: Fraction of one side's facial motor axons that serve each muscle (sums to 1).
MUSCLE_AXON_SHARE: dict[str, Parameter] = {
    "frontalis": _share(0.08, _SIZE_NOTE),
    "corrugator": _share(0.04, _SIZE_NOTE),
    "procerus": _share(0.02, _SIZE_NOTE),
    "orbicularis_oculi": _share(0.16, _SIZE_NOTE),
    "zygomaticus_major": _share(0.07, _SIZE_NOTE),
    "zygomaticus_minor": _share(0.03, _SIZE_NOTE),
    "levator_labii_superioris": _share(0.05, _SIZE_NOTE),
    "levator_anguli_oris": _share(0.03, _SIZE_NOTE),
    "risorius": _share(0.03, _SIZE_NOTE),
    "buccinator": _share(0.08, _SIZE_NOTE),
    "orbicularis_oris": _share(0.14, _SIZE_NOTE),
    "nasalis": _share(0.03, _SIZE_NOTE),
    "depressor_anguli_oris": _share(0.05, _SIZE_NOTE),
    "depressor_labii_inferioris": _share(0.04, _SIZE_NOTE),
    "mentalis": _share(0.05, _SIZE_NOTE),
    "platysma": _share(0.10, _SIZE_NOTE),
}


def _length(value: float) -> Parameter:
    return Parameter(value, "mm", "assumption",
                     "nerve path from the stylomastoid foramen to the muscle's motor entry")


#: Nerve path length from the stylomastoid foramen to each muscle; regrowth time = path / rate.
MUSCLE_PATH_LENGTH_MM: dict[str, Parameter] = {
    "frontalis": _length(90.0),
    "corrugator": _length(85.0),
    "procerus": _length(90.0),
    "orbicularis_oculi": _length(75.0),
    "zygomaticus_major": _length(60.0),
    "zygomaticus_minor": _length(65.0),
    "levator_labii_superioris": _length(70.0),
    "levator_anguli_oris": _length(65.0),
    "risorius": _length(55.0),
    "buccinator": _length(55.0),
    "orbicularis_oris": _length(75.0),
    "nasalis": _length(75.0),
    "depressor_anguli_oris": _length(60.0),
    "depressor_labii_inferioris": _length(65.0),
    "mentalis": _length(70.0),
    "platysma": _length(50.0),
}

#: Central command of each task to each muscle's axon pool (0..1), healthy co-activation
#: included: a big smile narrows normal eyes by 21.6 +/- 13.4 % [V, 50 normals], which the
#: orbicularis oculi command of the big smile reproduces (through the eyelid response of
#: :func:`synkinesis.simulate.face.eyelid_closure`). Levels are assumptions.
CENTRAL_COMMANDS: dict[str, dict[str, float]] = {
    "rest": {},
    "brow_raise": {"frontalis": 1.0},
    "gentle_eye_closure": {"orbicularis_oculi": 0.7},
    "tight_eye_closure": {"orbicularis_oculi": 1.0, "corrugator": 0.5, "procerus": 0.4,
                          "nasalis": 0.2},
    "closed_smile": {"zygomaticus_major": 0.6, "levator_anguli_oris": 0.4, "risorius": 0.3,
                     "orbicularis_oculi": 0.05},
    "big_smile": {"zygomaticus_major": 1.0, "zygomaticus_minor": 0.6, "levator_anguli_oris": 0.7,
                  "levator_labii_superioris": 0.4, "risorius": 0.6, "orbicularis_oculi": 0.11,
                  "depressor_labii_inferioris": 0.3},
    "snarl": {"levator_labii_superioris": 1.0, "nasalis": 0.8, "zygomaticus_minor": 0.4,
              "procerus": 0.3},
    "pucker": {"orbicularis_oris": 1.0, "mentalis": 0.3, "buccinator": 0.2},
    "eee": {"risorius": 0.8, "depressor_labii_inferioris": 0.7, "platysma": 0.6,
            "buccinator": 0.4, "zygomaticus_major": 0.2},
}

#: The region each task is meant to move (its driver); rest has none.
TASK_DRIVER: dict[str, str | None] = {
    "rest": None,
    "brow_raise": "brow",
    "gentle_eye_closure": "eye",
    "tight_eye_closure": "eye",
    "closed_smile": "mouth_corner",
    "big_smile": "mouth_corner",
    "snarl": "upper_lip",
    "pucker": "mouth_corner",
    "eee": "lower_lip",
}

#: The task that defines each region's voluntary range (coupling = movement / this range in a
#: healthy face, so the driver diagonal is ~1). Chin and neck have no driver task in the protocol:
#: pucker (mentalis helps) and "EEE" (platysma) stand in.
REGION_RANGE_TASK: dict[str, str] = {
    "brow": "brow_raise",
    "eye": "tight_eye_closure",
    "nasolabial": "snarl",
    "mouth_corner": "big_smile",
    "upper_lip": "snarl",
    "lower_lip": "eee",
    "chin": "pucker",
    "neck": "eee",
}


def branch_muscle_matrix():
    """(5, 16) array of :data:`BRANCH_MUSCLE_WEIGHTS` in :data:`BRANCHES` x :data:`MUSCLES`
    order; each column sums to 1."""
    import numpy as np

    out = np.zeros((len(BRANCHES), len(MUSCLES)))
    for b, branch in enumerate(BRANCHES):
        for muscle, weight in BRANCH_MUSCLE_WEIGHTS[branch].items():
            out[b, MUSCLES.index(muscle)] = weight.value
    return out


def command_matrix():
    """(9, 16) array of :data:`CENTRAL_COMMANDS` in :data:`TASKS` x :data:`MUSCLES` order."""
    import numpy as np

    out = np.zeros((len(TASKS), len(MUSCLES)))
    for t, task in enumerate(TASKS):
        for muscle, level in CENTRAL_COMMANDS[task].items():
            out[t, MUSCLES.index(muscle)] = level
    return out
