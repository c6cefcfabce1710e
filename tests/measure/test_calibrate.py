"""Each calibration step on its own: known arrays in, known arrays out."""

from __future__ import annotations

import numpy as np
import pytest

from synkinesis.landmarks.sources import InputError
from synkinesis.measure import BLENDSHAPE_NAMES
from synkinesis.measure.calibrate import (
    MIN_SCALE_FRAMES,
    OPEN_EYE_SCALE_FRACTION,
    choose_rest,
    expression_activity,
    eye_flags,
    open_eye_iris_scale,
    quality_flags,
    quiet_frames,
    scale_signals,
    unit_of,
)
from synkinesis.quality import FrameFlag, QualityLimits

LIMITS = QualityLimits()


def _no_hidden(n):
    return {"left": np.zeros(n, dtype=bool), "right": np.zeros(n, dtype=bool)}


def test_quality_flags_mark_each_condition_in_its_frame():
    n = 8
    n_faces = np.array([1, 0, 2, 1, 1, 1, 1, 1])
    angles = np.zeros((n, 3))
    angles[3] = (30.0, 0.0, 0.0)  # yaw beyond 25 degrees
    outside = np.zeros(n)
    outside[4] = 0.05  # 5 % of the landmarks outside the image
    iris_px = np.full(n, 20.0)
    iris_px[5] = 3.0  # below 4 px
    hidden = _no_hidden(n)
    hidden["right"][6] = True
    hidden["left"][7] = hidden["right"][7] = True
    flags = quality_flags(n_faces=n_faces, angles_deg=angles, fit_residual=np.full(n, 1.0),
                          outside_fraction=outside, iris_px=iris_px, hidden=hidden,
                          limits=LIMITS)
    assert flags.dtype == np.int64 and flags.shape == (n,)
    expected = [0, FrameFlag.NO_FACE, FrameFlag.MULTIPLE_FACES, FrameFlag.POSE_LIMIT,
                FrameFlag.PARTLY_OUTSIDE, FrameFlag.SMALL_FACE, FrameFlag.HIDDEN_RIGHT,
                FrameFlag.HIDDEN_LEFT | FrameFlag.HIDDEN_RIGHT | FrameFlag.HALF_HIDDEN]
    assert flags.tolist() == [int(e) for e in expected]


def test_quality_flags_find_a_fit_outlier():
    n = 10
    residual = np.full(n, 1.0)
    residual[4] = 50.0  # a hand distorting the landmarks
    flags = quality_flags(n_faces=np.ones(n, dtype=int), angles_deg=np.zeros((n, 3)),
                          fit_residual=residual, outside_fraction=np.zeros(n),
                          iris_px=np.full(n, 20.0), hidden=_no_hidden(n), limits=LIMITS)
    assert np.flatnonzero(flags).tolist() == [4] and flags[4] == FrameFlag.FIT_OUTLIER


def test_eye_flags_tell_a_blink_from_a_closed_eye():
    t = np.arange(60) / 30.0  # 2 s at 30 fps
    left = np.full(60, 10.0)
    left[10:13] = 1.0  # 0.07 s closed: a blink
    right = np.full(60, 10.0)
    right[30:60] = 1.0  # closed for 1 s: a closed eye, not a blink
    flags, open_by_side = eye_flags({"left": left, "right": right}, t, np.ones(60, bool),
                                    limits=LIMITS)
    closed_left = (flags & FrameFlag.EYE_CLOSED_LEFT) != 0
    blink_left = (flags & FrameFlag.BLINK_LEFT) != 0
    closed_right = (flags & FrameFlag.EYE_CLOSED_RIGHT) != 0
    blink_right = (flags & FrameFlag.BLINK_RIGHT) != 0
    assert np.flatnonzero(closed_left).tolist() == [10, 11, 12]
    assert np.flatnonzero(blink_left).tolist() == [10, 11, 12]
    assert np.flatnonzero(closed_right).tolist() == list(range(30, 60))
    assert not blink_right.any()
    np.testing.assert_array_equal(open_by_side["left"], ~closed_left)
    np.testing.assert_array_equal(open_by_side["right"], ~closed_right)


