"""JSON Schemas of the files the package writes, for programs that read them.

``manifest``: the ``manifest.json`` inside a ``.synk`` measure result, generated from the
typed :class:`synkinesis.measure.manifest.Manifest` (pydantic reads its dataclasses), adjusted
where :meth:`Manifest.to_dict` writes differently from the fields (the format name and
version, the engine's and source's extra keys written inline, optional sections left out).

``analysis``: the ``.analysis.json`` of ``synk analyze``. Its content is assembled from many
results (:func:`synkinesis.analysis.analysis_to_dict`), so its outline is kept here by hand;
the ``options`` section is generated from :class:`synkinesis.analysis.AnalysisOptions`.

Both are JSON Schema draft 2020-12. The top level of each refuses keys it does not name, so a
writer that gains or loses a section without its schema fails the tests.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SCHEMAS", "analysis_schema", "json_schema", "manifest_schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _generated(model: type) -> dict[str, Any]:
    from pydantic import TypeAdapter

    return TypeAdapter(model).json_schema(mode="serialization")


def manifest_schema() -> dict[str, Any]:
    """The schema of a ``.synk`` file's ``manifest.json`` (format ``synkinesis.measure``)."""
    from synkinesis.measure.manifest import FORMAT_NAME, FORMAT_VERSION, Manifest

    schema = _generated(Manifest)
    properties = schema["properties"]
    properties.pop("upgraded_from", None)  # known on read only, never written
    properties["format"] = {"const": FORMAT_NAME}
    properties["format_version"] = {"const": FORMAT_VERSION}
    schema["required"] = sorted({*schema["required"], "format", "format_version"})
    schema["additionalProperties"] = False
    defs = schema["$defs"]
    for name in ("Engine", "Source"):
        # `extra` is written inline, beside the named keys
        defs[name]["properties"].pop("extra", None)
        defs[name]["additionalProperties"] = True
    defs["Source"]["required"] = ["description"]  # kind is left out when unknown
    return {"$schema": DIALECT, "$id": "synkinesis.measure.manifest.schema.json",
            "title": "synkinesis measure result manifest (manifest.json inside a .synk)",
            **schema}


_NUMBER_OR_NULL = {"type": ["number", "null"]}
_SIDES = {"enum": ["left", "right"]}
_SEVERITY = {"enum": ["none", "mild", "moderate", "severe", "not measurable"]}
#: A 90 % (``level``) interval of a number from the recording itself (format 2), or null.
_INTERVAL = {"anyOf": [{"type": "null"}, {
    "type": "object", "required": ["low", "high", "level"],
    "properties": {"low": _NUMBER_OR_NULL, "high": _NUMBER_OR_NULL,
                   "level": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                   "replicates": {"type": "integer", "minimum": 0},
                   "kind": {"type": "string"}}}]}
_MATRIX = {"type": "array", "items": {"type": "array", "items": _NUMBER_OR_NULL}}
_PER_SIDE_MATRIX = {"type": "object", "properties": {"left": _MATRIX, "right": _MATRIX},
                    "required": ["left", "right"]}

