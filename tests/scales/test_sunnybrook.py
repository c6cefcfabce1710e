"""Sunnybrook: CLINICAL.md test vectors, subscores, display clamping, validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from scale_strategies import SUNNYBROOK_NORMAL, valid_forms

from synkinesis.scales import ScaleValidationError, get_instrument, score

EXPRESSIONS = ("brow_lift", "eye_closure", "smile", "snarl", "pucker")


def form(rest: tuple[int, int, int], voluntary: tuple[int, ...], synkinesis: tuple[int, ...]):
    items = dict(zip(("rest_eye", "rest_cheek", "rest_mouth"), rest, strict=True))
    items |= {f"voluntary_{e}": v for e, v in zip(EXPRESSIONS, voluntary, strict=True)}
    items |= {f"synkinesis_{e}": v for e, v in zip(EXPRESSIONS, synkinesis, strict=True)}
    return items


@pytest.mark.parametrize(
    ("items", "expected", "resting", "voluntary", "synkinesis"),
    [
        pytest.param(SUNNYBROOK_NORMAL, 100, 0, 100, 0, id="normal"),
        pytest.param(form((1, 2, 1), (1,) * 5, (0,) * 5), 0, 20, 20, 0, id="flaccid"),
        pytest.param(
            form((1, 1, 1), (3, 4, 3, 3, 2), (1, 2, 2, 1, 2)), 37, 15, 60, 8, id="synkinetic"
        ),
        pytest.param(form((1, 2, 1), (1,) * 5, (3,) * 5), -15, 20, 20, 15, id="worst"),
    ],
)
def test_clinical_test_vectors(items, expected, resting, voluntary, synkinesis):
    result = score("sunnybrook", items)
    assert result.total == expected
    assert result.subscore("resting").value == resting
    assert result.subscore("voluntary").value == voluntary
    assert result.subscore("synkinesis").value == synkinesis
    assert result.total_formula == "voluntary - resting - synkinesis"


def test_raw_composite_is_stored_and_clamped_only_for_display():
    result = score("sunnybrook", form((1, 2, 1), (1,) * 5, (3,) * 5))
    assert result.total == -15
    assert result.total_display == 0


def test_synkinesis_is_weighted_once_not_four_times():
    # A public package multiplies synkinesis by 4 (CLINICAL.md): one point must cost one point.
    one_point = SUNNYBROOK_NORMAL | {"synkinesis_smile": 1}
    assert score("sunnybrook", one_point).total == 99


def test_resting_findings_can_be_named_and_are_recorded():
    items = SUNNYBROOK_NORMAL | {
        "rest_eye": "narrow",
        "rest_cheek": "absent",
        "rest_mouth": "PULLED",
    }
    result = score("sunnybrook", items)
    assert result.items["rest_eye"] == 1
    assert result.items["rest_cheek"] == 2
    assert result.choices == {"rest_eye": "narrow", "rest_cheek": "absent", "rest_mouth": "pulled"}
    assert result.subscore("resting").value == 20


def test_integral_floats_are_accepted_as_integers():
    result = score("sunnybrook", SUNNYBROOK_NORMAL | {"voluntary_smile": 4.0})
    assert result.items["voluntary_smile"] == 4
    assert isinstance(result.items["voluntary_smile"], int)


def test_out_of_range_message_names_item_and_allowed_values():
    with pytest.raises(ScaleValidationError) as raised:
        score("sunnybrook", SUNNYBROOK_NORMAL | {"voluntary_brow_lift": 7})
    message = str(raised.value)
    assert message.startswith("sunnybrook item 'voluntary_brow_lift' must be one of 1, 2, 3, 4, 5")
    assert "1 = unable to initiate movement" in message
    assert "5 = movement complete" in message
    assert message.endswith("got 7")
    assert raised.value.items == ("voluntary_brow_lift",)


def test_missing_items_are_listed():
    items = dict(SUNNYBROOK_NORMAL)
    del items["rest_mouth"], items["synkinesis_pucker"]
    with pytest.raises(ScaleValidationError, match="missing items: rest_mouth, synkinesis_pucker"):
        score("sunnybrook", items)


def test_definition_matches_clinical_reference():
    definition = get_instrument("sunnybrook")
    assert len(definition.items) == 13
    assert definition.item("rest_cheek").allowed_values == (0, 1, 2)
    assert definition.item("voluntary_pucker").allowed_values == (1, 2, 3, 4, 5)
    assert definition.item("synkinesis_snarl").allowed_values == (0, 1, 2, 3)
    assert (definition.total.minimum, definition.total.maximum) == (-15, 100)


@given(valid_forms(get_instrument("sunnybrook")))
def test_composite_stays_in_range_and_follows_the_formula(items):
    result = score("sunnybrook", items)
    resting, voluntary, synkinesis = (
        result.subscore(k).value for k in ("resting", "voluntary", "synkinesis")
    )
    assert -15 <= result.total <= 100
    assert 0 <= result.total_display <= 100
    assert 0 <= resting <= 20 and 20 <= voluntary <= 100 and 0 <= synkinesis <= 15
    assert result.total == voluntary - resting - synkinesis
    assert result.uncertain == ()
