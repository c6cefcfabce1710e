"""A guided recording's rest span reaches the measure step (issue 18 item 2): its frames,
not the quietest ones, set rest."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from synkinesis.cli import app
from synkinesis.measure import MeasureOptions, read_measurement
from synkinesis.workflow import WorkflowOptions, measure_and_analyse, rest_span

#: Guided spans of single_face.mp4 (2.4 s at 30 fps): rest is frames 0..15.
SPANS = ({"task": "rest", "start_s": 0.0, "end_s": 0.5},
         {"task": "big_smile", "start_s": 0.7, "end_s": 2.3})


def rest_frames(measurement) -> np.ndarray:
    mask = np.zeros(measurement.n_frames, dtype=bool)
    for start, stop in measurement.manifest.rest.rows:
        mask[start:stop] = True
    return mask


def expected_rest(measurement, span) -> np.ndarray:
    from synkinesis.quality import UNUSABLE

    time_s = measurement.frames["time_s"]
    usable = (measurement.frames["flags"] & UNUSABLE) == 0
    return usable & (time_s >= span[0]) & (time_s <= span[1])


def test_rest_span_is_the_first_rest_task_span():
    assert rest_span(SPANS) == (0.0, 0.5)
    assert rest_span([{"task": "smile", "start_s": 0, "end_s": 1},
                      {"task": "Rest", "start_s": 3, "end_s": 5},
                      {"task": "rest", "start_s": 9, "end_s": 10}]) == (3.0, 5.0)
    assert rest_span([{"task": "smile", "start_s": 0, "end_s": 1}]) is None
    assert rest_span(None) is None
    guided = WorkflowOptions(spans=SPANS)
    assert guided.measure_options(SPANS).rest_span_s == (0.0, 0.5)
    assert guided.measure_options(None).rest_span_s is None
    explicit = WorkflowOptions(measure=MeasureOptions(rest_span_s=(1.0, 2.0)), spans=SPANS)
    assert explicit.measure_options(SPANS).rest_span_s == (1.0, 2.0)  # the user's wins


@pytest.mark.slow
def test_guided_doors_measure_rest_over_exactly_the_rest_span(media, tmp_path, monkeypatch):
    video = tmp_path / "visit.mp4"
    shutil.copyfile(media / "single_face.mp4", video)
    options = WorkflowOptions(measure=MeasureOptions(method="fast"), spans=SPANS,
                              analyse=False)
    unguided = measure_and_analyse(video, options=WorkflowOptions(
        measure=MeasureOptions(method="fast"), analyse=False), output_dir=tmp_path / "u")
    guided = measure_and_analyse(video, options=options, output_dir=tmp_path / "g")
    expected = expected_rest(guided.measurement, (0.0, 0.5))
    assert expected.sum() >= 10
    assert guided.measurement.manifest.rest.method == "given span"
    np.testing.assert_array_equal(rest_frames(guided.measurement), expected)
    # without the span, rest was the quietest frames: other frames
    assert unguided.measurement.manifest.rest.method.startswith("quietest")
    assert not np.array_equal(rest_frames(unguided.measurement), expected)

    # synk record add --spans FILE (the door the web recording job shares)
    root = tmp_path / "record"
    root.mkdir()
    monkeypatch.setenv("SYNK_DATABASE_URL", f"sqlite:///{root / 'record.sqlite'}")
    monkeypatch.setenv("SYNK_DATA_DIR", str(root / "derived"))
    monkeypatch.setenv("SYNK_MEASURE_METHOD", "fast")
    protocol = root / "spans.json"
    protocol.write_text(json.dumps(list(SPANS)))
    runner = CliRunner()
    for args in (["patient", "add", "P001", "--side", "left"],
                 ["visit", "add", "P001", "--date", "2026-01-05"],
                 ["record", "add", str(video), "--visit", "P001@2026-01-05", "-q",
                  "--spans", str(protocol), "--method", "fast"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    (stored,) = (root / "derived" / "P001").glob("*.synk")
    recorded = read_measurement(stored)
    assert recorded.manifest.rest.method == "given span"
    np.testing.assert_array_equal(rest_frames(recorded), expected_rest(recorded, (0.0, 0.5)))
