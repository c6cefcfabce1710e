"""Fitting the model to a measured patient: exact on model data, predictive on analysed data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from synkinesis.regions import SIDES
from synkinesis.simulate import (
    PATTERNS,
    REGIONS,
    TASKS,
    Injury,
    ModelError,
    RegrowthParameters,
    SimulationSpec,
)
from synkinesis.simulate.fit import asymmetry, fit_patient
from synkinesis.simulate.io import movement_from_analysis, read_truth, sidecar_paths
from synkinesis.simulate.patient import build_nerve, truth_on_day
from synkinesis.simulate.truth import ground_truth

GRID = {"severities": (0.6, 0.8, 1.0), "misrouting": (0.5, 0.7, 0.9), "sprouts": (1.5,)}


def test_asymmetry_is_relative_to_the_healthy_range():
    healthy = np.zeros((len(TASKS), len(REGIONS)))
    healthy[TASKS.index("brow_raise"), REGIONS.index("brow")] = 8.0
    affected = healthy.copy()
    affected[TASKS.index("brow_raise"), REGIONS.index("brow")] = 2.0
    affected[TASKS.index("pucker"), REGIONS.index("brow")] = 4.0
    out = asymmetry(affected, healthy)
    assert out[TASKS.index("brow_raise"), REGIONS.index("brow")] == pytest.approx(-0.75)
    assert out[TASKS.index("pucker"), REGIONS.index("brow")] == pytest.approx(0.5)
    assert np.isnan(out[0]).all() and np.isnan(out[:, REGIONS.index("neck")]).all()
    assert np.isnan(out[:, REGIONS.index("eye")]).all()  # healthy range 0: unusable


def test_fit_recovers_a_model_patient_exactly(face_mm, fields):
    spec = SimulationSpec(injuries=(Injury("right", "proximal", 0.8),),
                          regrowth=RegrowthParameters(misrouting=0.7, collateral_sprouts=1.5),
                          seed=0)
    truth = ground_truth(build_nerve(spec), day=365.0, face_mm=face_mm, fields=fields)
    result = fit_patient(truth.movement, side="right", face_mm=face_mm, fields=fields, seed=0,
                         **GRID)
    assert result.error == pytest.approx(0.0, abs=1e-9)
    assert result.spec.injuries[0] == Injury("right", "proximal", 0.8)
    assert result.spec.regrowth.misrouting == pytest.approx(0.7)
    assert result.cells > 40


def test_fitted_patient_predicts_the_true_patterns_from_an_analysis(simulated, canonical,
                                                                    tmp_path):
    from synkinesis.workflow import measure_and_analyse

    run = measure_and_analyse(simulated, output_dir=tmp_path)
    movement, side = movement_from_analysis(run.analysis_path)
    assert side == "left"
    truth = read_truth(sidecar_paths(simulated)[0])["truth"]
    face_mm, fields = _canonical(canonical)
    result = fit_patient(movement, side=side, face_mm=face_mm, fields=fields, **GRID)
    fitted = truth_on_day(build_nerve(result.spec), 365.0, (),
                          canonical_vertices=canonical.vertices)
    assert result.error < 0.2
    # pattern indices in Sunnybrook points (the analysis' scale): within a third of a point
    for pattern in PATTERNS:
        assert fitted.patterns["left"][pattern] == pytest.approx(
            truth["patterns"]["left"][pattern], abs=0.35), pattern
        assert fitted.patterns["right"][pattern] < 1e-6
    assert fitted.severities["left"]["ocular_oral"] == \
        truth["pattern_severities"]["left"]["ocular_oral"] != "none"


def _canonical(canonical):
    from synkinesis.simulate import canonical_face_mm, muscle_fields

    face_mm = canonical_face_mm(canonical.vertices)
    return face_mm, muscle_fields(canonical.vertices, face_mm)


def test_fit_refuses_too_little_data(face_mm, fields):
    empty = {side: np.full((len(TASKS), len(REGIONS)), np.nan) for side in SIDES}
    with pytest.raises(ModelError, match="too few measured cells"):
        fit_patient(empty, side="left", face_mm=face_mm, fields=fields)
    with pytest.raises(ModelError, match="unknown side"):
        fit_patient(empty, side="up", face_mm=face_mm, fields=fields)


def test_predict_fit_cli(run_cli, simulated, tmp_path):
    from synkinesis.workflow import measure_and_analyse

    run = measure_and_analyse(simulated, output_dir=tmp_path)
    result = run_cli("predict", "--fit", run.analysis_path, "--json", "-", "--treatment",
                     "toxin:orbicularis_oculi:left:5@400", "--at", "399,414")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output[result.output.index("{"):])
    assert "fitted to" in result.output
    before, after = payload["before"], payload["after"]
    assert after[1]["patterns"]["left"]["ocular_oral"] < before[1]["patterns"]["left"][
        "ocular_oral"]
    bad = run_cli("predict", "--fit", tmp_path / "missing.json")
    assert bad.exit_code == 2 and "cannot read an analysis file" in bad.output
    both = run_cli("predict", "--fit", run.analysis_path, "--injury", "left")
    assert both.exit_code == 2 and "only one of --from, --fit and --injury" in both.output
