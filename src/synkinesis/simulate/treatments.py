"""Treatments over time: botulinum toxin, diagnostic nerve block, selective neurectomy, myectomy,
neuromuscular retraining. Pure: each treatment is a frozen dataclass with a date (days since the
injury) and a function of the day that says how strongly it acts.

Time courses are assumptions shaped on CLINICAL.md: toxin is reviewed at ~2 weeks [V] and
re-injected every ~3..4 months [U]; a lidocaine block lasts hours [assumption]; neurectomy and
myectomy are permanent; retraining works gradually over months [V consensus, time constant an
assumption].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from synkinesis.regions import SIDES
from synkinesis.simulate.anatomy import BRANCHES, MUSCLES, Parameter

__all__ = [
    "Myectomy",
    "NerveBlock",
    "Neurectomy",
    "Retraining",
    "TOXIN_HALF_EFFECT_UNITS",
    "TOXIN_MAX_EFFECT",
    "TOXIN_ONSET_DAYS",
    "TOXIN_WEAR_OFF_DAYS",
    "TOXIN_WEAR_OFF_WIDTH_DAYS",
    "Toxin",
    "Treatment",
    "validate_treatment",
]

TOXIN_MAX_EFFECT = Parameter(0.9, "fraction", "assumption",
                             "largest fraction of a muscle's force a toxin dose removes")
TOXIN_ONSET_DAYS = Parameter(3.0, "days", "assumption",
                             "time constant of onset; ~99 % of the effect by the 2-week review [V]")
TOXIN_WEAR_OFF_DAYS = Parameter(100.0, "days", "assumption",
                                "half of the effect gone; re-injection every ~3..4 months [U]")
TOXIN_WEAR_OFF_WIDTH_DAYS = Parameter(12.0, "days", "assumption",
                                      "logistic width of the wear-off")


def _half(units: float, note: str) -> Parameter:
    return Parameter(units, "U onabotulinumtoxinA", "assumption",
                     f"dose for half the maximal effect; typical doses {note} [U]")


#: Dose (onabotulinumtoxinA units) that gives half the maximal weakening, per muscle.
TOXIN_HALF_EFFECT_UNITS: dict[str, Parameter] = {
    "frontalis": _half(5.0, "for the brow not given"),
    "corrugator": _half(2.5, "2.5..8 U"),
    "procerus": _half(2.0, "not given"),
    "orbicularis_oculi": _half(3.0, "5..12.5 U"),
    "zygomaticus_major": _half(2.0, "avoided: smile loss"),
    "zygomaticus_minor": _half(1.5, "avoided"),
    "levator_labii_superioris": _half(1.5, "not given"),
    "levator_anguli_oris": _half(1.5, "not given"),
    "risorius": _half(1.5, "avoided"),
    "buccinator": _half(3.0, "2.5..10 U"),
    "orbicularis_oris": _half(2.0, "not given"),
    "nasalis": _half(1.5, "not given"),
    "depressor_anguli_oris": _half(1.5, "2..5 U"),
    "depressor_labii_inferioris": _half(1.5, "not given"),
    "mentalis": _half(1.5, "2..5 U"),
    "platysma": _half(8.0, "10..30 U"),
}

NERVE_BLOCK_DAYS = Parameter(0.125, "days", "assumption", "a lidocaine block lasts ~3 hours")
RETRAINING_EFFICACY = Parameter(0.5, "fraction", "assumption",
                                "largest reduction of off-target (misrouted) drive by retraining")
RETRAINING_TIME_CONSTANT_DAYS = Parameter(60.0, "days", "assumption",
                                          "months of home practice [V]; the time constant is not")


class TreatmentError(ValueError):
    """A treatment that names an unknown muscle, branch or side, or has an impossible value."""


@dataclass(frozen=True)
class Toxin:
    """Botulinum toxin A into one muscle.

    Attributes
    ----------
    muscle : str
        One of :data:`~synkinesis.simulate.anatomy.MUSCLES`.
    side : {"left", "right"}
        The patient's side.
    units : float
        onabotulinumtoxinA units (abobotulinumtoxinA is ~2.5..3x more units [U]).
    day : float
        Injection date, days since the injury.
    """

    muscle: str
    side: str
    units: float
    day: float

    def weakening(self, day: float) -> float:
        """Fraction (0..1) of the muscle's force removed on ``day``."""
        elapsed = day - self.day
        if elapsed <= 0 or self.units <= 0:
            return 0.0
        half = TOXIN_HALF_EFFECT_UNITS[self.muscle].value
        peak = TOXIN_MAX_EFFECT.value * self.units / (self.units + half)
        onset = 1.0 - math.exp(-elapsed / TOXIN_ONSET_DAYS.value)
        wear = (elapsed - TOXIN_WEAR_OFF_DAYS.value) / TOXIN_WEAR_OFF_WIDTH_DAYS.value
        return peak * onset / (1.0 + math.exp(min(wear, 700.0)))


