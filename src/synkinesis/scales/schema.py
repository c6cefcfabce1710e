"""JSON Schema (draft 2020-12) of each instrument's form, for web forms and other tools.

A form document is ``{"instrument": ..., "items": {...}, "options": {...}, "rater": ...}``; only
``items`` is required. Each item property carries its label, allowed values and their meanings
(``anyOf`` of ``const`` + ``title`` for discrete items, the form-builder convention), so a form can
be generated from the schema alone. Extra information (version, source, uncertain parts) is under
the ``x-synkinesis`` keyword, which validators ignore.
"""

from __future__ import annotations

from typing import Any

from synkinesis.scales.base import InstrumentDefinition, Item, Rater, format_number
from synkinesis.scales.registry import get_instrument

__all__ = ["JSON_SCHEMA_DIALECT", "form_json_schema"]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _item_schema(item: Item) -> dict[str, Any]:
    schema: dict[str, Any] = {"title": item.label, "description": item.allowed_text()}
    if item.is_discrete:
        options: list[dict[str, Any]] = [
            {"const": value, "title": f"{value} = {item.value_label(value)}"}
            for value in item.allowed_values
        ]
        options.extend(
            {"const": choice.name, "title": f"{choice.name} ({choice.value})"}
            for choice in item.choices
            if choice.name is not None
        )
        schema["anyOf"] = options
    else:
        schema.update(type="number", minimum=item.minimum, maximum=item.maximum)
        schema["x-anchors"] = {format_number(v): label for v, label in item.anchors}
    if item.bidirectional:
        schema["x-bidirectional"] = True
    return schema


_EVIDENCE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "measurement": {"type": "string", "minLength": 1},
        "value": {"type": "number"},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "unit": {"type": ["string", "null"]},
    },
    "required": ["measurement", "value", "confidence"],
    "additionalProperties": False,
}


def form_json_schema(
    instrument: str | InstrumentDefinition, *, draft: bool = False
) -> dict[str, Any]:
    """The JSON Schema of a filled form of ``instrument``.

    Parameters
    ----------
    instrument : str or InstrumentDefinition
    draft : bool
        If True, items are optional (a partially filled form).

    Returns
    -------
    dict
        A draft 2020-12 schema.
    """
    definition = get_instrument(instrument)
    items: dict[str, Any] = {
        "type": "object",
        "properties": {item.key: _item_schema(item) for item in definition.items},
        "additionalProperties": False,
    }
    if not draft:
        items["required"] = list(definition.item_keys)
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"urn:synkinesis:scale-form:{definition.name}:{definition.version}"
        + (":draft" if draft else ""),
        "title": definition.title,
        "description": definition.description,
        "type": "object",
        "properties": {
            "instrument": {"const": definition.name},
            "instrument_version": {"type": "string"},
            "items": items,
            "options": {
                "type": "object",
                "properties": {o.name: dict(o.json_schema) for o in definition.options},
                "additionalProperties": False,
            },
            "rater": {"enum": [rater.value for rater in Rater]},
            "rater_name": {"type": "string"},
            "visit_id": {"type": "string"},
            "rated_at": {"type": "string", "format": "date-time"},
            "evidence": {
                "type": "object",
                "propertyNames": {"enum": list(definition.item_keys)},
                "additionalProperties": _EVIDENCE_SCHEMA,
            },
        },
        "required": ["items"],
        "additionalProperties": False,
        "x-synkinesis": {
            "instrument_version": definition.version,
            "source": definition.source,
            "total": {
                "label": definition.total.label,
                "minimum": definition.total.minimum,
                "maximum": definition.total.maximum,
                "higher_is_better": definition.total.higher_is_better,
            },
            "subscores": {
                s.key: {
                    "label": s.label,
                    "description": s.description,
                    "kind": s.kind,
                    "formula": s.formula,
                    "items": list(s.items),
                }
                for s in definition.subscores
            },
            "uncertain": list(definition.uncertain)
            + list(dict.fromkeys(s.uncertain for s in definition.subscores if s.uncertain)),
        },
    }
