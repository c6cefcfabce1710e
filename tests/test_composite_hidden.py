"""Which frames a composite engine calls "half hidden" (issue 8), with scripted trackers.

The real case (a hand over half of a real face) is tested on WolfgangLanger_Pexels.mp4 in
tests/honest; here every branch of the rule, without MediaPipe: one composite failing while a
video is tracked marks that side hidden; both failing, or a single photo, do not; two halves
that disagree on the lips and chin mark the one that moved hidden.
"""

from __future__ import annotations

import numpy as np

from synkinesis.landmarks.composite import (
    COVERED_ENTER_PX,
    LOWER_MIDLINE_MAX_DISAGREEMENT_PX,
    SOURCE_COMPOSITE,
    SOURCE_HIDDEN,
    SOURCE_PLAIN,
    CompositeEngine,
    lower_midline_indices,
    side_masks,
)
from synkinesis.landmarks.engine import FaceObservation
from synkinesis.landmarks.model import load_canonical_face


def face_points(cx: float, cy: float, scale: float) -> np.ndarray:
    """(478, 3) landmarks of the canonical face drawn at (cx, cy), ``scale`` px per unit."""
    vertices = np.asarray(load_canonical_face().vertices, dtype=float)[:, :3]
    if vertices.shape[0] < 478:  # irises: the mean of each eye's contour points
        from synkinesis.regions import SIDE_LANDMARKS

        extra = []
        for side in ("right", "left"):
            lm = SIDE_LANDMARKS[side]
            centre = vertices[list(lm.upper_lid) + list(lm.lower_lid)].mean(axis=0)
            extra += [centre] * 5
        vertices = np.vstack([vertices, np.asarray(extra)])[:478]
    return np.column_stack([cx + scale * vertices[:, 0], cy - scale * vertices[:, 1],
                            scale * vertices[:, 2]]).astype(np.float32)


class Scripted:
    """An engine that finds the canonical face unless told to fail."""

    name, version, model_sha256, blendshape_names = "scripted", "1", None, ()

    def __init__(self, centre: tuple[float, float], scale: float) -> None:
        self.fail = False
        self.points = face_points(*centre, scale)

    def detect(self, rgb, *, timestamp_ms=None):
        if self.fail:
            return []
        return [FaceObservation(landmarks_px=self.points.copy(), blendshapes=None)]

    def close(self) -> None:
        pass


def engine(*, track: bool = True):
    trackers = []

    def make():
        trackers.append(Scripted((128.0, 130.0), 5.0))  # a face in the composite
        return trackers[-1]

    plain = Scripted((320.0, 180.0), 6.0)  # the face in the frame
    return CompositeEngine(make, plain, track=track), trackers


FRAME = np.full((360, 640, 3), 128, dtype=np.uint8)


def sources(composite: CompositeEngine, t: int) -> dict[str, int]:
    (face,) = composite.detect(FRAME, timestamp_ms=t)
    return face.sources


def test_one_half_lost_while_tracking_is_hidden_and_tracking_resumes():
    composite, (image_left, image_right) = engine()
    (before,) = composite.detect(FRAME, timestamp_ms=0)
    assert before.sources == {"left": SOURCE_COMPOSITE, "right": SOURCE_COMPOSITE}
    image_left.fail = True  # the image's left half: the patient's right side
    (face,) = composite.detect(FRAME, timestamp_ms=33)
    # The covered side gets the whole frame's (plain) landmarks, marked hidden; the seen side
    # keeps its own composite's (not the plain pass's, which the covered half pulls).
    assert face.sources == {"left": SOURCE_COMPOSITE, "right": SOURCE_HIDDEN}
    _, left, _ = side_masks()
    plain = composite._plain.points
    assert np.abs(face.landmarks_px[left] - plain[left]).max() > 5.0
    right, _, _ = side_masks()
    np.testing.assert_allclose(face.landmarks_px[right], plain[right])
    image_left.fail = False
    assert sources(composite, 66) == {"left": SOURCE_COMPOSITE, "right": SOURCE_COMPOSITE}


def tracking_then_both_halves_lost() -> CompositeEngine:
    composite, trackers = engine()
    sources(composite, 0)
    for tracker in trackers:
        tracker.fail = True
    return composite


def test_both_halves_lost_is_an_unclear_face_not_a_hand():
    composite = tracking_then_both_halves_lost()
    assert sources(composite, 33) == {"left": SOURCE_PLAIN, "right": SOURCE_PLAIN}


