"""The noise floor measured inside the tasks' holds (``CouplingOptions(noise_floor=
"sustained")``): on a synthetic face with known tracker noise it reads that noise, and unlike
the rest floor it does not grow when the rest is not still."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from synthetic_faces import guided, make_recording

from synkinesis.analysis import AnalysisError, AnalysisOptions, analyze_recording
from synkinesis.coupling import CouplingOptions, sustained_jitter_mm
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
    with pytest.raises(AnalysisError, match="noise_floor must be one of rest, sustained"):
        analyze_recording(recording, spans=guided(spans), options=AnalysisOptions(
            coupling=CouplingOptions(noise_floor="hold")))
