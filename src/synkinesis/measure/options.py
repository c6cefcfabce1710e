"""What ``synk measure`` is asked to do (:class:`MeasureOptions`), and the names its outputs
use: landmarking methods, refined signals, blendshape order, per-frame landmark source codes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from synkinesis.landmarks.composite import SOURCE_NAMES
from synkinesis.landmarks.sources import InputError
from synkinesis.normalize import DEFAULT_INTERPUPIL_MM, DEFAULT_IRIS_DIAMETER_MM
from synkinesis.quality import QualityLimits
from synkinesis.regions import SIDES
from synkinesis.signals import signal_name


class MeasureError(RuntimeError):
    """A recording that cannot give a result (no face anywhere, nothing decodable)."""


#: Landmarking methods: what each costs and why it exists.
METHODS = {
    "symmetric": "each frame landmarked as seen and mirrored, anatomically averaged: "
                 "mirror-equivariant, less noise; twice the inference time; "
                 "like fast, sees only 41-57 % of a one-sided eye narrowing and leaks 17-23 % "
                 "of it to the other eye (docs/one_sided.md)",
    "fast": "one landmark pass per frame (live use); the model's left/right noise remains; "
            "sees only 40-60 % of a one-sided eye narrowing and leaks 16-26 % of it (and "
            "15-31 % of a mouth-corner movement) to the other side (docs/one_sided.md)",
    "composite": "each side landmarked in its own half-face mirror composite, so the model has "
                 "no other side to copy (issue 8); two single-face inferences per frame; "
                 "sees 60-80 % of a one-sided eye narrowing, 56-104 % of a mouth-corner "
                 "movement, leak <= 8 %",
    "composite-edges": "composite, with the central lid points and the mouth corners moved "
                       "onto the edges found in the pixels (resting level kept the model's): "
                       "sees 75-115 % of a one-sided eye narrowing (102-115 % on a plain face, "
                       "75-95 % on a mascara face) and 86-122 % of a mouth-corner movement, "
                       "leak <= 9 % (docs/one_sided.md); a half covered by a hand is flagged "
                       "and left out, the other half measured (the assessment default)",
}

#: Which refinement changes which quantity: the lid edges the eye's, the corner edge the
#: mouth corner's and the fold's (drawn to the corner).
LID_REFINED = ("palpebral_fissure", "eye_area", "eye_aspect_ratio")
CORNER_REFINED = ("mouth_corner_x", "mouth_corner_y", "nasolabial_length", "nasolabial_angle")
#: Signals that a pixel refinement of the lids or mouth corners changes; their level at rest is
#: kept the model's (:func:`synkinesis.measure.calibrate.keep_rest_level`).
REFINED_SIGNALS = tuple(signal_name(quantity, side)
                        for quantity in LID_REFINED + CORNER_REFINED for side in SIDES)

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


#: Landmark engines (``synk measure --engine``): what runs the bundle's networks.
ENGINES = {
    "mediapipe-tasks": "MediaPipe's Tasks API FaceLandmarker (the reference)",
    "litert": "the bundle's networks run directly with LiteRT, our own tracking loop "
              "(needs the 'fast' extra)",
}


@dataclass(frozen=True)
class MeasureOptions:
    """Options of ``synk measure`` (all documented in its --help)."""

    iris_diameter_mm: float = DEFAULT_IRIS_DIAMETER_MM
    interpupil_mm: float = DEFAULT_INTERPUPIL_MM
    mirrored: bool = False  # input shows the patient as in a mirror (selfie camera)
    method: str = "composite-edges"  # one of METHODS; the assessment default sees one side honestly
    rest_span_s: tuple[float, float] | None = None
    min_confidence: float = 0.5
    limits: QualityLimits = field(default_factory=QualityLimits)
    model_path: str | None = None
    #: One of ENGINES.
    engine: str = "mediapipe-tasks"
    #: The pixel refinements' resting offsets ((signal name, offset in that signal's unit)
    #: pairs, as in a result's manifest ``refinement_rest_offsets.values``) from a neutral
    #: recording of the same face, used instead of the ones taken from this recording's
    #: quietest frames: a recording without a neutral face cannot tell a one-sided change that
    #: never leaves it from the lashes' offset (docs/one_sided.md, Session 6). Developer option
    #: (the validation's "known level"); ``composite-edges`` only.
    refinement_levels: tuple[tuple[str, float], ...] | None = None
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
        if self.refinement_levels:
            if self.method != "composite-edges":
                raise InputError(f"refinement levels are for the composite-edges method (its "
                                 f"pixel refinements), not {self.method!r}")
            levels = dict(self.refinement_levels)
            unknown = sorted(set(levels) - set(REFINED_SIGNALS))
            if unknown:
                raise InputError(f"refinement levels for signals no refinement changes: "
                                 f"{', '.join(unknown)}")
            try:
                finite = all(np.isfinite(float(v)) for v in levels.values())
            except (TypeError, ValueError):
                finite = False
            if not finite:
                raise InputError("refinement levels must be finite numbers")

    def as_dict(self) -> dict[str, Any]:
        """The options as the manifest stores them (JSON types)."""
        out = asdict(self)
        out["limits"] = asdict(self.limits)
        if self.refinement_levels is not None:
            out["refinement_levels"] = dict(self.refinement_levels)
        return out
