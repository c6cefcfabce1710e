"""Protocol definitions, guided span checks and unguided segmentation."""

from __future__ import annotations

import pytest
from synthetic_faces import FULL_PROTOCOL, guided, make_recording

from synkinesis.protocol import (
    COMPOUND,
    PROTOCOL_VERSION,
    TASK_NAMES,
    TASKS,
    ProtocolError,
    segment_recording,
    validate_spans,
)
from synkinesis.regions import REGIONS


def test_protocol_names_are_the_shared_vocabulary():
    assert PROTOCOL_VERSION == "1"
    assert TASK_NAMES == ("rest", "brow_raise", "gentle_eye_closure", "tight_eye_closure",
                          "closed_smile", "big_smile", "snarl", "pucker", "eee", "speech",
                          "chewing")
    for task in TASKS:
        assert set(task.drivers) <= set(REGIONS) and set(task.watched) <= set(REGIONS)
        assert not set(task.drivers) & set(task.watched)
    assert {t.name for t in TASKS if t.optional} == {"speech", "chewing"}


@pytest.mark.parametrize(("spans", "message"), [
    ([{"task": "smile", "start_s": 0, "end_s": 1}], "unknown task 'smile'"),
    ([{"task": "rest", "start_s": 2, "end_s": 1}], "start_s < end_s"),
    ([{"task": "rest", "start_s": 30, "end_s": 31}], "does not match the recording"),
    ([{"task": "rest", "start_s": 0, "end_s": 2}, {"task": "pucker", "start_s": 1, "end_s": 3}],
     "overlap"),
    ([{"task": "rest", "start": 0}], "must have task, start_s and end_s"),
    ([{"task": "rest", "start_s": "a", "end_s": 1}], "must be numbers"),
])
def test_bad_spans_are_refused_with_a_clear_message(spans, message):
    with pytest.raises(ProtocolError, match=message):
        validate_spans(spans, duration_s=10.0)


def test_guided_span_whose_driver_never_moves_is_questioned():
    recording, spans = make_recording((("rest", 2.0), ("big_smile", 2.0), ("rest", 2.0)))
    wrong = [{"task": "rest", "start_s": 0, "end_s": 2},
             {"task": "brow_raise", "start_s": 4.2, "end_s": 6}]
    segmentation = segment_recording(recording, spans=wrong)
    brow = segmentation.task_segments("brow_raise")[0]
    assert brow.confidence < 0.5
    assert any("hardly moved" in note for note in segmentation.notes)


def test_unguided_segmentation_recovers_the_synthetic_protocol():
    recording, spans = make_recording()
    segmentation = segment_recording(recording)
    assert segmentation.method == "unguided"
    assert segmentation.rest.flagged
    found = {s.task for s in segmentation.segments}
    expected = {task for task, _ in FULL_PROTOCOL}
    assert expected <= found, (expected - found, segmentation.segments)
    truth = {s["task"]: s for s in guided(spans)}
    for segment in segmentation.segments:
        if segment.task in truth and segment.task != "rest":
            span = truth[segment.task]
            middle = (segment.start_s + segment.end_s) / 2
            assert span["start_s"] <= middle <= span["end_s"], segment
            assert 0 < segment.confidence <= 1


def test_laughing_with_the_eyes_shut_is_compound_not_a_task():
    recording, _ = make_recording(
        (("rest", 2.0), ("big_smile", 2.0), ("rest", 2.0)),
        extra={("big_smile", side, "palpebral_fissure"): -7.5 for side in ("left", "right")})
    segmentation = segment_recording(recording)
    assert COMPOUND in {s.task for s in segmentation.segments}
    assert "big_smile" not in {s.task for s in segmentation.segments}


def test_one_sided_eye_closure_on_smile_stays_a_smile():
    # Severe ocular-oral synkinesis must not be explained away as a compound movement.
    recording, _ = make_recording(
        (("rest", 2.0), ("big_smile", 2.0), ("rest", 2.0)),
        extra={("big_smile", "left", "palpebral_fissure"): -7.5})
    tasks = {s.task for s in segment_recording(recording).segments}
    assert "big_smile" in tasks and COMPOUND not in tasks