_FINDING = {
    "type": "object",
    "required": ["pattern", "label", "side", "severity", "index", "index_by_side",
                 "confidence", "evidence", "tasks", "note", "source", "uncertain"],
    "properties": {
        "pattern": {"type": "string"},
        "label": {"type": "string"},
        "side": {"anyOf": [_SIDES, {"type": "null"}]},
        "severity": {"type": "string"},
        "index": _NUMBER_OR_NULL,
        "index_by_side": {"type": "object", "properties": {"left": _NUMBER_OR_NULL,
                                                          "right": _NUMBER_OR_NULL}},
        "confidence": _NUMBER_OR_NULL,
        "noise_floor_mm": _NUMBER_OR_NULL,
        "evidence": {"type": "array", "items": {"type": "object"}},
        "tasks": {"type": "array", "items": {"type": "string"}},
        "note": {"type": "string"},
        "proxy": {"type": ["string", "null"]},
        "source": {"type": "string"},
        "uncertain": {"type": "boolean"},
        "interval": _INTERVAL,
        "severity_range": {"anyOf": [{"type": "null"}, {
            "type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2}]},
        "settle": {"type": ["string", "null"],
                   "description": "what would settle an uncertain call"},
        "other_side": {"anyOf": [{"type": "null"}, {
            "type": "object", "required": ["side", "index", "severity"],
            "description": "when no affected side is named: the call about the other side, "
                           "that side taken as affected (low..high: its index's interval)",
            "properties": {
                "side": _SIDES, "index": _NUMBER_OR_NULL, "severity": {"type": "string"},
                "severity_range": {"anyOf": [{"type": "null"}, {
                    "type": "array", "items": {"type": "string"}, "minItems": 2,
                    "maxItems": 2}]},
                "low": _NUMBER_OR_NULL, "high": _NUMBER_OR_NULL,
                "settle": {"type": "string"}, "task": {"type": ["string", "null"]},
                "excess_mm": _NUMBER_OR_NULL}}]},
    },
}


def analysis_schema() -> dict[str, Any]:
    """The schema of an ``.analysis.json`` (format ``synkinesis.analysis``)."""
    from synkinesis.analysis import FORMAT_NAME, FORMAT_VERSION, AnalysisOptions

    options = _generated(AnalysisOptions)
    defs = options.pop("$defs", {})
    return {
        "$schema": DIALECT,
        "$id": "synkinesis.analysis.schema.json",
        "title": "synkinesis analysis (.analysis.json)",
        "description": "Left and right are the patient's. Distances in mm, times in seconds.",
        "type": "object",
        "additionalProperties": False,
        "required": ["format", "format_version", "package", "protocol_version",
                     "scale_versions", "source", "side_convention", "recording",
                     "segmentation", "coupling", "affected_side", "findings", "resting",
                     "scales", "warnings"],
        "$defs": {**defs, "finding": _FINDING, "AnalysisOptions": options},
        "properties": {
            "format": {"const": FORMAT_NAME},
            "format_version": {"const": FORMAT_VERSION},
            "package": {"type": "object", "required": ["name", "version"],
                        "properties": {"name": {"type": "string"},
                                       "version": {"type": "string"}}},
            "protocol_version": {"type": "string"},
            "scale_versions": {"type": "object", "additionalProperties": {"type": "string"}},
            "source": {"type": "object", "description": "The measure result (and video) it "
                                                        "came from: names, sha256, manifest."},
            "side_convention": {"type": "string"},
            "recording": {
                "type": "object", "required": ["frames", "duration_s", "usable_frames"],
                "properties": {"frames": {"type": "integer", "minimum": 0},
                               "duration_s": {"type": "number", "minimum": 0},
                               "usable_frames": {"type": "integer", "minimum": 0}}},
            "options": {"anyOf": [{"$ref": "#/$defs/AnalysisOptions"}, {"type": "null"}]},
            "segmentation": {
                "type": "object",
                "required": ["method", "segments", "rest", "missing_tasks", "protocol_tasks"],
                "properties": {
                    "method": {"type": "string"},
                    "segments": {"type": "array", "items": {
                        "type": "object", "required": ["task", "start_s", "end_s"],
                        "properties": {"task": {"type": "string"},
                                       "start_s": {"type": "number"},
                                       "end_s": {"type": "number"}}}},
                    "rest": {"type": "object"},
                    "baseline": {},
                    "missing_tasks": {"type": "array", "items": {"type": "string"}},
                    "protocol_tasks": {"type": "array", "items": {
                        "type": "object", "required": ["name", "label", "drivers", "watched",
                                                       "optional"]}},
                }},
            "coupling": {
                "type": "object",
                "required": ["tasks", "regions", "movement_mm", "normalised", "excess_mm",
                             "voluntary_range_mm", "noise_floor_mm"],
                "properties": {
                    "tasks": {"type": "array", "items": {"type": "string"}},
                    "regions": {"type": "array", "items": {"type": "string"}},
                    "region_meaning": {"type": "object",
                                       "additionalProperties": {"type": "string"}},
                    "movement_mm": _PER_SIDE_MATRIX,
                    "normalised": _PER_SIDE_MATRIX,
                    "excess_mm": _PER_SIDE_MATRIX,
                    "voluntary_range_mm": {"type": "object", "properties": {
                        "left": {"type": "array", "items": _NUMBER_OR_NULL},
                        "right": {"type": "array", "items": _NUMBER_OR_NULL}}},
                    "difference_side": {"anyOf": [_SIDES, {"type": "null"}]},
                    "difference_normalised": _MATRIX,
                    "difference_mm": _MATRIX,
                    "noise_floor_mm": {"type": "array", "items": _NUMBER_OR_NULL},
                    "coverage": {"type": "array", "items": _NUMBER_OR_NULL},
                    "label_confidence": {"type": "array", "items": _NUMBER_OR_NULL},
                    "short_tasks": {"type": "array", "items": {"type": "string"}},
                    "auxiliary": {"type": "object"},
                }},
            "affected_side": {
                "type": "object", "required": ["side", "method", "confidence"],
                "properties": {"side": {"anyOf": [_SIDES, {"type": "null"}]},
                               "method": {"type": "string"},
                               "confidence": _NUMBER_OR_NULL,
                               "leaning": {"anyOf": [_SIDES, {"type": "null"}]}}},
            "findings": {"type": "array", "items": {"$ref": "#/$defs/finding"}},
            "resting": {"$ref": "#/$defs/finding"},
            "scales": {"type": "array", "items": {
                "type": "object", "required": ["instrument", "items", "result"],
                "properties": {"instrument": {"type": "string"},
                               "items": {"type": "array", "items": {"type": "object"}},
                               "missing_items": {"type": "array",
                                                 "items": {"type": "string"}},
                               "notes": {"type": "array", "items": {"type": "string"}},
                               "grade_range": {"anyOf": [{"type": "null"}, {
                                   "type": "array", "items": {"type": "integer"},
                                   "minItems": 2, "maxItems": 2}]},
                               "result": {"type": "object",
                                          "required": ["format", "instrument", "items"]}}}},
            "warnings": {"type": "array", "items": {"type": "string"}},
            "uncertainty": {
                "description": "How the intervals were made (format 2): their level, the "
                               "number of resampled replicates, the repetitions per task and "
                               "each region's smallest resolvable change in mm.",
                "anyOf": [{"type": "null"}, {
                    "type": "object", "required": ["level", "replicates"],
                    "properties": {
                        "level": {"type": "number"},
                        "replicates": {"type": "integer", "minimum": 0},
                        "repetitions": {"type": "object",
                                        "additionalProperties": {"type": "integer"}},
                        "agreement": {
                            "description": "Per task recorded more than once: each "
                                           "repetition's movement per region and side (mm), "
                                           "their spread, and the regions where it exceeds "
                                           "the smallest resolvable change.",
                            "type": "array", "items": {
                                "type": "object",
                                "required": ["task", "repetitions", "regions", "levels_mm",
                                             "spread_mm", "smallest_change_mm",
                                             "disagreeing", "agree"],
                                "properties": {
                                    "task": {"type": "string"},
                                    "repetitions": {"type": "integer", "minimum": 2},
                                    "regions": {"type": "array", "items": {"type": "string"}},
                                    "levels_mm": {"type": "object"},
                                    "spread_mm": {"type": "array", "items": _NUMBER_OR_NULL},
                                    "smallest_change_mm": {"type": "array",
                                                           "items": _NUMBER_OR_NULL},
                                    "disagreeing": {"type": "array",
                                                    "items": {"type": "string"}},
                                    "agree": {"type": "boolean"}}}},
                        "resolution": {"type": "array", "items": {
                            "type": "object", "required": ["region", "smallest_change_mm"],
                            "properties": {"region": {"type": "string"},
                                           "smallest_change_mm": _NUMBER_OR_NULL,
                                           "rest_sd_mm": _NUMBER_OR_NULL,
                                           "rest_frames": {"type": "integer"},
                                           "pixel_mm": _NUMBER_OR_NULL}}},
                    }}]},
        },
    }


#: name -> the function that builds its schema (``synk schema NAME``).
SCHEMAS = {"manifest": manifest_schema, "analysis": analysis_schema}


def json_schema(name: str) -> dict[str, Any]:
    """The schema called ``name`` (one of :data:`SCHEMAS`)."""
    try:
        return SCHEMAS[name]()
    except KeyError:
        raise ValueError(f"unknown schema {name!r}; expected one of "
                         f"{', '.join(SCHEMAS)}") from None
