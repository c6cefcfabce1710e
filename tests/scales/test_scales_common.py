"""Registry, drafts, provenance, serialisation, comparison and purity of the scales layer."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scale_strategies import SUNNYBROOK_NORMAL, highest_form, partial_forms, valid_forms

import synkinesis.scales as scales
from synkinesis.scales import (
    FORMAT_NAME,
    INSTRUMENTS,
    ItemEvidence,
    Rater,
    ScaleValidationError,
    compare_scores,
    get_instrument,
    result_from_dict,
    result_to_dict,
    score,
    validate_item,
)

WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_all_six_instruments_are_registered():
    assert list(INSTRUMENTS) == [
        "sunnybrook",
        "eface",
        "house_brackmann",
        "fngs2",
        "saq",
        "face_qol",
    ]
    for definition in INSTRUMENTS.values():
        assert definition.version and definition.source and definition.title


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("HB", "house_brackmann"),
        ("house-brackmann", "house_brackmann"),
        ("FaCE", "face_qol"),
        ("fngs", "fngs2"),
        ("Sunnybrook", "sunnybrook"),
    ],
)
def test_aliases(alias, name):
    assert get_instrument(alias).name == name


def test_unknown_instrument_lists_instruments():
    with pytest.raises(ScaleValidationError, match="instruments are: sunnybrook, eface"):
        get_instrument("bells")


def test_unknown_item_lists_items():
    with pytest.raises(ScaleValidationError, match="saq has no item 'eye'; items are: eye_closes"):
        score("saq", {"eye": 1}, draft=True)


def test_validate_item_normalises():
    definition = get_instrument("eface")
    assert validate_item(definition, "brow_rest", 150) == (150.0, None)
    assert validate_item(get_instrument("hb"), "grade", " ii ") == (2, "II")


def test_items_must_be_a_mapping():
    with pytest.raises(ScaleValidationError, match="must be a mapping"):
        score("saq", [1, 2, 3])


def test_several_problems_are_reported_together():
    items = SUNNYBROOK_NORMAL | {"rest_eye": 5, "voluntary_smile": 0}
    with pytest.raises(ScaleValidationError) as raised:
        score("sunnybrook", items)
    assert set(raised.value.items) == {"rest_eye", "voluntary_smile"}
    assert "\n" not in str(raised.value)


# drafts


def test_draft_has_no_total_but_complete_subscores():
    items = {"rest_eye": 1, "rest_cheek": 2, "rest_mouth": 0, "voluntary_smile": 3}
    result = score("sunnybrook", items, draft=True)
    assert result.draft
    assert result.total is None and result.total_display is None and result.grade is None
    assert result.subscore("resting").value == 15
    assert result.subscore("voluntary").value is None
    assert "voluntary_brow_lift" in result.missing and "rest_eye" not in result.missing


def test_draft_still_rejects_bad_values():
    with pytest.raises(ScaleValidationError, match="rest_eye"):
        score("sunnybrook", {"rest_eye": 9}, draft=True)


def test_incomplete_form_without_draft_is_refused():
    with pytest.raises(ScaleValidationError, match="save the form as a draft"):
        score("saq", {"eye_closes_smiling": 1})


@given(
    st.sampled_from(list(INSTRUMENTS)).flatmap(
        lambda n: st.tuples(st.just(n), partial_forms(INSTRUMENTS[n]))
    )
)
def test_any_partial_form_saves_as_draft(case):
    name, items = case
    result = score(name, items, draft=True)
    assert result.total is None
    assert set(result.missing) == set(INSTRUMENTS[name].item_keys) - set(items)


# provenance


def test_provenance_is_recorded():
    result = score(
        "hb", {"grade": 2}, rater="clinician", rated_at=WHEN, rater_name="dr x", visit_id="v1"
    )
    assert result.provenance.rater is Rater.CLINICIAN
    assert result.provenance.rated_at == WHEN
    assert (result.provenance.rater_name, result.provenance.visit_id) == ("dr x", "v1")


def test_naive_timestamp_is_refused():
    with pytest.raises(ScaleValidationError, match="timezone-aware"):
        score("hb", {"grade": 2}, rated_at=datetime(2026, 3, 2, 9, 30))


def test_unknown_rater_lists_raters():
    with pytest.raises(ScaleValidationError, match="clinician, patient, automatic"):
        score("hb", {"grade": 2}, rater="nurse")


def test_automatic_score_needs_evidence_for_every_item():
    with pytest.raises(ScaleValidationError, match="missing for: grade"):
        score("hb", {"grade": 2}, rater="automatic")


def test_automatic_score_keeps_evidence():
    evidence = {
        "ocular_synkinesis": {
            "measurement": "palpebral_fissure_ratio_smile",
            "value": 0.62,
            "confidence": 0.8,
            "unit": "ratio",
        }
    }
    result = score(
        "eface", {"ocular_synkinesis": 62}, rater=Rater.AUTOMATIC, evidence=evidence, draft=True
    )
    entry = result.provenance.evidence["ocular_synkinesis"]
    assert entry == ItemEvidence("palpebral_fissure_ratio_smile", 0.62, 0.8, "ratio")


@pytest.mark.parametrize(
    "entry",
    [
        {"measurement": "x", "value": 1.0, "confidence": 1.5},
        {"measurement": "", "value": 1.0, "confidence": 0.5},
        {"measurement": "x", "value": float("nan"), "confidence": 0.5},
        {"measurement": "x", "confidence": 0.5},
    ],
)
def test_bad_evidence_is_refused(entry):
    with pytest.raises(ScaleValidationError, match="evidence for item 'grade'"):
        score("hb", {"grade": 2}, rater="automatic", evidence={"grade": entry})


# serialisation


@pytest.mark.parametrize("name", list(INSTRUMENTS))
def test_round_trip_through_json(name):
    definition = INSTRUMENTS[name]
    items = highest_form(definition)
    result = score(name, items, rated_at=WHEN, rater_name="r", visit_id="v")
    data = json.loads(json.dumps(result_to_dict(result)))
    assert data["format"] == FORMAT_NAME and data["format_version"] == 1
    assert data["instrument_version"] == definition.version
    assert result_from_dict(data) == result
    assert result_to_dict(result_from_dict(data)) == data


@given(
    st.sampled_from(list(INSTRUMENTS)).flatmap(
        lambda n: st.tuples(st.just(n), valid_forms(INSTRUMENTS[n]), st.booleans())
    )
)
def test_round_trip_is_lossless_for_any_form(case):
    name, items, draft = case
    offset = timezone(timedelta(hours=-5))
    result = score(name, items, draft=draft, rated_at=datetime(2026, 1, 1, 8, tzinfo=offset))
    data = json.loads(json.dumps(result_to_dict(result)))
    assert result_from_dict(data) == result


def test_round_trip_keeps_automatic_evidence():
    evidence = {"grade": ItemEvidence("global_motion_index", 0.4, 0.7)}
    result = score("hb", {"grade": "III"}, rater="automatic", evidence=evidence, rated_at=WHEN)
    assert result_from_dict(json.loads(json.dumps(result_to_dict(result)))) == result


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "other"}, "not a synkinesis.scale_result record"),
        ({"format_version": 99}, "version 99 is not supported"),
        ({"instrument": "bells"}, "unknown instrument"),
        ({"provenance": {}}, "malformed"),
    ],
)
def test_from_dict_refuses_bad_records(change, message):
    data = result_to_dict(score("hb", {"grade": 1})) | change
    with pytest.raises(ScaleValidationError, match=message):
        result_from_dict(data)


# comparison


def test_compare_automatic_with_clinician_item_by_item():
    evidence = {
        key: ItemEvidence(f"{key}_measure", 1.0, 0.9)
        for key in ("brow_rest", "ocular_synkinesis", "brow_elevation")
    }
    automatic = score(
        "eface",
        {"brow_rest": 120, "ocular_synkinesis": 60, "brow_elevation": 80},
        rater="automatic",
        evidence=evidence,
        draft=True,
    )
    clinician = score(
        "eface", {**highest_form(get_instrument("eface")), "brow_rest": 70, "ocular_synkinesis": 60}
    )
    comparison = compare_scores(automatic, clinician, tolerance=5)
    rows = {row.key: row for row in comparison.items}
    # Bidirectional: compared raw (120 brow high vs 70 brow low), not converted (80 vs 70).
    assert rows["brow_rest"].difference == pytest.approx(50)
    assert rows["brow_rest"].compared_on == "raw" and rows["brow_rest"].agrees is False
    assert rows["ocular_synkinesis"].difference == 0 and rows["ocular_synkinesis"].agrees
    assert rows["brow_elevation"].difference == pytest.approx(-20)
    assert rows["brow_elevation"].confidence == 0.9
    assert rows["lower_lip_eee"].difference is None and rows["lower_lip_eee"].agrees is None
    assert comparison.compared == 3 and comparison.agreeing == 1
    assert comparison.mean_absolute_difference == pytest.approx(70 / 3)
    assert comparison.total.automatic is None and comparison.total.difference is None


def test_compare_totals_and_subscores():
    a = score("sunnybrook", SUNNYBROOK_NORMAL | {"synkinesis_smile": 2})
    b = score("sunnybrook", SUNNYBROOK_NORMAL)
    comparison = compare_scores(a, b)
    assert comparison.total.difference == -2
    assert {s.key: s.difference for s in comparison.subscores}["synkinesis"] == 2
    assert comparison.agreeing == 12


def test_compare_opposite_bidirectional_findings_disagree():
    """eFACE brow at rest 130 (brow high) vs 70 (ptosis): both score 70, opposite findings."""
    form = highest_form(get_instrument("eface"))
    automatic = score("eface", {**form, "brow_rest": 130}, rater="automatic",
                      evidence={key: ItemEvidence("m", 1.0, 0.5) for key in form})
    clinician = score("eface", {**form, "brow_rest": 70})
    assert automatic.item_scores["brow_rest"] == clinician.item_scores["brow_rest"] == 70
    row = next(r for r in compare_scores(automatic, clinician, tolerance=10).items
               if r.key == "brow_rest")
    assert (row.difference, row.agrees, row.compared_on) == (60, False, "raw")
    same_side = compare_scores(automatic, score("eface", {**form, "brow_rest": 125}),
                               tolerance=10)
    assert next(r for r in same_side.items if r.key == "brow_rest").agrees is True


def test_compare_does_not_compare_totals_of_different_formulas():
    form = highest_form(get_instrument("eface")) | {"brow_elevation": 40}
    weighted = score("eface", form, options={"total_formula": "weighted"})
    mean = score("eface", form, options={"total_formula": "mean_of_items"})
    assert weighted.total != mean.total
    comparison = compare_scores(weighted, mean)
    assert comparison.total.difference is None
    assert comparison.notes == ("totals not compared: computed with different options "
                                "(total_formula 'weighted' vs 'mean_of_items')",)
    assert comparison.agreeing == 15  # the items themselves still compare
    assert compare_scores(weighted, weighted).notes == ()


def test_evidence_for_items_not_on_the_form_is_refused():
    with pytest.raises(ScaleValidationError, match=r"evidence given for items that are not on "
                                                   r"the form: ocular_synkinesis"):
        score("eface", {"brow_rest": 100}, draft=True,
              evidence={"ocular_synkinesis": ItemEvidence("m", 1.0, 0.5)})


def test_compare_refuses_different_instruments():
    with pytest.raises(ScaleValidationError, match="same instrument"):
        compare_scores(score("hb", {"grade": 1}), score("sunnybrook", SUNNYBROOK_NORMAL))


# purity


def test_scales_layer_is_pure():
    source = "\n".join(path.read_text() for path in Path(scales.__file__).parent.glob("*.py"))
    # pure: no files, printing, clock, landmark code or CLI (prose may speak of landmarks)
    for forbidden in ("open(", "print(", ".now(", "time.time", "synkinesis.landmarks",
                      "pathlib", "typer"):
        assert forbidden not in source, forbidden


def test_importing_scales_stays_light():
    code = (
        "import sys, synkinesis.scales; "
        "bad = [m for m in ('numpy', 'rich', 'typer', 'yaml', 'jsonschema', "
        "'synkinesis.landmarks', 'mediapipe') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_results_are_frozen():
    result = score("hb", {"grade": 1})
    with pytest.raises(AttributeError):
        result.total = 3  # type: ignore[misc]
