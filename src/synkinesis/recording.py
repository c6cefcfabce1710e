"""The analysis' data model: one measured recording's per-side signals, and each region's
movement from rest. Pure array maths.

:class:`Recording` is what the analysis needs from a measured recording (a ``.synk`` file, a
simulated patient, a live stream); :func:`region_movements` turns its signals into each
region's movement from the rest baseline, per side and frame, in millimetres, signed so that
positive is the region's active direction (brow up, eye narrowing, fold shortening, lip up/down,
chin pad up). Sides are the PATIENT's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from synkinesis.quality import UNUSABLE, FrameFlag
from synkinesis.regions import SIDES, Side
from synkinesis.signals import signal_name

__all__ = ["MEASURED_REGIONS", "REGION_SIGNALS", "Baseline", "Recording", "RegionSignal",
           "baseline_columns", "region_movements", "rest_baseline"]


@dataclass(frozen=True)
class RegionSignal:
    """How a region's movement is read from the signal columns (per side)."""

    region: str
    quantity: str | None  # signal quantity, None for the neck (not covered by face landmarks)
    sign: float  # +1: movement = value - rest; -1: movement = rest - value
    meaning: str


REGION_SIGNALS: dict[str, RegionSignal] = {
    "brow": RegionSignal("brow", "brow_height", +1, "brow rise above rest (mm)"),
    "eye": RegionSignal("eye", "palpebral_fissure", -1,
                        "narrowing of the palpebral fissure from rest (mm)"),
    "nasolabial": RegionSignal("nasolabial", "nasolabial_length", -1,
                               "shortening of the alar-base-to-corner line (mm), a proxy of fold "
                               "deepening"),
    "mouth_corner": RegionSignal("mouth_corner", None, +1,
                                 "distance the mouth corner moved from rest (mm)"),
    "upper_lip": RegionSignal("upper_lip", "upper_lip_height", +1, "upper-lip rise (mm)"),
    "lower_lip": RegionSignal("lower_lip", "lower_lip_height", -1, "lower-lip descent (mm)"),
    "chin": RegionSignal("chin", "chin_height", +1, "chin-pad rise above the menton (mm)"),
    "neck": RegionSignal("neck", None, +1,
                         "not measurable: face landmarks do not cover the neck (platysma)"),
}

#: Regions whose movement the face landmarks measure (all but the neck), in display order: the
#: live feedback and the signal figure show these.
MEASURED_REGIONS: tuple[str, ...] = tuple(region for region in REGION_SIGNALS if region != "neck")


@dataclass(frozen=True, eq=False)
class Recording:
    """What the analysis needs from a measured recording.

    Attributes
    ----------
    time_s : (N,) float array
        Frame times, seconds, increasing.
    signals : mapping of column -> (N,) float array
        Signal columns of :mod:`synkinesis.signals` (``palpebral_fissure_left_mm``...), mm;
        NaN where the frame is unusable. Sides are the patient's.
    flags : (N,) int array
        :class:`synkinesis.quality.FrameFlag` bits.
    blendshapes : (N, B) float array or None
        MediaPipe expression coefficients 0..1 (NaN when absent), names in
        ``blendshape_names``.
    blendshape_names : tuple of str
    rest_hint : mapping of column -> float, optional
        A first rest reference (the measure step's), used only to find the quietest span.
    rest_hint_frames : (N,) bool array, optional
        The frames the measure step took as rest; preferred (not imposed) when the quietest
        span is searched.
    head_angles_deg : (N, 3) float array, optional
        Head yaw, pitch and roll relative to the camera per frame, degrees
        (:meth:`synkinesis.normalize.HeadPose.angles_deg`), NaN where no pose was fitted. A
        span where the head turns too much is not assessable
        (:func:`synkinesis.assessable.head_turn`); None (not known: simulated signals, photo
        sets) skips that rule.
    """

    time_s: np.ndarray
    signals: Mapping[str, np.ndarray]
    flags: np.ndarray
    blendshapes: np.ndarray | None = None
    blendshape_names: tuple[str, ...] = ()
    rest_hint: Mapping[str, float] | None = None
    rest_hint_frames: np.ndarray | None = None
    head_angles_deg: np.ndarray | None = None

    @property
    def n_frames(self) -> int:
        return int(np.asarray(self.time_s).shape[0])

    @property
    def duration_s(self) -> float:
        t = np.asarray(self.time_s)
        return float(t[-1] - t[0] + self.frame_interval_s) if t.size else 0.0

    @property
    def frame_interval_s(self) -> float:
        t = np.asarray(self.time_s, dtype=float)
        return float(np.median(np.diff(t))) if t.size > 1 else 1.0 / 30.0

    @property
    def usable(self) -> np.ndarray:
        """(N,) bool: frames without an UNUSABLE flag."""
        return (np.asarray(self.flags, dtype=np.int64) & int(UNUSABLE)) == 0

    @property
    def both_sides_seen(self) -> np.ndarray:
        """(N,) bool: usable frames with neither half covered (``HIDDEN_LEFT``/``RIGHT``: that
        side's signals are NaN there). Rest is taken from these only."""
        hidden = int(FrameFlag.HIDDEN_LEFT | FrameFlag.HIDDEN_RIGHT)
        return self.usable & ((np.asarray(self.flags, dtype=np.int64) & hidden) == 0)

    def side_signal(self, quantity: str, side: Side) -> np.ndarray:
        return np.asarray(self.signals[signal_name(quantity, side)], dtype=float)

    def blendshape(self, name: str) -> np.ndarray | None:
        if self.blendshapes is None or name not in self.blendshape_names:
            return None
        values = np.asarray(self.blendshapes[:, self.blendshape_names.index(name)], dtype=float)
        return values if np.isfinite(values).any() else None

    def blink_mask(self, *, pad_s: float = 0.1, offset_frames: int = 2) -> np.ndarray:
        """(N,) bool: frames in or near a blink of BOTH eyes (excluded from eye co-movement).

        A blink is bilateral: frames where one eye is flagged as blinking while the other is
        flagged within ``offset_frames`` (the lids rarely close on the same frame). A closure
        of one eye alone is never excluded, even when the measure step flags it as a blink of
        that eye: a brief one-sided closure on a smile is ocular-oral synkinesis. Blinks are
        padded by ``pad_s`` seconds because the lids are partly closed just before and after
        the frames the closure threshold catches.
        """
        flags = np.asarray(self.flags, dtype=np.int64)
        left = (flags & int(FrameFlag.BLINK_LEFT)) != 0
        right = (flags & int(FrameFlag.BLINK_RIGHT)) != 0
        blink = (left & _dilate(right, offset_frames)) | (right & _dilate(left, offset_frames))
        return _dilate(blink, int(round(pad_s / self.frame_interval_s)))


