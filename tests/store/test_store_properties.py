"""Property tests of the dose checks: refusals and warnings follow the limits exactly."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from synkinesis.store import StoreValidationError
from synkinesis.store.repository import InjectionSpec, check_injections
from synkinesis.store.settings import HARD_MAX_INJECTION_UNITS, load_settings
from synkinesis.store.vocabulary import MUSCLES, PRODUCTS

SETTINGS = load_settings(database_url="sqlite://", environ={})
PAIRED = sorted(name for name, muscle in MUSCLES.items() if not muscle.midline)


@given(muscle=st.sampled_from(PAIRED), side=st.sampled_from(["left", "right"]),
       units=st.floats(allow_nan=True, allow_infinity=True, width=32),
       product=st.sampled_from(sorted(PRODUCTS)))
def test_units_are_refused_or_warned_exactly_at_the_limits(muscle, side, units, product):
    spec = InjectionSpec(muscle, side, units)
    valid = math.isfinite(units) and 0 < units <= HARD_MAX_INJECTION_UNITS
    try:
        checked, notes = check_injections([spec], product=product, settings=SETTINGS)
    except StoreValidationError as error:
        assert not valid, error
        return
    assert valid
    assert checked == [InjectionSpec(muscle, side, float(units), 1)]
    maximum = SETTINGS.max_units[muscle] * PRODUCTS[product].unit_factor
    assert any("above the configured maximum" in note for note in notes) == (units > maximum)


@given(muscle=st.sampled_from(sorted(MUSCLES)), side=st.sampled_from(["left", "right"]),
       units=st.decimals(min_value="0.1", max_value="200", places=1),
       points=st.integers(1, 20))
def test_injection_text_round_trips(muscle, side, units, points):
    spec = InjectionSpec.parse(f"{muscle}:{side}:{units}:{points}")
    assert spec == InjectionSpec(muscle, side, float(units), points)
    (checked,), _ = check_injections([spec], product="botox", settings=SETTINGS)
    assert (checked.muscle, checked.side, checked.units, checked.points) == (
        muscle, side, float(units), points)
