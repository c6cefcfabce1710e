"""One resting level for refined and unrefined frames: the pixel refinements' by default
(issue 18), the landmark model's on request (issue 8)."""

from __future__ import annotations

import numpy as np
import pytest

from synkinesis.measure.calibrate import keep_rest_level
from synkinesis.measure.landmark_pass import FrameArrays


def test_the_edge_level_keeps_a_one_sided_change_present_in_every_frame():
    # The refinement sees a 1.5 mm narrowing of the left eye in every frame, rest included,
    # of which the model saw only 0.5 mm: the refined signal keeps all of it. A frame without
    # the refinement (the first) is the model's and is lifted to the refinements' level. The
    # model level (the default) reads the model's 9 mm.
    n = 10
    truth = np.full(n, 8.0)  # a healthy 9.5 mm fissure narrowed by 1.5 mm
    model = np.full(n, 9.0)
    refined = np.ones(n, dtype=bool)
    refined[0] = False
    change = np.where(refined, truth - model, 0.0)
    signals = {"palpebral_fissure_left_mm": model + change}
    rest = np.ones(n, dtype=bool)
    out, offsets = keep_rest_level(signals, {"palpebral_fissure_left_mm": change}, rest, 1.0,
                                    {"palpebral_fissure_left_mm": refined},
                                    edge_level=("palpebral_fissure_left_mm",))
    np.testing.assert_allclose(out["palpebral_fissure_left_mm"], truth)
    assert offsets == {"palpebral_fissure_left_mm": -1.0}
    model_level, _ = keep_rest_level(signals, {"palpebral_fissure_left_mm": change}, rest, 1.0,
                                     {"palpebral_fissure_left_mm": refined})
    np.testing.assert_allclose(model_level["palpebral_fissure_left_mm"], model)


def test_the_model_level_takes_the_refinement_at_rest_off_every_frame():
    n = 10
    model = np.full(n, 9.0)
    movement = np.r_[np.zeros(5), np.full(5, -2.0)]  # the refinement sees a 2 mm narrowing
    lashes = 0.6  # and reads the eye 0.6 mm wider throughout
    signals = {"palpebral_fissure_left_mm": model + lashes + movement,
               "brow_height_left_mm": np.full(n, 20.0)}
    change = {"palpebral_fissure_left_mm": (lashes + movement) / 2.0}  # raw units, 2 mm/unit
    rest = np.r_[np.ones(5, bool), np.zeros(5, bool)]
    out, offsets = keep_rest_level(signals, change, rest, 2.0)
    np.testing.assert_allclose(out["palpebral_fissure_left_mm"], model + movement)
    np.testing.assert_array_equal(out["brow_height_left_mm"], signals["brow_height_left_mm"])
    assert offsets == {"palpebral_fissure_left_mm": 0.6}


def test_a_given_level_stands_for_a_neutral_reference():
    # A narrowing that never leaves the face: the rest frames hold 1 of its 2 mm, so the
    # recording's own level takes that 1 mm for the lashes; the level of a neutral reference
    # (the lashes' 0.6 mm alone) keeps all of it. A signal without a given level keeps its own.
    n = 10
    model = np.full(n, 9.0)
    movement = np.r_[np.full(5, -1.0), np.full(5, -2.0)]
    lashes = 0.6
    names = ("palpebral_fissure_left_mm", "palpebral_fissure_right_mm")
    signals = {name: model + lashes + movement for name in names}
    change = {name: lashes + movement for name in names}
    rest = np.r_[np.ones(5, bool), np.zeros(5, bool)]
    own, own_offsets = keep_rest_level(signals, change, rest, 1.0)
    np.testing.assert_allclose(own[names[0]], model + movement + 1.0)  # 1 mm lost
    out, offsets = keep_rest_level(signals, change, rest, 1.0,
                                    given={names[0]: lashes})
    np.testing.assert_allclose(out[names[0]], model + movement)
    np.testing.assert_allclose(out[names[1]], own[names[1]])
    assert offsets == {names[0]: 0.6, names[1]: own_offsets[names[1]]}


