"""Reading a co-movement cell over the frames the task's DRIVER holds
(``CouplingOptions(held_level="driver")``). The region's own noise does not choose the frames,
so its mean over them is unbiased: a known co-movement reads its size under white tracker
noise, a symmetric noisy face reads an excess centred on zero, and the frames stay the same
whatever the region's own noise. The held minimum of the region's own best window (the
default) reads low in both, which is what these tests show it does."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from synthetic_faces import guided, make_recording

from synkinesis.analysis import AnalysisOptions, analyze_recording
from synkinesis.coupling import HELD_LEVELS, CouplingOptions
from synkinesis.uncertainty import UncertaintyOptions

#: Every task twice, as the guided protocol asks.
STEPS = (("rest", 3.0),
         *((task, 2.5) for task in ("gentle_eye_closure", "gentle_eye_closure", "big_smile",
                                    "big_smile")),
         ("rest", 1.0))
NOISE_MM = 0.5
SEEDS = range(24)


def _coupling(recording, spans, rule: str):
    options = AnalysisOptions(coupling=CouplingOptions(held_level=rule),
                              uncertainty=UncertaintyOptions(replicates=0),
                              affected_side="left")
    return analyze_recording(recording, spans=guided(spans), options=options).coupling


def _cell(coupling, side, task, region):
    return coupling.cell(quantity="excess_mm", side=side, task=task, region=region)


def test_driver_is_a_held_level_rule():
    assert "driver" in HELD_LEVELS
    CouplingOptions(held_level="driver").validate()


def test_a_known_co_movement_reads_its_size_under_white_noise():
    # 1.5 mm of extra eye narrowing on the left while smiling, white jitter of 0.5 mm on every
    # signal. Read over the smile's hold (the frames where the mouth, the driver, is held at
    # least half way, ramps included: their mean envelope is about 0.98 of the plateau) the
    # excess reads 1.5 mm on average, and spreads half as much as the lowest frame of the
    # eye's own best window (one window against the whole hold); the mean of that best window
    # reads high (the best of many windows of noise).
    reads: dict[str, list[float]] = {"driver": [], "minimum": [], "mean": []}
    for seed in SEEDS:
        recording, spans = make_recording(
            STEPS, noise_mm=NOISE_MM, rng=np.random.default_rng(seed),
            extra={("big_smile", "left", "palpebral_fissure"): -1.5})
        for rule, values in reads.items():
            values.append(_cell(_coupling(recording, spans, rule), "left", "big_smile", "eye"))
    driver = np.asarray(reads["driver"])
    standard_error = float(np.std(driver) / np.sqrt(driver.size))
    assert float(np.mean(driver)) == pytest.approx(1.5 * 0.98, abs=3 * standard_error + 0.01)
    assert float(np.std(reads["minimum"])) > 1.5 * float(np.std(driver))
    assert float(np.mean(reads["mean"])) > 1.5 + 0.5 * NOISE_MM


def test_a_symmetric_noisy_face_reads_excesses_centred_on_zero():
    # A healthy face (both sides move alike) under white jitter: every co-movement cell's
    # excess (eye during the smile, the lower face during eye closure) averages to 0 on either
    # side under the driver rule; the held minimum reads below 0 (a still region's lowest
    # frame), the mean of the region's own best window above it (the best of many windows).
    cells = [("big_smile", "eye"), ("gentle_eye_closure", "mouth_corner"),
             ("gentle_eye_closure", "nasolabial"), ("gentle_eye_closure", "chin")]
    reads: dict[str, list[float]] = {"driver": [], "minimum": [], "mean": []}
    for seed in SEEDS:
        recording, spans = make_recording(STEPS, noise_mm=NOISE_MM,
                                          rng=np.random.default_rng(100 + seed))
        for rule, values in reads.items():
            coupling = _coupling(recording, spans, rule)
            values.extend(_cell(coupling, side, task, region) for task, region in cells
                          for side in ("left", "right"))
    driver = np.asarray(reads["driver"])
    standard_error = float(np.std(driver) / np.sqrt(driver.size))
    assert abs(float(np.mean(driver))) < 3 * standard_error + 0.01
    # the average over the hold is far tighter than one window: its spread is small
    assert float(np.std(driver)) < 0.5 * NOISE_MM
    minimum = np.asarray(reads["minimum"])
    assert float(np.mean(minimum)) < -3 * float(np.std(minimum) / np.sqrt(minimum.size))
    assert float(np.mean(reads["mean"])) > 0.2 * NOISE_MM


def test_the_frames_are_chosen_by_the_driver_not_by_the_region_s_own_noise():
    # The same recording with the left eye's jitter drawn anew: under the driver rule the
    # evidence window of the eye during the smile does not move, and adding a constant to
    # the left eye's narrowing over the whole smile moves its excess by exactly that much
    # (a mean over fixed frames); the held minimum picks another window for other noise.
    recording, spans = make_recording(STEPS, noise_mm=NOISE_MM, rng=np.random.default_rng(7),
                                      extra={("big_smile", "left", "palpebral_fissure"): -1.0})
    column = "palpebral_fissure_left_mm"
    t = np.asarray(recording.time_s)
    rng = np.random.default_rng(8)
    renoised = replace(recording, signals={
        **recording.signals, column: recording.signals[column] + rng.normal(0, NOISE_MM, t.size)})
    smile = np.zeros(t.size, dtype=bool)
    for span in spans:
        if span["task"] == "big_smile":
            smile |= (t >= span["start_s"]) & (t < span["end_s"])
    shifted = replace(recording, signals={
        **recording.signals, column: recording.signals[column] - np.where(smile, 0.4, 0.0)})
    windows = {}
    for rule in ("driver", "minimum"):
        before, after = (_coupling(r, spans, rule) for r in (recording, renoised))
        windows[rule] = (before.excess_window_of(side="left", task="big_smile", region="eye"),
                         after.excess_window_of(side="left", task="big_smile", region="eye"))
    assert windows["driver"][0] == windows["driver"][1]
    assert windows["minimum"][0] != windows["minimum"][1]
    base = _cell(_coupling(recording, spans, "driver"), "left", "big_smile", "eye")
    moved = _cell(_coupling(shifted, spans, "driver"), "left", "big_smile", "eye")
    assert moved - base == pytest.approx(0.4, abs=1e-9)


def test_the_driver_cells_keep_the_held_minimum():
    # The voluntary cells (the region that drives the task) and so the voluntary ranges are
    # read as before: the rule only changes co-movement cells.
    recording, spans = make_recording(STEPS, noise_mm=NOISE_MM, rng=np.random.default_rng(9))
    minimum, driver = (_coupling(recording, spans, rule) for rule in ("minimum", "driver"))
    for side in ("left", "right"):
        np.testing.assert_array_equal(minimum.voluntary_range_mm[side],
                                      driver.voluntary_range_mm[side])
        for task, region in (("big_smile", "mouth_corner"), ("gentle_eye_closure", "eye")):
            assert (_cell(minimum, side, task, region) == _cell(driver, side, task, region))


def test_a_brief_one_eyed_closure_in_the_hold_does_not_move_the_reading():
    # The palsied eye of a patient may not close far enough for a blink of both eyes to be
    # flagged, so the healthy eye's blink in a smile is kept (a one-eye closure). 0.3 s of it
    # in a 2.5 s hold is about an eighth of the hold's frames: the hold's 20 % trimmed mean
    # leaves it out (a plain mean would add an eighth of its 8 mm depth, about 1 mm, to that
    # eye's narrowing and name the healthy side).
    from synthetic_faces import close_eyes

    recording, spans = make_recording(STEPS, noise_mm=0.1, rng=np.random.default_rng(7))
    smile = next(s for s in spans if s["task"] == "big_smile")
    middle = (smile["start_s"] + smile["end_s"]) / 2
    blinking = close_eyes(recording, start_s=middle - 0.15, duration_s=0.3,
                          fissure_mm={"right": 0.5}, flag=False)
    before = _cell(_coupling(recording, spans, "driver"), "right", "big_smile", "eye")
    after = _cell(_coupling(blinking, spans, "driver"), "right", "big_smile", "eye")
    assert abs(after - before) < 0.15, (before, after)


def test_a_one_sided_mouth_corner_co_movement_is_not_read_low_under_noise():
    # 1 mm out and 1 mm up of the left mouth corner during eye closure (oral-ocular), the right
    # corner still, white jitter of 1 mm on every signal. The excess is the two corners' mean
    # shifts compared along their common direction: it averages to the shift's length (1.41
    # mm, times the hold's ramps, about 0.98). The difference of the two corners' LENGTHS read
    # about 0.17 mm low here: the still corner's noise is a length of 1.25 SD of its mean, never
    # below zero, and was subtracted (issue 19: the oral-ocular index 0.23 points low on the
    # simulator grid at 1 px).
    shift = {("gentle_eye_closure", "left", "mouth_corner_x"): 1.0,
             ("gentle_eye_closure", "left", "mouth_corner_y"): 1.0}
    reads = []
    for seed in SEEDS:
        recording, spans = make_recording(STEPS, noise_mm=1.0, rng=np.random.default_rng(seed),
                                          extra=shift)
        coupling = _coupling(recording, spans, "driver")
        left = _cell(coupling, "left", "gentle_eye_closure", "mouth_corner")
        assert _cell(coupling, "right", "gentle_eye_closure", "mouth_corner") == -left
        reads.append(left)
    values = np.asarray(reads)
    standard_error = float(np.std(values) / np.sqrt(values.size))
    assert float(np.mean(values)) == pytest.approx(np.hypot(1.0, 1.0) * 0.98,
                                                   abs=3 * standard_error + 0.01)


def test_the_corners_are_compared_along_their_common_direction():
    # Without noise: the left corner 1 mm out, the right 1 mm up (mirrored components). Along
    # their common direction (45 degrees) each moved 0.71 mm, so neither moved further; a
    # corner that moved twice as far the same way is 1 mm ahead.
    for extra, expected in (({("gentle_eye_closure", "left", "mouth_corner_x"): 1.0,
                              ("gentle_eye_closure", "right", "mouth_corner_y"): 1.0}, 0.0),
                            ({("gentle_eye_closure", "left", "mouth_corner_y"): 2.0,
                              ("gentle_eye_closure", "right", "mouth_corner_y"): 1.0}, 1.0)):
        recording, spans = make_recording(STEPS, noise_mm=0.0, extra=extra)
        coupling = _coupling(recording, spans, "driver")
        assert _cell(coupling, "left", "gentle_eye_closure", "mouth_corner") == pytest.approx(
            expected, abs=0.02)