def test_eye_flags_find_a_partial_blink_of_both_eyes():
    t = np.arange(30) / 30.0
    fissure = np.full(30, 10.0)
    fissure[5:7] = 4.5  # both eyes to 45 % of open: not closed (35 %), but a blink
    flags, _ = eye_flags({"left": fissure, "right": fissure.copy()}, t, np.ones(30, bool),
                         limits=LIMITS)
    both = FrameFlag.BLINK_LEFT | FrameFlag.BLINK_RIGHT
    assert np.flatnonzero(flags).tolist() == [5, 6] and (flags[5:7] == both).all()


def test_iris_scale_comes_from_each_eyes_most_open_frames():
    # 100 frames; each eye's iris reads 1.0 unit where the eye is open and 0.8 where its lids
    # cover part of it (the left eye narrowed in frames 0..59). The widest fifth of each eye's
    # frames reads the whole iris: 11.77 mm per unit exactly.
    assert OPEN_EYE_SCALE_FRACTION == 0.2
    n = 100
    fissure_left = np.where(np.arange(n) < 60, 0.3, 0.5)
    fissure_right = np.full(n, 0.5) + np.linspace(0, 0.01, n)
    iris = np.column_stack([np.where(fissure_left < 0.4, 0.8, 1.0), np.ones(n)])
    scale = open_eye_iris_scale(iris, np.full(n, 6.0),
                                {"left": fissure_left, "right": fissure_right},
                                np.ones(n, dtype=bool), 11.77)
    assert scale is not None and scale.method == "iris"
    assert scale.mm_per_unit == pytest.approx(11.77)
    assert scale.measured_units == pytest.approx(1.0) and scale.frames_used == 40


def test_iris_scale_takes_at_least_a_minimum_of_frames_per_eye():
    # A short recording: a fifth of its 50 frames is 10 per eye, too few for a steady reading;
    # the scale takes each eye's widest 14. Here 5 of the 10 widest frames of each eye read
    # the iris 1.3, all others 1.0. The 10 % trimmed mean leaves out one reading at either end
    # of 10 or of 14: over 10 it would be (4 x 1.3 + 4 x 1.0) / 8 = 1.15, over 14
    # (4 x 1.3 + 8 x 1.0) / 12 = 1.1. A long recording keeps its fifth.
    from synkinesis.measure.calibrate import MIN_OPEN_EYE_FRAMES

    assert MIN_OPEN_EYE_FRAMES == 14
    n = 50
    fissure = np.linspace(1.0, 0.5, n)  # frame 0 the widest
    iris = np.ones((n, 2))
    iris[[0, 2, 4, 6, 8]] = 1.3
    scale = open_eye_iris_scale(iris, np.full(n, 6.0), {"left": fissure, "right": fissure},
                                np.ones(n, dtype=bool), 11.77)
    assert scale.frames_used == 28
    assert scale.measured_units == pytest.approx(1.1)
    n = 300
    fissure = np.linspace(1.0, 0.5, n)
    scale = open_eye_iris_scale(np.ones((n, 2)), np.full(n, 6.0),
                                {"left": fissure, "right": fissure}, np.ones(n, dtype=bool),
                                11.77)
    assert scale.frames_used == 120


