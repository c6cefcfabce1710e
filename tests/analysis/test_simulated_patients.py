"""The simulator's patients (known coupling): cells recovered, healthy faces read healthy."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("synkinesis.simulate.validation")


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    from synkinesis.landmarks.model import load_canonical_face
    from synkinesis.simulate.io import load_neutral_face
    from synkinesis.simulate.validation import run_validation, validation_grid

    face = load_neutral_face()
    specs = validation_grid(severities=(0.0, 0.95), misrouting=(0.9,), sides=("left", "right"),
                            head_motion_deg=(1.0,), noise_px=(0.3,))
    return run_validation(specs, face, canonical_vertices=load_canonical_face(None).vertices,
                          work_dir=tmp_path_factory.mktemp("simulated"))


def test_simulated_coupling_cells_are_recovered(simulated):
    errors = np.concatenate([
        (case.measured_movement[side] - case.true_movement[side]).ravel()
        for case in simulated.cases for side in ("left", "right")])
    errors = errors[np.isfinite(errors)]
    assert errors.size > 100
    assert np.median(np.abs(errors)) < 0.3  # mm
    assert np.percentile(np.abs(errors), 95) < 1.0


def test_simulated_affected_side_and_ocular_oral_are_found(simulated):
    assert simulated.side_accuracy == 1.0
    for case in simulated.cases:
        if case.true_side is None:
            assert all(grade <= 1 for side in ("left", "right")
                       for grade in case.found_grades[side].values())
        else:
            assert case.found_side == case.true_side
            assert case.found_grades[case.true_side]["ocular_oral"] >= 1
            healthy = "left" if case.true_side == "right" else "right"
            assert all(grade == 0 for grade in case.found_grades[healthy].values())
