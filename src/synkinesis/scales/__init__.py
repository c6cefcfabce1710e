"""Clinical scales for facial palsy and synkinesis: pure scoring and validation.

One module per instrument (:mod:`.sunnybrook`, :mod:`.eface`, :mod:`.house_brackmann`,
:mod:`.fngs2`, :mod:`.saq`, :mod:`.face_qol`), each a versioned :class:`InstrumentDefinition`;
one scoring implementation (:func:`score`). Uncertain parts of a definition ([U] in
CLINICAL.md) are labelled in every result that relies on them (``ScaleResult.uncertain``).

Examples
--------
>>> from synkinesis.scales import get_instrument, score
>>> result = score("saq", {key: 1 for key in get_instrument("saq").item_keys})
>>> result.total
20.0

This package is pure: no files, clock, printing, or landmark code.
"""

from synkinesis.scales.base import (
    Choice,
    Grade,
    InstrumentDefinition,
    Item,
    ItemEvidence,
    ItemValue,
    Option,
    Provenance,
    Rater,
    ScaleResult,
    ScaleValidationError,
    Subscore,
    SubscoreResult,
    TotalRule,
    TotalValue,
    score_items,
    validate_item,
)
from synkinesis.scales.compare import (
    ItemComparison,
    ScoreComparison,
    SubscoreComparison,
    compare_scores,
)
from synkinesis.scales.registry import ALIASES, INSTRUMENTS, get_instrument, score
from synkinesis.scales.schema import form_json_schema
from synkinesis.scales.serialize import (
    FORMAT_NAME,
    FORMAT_VERSION,
    result_from_dict,
    result_to_dict,
)

__all__ = [
    "ALIASES",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "INSTRUMENTS",
    "Choice",
    "Grade",
    "InstrumentDefinition",
    "Item",
    "ItemComparison",
    "ItemEvidence",
    "ItemValue",
    "Option",
    "Provenance",
    "Rater",
    "ScaleResult",
    "ScaleValidationError",
    "ScoreComparison",
    "Subscore",
    "SubscoreComparison",
    "SubscoreResult",
    "TotalRule",
    "TotalValue",
    "compare_scores",
    "form_json_schema",
    "get_instrument",
    "result_from_dict",
    "result_to_dict",
    "score",
    "score_items",
    "validate_item",
]