def test_iris_scale_is_the_larger_eyes_so_one_narrowed_eye_does_not_move_it():
    # Resting tightness: one eye narrowed in every frame, its lids covering part of its iris,
    # whose landmarks then read it 4 % smaller in every frame (WolfgangLanger with her left
    # eye narrowed 2.5 mm: 4.3 %). The scale stays the other eye's, whichever side it is, and
    # a mirrored recording (the columns swapped) gives exactly the same scale.
    rng = np.random.default_rng(7)
    n = 200
    fissures = {"left": rng.uniform(0.4, 0.6, n), "right": rng.uniform(0.4, 0.6, n)}
    healthy = 1.0 + 0.01 * rng.standard_normal((n, 2))
    interpupil = np.full(n, 6.0)
    every = np.ones(n, dtype=bool)
    before = open_eye_iris_scale(healthy, interpupil, fissures, every, 11.77)
    for column, side in enumerate(("left", "right")):
        narrowed = healthy.copy()
        narrowed[:, column] *= 0.96
        narrowed_fissures = {**fissures, side: fissures[side] - 0.15}  # the same frames widest
        scale = open_eye_iris_scale(narrowed, interpupil, narrowed_fissures, every, 11.77)
        other = 1 - column
        # the other eye's own reading: its widest fifth, 10 % trimmed
        order = np.argsort(-fissures[("left", "right")[other]], kind="stable")[:40]
        kept = np.sort(healthy[order, other])[4:36]
        assert scale.measured_units == pytest.approx(kept.mean())
        # ... which is within the two healthy eyes' difference of the scale before
        assert abs(scale.mm_per_unit / before.mm_per_unit - 1) < 0.01
        mirrored = open_eye_iris_scale(narrowed[:, ::-1], interpupil,
                                       {"left": narrowed_fissures["right"],
                                        "right": narrowed_fissures["left"]}, every, 11.77)
        assert mirrored.mm_per_unit == scale.mm_per_unit


def test_iris_scale_moves_by_a_share_when_its_widest_frames_change():
    # The iris landmarks of one face read in two clusters (1.24 in some frames, 1.36 in
    # others: WolfgangLanger's right eye). A change elsewhere on the face reorders which of
    # them are the eye's widest 40 of 200: 3 frames reading 1.36 drop out, 3 reading 1.24
    # come in. A median jumps to the other cluster (1.36 -> 1.24, 9 %); the trimmed mean moves
    # by the swapped frames' share (under 1 %).
    n = 200
    iris = np.full((n, 2), 1.24)
    iris[:21, 0] = 1.36  # 21 of the 40 widest read 1.36
    iris[:, 1] = 1.0  # the other eye reads smaller: the scale is this eye's
    fissure = np.linspace(1.0, 0.5, n)
    reordered = fissure.copy()
    reordered[[0, 1, 2]] = 0.55  # three frames reading 1.36 leave the widest 40 ...
    reordered[[150, 151, 152]] = 1.1  # ... and three reading 1.24 come in
    interpupil, every = np.full(n, 6.0), np.ones(n, dtype=bool)
    before = open_eye_iris_scale(iris, interpupil, {"left": fissure, "right": fissure}, every,
                                 11.77)
    after = open_eye_iris_scale(iris, interpupil, {"left": reordered, "right": fissure}, every,
                                11.77)
    assert before.measured_units == pytest.approx((17 * 1.36 + 15 * 1.24) / 32)
    assert after.measured_units == pytest.approx((14 * 1.36 + 18 * 1.24) / 32)
    assert abs(after.mm_per_unit / before.mm_per_unit - 1) < 0.01


def test_iris_scale_needs_enough_plausible_frames():
    # a fifth of them is below the minimum
    n = round(MIN_SCALE_FRAMES / OPEN_EYE_SCALE_FRACTION) - 3
    iris = np.ones((n, 2))
    assert open_eye_iris_scale(iris, np.full(n, 6.0), {"left": np.ones(n), "right": np.ones(n)},
                               np.ones(n, dtype=bool), 11.77) is None
    # An iris of 40 % of the inter-pupillary distance is not an iris: none is plausible.
    n = 100
    assert open_eye_iris_scale(np.full((n, 2), 2.4), np.full(n, 6.0),
                               {"left": np.ones(n), "right": np.ones(n)},
                               np.ones(n, dtype=bool), 11.77) is None


