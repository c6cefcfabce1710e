"""Lid margins found in the pixels, seeded by the landmarks (issue 8).

Landmark models follow only part of a real lid movement (their shape prior keeps the eye
"average"). The lid margin itself is an intensity edge: going down across the upper lid, skin
(bright) gives way to lashes, lid margin and iris (dark); across the lower lid, the eye opening
(dark) gives way to skin (bright). For each central lid landmark (three upper, three lower per
eye) an intensity profile is sampled along the eye's normal, and the landmark is moved to the
centroid of the edge energy of the expected polarity under a soft window around it. A lid with
heavy lashes has several edges (lash tips, lash line, margin) that move together: their centroid
follows the lid without choosing between them, and depends on the current frame only (tracking
one chosen edge locked onto different edges in different runs on a mascara face: measured seen
-0.12..1.01 with up to 0.76 leak; the centroid: 0.66..0.84, leak <= 0.08). The offset from the
landmark is smoothed over frames; the landmark carries the fast part of any movement, so the
smoothing delays only the part the model misses.

Pure array code plus ``cv2.remap`` for the profiles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from synkinesis.regions import SIDE_LANDMARKS, Side

#: Profile sampling step, pixels (landmark convention), and half-length relative to the fissure.
STEP_PX = 0.25
#: Width (standard deviation) of the soft window around the landmark, fraction of the fissure.
CENTROID_SIGMA = 0.25
#: Offsets beyond this fraction of the fissure height are not believed (the edge is elsewhere).
MAX_OFFSET = 0.5
#: Minimum edge strength, grey levels per pixel, for a profile to count.
MIN_STRENGTH = 3.0
#: Exponential smoothing of the offsets (1 = none).
OFFSET_SMOOTHING = 0.2
#: Below this fissure (pixels) the lids cannot be told apart: the offsets are held.
MIN_FISSURE_PX = 2.5


def grey_profiles(rgb: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Grey-level profiles of a frame sampled at points ``xy`` (..., T, 2) (landmark
    convention: pixel i spans [i, i + 1]), spaced :data:`STEP_PX` along the T axis, smoothed
    along it by ~0.5 px (binomial 1-4-6-4-1, ends padded). Returns (..., T) floats.

    Only the sampled points are converted to grey (ITU-R BT.601), not the whole frame.
    """
    import cv2

    shape = xy.shape[:-1]
    flat = xy.reshape(-1, shape[-1], 2)
    colour = cv2.remap(rgb, (flat[..., 0] - 0.5).astype(np.float32),
                       (flat[..., 1] - 0.5).astype(np.float32), interpolation=cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE).astype(float)
    raw = colour @ np.array([0.299, 0.587, 0.114])
    # The ends repeated twice (np.pad's "edge" mode, without its per-call overhead).
    first, last = raw[:, :1], raw[:, -1:]
    padded = np.concatenate([first, first, raw, last, last], axis=1)
    smooth = (padded[:, :-4] + 4 * padded[:, 1:-3] + 6 * padded[:, 2:-2]
              + 4 * padded[:, 3:-1] + padded[:, 4:]) / 16.0
    return smooth.reshape(shape)


