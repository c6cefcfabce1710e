"""A pixel refinement of the landmarks changes movement, never the resting level (issue 8)."""

from __future__ import annotations

import numpy as np

from synkinesis.pipeline import FrameArrays, _keep_rest_level


def test_refinement_level_at_rest_is_taken_off_every_frame():
    n = 10
    model = np.full(n, 9.0)
    movement = np.r_[np.zeros(5), np.full(5, -2.0)]  # the refinement sees a 2 mm narrowing
    lashes = 0.6  # and reads the eye 0.6 mm wider throughout
    signals = {"palpebral_fissure_left_mm": model + lashes + movement,
               "brow_height_left_mm": np.full(n, 20.0)}
    change = {"palpebral_fissure_left_mm": (lashes + movement) / 2.0}  # raw units, 2 mm/unit
    rest = np.r_[np.ones(5, bool), np.zeros(5, bool)]
    out, offsets = _keep_rest_level(signals, change, rest, 2.0, {"mm": 1})
    np.testing.assert_allclose(out["palpebral_fissure_left_mm"], model + movement)
    np.testing.assert_array_equal(out["brow_height_left_mm"], signals["brow_height_left_mm"])
    assert offsets == {"palpebral_fissure_left_mm": 0.6}


def test_no_rest_frame_leaves_the_signal_alone():
    signals = {"palpebral_fissure_left_mm": np.array([9.0, 8.0])}
    out, offsets = _keep_rest_level(signals, {"palpebral_fissure_left_mm": np.ones(2)},
                                    np.zeros(2, bool), 1.0, {"mm": 1})
    np.testing.assert_array_equal(out["palpebral_fissure_left_mm"], [9.0, 8.0])
    assert offsets == {}


def test_refinement_of_some_batches_lines_up_with_the_frames():
    arrays = FrameArrays()
    arrays.index += [np.arange(3), np.arange(3, 5)]
    arrays.refinement += [{}, {"palpebral_fissure_left_mm": np.array([0.5, 0.7])}]
    other = FrameArrays(index=[np.arange(5, 6)], refinement=[{}])
    arrays.extend(other)
    np.testing.assert_array_equal(arrays._refinement()["palpebral_fissure_left_mm"],
                                  [0, 0, 0, 0.5, 0.7, 0])
