"""The injection tool of issue 8: exact, one-sided, deterministic, on a real face."""

from __future__ import annotations

import numpy as np
import pytest

from synkinesis.dev.inject import (
    inject_eye,
    inject_mouth,
    pulse_trigger,
    smile_trigger,
)
from synkinesis.normalize import HeadPose
from synkinesis.regions import SIDE_LANDMARKS

AMOUNT_MM = 2.0


@pytest.fixture(scope="module")
def recording(media, tmp_path_factory):
    from synkinesis.dev.validate import load_recording

    return load_recording(media / "single_face.mp4", tmp_path_factory.mktemp("inject"),
                          max_frames=48)


def _inputs(recording):
    ref = recording.reference
    return ref.load_landmarks(), ref.pose, ref.manifest.scale.mm_per_unit


def _dots(shape: tuple[int, int], points: np.ndarray) -> list[np.ndarray]:
    """One image per point: a small Gaussian blob centred on it (landmark convention)."""
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]] + 0.5
    out = []
    for x, y in points:
        blob = 200.0 * np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * 1.2**2))
        out.append(np.repeat(blob[..., None], 3, axis=2).astype(np.uint8))
    return out


def _centroid(image: np.ndarray) -> np.ndarray:
    weight = image[..., 0].astype(float)
    weight[weight < 5] = 0
    ys, xs = np.mgrid[0 : image.shape[0], 0 : image.shape[1]] + 0.5
    return np.array([(xs * weight).sum(), (ys * weight).sum()]) / weight.sum()


@pytest.mark.parametrize("side", ["left", "right"])
def test_eye_truth_is_the_requested_narrowing(recording, side):
    landmarks, pose, scale = _inputs(recording)
    trigger = smile_trigger(recording.reference.blendshapes,
                            recording.reference.manifest.blendshape_names)
    case = inject_eye(recording.rgb, landmarks, pose, scale, side=side, amount_mm=AMOUNT_MM,
                      trigger=trigger)
    # A narrowing is capped at half the frame's fissure (blinks); frames the warp could not
    # narrow without folding are left unchanged (applied 0): there must be few of them.
    fissure = recording.reference.frames[f"palpebral_fissure_{side}_mm"]
    expected = np.minimum(AMOUNT_MM * trigger, 0.5 * fissure)
    warped = case.applied_mm > 0
    assert warped.sum() >= 0.9 * (trigger > 0).sum()
    np.testing.assert_allclose(case.applied_mm[warped], expected[warped], atol=0.05)


def test_lid_points_move_where_the_truth_says(recording):
    """Warp images of dots placed on the lid landmarks, find the dots again, and measure the
    fissure from them: it narrows by the requested mm (within 0.05 mm)."""
    landmarks, pose, scale = _inputs(recording)
    poses = HeadPose.from_array(pose)
    lm = SIDE_LANDMARKS["left"]
    lids = list(lm.upper_lid) + list(lm.lower_lid)
    k = int(np.argmax(smile_trigger(recording.reference.blendshapes,
                                    recording.reference.manifest.blendshape_names)))
    dots = _dots(recording.rgb[k].shape[:2], landmarks[k, lids, :2])
    moved = []
    for image in dots:  # one frame per dot, same landmarks: the same warp for each
        case = inject_eye([image], landmarks[k : k + 1], pose[k : k + 1], scale, side="left",
                          amount_mm=AMOUNT_MM, trigger=np.ones(1))
        moved.append(_centroid(case.frames[0]))
    found = np.column_stack([np.array(moved), landmarks[k, lids, 2]])
    right_handed = found * np.array([1.0, -1.0, -1.0])
    y = poses.scale[k] * right_handed @ poses.rotation[k][1] + poses.translation[k, 1]
    before_rh = landmarks[k, lids].astype(float) * np.array([1.0, -1.0, -1.0])
    y0 = poses.scale[k] * before_rh @ poses.rotation[k][1] + poses.translation[k, 1]
    narrowing = ((y0[:3] - y0[3:]).mean() - (y[:3] - y[3:]).mean()) * scale
    assert case.applied_mm[0] == pytest.approx(AMOUNT_MM, abs=1e-3)
    assert narrowing == pytest.approx(AMOUNT_MM, abs=0.05)


