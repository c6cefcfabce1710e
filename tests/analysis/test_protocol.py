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
