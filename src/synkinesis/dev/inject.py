"""Inject a known one-sided change into real video by image warping (issue 8).

Two kinds of change, each on one side of the face only (sides are the PATIENT's: the patient's
left is on the right of a normal camera image):

``eye``
    the palpebral fissure of one eye is narrowed by ``amount_mm * trigger[k]`` in frame k: both
    lid margins are pulled towards the line between them, the canthi stay put (ocular-oral
    synkinesis).
``mouth``
    one mouth corner is moved up and out (45 degrees from horizontal in the head frame) by
    ``amount_mm * trigger[k]`` (oral-ocular synkinesis).
``chin``
    one side's chin pad (the ``chin`` landmark of :data:`synkinesis.regions.SIDE_LANDMARKS`,
    below the lower lip) is lifted straight up in the head frame by ``amount_mm * trigger[k]``,
    with the soft tissue up to that side's lower lip (mentalis synkinesis; the menton, on the
    midline, stays).

The warp is a smooth displacement field with compact support on the affected half of the face;
every pixel on the other half is copied unchanged (checked for each frame: a frame whose warp
would reach within 3 px of the midline is left as it is, with 0 applied). The ground truth is
exact: the original landmarks of the lids (or the corner) are projected through the warp and
converted to millimetres with the recording's own head pose and mm scale, and the strength of the
warp is solved per frame so that the projected change equals the requested one.

Pure array code (frames in, frames out); OpenCV is imported inside the functions.

Why one file of over 500 lines: the three warps share the fall-off, the head-frame maths that
turn a millimetre request into pixels, the midline check and the exact-truth bookkeeping of
:class:`InjectedCase`; split by kind, that shared part would be one more module each imports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from synkinesis.normalize import HeadPose
from synkinesis.regions import MIDLINE, SIDE_LANDMARKS, Side

Kind = Literal["eye", "mouth", "chin"]

#: Midline landmarks used to check that the warp stays on its half: forehead, nose bridge, nose
#: tip, upper and lower lip centre, chin.
_MIDLINE_CHECK = (10, 168, 6, 1, 0, 17, 152)
assert set(_MIDLINE_CHECK) <= set(MIDLINE)

#: Width of the smooth fall-off around the warped region, mm (eye and mouth).
EYE_FALLOFF_MM = 12.0
MOUTH_PLATEAU_MM = 4.0
MOUTH_FALLOFF_MM = 10.0
#: Chin pad: rigid plateau and the longest fall-off, mm. The pad lies closer to the midline than
#: the mouth corner, so the fall-off is shortened in each frame to stay 3 px clear of it (and
#: kept at least CHIN_MIN_FALLOFF_RATIO times the lift: the displacement's slope, at most
#: lift * pi / 2 / fall-off, then stays below 0.8 and the warp cannot fold).
CHIN_PLATEAU_MM = 2.0
CHIN_FALLOFF_MM = 8.0
CHIN_MIN_FALLOFF_RATIO = 2.0
#: The narrowing is capped at this fraction of the frame's fissure (a closed eye cannot close more);
#: capped frames are recorded as such in ``applied_mm``.
MAX_NARROWING_FRACTION = 0.5


@dataclass(frozen=True)
class InjectedCase:
    """Frames with a one-sided change, and its exact size per frame.

    Attributes
    ----------
    frames : list of (H, W, 3) uint8 arrays
        The warped frames (same colour order as the input).
    kind : "eye", "mouth" or "chin"
    side : the patient's side that was changed
    amount_mm : requested full change (at trigger 1), mm
    trigger : (N,) array, 0..1
    applied_mm : (N,) array, mm
        Exact change applied in each frame: fissure narrowing (positive = narrower) for "eye",
        distance the corner moved in the head frame's frontal plane for "mouth", rise of the
        chin pad in the head frame for "chin".
    applied_xy_mm : (N, 2) array or None
        For "mouth" and "chin": head-frame displacement of the corner or the chin pad (lateral,
        up), mm; lateral is positive away from the midline.
    mm_per_px : (N,) array or None
        The millimetres per image pixel in which ``applied_mm`` is expressed: the placing
        landmarks' head-pose scale times their recording's scale. A method that calibrates the
        same face differently (its own iris reading) expresses the same pixels in other mm: a
        score compares the two in one unit (:func:`synkinesis.dev.validate.seen_and_leak`).
    """

    frames: list[np.ndarray]
    kind: Kind
    side: Side
    amount_mm: float
    trigger: np.ndarray
    applied_mm: np.ndarray
    applied_xy_mm: np.ndarray | None = None
    mm_per_px: np.ndarray | None = None


def _falloff(t: np.ndarray) -> np.ndarray:
    """1 for t <= 0, 0 for t >= 1, cos² in between (C1-smooth)."""
    return np.cos(0.5 * np.pi * np.clip(t, 0.0, 1.0)) ** 2


def _head_y(points_px: np.ndarray, pose: HeadPose, k: int) -> np.ndarray:
    """Head-frame y (up, canonical units) of image points (..., 3) in frame k."""
    r = pose.rotation[k]
    right_handed = points_px * np.array([1.0, -1.0, -1.0])
    return pose.scale[k] * right_handed @ r[1] + pose.translation[k, 1]


def _head_xy(points_px: np.ndarray, pose: HeadPose, k: int) -> np.ndarray:
    r = pose.rotation[k]
    right_handed = points_px * np.array([1.0, -1.0, -1.0])
    return pose.scale[k] * right_handed @ r[:2].T + pose.translation[k, :2]


# ---------------------------------------------------------------------------------------------
# eye: a displacement along the lid normal, odd in v, with compact support


@dataclass(frozen=True)
class _EyeFrame:
    centre: np.ndarray  # (2,) px: canthus midpoint moved to the middle between the lids
    axis_u: np.ndarray  # (2,) unit vector lateral -> medial canthus
    axis_v: np.ndarray  # (2,) unit normal (image "down")
    half_width: float  # half the canthus distance, px
    plateau_v: float  # |v| up to which the displacement is linear in v, px
    falloff_v: float  # fall-off length beyond the plateau, px


def _eye_frame(landmarks: np.ndarray, side: Side, px_per_mm: float) -> _EyeFrame:
    lm = SIDE_LANDMARKS[side]
    lateral, medial = landmarks[lm.lateral_canthus, :2], landmarks[lm.medial_canthus, :2]
    axis_u = (medial - lateral) / np.linalg.norm(medial - lateral)
    axis_v = np.array([-axis_u[1], axis_u[0]])
    if axis_v[1] < 0:
        axis_v = -axis_v
    lids = landmarks[list(lm.upper_lid) + list(lm.lower_lid), :2]
    mid = 0.5 * (lateral + medial)
    offset_v = float(np.mean((lids - mid) @ axis_v))
    centre = mid + offset_v * axis_v
    half_height = float(np.max(np.abs((lids - centre) @ axis_v)))
    return _EyeFrame(centre=centre, axis_u=axis_u, axis_v=axis_v,
                     half_width=0.5 * float(np.linalg.norm(medial - lateral)),
                     plateau_v=1.25 * max(half_height, 1.0),
                     falloff_v=EYE_FALLOFF_MM * px_per_mm)


def _eye_weight_u(u: np.ndarray, eye: _EyeFrame) -> np.ndarray:
    return _falloff((np.abs(u) - 0.5 * eye.half_width) / (0.9 * eye.half_width))


def _eye_shift(v: np.ndarray, strength: float | np.ndarray, eye: _EyeFrame) -> np.ndarray:
    """Displacement D(v) along axis_v (source = output + D), px; odd in v."""
    a = np.asarray(strength, dtype=float)
    inside = np.abs(v) <= eye.plateau_v
    outer = np.sign(v) * eye.plateau_v * _falloff((np.abs(v) - eye.plateau_v) / eye.falloff_v)
    return a * np.where(inside, v, outer)


def _eye_support_u(eye: _EyeFrame) -> float:
    return 1.4 * eye.half_width


def _project_eye(points_px: np.ndarray, strength: np.ndarray, eye: _EyeFrame) -> np.ndarray:
    """Where image points (K, 2) appear after the warp, for each strength (S,) -> (S, K, 2).

    Solves ``v_out + w(u) D(v_out) = v_orig`` by bisection (monotone in v_out because the
    displacement's slope stays above -1, see :func:`inject_eye`).
    """
    rel = points_px - eye.centre
    u, v0 = rel @ eye.axis_u, rel @ eye.axis_v
    weight = _eye_weight_u(u, eye)
    a = np.asarray(strength, dtype=float)[:, None]
    low = np.minimum(v0, 0.0) * np.ones_like(a)
    high = np.maximum(v0, 0.0) * np.ones_like(a)
    for _ in range(60):
        mid = 0.5 * (low + high)
        value = mid + weight * _eye_shift(mid, a, eye) - v0
        above = value > 0
        high = np.where(above, mid, high)
        low = np.where(above, low, mid)
    v_out = 0.5 * (low + high)
    return (eye.centre + u[None, :, None] * eye.axis_u + v_out[..., None] * eye.axis_v)


def _fissure_units(upper: np.ndarray, lower: np.ndarray, pose: HeadPose, k: int) -> np.ndarray:
    """Mean upper-to-lower lid height in head units; (..., 3, 3) points -> (...)."""
    return (_head_y(upper, pose, k) - _head_y(lower, pose, k)).mean(axis=-1)


def _eye_map(shape: tuple[int, int], strength: float, eye: _EyeFrame):
    """Source coordinates for remap over the region the warp touches.

    Returns (x0, y0, x1, y1) of that region and the (h, w) float32 map_x, map_y for it.
    """
    height, width = shape
    reach_u, reach_v = _eye_support_u(eye), eye.plateau_v + eye.falloff_v
    corners = np.array([eye.centre + su * reach_u * eye.axis_u + sv * reach_v * eye.axis_v
                        for su in (-1, 1) for sv in (-1, 1)])
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    # Pixel centres in the landmark convention (pixel i spans [i, i + 1]).
    xs, ys = np.meshgrid(np.arange(x0, x1) + 0.5, np.arange(y0, y1) + 0.5)
    rel_x, rel_y = xs - eye.centre[0], ys - eye.centre[1]
    u = rel_x * eye.axis_u[0] + rel_y * eye.axis_u[1]
    v = rel_x * eye.axis_v[0] + rel_y * eye.axis_v[1]
    shift = _eye_weight_u(u, eye) * _eye_shift(v, strength, eye)
    map_x = xs + shift * eye.axis_v[0] - 0.5
    map_y = ys + shift * eye.axis_v[1] - 0.5
    return (x0, y0, x1, y1), map_x.astype(np.float32), map_y.astype(np.float32), shift != 0


def inject_eye(
    frames: Sequence[np.ndarray],
    landmarks_px: np.ndarray,
    pose: np.ndarray,
    mm_per_unit: float,
    *,
    side: Side,
    amount_mm: float,
    trigger: np.ndarray,
) -> InjectedCase:
    """Narrow one palpebral fissure by ``amount_mm * trigger`` (ocular-oral synkinesis).

    Parameters
    ----------
    frames : N (H, W, 3) uint8 arrays
    landmarks_px : (N, 478, 3) array
        Landmarks of the original frames (image pixels, e.g. from ``synk measure --method
        fast``); they place the warp and define the ground truth. NaN rows: frame left as is.
    pose : (N, 14) array
        Head pose of those landmarks (:meth:`HeadPose.as_array`, the result file's ``pose``).
    mm_per_unit : float
        The recording's scale (result manifest ``scale.mm_per_unit``).
    side : "left" or "right", the patient's side
    amount_mm : float, narrowing at trigger 1, mm (>= 0)
    trigger : (N,) array, 0..1

    Returns
    -------
    InjectedCase
        ``applied_mm`` is the narrowing of ``palpebral_fissure_{side}_mm`` obtained by projecting
        the original lid landmarks through the warp (capped at 50 % of a frame's fissure; 0 in
        frames the warp cannot narrow that much without folding or without reaching across the
        midline, which are left unchanged).
    """
    import cv2

    poses = HeadPose.from_array(pose)
    lm = SIDE_LANDMARKS[side]
    trigger = np.clip(np.asarray(trigger, dtype=float), 0.0, 1.0)
    applied = np.zeros(len(frames))
    out = []
    strengths = np.linspace(0.0, 2.0, 41)
    for k, frame in enumerate(frames):
        points = np.asarray(landmarks_px[k], dtype=float)
        wanted = amount_mm * trigger[k]
        if wanted <= 0 or not np.isfinite(points).all():
            out.append(frame)
            continue
        px_per_mm = 1.0 / (poses.scale[k] * mm_per_unit)
        eye = _eye_frame(points, side, px_per_mm)
        upper, lower = points[list(lm.upper_lid)], points[list(lm.lower_lid)]
        original = _fissure_units(upper, lower, poses, k) * mm_per_unit
        wanted = min(wanted, MAX_NARROWING_FRACTION * original)
        for _ in range(4):
            strength = _solve_strength(eye, upper, lower, poses, k, mm_per_unit,
                                       original - wanted, strengths)
            if strength is None:
                break
            # No folding: the displacement's slope along v must stay above -1 everywhere;
            # a strong narrowing of a small eye gets a longer fall-off.
            slope = strength * eye.plateau_v * 0.5 * np.pi / eye.falloff_v
            if slope < 0.9:
                break
            eye = replace(eye, falloff_v=eye.falloff_v * slope / 0.85)
        if strength is None or slope >= 0.9:  # not reachable by this warp: frame left as is
            out.append(frame)
            continue
        projected = _project_eye(np.concatenate([upper, lower])[:, :2], np.array([strength]),
                                 eye)[0]
        moved_upper = np.column_stack([projected[:3], upper[:, 2]])
        moved_lower = np.column_stack([projected[3:], lower[:, 2]])
        applied[k] = original - _fissure_units(moved_upper, moved_lower, poses, k) * mm_per_unit
        box, map_x, map_y, touched = _eye_map(frame.shape[:2], strength, eye)
        if not _one_sided(points, box, touched, side):  # face turned: frame left as is
            applied[k] = 0.0
            out.append(frame)
            continue
        out.append(_apply_map(cv2, frame, box, map_x, map_y))
    return InjectedCase(frames=out, kind="eye", side=side, amount_mm=amount_mm, trigger=trigger,
                        applied_mm=applied, mm_per_px=poses.scale * mm_per_unit)


def _solve_strength(eye, upper, lower, poses, k, mm_per_unit, target_mm,
                    strengths) -> float | None:
    """Warp strength whose projected fissure equals ``target_mm`` (grid, then secant steps);
    None when the grid of strengths cannot reach it."""
    lids = np.concatenate([upper, lower])

    def fissure(a: np.ndarray) -> np.ndarray:
        moved = _project_eye(lids[:, :2], a, eye)
        points = np.concatenate([moved, np.broadcast_to(lids[:, 2:], moved.shape[:-1] + (1,))],
                                axis=-1)
        return _fissure_units(points[:, :3], points[:, 3:], poses, k) * mm_per_unit

    values = fissure(strengths)  # decreasing in strength
    if not values[-1] <= target_mm <= values[0]:
        return None
    index = int(np.searchsorted(-values, -target_mm))
    index = min(max(index, 1), len(strengths) - 1)
    # Secant steps inside the bracketing grid interval (the function is smooth there).
    a0, a1, f0, f1 = strengths[index - 1], strengths[index], values[index - 1], values[index]
    for _ in range(6):
        if abs(f1 - f0) < 1e-12:
            break
        a2 = a1 + (target_mm - f1) * (a1 - a0) / (f1 - f0)
        a0, f0, a1 = a1, f1, a2
        f1 = fissure(np.array([a1]))[0]
        if abs(f1 - target_mm) < 1e-6:
            break
    return float(a1)


# ---------------------------------------------------------------------------------------------
# mouth corner: a translated plateau with a smooth fall-off


def inject_mouth(
    frames: Sequence[np.ndarray],
    landmarks_px: np.ndarray,
    pose: np.ndarray,
    mm_per_unit: float,
    *,
    side: Side,
    amount_mm: float,
    trigger: np.ndarray,
) -> InjectedCase:
    """Move one mouth corner up and out by ``amount_mm * trigger`` (oral-ocular synkinesis).

    The corner and everything within 4 mm of it move rigidly; the displacement falls to zero
    over the next 10 mm. Parameters as :func:`inject_eye`.

    Returns
    -------
    InjectedCase
        ``applied_xy_mm`` is the head-frame (lateral, up) displacement of the corner landmark
        projected through the warp; ``applied_mm`` its length.
    """
    import cv2

    poses = HeadPose.from_array(pose)
    corner_index = SIDE_LANDMARKS[side].mouth_corner
    lateral = 1.0 if side == "left" else -1.0  # head-frame x points to the patient's left
    trigger = np.clip(np.asarray(trigger, dtype=float), 0.0, 1.0)
    applied = np.zeros((len(frames), 2))
    out = []
    for k, frame in enumerate(frames):
        points = np.asarray(landmarks_px[k], dtype=float)
        wanted = amount_mm * trigger[k]
        if wanted <= 0 or not np.isfinite(points).all():
            out.append(frame)
            continue
        px_per_mm = 1.0 / (poses.scale[k] * mm_per_unit)
        # Head-frame direction (lateral, up) at 45 degrees, as an image displacement of the
        # corner: solve the 2x2 linear map from image (dx, dy) to head (x, y).
        r = poses.rotation[k]
        jacobian = poses.scale[k] * mm_per_unit * np.column_stack([r[:2, 0], -r[:2, 1]])
        direction_head = np.array([lateral, 1.0]) / np.sqrt(2.0)
        shift_px = np.linalg.solve(jacobian, wanted * direction_head)
        corner = points[corner_index, :2]
        plateau, falloff = MOUTH_PLATEAU_MM * px_per_mm, MOUTH_FALLOFF_MM * px_per_mm
        assert np.linalg.norm(shift_px) < plateau, "corner movement beyond the rigid plateau"
        # The corner lands at corner + shift exactly (the plateau moves rigidly).
        moved = points[corner_index].copy()
        moved[:2] += shift_px
        before = _head_xy(points[corner_index], poses, k)
        after = _head_xy(moved, poses, k)
        applied[k] = (after - before) * mm_per_unit * np.array([lateral, 1.0])
        box, map_x, map_y, touched = _mouth_map(frame.shape[:2], corner, shift_px, plateau,
                                                falloff)
        if not _one_sided(points, box, touched, side):
            applied[k] = 0.0
            out.append(frame)
            continue
        out.append(_apply_map(cv2, frame, box, map_x, map_y))
    return InjectedCase(frames=out, kind="mouth", side=side, amount_mm=amount_mm,
                        trigger=trigger, applied_mm=np.linalg.norm(applied, axis=1),
                        applied_xy_mm=applied, mm_per_px=poses.scale * mm_per_unit)


# ---------------------------------------------------------------------------------------------
# chin pad: lifted straight up, a plateau with a fall-off that stays clear of the midline


def inject_chin(
    frames: Sequence[np.ndarray],
    landmarks_px: np.ndarray,
    pose: np.ndarray,
    mm_per_unit: float,
    *,
    side: Side,
    amount_mm: float,
    trigger: np.ndarray,
) -> InjectedCase:
    """Lift one side's chin pad by ``amount_mm * trigger`` (mentalis synkinesis).

    Mentalis raises the soft tissue of the chin and pushes the lower lip up. The warp moves
    rigidly, straight up in the head frame, everything within :data:`CHIN_PLATEAU_MM` of the
    segment from that side's lower-lip point to its chin pad (landmarks ``lower_lip`` and
    ``chin`` of ``SIDE_LANDMARKS[side]``); the displacement falls to zero over at most
    :data:`CHIN_FALLOFF_MM`, shortened so that no changed pixel comes within 3 px of the facial
    midline (the menton, from which ``chin_height`` is measured, stays where it is). A frame
    where that leaves less than :data:`CHIN_MIN_FALLOFF_RATIO` times the lift is left as it is
    (0 applied). Parameters as :func:`inject_eye`.

    Returns
    -------
    InjectedCase
        ``applied_xy_mm`` is the head-frame (lateral, up) displacement of the chin landmark
        projected through the warp; ``applied_mm`` its upward part (the change of the pad's
        height above the menton).
    """
    import cv2

    poses = HeadPose.from_array(pose)
    lm = SIDE_LANDMARKS[side]
    lateral = 1.0 if side == "left" else -1.0
    trigger = np.clip(np.asarray(trigger, dtype=float), 0.0, 1.0)
    applied = np.zeros((len(frames), 2))
    out = []
    for k, frame in enumerate(frames):
        points = np.asarray(landmarks_px[k], dtype=float)
        wanted = amount_mm * trigger[k]
        if wanted <= 0 or not np.isfinite(points).all():
            out.append(frame)
            continue
        px_per_mm = 1.0 / (poses.scale[k] * mm_per_unit)
        r = poses.rotation[k]
        jacobian = poses.scale[k] * mm_per_unit * np.column_stack([r[:2, 0], -r[:2, 1]])
        shift_px = np.linalg.solve(jacobian, np.array([0.0, wanted]))
        segment = points[[lm.lower_lip, lm.chin], :2]
        lift = float(np.linalg.norm(shift_px))
        plateau = CHIN_PLATEAU_MM * px_per_mm
        nearest = min(_midline_distance(points, end + shift_px) for end in segment)
        falloff = min(CHIN_FALLOFF_MM * px_per_mm, nearest - 3.0 - plateau - 1.0)
        if falloff < CHIN_MIN_FALLOFF_RATIO * lift:
            out.append(frame)  # too close to the midline for this lift: left as is
            continue
        moved = points[lm.chin].copy()
        moved[:2] += shift_px
        before = _head_xy(points[lm.chin], poses, k)
        after = _head_xy(moved, poses, k)
        applied[k] = (after - before) * mm_per_unit * np.array([lateral, 1.0])
        box, map_x, map_y, touched = _segment_map(frame.shape[:2], segment + shift_px,
                                                  shift_px, plateau, falloff)
        if not _one_sided(points, box, touched, side):
            applied[k] = 0.0
            out.append(frame)
            continue
        out.append(_apply_map(cv2, frame, box, map_x, map_y))
    return InjectedCase(frames=out, kind="chin", side=side, amount_mm=amount_mm,
                        trigger=trigger, applied_mm=applied[:, 1], applied_xy_mm=applied,
                        mm_per_px=poses.scale * mm_per_unit)


def _segment_map(shape, segment, shift_px, plateau, falloff):
    """Backward map of a translation by ``shift_px`` of everything within ``plateau`` of the
    (already moved) segment, falling to zero over ``falloff``; touched: exactly the pixels
    the translation reaches (weight > 0)."""
    height, width = shape
    reach = plateau + falloff
    x0, y0 = np.floor(segment.min(axis=0) - reach).astype(int)
    x1, y1 = np.ceil(segment.max(axis=0) + reach).astype(int) + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    xs, ys = np.meshgrid(np.arange(x0, x1) + 0.5, np.arange(y0, y1) + 0.5)
    start, direction = segment[0], segment[1] - segment[0]
    length2 = max(float(direction @ direction), 1e-12)
    t = np.clip(((xs - start[0]) * direction[0] + (ys - start[1]) * direction[1]) / length2,
                0.0, 1.0)
    distance = np.hypot(xs - start[0] - t * direction[0], ys - start[1] - t * direction[1])
    inside = distance < reach
    weight = np.where(inside, _falloff((distance - plateau) / falloff), 0.0)
    map_x = xs - weight * shift_px[0] - 0.5
    map_y = ys - weight * shift_px[1] - 0.5
    return (x0, y0, x1, y1), map_x.astype(np.float32), map_y.astype(np.float32), inside


def _midline_distance(landmarks: np.ndarray, point: np.ndarray) -> float:
    """Distance (px) of an image point from the line fitted through the midline landmarks."""
    midline = landmarks[list(_MIDLINE_CHECK), :2]
    centre = midline.mean(axis=0)
    _, _, vt = np.linalg.svd(midline - centre)
    normal = np.array([-vt[0, 1], vt[0, 0]])
    return float(abs((point - centre) @ normal))


def _mouth_map(shape, corner, shift_px, plateau, falloff):
    height, width = shape
    # Output pixels near corner + shift take their colour from near the corner.
    centre = corner + shift_px
    reach = plateau + falloff + np.linalg.norm(shift_px)
    x0, y0 = np.floor(centre - reach).astype(int)
    x1, y1 = np.ceil(centre + reach).astype(int) + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    xs, ys = np.meshgrid(np.arange(x0, x1) + 0.5, np.arange(y0, y1) + 0.5)
    distance = np.hypot(xs - centre[0], ys - centre[1])
    weight = _falloff((distance - plateau) / falloff)
    map_x = xs - weight * shift_px[0] - 0.5
    map_y = ys - weight * shift_px[1] - 0.5
    return (x0, y0, x1, y1), map_x.astype(np.float32), map_y.astype(np.float32), weight > 0


def _apply_map(cv2, frame: np.ndarray, box, map_x: np.ndarray, map_y: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = box
    out = frame.copy()
    out[y0:y1, x0:x1] = cv2.remap(frame, map_x, map_y, interpolation=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REFLECT)
    return out


def _one_sided(landmarks: np.ndarray, box, touched: np.ndarray, side: Side) -> bool:
    """Whether every pixel the warp changes lies on ``side`` of the facial midline, at least
    3 px clear of the line fitted through the midline landmarks."""
    x0, y0, x1, y1 = box
    midline = landmarks[list(_MIDLINE_CHECK), :2]
    centre = midline.mean(axis=0)
    _, _, vt = np.linalg.svd(midline - centre)
    normal = np.array([-vt[0, 1], vt[0, 0]])
    # The patient's left is on the image's right: orient the normal towards the patient's side.
    toward_side = landmarks[SIDE_LANDMARKS[side].iris_centre, :2] - centre
    if normal @ toward_side < 0:
        normal = -normal
    ys, xs = np.nonzero(touched)
    signed = (xs + x0 + 0.5 - centre[0]) * normal[0] + (ys + y0 + 0.5 - centre[1]) * normal[1]
    return bool(signed.size == 0 or signed.min() >= 3.0)


def smile_trigger(blendshapes: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """Trigger 0..1 from the smile blendshapes: mean of mouthSmileLeft/Right divided by its
    95th percentile over the recording, clipped. NaN (no face) gives 0."""
    names = list(names)
    smile = 0.5 * (blendshapes[:, names.index("mouthSmileLeft")]
                   + blendshapes[:, names.index("mouthSmileRight")])
    smile = np.nan_to_num(np.asarray(smile, dtype=float))
    top = np.percentile(smile, 95)
    return np.clip(smile / top, 0.0, 1.0) if top > 0 else np.zeros_like(smile)


def pulse_trigger(time_s: np.ndarray, *, period_s: float = 2.0, duty: float = 0.5,
                  phase_s: float = 0.5) -> np.ndarray:
    """Trigger 0..1 of raised-cosine pulses (rest between them), deterministic in time.

    Each period starts with ``(1 - duty) * period_s`` of rest then a pulse of ``duty *
    period_s`` that rises and falls as a raised cosine (its middle half is above 0.5).
    """
    t = (np.asarray(time_s, dtype=float) - phase_s) % period_s
    rest = (1.0 - duty) * period_s
    inside = t >= rest
    phase = (t - rest) / (duty * period_s)
    return np.where(inside, 0.5 - 0.5 * np.cos(2 * np.pi * phase), 0.0)
