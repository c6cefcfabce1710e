"""eFACE: bidirectional conversion, subscores, configurable total, zones, validation."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scale_strategies import valid_forms

from synkinesis.scales import ScaleValidationError, get_instrument, score

EFACE = get_instrument("eface")
STATIC = ("brow_rest", "palpebral_fissure_rest", "nasolabial_fold_rest", "oral_commissure_rest")


def form(static: float = 100, other: float = 100, **changes: float) -> dict[str, float]:
    items = {item.key: (static if item.bidirectional else other) for item in EFACE.items}
    return items | changes


def test_has_15_items_in_three_groups():
    groups = [item.group for item in EFACE.items]
    assert len(groups) == 15
    assert (groups.count("static"), groups.count("dynamic"), groups.count("synkinesis")) == (
        4,
        7,
        4,
    )
    assert tuple(i.key for i in EFACE.items if i.bidirectional) == STATIC


@pytest.mark.parametrize(
    ("raw", "converted"), [(0, 0), (50, 50), (99.5, 99.5), (100, 100), (150, 50), (200, 0)]
)
@pytest.mark.parametrize("key", STATIC)
def test_bidirectional_items_are_converted(key, raw, converted):
    result = score("eface", form(**{key: raw}))
    assert result.items[key] == raw
    assert result.item_scores[key] == converted


@given(st.floats(0, 200, allow_nan=False))
def test_conversion_is_100_minus_distance_from_balance(raw):
    result = score("eface", form(brow_rest=raw))
    assert result.item_scores["brow_rest"] == pytest.approx(100 - abs(100 - raw))
    # Drooping and lifting by the same amount score the same.
    mirrored = score("eface", form(brow_rest=200 - raw))
    assert mirrored.item_scores["brow_rest"] == pytest.approx(result.item_scores["brow_rest"])


def test_normal_face_scores_100_everywhere():
    result = score("eface", form())
    assert result.total == 100
    assert all(s.value == 100 for s in result.subscores)


def test_subscores_are_group_means():
    result = score(
        "eface",
        form(brow_rest=150, brow_elevation=30, ocular_synkinesis=20, platysmal_synkinesis=60),
    )
    assert result.subscore("static").value == pytest.approx((50 + 300) / 4)
    assert result.subscore("dynamic").value == pytest.approx((30 + 600) / 7)
    assert result.subscore("synkinesis").value == pytest.approx((20 + 60 + 200) / 4)


def test_total_formulas_and_labels():
    items = form(static=150, other=100, ocular_synkinesis=20)
    mean_total = score("eface", items)
    weighted = score("eface", items, options={"total_formula": "weighted"})
    static, dynamic, synkinesis = 50, 100, (20 + 300) / 4
    assert mean_total.total == pytest.approx((4 * 50 + 7 * 100 + 20 + 300) / 15)
    assert weighted.total == pytest.approx((static + 2 * dynamic + synkinesis) / 4)
    assert mean_total.total_formula.startswith("mean_of_items")
    assert weighted.total_formula.startswith("weighted")
    assert mean_total.options == {"total_formula": "mean_of_items"}
    assert any("total formula 'weighted'" in note for note in weighted.uncertain)
    assert any("total formula 'mean_of_items'" in note for note in mean_total.uncertain)


def test_zone_scores_are_labelled_as_project_grouping():
    result = score("eface", form())
    zones = [s for s in result.subscores if s.kind == "zone"]
    assert [z.key for z in zones] == ["periocular", "midface_smile", "lower_face_neck"]
    assert all("project" in z.uncertain and "[U]" in z.uncertain for z in zones)
    assert any("zone" in note for note in result.uncertain)
    covered = {key for zone in EFACE.subscores if zone.kind == "zone" for key in zone.items}
    assert covered == set(EFACE.item_keys)


def test_unknown_total_formula_lists_allowed():
    with pytest.raises(ScaleValidationError, match="'mean_of_items', 'weighted'"):
        score("eface", form(), options={"total_formula": "median"})


def test_unknown_option_lists_options():
    with pytest.raises(ScaleValidationError, match="options are: total_formula"):
        score("eface", form(), options={"formula": "weighted"})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("brow_rest", 201),
        ("brow_rest", -1),
        ("brow_elevation", 100.5),
        ("ocular_synkinesis", -0.1),
        ("gentle_eye_closure", math.nan),
    ],
)
def test_out_of_range_rejected_with_range(key, value):
    with pytest.raises(ScaleValidationError) as raised:
        score("eface", form(**{key: value}))
    item = EFACE.item(key)
    assert f"must be a number from 0 to {int(item.maximum)}" in str(raised.value)
    assert "100 = " in str(raised.value)


@given(valid_forms(EFACE), st.sampled_from(["mean_of_items", "weighted"]))
def test_totals_stay_in_range(items, formula):
    result = score("eface", items, options={"total_formula": formula})
    assert 0 <= result.total <= 100
    for subscore in result.subscores:
        assert 0 <= subscore.value <= 100
    assert all(0 <= value <= 100 for value in result.item_scores.values())