@dataclass
class LidEdgeTracker:
    """Per-eye state of the lid-edge refinement (one tracker per video stream).

    ``offsets[side]``: (6,) float array, pixels along the eye normal (image "down"), for the
    upper-lid then lower-lid landmarks of :data:`SIDE_LANDMARKS`; NaN until first found.
    """

    offsets: dict[str, np.ndarray] = field(default_factory=dict)

    def reset(self, sides: tuple[Side, ...] = ("left", "right")) -> None:
        """Forget these sides' edges (they are found afresh in the next frame)."""
        for side in sides:
            self.offsets.pop(side, None)

    def refine(self, rgb: np.ndarray, landmarks_px: np.ndarray,
               sides: tuple[Side, ...] = ("left", "right")) -> tuple[np.ndarray, dict[str, bool]]:
        """Move the central lid landmarks onto the tracked lid edges.

        Parameters
        ----------
        rgb : (H, W, 3) uint8 array, the frame (grey levels are taken along the profiles only)
        landmarks_px : (478, 3) array, image pixels
        sides : the patient's sides to refine

        Returns
        -------
        landmarks : (478, 3) float array, a refined copy
        refined : dict side -> bool, whether that eye's lids were moved in this frame
        """
        out = np.array(landmarks_px, dtype=float, copy=True)
        refined: dict[str, bool] = {}
        for side in sides:
            refined[side] = self._refine_eye(rgb, out, side)
        return out, refined

    def _refine_eye(self, rgb: np.ndarray, landmarks: np.ndarray, side: Side) -> bool:
        lm = SIDE_LANDMARKS[side]
        indices = list(lm.upper_lid) + list(lm.lower_lid)
        lateral, medial = landmarks[lm.lateral_canthus, :2], landmarks[lm.medial_canthus, :2]
        axis = (medial - lateral) / max(float(np.linalg.norm(medial - lateral)), 1e-6)
        normal = np.array([-axis[1], axis[0]])
        if normal[1] < 0:
            normal = -normal
        points = landmarks[indices, :2]
        fissure = float(np.mean((points[3:] - points[:3]) @ normal))  # > 0 when open
        previous = self.offsets.get(side)
        if fissure >= MIN_FISSURE_PX:
            found = self._edges(rgb, points, normal, fissure)
            if previous is None:
                current = found
            else:
                current = np.where(np.isfinite(previous),
                                   previous + OFFSET_SMOOTHING * (found - previous), found)
                current = np.where(np.isfinite(current), current, previous)
            self.offsets[side] = current
        offsets = self.offsets.get(side)
        if offsets is None or not np.isfinite(offsets).any():
            return False
        # A point whose edge was never found moves with the other points of its lid.
        filled = offsets.copy()
        for lid in (slice(0, 3), slice(3, 6)):
            part = filled[lid]
            mean = np.nanmean(part) if np.isfinite(part).any() else 0.0
            filled[lid] = np.where(np.isfinite(part), part, mean)
        self._apply(landmarks, indices, normal, filled)
        return True

    @staticmethod
    def _apply(landmarks: np.ndarray, indices: list[int], normal: np.ndarray,
               offsets: np.ndarray) -> None:
        landmarks[indices, :2] += offsets[:, None] * normal

    @staticmethod
    def _edges(rgb: np.ndarray, points: np.ndarray, normal: np.ndarray,
               fissure: float) -> np.ndarray:
        """(6,) offsets of the strongest edge of the right polarity near each lid point."""
        limit = MAX_OFFSET * fissure
        reach = limit + 1.0
        t = np.arange(-reach, reach + 1e-9, STEP_PX)
        xy = points[:, None, :] + t[None, :, None] * normal  # (6, T, 2)
        profile = grey_profiles(rgb, xy)
        slope = np.gradient(profile, STEP_PX, axis=1)
        strength = np.concatenate([-slope[:3], slope[3:]])  # upper: bright->dark going down
        # Centroid of the edge energy under a soft window around the landmark: a lid with heavy
        # lashes has several edges (lash tips, lash line, margin) that move together; their
        # centroid follows the lid without ever choosing between them, and depends only on the
        # current frame.
        sigma = CENTROID_SIGMA * fissure
        weight = np.clip(strength, 0.0, None) ** 2 * np.exp(-0.5 * (t / sigma) ** 2)
        weight[:, np.abs(t) > limit] = 0.0
        total = weight.sum(axis=1)
        offsets = np.full(6, np.nan)
        enough = total > (MIN_STRENGTH**2) * sigma / STEP_PX
        offsets[enough] = (weight[enough] @ t) / total[enough]
        return offsets