def test_given_levels_are_checked():
    from synkinesis.landmarks.sources import InputError
    from synkinesis.measure import MeasureOptions

    def options(*pairs, method="composite-edges"):
        return MeasureOptions(method=method, refinement_levels=tuple(pairs))

    options(("palpebral_fissure_left_mm", 0.9)).validate()
    hash(options(("palpebral_fissure_left_mm", 0.9)))  # options stay immutable
    with pytest.raises(InputError, match="no refinement changes: brow_height_left_mm"):
        options(("brow_height_left_mm", 0.9)).validate()
    for bad in (float("nan"), "x", None):
        with pytest.raises(InputError, match="finite"):
            options(("palpebral_fissure_left_mm", bad)).validate()
    with pytest.raises(InputError, match="composite-edges method"):
        options(("palpebral_fissure_left_mm", 0.9), method="symmetric").validate()
    with pytest.raises(InputError, match="resting level must be one of model, edges"):
        MeasureOptions(resting_level="lashes").validate()
    with pytest.raises(InputError, match="composite-edges method"):
        MeasureOptions(resting_level="edges", method="fast").validate()
    options(("palpebral_fissure_left_mm:upper_lid", 0.4)).validate()  # an upper lids' share
    with pytest.raises(InputError, match="no refinement changes: mouth_corner_x_left_mm:upper"):
        options(("mouth_corner_x_left_mm:upper_lid", 0.4)).validate()
    # The default resting level is the method's: composite-edges keeps its upper lids' and
    # its corner edges' level (issue 18); the methods without refinements have only the
    # model's.
    assert MeasureOptions().level == "upper-lid-and-corner-edges"
    assert MeasureOptions().as_dict()["resting_level"] == "upper-lid-and-corner-edges"
    for method in ("fast", "symmetric", "composite"):
        MeasureOptions(method=method).validate()
        assert MeasureOptions(method=method).level == "model"
    assert MeasureOptions(resting_level="model").level == "model"
    from synkinesis.measure.options import edge_level_signals

    assert edge_level_signals("model") == ()
    assert "palpebral_fissure_left_mm" in edge_level_signals("edges")
    assert "palpebral_fissure_left_mm" not in edge_level_signals("corner-edges")
    assert "mouth_corner_y_right_mm" in edge_level_signals("corner-edges")
    from synkinesis.measure.options import upper_lid_level_signals

    both = "upper-lid-and-corner-edges"
    assert set(edge_level_signals(both)) == set(edge_level_signals("corner-edges"))
    assert upper_lid_level_signals(both) == upper_lid_level_signals("upper-lid-edges")
    assert "palpebral_fissure_left_mm" in upper_lid_level_signals(both)
    assert upper_lid_level_signals("corner-edges") == ()


def test_the_upper_lid_level_keeps_the_upper_lids_offset_and_takes_the_lower_lids_off():
    # The upper lids' edges read the eye 0.3 mm wider than the model at rest, the lower lids'
    # 0.5 mm (a skin fold); in the second half the edges see a 1 mm narrowing the model missed,
    # all of it by the upper lid. The upper-lid level keeps the 0.3 mm and the movement and
    # takes the lower lids' 0.5 mm off; a given pair of offsets (total, upper share) does the
    # same with those; a given total alone puts the signal on the model's level.
    from synkinesis.measure.options import upper_lid_share

    n = 10
    name, share = "palpebral_fissure_left_mm", upper_lid_share("palpebral_fissure_left_mm")
    model = np.full(n, 9.0)
    movement = np.r_[np.zeros(5), np.full(5, -1.0)]
    refinement = {name: 0.8 + movement, share: 0.3 + movement}
    signals = {name: model + refinement[name]}
    rest = np.r_[np.ones(5, bool), np.zeros(5, bool)]
    out, offsets = keep_rest_level(signals, refinement, rest, 1.0, upper_lid_level=(name,))
    np.testing.assert_allclose(out[name], model + 0.3 + movement)
    assert offsets == {name: 0.8, share: 0.3}
    again, _ = keep_rest_level(signals, refinement, rest, 1.0, given={name: 1.0, share: 0.3},
                               upper_lid_level=(name,))
    np.testing.assert_allclose(again[name], model + 0.1 + movement)  # lower lids' 0.7 off
    total, _ = keep_rest_level(signals, refinement, rest, 1.0, given={name: 0.8},
                               upper_lid_level=(name,))
    np.testing.assert_allclose(total[name], model + movement)


