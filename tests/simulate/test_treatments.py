"""Treatments move the coupling in the expected direction, with the expected time course."""

from __future__ import annotations

import numpy as np
import pytest

from synkinesis.simulate import (
    BRANCHES,
    MUSCLES,
    REGIONS,
    TASKS,
    Myectomy,
    NerveBlock,
    Neurectomy,
    Retraining,
    SimulationSpec,
    Toxin,
    TreatmentError,
    drive_at,
    format_treatment,
    parse_injury,
    parse_treatment,
    predict,
)
from synkinesis.simulate.nerve import ModelError
from synkinesis.simulate.treatments import validate_treatment

EYE, MOUTH = REGIONS.index("eye"), REGIONS.index("mouth_corner")
PUCKER, SMILE = TASKS.index("pucker"), TASKS.index("big_smile")
TODAY = 365.0


def test_toxin_time_course():
    toxin = Toxin("orbicularis_oculi", "left", 5.0, day=100.0)
    assert toxin.weakening(99.0) == 0.0
    assert 0.0 < toxin.weakening(101.0) < toxin.weakening(114.0)
    peak = toxin.weakening(114.0)  # the 2-week review sees ~the full effect
    assert 0.4 < peak < 0.9
    assert toxin.weakening(100 + 90) < peak  # wearing off after ~3 months
    assert toxin.weakening(100 + 150) < 0.05 * peak  # gone after ~5 months
    assert Toxin("orbicularis_oculi", "left", 10.0, 100.0).weakening(114.0) > peak


def test_toxin_to_orbicularis_oculi_lowers_ocular_oral_then_wears_off(truth_of, left_nerve):
    toxin = Toxin("orbicularis_oculi", "left", 7.5, day=TODAY)
    before = truth_of(nerve=left_nerve, day=TODAY - 1)
    review = truth_of(nerve=left_nerve, day=TODAY + 14, treatments=[toxin])
    later = truth_of(nerve=left_nerve, day=TODAY + 200, treatments=[toxin])
    untreated = truth_of(nerve=left_nerve, day=TODAY + 14)
    assert review.patterns["left"]["ocular_oral"] < 0.6 * untreated.patterns["left"]["ocular_oral"]
    assert review.coupling["left"][PUCKER, EYE] < before.coupling["left"][PUCKER, EYE]
    assert review.items["left"]["eface_ocular_synkinesis"] > \
        untreated.items["left"]["eface_ocular_synkinesis"]
    # the healthy side is untouched, and the effect is gone after ~6 months
    np.testing.assert_allclose(review.coupling["right"], untreated.coupling["right"])
    np.testing.assert_allclose(later.coupling["left"],
                               truth_of(nerve=left_nerve, day=TODAY + 200).coupling["left"],
                               atol=1e-3)
    # pitfall [V]: eye closure weakens too
    tight = TASKS.index("tight_eye_closure")
    assert review.coupling["left"][tight, EYE] < untreated.coupling["left"][tight, EYE]


def test_block_is_temporary_and_neurectomy_permanent(left_nerve):
    block = NerveBlock("buccal", "left", day=TODAY)
    cut = Neurectomy("buccal", "left", day=TODAY)
    base = drive_at(left_nerve, "left", TODAY).drive
    during = drive_at(left_nerve, "left", TODAY + 0.05, treatments=[block]).drive
    after = drive_at(left_nerve, "left", TODAY + 1.0, treatments=[block]).drive
    assert during.sum() < base.sum()
    np.testing.assert_allclose(after, base)
    for day in (TODAY + 1.0, TODAY + 1000.0):
        removed = drive_at(left_nerve, "left", day, treatments=[cut]).drive
        assert removed.sum() < drive_at(left_nerve, "left", day).drive.sum()
    buccinator = MUSCLES.index("buccinator")  # served by the buccal branch alone
    assert drive_at(left_nerve, "left", TODAY + 500, treatments=[cut]).drive[:, buccinator].sum() \
        == pytest.approx(0.0)


def test_selective_neurectomy_of_paths_into_one_muscle(truth_of, left_nerve):
    cut = Neurectomy("buccal", "left", day=TODAY, muscles=("orbicularis_oculi",))
    state = drive_at(left_nerve, "left", TODAY + 10, treatments=[cut])
    wiring = left_nerve.wiring["left"]
    oculi, buccal = MUSCLES.index("orbicularis_oculi"), BRANCHES.index("buccal")
    assert ((wiring.conn_muscle == oculi) & (wiring.conn_branch == buccal)).any()
    untreated = drive_at(left_nerve, "left", TODAY + 10)
    others = [m for m in range(len(MUSCLES)) if m != oculi]
    np.testing.assert_allclose(state.drive[:, others], untreated.drive[:, others])
    # the cut paths' fibres go to the muscle's remaining axons (terminal sprouting), so the
    # muscle's drive changes in who drives it, not in its total
    assert not np.allclose(state.drive[:, oculi], untreated.drive[:, oculi])
    assert state.drive[:, oculi].sum() <= untreated.drive[:, oculi].sum() + 1e-9


