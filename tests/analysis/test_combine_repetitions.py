"""How a task done twice makes one coupling cell: the best held window over both repetitions
(default) or the mean of each repetition's own level (``CouplingOptions(repetitions="mean")``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from synthetic_faces import HEALTHY, guided, make_recording

from synkinesis.analysis import AnalysisError, AnalysisOptions, analyze_recording
from synkinesis.coupling import CouplingOptions
from synkinesis.uncertainty import UncertaintyOptions

STEPS = (("rest", 2.0), ("big_smile", 2.0), ("rest", 1.0), ("big_smile", 2.0), ("rest", 1.0),
         ("gentle_eye_closure", 2.0), ("rest", 1.0))
#: Extra narrowing of the left eye in each smile (ocular-oral synkinesis), mm.
EXTRA_MM = (2.0, 1.0)


def _recording():
    """Two smiles with a known one-sided eye narrowing: 2 mm in the first, 1 mm in the
    second (both sides smile alike)."""
    first, spans = make_recording(STEPS, noise_mm=0.01, rng=np.random.default_rng(1),
                                  extra={("big_smile", "left", "palpebral_fissure"):
                                         -EXTRA_MM[0]})
    second, _ = make_recording(STEPS, noise_mm=0.01, rng=np.random.default_rng(1),
                               extra={("big_smile", "left", "palpebral_fissure"):
                                      -EXTRA_MM[1]})
    smiles = [s for s in spans if s["task"] == "big_smile"]
    t = np.asarray(first.time_s)
    inside = (t >= smiles[1]["start_s"]) & (t < smiles[1]["end_s"])
    signals = {name: np.where(inside, second.signals[name], values)
               for name, values in first.signals.items()}
    return replace(first, signals=signals), spans


def _coupling(rule: str):
    recording, spans = _recording()
    # The repetitions rule of a held window (the driver cells' reading, and every cell's with
    # held_level="minimum"); read over the driver's hold (the default), a co-movement cell
    # pools every repetition's hold, whichever the rule.
    options = AnalysisOptions(coupling=CouplingOptions(repetitions=rule, held_level="minimum"),
                              uncertainty=UncertaintyOptions(replicates=0),
                              affected_side="left")
    return analyze_recording(recording, spans=guided(spans), options=options).coupling


def test_best_takes_the_stronger_repetition_and_mean_averages_them():
    best, mean = _coupling("best"), _coupling("mean")
    smile_eye = -HEALTHY["big_smile"]["palpebral_fissure"]
    for coupling, excess in ((best, EXTRA_MM[0]), (mean, sum(EXTRA_MM) / 2)):
        assert coupling.cell(quantity="excess_mm", side="left", task="big_smile",
                             region="eye") == pytest.approx(excess, abs=0.1)
        assert coupling.cell(quantity="movement_mm", side="left", task="big_smile",
                             region="eye") == pytest.approx(smile_eye + excess, abs=0.1)
        # the healthy side has no excess (its sustained excess is at most the noise)
        assert coupling.cell(quantity="excess_mm", side="right", task="big_smile",
                             region="eye") < 0.1
    # the evidence window is the stronger repetition's (the first smile) in both
    first_smile = [s for s in _recording()[1] if s["task"] == "big_smile"][0]
    for coupling in (best, mean):
        start, stop, _ = coupling.excess_window_of(side="left", task="big_smile",
                                                   region="eye")
        t = coupling.frame_interval_s
        assert first_smile["start_s"] <= start * t and stop * t <= first_smile["end_s"]
    # a task done once is the same either way
    assert mean.cell(quantity="movement_mm", side="left", task="gentle_eye_closure",
                     region="eye") == best.cell(quantity="movement_mm", side="left",
                                                task="gentle_eye_closure", region="eye")


def test_unknown_rule_is_refused():
    recording, spans = _recording()
    with pytest.raises(AnalysisError, match="repetitions must be one of best, mean"):
        analyze_recording(recording, spans=guided(spans), options=AnalysisOptions(
            coupling=CouplingOptions(repetitions="median")))
