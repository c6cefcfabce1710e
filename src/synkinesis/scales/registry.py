"""The instruments this package knows, looked up by name, and scoring by name."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from synkinesis.scales import eface, face_qol, fngs2, house_brackmann, saq, sunnybrook
from synkinesis.scales.base import (
    InstrumentDefinition,
    ItemEvidence,
    ItemValue,
    Rater,
    ScaleResult,
    ScaleValidationError,
    score_items,
)

__all__ = ["ALIASES", "INSTRUMENTS", "get_instrument", "score"]

#: Instrument name -> definition, in the order forms list them.
INSTRUMENTS: Mapping[str, InstrumentDefinition] = MappingProxyType(
    {
        module.DEFINITION.name: module.DEFINITION
        for module in (sunnybrook, eface, house_brackmann, fngs2, saq, face_qol)
    }
)

#: Other names people type for the same instruments.
ALIASES: Mapping[str, str] = MappingProxyType(
    {"hb": "house_brackmann", "fngs": "fngs2", "face": "face_qol"}
)


def get_instrument(name: str | InstrumentDefinition) -> InstrumentDefinition:
    """The definition of an instrument, by name or alias (case and ``-``/``_`` insensitive).

    Raises
    ------
    ScaleValidationError
        Unknown name, listing the known instruments.
    """
    if isinstance(name, InstrumentDefinition):
        return name
    if isinstance(name, str):
        key = name.strip().lower().replace("-", "_")
        aliases = {alias.lower(): target for alias, target in ALIASES.items()}
        key = aliases.get(key, key)
        if key in INSTRUMENTS:
            return INSTRUMENTS[key]
    raise ScaleValidationError(
        f"unknown instrument {name!r}; instruments are: {', '.join(INSTRUMENTS)}"
    )


def score(
    instrument: str | InstrumentDefinition,
    items: Mapping[str, ItemValue],
    *,
    rater: Rater | str | None = None,
    rated_at: datetime | None = None,
    rater_name: str | None = None,
    visit_id: str | None = None,
    evidence: Mapping[str, ItemEvidence | Mapping[str, Any]] | None = None,
    options: Mapping[str, Any] | None = None,
    draft: bool = False,
) -> ScaleResult:
    """Score a filled form of the named instrument.

    Examples
    --------
    >>> from synkinesis.scales import score
    >>> items = dict(rest_eye=1, rest_cheek=1, rest_mouth=1,
    ...              voluntary_brow_lift=3, voluntary_eye_closure=4, voluntary_smile=3,
    ...              voluntary_snarl=3, voluntary_pucker=2,
    ...              synkinesis_brow_lift=1, synkinesis_eye_closure=2, synkinesis_smile=2,
    ...              synkinesis_snarl=1, synkinesis_pucker=2)
    >>> score("sunnybrook", items).total
    37

    See :func:`synkinesis.scales.base.score_items` for the parameters.
    """
    return score_items(
        get_instrument(instrument),
        items,
        rater=rater,
        rated_at=rated_at,
        rater_name=rater_name,
        visit_id=visit_id,
        evidence=evidence,
        options=options,
        draft=draft,
    )