def test_myectomy_removes_a_muscle_for_good(truth_of, left_nerve):
    cut = Myectomy("depressor_anguli_oris", "left", day=TODAY)
    dao = MUSCLES.index("depressor_anguli_oris")
    for day in (TODAY + 1, TODAY + 2000):
        state = drive_at(left_nerve, "left", day, treatments=[cut])
        assert state.output[dao] == 0.0
        assert (state.activation(np.ones(len(MUSCLES)))[dao]) == 0.0


def test_retraining_gradually_lowers_off_target_coupling(truth_of, left_nerve):
    plan = [Retraining("left", day=TODAY)]
    values = [truth_of(nerve=left_nerve, day=TODAY + d, treatments=plan).patterns["left"]
              ["ocular_oral"] for d in (0, 30, 90, 365)]
    assert values[0] > values[1] > values[2] > values[3] > 0
    untreated = truth_of(nerve=left_nerve, day=TODAY + 365).patterns["left"]["ocular_oral"]
    assert values[3] < 0.7 * untreated
    # voluntary function is kept: only misrouted drive falls
    brow = (TASKS.index("brow_raise"), REGIONS.index("brow"))
    assert truth_of(nerve=left_nerve, day=TODAY + 365, treatments=plan).coupling["left"][brow] \
        == pytest.approx(truth_of(nerve=left_nerve, day=TODAY + 365).coupling["left"][brow],
                         abs=0.05)


def test_predict_before_and_after(canonical):
    spec = SimulationSpec(injuries=(parse_injury("left:proximal:0.9"),), seed=4)
    plan = (parse_treatment("toxin:orbicularis_oculi:left:5@380", default_day=365),)
    days = (379.0, 394.0, 560.0)
    before = predict(spec, plan=(), days=days, canonical_vertices=canonical.vertices)
    after = predict(spec, plan=plan, days=days, canonical_vertices=canonical.vertices)
    assert [t.day for t in after] == list(days)
    assert after[0].patterns == before[0].patterns
    assert after[1].patterns["left"]["ocular_oral"] < before[1].patterns["left"]["ocular_oral"]
    assert after[2].patterns["left"]["ocular_oral"] == pytest.approx(
        before[2].patterns["left"]["ocular_oral"], abs=0.01)


@pytest.mark.parametrize("text", [
    "toxin:orbicularis_oculi:left:5@380",
    "block:buccal:right@400",
    "neurectomy:buccal:left:orbicularis_oculi+platysma@400",
    "myectomy:depressor_anguli_oris:right:0.5@10",
    "retraining:left:0.3@365",
])
def test_treatment_text_round_trips(text):
    treatment = parse_treatment(text, default_day=0)
    assert format_treatment(treatment) == text
    assert parse_treatment(format_treatment(treatment), default_day=0) == treatment


def test_treatment_without_day_is_dated_today():
    assert parse_treatment("block:buccal:left", default_day=123.0).day == 123.0


@pytest.mark.parametrize("text, message", [
    ("toxin:orbicularis_ocular:left:5", "unknown muscle 'orbicularis_ocular'; expected one of"),
    ("toxin:orbicularis_oculi:middle:5", "unknown side 'middle'"),
    ("toxin:orbicularis_oculi:left:-5", "toxin units must be > 0"),
    ("toxin:orbicularis_oculi:left:many", "toxin units must be a number"),
    ("block:maxillary:left", "unknown branch 'maxillary'"),
    ("neurectomy:buccal:left:nose", "unknown muscle 'nose'"),
    ("myectomy:platysma:left:2", "fraction must be in"),
    ("toxin:orbicularis_oculi:left:5@-3", "treatment day must be >= 0"),
    ("laser:left", "cannot read treatment"),
])
def test_bad_treatments_are_refused_in_one_line(text, message):
    with pytest.raises(TreatmentError, match=message) as info:
        parse_treatment(text, default_day=0)
    assert "\n" not in str(info.value)


def test_bad_injury_text():
    with pytest.raises(ModelError, match="SIDE"):
        parse_injury("")
    with pytest.raises(ModelError, match="severity must be a number"):
        parse_injury("left:proximal:strong")
    with pytest.raises(ModelError, match="unknown side"):
        parse_injury("up")


def test_validate_treatment_checks_the_dataclasses_too():
    with pytest.raises(TreatmentError, match="retraining efficacy"):
        validate_treatment(Retraining("left", 0.0, efficacy=2.0))


def test_the_record_vocabulary_name_of_the_alaeque_nasi_is_accepted():
    toxin = parse_treatment("toxin:levator_labii_superioris_alaeque_nasi:left:2", default_day=1)
    assert toxin.muscle == "levator_labii_superioris"
