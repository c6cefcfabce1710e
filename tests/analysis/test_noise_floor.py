"""The noise floors. Measured inside the tasks' holds (``CouplingOptions(noise_floor=
"sustained")``): on a synthetic face with known tracker noise it reads that noise, and unlike
the rest floor it does not grow when the rest is not still. Measured over the rest at the time
scale of a held level (``noise_floor="window"``): white jitter averages down by the square
root of the window's frames, a drift of the same frame-by-frame spread does not."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from synthetic_faces import guided, make_recording

from synkinesis.analysis import AnalysisError, AnalysisOptions, analyze_recording
from synkinesis.coupling import CouplingOptions, sustained_jitter_mm
from synkinesis.sustained import windowed_spread_mm
from synkinesis.uncertainty import UncertaintyOptions

#: Every task twice, as the guided protocol asks.
STEPS = (("rest", 3.0),
         *((task, 2.5) for task in ("brow_raise", "brow_raise", "gentle_eye_closure",
                                    "gentle_eye_closure", "big_smile", "big_smile",
                                    "pucker", "pucker")),
         ("rest", 1.0))
NOISE_MM = 0.3
#: Truth: noise_k x SD of the left-right difference of two independent jitters of NOISE_MM.
TRUE_FLOOR_MM = 3.0 * NOISE_MM * np.sqrt(2.0)


def _coupling(recording, spans, floor: str):
    options = AnalysisOptions(coupling=CouplingOptions(noise_floor=floor),
                              uncertainty=UncertaintyOptions(replicates=0),
                              affected_side="left")
    return analyze_recording(recording, spans=guided(spans), options=options).coupling


def test_jitter_of_a_held_movement_is_its_noise():
    rng = np.random.default_rng(1)
    t = np.arange(600) / 30.0
    # a slow raised-cosine movement of 8 mm with a 1 Hz tremor, plus white jitter of 0.4 mm
    slow = 8.0 * 0.5 * (1 - np.cos(2 * np.pi * t / t[-1])) * (1 + 0.03 * np.sin(2 * np.pi * t))
    noisy = slow + rng.normal(0.0, 0.4, t.size)
    assert sustained_jitter_mm(noisy, np.ones(t.size, bool)) == pytest.approx(0.4, rel=0.1)
    # the slow movement alone is not jitter
    assert sustained_jitter_mm(slow, np.ones(t.size, bool)) < 0.01
    # too few frames: no estimate
    assert np.isnan(sustained_jitter_mm(noisy, np.arange(t.size) < 5))


def test_sustained_floor_reads_the_known_tracker_noise():
    recording, spans = make_recording(STEPS, noise_mm=NOISE_MM, rng=np.random.default_rng(2))
    coupling = _coupling(recording, spans, "sustained")
    assert coupling.cell_noise_floor_mm is not None
    assert coupling.cell_noise_floor_mm.shape == (len(coupling.tasks), len(coupling.regions))
    for region in ("brow", "eye", "nasolabial", "upper_lip", "lower_lip", "chin"):
        assert coupling.noise_floor(region) == pytest.approx(TRUE_FLOOR_MM, rel=0.2), region
        for task in coupling.tasks:
            assert coupling.noise_floor(region, task) == pytest.approx(TRUE_FLOOR_MM,
                                                                       rel=0.3), (region, task)
    # with the rest floor there are no cell floors; a task falls back to the region's floor
    rest = _coupling(recording, spans, "rest")
    assert rest.cell_noise_floor_mm is None
    assert rest.noise_floor("brow", "brow_raise") == rest.noise_floor("brow")
    # on this still rest both floors read the same noise
    assert rest.noise_floor("brow") == pytest.approx(TRUE_FLOOR_MM, rel=0.3)


def test_a_restless_rest_inflates_the_rest_floor_not_the_sustained_one():
    recording, spans = make_recording(STEPS, noise_mm=NOISE_MM, rng=np.random.default_rng(3))
    # one brow drifts up and down by 1.5 mm during the rest (a face that is not still)
    t = np.asarray(recording.time_s)
    rest = t < 3.0
    name = "brow_height_left_mm"
    drift = np.where(rest, 1.5 * np.sin(2 * np.pi * t / 3.0), 0.0)
    restless = replace(recording, signals={**recording.signals,
                                           name: recording.signals[name] + drift})
    by_rest = _coupling(restless, spans, "rest").noise_floor("brow")
    by_hold = _coupling(restless, spans, "sustained").noise_floor("brow")
    assert by_rest > 1.5 * TRUE_FLOOR_MM
    assert by_hold == pytest.approx(TRUE_FLOOR_MM, rel=0.2)


def test_unknown_noise_floor_is_refused():
    recording, spans = make_recording(STEPS[:3], noise_mm=NOISE_MM)
    with pytest.raises(AnalysisError, match="noise_floor must be one of rest, window, sustained"):
        analyze_recording(recording, spans=guided(spans), options=AnalysisOptions(
            coupling=CouplingOptions(noise_floor="hold")))


def _robust_sd(x: np.ndarray) -> float:
    return 1.4826 * float(np.median(np.abs(x - np.median(x))))


def test_window_spread_of_white_jitter_shrinks_by_the_root_of_the_window_a_drift_does_not():
    rng = np.random.default_rng(4)
    width, n = 8, 3000
    white = rng.normal(0.0, 1.0, n)
    # a random walk (a drift), scaled to the same frame-by-frame spread as the white jitter
    walk = np.cumsum(rng.normal(0.0, 1.0, n))
    walk = (walk - np.median(walk)) * _robust_sd(white) / _robust_sd(walk)
    everything = np.ones(n, dtype=bool)
    by_white = windowed_spread_mm(white, everything, width)
    by_walk = windowed_spread_mm(walk, everything, width)
    assert by_white == pytest.approx(1.0 / np.sqrt(width), rel=0.1)
    assert by_walk == pytest.approx(_robust_sd(walk), rel=0.1)
    assert by_walk / by_white == pytest.approx(np.sqrt(width), rel=0.15)
    # a NaN frame or a frame outside the mask breaks windows; too few frames give no spread
    assert np.isfinite(windowed_spread_mm(np.where(np.arange(n) % 50 == 0, np.nan, white),
                                          everything, width))
    assert np.isnan(windowed_spread_mm(white, np.arange(n) < 2 * width - 1, width))


def _rest_drift(recording, walk_mm: float, rng):
    """The recording with a random walk of the left brow during the rest only, scaled to a
    frame-by-frame spread (robust SD) of ``walk_mm``."""
    t = np.asarray(recording.time_s)
    rest = t < 3.0
    walk = np.cumsum(rng.normal(0.0, 1.0, int(rest.sum())))
    walk = (walk - np.median(walk)) * walk_mm / _robust_sd(walk)
    name = "brow_height_left_mm"
    values = np.array(recording.signals[name], dtype=float)
    values[rest] += walk
    return replace(recording, signals={**recording.signals, name: values})


def test_window_floor_of_a_white_rest_is_the_root_of_the_window_below_the_frame_floor():
    recording, spans = make_recording(STEPS, noise_mm=NOISE_MM, rng=np.random.default_rng(5))
    frame = _coupling(recording, spans, "rest")
    window = _coupling(recording, spans, "window")
    width = round(CouplingOptions().min_duration_s / frame.frame_interval_s)
    assert window.cell_noise_floor_mm is None
    ratios = []
    for region in ("brow", "eye", "nasolabial", "upper_lip", "lower_lip", "chin"):
        # never below the frame floor over the root of the window's frames (nor the minimum
        # floor); above it only by the spread of the window means of a 3 s rest
        lowest = max(frame.noise_floor(region) / np.sqrt(width),
                     CouplingOptions().min_noise_floor_mm)
        assert lowest - 1e-9 <= window.noise_floor(region) <= 1.6 * lowest, region
        ratios.append(frame.noise_floor(region) / window.noise_floor(region))
    assert float(np.median(ratios)) == pytest.approx(np.sqrt(width), rel=0.15)
    # the cells themselves do not depend on the floor
    np.testing.assert_array_equal(frame.excess_mm["left"], window.excess_mm["left"])


def test_window_floor_keeps_a_drift_the_frame_floor_cannot_tell_from_jitter():
    recording, spans = make_recording(STEPS, noise_mm=0.05, rng=np.random.default_rng(6))
    # the same frame-by-frame spread at rest, once as white jitter and once as a drift
    rng = np.random.default_rng(7)
    t = np.asarray(recording.time_s)
    white = replace(recording, signals={**recording.signals, "brow_height_left_mm": (
        recording.signals["brow_height_left_mm"]
        + np.where(t < 3.0, rng.normal(0.0, 0.5, t.size), 0.0))})
    drifting = _rest_drift(recording, 0.5, rng)
    frame_white = _coupling(white, spans, "rest").noise_floor("brow")
    frame_drift = _coupling(drifting, spans, "rest").noise_floor("brow")
    assert frame_white == pytest.approx(frame_drift, rel=0.25)
    width = round(CouplingOptions().min_duration_s / recording.frame_interval_s)
    window_white = _coupling(white, spans, "window").noise_floor("brow")
    window_drift = _coupling(drifting, spans, "window").noise_floor("brow")
    assert window_white == pytest.approx(frame_white / np.sqrt(width), rel=0.3)
    assert window_drift > 0.7 * frame_drift
    assert window_drift / window_white > 0.5 * np.sqrt(width)


def test_noise_alone_rarely_holds_a_level_above_the_window_floor():
    # The derivation behind the window floor: a cell's level is the best window of the
    # level held in every frame (a window minimum, never above the window's mean), so white
    # jitter of SD s alone holds a level above noise_k x s / sqrt(w) (the window floor) only
    # rarely, even as the best of a long task's many windows; the frame floor noise_k x s is
    # far above anything it holds.
    from synkinesis.sustained import sustained_levels

    rng = np.random.default_rng(8)
    width, frames, draws = 8, 240, 2000
    noise = rng.normal(0.0, 1.0, (draws, frames))
    levels = np.array([level.value for level in sustained_levels(
        noise, np.ones_like(noise, dtype=bool), width)])
    k = CouplingOptions().noise_k
    assert float(np.mean(levels > k / np.sqrt(width))) < 0.005
    assert float(np.quantile(levels, 0.999)) < 0.5 * k


def test_noise_alone_does_not_hold_an_excess_read_as_a_window_mean_above_the_window_floor():
    # The default held level reads the best window as its mean, which noise alone lifts
    # above 0 (the window was chosen for its high lowest frame). An excess is made frame by
    # frame of the two sides' movement in the active direction, max(left, 0) - max(right, 0),
    # which spreads less than the left-right difference the window floor is measured on
    # (noise_k x its SD over windows): white jitter of SD 1 on both sides, for tasks of 30 to
    # 240 frames, never holds an excess above the floor (its 99.9th percentile stays below).
    from synkinesis.sustained import sustained_levels

    rng = np.random.default_rng(8)
    width, draws = 8, 2000
    left, right = rng.normal(0.0, 1.0, (2, draws, 240))
    excess = np.fmax(left, 0.0) - np.fmax(right, 0.0)
    floor = CouplingOptions().noise_k * np.sqrt(2.0) / np.sqrt(width)
    for frames in (30, 240):
        levels = np.array([level.value for level in sustained_levels(
            excess[:, :frames], np.ones((draws, frames), dtype=bool), width, "mean")])
        assert 0.0 < float(np.mean(levels)) < 0.5
        assert float(np.quantile(levels, 0.999)) < floor


def test_the_held_level_rules_read_the_same_windows():
    # A healthy face under 0.3 mm of jitter: the mean of each held window is never below its
    # minimum, and the windows (the evidence shown) are the same under both rules.
    recording, spans = make_recording(STEPS, noise_mm=NOISE_MM, rng=np.random.default_rng(4))
    couplings = {}
    for rule in ("minimum", "mean"):
        options = AnalysisOptions(coupling=CouplingOptions(held_level=rule),
                                  uncertainty=UncertaintyOptions(replicates=0),
                                  affected_side="left")
        couplings[rule] = analyze_recording(recording, spans=guided(spans),
                                            options=options).coupling
    assert CouplingOptions().held_level == "driver"
    for side in ("left", "right"):
        low, mean = couplings["minimum"].excess_mm[side], couplings["mean"].excess_mm[side]
        finite = np.isfinite(low)
        assert np.all(mean[finite] >= low[finite] - 1e-12)
        assert np.any(mean[finite] > low[finite])
        np.testing.assert_array_equal(couplings["minimum"].excess_window[side],
                                      couplings["mean"].excess_window[side])
    with pytest.raises(ValueError, match="held_level must be one of"):
        CouplingOptions(held_level="median").validate()  # type: ignore[arg-type]


def test_a_quietest_span_keeps_the_frame_floor():
    # Without a recorded rest the rest is the recording's quietest span, chosen for changing
    # least: it under-reads a slow wander, so the window floor is not taken from it.
    recording, spans = make_recording(STEPS, noise_mm=NOISE_MM, rng=np.random.default_rng(9))
    no_rest = [span for span in guided(spans) if span["task"] != "rest"]
    options = {floor: AnalysisOptions(coupling=CouplingOptions(noise_floor=floor),
                                      uncertainty=UncertaintyOptions(replicates=0),
                                      affected_side="left") for floor in ("rest", "window")}
    frame, window = (analyze_recording(recording, spans=no_rest, options=options[floor])
                     for floor in ("rest", "window"))
    assert window.segmentation.rest.flagged
    np.testing.assert_array_equal(window.coupling.noise_floor_mm, frame.coupling.noise_floor_mm)
    # with its rest given, the same recording gets the lower window floor
    given = _coupling(recording, spans, "window").noise_floor("eye")
    assert given < 0.6 * _coupling(recording, spans, "rest").noise_floor("eye")