def _dilate(mask: np.ndarray, frames: int) -> np.ndarray:
    """``mask`` widened by ``frames`` on each side."""
    if frames <= 0 or not mask.any():
        return mask
    return np.convolve(mask.astype(float), np.ones(2 * frames + 1), mode="same") > 0


#: Baseline values of the columns needed by :func:`region_movements` (mm).
Baseline = Mapping[str, float]


def baseline_columns() -> tuple[str, ...]:
    """Signal columns whose rest values the movements are measured from."""
    quantities = ("brow_height", "palpebral_fissure", "nasolabial_length", "nasolabial_angle",
                  "mouth_corner_x", "mouth_corner_y", "upper_lip_height", "lower_lip_height",
                  "chin_height")
    return tuple(signal_name(q, side) for q in quantities for side in SIDES)


def rest_baseline(recording: Recording, rest_frames: np.ndarray) -> dict[str, float]:
    """Median of every baseline column over the rest frames (NaN-aware), mm / degrees."""
    mask = np.asarray(rest_frames, dtype=bool)
    out = {}
    for name in baseline_columns():
        values = np.asarray(recording.signals[name], dtype=float)[mask]
        out[name] = float(np.nanmedian(values)) if np.isfinite(values).any() else float("nan")
    return out


def region_movements(recording: Recording, baseline: Baseline) -> dict[Side, dict[str, np.ndarray]]:
    """Movement of every region from rest, per side and frame.

    Parameters
    ----------
    recording : Recording
    baseline : mapping of column -> float
        Rest values (:func:`rest_baseline`).

    Returns
    -------
    dict side -> dict region -> (N,) float array
        mm, positive in the region's active direction (see :data:`REGION_SIGNALS`), NaN where
        unusable; the neck is all NaN. Extra keys ``mouth_corner_rise`` (mm up),
        ``mouth_corner_lateral`` (mm away from the midline, negative = towards it) and
        ``nasolabial_angle`` (degrees from rest) serve segmentation and scale items.
    """
    out: dict[Side, dict[str, np.ndarray]] = {}
    for side in SIDES:
        moves: dict[str, np.ndarray] = {}
        for region, spec in REGION_SIGNALS.items():
            if spec.quantity is None:
                continue
            column = signal_name(spec.quantity, side)
            moves[region] = spec.sign * (recording.side_signal(spec.quantity, side)
                                         - baseline[column])
        dx = recording.side_signal("mouth_corner_x", side) - baseline[
            signal_name("mouth_corner_x", side)]
        dy = recording.side_signal("mouth_corner_y", side) - baseline[
            signal_name("mouth_corner_y", side)]
        moves["mouth_corner"] = np.hypot(dx, dy)
        moves["mouth_corner_rise"] = dy
        moves["mouth_corner_lateral"] = dx
        moves["nasolabial_angle"] = recording.side_signal("nasolabial_angle", side) - baseline[
            signal_name("nasolabial_angle", side)]
        moves["neck"] = np.full(recording.n_frames, np.nan)
        out[side] = moves
    return out