def test_a_photo_is_never_called_half_hidden():
    composite, (image_left, _) = engine(track=False)
    image_left.fail = True
    assert sources(composite, 0) == {"left": SOURCE_PLAIN, "right": SOURCE_PLAIN}


def test_no_face_in_the_frame_is_no_face():
    composite = tracking_then_both_halves_lost()
    composite._plain.fail = True
    assert composite.detect(FRAME, timestamp_ms=33) == []


def settle(composite: CompositeEngine) -> None:
    """Track the scripted face until the smoothed midline stops moving (the scripted trackers
    report the same composite pixels whatever the midline, so the face moves with it)."""
    sources(composite, 0)  # the start: plain landmarks
    for t in range(33, 990, 33):
        assert sources(composite, t) == {"left": SOURCE_COMPOSITE, "right": SOURCE_COMPOSITE}


def test_halves_that_disagree_on_the_lips_and_chin_mark_the_one_that_moved_hidden():
    # A hand over one half of the mouth, eyes in view: both composites are confident faces,
    # but their lips and chin (the lower midline, which both composites see in the same seam
    # pixels) do not agree.
    composite, (image_left, image_right) = engine()
    settle(composite)
    lower = lower_midline_indices()
    assert {13, 14, 17, 152} <= set(lower.tolist())  # inner lips, lower lip, chin
    # The image's left half (the patient's right) gets its lips and chin 1.5x the limit lower.
    image_left.points[lower, 1] += 1.5 * LOWER_MIDLINE_MAX_DISAGREEMENT_PX
    (face,) = composite.detect(FRAME, timestamp_ms=1000)
    assert face.sources == {"left": SOURCE_COMPOSITE, "right": SOURCE_HIDDEN}
    assert face.model_landmarks_px is None  # no refinement switched on in this engine
    # Within the limit (a one-sided movement moves the corner, not the midline): both seen.
    image_left.points[lower, 1] -= 1.5 * LOWER_MIDLINE_MAX_DISAGREEMENT_PX
    image_left.points[lower, 1] += 0.5 * LOWER_MIDLINE_MAX_DISAGREEMENT_PX
    assert sources(composite, 1033) == {"left": SOURCE_COMPOSITE, "right": SOURCE_COMPOSITE}


def test_the_other_half_is_named_when_it_is_the_one_that_moved():
    composite, (image_left, image_right) = engine()
    settle(composite)
    image_right.points[lower_midline_indices(), 1] -= 2 * LOWER_MIDLINE_MAX_DISAGREEMENT_PX
    assert sources(composite, 1000) == {"left": SOURCE_HIDDEN, "right": SOURCE_COMPOSITE}


def test_a_photo_is_never_called_covered_by_the_lips_and_chin_either():
    composite, (image_left, _) = engine(track=False)
    image_left.points[lower_midline_indices(), 1] += 2 * LOWER_MIDLINE_MAX_DISAGREEMENT_PX
    assert sources(composite, 0) == {"left": SOURCE_COMPOSITE, "right": SOURCE_COMPOSITE}


def test_the_lips_and_chin_test_has_a_hysteresis():
    # A half becomes covered above COVERED_ENTER_PX and stays covered while above the 5 px
    # limit: one frame near the limit (5.005 px with one engine, 4.947 px with another, on a
    # healthy face) must not flag a half, and a hand's frame between the two must not unflag it.
    assert COVERED_ENTER_PX - LOWER_MIDLINE_MAX_DISAGREEMENT_PX >= 0.5
    composite, (image_left, _) = engine()
    settle(composite)
    rest = image_left.points.copy()
    lower = lower_midline_indices()
    between = 0.5 * (LOWER_MIDLINE_MAX_DISAGREEMENT_PX + COVERED_ENTER_PX)
    # (Which half is named follows the previous frame's landmarks, tested above; here only
    # whether one is.)
    for t, apart, covered in ((1000, between, False), (1033, between, False),
                              (1066, COVERED_ENTER_PX + 0.5, True), (1100, between, True),
                              (1133, LOWER_MIDLINE_MAX_DISAGREEMENT_PX - 0.5, False),
                              (1166, between, False)):
        image_left.points = rest.copy()
        image_left.points[lower, 1] += apart
        assert (SOURCE_HIDDEN in sources(composite, t).values()) == covered, (t, apart)
