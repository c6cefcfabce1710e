"""The chin-pad texture refinement (issue 19) on synthetic frames: a pad lifted by a known
amount is recovered, a mirrored frame gives the mirrored lift, a still pad reads no lift, and a
smooth pad is told from a textured one; the pipeline takes a smooth side's refinement off."""

from __future__ import annotations

import numpy as np
import pytest

from synkinesis.landmarks import chin_texture
from synkinesis.landmarks.chin_texture import ChinPadTracker, fine_texture, register
from synkinesis.regions import SIDE_LANDMARKS

SIZE = 320
MIDLINE_X = 160.0
CHIN_Y = 250.0
PAD_OFFSET = 24.0  # chin pads this far either side of the midline, px


def _landmarks() -> np.ndarray:
    """(478, 3) landmarks of an upright frontal face: medial canthi 64 px apart at y = 100,
    the menton on the midline below the chin pads, each lower-lip point above its pad
    (patient's right = image left)."""
    points = np.full((478, 3), np.nan)
    points[:, :] = [MIDLINE_X, 150.0, 0.0]
    points[152] = [MIDLINE_X, 275.0, 0.0]
    for side, sign in (("right", -1.0), ("left", 1.0)):
        lm = SIDE_LANDMARKS[side]
        points[lm.medial_canthus] = [MIDLINE_X + sign * 32.0, 100.0, 0.0]
        points[lm.chin] = [MIDLINE_X + sign * PAD_OFFSET, CHIN_Y, 0.0]
        points[lm.lower_lip] = [MIDLINE_X + sign * 26.0, 205.0, 0.0]
    return points


def _texture(seed: int = 0, smooth: bool = False) -> np.ndarray:
    """A textured (stubble-like, 4x oversampled) or smooth (shading only) grey field."""
    import cv2

    rng = np.random.default_rng(seed)
    big = SIZE * 4
    if smooth:
        ys = np.mgrid[0:big, 0:big][0] / big
        return (120 + 30 * ys).astype(np.float32)
    noise = rng.uniform(0, 255, (big, big)).astype(np.float32)
    field = cv2.GaussianBlur(noise, (0, 0), 4.0)
    return ((field - field.mean()) / field.std() * 20 + 128).astype(np.float32)


def _frame(lift_image_left: float = 0.0, lift_image_right: float = 0.0, *, seed: int = 0,
           smooth: bool = False) -> np.ndarray:
    """(SIZE, SIZE, 3) uint8: the texture, each image half lifted (moved up) by its own
    amount (px)."""
    import cv2

    field = _texture(seed, smooth)
    out = np.empty((SIZE, SIZE), dtype=np.float32)
    half = SIZE // 2
    for lift, columns in ((lift_image_left, slice(0, half)), (lift_image_right,
                                                               slice(half, SIZE))):
        moved = cv2.warpAffine(field, np.float32([[1, 0, 0], [0, 1, -4 * lift]]),
                               field.shape[::-1], flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REFLECT)
        small = cv2.resize(moved, (SIZE, SIZE), interpolation=cv2.INTER_AREA)
        out[:, columns] = small[:, columns]
    grey = np.clip(out, 0, 255).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


def _track(frames: list[np.ndarray], landmarks: np.ndarray) -> dict[str, float]:
    """Each side's chin landmark's rise (px) after the tracker has seen ``frames``."""
    tracker = ChinPadTracker()
    for frame in frames:
        refined, done = tracker.refine(frame, landmarks)
        assert all(done.values())
    return {side: float(landmarks[SIDE_LANDMARKS[side].chin, 1]
                        - refined[SIDE_LANDMARKS[side].chin, 1]) for side in ("left", "right")}


@pytest.mark.parametrize("lift", [0.5, 1.0, 2.0, 3.5])
def test_a_lifted_pad_is_recovered(lift):
    # the patient's left is the image's right half; the frame with the lift is shown until the
    # smoothing over frames has settled
    frames = [_frame()] + [_frame(lift_image_right=lift)] * 12
    rise = _track(frames, _landmarks())
    assert rise["left"] == pytest.approx(lift, abs=0.05)
    assert abs(rise["right"]) < 0.05


def test_a_pad_lifted_gradually_is_followed():
    """Frame to frame, a few tenths of a pixel each: the shifts add up without drift."""
    steps = np.linspace(0.0, 3.0, 16)
    frames = [_frame(lift_image_left=value) for value in steps] + [_frame(lift_image_left=3.0)] * 8
    rise = _track(frames, _landmarks())
    assert rise["right"] == pytest.approx(3.0, abs=0.08)
    assert abs(rise["left"]) < 0.05


def test_a_still_pad_reads_no_lift():
    rise = _track([_frame()] * 10, _landmarks())
    assert abs(rise["left"]) < 0.01 and abs(rise["right"]) < 0.01