def test_signals_are_scaled_by_their_unit():
    signals = {"brow_height_left_mm": np.array([2.0]), "eye_area_left_mm2": np.array([2.0]),
               "nasolabial_angle_left_deg": np.array([2.0]),
               "eye_aspect_ratio_left_ratio": np.array([2.0])}
    out = scale_signals(signals, 10.0)
    assert {name: float(v[0]) for name, v in out.items()} == {
        "brow_height_left_mm": 20.0, "eye_area_left_mm2": 200.0,
        "nasolabial_angle_left_deg": 2.0, "eye_aspect_ratio_left_ratio": 2.0}
    assert [unit_of(n) for n in signals] == ["mm", "mm2", "deg", "ratio"]
    assert unit_of("_canthus_above_pupil_mm_right") == "mm"


def _blendshapes(activity_per_frame):
    """(N, 52) blendshapes whose expression activity is the given value per frame: it sits
    in jawOpen; gaze (eyeLook*) and _neutral are set high and must not count."""
    n = len(activity_per_frame)
    out = np.zeros((n, len(BLENDSHAPE_NAMES)), dtype=np.float32)
    out[:, BLENDSHAPE_NAMES.index("jawOpen")] = activity_per_frame
    out[:, BLENDSHAPE_NAMES.index("_neutral")] = 0.9
    out[:, BLENDSHAPE_NAMES.index("eyeLookUpLeft")] = 0.9
    return out


def test_expression_activity_leaves_out_gaze_and_neutral():
    blend = _blendshapes([0.25, 0.5])
    blend[1, BLENDSHAPE_NAMES.index("browInnerUp")] = np.nan  # NaN counts 0
    np.testing.assert_allclose(expression_activity(blend), [0.25, 0.5])


def test_quiet_frames_are_the_least_active_candidates_ties_to_the_earlier():
    activity = [0.5, 0.1, 0.3, 0.1, 0.9, 0.0, 0.2, 0.4, 0.6, 0.7]
    candidates = np.ones(10, dtype=bool)
    candidates[5] = False  # the quietest frame is not a candidate
    mask, measured = quiet_frames(_blendshapes(activity), candidates, 0.3)
    assert np.flatnonzero(mask).tolist() == [1, 3, 6]  # round(0.3 * 9) = 3 frames
    np.testing.assert_allclose(measured, activity, atol=1e-6)
    one, _ = quiet_frames(_blendshapes(activity), candidates, 0.01)
    assert np.flatnonzero(one).tolist() == [1]  # at least one; the earlier of the tie


def test_rest_is_the_quietest_tenth_of_open_eyed_usable_frames():
    n = 20
    activity = np.linspace(1.0, 2.0, n)
    activity[[3, 4]] = 0.0  # the quietest frames, but frame 4 has an eye closed
    eyes_open = np.ones(n, dtype=bool)
    eyes_open[4] = False
    usable = np.ones(n, dtype=bool)
    usable[0] = False
    t = np.arange(n) / 10.0
    mask, info = choose_rest(t, _blendshapes(activity), usable, eyes_open)
    # round(0.1 * 18) = 2 (frames 3 and 1), and frame 2, 0.053 busier than frame 1: within
    # the activity's noise (0.1); frame 5, 0.105 busier, is not.
    assert np.flatnonzero(mask).tolist() == [1, 2, 3]
    assert info == {"method": ("quietest 10% of usable frames (lowest blendshape activity) "
                               "and those within the activity's noise (0.1) of them"),
                    "frames": 3, "max_activity": pytest.approx(activity[2], abs=1e-6)}
    # No frame with both eyes open: the usable frames are the candidates.
    mask, _ = choose_rest(t, _blendshapes(activity), usable, np.zeros(n, dtype=bool))
    assert np.flatnonzero(mask).tolist() == [3, 4]


def test_rest_does_not_hang_on_a_difference_below_the_activity_noise():
    # Frames 9 and 10 tie for the quietest tenth's last place to 0.001: which one comes first
    # must not decide rest (a mirrored copy of a video reorders them, by up to 0.09).
    activity = np.r_[0.0, np.full(8, 1.0), 0.5, 0.501, np.full(9, 1.0)]
    perturbed = activity.copy()
    perturbed[[9, 10]] = 0.53, 0.5
    usable = eyes_open = np.ones(activity.size, dtype=bool)
    t = np.arange(activity.size) / 10.0
    masks = [np.flatnonzero(choose_rest(t, _blendshapes(values), usable, eyes_open)[0]).tolist()
             for values in (activity, perturbed)]
    assert masks == [[0, 9, 10], [0, 9, 10]]


