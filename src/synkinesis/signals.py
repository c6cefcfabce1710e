"""Region signals per side and per frame, from head-frame landmarks. Pure array maths.

Every signal is named ``<quantity>_<side>_<unit>`` (side from the patient's view) or
``<quantity>_<unit>`` for whole-face quantities. Geometry is measured in the head frame (pose
removed, y up, x towards the patient's left), in the frontal (x, y) plane unless stated: depth from
a single camera is the least reliable coordinate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from synkinesis.regions import SIDE_LANDMARKS, SIDES, Side

Unit = Literal["mm", "mm2", "deg", "ratio"]


@dataclass(frozen=True)
class SignalDefinition:
    """What a signal column means."""

    name: str
    region: str
    side: Side | None
    unit: Unit
    description: str


_SIDE_SIGNALS: tuple[tuple[str, str, Unit, str], ...] = (
    ("brow_height", "brow", "mm",
     "height of the upper brow contour above the pupil (iris centre), as in Emotrics; frame to "
     "frame it follows the medial canthus, which stays put when the eye closes"),
    ("palpebral_fissure", "eye", "mm",
     "vertical opening of the eye: mean of three central upper-to-lower lid distances"),
    ("eye_area", "eye", "mm2", "area of the palpebral fissure outline (16 lid-margin points)"),
    ("eye_aspect_ratio", "eye", "ratio",
     "eye aspect ratio (|p1-p5| + |p2-p4|) / (2 |p0-p3|), JeFaPaTo definition"),
    ("nasolabial_length", "nasolabial", "mm", "distance from the alar base to the mouth corner"),
    ("nasolabial_angle", "nasolabial", "deg",
     "angle of the alar-base-to-mouth-corner line from vertical, positive when the corner lies "
     "lateral to the ala"),
    ("mouth_corner_x", "mouth_corner", "mm",
     "lateral distance of the mouth corner from the midline"),
    ("mouth_corner_y", "mouth_corner", "mm",
     "height of the mouth corner relative to the medial canthi (negative: below them)"),
    ("mouth_corner_excursion", "mouth_corner", "mm",
     "distance the mouth corner has moved from its rest position"),
    ("upper_lip_height", "upper_lip", "mm",
     "height of the upper vermilion border (half way to the corner) relative to the medial canthi"),
    ("upper_lip_elevation", "upper_lip", "mm", "rise of that upper-lip point from rest"),
    ("lower_lip_height", "lower_lip", "mm",
     "height of the lower vermilion border (half way to the corner) relative to the medial canthi"),
    ("lower_lip_depression", "lower_lip", "mm", "descent of that lower-lip point from rest"),
    ("chin_height", "chin", "mm",
     "height of the chin pad above the menton (mentalis lifts the pad; jaw opening moves both)"),
)

_FACE_SIGNALS: tuple[tuple[str, str, Unit, str], ...] = (
    ("mouth_width", "mouth_corner", "mm", "distance between the two mouth corners"),
    ("interpupil", "eye", "mm", "distance between the iris centres"),
    ("iris_diameter", "eye", "mm", "mean horizontal iris diameter (the scale reference)"),
)

#: Signals computed relative to the rest reference (need :func:`add_rest_excursions`).
REST_RELATIVE = ("mouth_corner_excursion", "upper_lip_elevation", "lower_lip_depression")


def _column(quantity: str, side: Side | None, unit: Unit) -> str:
    return f"{quantity}_{side}_{unit}" if side else f"{quantity}_{unit}"


def signal_definitions() -> tuple[SignalDefinition, ...]:
    """All signal columns, in file order."""
    out = []
    for quantity, region, unit, text in _SIDE_SIGNALS:
        for side in SIDES:
            out.append(SignalDefinition(_column(quantity, side, unit), region, side, unit, text))
    for quantity, region, unit, text in _FACE_SIGNALS:
        out.append(SignalDefinition(_column(quantity, None, unit), region, None, unit, text))
    return tuple(out)


def signal_name(quantity: str, side: Side | None = None) -> str:
    """Column name of a quantity, e.g. ``signal_name('palpebral_fissure', 'left')``."""
    for q, _, unit, _ in _SIDE_SIGNALS + _FACE_SIGNALS:
        if q == quantity:
            return _column(quantity, side, unit)
    raise KeyError(f"unknown signal quantity {quantity!r}")


def _polygon_area(points_xy: np.ndarray) -> np.ndarray:
    x, y = points_xy[..., 0], points_xy[..., 1]
    return 0.5 * np.abs(
        np.sum(x * np.roll(y, -1, axis=-1) - np.roll(x, -1, axis=-1) * y, axis=-1)
    )


def compute_signals(head: np.ndarray, mm_per_unit: float) -> dict[str, np.ndarray]:
    """Region signals of every frame, except the rest-relative ones.

    Parameters
    ----------
    head : (N, 478, 3) array
        Landmarks in the head frame (:func:`synkinesis.normalize.to_head_frame`).
    mm_per_unit : float
        Scale from :func:`synkinesis.normalize.millimetres_per_unit`.

    Returns
    -------
    dict of column name -> (N,) float array
        mm, mm², degrees or ratios as the column name says. NaN where a frame has no face.
        Rest-relative columns (:data:`REST_RELATIVE`) are NaN until
        :func:`add_rest_excursions`.
    """
    mm = np.asarray(head, dtype=np.float64) * mm_per_unit
    n = mm.shape[0]
    xy = mm[:, :, :2]
    canthus_level = 0.5 * (
        mm[:, SIDE_LANDMARKS["left"].medial_canthus, 1]
        + mm[:, SIDE_LANDMARKS["right"].medial_canthus, 1]
    )
    out: dict[str, np.ndarray] = {}
    nan = np.full(n, np.nan)
    for side in SIDES:
        lm = SIDE_LANDMARKS[side]
        lateral = 1.0 if side == "left" else -1.0  # head-frame x points to the patient's left
        y = mm[:, :, 1]
        # Brow above the medial canthus; :func:`anchor_brow_to_pupil` adds the recording's
        # canthus-to-pupil offset, so values read as "above the pupil" without following the
        # iris landmark, which drifts when the lid closes over it.
        out[_column("brow_height", side, "mm")] = (
            y[:, list(lm.brow)].mean(axis=1) - y[:, lm.medial_canthus]
        )
        out[_PUPIL_OFFSET + side] = y[:, lm.medial_canthus] - y[:, lm.iris_centre]
        out[_column("palpebral_fissure", side, "mm")] = (
            y[:, list(lm.upper_lid)] - y[:, list(lm.lower_lid)]
        ).mean(axis=1)
        out[_column("eye_area", side, "mm2")] = _polygon_area(xy[:, list(lm.eye_contour)])
        p = xy[:, list(lm.eye_aspect)]
        out[_column("eye_aspect_ratio", side, "ratio")] = (
            np.linalg.norm(p[:, 1] - p[:, 5], axis=1) + np.linalg.norm(p[:, 2] - p[:, 4], axis=1)
        ) / (2.0 * np.linalg.norm(p[:, 0] - p[:, 3], axis=1))
        fold = xy[:, lm.mouth_corner] - xy[:, lm.alar_base]
        out[_column("nasolabial_length", side, "mm")] = np.linalg.norm(fold, axis=1)
        out[_column("nasolabial_angle", side, "deg")] = np.degrees(
            np.arctan2(lateral * fold[:, 0], -fold[:, 1])
        )
        out[_column("mouth_corner_x", side, "mm")] = lateral * mm[:, lm.mouth_corner, 0]
        out[_column("mouth_corner_y", side, "mm")] = y[:, lm.mouth_corner] - canthus_level
        out[_column("mouth_corner_excursion", side, "mm")] = nan.copy()
        out[_column("upper_lip_height", side, "mm")] = y[:, lm.upper_lip] - canthus_level
        out[_column("upper_lip_elevation", side, "mm")] = nan.copy()
        out[_column("lower_lip_height", side, "mm")] = y[:, lm.lower_lip] - canthus_level
        out[_column("lower_lip_depression", side, "mm")] = nan.copy()
        out[_column("chin_height", side, "mm")] = y[:, lm.chin] - y[:, _MENTON]
    left, right = SIDE_LANDMARKS["left"], SIDE_LANDMARKS["right"]
    out["mouth_width_mm"] = np.linalg.norm(xy[:, left.mouth_corner] - xy[:, right.mouth_corner],
                                           axis=1)
    out["interpupil_mm"] = np.linalg.norm(mm[:, left.iris_centre] - mm[:, right.iris_centre],
                                          axis=1)
    iris = [np.linalg.norm(mm[:, s.iris_horizontal[0]] - mm[:, s.iris_horizontal[1]], axis=1)
            for s in (left, right)]
    out["iris_diameter_mm"] = 0.5 * (iris[0] + iris[1])
    columns = {d.name: out[d.name] for d in signal_definitions()}
    columns.update({_PUPIL_OFFSET + side: out[_PUPIL_OFFSET + side] for side in SIDES})
    return columns


_MENTON = 152  # midline soft-tissue menton
_PUPIL_OFFSET = "_canthus_above_pupil_mm_"  # auxiliary column, removed by anchor_brow_to_pupil


def anchor_brow_to_pupil(
    signals: dict[str, np.ndarray], open_eye_frames: np.ndarray
) -> dict[str, np.ndarray]:
    """Express brow heights above the pupil and drop the auxiliary columns.

    The offset between medial canthus and pupil is the median over frames where that eye is
    open (all frames if it is never open): one number per side and recording.

    Parameters
    ----------
    signals : output of :func:`compute_signals` (scaled to mm)
    open_eye_frames : dict side -> (N,) bool array, or one (N,) bool array for both eyes
    """
    out = {name: values for name, values in signals.items() if not name.startswith("_")}
    for side in SIDES:
        offset_values = signals[_PUPIL_OFFSET + side]
        mask = open_eye_frames[side] if isinstance(open_eye_frames, dict) else open_eye_frames
        mask = np.asarray(mask, dtype=bool) & np.isfinite(offset_values)
        if not mask.any():
            mask = np.isfinite(offset_values)
        offset = float(np.median(offset_values[mask])) if mask.any() else np.nan
        name = _column("brow_height", side, "mm")
        out[name] = signals[name] + offset
    return out


def blank_side(signals: dict[str, np.ndarray], side: Side,
               frames: np.ndarray) -> dict[str, np.ndarray]:
    """A copy of ``signals`` with nothing measured on one side in some frames (a covered half):
    NaN in that side's columns, and in the columns that use both sides (mouth width,
    interpupillary distance, iris diameter).

    Parameters
    ----------
    side : the patient's side
    frames : (N,) bool array
    """
    frames = np.asarray(frames, dtype=bool)
    if not frames.any():
        return dict(signals)
    own = {d.name for d in signal_definitions() if d.side in (side, None)}
    own.add(_PUPIL_OFFSET + side)
    return {name: np.where(frames, np.nan, values) if name in own else values
            for name, values in signals.items()}


def rest_reference(signals: dict[str, np.ndarray], rest_frames: np.ndarray) -> dict[str, float]:
    """Median of every signal over the rest frames (NaN-aware).

    Parameters
    ----------
    rest_frames : (N,) bool array
    """
    mask = np.asarray(rest_frames, dtype=bool)
    return {
        name: float(np.nanmedian(values[mask])) if np.isfinite(values[mask]).any() else np.nan
        for name, values in signals.items()
    }


def add_rest_excursions(
    signals: dict[str, np.ndarray], rest: dict[str, float]
) -> dict[str, np.ndarray]:
    """Return a copy of ``signals`` with the rest-relative columns filled in.

    ``mouth_corner_excursion`` is the 2-D distance of the corner from its rest position;
    ``upper_lip_elevation`` is positive when the lip rises; ``lower_lip_depression`` is positive
    when the lower lip descends.
    """
    out = dict(signals)
    for side in SIDES:
        dx = signals[_column("mouth_corner_x", side, "mm")] - rest[
            _column("mouth_corner_x", side, "mm")]
        dy = signals[_column("mouth_corner_y", side, "mm")] - rest[
            _column("mouth_corner_y", side, "mm")]
        out[_column("mouth_corner_excursion", side, "mm")] = np.hypot(dx, dy)
        up = _column("upper_lip_height", side, "mm")
        out[_column("upper_lip_elevation", side, "mm")] = signals[up] - rest[up]
        low = _column("lower_lip_height", side, "mm")
        out[_column("lower_lip_depression", side, "mm")] = rest[low] - signals[low]
    return out


def mirror_signals(signals: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Swap left and right columns (what a mirrored recording should produce)."""
    from synkinesis.regions import mirror_name

    return {mirror_name(name): values for name, values in signals.items()}
