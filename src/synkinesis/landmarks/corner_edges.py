"""Mouth corners found in the pixels, seeded by the landmarks (issue 8).

The landmark model follows the height of a one-sided mouth-corner movement well but only about
half of its lateral part (measured on injected movements: 0.46-0.55 of the lateral, 0.80-1.02 of
the vertical component on single_face.mp4): its shape prior keeps the mouth's width "average".
The commissure itself is visible: going outwards along the line from the mouth's centre through
the corner, the dark mouth opening (the oral slit of a closed mouth, the lips and the dark
corridor beside the teeth of an open one) gives way to brighter skin. For each corner an
intensity profile is sampled along that line (the mean of three parallel lines 1 px apart), and
the corner moves along it to the centroid of the dark-to-bright edge energy under a soft window
(mean shift: the window starts on the landmark and is re-centred on the centroid once, so that
the landmark's own under-following does not pull the result back). Like the lid edges
(:mod:`synkinesis.landmarks.lid_edges`), it depends on the current frame only and never picks
one edge; the offset is smoothed over frames, the landmark carries the fast part of any
movement. The resting level stays the model's (the pipeline takes the refinement's median at
rest off every frame): the edge centroid's own offset from the commissure differs per side.

Pure array code plus ``cv2.remap`` for the profiles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from synkinesis.landmarks.lid_edges import STEP_PX, grey_profiles
from synkinesis.regions import SIDE_LANDMARKS, Side

#: Width (standard deviation) of the soft window around the landmark, fraction of the mouth width.
CENTROID_SIGMA = 0.15
#: Offsets beyond this fraction of the mouth width are not believed.
MAX_OFFSET = 0.20
#: Mean-shift steps: centroids computed, each with the window re-centred on the previous one
#: (one step leaves the centroid pulled towards the landmark, which follows only part of the
#: movement: 0.75 of a corner movement seen on single_face; two: 0.82-0.85; three: no better,
#: and more jumps between edges).
CENTROID_STEPS = 2
#: Parallel profile lines, pixels across the mouth axis (averaged: less pixel noise).
LINES_PX = (-1.0, 0.0, 1.0)
#: Minimum edge strength, grey levels per pixel, for a profile to count.
MIN_STRENGTH = 3.0
#: Exponential smoothing of the offsets from frame to frame (1 = none). It delays the part of a
#: movement the model misses: 0.15 saw 0.77 of single_face's 3 mm right-corner movement once
#: the composites' own MediaPipe smoothing was off (signals smoothed centred instead); 0.3 sees
#: 0.83; 0.5 let the edge's resting level wander (a 2.7 mm offset on the left corner).
OFFSET_SMOOTHING = 0.3
#: Below this mouth width (pixels) the corners are not refined (face too small).
MIN_MOUTH_PX = 12.0
#: Upper and lower inner-lip centre (the mouth's centre is their midpoint).
_LIP_CENTRE = (13, 14)


@dataclass
class MouthCornerTracker:
    """Per-corner state of the refinement (one tracker per video stream).

    ``offsets[side]``: float, pixels along the mouth axis (positive = outwards); absent until
    first found.
    """

    offsets: dict[str, float] = field(default_factory=dict)

    def reset(self, sides: tuple[Side, ...] = ("left", "right")) -> None:
        """Forget these sides' edges (they are found afresh in the next frame)."""
        for side in sides:
            self.offsets.pop(side, None)

    def refine(self, rgb: np.ndarray, landmarks_px: np.ndarray,
               sides: tuple[Side, ...] = ("left", "right")) -> tuple[np.ndarray, dict[str, bool]]:
        """Move the mouth-corner landmarks onto the commissures found in the pixels.

        Parameters
        ----------
        rgb : (H, W, 3) uint8 array, the frame
        landmarks_px : (478, 3) array, image pixels
        sides : the patient's sides to refine

        Returns
        -------
        landmarks : (478, 3) float array, a refined copy
        refined : dict side -> bool, whether that corner was moved in this frame
        """
        out = np.array(landmarks_px, dtype=float, copy=True)
        centre = 0.5 * (out[_LIP_CENTRE[0], :2] + out[_LIP_CENTRE[1], :2])
        corners = {side: out[SIDE_LANDMARKS[side].mouth_corner, :2].copy() for side in sides}
        width = float(np.linalg.norm(out[SIDE_LANDMARKS["left"].mouth_corner, :2]
                                     - out[SIDE_LANDMARKS["right"].mouth_corner, :2]))
        refined: dict[str, bool] = {}
        for side in sides:
            point = corners[side]
            length = float(np.linalg.norm(point - centre))
            if length <= 1e-6:  # degenerate landmarks
                refined[side] = False
                continue
            axis = (point - centre) / length
            previous = self.offsets.get(side)
            if width >= MIN_MOUTH_PX:
                found = _edge_offset(rgb, point, axis, width)
                if np.isfinite(found):
                    self.offsets[side] = (found if previous is None
                                          else previous + OFFSET_SMOOTHING * (found - previous))
            offset = self.offsets.get(side)
            if offset is None:
                refined[side] = False
                continue
            out[SIDE_LANDMARKS[side].mouth_corner, :2] = point + offset * axis
            refined[side] = True
        return out, refined


def _edge_offset(rgb: np.ndarray, point: np.ndarray, axis: np.ndarray, width: float) -> float:
    """Offset (px along ``axis``) of the dark-to-bright edge energy's centroid near ``point``,
    or NaN when the edges are too weak."""
    sigma = CENTROID_SIGMA * width
    limit = MAX_OFFSET * width
    reach = limit + 2.0 * sigma + 1.0
    t = np.arange(-reach, reach + 1e-9, STEP_PX)
    normal = np.array([-axis[1], axis[0]])
    lines = np.asarray(LINES_PX)
    xy = point + t[None, :, None] * axis + lines[:, None, None] * normal  # (L, T, 2)
    profile = grey_profiles(rgb, xy).mean(axis=0)
    slope = np.gradient(profile, STEP_PX)  # outwards: dark -> bright is positive
    energy = np.clip(slope, 0.0, None) ** 2
    energy[np.abs(t) > limit] = 0.0
    centre = 0.0
    for step in range(CENTROID_STEPS):
        weight = energy * np.exp(-0.5 * ((t - centre) / sigma) ** 2)
        total = float(weight.sum())
        if total <= (MIN_STRENGTH**2) * sigma / STEP_PX:
            return float("nan") if step == 0 else centre
        centre = float(weight @ t / total)
    return centre
