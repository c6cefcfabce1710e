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


def _coupling_at_rest(rest: dict[str, dict[str, float]]):
    """A coupling with no task, only rest values (quantity -> side -> mm)."""
    import numpy as np

    from synkinesis.coupling import Coupling
    from synkinesis.regions import REGIONS
    from synkinesis.signals import signal_name

    empty = {side: np.zeros((0, len(REGIONS))) for side in ("left", "right")}
    values = {signal_name(q, side): v for q, by_side in rest.items() for side, v in by_side.items()}
    return Coupling(
        tasks=(), regions=REGIONS, movement_mm=empty, normalised=empty,
        voluntary_range_mm={side: np.ones(len(REGIONS)) for side in ("left", "right")},
        excess_mm=empty, excess_window={s: np.zeros((0, len(REGIONS), 3), int) for s in empty},
        noise_floor_mm=np.full(len(REGIONS), 0.3), coverage=np.zeros(0),
        label_confidence=np.zeros(0), short_tasks=(), auxiliary={}, rest_values=values,
        frame_interval_s=1 / 30)


@pytest.mark.parametrize(("affected_mm", "end"), [(8.0, "narrower"), (12.5, "wider")])
def test_palpebral_fissure_rest_direction_follows_the_auto_eface_formula(affected_mm, end):
    # CLINICAL.md [V]: fissure at rest = 100 * PF_healthy / PF_affected, so an affected eye
    # narrower than the healthy one (synkinetic resting tone) reads above 100.
    from synkinesis.scales.automatic import estimate_eface

    rest = {"palpebral_fissure": {"left": affected_mm, "right": 10.0},
            "brow_height": {"left": 20.0, "right": 20.0},
            "nasolabial_length": {"left": 30.0, "right": 30.0},
            "mouth_corner_y": {"left": -40.0, "right": -40.0}}
    items, _ = estimate_eface(_coupling_at_rest(rest), (), "left")
    raw = next(i.value for i in items if i.key == "palpebral_fissure_rest")
    assert raw == pytest.approx(100 * 10.0 / affected_mm)
    item = EFACE.item("palpebral_fissure_rest")
    assert item.value_label(raw).endswith(f"fissure much {end}")
    result = score("eface", form(palpebral_fissure_rest=raw))
    assert result.item_scores["palpebral_fissure_rest"] == pytest.approx(100 - abs(100 - raw))
    # the anchors say the same: 0 is the wide end, 200 the narrow end
    assert dict(item.anchors)[200] == "fissure much narrower"
    assert dict(item.anchors)[0] == "fissure much wider"
