"""The browser's task clock and its recording: a span the recording does not hold is left out."""

from __future__ import annotations

import numpy as np

from synkinesis.workflow import recorded_spans


def test_a_span_that_starts_after_the_recording_ends_is_left_out():
    time_s = np.arange(364) / 30.0  # 12.13 s recorded
    spans = [{"task": "rest", "start_s": 0.0, "end_s": 3.0},
             {"task": "pucker", "start_s": 10.0, "end_s": 12.1},
             {"task": "eee", "start_s": 12.171, "end_s": 14.0}]  # the page's clock ran on
    assert [s["task"] for s in recorded_spans(spans, time_s)] == ["rest", "pucker"]


def test_spans_inside_the_recording_are_kept_as_they_are():
    spans = [{"task": "rest", "start_s": 0.0, "end_s": 3.0},
             {"task": "eee", "start_s": 9.0, "end_s": 13.0}]  # ends late: clipped later
    assert recorded_spans(spans, np.arange(300) / 30.0) == spans
    assert recorded_spans(spans, np.array([])) == spans