def test_no_rest_frame_leaves_the_signal_alone():
    signals = {"palpebral_fissure_left_mm": np.array([9.0, 8.0])}
    out, offsets = keep_rest_level(signals, {"palpebral_fissure_left_mm": np.ones(2)},
                                    np.zeros(2, bool), 1.0)
    np.testing.assert_array_equal(out["palpebral_fissure_left_mm"], [9.0, 8.0])
    assert offsets == {}


def test_refinement_of_some_batches_lines_up_with_the_frames():
    arrays = FrameArrays()
    arrays.index += [np.arange(3), np.arange(3, 5)]
    arrays.refinement += [{}, {"palpebral_fissure_left_mm": np.array([0.5, 0.7])}]
    other = FrameArrays(index=[np.arange(5, 6)], refinement=[{}])
    arrays.extend(other)
    np.testing.assert_array_equal(arrays.concatenated().refinement["palpebral_fissure_left_mm"],
                                  [0, 0, 0, 0.5, 0.7, 0])


def test_signal_smoothing_is_centred_keeps_quadratics_and_cuts_noise():
    from synkinesis.measure.calibrate import smooth_signals

    t = np.arange(120) / 30.0
    usable = np.ones(t.size, dtype=bool)
    # A movement that is a quadratic over any 7 frames comes through unchanged (no delay, no
    # loss of height).
    quadratic = 2.0 + 0.5 * t - 0.3 * t ** 2
    out = smooth_signals({"x": quadratic}, t, usable)["x"]
    np.testing.assert_allclose(out, quadratic, atol=1e-9)
    # A raised-cosine movement of 0.6 s peaks at the same frame with most of its height.
    bump = np.where(np.abs(t - 2.0) < 0.3, 0.5 * (1 + np.cos(np.pi * (t - 2.0) / 0.3)), 0.0)
    smoothed = smooth_signals({"x": bump}, t, usable)["x"]
    assert np.argmax(smoothed) == np.argmax(bump) and smoothed.max() > 0.9
    # Frame-to-frame noise falls by more than half.
    noise = np.random.default_rng(0).normal(0.0, 1.0, t.size)
    quiet = smooth_signals({"x": noise}, t, usable)["x"]
    assert np.std(np.diff(quiet)) < 0.5 * np.std(np.diff(noise))


def test_signal_smoothing_stays_inside_runs_of_usable_frames():
    from synkinesis.measure.calibrate import smooth_signals

    t = np.arange(40) / 30.0
    usable = np.ones(t.size, dtype=bool)
    usable[20] = False  # e.g. a covered half: the runs either side are not mixed
    values = np.where(np.arange(t.size) < 20, 0.0, 5.0)
    values[20] = 100.0
    out = smooth_signals({"x": values}, t, usable)["x"]
    np.testing.assert_allclose(out[:20], 0.0, atol=1e-9)
    np.testing.assert_allclose(out[21:], 5.0, atol=1e-9)
    assert out[20] == 100.0  # left as it was (the pipeline blanks unusable frames after)
    short = np.array([1.0, 4.0, 2.0])  # shorter than the window: unchanged
    np.testing.assert_array_equal(
        smooth_signals({"x": short}, t[:3], np.ones(3, dtype=bool))["x"], short)


def test_hidden_frames_arepadded_in_time():
    from synkinesis.measure.calibrate import padded_in_time

    t = np.arange(10) * 0.04
    mask = np.zeros(10, dtype=bool)
    mask[5] = True
    np.testing.assert_array_equal(padded_in_time(mask, t, 0.1),
                                  [False, False, False, True, True, True, True, True, False,
                                   False])
    assert not padded_in_time(np.zeros(10, dtype=bool), t, 0.1).any()


