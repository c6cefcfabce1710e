"""scales.entry: the pure reading of typed scale input (pairs, forms, times)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from synkinesis.scales import get_instrument, result_to_dict, score
from synkinesis.scales.entry import (
    EntryError,
    parse_form_text,
    parse_pairs,
    parse_rated_at,
    parse_scalar,
    score_input,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(("text", "value"), [("3", 3), (" 62.5 ", 62.5), ("narrow", "narrow"),
                                             ("III", "III"), (4, 4)])
def test_parse_scalar(text, value):
    assert parse_scalar(text) == value and type(parse_scalar(text)) is type(value)


def test_parse_pairs_keeps_text_and_names_the_option():
    assert parse_pairs(["a = 1", "b=x=y"], what="--item") == {"a": "1", "b": "x=y"}
    with pytest.raises(EntryError, match=r"--option 'oops' must be written NAME=VALUE"):
        parse_pairs(["oops"], what="--option")
    with pytest.raises(EntryError, match="NAME=VALUE"):
        parse_pairs(["=3"], what="--item")


def test_forms_json_yaml_bare_and_saved_result():
    assert parse_form_text('{"grade": "II"}', name="f.json") == {"items": {"grade": "II"}}
    assert parse_form_text("items:\n  grade: II\nrater: clinician\n", name="f.yaml") == {
        "items": {"grade": "II"}, "rater": "clinician"}
    definition = get_instrument("hb")
    saved = result_to_dict(score(definition, {"grade": "III"}, rated_at=NOW))
    again = parse_form_text(json.dumps(saved), name="saved.json")
    assert again["instrument"] == "house_brackmann"
    assert score(definition, again["items"], rated_at=NOW).total == score(
        definition, {"grade": "III"}, rated_at=NOW).total


@pytest.mark.parametrize(("text", "message"), [
    ("items: [unclosed", "not valid JSON/YAML"),
    ("- 1\n- 2\n", "must contain a mapping"),
    ("items: [1, 2]\n", "'items' must be a mapping"),
    ("items: {}\noptions: [x]\n", "'options' must be a mapping"),
])
def test_bad_forms_say_what_is_wrong(text, message):
    with pytest.raises(EntryError, match=message):
        parse_form_text(text, name="form.yaml")


def test_rated_at():
    assert parse_rated_at(None, now=NOW) == NOW
    assert parse_rated_at("2026-01-02T03:04:05+00:00", now=NOW) == datetime(
        2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with pytest.raises(EntryError, match="ISO 8601"):
        parse_rated_at("yesterday", now=NOW)


def test_score_input_flags_override_the_form():
    form = parse_form_text("items:\n  grade: 2\nvisit_id: 17\noptions: {a: b}\n", name="f.yaml")
    items, kwargs = score_input("hb", form=form, items=["grade=3"], options=["c=d"], now=NOW)
    assert items == {"grade": 3}
    assert kwargs["visit_id"] == "17" and kwargs["rated_at"] == NOW
    assert kwargs["options"] == {"a": "b", "c": "d"}
    with pytest.raises(EntryError, match="is a saq form, not house_brackmann"):
        score_input("hb", form={"instrument": "saq", "items": {}}, now=NOW)
