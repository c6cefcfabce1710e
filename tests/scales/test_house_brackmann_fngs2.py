"""House-Brackmann grades and FNGS 2.0 totals and grades."""

from __future__ import annotations

import pytest
from hypothesis import given
from scale_strategies import valid_forms

from synkinesis.scales import ScaleValidationError, get_instrument, score

ROMAN = ("I", "II", "III", "IV", "V", "VI")


@pytest.mark.parametrize(("number", "roman"), list(enumerate(ROMAN, start=1)))
def test_house_brackmann_grade_by_number_or_numeral(number, roman):
    by_number = score("house_brackmann", {"grade": number})
    by_name = score("hb", {"grade": roman.lower()})
    assert by_number.total == by_name.total == number
    assert by_number.grade.name == by_name.grade.name == roman
    assert by_name.choices == {"grade": roman}
    assert by_number.grade.uncertain is None


def test_house_brackmann_descriptions():
    assert score("hb", {"grade": 1}).grade.description.startswith("normal")
    assert "synkinesis" in score("hb", {"grade": 2}).grade.description
    assert "complete eye closure with effort" in score("hb", {"grade": 3}).grade.description
    assert "incomplete eye closure" in score("hb", {"grade": 4}).grade.description
    assert "barely perceptible" in score("hb", {"grade": 5}).grade.description
    assert "no movement" in score("hb", {"grade": 6}).grade.description


@pytest.mark.parametrize("bad", [0, 7, "VII", 2.5])
def test_house_brackmann_rejects(bad):
    with pytest.raises(ScaleValidationError, match=r"1, 2, 3, 4, 5, 6 or I, II, III, IV, V, VI"):
        score("hb", {"grade": bad})


def fngs(brow=1, eye=1, nasolabial=1, oral=1, secondary_movement=0):
    return dict(
        brow=brow, eye=eye, nasolabial=nasolabial, oral=oral, secondary_movement=secondary_movement
    )


def test_fngs_normal_is_4_grade_I_certain():
    result = score("fngs2", fngs())
    assert result.total == 4
    assert result.subscore("regional").value == 4
    assert result.grade.name == "I"
    assert result.grade.uncertain is None


def test_fngs_total_paralysis_is_24_grade_VI_certain():
    result = score("fngs2", fngs(6, 6, 6, 6, 0))
    assert result.total == 24
    assert result.grade.name == "VI"
    assert result.grade.uncertain is None


def test_fngs_maximum_is_27():
    result = score("fngs2", fngs(6, 6, 6, 6, 3))
    assert result.total == 27
    assert result.grade.name == "VI"
    assert "[U]" in result.grade.uncertain


@pytest.mark.parametrize(
    ("items", "grade"),
    [
        (fngs(2, 1, 1, 1), "II"),
        (fngs(3, 2, 2, 2), "II"),
        (fngs(3, 3, 2, 2), "III"),
        (fngs(4, 3, 3, 3, 1), "III"),
        (fngs(4, 4, 4, 3), "IV"),
        (fngs(5, 5, 5, 4), "IV"),
        (fngs(5, 5, 5, 5), "V"),
        (fngs(6, 6, 6, 5), "V"),
    ],
)
def test_fngs_uncertain_grades_are_labelled(items, grade):
    result = score("fngs2", items)
    assert result.grade.name == grade
    assert "cut-offs" in result.grade.uncertain
    assert result.grade.uncertain in result.uncertain


def test_fngs_cutoffs_are_configurable():
    items = fngs(3, 3, 2, 2)  # total 10
    assert score("fngs2", items).grade.name == "III"
    custom = score("fngs2", items, options={"grade_cutoffs": "10,14,19,23"})
    assert custom.grade.name == "II"
    assert custom.options["grade_cutoffs"] == (10, 14, 19, 23)
    assert score("fngs2", items, options={"grade_cutoffs": [10, 14, 19, 23]}) == custom


@pytest.mark.parametrize("bad", ["9,14,19", "14,9,19,23", "4,9,14,19", "9,14,19,24", "a,b,c,d", 5])
def test_fngs_bad_cutoffs_rejected(bad):
    with pytest.raises(ScaleValidationError, match="grade_cutoffs' must be four increasing"):
        score("fngs2", fngs(), options={"grade_cutoffs": bad})


def test_fngs_wording_is_labelled_uncertain():
    assert any("FNGS 2.0 value descriptions" in note for note in score("fngs2", fngs()).uncertain)


@given(valid_forms(get_instrument("fngs2")))
def test_fngs_total_and_grade_stay_in_range(items):
    result = score("fngs2", items)
    assert 4 <= result.total <= 27
    assert 4 <= result.subscore("regional").value <= 24
    assert result.grade.name in ROMAN


@given(valid_forms(get_instrument("house_brackmann")))
def test_house_brackmann_stays_in_range(items):
    assert 1 <= score("hb", items).total <= 6
