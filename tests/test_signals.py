import numpy as np

from synkinesis.landmarks.model import load_canonical_face
from synkinesis.quality import FrameFlag, QualityLimits, eye_closure_flags, fit_outliers
from synkinesis.regions import MIRROR_PAIRS
from synkinesis.signals import (
    add_rest_excursions,
    anchor_brow_to_pupil,
    compute_signals,
    mirror_signals,
    rest_reference,
    signal_definitions,
)


def _canonical_head(n: int = 4) -> np.ndarray:
    vertices = load_canonical_face().vertices
    head = np.zeros((n, 478, 3))
    head[:, :468] = vertices
    for centre, ring, eye in ((468, (469, 470, 471, 472), (33, 133)),
                              (473, (476, 475, 474, 477), (263, 362))):
        c = vertices[list(eye)].mean(axis=0) + [0, 0.05, 0]
        head[:, centre] = c
        # 469/476 medial, 471/474 lateral, 470/475 up, 472/477 down.
        sign = -1 if centre == 468 else 1
        for k, offset in zip(ring, ([-sign * 0.6, 0, 0], [0, 0.6, 0], [sign * 0.6, 0, 0],
                                    [0, -0.6, 0])):
            head[:, k] = c + offset
    return head


def test_symmetric_face_gives_equal_sides_and_known_values():
    signals = compute_signals(_canonical_head(), 10.0)
    for name, values in signals.items():
        if "_left_" in name:
            np.testing.assert_allclose(values, signals[name.replace("_left_", "_right_")],
                                       atol=1e-9, err_msg=name)
    vertices = load_canonical_face().vertices
    expected_width = 10.0 * (vertices[291, 0] - vertices[61, 0])
    np.testing.assert_allclose(signals["mouth_width_mm"], expected_width)
    np.testing.assert_allclose(signals["iris_diameter_mm"], 12.0)
    assert {d.name for d in signal_definitions()} <= set(signals)


def test_moving_one_mouth_corner_changes_only_that_side():
    head = _canonical_head(2)
    head[1, 291, 1] += 0.3  # the patient's left corner rises 3 mm (10 mm per unit)
    signals = compute_signals(head, 10.0)
    assert np.isclose(signals["mouth_corner_y_left_mm"][1] - signals["mouth_corner_y_left_mm"][0],
                      3.0)
    assert np.isclose(signals["mouth_corner_y_right_mm"][1], signals["mouth_corner_y_right_mm"][0])
    rest = rest_reference(signals, np.array([True, False]))
    moved = add_rest_excursions(signals, rest)
    np.testing.assert_allclose(moved["mouth_corner_excursion_left_mm"], [0, 3.0], atol=1e-9)
    np.testing.assert_allclose(moved["mouth_corner_excursion_right_mm"], [0, 0], atol=1e-9)


def test_mirrored_landmarks_give_mirrored_signals():
    rng = np.random.default_rng(1)
    head = _canonical_head(3) + rng.normal(0, 0.02, size=(3, 478, 3))
    mirrored = head[:, list(MIRROR_PAIRS)] * np.array([-1, 1, 1])
    a = compute_signals(head, 10.0)
    b = mirror_signals(compute_signals(mirrored, 10.0))
    for name in a:
        if not name.startswith("_"):
            np.testing.assert_allclose(a[name], b[name], atol=1e-9, err_msg=name)


def test_brow_height_is_above_the_pupil_but_ignores_a_drifting_iris():
    head = _canonical_head(3)
    head[2, 468, 1] -= 0.3  # the iris landmark drifts as the lid closes: not a brow movement
    signals = compute_signals(head, 10.0)
    anchored = anchor_brow_to_pupil(signals, {"left": np.array([1, 1, 0], bool),
                                              "right": np.array([1, 1, 0], bool)})
    brow = anchored["brow_height_right_mm"]
    np.testing.assert_allclose(brow, brow[0])
    vertices = load_canonical_face().vertices
    pupil_y = 10 * (vertices[[33, 133], 1].mean() + 0.05)
    np.testing.assert_allclose(brow[0], 10 * vertices[[70, 63, 105, 66, 107], 1].mean() - pupil_y)
    assert not any(name.startswith("_") for name in anchored)


def test_blinks_are_short_closures():
    time_s = np.arange(60) / 30
    fissure = np.full(60, 10.0)
    fissure[10:13] = 1.0  # 0.1 s: a blink
    fissure[30:55] = 1.0  # 0.8 s: a sustained closure
    closed, blink = eye_closure_flags(fissure, time_s, np.ones(60, bool), limits=QualityLimits())
    assert closed[10:13].all() and closed[30:55].all() and closed.sum() == 28
    assert blink[10:13].all() and not blink[30:55].any()


def test_fit_outliers_flag_distorted_frames():
    residual = np.full(50, 0.2) + np.random.default_rng(0).normal(0, 0.005, 50)
    residual[[7, 30]] = 0.6
    flagged = fit_outliers(residual, np.ones(50, bool), limits=QualityLimits())
    assert list(np.flatnonzero(flagged)) == [7, 30]
    assert FrameFlag.FIT_OUTLIER.name == "FIT_OUTLIER"


def test_a_partial_blink_of_both_eyes_is_a_blink_and_one_eye_narrowing_is_not():
    from synkinesis.quality import QualityLimits, partial_blinks

    t = np.arange(60) / 30.0
    left, right = np.full(60, 9.0), np.full(60, 9.5)
    left[20:23], right[20:23] = 4.0, 4.3  # both eyes to 45 % for 0.1 s: a partial blink
    left[40:44] = 3.0  # one eye only: a one-sided narrowing, not a blink
    usable = np.ones(60, dtype=bool)
    blink = partial_blinks(left, right, t, usable, limits=QualityLimits())
    np.testing.assert_array_equal(np.flatnonzero(blink), [20, 21, 22])
    # With the other half covered (NaN), the seen eye alone decides.
    covered = right.copy()
    covered[38:46] = np.nan
    blink = partial_blinks(left, covered, t, usable, limits=QualityLimits())
    np.testing.assert_array_equal(np.flatnonzero(blink), [20, 21, 22, 40, 41, 42, 43])
    # The same narrowing of both eyes held for a second is a squint, not a blink.
    left[20:50], right[20:50] = 4.0, 4.3
    assert not partial_blinks(left, right, t, usable, limits=QualityLimits()).any()