def test_with_the_model_level_a_frame_without_the_refinement_keeps_its_value():
    # Frames 0..3 refined (lashes read the eye 0.6 mm wider), frames 4..5 not (the first frame,
    # a re-acquired face, the side beside a covered half): those are the model's own values and
    # must not lose the lashes' 0.6 mm.
    model = np.full(6, 9.0)
    refined = np.array([True, True, True, True, False, False])
    lashes = np.where(refined, 0.6, 0.0)
    signals = {"palpebral_fissure_left_mm": model + lashes}
    change = {"palpebral_fissure_left_mm": lashes}
    rest = np.ones(6, dtype=bool)
    out, offsets = keep_rest_level(signals, change, rest, 1.0,
                                    {"palpebral_fissure_left_mm": refined})
    np.testing.assert_allclose(out["palpebral_fissure_left_mm"], model)
    assert offsets == {"palpebral_fissure_left_mm": 0.6}


def test_refined_frames_follow_each_sides_source():
    from synkinesis.measure import SOURCE_CODES
    from synkinesis.measure.calibrate import refined_frames

    codes = np.array([[SOURCE_CODES["composite+lid-edges"], SOURCE_CODES["hidden"]],
                      [SOURCE_CODES["composite+corner-edges"],
                       SOURCE_CODES["composite+lid-and-corner-edges"]],
                      [SOURCE_CODES["plain"], SOURCE_CODES["composite"]]])
    refined = refined_frames(codes)
    np.testing.assert_array_equal(refined["palpebral_fissure_left_mm"], [True, False, False])
    np.testing.assert_array_equal(refined["palpebral_fissure_right_mm"], [False, True, False])
    np.testing.assert_array_equal(refined["mouth_corner_x_left_mm"], [False, True, False])
    np.testing.assert_array_equal(refined["nasolabial_length_right_mm"], [False, True, False])


def test_a_covered_half_is_flagged_per_side_and_padded():
    from synkinesis.measure import SOURCE_CODES
    from synkinesis.measure.calibrate import hidden_halves

    n = 20
    t = np.arange(n) * 0.04
    codes = np.full((n, 2), SOURCE_CODES["composite"])
    codes[8:10, 1] = SOURCE_CODES["hidden"]  # the patient's right, frames 8 and 9
    hidden = hidden_halves(codes, t, np.ones(n, dtype=bool))
    assert not hidden["left"].any()
    np.testing.assert_array_equal(np.flatnonzero(hidden["right"]), np.arange(6, 12))
    # Hidden in most of the recording: a half the model never scores high, not a hand.
    codes[:, 1] = SOURCE_CODES["hidden"]
    hidden = hidden_halves(codes, t, np.ones(n, dtype=bool))
    assert not hidden["left"].any() and not hidden["right"].any()


def test_a_covered_side_has_no_signals_and_the_other_side_keeps_them():
    from synkinesis.signals import blank_side

    frames = np.array([False, True, False])
    signals = {"palpebral_fissure_right_mm": np.ones(3), "palpebral_fissure_left_mm": np.ones(3),
               "mouth_width_mm": np.ones(3), "_canthus_above_pupil_mm_right": np.ones(3)}
    out = blank_side(signals, "right", frames)
    np.testing.assert_array_equal(out["palpebral_fissure_right_mm"], [1, np.nan, 1])
    np.testing.assert_array_equal(out["_canthus_above_pupil_mm_right"], [1, np.nan, 1])
    np.testing.assert_array_equal(out["mouth_width_mm"], [1, np.nan, 1])  # uses both sides
    np.testing.assert_array_equal(out["palpebral_fissure_left_mm"], [1, 1, 1])


