"""The axon model: determinism, a healthy identity, injuries, mirror symmetry, conservation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synkinesis.regions import SIDES
from synkinesis.simulate import (
    BRANCHES,
    MUSCLES,
    PATTERNS,
    REGIONS,
    TASKS,
    Injury,
    ModelError,
    RegrowthParameters,
    drive_at,
    regenerate,
)
from synkinesis.simulate.anatomy import (
    BRANCH_MUSCLE_WEIGHTS,
    MUSCLE_AXON_SHARE,
    branch_muscle_matrix,
    command_matrix,
)
from synkinesis.simulate.nerve import PARAMETER_INFO, healthy_axons


def _wiring_arrays(nerve, side):
    w = nerve.wiring[side]
    return (w.conn_pool, w.conn_muscle, w.conn_branch, w.conn_regrown, w.conn_ready_day)


def test_anatomy_tables_are_consistent():
    weights = branch_muscle_matrix()
    np.testing.assert_allclose(weights.sum(axis=0), 1.0)
    assert sum(p.value for p in MUSCLE_AXON_SHARE.values()) == pytest.approx(1.0)
    assert set(MUSCLE_AXON_SHARE) == set(MUSCLES)
    assert set(BRANCH_MUSCLE_WEIGHTS) == set(BRANCHES)
    # every constant says where it comes from
    for parameter in PARAMETER_INFO.values():
        assert parameter.source in ("V", "U", "assumption") and parameter.unit
    assert set(PARAMETER_INFO) == set(RegrowthParameters().as_dict())
    assert TASKS[0] == "rest" and len(TASKS) == 9 and len(REGIONS) == 8


def test_healthy_population_follows_the_shares():
    pool, branch, size = healthy_axons(7000)
    assert size.sum() == 7000 == pool.size == branch.size
    oculi = MUSCLES.index("orbicularis_oculi")
    assert size[oculi] == 1120
    # orbicularis oculi axons travel through temporal, zygomatic and buccal branches
    assert set(branch[pool == oculi]) == {BRANCHES.index(b) for b in
                                          ("temporal", "zygomatic", "buccal")}


def test_same_seed_same_wiring_other_seed_other_wiring():
    injury = (Injury("left", "proximal", 0.8),)
    a = regenerate(injury, rng=np.random.default_rng(5))
    b = regenerate(injury, rng=np.random.default_rng(5))
    c = regenerate(injury, rng=np.random.default_rng(6))
    for x, y in zip(_wiring_arrays(a, "left"), _wiring_arrays(b, "left")):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.wiring["left"].conn_muscle, c.wiring["left"].conn_muscle) or \
        not np.array_equal(a.wiring["left"].conn_ready_day, c.wiring["left"].conn_ready_day)


def test_healthy_face_drive_is_identity_and_coupling_symmetric(truth_of):
    nerve = regenerate((), rng=np.random.default_rng(0))
    for side in SIDES:
        state = drive_at(nerve, side, 365.0)
        np.testing.assert_allclose(state.drive, np.eye(len(MUSCLES)))
        np.testing.assert_allclose(state.tone, 0.0)
    truth = truth_of(())
    np.testing.assert_allclose(truth.coupling["left"], truth.coupling["right"], atol=1e-9)
    for side in SIDES:
        assert all(abs(value) < 1e-9 for value in truth.patterns[side].values())
        assert set(truth.severities[side].values()) == {"none"}
        assert truth.items[side]["sunnybrook_synkinesis_sum"] == 0
        assert truth.items[side]["eface_ocular_synkinesis"] == pytest.approx(100.0)
        # each region's own range task gives exactly 1
        for region, task in (("brow", "brow_raise"), ("eye", "tight_eye_closure"),
                             ("mouth_corner", "big_smile"), ("chin", "pucker")):
            assert truth.coupling[side][TASKS.index(task), REGIONS.index(region)] == \
                pytest.approx(1.0)
    assert truth.affected_side is None


def test_normal_big_smile_narrows_the_eyes_like_normal_faces(truth_of, face_mm):
    # 21.6 +/- 13.4 % in 50 normals [V]
    truth = truth_of(())
    eye = REGIONS.index("eye")
    narrowing = truth.movement["left"][TASKS.index("big_smile"), eye]
    fissure = face_mm[159, 1] - face_mm[145, 1]
    assert 0.15 < narrowing / fissure < 0.30


def test_injury_adds_off_target_coupling_on_the_injured_side_only(truth_of):
    healthy = truth_of(())
    injured = truth_of((Injury("left", "proximal", 0.9),))
    assert injured.affected_side == "left"
    # pattern indices (Sunnybrook points, the analysis' convention): the injured side's
    # co-movement exceeds the healthy side's; the healthy side's never exceeds the injured's
    for pattern in ("ocular_oral", "oral_ocular"):
        assert injured.severities["left"][pattern] != "none", pattern
    for pattern in ("mentalis", "nasolabial"):
        assert injured.patterns["left"][pattern] > 0.1, pattern
    for pattern in PATTERNS:
        assert injured.patterns["right"][pattern] < 1e-6, pattern
        assert injured.severities["right"][pattern] == "none", pattern
    # the platysma co-activates in smiles (neck column, activation units), but the analysis'
    # proxy, lower-lip descent in a closed smile, sees none: the lower lip rises there
    neck = REGIONS.index("neck")
    for task in ("closed_smile", "big_smile"):
        assert injured.excess_mm["left"][TASKS.index(task), neck] > 0.03, task
    assert injured.patterns["left"]["platysmal"] == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(injured.coupling["right"], healthy.coupling["right"], atol=0.02)
    eye, mouth = REGIONS.index("eye"), REGIONS.index("mouth_corner")
    for task in ("big_smile", "pucker"):  # ocular-oral cells
        t = TASKS.index(task)
        assert injured.coupling["left"][t, eye] > healthy.coupling["left"][t, eye] + 0.02
    for task in ("gentle_eye_closure", "tight_eye_closure"):  # oral-ocular cells
        t = TASKS.index(task)
        assert injured.coupling["left"][t, mouth] > healthy.coupling["left"][t, mouth] + 0.02
    # the driver diagonal weakens (voluntary function is lost to misrouting)
    assert injured.coupling["left"][TASKS.index("brow_raise"), REGIONS.index("brow")] < 0.8
    assert injured.items["left"]["eface_ocular_synkinesis"] < 95
    assert injured.items["right"]["eface_ocular_synkinesis"] == pytest.approx(100.0)


def test_more_misrouting_more_synkinesis(truth_of):
    low = truth_of((Injury("left", "proximal", 0.9),), misrouting=0.2)
    high = truth_of((Injury("left", "proximal", 0.9),), misrouting=0.9)
    assert high.patterns["left"]["ocular_oral"] > low.patterns["left"]["ocular_oral"]
    assert high.patterns["left"]["oral_ocular"] > low.patterns["left"]["oral_ocular"]


def test_no_misrouting_gives_weakness_then_recovery_without_synkinesis(truth_of):
    injury = (Injury("right", "proximal", 1.0),)
    early = truth_of(injury, day=40.0, misrouting=0.0, non_reaching=0.0)
    late = truth_of(injury, day=720.0, misrouting=0.0, non_reaching=0.0)
    brow = (TASKS.index("brow_raise"), REGIONS.index("brow"))
    assert early.coupling["right"][brow] < 0.05  # paralysed before regrowth arrives
    assert late.coupling["right"][brow] == pytest.approx(1.0, abs=0.02)
    assert max(late.patterns["right"].values()) < 0.01


def test_synkinesis_appears_months_after_injury(truth_of, left_nerve):
    # synkinesis appears ~3..6 months after injury [U]
    truths = [truth_of(nerve=left_nerve, day=day) for day in (30, 60, 120, 180, 365)]
    severity = [truth.patterns["left"]["ocular_oral"] for truth in truths]
    assert severity[0] < 0.01 and severity[1] < 0.01
    assert truths[3].severities["left"]["ocular_oral"] != "none"  # >= 0.5 point by 6 months
    # then it stays (maturation is over: the index plateaus, to 0.001 point)
    assert severity[4] >= severity[3] - 0.01


def test_left_and_right_injuries_give_mirrored_truth(truth_of):
    left = truth_of((Injury("left", "proximal", 0.8),), seed=3)
    right = truth_of((Injury("right", "proximal", 0.8),), seed=3)
    np.testing.assert_allclose(left.coupling["left"], right.coupling["right"], atol=1e-9)
    np.testing.assert_allclose(left.coupling["right"], right.coupling["left"], atol=1e-9)
    for pattern in PATTERNS:
        assert left.patterns["left"][pattern] == pytest.approx(right.patterns["right"][pattern])
    assert left.items["left"] == right.items["right"]


def test_branch_injury_only_mixes_within_its_branch():
    nerve = regenerate((Injury("left", "marginal_mandibular", 1.0),),
                       parameters=RegrowthParameters(misrouting=1.0),
                       rng=np.random.default_rng(2))
    wiring = nerve.wiring["left"]
    regrown = wiring.conn_regrown
    served = {MUSCLES.index(m) for m in BRANCH_MUSCLE_WEIGHTS["marginal_mandibular"]}
    assert set(np.unique(wiring.conn_muscle[regrown])) <= served
    assert set(np.unique(wiring.conn_branch[regrown])) == {BRANCHES.index("marginal_mandibular")}
    # axons of other branches are untouched
    frontalis = MUSCLES.index("frontalis")
    assert (wiring.conn_muscle[~regrown] == frontalis).sum() == wiring.pool_size[frontalis]


def test_non_reaching_axons_leave_muscles_denervated():
    nerve = regenerate((Injury("left", "proximal", 1.0),),
                       parameters=RegrowthParameters(non_reaching=1.0),
                       rng=np.random.default_rng(2))
    assert not nerve.wiring["left"].conn_regrown.any()
    state = drive_at(nerve, "left", 365.0)
    np.testing.assert_allclose(state.drive, 0.0)


@settings(max_examples=25, deadline=None)
@given(
    severity=st.floats(0.0, 1.0),
    misrouting=st.floats(0.0, 1.0),
    sprouts=st.floats(0.0, 5.0),
    terminal=st.floats(1.0, 6.0),
    non_reaching=st.floats(0.0, 1.0),
    day=st.floats(0.0, 1000.0),
    site=st.sampled_from(["proximal", *BRANCHES]),
    seed=st.integers(0, 2**32),
)
def test_activations_are_conserved_non_negative_and_bounded(severity, misrouting, sprouts,
                                                            terminal, non_reaching, day, site,
                                                            seed):
    parameters = RegrowthParameters(n_axons=800, misrouting=misrouting,
                                    collateral_sprouts=sprouts, terminal_sprouting=terminal,
                                    non_reaching=non_reaching)
    nerve = regenerate((Injury("right", site, severity),), parameters=parameters,
                       rng=np.random.default_rng(seed))
    state = drive_at(nerve, "right", day)
    assert (state.drive >= 0).all()
    # fibre shares are conserved: no muscle has more than all of its fibres driven
    assert (state.drive.sum(axis=0) <= 1.0 + 1e-9).all()
    assert ((state.tone >= 0) & (state.tone <= 1)).all()
    activation = state.activation(command_matrix())
    assert ((activation >= 0) & (activation <= 1)).all()


@pytest.mark.parametrize("kwargs, message", [
    ({"misrouting": 1.5}, "misrouting must be in 0.0..1.0"),
    ({"collateral_sprouts": -1}, "collateral_sprouts"),
    ({"n_axons": 10}, "n_axons"),
    ({"terminal_sprouting": 0.5}, "terminal_sprouting"),
])
def test_bad_parameters_are_refused(kwargs, message):
    with pytest.raises(ModelError, match=message):
        RegrowthParameters(**kwargs).validate()


@pytest.mark.parametrize("injury, message", [
    (Injury("middle"), "unknown side"),
    (Injury("left", "ophthalmic"), "unknown injury site"),
    (Injury("left", "proximal", 1.2), "severity must be in 0..1"),
])
def test_bad_injuries_are_refused(injury, message):
    with pytest.raises(ModelError, match=message):
        regenerate((injury,), rng=np.random.default_rng(0))