def test_a_mirrored_frame_gives_the_mirrored_lift():
    landmarks = _landmarks()
    frames = [_frame(seed=3)] + [_frame(1.3, 2.4, seed=3)] * 10
    mirrored_landmarks = landmarks.copy()
    mirrored_landmarks[:, 0] = SIZE - landmarks[:, 0]
    # a mirrored image swaps which index set lies where: the patient's sides stay named by
    # the index sets, so the mirrored landmarks take the other side's points
    from synkinesis.regions import MIRROR_PAIRS

    mirrored_landmarks = mirrored_landmarks[np.asarray(MIRROR_PAIRS)]
    rise = _track(frames, landmarks)
    mirrored = _track([frame[:, ::-1].copy() for frame in frames], mirrored_landmarks)
    assert rise["left"] == pytest.approx(2.4, abs=0.05)
    assert rise["right"] == pytest.approx(1.3, abs=0.05)
    # the patient's left seen on the image's left: the mirrored "right" index set
    assert mirrored["right"] == pytest.approx(rise["left"], abs=0.01)
    assert mirrored["left"] == pytest.approx(rise["right"], abs=0.01)


def test_registration_of_a_known_shift_in_samples():
    """register() itself: the current patch is the reference moved down by 2.5 samples."""
    from synkinesis.landmarks.chin_texture import PATCH_ROWS, _Sampler, patch_grid

    landmarks = _landmarks()
    centre = landmarks[SIDE_LANDMARKS["left"].chin, :2]
    across, down = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    unit = 64.0
    frame = _frame()
    reference = _Sampler(frame, centre, across * unit, down * unit)(None)
    step_px = 2.0 * chin_texture.HALF_HEIGHT * unit / (PATCH_ROWS - 1)
    moved = _frame(lift_image_right=-2.5 * step_px)  # texture moved down by 2.5 samples
    shift = register(reference, _Sampler(moved, centre, across * unit, down * unit),
                     np.zeros(2))
    assert shift is not None
    assert shift[1] == pytest.approx(2.5, abs=0.05)
    assert patch_grid(centre, across * unit, down * unit).shape == (PATCH_ROWS,
                                                                    chin_texture.PATCH_COLS, 2)


def test_smooth_skin_is_told_from_texture():
    from synkinesis.landmarks.chin_texture import _Sampler

    landmarks = _landmarks()
    centre = landmarks[SIDE_LANDMARKS["left"].chin, :2]
    axes = (np.array([64.0, 0.0]), np.array([0.0, 64.0]))
    textured = fine_texture(_Sampler(_frame(), centre, *axes)(None))
    smooth = fine_texture(_Sampler(_frame(smooth=True), centre, *axes)(None))
    assert textured >= chin_texture.MIN_FINE_TEXTURE > smooth


def test_the_pipeline_takes_a_smooth_sides_refinement_off():
    from synkinesis.measure.calibrate import drop_untextured_chin
    from synkinesis.measure.options import chin_texture_key

    n = 6
    change = {"chin_height_left_mm": np.full(n, 0.5), "chin_height_right_mm": np.full(n, 0.5)}
    signals = {name: 10.0 + values for name, values in change.items()}
    refinement = {**change, chin_texture_key("chin_height_left_mm"): np.full(n, 2.5),
                  chin_texture_key("chin_height_right_mm"): np.full(n, 0.9)}
    refined = {name: np.ones(n, dtype=bool) for name in change}
    out, kept, medians = drop_untextured_chin(signals, refinement, refined, mm_per_unit=2.0)
    np.testing.assert_allclose(out["chin_height_left_mm"], 10.5)  # textured: kept
    np.testing.assert_allclose(out["chin_height_right_mm"], 10.5 - 0.5 * 2.0)  # taken off
    np.testing.assert_allclose(kept["chin_height_right_mm"], 0.0)
    assert medians == {"chin_height_left_mm": 2.5, "chin_height_right_mm": 0.9}


def _noisy(frame: np.ndarray, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0.0, 4.0, frame.shape[:2])
    grey = np.clip(frame[..., 0] + noise, 0, 255).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


def test_the_chain_returns_to_rest_when_the_pad_does():
    """Noisy frames, the pad lifted and lowered back three times: the chained registration
    adds a little error at each step; back at rest, where the pad looks like the first frame
    again, nothing of it is left (the smoothing over frames only lags the ramps)."""
    lifts = np.concatenate([np.linspace(0.0, 2.5, 12), np.linspace(2.5, 0.0, 12)] * 3
                           + [np.zeros(6)])
    frames = [_noisy(_frame(lift_image_right=lift), seed) for seed, lift in enumerate(lifts)]
    tracker = ChinPadTracker()
    chin = SIDE_LANDMARKS["left"].chin
    landmarks = _landmarks()
    errors = []
    for frame, lift in zip(frames, lifts):
        refined, _ = tracker.refine(frame, landmarks)
        errors.append(landmarks[chin, 1] - refined[chin, 1] - lift)
    assert max(abs(e) for e in errors) < 0.3  # the lag of a ramp of 0.23 px per frame
    assert abs(errors[-1]) < 0.03
