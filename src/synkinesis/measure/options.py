"""What ``synk measure`` is asked to do (:class:`MeasureOptions`), and the names its outputs
use: refined signals, blendshape order, per-frame landmark source codes. The defaults and the
landmarking methods are :mod:`synkinesis.defaults`' (re-exported here as ``METHODS``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from synkinesis.defaults import (  # noqa: F401  (ENGINES: re-exported where it was)
    DEFAULT_ENGINE,
    DEFAULT_INTERPUPIL_MM,
    DEFAULT_IRIS_DIAMETER_MM,
    DEFAULT_METHOD,
    DEFAULT_RESTING_LEVEL,
    ENGINES,
    METHODS,
)
from synkinesis.landmarks.composite import SOURCE_NAMES
from synkinesis.landmarks.sources import InputError
from synkinesis.quality import QualityLimits
from synkinesis.regions import SIDES
from synkinesis.signals import signal_name

__all__ = ["BLENDSHAPE_NAMES", "CORNER_REFINED", "DEFAULT_METHOD", "LID_REFINED", "METHODS",
           "N_BLENDSHAPES", "REFINED_SIGNALS", "SOURCE_CODES", "MeasureError", "MeasureOptions"]


class MeasureError(RuntimeError):
    """A recording that cannot give a result (no face anywhere, nothing decodable)."""


#: Which refinement changes which quantity: the lid edges the eye's, the corner edge the
#: mouth corner's and the fold's (drawn to the corner).
LID_REFINED = ("palpebral_fissure", "eye_area", "eye_aspect_ratio")
CORNER_REFINED = ("mouth_corner_x", "mouth_corner_y", "nasolabial_length", "nasolabial_angle")
#: The chin pad's texture registration (:mod:`synkinesis.landmarks.chin_texture`) the chin
#: height's.
CHIN_REFINED = ("chin_height",)
#: The chin height of the patient's (left, right) side, in that order.
CHIN_REFINED_SIGNALS = tuple(signal_name(quantity, side) for quantity in CHIN_REFINED
                             for side in SIDES)


def chin_texture_key(name: str) -> str:
    """Key of a chin signal's per-frame fine texture among the landmark pass' refinement."""
    return f"{name}:texture"
#: Whose resting level refined signals can keep (:attr:`MeasureOptions.resting_level`).
RESTING_LEVELS = ("model", "edges", "corner-edges", "upper-lid-edges",
                  "upper-lid-and-corner-edges")
#: The levels under which the eye signals keep their upper lids' edge level.
UPPER_LID_LEVELS = ("upper-lid-edges", "upper-lid-and-corner-edges")
#: The eye signals the lid edges refine (their upper lids' share is reported apart).
LID_REFINED_SIGNALS = tuple(signal_name(quantity, side) for quantity in LID_REFINED
                            for side in SIDES)


def upper_lid_share(name: str) -> str:
    """Key of the upper lids' share of an eye signal's refinement (landmark pass)."""
    return f"{name}:upper_lid"


def upper_lid_level_signals(resting_level: str) -> tuple[str, ...]:
    """The eye signals whose upper lids keep their edges' resting level under
    ``resting_level``."""
    return LID_REFINED_SIGNALS if resting_level in UPPER_LID_LEVELS else ()


def edge_level_signals(resting_level: str) -> tuple[str, ...]:
    """The refined signals that keep the pixel refinements' resting level under
    ``resting_level`` (one of :data:`RESTING_LEVELS`)."""
    quantities = {"model": (), "edges": LID_REFINED + CORNER_REFINED,
                  "corner-edges": CORNER_REFINED, "upper-lid-edges": (),
                  "upper-lid-and-corner-edges": CORNER_REFINED}[resting_level]
    return tuple(signal_name(quantity, side) for quantity in quantities for side in SIDES)


#: Signals that a pixel refinement of the lids or mouth corners changes; their level at rest is
#: kept the model's (:func:`synkinesis.measure.calibrate.keep_rest_level`).
REFINED_SIGNALS = tuple(signal_name(quantity, side)
                        for quantity in LID_REFINED + CORNER_REFINED + CHIN_REFINED
                        for side in SIDES)

#: Per-frame, per-side landmark source codes (columns ``landmark_source_{side}``).
SOURCE_CODES = {name: code for code, name in SOURCE_NAMES.items()}

N_BLENDSHAPES = 52

# MediaPipe's blendshape order (ARKit names); mirroring swaps the Left/Right members.
BLENDSHAPE_NAMES: tuple[str, ...] = (
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft",
    "browOuterUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft",
    "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight",
    "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft",
    "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen",
    "jawRight", "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight", "mouthRollLower",
    "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight",
    "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft", "noseSneerRight",
)


@dataclass(frozen=True)
class MeasureOptions:
    """Options of ``synk measure`` (all documented in its --help)."""

    iris_diameter_mm: float = DEFAULT_IRIS_DIAMETER_MM
    interpupil_mm: float = DEFAULT_INTERPUPIL_MM
    mirrored: bool = False  # input shows the patient as in a mirror (selfie camera)
    method: str = DEFAULT_METHOD  # one of METHODS
    rest_span_s: tuple[float, float] | None = None
    min_confidence: float = 0.5
    limits: QualityLimits = field(default_factory=QualityLimits)
    model_path: str | None = None
    #: One of ENGINES.
    engine: str = DEFAULT_ENGINE
    #: The pixel refinements' resting offsets ((signal name, offset in that signal's unit)
    #: pairs, as in a result's manifest ``refinement_rest_offsets.values``) from a neutral
    #: recording of the same face, used instead of the ones taken from this recording's
    #: quietest frames: a recording without a neutral face cannot tell a one-sided change that
    #: never leaves it from the lashes' offset (docs/one_sided.md, Session 6). Developer option
    #: (the validation's "known level"); ``composite-edges`` only.
    refinement_levels: tuple[tuple[str, float], ...] | None = None
    #: Whose resting level the refined signals keep: "model" (the landmark model's: the
    #: refinements add movement only), "edges" (the pixel refinements' own, eye and mouth:
    #: a one-sided change present in every frame is seen, but each edge's own per-side offset
    #: is kept as asymmetry) or "corner-edges" (the mouth corner's and fold's edges, the eye's
    #: model) or "upper-lid-edges" (the eye signals keep their upper lids' edge level and the
    #: model's lower lids plus the lower lids' movement; the rest the model's) or
    #: "upper-lid-and-corner-edges" (the eye as "upper-lid-edges", the mouth corner and fold
    #: their edges' own level): :func:`synkinesis.measure.calibrate.keep_rest_level`,
    #: docs/dev/one_sided_history.md, sessions 7 and 9. None: the method's default (composite-edges:
    #: :data:`synkinesis.defaults.DEFAULT_RESTING_LEVEL`; the other methods have no
    #: refinement and so "model"). Developer option; other than "model" ``composite-edges``
    #: only. :attr:`level` is the one in effect.
    resting_level: str | None = None
    #: Store each input's full path in the result (default: its file name and sha256 only;
    #: folder names often hold user or patient names).
    keep_paths: bool = False
    #: Measure a video that decodes far fewer frames than its container declares
    #: (:data:`synkinesis.measure.run.MIN_DECODED_FRACTION`) instead of refusing it; the
    #: manifest records it.
    allow_truncated: bool = False
    #: Turn a video or photo whose face is upside down or on its side upright before
    #: landmarking (:mod:`synkinesis.landmarks.orientation`); False measures it as recorded.
    auto_orient: bool = True
    #: Refine the chin pad's height by registering its texture
    #: (:mod:`synkinesis.landmarks.chin_texture`; a side whose pad has too little fine
    #: texture over the recording keeps the model's chin). Developer option, not yet the
    #: default (docs/one_sided.md, "Chin-pad texture"); ``composite-edges`` only, and videos
    #: only (it follows the pad from frame to frame; each photo keeps the model's chin).
    chin_texture: bool = False

    def validate(self) -> None:
        if not 5.0 <= self.iris_diameter_mm <= 20.0:
            raise InputError(
                f"iris diameter must be between 5 and 20 mm, got {self.iris_diameter_mm}")
        if not 30.0 <= self.interpupil_mm <= 100.0:
            raise InputError(
                f"inter-pupillary distance must be between 30 and 100 mm, got {self.interpupil_mm}")
        if self.method not in METHODS:
            raise InputError(f"method must be one of {', '.join(METHODS)}, got {self.method!r}")
        if self.engine not in ENGINES:
            raise InputError(f"engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if not 0.0 < self.min_confidence < 1.0:
            raise InputError(f"confidence must be between 0 and 1, got {self.min_confidence}")
        if self.rest_span_s is not None and not 0 <= self.rest_span_s[0] < self.rest_span_s[1]:
            raise InputError(f"rest span must be START:END seconds with START < END, "
                             f"got {self.rest_span_s}")
        if self.resting_level is not None and self.resting_level not in RESTING_LEVELS:
            raise InputError(f"resting level must be one of {', '.join(RESTING_LEVELS)}, "
                             f"got {self.resting_level!r}")
        if self.level != "model" and self.method != "composite-edges":
            raise InputError(f"a resting level of the pixel refinements is for the "
                             f"composite-edges method, not {self.method!r}")
        if self.chin_texture and self.method != "composite-edges":
            raise InputError(f"the chin-pad texture refinement is part of the composite-edges "
                             f"method, not {self.method!r}")
        if self.refinement_levels:
            if self.method != "composite-edges":
                raise InputError(f"refinement levels are for the composite-edges method (its "
                                 f"pixel refinements), not {self.method!r}")
            levels = dict(self.refinement_levels)
            unknown = sorted(set(levels) - set(REFINED_SIGNALS)
                             - {upper_lid_share(name) for name in LID_REFINED_SIGNALS})
            if unknown:
                raise InputError(f"refinement levels for signals no refinement changes: "
                                 f"{', '.join(unknown)}")
            try:
                finite = all(np.isfinite(float(v)) for v in levels.values())
            except (TypeError, ValueError):
                finite = False
            if not finite:
                raise InputError("refinement levels must be finite numbers")

    @property
    def level(self) -> str:
        """The resting level in effect (:attr:`resting_level`, or the method's default)."""
        if self.resting_level is not None:
            return self.resting_level
        return DEFAULT_RESTING_LEVEL if self.method == "composite-edges" else "model"

    def as_dict(self) -> dict[str, Any]:
        """The options as the manifest stores them (JSON types; the resting level in effect)."""
        out = asdict(self)
        out["resting_level"] = self.level
        out["limits"] = asdict(self.limits)
        if self.refinement_levels is not None:
            out["refinement_levels"] = dict(self.refinement_levels)
        return out