@pytest.mark.parametrize("kind", ["eye", "mouth"])
def test_the_other_half_is_untouched_and_the_tool_deterministic(recording, kind):
    landmarks, pose, scale = _inputs(recording)
    inject = inject_eye if kind == "eye" else inject_mouth
    trigger = np.ones(len(recording.rgb))
    first = inject(recording.rgb, landmarks, pose, scale, side="right", amount_mm=3.0,
                   trigger=trigger)
    again = inject(recording.rgb, landmarks, pose, scale, side="right", amount_mm=3.0,
                   trigger=trigger)
    for k, (original, warped) in enumerate(zip(recording.rgb, first.frames)):
        np.testing.assert_array_equal(warped, again.frames[k])
        # The patient's right is the image's left: everything right of the nose bridge and
        # the lips' centre stays as it was.
        seam = int(np.ceil(max(landmarks[k, [168, 1, 0, 17], 0])))
        assert np.array_equal(warped[:, seam:], original[:, seam:])
        assert not np.array_equal(warped[:, :seam], original[:, :seam])


def test_mouth_corner_moves_by_the_requested_mm(recording):
    landmarks, pose, scale = _inputs(recording)
    time_s = recording.reference.frames["time_s"]
    trigger = pulse_trigger(time_s)
    case = inject_mouth(recording.rgb, landmarks, pose, scale, side="left", amount_mm=3.0,
                        trigger=trigger)
    np.testing.assert_allclose(case.applied_mm, 3.0 * trigger, atol=1e-6)
    moving = trigger > 0.5
    lateral, up = case.applied_xy_mm[moving].T
    assert (lateral > 0).all() and (up > 0).all()  # up and out
    np.testing.assert_allclose(lateral, up, rtol=1e-6)


def test_a_score_takes_the_applied_change_into_the_scored_methods_mm():
    """The truth is in the placing pass's mm; a method that reads the same iris larger has
    fewer mm per pixel, and the same pixels are fewer of its mm: seen is a share of the pixels
    moved, not of a calibration difference (dev.validate)."""
    from types import SimpleNamespace

    from synkinesis.dev.inject import InjectedCase
    from synkinesis.dev.validate import applied_in_method_mm, seen_and_leak

    n = 4
    reference_mm_per_px = np.full(n, 0.5)
    case = InjectedCase(frames=[], kind="eye", side="left", amount_mm=1.0,
                        trigger=np.ones(n), applied_mm=np.ones(n),
                        mm_per_px=reference_mm_per_px)
    pose = np.zeros((n, 14))
    pose[:, 0] = [0.2, 0.2, 0.25, np.nan]  # head units per pixel; no face in the last frame

    def measured(fissure_left):
        return SimpleNamespace(
            manifest=SimpleNamespace(scale=SimpleNamespace(mm_per_unit=2.0)), pose=pose,
            frames={"flags": np.zeros(n, dtype=np.int64),
                    "palpebral_fissure_left_mm": np.asarray(fissure_left, dtype=float),
                    "palpebral_fissure_right_mm": np.full(n, 10.0)})

    original = measured(np.full(n, 10.0))
    converted = applied_in_method_mm(case, original)
    np.testing.assert_allclose(converted[:3], [0.8, 0.8, 1.0])  # 0.4 and 0.5 mm per px
    assert np.isnan(converted[3])
    # The method narrows the eye by exactly the pixels moved, in its own mm: all of it is seen.
    seen, leak, count = seen_and_leak(original, measured(10.0 - np.r_[0.8, 0.8, 1.0, 0.0]), case)
    assert (seen, leak, count) == (pytest.approx(1.0), pytest.approx(0.0), 3)
    # Without the placing pass's mm per pixel (old cases), the truth is taken as it is.
    legacy = InjectedCase(frames=[], kind="eye", side="left", amount_mm=1.0,
                          trigger=np.ones(n), applied_mm=np.ones(n))
    np.testing.assert_allclose(applied_in_method_mm(legacy, original), np.ones(n))
