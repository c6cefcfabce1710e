"""A span where the head turns fast is not assessable (issue 19): while the head rolls or turns,
the pose removal and the one-sided refinements leave artefacts that read as co-movement. The
span is left out with a reason, and nothing downstream (findings, House-Brackmann, eFACE,
Sunnybrook) is read from it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from synthetic_faces import make_recording

from synkinesis.analysis import (
    AnalysisOptions,
    analyze_measurement,
    analyze_recording,
    recording_from_measurement,
)
from synkinesis.assessable import HEAD_TURN_MAX_DEG, head_angle_ranges, head_turn
from synkinesis.measure import read_measurement
from synkinesis.normalize import HeadPose
from synkinesis.protocol import Segment
from synkinesis.uncertainty import UncertaintyOptions

OPTIONS = AnalysisOptions(uncertainty=UncertaintyOptions(replicates=0))
STEPS = (("rest", 3.0), ("gentle_eye_closure", 2.0), ("rest", 1.5), ("big_smile", 2.0),
         ("rest", 1.5))
AXES = ("yaw", "pitch", "roll")


def _turning(recording, start_s: float, end_s: float, *, degrees: float, axis: str = "roll",
             still_deg: float = 0.5, hold: bool = False):
    """The recording with head angles: still (``still_deg`` of slow sway) except inside the
    span, where the head turns about ``axis``: steadily, with a 5th..95th percentile range of
    ``degrees`` (``hold`` False), or at once by ``degrees`` in its first frame and held there
    (``hold`` True: little range within the span, ``degrees`` away from rest). The head is
    back at rest after the span."""
    t = np.asarray(recording.time_s, dtype=float)
    angles = still_deg * np.stack([np.sin(0.7 * t + k) for k in range(3)], axis=1)
    inside = (t >= start_s) & (t < end_s)
    ramp = (t[inside] - start_s) / (end_s - start_s)  # 0..1 over the span
    angles[inside, AXES.index(axis)] += degrees if hold else degrees / 0.9 * ramp
    return replace(recording, head_angles_deg=angles)


def _smile(spans):
    return next(s for s in spans if s["task"] == "big_smile")


def _items(analysis, instrument):
    estimate = next(e for e in analysis.scales if e.instrument == instrument)
    return {item.key: item for item in estimate.items}


@pytest.mark.parametrize("axis, verb", [("roll", "tilted"), ("yaw", "turned"),
                                        ("pitch", "nodded")])
def test_a_span_where_the_head_turns_30_degrees_is_left_out_with_its_reason(axis, verb):
    recording, spans = make_recording(STEPS, rng=np.random.default_rng(4))
    smile = _smile(spans)
    still = analyze_recording(_turning(recording, smile["start_s"], smile["end_s"], degrees=0),
                              spans=spans, options=OPTIONS)
    assert "big_smile" in still.coupling.tasks
    assert "voluntary_smile" in _items(still, "sunnybrook")
    turned = _turning(recording, smile["start_s"], smile["end_s"], degrees=30.0, axis=axis)
    analysis = analyze_recording(turned, spans=spans, options=OPTIONS)
    reason = analysis.coupling.not_assessable.get("big_smile", "")
    assert f"the head {verb} 30 deg ({axis}) during the span" in reason, reason
    assert "keep the head still" in reason
    assert "big_smile" not in analysis.coupling.tasks
    # nothing downstream is read from the span: its patterns are not assessable, and the scales
    # take no smile item from it
    assert analysis.finding("ocular_oral").severity == "not assessable"
    assert "the head" in analysis.finding("ocular_oral").note
    sunnybrook = _items(analysis, "sunnybrook")
    assert "voluntary_smile" not in sunnybrook and "synkinesis_smile" not in sunnybrook
    assert "smile" not in _items(analysis, "house_brackmann")["grade"].note.lower()
    # the eye closure, where the head was still, is still measured
    assert "gentle_eye_closure" in analysis.coupling.tasks


@pytest.mark.parametrize("degrees", [10.0, HEAD_TURN_MAX_DEG - 2.0])
def test_a_span_where_the_head_moves_less_is_kept(degrees):
    recording, spans = make_recording(STEPS, rng=np.random.default_rng(4))
    smile = _smile(spans)
    turned = _turning(recording, smile["start_s"], smile["end_s"], degrees=degrees)
    analysis = analyze_recording(turned, spans=spans, options=OPTIONS)
    assert "big_smile" in analysis.coupling.tasks
    assert "big_smile" not in analysis.coupling.not_assessable


@pytest.mark.parametrize("degrees, left_out", [(25.0, True), (10.0, False)])
def test_a_head_tilted_at_the_start_and_held_is_measured_from_rest(degrees, left_out):
    # the head tilts as the smile starts and stays tilted: little range within the span, but
    # every movement of the span is measured from rest, across the tilt
    recording, spans = make_recording(STEPS, rng=np.random.default_rng(4))
    smile = _smile(spans)
    held = _turning(recording, smile["start_s"], smile["end_s"], degrees=degrees, hold=True)
    segment = Segment("big_smile", smile["start_s"], smile["end_s"], "guided", 1.0)
    within, from_rest = head_angle_ranges(held, segment, np.asarray(recording.time_s) < 3.0)
    assert within["roll"] < 3.0 and from_rest["roll"] == pytest.approx(degrees, abs=1.5)
    assert head_turn(held, segment) == ""  # without a rest pose only the range within counts
    analysis = analyze_recording(held, spans=spans, options=OPTIONS)
    reason = analysis.coupling.not_assessable.get("big_smile", "")
    assert ("big_smile" in analysis.coupling.tasks) is not left_out
    if left_out:
        assert f"the head tilted {degrees:.0f} deg (roll) from its position at rest" in reason
    else:
        assert reason == ""


def test_the_range_is_robust_to_a_few_wild_frames():
    # two frames of a bad pose fit (60 deg) in a still span: under 5 % of the span's frames
    recording, spans = make_recording(STEPS, rng=np.random.default_rng(4))
    smile = _smile(spans)
    turned = _turning(recording, smile["start_s"], smile["end_s"], degrees=0.0)
    t = np.asarray(recording.time_s)
    wild = np.flatnonzero((t >= smile["start_s"]) & (t < smile["end_s"]))[[10, 30]]
    angles = np.array(turned.head_angles_deg)
    angles[wild, 2] = 60.0
    segment = Segment("big_smile", smile["start_s"], smile["end_s"], "guided", 1.0)
    ranges = head_angle_ranges(replace(turned, head_angles_deg=angles), segment)
    assert ranges is not None and max(ranges[0].values()) < 5.0


def test_nan_or_missing_angles_do_not_crash_and_leave_the_span_in():
    recording, spans = make_recording(STEPS, rng=np.random.default_rng(4))
    smile = _smile(spans)
    segment = Segment("big_smile", smile["start_s"], smile["end_s"], "guided", 1.0)
    turned = _turning(recording, smile["start_s"], smile["end_s"], degrees=30.0)
    t = np.asarray(recording.time_s)
    inside = (t >= smile["start_s"]) & (t < smile["end_s"])
    # NaN over the whole span (no pose fitted): the rule cannot judge, the span is kept
    angles = np.array(turned.head_angles_deg)
    angles[inside] = np.nan
    blind = replace(turned, head_angles_deg=angles)
    assert head_angle_ranges(blind, segment) is None and head_turn(blind, segment) == ""
    assert "big_smile" in analyze_recording(blind, spans=spans, options=OPTIONS).coupling.tasks
    # NaN in some frames: judged on the others (the turn is still seen)
    angles = np.array(turned.head_angles_deg)
    angles[np.flatnonzero(inside)[::3]] = np.nan
    partial = replace(turned, head_angles_deg=angles)
    assert "tilted" in head_turn(partial, segment)
    # no angles at all (simulated signals, photo sets) or a wrong shape: the rule is skipped
    for bare in (recording, replace(recording, head_angles_deg=np.zeros((5, 3)))):
        assert head_turn(bare, segment) == ""
        assert "big_smile" in analyze_recording(bare, spans=spans,
                                                options=OPTIONS).coupling.tasks


def test_a_stored_measurement_gives_the_head_angles_of_its_pose(wolfgang_measurement):
    # from the file as stored (not re-measured): the angles of its stored pose
    measurement = read_measurement(wolfgang_measurement.path)
    recording = recording_from_measurement(measurement)
    expected = HeadPose.from_array(measurement.pose).angles_deg()
    assert recording.head_angles_deg.shape == (measurement.n_frames, 3)
    np.testing.assert_array_equal(recording.head_angles_deg, expected)
    assert np.isfinite(recording.head_angles_deg[recording.usable]).all()


def test_wolfgang_final_laugh_is_left_out_for_the_head(wolfgang_measurement):
    # Her final laugh (16.6..19.0 s) rolls the head by 23..43 deg; copies of the video label it a
    # big smile and read House-Brackmann III from it. Labelled so here (guided), it is left out
    # for the head, and the suggestion stays at most II. The calls are those every door gives
    # (decided from the intervals, AnalysisOptions()): the point estimates alone
    # (replicates=0, used above for speed) put her mentalis index (1.81 points with litert,
    # 1.76 with the Tasks API) either side of its noise floor, a knife edge the intervals
    # exist to remove (uncertain mild..moderate with either engine, House-Brackmann II).
    measurement = read_measurement(wolfgang_measurement.path)
    decided = AnalysisOptions()
    for end, where in ((19.0, "during the span"), (18.5, "from its position at rest")):
        # to 19.0 s the head rolls back through 45 deg; to 18.5 s (a copy trimmed at the end)
        # it mostly holds a 25 deg tilt from its pose at rest
        spans = [{"task": "big_smile", "start_s": 12.1, "end_s": 16.5},
                 {"task": "big_smile", "start_s": 16.6, "end_s": end}]
        analysis = analyze_measurement(measurement, spans=spans, options=OPTIONS)
        reason = analysis.coupling.not_assessable.get("big_smile", "")
        assert reason.startswith(f"16.60-{end:.2f} s the head tilted"), reason
        assert where in reason
        assert "12.10" not in reason  # her held smile, head still, is kept
        assert "big_smile" in analysis.coupling.tasks
        analysis = analyze_measurement(measurement, spans=spans, options=decided)
        assert _items(analysis, "house_brackmann")["grade"].value <= 2
        for finding in analysis.findings:
            assert finding.severity not in ("moderate", "severe"), finding
    # unguided, as shipped: no span of hers is left out for the head, House-Brackmann <= II
    shipped = analyze_measurement(measurement, options=decided)
    assert not any("the head" in why for why in shipped.coupling.not_assessable.values())
    assert _items(shipped, "house_brackmann")["grade"].value <= 2
