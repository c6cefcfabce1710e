"""Per-frame quality flags. Pure array maths.

Flags are bits of one integer per frame, so a frame can carry several. ``UNUSABLE`` frames should
not enter any measurement; blinks and closed eyes are facts about the face, not errors, and later
stages decide what to do with them (blinks are excluded from ocular synkinesis).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag

import numpy as np


class FrameFlag(IntFlag):
    NO_FACE = 1
    MULTIPLE_FACES = 2  # others present; the main face was measured
    POSE_LIMIT = 4  # head turned or tilted beyond the limits
    BLINK_LEFT = 8  # short closure of the patient's left eye
    BLINK_RIGHT = 16
    EYE_CLOSED_LEFT = 32  # any closure of the left eye (blinks and sustained closure)
    EYE_CLOSED_RIGHT = 64
    PARTLY_OUTSIDE = 128  # part of the face is outside the frame
    SMALL_FACE = 256  # too few pixels across the iris for a reliable scale
    FIT_OUTLIER = 512  # landmarks distorted (occlusion such as a hand, or a failed fit)
    HALF_HIDDEN = 1024  # both halves found covered within HIDDEN_PAD_S (result files before
    #                     per-side flags: one half covered, the whole frame unusable)
    HIDDEN_LEFT = 2048  # the patient's left half is covered (a hand over it): its signals are
    #                     not measured in this frame (NaN); composite methods only
    HIDDEN_RIGHT = 4096


UNUSABLE = (
    FrameFlag.NO_FACE
    | FrameFlag.POSE_LIMIT
    | FrameFlag.PARTLY_OUTSIDE
    | FrameFlag.SMALL_FACE
    | FrameFlag.FIT_OUTLIER
    | FrameFlag.HALF_HIDDEN
)

#: A covered half is flagged this long before and after the frames found covered, seconds: a
#: hand comes in and leaves over a few frames, and the tests miss some of them. On
#: WolfgangLanger_Pexels.mp4 (hand 2.3..9.7 s, 177 frames) the composite engine's tests find
#: 161 hand frames and 4 others; padded, 172 and 6 (a fast turn of the head at 16.5 s).
HIDDEN_PAD_S = 0.1

#: The per-side "covered" flags: that side's signals are NaN, the other side is measured.
HIDDEN_SIDE = {"left": FrameFlag.HIDDEN_LEFT, "right": FrameFlag.HIDDEN_RIGHT}

FLAG_DESCRIPTIONS: dict[str, str] = {
    "NO_FACE": "no face found",
    "MULTIPLE_FACES": "more than one face; the main (largest, most central) face was measured",
    "POSE_LIMIT": "head turned or tilted beyond the pose limits",
    "BLINK_LEFT": "blink of the patient's left eye (closure shorter than the blink limit, or "
                  "both eyes briefly below half their open height: a partial blink)",
    "BLINK_RIGHT": "blink of the patient's right eye",
    "EYE_CLOSED_LEFT": "the patient's left eye is closed",
    "EYE_CLOSED_RIGHT": "the patient's right eye is closed",
    "PARTLY_OUTSIDE": "part of the face lies outside the frame",
    "SMALL_FACE": "face too small for reliable millimetres",
    "FIT_OUTLIER": "landmarks distorted, e.g. by a hand over the face",
    "HALF_HIDDEN": f"both halves of the face were found covered within {HIDDEN_PAD_S:g} s, so "
                   "neither side is measured (in result files made before the per-side flags: "
                   "one half covered, the whole frame left out)",
    **{f"HIDDEN_{side.upper()}": (
        f"the patient's {side} half of the face is covered (a hand or an object), so its "
        "signals would be guesses and are not given (the other side is measured): mirrored "
        "into a whole face, that half was not a face to the landmark model (face presence "
        "below its limit), or its lips and chin disagreed with the other half's; frames "
        f"within {HIDDEN_PAD_S:g} s of one are flagged too (composite methods only)")
        for side in ("left", "right")},
}


@dataclass(frozen=True)
class QualityLimits:
    """Thresholds for the flags (documented defaults, all configurable)."""

    max_yaw_deg: float = 25.0
    max_pitch_deg: float = 25.0
    max_roll_deg: float = 45.0
    eye_closed_fraction: float = 0.35  # fissure below this fraction of the open-eye height
    partial_blink_fraction: float = 0.5  # both fissures below this at once, briefly: a blink
    blink_max_s: float = 0.5  # closures shorter than this are blinks
    min_iris_px: float = 4.0
    max_outside_fraction: float = 0.02
    outlier_mad: float = 6.0  # pose-fit residual beyond median + k * MAD


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of True values."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2], edges[1::2]))


def distance_to_frames(time_s: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(N,) seconds from each frame to the nearest frame in ``mask`` (0 on them, inf if none).
    ``time_s`` increasing."""
    t = np.asarray(time_s, dtype=float)
    marked = t[np.asarray(mask, dtype=bool)]
    if marked.size == 0:
        return np.full(t.shape, np.inf)
    position = np.searchsorted(marked, t)
    before = np.abs(t - marked[np.clip(position - 1, 0, marked.size - 1)])
    after = np.abs(marked[np.clip(position, 0, marked.size - 1)] - t)
    return np.minimum(before, after)