@dataclass(frozen=True)
class NerveBlock:
    """Diagnostic (lidocaine) block of one branch: its axons conduct nothing for a few hours.

    ``muscles`` limits the block to the branch's paths into those muscles (empty: all).
    """

    branch: str
    side: str
    day: float
    muscles: tuple[str, ...] = ()
    duration_days: float = NERVE_BLOCK_DAYS.value

    def cuts(self, day: float) -> bool:
        return self.day <= day < self.day + self.duration_days


@dataclass(frozen=True)
class Neurectomy:
    """Selective neurectomy: permanent removal of a branch's paths (into ``muscles``, or all)."""

    branch: str
    side: str
    day: float
    muscles: tuple[str, ...] = ()

    def cuts(self, day: float) -> bool:
        return day >= self.day


@dataclass(frozen=True)
class Myectomy:
    """Removal of (a fraction of) a muscle: its output is lost for good."""

    muscle: str
    side: str
    day: float
    fraction: float = 1.0

    def weakening(self, day: float) -> float:
        return self.fraction if day >= self.day else 0.0


@dataclass(frozen=True)
class Retraining:
    """Neuromuscular retraining from ``day`` on: misrouted (off-target) drive on ``side`` falls
    gradually, ``efficacy * (1 - exp(-t / time_constant_days))``."""

    side: str
    day: float
    efficacy: float = RETRAINING_EFFICACY.value
    time_constant_days: float = RETRAINING_TIME_CONSTANT_DAYS.value

    def off_target_gain(self, day: float) -> float:
        """Multiplier (0..1) of misrouted drive on ``day``."""
        elapsed = day - self.day
        if elapsed <= 0:
            return 1.0
        return 1.0 - self.efficacy * (1.0 - math.exp(-elapsed / self.time_constant_days))


Treatment = Toxin | NerveBlock | Neurectomy | Myectomy | Retraining


def _check_name(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise TreatmentError(f"unknown {what} {value!r}; expected one of {', '.join(allowed)}")


def validate_treatment(treatment: Treatment) -> None:
    """Raise :class:`TreatmentError` (one line, listing allowed values) for a bad treatment."""
    _check_name(treatment.side, SIDES, "side")
    if not (math.isfinite(treatment.day) and treatment.day >= 0):
        raise TreatmentError(f"treatment day must be >= 0 days after the injury, "
                             f"got {treatment.day}")
    if isinstance(treatment, Toxin | Myectomy):
        _check_name(treatment.muscle, MUSCLES, "muscle")
    if isinstance(treatment, NerveBlock | Neurectomy):
        _check_name(treatment.branch, BRANCHES, "branch")
        for muscle in treatment.muscles:
            _check_name(muscle, MUSCLES, "muscle")
    if isinstance(treatment, Toxin) and not (math.isfinite(treatment.units)
                                             and 0 < treatment.units <= 400):
        raise TreatmentError(f"toxin units must be > 0 and <= 400, got {treatment.units}")
    if isinstance(treatment, Myectomy) and not 0 < treatment.fraction <= 1:
        raise TreatmentError(f"myectomy fraction must be in (0, 1], got {treatment.fraction}")
    if isinstance(treatment, NerveBlock) and not treatment.duration_days > 0:
        raise TreatmentError(f"block duration must be > 0 days, got {treatment.duration_days}")
    if isinstance(treatment, Retraining) and not (
        0 <= treatment.efficacy <= 1 and treatment.time_constant_days > 0
    ):
        raise TreatmentError("retraining efficacy must be in 0..1 and its time constant > 0, "
                             f"got {treatment.efficacy}, {treatment.time_constant_days}")
