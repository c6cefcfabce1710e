"""The chin-pad warp (mentalis injection, issue 19) on a synthetic image: the pad moves up by
the asked millimetres, the other half of the face is untouched, a pad too close to the midline
is left alone."""

from __future__ import annotations

import numpy as np
import pytest

from synkinesis.dev.inject import inject_chin
from synkinesis.regions import SIDE_LANDMARKS

SIZE = 240
MIDLINE_X = 120.0
#: head units per pixel and mm per head unit: 0.25 mm per pixel, 4 px per mm
HEAD_SCALE, MM_PER_UNIT = 0.5, 0.5


def _face(pad_offset_px: float = 60.0) -> np.ndarray:
    """(1, 478, 3) landmarks of an upright frontal face: the midline points on x = 120, each
    side's chin pad ``pad_offset_px`` from it at y = 170 and its lower-lip point above it at
    y = 140 (patient's right = image left), the irises at y = 60 (they orient the side
    check)."""
    points = np.full((478, 3), np.nan)
    points[:, :] = [MIDLINE_X, 120.0, 0.0]
    for index, y in zip((10, 168, 6, 1, 0, 17, 152), (20, 60, 70, 100, 130, 150, 200)):
        points[index] = [MIDLINE_X, y, 0.0]
    for side, sign in (("right", -1.0), ("left", 1.0)):
        lm = SIDE_LANDMARKS[side]
        points[lm.chin] = [MIDLINE_X + sign * pad_offset_px, 170.0, 0.0]
        points[lm.lower_lip] = [MIDLINE_X + sign * pad_offset_px, 140.0, 0.0]
        points[lm.iris_centre] = [MIDLINE_X + sign * 30.0, 60.0, 0.0]
    return points[None]


def _pose() -> np.ndarray:
    """(1, 14): identity rotation (head up = image up), scale 0.5, no translation."""
    return np.concatenate([[HEAD_SCALE], np.eye(3).ravel(), np.zeros(3), [0.0]])[None]


def _dot(x: float, y: float) -> np.ndarray:
    ys, xs = np.mgrid[0:SIZE, 0:SIZE] + 0.5
    blob = 220.0 * np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * 1.5**2))
    texture = (40 + 30 * np.sin(xs / 3.0) * np.cos(ys / 5.0)).clip(0, 255)
    image = np.maximum(blob, texture)
    return np.repeat(image[..., None], 3, axis=2).astype(np.uint8)


def _centroid(image: np.ndarray, near: np.ndarray) -> np.ndarray:
    ys, xs = np.mgrid[0:SIZE, 0:SIZE] + 0.5
    weight = image[..., 0].astype(float)
    weight[(weight < 120) | (np.hypot(xs - near[0], ys - near[1]) > 8)] = 0
    return np.array([(xs * weight).sum(), (ys * weight).sum()]) / weight.sum()


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("amount_mm", [1.0, 2.0, 3.0])
def test_the_chin_pad_moves_up_by_the_asked_mm(side, amount_mm):
    landmarks = _face()
    pad = landmarks[0, SIDE_LANDMARKS[side].chin, :2]
    image = _dot(*pad)
    case = inject_chin([image], landmarks, _pose(), MM_PER_UNIT, side=side,
                       amount_mm=amount_mm, trigger=np.ones(1))
    mm_per_px = HEAD_SCALE * MM_PER_UNIT
    assert case.kind == "chin"
    assert case.applied_mm[0] == pytest.approx(amount_mm, abs=1e-6)
    np.testing.assert_allclose(case.applied_xy_mm[0], [0.0, amount_mm], atol=1e-6)
    found = _centroid(case.frames[0], pad - [0.0, amount_mm / mm_per_px])
    before = _centroid(image, pad)
    # image y grows downwards: the pad rises by amount / (mm per px) pixels, not sideways
    assert (before[1] - found[1]) * mm_per_px == pytest.approx(amount_mm, abs=0.05)
    assert abs(found[0] - before[0]) * mm_per_px < 0.05
    # the other half (and the midline with 3 px to spare) is pixel-identical
    seam = int(MIDLINE_X - 3) if side == "left" else int(MIDLINE_X + 3)
    untouched = (slice(None), slice(None, seam)) if side == "left" else (slice(None),
                                                                         slice(seam, None))
    assert np.array_equal(case.frames[0][untouched], image[untouched])
    assert not np.array_equal(case.frames[0], image)


def test_trigger_scales_the_lift_and_zero_leaves_the_frame():
    landmarks = np.repeat(_face(), 3, axis=0)
    pose = np.repeat(_pose(), 3, axis=0)
    images = [_dot(*landmarks[0, SIDE_LANDMARKS["left"].chin, :2])] * 3
    case = inject_chin(images, landmarks, pose, MM_PER_UNIT, side="left", amount_mm=2.0,
                       trigger=np.array([0.0, 0.5, 1.0]))
    np.testing.assert_allclose(case.applied_mm, [0.0, 1.0, 2.0], atol=1e-6)
    assert case.frames[0] is images[0]


def test_a_pad_too_close_to_the_midline_is_left_alone():
    """A 3 mm lift needs a fall-off of 6 mm (24 px) beyond its 2 mm plateau: a pad and lower
    lip 20 px from the midline leave no room, and the frame is left unchanged with 0 applied."""
    landmarks = _face(pad_offset_px=20.0)
    image = _dot(*landmarks[0, SIDE_LANDMARKS["left"].chin, :2])
    case = inject_chin([image], landmarks, _pose(), MM_PER_UNIT, side="left", amount_mm=3.0,
                       trigger=np.ones(1))
    assert case.applied_mm[0] == 0.0
    assert np.array_equal(case.frames[0], image)


def test_the_soft_tissue_up_to_the_lower_lip_moves_with_the_pad():
    """Mentalis pushes the lower lip up with the pad: the side's lower-lip point rises by the
    same amount (it lies on the rigid segment)."""
    landmarks = _face()
    lip = landmarks[0, SIDE_LANDMARKS["right"].lower_lip, :2]
    image = _dot(*lip)
    case = inject_chin([image], landmarks, _pose(), MM_PER_UNIT, side="right", amount_mm=2.0,
                       trigger=np.ones(1))
    mm_per_px = HEAD_SCALE * MM_PER_UNIT
    found = _centroid(case.frames[0], lip - [0.0, 2.0 / mm_per_px])
    assert (_centroid(image, lip)[1] - found[1]) * mm_per_px == pytest.approx(2.0, abs=0.05)
