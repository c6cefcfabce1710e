"""simulate.scenarios: simulated patients and prediction dates from option text (pure)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from synkinesis.simulate import REGIONS, TASKS, ModelError, TreatmentError
from synkinesis.simulate.scenarios import (
    build_spec,
    describe_spec,
    largest_coupling_changes,
    parse_number_list,
    parse_sides,
    prediction_days,
)


def test_build_spec_reads_injuries_treatments_and_timing():
    spec = build_spec(injuries=["left:buccal:0.5"], treatments=["block:buccal:left@400"],
                      day=380, seed=3, timing={"fps": 25.0})
    assert (spec.injuries[0].side, spec.injuries[0].site, spec.injuries[0].severity) == (
        "left", "buccal", 0.5)
    assert spec.treatments[0].day == 400 and spec.timing.fps == 25.0 and spec.seed == 3
    assert build_spec(treatments=["retraining:left"], day=200).treatments[0].day == 200
    assert "left buccal (severity 0.5)" in describe_spec(spec)
    assert describe_spec(build_spec()).startswith("no injury")


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"injuries": ["middle"]}, ModelError),
    ({"misrouting": 1.5}, ModelError),
    ({"treatments": ["toxin:nomuscle:left:5"]}, TreatmentError),
])
def test_build_spec_refuses_bad_input(kwargs, error):
    with pytest.raises(error):
        build_spec(**kwargs)


def test_number_lists_and_sides():
    assert parse_number_list("0, 0.5,1", name="--x", low=0, high=1) == (0.0, 0.5, 1.0)
    with pytest.raises(ModelError, match="--x values must be in 0..1"):
        parse_number_list("2", name="--x", low=0, high=1)
    with pytest.raises(ModelError, match="numbers separated by commas"):
        parse_number_list("a,b", name="--x", low=0, high=1)
    assert parse_sides("right, left") == ("right", "left")
    with pytest.raises(ModelError, match="unknown side 'up'"):
        parse_sides("left,up")


def test_prediction_days():
    plan = (SimpleNamespace(day=400.0), SimpleNamespace(day=420.0))
    assert prediction_days(None, plan=plan, today=365) == (399, 414, 430, 490, 520, 580)
    assert prediction_days("", plan=(), today=0)[0] == 0.0  # never before the injury
    assert prediction_days("1, 2", plan=plan, today=365) == (1.0, 2.0)
    with pytest.raises(ModelError, match="--at days must be in"):
        prediction_days("40000", plan=plan, today=365)


def test_largest_coupling_changes_finds_the_planted_cell():
    shape = (len(TASKS), len(REGIONS))
    before = [SimpleNamespace(coupling={"left": np.full(shape, 0.2)}) for _ in range(3)]
    after = [SimpleNamespace(coupling={"left": np.full(shape, 0.2)}) for _ in range(3)]
    t, r = TASKS.index("big_smile"), REGIONS.index("eye")
    after[2].coupling["left"][t, r] = 0.05
    after[1].coupling["left"][t, r] = 0.15
    after[2].coupling["left"][0, 0] = 0.203  # below the reporting floor
    day, cells = largest_coupling_changes(before, after, side="left")
    assert day == 2 and len(cells) == 1
    assert (cells[0].task, cells[0].region) == ("big_smile", "eye")
    assert cells[0].before == pytest.approx(0.2) and cells[0].after == pytest.approx(0.05)
    assert largest_coupling_changes(before, before, side="left")[1] == ()
