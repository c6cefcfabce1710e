"""Shared test helpers for the scales tests: valid forms and hypothesis strategies."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from synkinesis.scales import INSTRUMENTS, InstrumentDefinition, Item

SUNNYBROOK_NORMAL: dict[str, int] = {
    "rest_eye": 0,
    "rest_cheek": 0,
    "rest_mouth": 0,
    **{f"voluntary_{e}": 5 for e in ("brow_lift", "eye_closure", "smile", "snarl", "pucker")},
    **{f"synkinesis_{e}": 0 for e in ("brow_lift", "eye_closure", "smile", "snarl", "pucker")},
}


def item_values(item: Item) -> st.SearchStrategy[Any]:
    """Every valid value of one item."""
    if item.is_discrete:
        return st.sampled_from(item.allowed_values + item.choice_names)
    assert item.minimum is not None and item.maximum is not None
    return st.one_of(
        st.floats(item.minimum, item.maximum, allow_nan=False),
        st.integers(int(item.minimum), int(item.maximum)),
    )


def valid_forms(definition: InstrumentDefinition) -> st.SearchStrategy[dict[str, Any]]:
    """Complete valid forms of ``definition``."""
    return st.fixed_dictionaries({item.key: item_values(item) for item in definition.items})


def partial_forms(definition: InstrumentDefinition) -> st.SearchStrategy[dict[str, Any]]:
    """Valid forms with any subset of items filled."""
    return st.fixed_dictionaries(
        {}, optional={item.key: item_values(item) for item in definition.items}
    )


def lowest_form(definition: InstrumentDefinition) -> dict[str, Any]:
    """Every item at its lowest allowed value."""
    return {
        item.key: item.allowed_values[0] if item.is_discrete else item.minimum
        for item in definition.items
    }


def highest_form(definition: InstrumentDefinition) -> dict[str, Any]:
    """Every item at its highest allowed value."""
    return {
        item.key: item.allowed_values[-1] if item.is_discrete else item.maximum
        for item in definition.items
    }


def out_of_range_cases() -> list[tuple[str, str, Any]]:
    """(instrument, item, bad value) for every item of every instrument."""
    cases: list[tuple[str, str, Any]] = []
    for name, definition in INSTRUMENTS.items():
        for item in definition.items:
            if item.is_discrete:
                bad = [item.allowed_values[0] - 1, item.allowed_values[-1] + 1, 2.5, "x"]
            else:
                assert item.minimum is not None and item.maximum is not None
                bad = [item.minimum - 0.5, item.maximum + 0.01, float("nan"), float("inf"), "x"]
            bad.append(True)
            cases.extend((name, item.key, value) for value in bad)
    return cases
