"""JSON Schema of every instrument's form: valid schema, agrees with the library."""

from __future__ import annotations

import math

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scale_strategies import highest_form, lowest_form, out_of_range_cases

from synkinesis.scales import INSTRUMENTS, ScaleValidationError, form_json_schema, validate_item

NAMES = list(INSTRUMENTS)


def validator(name: str, *, draft: bool = False) -> jsonschema.Draft202012Validator:
    schema = form_json_schema(name, draft=draft)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_valid_and_accepts_good_forms(name):
    check = validator(name)
    definition = INSTRUMENTS[name]
    for items in (lowest_form(definition), highest_form(definition)):
        check.validate({"instrument": name, "items": items})
    check.validate(
        {
            "instrument": name,
            "items": highest_form(definition),
            "rater": "automatic",
            "rated_at": "2026-03-02T09:30:00+00:00",
            "evidence": {
                definition.item_keys[0]: {"measurement": "m", "value": 1.0, "confidence": 0.5}
            },
        }
    )


@pytest.mark.parametrize("name", NAMES)
def test_schema_rejects_incomplete_and_unknown(name):
    check = validator(name)
    definition = INSTRUMENTS[name]
    items = highest_form(definition)
    del items[definition.item_keys[-1]]
    assert not check.is_valid({"items": items})
    assert not check.is_valid({"items": highest_form(definition) | {"bogus": 1}})
    assert not check.is_valid({"instrument": "other", "items": highest_form(definition)})
    assert validator(name, draft=True).is_valid({"items": items})


@pytest.mark.parametrize(("name", "key", "bad"), out_of_range_cases())
def test_schema_and_library_both_reject_every_out_of_range_value(name, key, bad):
    definition = INSTRUMENTS[name]
    form = {"items": highest_form(definition) | {key: bad}}
    with pytest.raises(ScaleValidationError) as raised:
        validate_item(definition, key, bad)
    assert f"item {key!r} must be" in str(raised.value)
    if isinstance(bad, float) and not math.isfinite(bad):
        return  # JSON has no NaN or infinity
    assert not validator(name).is_valid(form)


def test_options_are_in_the_schema():
    eface = form_json_schema("eface")
    assert eface["properties"]["options"]["properties"]["total_formula"]["enum"] == [
        "mean_of_items",
        "weighted",
    ]
    check = validator("fngs2")
    good = highest_form(INSTRUMENTS["fngs2"])
    assert check.is_valid({"items": good, "options": {"grade_cutoffs": [9, 14, 19, 23]}})
    assert not check.is_valid({"items": good, "options": {"grade_cutoffs": [9, 14]}})


def test_schema_carries_labels_for_forms():
    schema = form_json_schema("sunnybrook")
    rest_eye = schema["properties"]["items"]["properties"]["rest_eye"]
    titles = [option["title"] for option in rest_eye["anyOf"]]
    assert "1 = narrow / wide / eyelid surgery" in titles
    assert "narrow (1)" in titles
    brow = form_json_schema("eface")["properties"]["items"]["properties"]["brow_rest"]
    assert brow["x-bidirectional"] is True and brow["maximum"] == 200
    assert "uncertain" in form_json_schema("eface")["x-synkinesis"]


@given(st.data())
def test_schema_and_library_agree_on_any_value(data):
    name = data.draw(st.sampled_from(NAMES))
    definition = INSTRUMENTS[name]
    item = data.draw(st.sampled_from(definition.items))
    value = data.draw(
        st.one_of(
            st.integers(-5, 210),
            st.floats(-5, 210, allow_nan=False),
            st.sampled_from(["narrow", "III", "x", "1"]),
        )
    )
    try:
        validate_item(definition, item.key, value)
        accepted = True
    except ScaleValidationError:
        accepted = False
    form = {"items": highest_form(definition) | {item.key: value}}
    assert validator(name).is_valid(form) == accepted