def eye_closure_flags(
    fissure_mm: np.ndarray,
    time_s: np.ndarray,
    usable: np.ndarray,
    *,
    limits: QualityLimits,
) -> tuple[np.ndarray, np.ndarray]:
    """Closed-eye and blink masks for one eye.

    The open-eye reference is the 90th percentile of the fissure height over usable frames, so
    it adapts to the patient's own eye.

    Returns
    -------
    closed, blink : (N,) bool arrays
    """
    fissure = np.asarray(fissure_mm, dtype=float)
    good = usable & np.isfinite(fissure)
    closed = np.zeros(fissure.shape, dtype=bool)
    blink = np.zeros(fissure.shape, dtype=bool)
    if not good.any():
        return closed, blink
    open_height = np.percentile(fissure[good], 90)
    closed = good & (fissure < limits.eye_closed_fraction * open_height)
    times = np.asarray(time_s, dtype=float)
    for start, stop in _runs(closed):
        duration = times[stop - 1] - times[start]
        if duration < limits.blink_max_s:
            blink[start:stop] = True
    return closed, blink


def partial_blinks(
    fissure_left_mm: np.ndarray,
    fissure_right_mm: np.ndarray,
    time_s: np.ndarray,
    usable: np.ndarray,
    *,
    limits: QualityLimits,
) -> np.ndarray:
    """(N,) bool: blinks that do not close the eyes (about one blink in five).

    Both fissures below ``limits.partial_blink_fraction`` of their open height (90th
    percentile over usable frames) at once, for less than ``limits.blink_max_s``. Both eyes
    and brief: a one-sided narrowing (synkinesis) or a sustained squint is not a blink. Where
    one eye is not measured (its half covered: NaN) the other decides; the two sides cannot
    be compared there anyway. On WolfgangLanger_Pexels.mp4 one at 10.3 s (both eyes to
    41-46 % of open for two frames) and one of her left eye at 8.4 s, her right half under
    her hand (to 50 %); none on single_face.mp4 besides its full blink.
    """
    times = np.asarray(time_s, dtype=float)
    out = np.zeros(times.shape, dtype=bool)
    low = np.asarray(usable, dtype=bool).copy()
    measured = np.zeros(times.shape, dtype=bool)
    for fissure in (fissure_left_mm, fissure_right_mm):
        fissure = np.asarray(fissure, dtype=float)
        finite = np.isfinite(fissure)
        good = usable & finite
        if not good.any():
            continue
        # An eye not measured in a frame (its half covered) leaves the test to the other.
        with np.errstate(invalid="ignore"):
            low &= ~finite | (fissure < limits.partial_blink_fraction
                              * np.percentile(fissure[good], 90))
        measured |= finite
    low &= measured
    for start, stop in _runs(low):
        if times[stop - 1] - times[start] < limits.blink_max_s:
            out[start:stop] = True
    return out


def fit_outliers(residual: np.ndarray, valid: np.ndarray, *, limits: QualityLimits) -> np.ndarray:
    """Frames whose pose-fit residual is far above the recording's typical residual."""
    residual = np.asarray(residual, dtype=float)
    good = valid & np.isfinite(residual)
    out = np.zeros(residual.shape, dtype=bool)
    if good.sum() < 5:
        return out
    median = np.median(residual[good])
    mad = np.median(np.abs(residual[good] - median)) * 1.4826
    threshold = median + limits.outlier_mad * max(mad, 0.05 * median)
    out[good] = residual[good] > threshold
    return out


def describe_flags(value: int) -> list[str]:
    """Names of the flags set in one frame's value."""
    return [flag.name for flag in FrameFlag if value & flag and flag.name]


def flag_counts(flags: np.ndarray) -> dict[str, int]:
    """How many frames carry each flag."""
    flags = np.asarray(flags, dtype=np.int64)
    return {flag.name: int(((flags & flag) != 0).sum()) for flag in FrameFlag if flag.name}