def test_a_given_rest_span_takes_its_usable_frames():
    t = np.arange(10) / 10.0
    usable = np.ones(10, dtype=bool)
    usable[2] = False
    mask, info = choose_rest(t, _blendshapes(np.zeros(10)), usable, np.ones(10, dtype=bool),
                             rest_span_s=(0.1, 0.35))
    assert np.flatnonzero(mask).tolist() == [1, 3]
    assert info == {"method": "given span", "span_s": [0.1, 0.35], "frames": 2}
    with pytest.raises(InputError, match="holds no usable frame"):
        choose_rest(t, _blendshapes(np.zeros(10)), usable, np.ones(10, dtype=bool),
                    rest_span_s=(0.15, 0.25))



def test_change_resolution_is_the_larger_of_the_pixel_floor_and_the_rest_noise():
    from synkinesis.measure.calibrate import (
        RESOLVABLE_NOISE_FACTOR,
        RESOLVABLE_PX,
        change_resolution,
    )

    rng = np.random.default_rng(0)
    n = 4000
    rest = np.zeros(n, dtype=bool)
    rest[:2000] = True
    noisy = 0.8  # mm, the mouth corner's rest noise on the right side
    signals = {
        "palpebral_fissure_left_mm": 10 + rng.normal(0, 0.01, n),
        "palpebral_fissure_right_mm": 10 + rng.normal(0, 0.01, n),
        "mouth_corner_x_left_mm": 25 + rng.normal(0, 0.01, n),
        "mouth_corner_y_right_mm": -30 + np.where(rest, rng.normal(0, noisy, n), 5.0),
    }
    # An expression starting in a few of the rest frames does not count as noise.
    signals["mouth_corner_x_left_mm"][1900:2000] += 4.0
    iris_px = np.full(n, 23.54)  # 2 px per mm at an 11.77 mm iris
    iris_px[-5:] = np.nan
    resolution = change_resolution(signals, rest, iris_px, np.ones(n, dtype=bool), 11.77)
    assert resolution is not None
    assert resolution.px_per_mm == pytest.approx(2.0)
    # The eye is still: the pixels limit it (RESOLVABLE_PX at 2 px per mm).
    assert resolution.resolvable_mm("eye") == pytest.approx(RESOLVABLE_PX / 2.0)
    # The mouth corner's worst signal is noisy at rest: its noise limits it (the frames
    # outside rest, far away, do not count).
    mouth = resolution.regions["mouth_corner"]
    assert mouth.noise_mm == pytest.approx(noisy, rel=0.1)
    assert mouth.resolvable_mm == pytest.approx(RESOLVABLE_NOISE_FACTOR * mouth.noise_mm,
                                                rel=1e-3)
    # A region none of whose signals was measured: not stated.
    assert resolution.resolvable_mm("chin") is None
    assert resolution.resolvable_mm("neck") is None
    # No iris seen in a usable frame: no resolution.
    assert change_resolution(signals, rest, np.full(n, np.nan), np.ones(n, dtype=bool),
                             11.77) is None


def test_the_signal_smoothing_is_scipys_savitzky_golay_to_rounding():
    from scipy.signal import savgol_filter

    from synkinesis.measure.calibrate import savgol_quadratic

    rng = np.random.default_rng(0)
    for window in (5, 7, 9, 15):
        for n in (window, window + 1, 60, 301):
            values = np.cumsum(rng.normal(size=n)) * 3.0 + 20.0
            expected = savgol_filter(values, window, 2)
            assert np.allclose(savgol_quadratic(values, window), expected, rtol=0, atol=1e-10)
    # a quadratic passes through unchanged, ends included
    t = np.arange(40, dtype=float)
    assert np.allclose(savgol_quadratic(0.5 * t**2 - 3 * t + 1, 9), 0.5 * t**2 - 3 * t + 1)
