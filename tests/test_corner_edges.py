"""Mouth-corner refinement in the pixels (issue 8) on drawn mouths with known commissures."""

from __future__ import annotations

import numpy as np
import pytest

from synkinesis.landmarks.corner_edges import MouthCornerTracker
from synkinesis.regions import SIDE_LANDMARKS

LEFT = SIDE_LANDMARKS["left"].mouth_corner  # on the image's right in a normal camera image
RIGHT = SIDE_LANDMARKS["right"].mouth_corner


def drawn_mouth(right_end: float, left_end: float, *, y: float = 100.0) -> np.ndarray:
    """Bright skin with a dark 4-px oral slit from x = right_end to x = left_end (sub-pixel ends,
    anti-aliased), 200x300 px."""
    x = np.arange(300) + 0.5
    inside = np.clip(np.minimum(x - right_end, left_end - x) + 0.5, 0.0, 1.0)
    rows = np.arange(200) + 0.5
    band = np.clip(2.0 - np.abs(rows - y) + 0.5, 0.0, 1.0)
    image = 200.0 - 150.0 * band[:, None] * inside[None, :]
    return np.repeat(image[:, :, None], 3, axis=2).astype(np.uint8)


def landmarks(right_corner: float, left_corner: float, *, y: float = 100.0) -> np.ndarray:
    points = np.zeros((478, 3))
    middle = 0.5 * (right_corner + left_corner)
    points[13] = (middle, y - 1.0, 0)
    points[14] = (middle, y + 1.0, 0)
    points[RIGHT] = (right_corner, y, 0)
    points[LEFT] = (left_corner, y, 0)
    return points


@pytest.mark.parametrize("shift", [0.0, 1.0, 2.5])
def test_the_corner_follows_the_end_of_the_slit_that_the_landmark_missed(shift):
    image = drawn_mouth(100.0, 200.0 + shift)
    # the model put both corners at the ends of the unmoved mouth
    out, refined = MouthCornerTracker().refine(image, landmarks(100.0, 200.0))
    assert refined == {"left": True, "right": True}
    baseline, _ = MouthCornerTracker().refine(drawn_mouth(100.0, 200.0),
                                              landmarks(100.0, 200.0))
    moved = out[LEFT, 0] - baseline[LEFT, 0]
    assert moved == pytest.approx(shift, abs=0.15)
    # the other corner is where it was
    assert out[RIGHT, 0] == pytest.approx(baseline[RIGHT, 0], abs=1e-6)
    # only the corner points move
    changed = np.flatnonzero(np.abs(out - landmarks(100.0, 200.0)).sum(axis=1) > 1e-9)
    assert set(changed) <= {LEFT, RIGHT}


def test_mirrored_mouth_gives_the_mirrored_corners():
    image = drawn_mouth(97.3, 201.6)
    out, _ = MouthCornerTracker().refine(image, landmarks(100.0, 200.0))
    flipped, _ = MouthCornerTracker().refine(image[:, ::-1].copy(), landmarks(100.0, 200.0))
    # x -> 300 - x; the patient's sides swap
    assert 300.0 - flipped[RIGHT, 0] == pytest.approx(out[LEFT, 0], abs=1e-3)
    assert 300.0 - flipped[LEFT, 0] == pytest.approx(out[RIGHT, 0], abs=1e-3)


def test_a_face_without_edges_is_left_alone():
    flat = np.full((200, 300, 3), 180, dtype=np.uint8)
    points = landmarks(100.0, 200.0)
    out, refined = MouthCornerTracker().refine(flat, points)
    assert refined == {"left": False, "right": False}
    np.testing.assert_array_equal(out, points)


def test_offsets_are_smoothed_over_frames_and_reset():
    tracker = MouthCornerTracker()
    points = landmarks(100.0, 200.0)
    first, _ = tracker.refine(drawn_mouth(100.0, 200.0), points)
    second, _ = tracker.refine(drawn_mouth(100.0, 203.0), points)
    step = second[LEFT, 0] - first[LEFT, 0]
    assert 0.0 < step < 3.0  # part of the way: smoothing
    tracker.reset()
    fresh, _ = tracker.refine(drawn_mouth(100.0, 203.0), points)
    assert fresh[LEFT, 0] - first[LEFT, 0] == pytest.approx(3.0, abs=0.15)


def test_one_side_is_forgotten_and_the_other_kept():
    tracker = MouthCornerTracker()
    points = landmarks(100.0, 200.0)
    tracker.refine(drawn_mouth(100.0, 200.0), points)
    kept = dict(tracker.offsets)
    tracker.reset(("right",))
    assert "right" not in tracker.offsets and tracker.offsets["left"] == kept["left"]
