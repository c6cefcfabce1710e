"""A simulated patient end to end: the full parameter set (:class:`SimulationSpec`), text forms
of injuries and treatments for the command line, and the two things one does with a patient:
record the protocol (:func:`simulate_patient`) and predict treatments (:func:`predict`). Pure:
the canonical mesh and the neutral face come in as arrays.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from synkinesis.simulate.anatomy import MUSCLE_ALIASES
from synkinesis.simulate.face import NeutralFace, canonical_face_mm, muscle_fields
from synkinesis.simulate.nerve import Injury, ModelError, Nerve, RegrowthParameters, regenerate
from synkinesis.simulate.recording import ProtocolTiming, SyntheticRecording, synthesize_recording
from synkinesis.simulate.treatments import (
    Myectomy,
    NerveBlock,
    Neurectomy,
    Retraining,
    Toxin,
    Treatment,
    TreatmentError,
    validate_treatment,
)
from synkinesis.simulate.truth import GroundTruth, ground_truth

__all__ = [
    "SimulationSpec",
    "format_treatment",
    "parse_injury",
    "parse_treatment",
    "build_nerve",
    "predict",
    "simulate_patient",
    "truth_on_day",
]

_KINDS: dict[str, type] = {"toxin": Toxin, "block": NerveBlock, "neurectomy": Neurectomy,
                           "myectomy": Myectomy, "retraining": Retraining}


@dataclass(frozen=True)
class SimulationSpec:
    """Everything that defines a simulated patient and recording (with ``seed``, reproducible).

    Attributes
    ----------
    injuries : tuple of Injury (empty: healthy)
    regrowth : RegrowthParameters
    day : float, days since the injury on which the recording is made
    treatments : tuple of treatments (dated in days since the injury)
    timing : ProtocolTiming
    seed : int
    """

    injuries: tuple[Injury, ...] = ()
    regrowth: RegrowthParameters = field(default_factory=RegrowthParameters)
    day: float = 365.0
    treatments: tuple[Treatment, ...] = ()
    timing: ProtocolTiming = field(default_factory=ProtocolTiming)
    seed: int = 0

    def validate(self) -> None:
        """Raise ModelError or TreatmentError (one line) for any bad value."""
        for injury in self.injuries:
            injury.validate()
        self.regrowth.validate()
        self.timing.validate()
        if not (math.isfinite(self.day) and 0 <= self.day <= 36500):
            raise ModelError(f"day must be in 0..36500 days since the injury, got {self.day}")
        for treatment in self.treatments:
            validate_treatment(treatment)
        if not 0 <= self.seed < 2**63:
            raise ModelError(f"seed must be in 0..2**63-1, got {self.seed}")

    def generators(self) -> tuple[np.random.Generator, np.random.Generator]:
        """Independent generators for the nerve and for the recording, from ``seed``."""
        nerve_seed, recording_seed = np.random.SeedSequence(self.seed).spawn(2)
        return np.random.default_rng(nerve_seed), np.random.default_rng(recording_seed)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; :meth:`from_dict` reads it back."""
        return {
            "injuries": [asdict(i) for i in self.injuries],
            "regrowth": self.regrowth.as_dict(),
            "day": self.day,
            "treatments": [{"kind": format_treatment(t).split(":")[0], **_treatment_dict(t)}
                           for t in self.treatments],
            "timing": asdict(self.timing),
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimulationSpec:
        try:
            treatments = []
            for item in data.get("treatments", []):
                item = dict(item)
                kind = _KINDS[item.pop("kind")]
                if "muscles" in item:
                    item["muscles"] = tuple(item["muscles"])
                treatments.append(kind(**item))
            return cls(
                injuries=tuple(Injury(**i) for i in data.get("injuries", [])),
                regrowth=RegrowthParameters(**data.get("regrowth", {})),
                day=float(data.get("day", 365.0)),
                treatments=tuple(treatments),
                timing=ProtocolTiming(**data.get("timing", {})),
                seed=int(data.get("seed", 0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"not a simulation parameter set: {exc}") from None


def _treatment_dict(treatment: Treatment) -> dict[str, Any]:
    out = asdict(treatment)
    if "muscles" in out:
        out["muscles"] = list(out["muscles"])
    return out


def parse_injury(text: str) -> Injury:
    """``SIDE[:SITE[:SEVERITY]]``, e.g. ``left``, ``left:proximal:0.8``, ``right:buccal:0.6``."""
    parts = text.strip().split(":")
    if not 1 <= len(parts) <= 3 or not parts[0]:
        raise ModelError(f"injury must be SIDE[:SITE[:SEVERITY]], e.g. left:proximal:0.8, "
                         f"got {text!r}")
    injury = Injury(side=parts[0], site=parts[1] if len(parts) > 1 and parts[1] else "proximal",
                    severity=_number(parts[2], "injury severity") if len(parts) > 2 else 0.8)
    injury.validate()
    return injury


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ModelError(f"{what} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise ModelError(f"{what} must be finite, got {text!r}")
    return value


_FORMS = ("toxin:MUSCLE_NAME:SIDE:UNITS, block:BRANCH:SIDE[:MUSCLE+MUSCLE], "
          "neurectomy:BRANCH:SIDE[:MUSCLE+MUSCLE], myectomy:MUSCLE_NAME:SIDE[:FRACTION], "
          "retraining:SIDE[:EFFICACY], each optionally followed by @DAY")


def parse_treatment(text: str, *, default_day: float) -> Treatment:
    """A treatment from its text form (see :func:`format_treatment`).

    ``toxin:orbicularis_oculi:left:5@380`` (units of onabotulinumtoxinA on day 380 after the
    injury), ``block:buccal:left@400``, ``neurectomy:buccal:left:orbicularis_oculi@400``,
    ``myectomy:depressor_anguli_oris:right@400``, ``retraining:left:0.5@365``. Without ``@DAY``
    the treatment is dated ``default_day``.

    Raises
    ------
    TreatmentError
        One line naming the problem and the accepted forms or values.
    """
    body, _, day_text = text.strip().partition("@")
    day = _number(day_text, "treatment day") if day_text else float(default_day)
    parts = [MUSCLE_ALIASES.get(part, part) for part in body.split(":")]
    kind, args = parts[0], parts[1:]
    try:
        if kind == "toxin" and len(args) == 3:
            treatment: Treatment = Toxin(args[0], args[1], _number(args[2], "toxin units"), day)
        elif kind in ("block", "neurectomy") and len(args) in (2, 3):
            muscles = tuple(MUSCLE_ALIASES.get(m, m) for m in args[2].split("+") if m) \
                if len(args) == 3 else ()
            treatment = _KINDS[kind](args[0], args[1], day, muscles)
        elif kind == "myectomy" and len(args) in (2, 3):
            fraction = _number(args[2], "myectomy fraction") if len(args) == 3 else 1.0
            treatment = Myectomy(args[0], args[1], day, fraction)
        elif kind == "retraining" and len(args) in (1, 2):
            efficacy = _number(args[1], "retraining efficacy") if len(args) == 2 else None
            treatment = (Retraining(args[0], day) if efficacy is None
                         else Retraining(args[0], day, efficacy))
        else:
            raise TreatmentError(f"cannot read treatment {text!r}; expected {_FORMS}")
    except ModelError as exc:
        raise TreatmentError(str(exc)) from None
    validate_treatment(treatment)
    return treatment


def format_treatment(treatment: Treatment) -> str:
    """The text form :func:`parse_treatment` reads."""
    day = f"@{treatment.day:g}"
    if isinstance(treatment, Toxin):
        return f"toxin:{treatment.muscle}:{treatment.side}:{treatment.units:g}{day}"
    if isinstance(treatment, NerveBlock | Neurectomy):
        kind = "block" if isinstance(treatment, NerveBlock) else "neurectomy"
        muscles = ":" + "+".join(treatment.muscles) if treatment.muscles else ""
        return f"{kind}:{treatment.branch}:{treatment.side}{muscles}{day}"
    if isinstance(treatment, Myectomy):
        return f"myectomy:{treatment.muscle}:{treatment.side}:{treatment.fraction:g}{day}"
    return f"retraining:{treatment.side}:{treatment.efficacy:g}{day}"


def build_nerve(spec: SimulationSpec) -> Nerve:
    """The patient's wiring (depends only on injuries, regrowth parameters and seed)."""
    spec.validate()
    nerve_rng, _ = spec.generators()
    return regenerate(spec.injuries, parameters=spec.regrowth, rng=nerve_rng)


def simulate_patient(
    spec: SimulationSpec,
    face: NeutralFace,
    *,
    canonical_vertices: np.ndarray,
) -> tuple[SyntheticRecording, GroundTruth]:
    """Record the protocol of the patient ``spec`` describes, on ``spec.day``, and the truth.

    Parameters
    ----------
    spec : SimulationSpec
    face : NeutralFace
        Real neutral face to animate.
    canonical_vertices : (468, 3) array, cm
        :attr:`synkinesis.landmarks.model.CanonicalFace.vertices`.

    Returns
    -------
    recording : SyntheticRecording
    truth : GroundTruth
        Measured on the canonical face, so it depends on the patient and not on the photo.
    """
    nerve = build_nerve(spec)
    _, recording_rng = spec.generators()
    fields = muscle_fields(canonical_vertices, face.head_mm)
    recording = synthesize_recording(nerve, face, fields, day=spec.day,
                                     treatments=spec.treatments, timing=spec.timing,
                                     rng=recording_rng)
    return recording, truth_on_day(nerve, spec.day, spec.treatments,
                                   canonical_vertices=canonical_vertices)


def truth_on_day(nerve: Nerve, day: float, treatments: tuple[Treatment, ...], *,
                 canonical_vertices: np.ndarray, face_mm: np.ndarray | None = None
                 ) -> GroundTruth:
    """:func:`~synkinesis.simulate.truth.ground_truth` on ``face_mm`` (a neutral face in the
    head frame, mm), by default the canonical face."""
    if face_mm is None:
        face_mm = canonical_face_mm(canonical_vertices)
    return ground_truth(nerve, day=day, face_mm=face_mm,
                        fields=muscle_fields(canonical_vertices, face_mm),
                        treatments=tuple(treatments))


def predict(
    spec: SimulationSpec,
    *,
    plan: tuple[Treatment, ...] | list[Treatment],
    days: tuple[float, ...] | list[float],
    canonical_vertices: np.ndarray,
) -> tuple[GroundTruth, ...]:
    """What a treatment plan would do: the patient's truth on each of ``days``.

    Parameters
    ----------
    spec : SimulationSpec
        The patient (its own ``treatments`` are kept; ``plan`` is added).
    plan : treatments to try
    days : days since the injury on which to predict
    canonical_vertices : (468, 3) array, cm

    Returns
    -------
    tuple of GroundTruth, one per day
    """
    for treatment in plan:
        validate_treatment(treatment)
    for day in days:
        if not (math.isfinite(day) and 0 <= day <= 36500):
            raise ModelError(f"prediction days must be in 0..36500, got {day}")
    nerve = build_nerve(spec)
    treatments = (*spec.treatments, *plan)
    face_mm = canonical_face_mm(canonical_vertices)
    fields = muscle_fields(canonical_vertices, face_mm)
    return tuple(ground_truth(nerve, day=float(day), face_mm=face_mm, fields=fields,
                              treatments=treatments) for day in days)

