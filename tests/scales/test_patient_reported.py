"""SAQ and FaCE: bounds, formulas, domains and validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scale_strategies import highest_form, lowest_form, valid_forms

from synkinesis.scales import Rater, ScaleValidationError, get_instrument, score

SAQ = get_instrument("saq")
FACE = get_instrument("face_qol")


def test_saq_bounds_are_20_and_100():
    assert score("saq", lowest_form(SAQ)).total == pytest.approx(20)
    assert score("saq", highest_form(SAQ)).total == pytest.approx(100)


def test_saq_formula_and_rater():
    items = dict(zip(SAQ.item_keys, (1, 2, 3, 4, 5, 1, 2, 3, 4), strict=True))
    result = score("saq", items)
    assert result.total == pytest.approx(25 / 45 * 100)
    assert result.total_formula == "sum of 9 items / 45 * 100"
    assert result.provenance.rater is Rater.PATIENT
    assert len(SAQ.items) == 9
    assert any("wording" in note for note in result.uncertain)


@pytest.mark.parametrize("bad", [0, 6, 3.5])
def test_saq_rejects(bad):
    with pytest.raises(ScaleValidationError, match=r"must be one of 1, 2, 3, 4, 5 \(1 = seldom"):
        score("saq", lowest_form(SAQ) | {"eye_waters_eating": bad})


@given(valid_forms(SAQ))
def test_saq_total_stays_in_range(items):
    assert 20 - 1e-9 <= score("saq", items).total <= 100 + 1e-9


def test_face_has_15_items_in_6_domains():
    assert len(FACE.items) == 15
    domains = [s for s in FACE.subscores if s.kind == "domain"]
    assert [d.label for d in domains] == [
        "facial movement",
        "facial comfort",
        "oral function",
        "eye comfort",
        "lacrimal control",
        "social function",
    ]
    assert sum(len(d.items) for d in domains) == 15


@pytest.mark.parametrize("formula", ["items", "mean_of_domains"])
def test_face_bounds_are_0_and_100(formula):
    worst = score("face", lowest_form(FACE), options={"total_formula": formula})
    best = score("face", highest_form(FACE), options={"total_formula": formula})
    assert worst.total == pytest.approx(0)
    assert best.total == pytest.approx(100)
    assert all(s.value == pytest.approx(0) for s in worst.subscores)
    assert all(s.value == pytest.approx(100) for s in best.subscores)


def test_face_domain_and_total_formulas():
    items = lowest_form(FACE) | {"movement_smile": 5, "movement_brow": 3, "social_mood": 4}
    result = score("face", items)
    assert result.subscore("facial_movement").value == pytest.approx((5 + 3 + 1 - 3) / 12 * 100)
    assert result.subscore("social_function").value == pytest.approx((4 + 3 - 4) / 16 * 100)
    assert result.subscore("lacrimal_control").value == 0
    assert result.total == pytest.approx((5 + 3 + 4 + 12 - 15) / 60 * 100)
    by_domains = score("face", items, options={"total_formula": "mean_of_domains"})
    domain_values = [s.value for s in result.subscores]
    assert by_domains.total == pytest.approx(sum(domain_values) / 6)


def test_face_uncertain_parts_are_labelled():
    result = score("face", highest_form(FACE))
    assert all("[U]" in s.uncertain for s in result.subscores)
    notes = " ".join(result.uncertain)
    assert "domain formula" in notes
    assert "sources conflict" in notes
    assert "item-to-domain" in notes


@pytest.mark.parametrize("bad", [0, 6, -1, "often"])
def test_face_rejects(bad):
    with pytest.raises(ScaleValidationError, match=r"face_qol item 'lacrimal_tearing'"):
        score("face", highest_form(FACE) | {"lacrimal_tearing": bad})


@given(valid_forms(FACE), st.sampled_from(["items", "mean_of_domains"]))
def test_face_totals_stay_in_range(items, formula):
    result = score("face", items, options={"total_formula": formula})
    assert -1e-9 <= result.total <= 100 + 1e-9
    assert all(-1e-9 <= s.value <= 100 + 1e-9 for s in result.subscores)