def test_the_upper_lid_level_keeps_the_upper_lids_offset_and_only_the_lower_lids_movement():
    # The lids' edges see a 1.5 mm narrowing in every frame, 0.75 mm from each lid, of which
    # the model saw nothing. The lower lid's edge also sits 0.8 mm low (a skin fold under it):
    # that resting offset is taken off, the upper lid's is kept; the lower lid's movement
    # (here 0.5 mm in the last frames) is kept too.
    from synkinesis.measure.options import upper_lid_share

    n = 10
    name = "palpebral_fissure_left_mm"
    model = np.full(n, 9.0)
    upper = np.full(n, -0.75)
    lower_movement = np.r_[np.zeros(5), np.full(5, -0.5)]
    lower = -0.75 + 0.8 + lower_movement
    rest = np.r_[np.ones(5, bool), np.zeros(5, bool)]
    signals = {name: model + upper + lower}
    refinement = {name: upper + lower, upper_lid_share(name): upper}
    out, offsets = keep_rest_level(signals, refinement, rest, 1.0, upper_lid_level=(name,))
    # model 9, upper -0.75 kept, lower's resting 0.05 taken off, its -0.5 movement kept
    np.testing.assert_allclose(out[name], model - 0.75 + lower_movement)
    assert offsets == {name: pytest.approx(-0.7), upper_lid_share(name): -0.75}  # all, upper
    # Without its upper-lid share a signal keeps the model's level.
    out, _ = keep_rest_level(signals, {name: upper + lower}, rest, 1.0, upper_lid_level=(name,))
    np.testing.assert_allclose(out[name], model + lower_movement)


def test_the_upper_lid_and_corner_edges_level_keeps_a_constant_corner_raise():
    # The default level (issue 18). The right corner sits 1.4 mm more lateral than the left in
    # every frame, rest included (a constant raise, up and out); the model sees 0.5 mm of it,
    # the corner edge the rest: the corner keeps its edge's level and reads all 1.4 mm. The left
    # corner's edge lies 0.6 mm lateral to the model's at rest (light): that is kept too, as
    # asymmetry, and the model level would read neither. The eye in the same recording keeps
    # its upper lids' offset (0.3 mm) and has its lower lids' (-0.2 mm) taken off.
    from synkinesis.measure.options import edge_level_signals, upper_lid_level_signals

    level = "upper-lid-and-corner-edges"
    n = 12
    rest = np.arange(n) < 4
    refined = {name: np.ones(n, dtype=bool) for name in
               ("mouth_corner_x_left_mm", "mouth_corner_x_right_mm",
                "palpebral_fissure_left_mm")}
    refined["mouth_corner_x_right_mm"][0] = False  # a frame the edge did not refine
    model = {"mouth_corner_x_left_mm": np.full(n, 25.0),
             "mouth_corner_x_right_mm": np.full(n, 25.5),
             "palpebral_fissure_left_mm": np.full(n, 9.0)}
    change = {"mouth_corner_x_left_mm": np.full(n, 0.6),
              "mouth_corner_x_right_mm": np.where(refined["mouth_corner_x_right_mm"], 0.9, 0.0),
              "palpebral_fissure_left_mm": np.full(n, 0.1),
              "palpebral_fissure_left_mm:upper_lid": np.full(n, 0.3)}
    signals = {name: model[name] + change[name] for name in model}
    out, offsets = keep_rest_level(signals, change, rest, 1.0, refined,
                                   edge_level=edge_level_signals(level),
                                   upper_lid_level=upper_lid_level_signals(level))
    np.testing.assert_allclose(out["mouth_corner_x_right_mm"], 26.4)  # 25 + 1.4, every frame
    np.testing.assert_allclose(out["mouth_corner_x_left_mm"], 25.6)
    np.testing.assert_allclose(out["palpebral_fissure_left_mm"], 9.3)
    assert offsets["mouth_corner_x_right_mm"] == pytest.approx(0.9)
    assert offsets["palpebral_fissure_left_mm:upper_lid"] == pytest.approx(0.3)
    model_level, _ = keep_rest_level(signals, change, rest, 1.0, refined)
    np.testing.assert_allclose(model_level["mouth_corner_x_right_mm"], 25.5)
    np.testing.assert_allclose(model_level["mouth_corner_x_left_mm"], 25.0)