def _laugh_then_settle():
    """Rest, laughing with the eyes shut (compound), a still span right after it, a brow raise,
    a span 3 s later with a 0.4 mm brow fidget (a little less still), a closed smile."""
    from dataclasses import replace

    import numpy as np

    from synkinesis.recording import baseline_columns
    from synkinesis.signals import signal_name

    steps = (("rest", 0.5), ("big_smile", 3.0), ("rest", 1.5), ("brow_raise", 1.5),
             ("rest", 3.0), ("closed_smile", 1.5), ("rest", 0.5))
    extra = {("big_smile", side, "palpebral_fissure"): -7.0 for side in ("left", "right")}
    recording, _ = make_recording(steps, extra=extra, noise_mm=0.02)
    t = recording.time_s
    signals = dict(recording.signals)
    for side in ("left", "right"):
        column = signal_name("brow_height", side)
        signals[column] = signals[column] + 0.4 * ((t >= 6.5) & (t < 9.5))
    hint = {c: float(np.median(recording.signals[c][:10])) for c in baseline_columns()}
    return replace(recording, signals=signals, rest_hint=hint)


def test_unguided_rest_is_not_the_still_span_right_after_a_compound_episode():
    # Right after crying or laughing the face may look still while a hand still covers the
    # mouth (WolfgangLanger 6-9.4 s): frames near a compound episode cost extra (issue 3, 10).
    segmentation = segment_recording(_laugh_then_settle())
    compound = segmentation.task_segments(COMPOUND)
    assert compound and compound[0].end_s < 3.6
    start, end = segmentation.rest.spans[0]
    assert start >= compound[0].end_s + 3.0 and end <= 9.6
    assert segmentation.rest.flagged


def test_unguided_rest_prefers_the_measure_steps_rest_frames():
    from dataclasses import replace

    recording = _laugh_then_settle()
    hint = (recording.time_s >= 7.0) & (recording.time_s < 7.5)
    segmentation = segment_recording(replace(recording, rest_hint_frames=hint))
    start, end = segmentation.rest.spans[0]
    assert start <= 7.0 and end >= 7.5


def _covered_on_the_right(recording, start_s: float, end_s: float):
    """The recording with the patient's right half covered (a hand) from start to end: flagged
    HIDDEN_RIGHT and the right side's signals NaN, as the composite methods write it."""
    from dataclasses import replace

    import numpy as np

    from synkinesis.quality import FrameFlag

    t = recording.time_s
    covered = (t >= start_s) & (t < end_s)
    signals = {name: np.where(covered, np.nan, values) if "_right_" in name else values
               for name, values in recording.signals.items()}
    flags = np.where(covered, recording.flags | int(FrameFlag.HIDDEN_RIGHT), recording.flags)
    return replace(recording, signals=signals, flags=flags), covered


def test_rest_and_tasks_are_never_taken_from_frames_with_a_covered_half():
    steps = (("rest", 2.5), ("big_smile", 2.0), ("rest", 2.5), ("brow_raise", 1.5),
             ("rest", 2.5))
    recording, _ = make_recording(steps, noise_mm=0.02)
    # The first rest (the quietest start) and the brow raise are made with a hand over the
    # right half.
    recording, first = _covered_on_the_right(recording, 0.0, 2.5)
    recording, brow = _covered_on_the_right(recording, 7.0, 8.5)
    # The measure step's rest (its quietest frames with both halves seen): the last rest.
    from dataclasses import replace

    import numpy as np

    from synkinesis.recording import baseline_columns

    last = recording.time_s >= 10.0
    recording = replace(recording, rest_hint={
        c: float(np.median(recording.signals[c][last])) for c in baseline_columns()})
    assert recording.usable.all() and not recording.both_sides_seen[first | brow].any()
    segmentation = segment_recording(recording)
    start, end = segmentation.rest.spans[0]
    assert start >= 2.5, (start, end)
    # The brow raise is seen on one side only: not a named task (compound or not is told from
    # both sides), while the smile, seen whole, is.
    tasks = {s.task for s in segmentation.segments}
    assert "big_smile" in tasks and "brow_raise" not in tasks


def test_distance_to_marked_frames():
    import numpy as np

    from synkinesis.quality import distance_to_frames

    t = np.arange(6) * 0.5
    np.testing.assert_allclose(distance_to_frames(t, t == 1.0), [1.0, 0.5, 0, 0.5, 1.0, 1.5])
    assert np.isinf(distance_to_frames(t, np.zeros(6, dtype=bool))).all()
