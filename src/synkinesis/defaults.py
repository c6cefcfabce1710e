"""The measure step's defaults and choices, defined once: the landmarking methods, the default
method, the millimetre-scale references.

This module imports nothing but ``importlib.util`` (to see, without importing it, whether the
default landmark engine is installed), so that everyone can take them from here without
loading a stack:
the measure step (:class:`synkinesis.measure.MeasureOptions`), the CLI's option defaults (whose
``--help`` loads no array library), the record's settings (``measure_method``) and the simulator.
"""

from __future__ import annotations

import importlib.util

__all__ = ["DEFAULT_ENGINE", "DEFAULT_INTERPUPIL_MM", "DEFAULT_IRIS_DIAMETER_MM", "DEFAULT_METHOD",
           "DEFAULT_RESTING_LEVEL", "ENGINES", "METHODS"]

#: Landmarking methods, the assessment default first: what each costs and why it exists.
METHODS = {
    "composite-edges": "composite, with the central lid points and the mouth corners moved "
                       "onto the edges found in the pixels (the resting level from the upper "
                       "lids' and the corners' edges): sees 104-114 % of a one-sided eye "
                       "narrowing on a plain face, 88-101 % from 2 mm on a low-resolution "
                       "mascara face (1 mm: 62-71 %), 86-99 % of one present in every frame, "
                       "and 88-124 % of a mouth-corner movement, leak <= 9 % "
                       "(docs/one_sided.md); a half covered "
                       "by a hand is flagged and left out, the other half measured (the "
                       "assessment default)",
    "composite": "each side landmarked in its own half-face mirror composite, so the model has "
                 "no other side to copy (issue 8); two single-face inferences per frame; "
                 "sees 60-80 % of a one-sided eye narrowing, 56-104 % of a mouth-corner "
                 "movement, leak <= 8 %",
    "symmetric": "each frame landmarked as seen and mirrored, anatomically averaged: "
                 "mirror-equivariant, less noise; twice the inference time; "
                 "like fast, sees only 41-57 % of a one-sided eye narrowing and leaks 17-23 % "
                 "of it to the other eye (docs/one_sided.md)",
    "fast": "one landmark pass per frame (live use); the model's left/right noise remains; "
            "sees only 40-60 % of a one-sided eye narrowing and leaks 16-26 % of it (and "
            "15-31 % of a mouth-corner movement) to the other side (docs/one_sided.md)",
}

#: The method of every door (synk measure / analyze / record add, the web app) unless asked
#: otherwise: the assessment default, which sees a one-sided movement honestly.
DEFAULT_METHOD = "composite-edges"

#: Landmark engines (``synk measure --engine``): what runs the model bundle's networks.
ENGINES = {
    "litert": "the bundle's networks run directly with LiteRT, our own tracking loop "
              "(the default)",
    "mediapipe-tasks": "MediaPipe's Tasks API FaceLandmarker (the reference the LiteRT loop "
                       "is checked against)",
}

#: The engine unless asked otherwise: our own LiteRT loop. It costs less CPU per frame (the
#: honest default 0.54x the raw Tasks API FaceLandmarker against 0.39x) and measures no worse
#: than the Tasks API (issue 23): landmarks 0.012 and 0.031 px (median) from the Tasks API's on
#: the shared videos, every case of the one-sided validation within issue 18's targets, the
#: perturbed copies' calls as stable (docs/benchmarks.md, "Should litert be the default
#: engine?"). The Tasks API stays available as the reference (``--engine mediapipe-tasks``).
#: Where ai-edge-litert has no wheel (Intel Macs; pyproject.toml leaves it out there) the Tasks
#: API is the default instead, and the manifest says which engine measured.
DEFAULT_ENGINE = ("litert" if importlib.util.find_spec("ai_edge_litert") is not None
                  else "mediapipe-tasks")

#: Whose resting level composite-edges' refined signals keep (MeasureOptions.resting_level):
#: the eye's from its upper lids' edges (the lower lids' the model's), the mouth corner's and
#: fold's from the corner edges, so that a one-sided eye narrowing or corner raise present in
#: every frame is seen (issue 18, constant changes on single_face: eye 0.86..0.95 and corner
#: 0.98..1.19, against 0.62..0.73 and 0.74..0.87 at the model's level; docs/one_sided.md).
DEFAULT_RESTING_LEVEL = "upper-lid-and-corner-edges"

#: Horizontal visible iris diameter used for scale (Emotrics default, user-settable) [CLINICAL.md].
DEFAULT_IRIS_DIAMETER_MM = 11.77
#: Fallback inter-pupillary distance when the iris cannot be measured [CLINICAL.md].
DEFAULT_INTERPUPIL_MM = 63.0
