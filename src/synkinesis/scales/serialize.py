"""Lossless conversion of :class:`ScaleResult` to and from plain JSON-ready dicts.

Format ``synkinesis.scale_result``, version history:

- 1: first version.

Readers refuse unknown formats and newer versions with a clear message; older versions will be
upgraded here, explicitly, when there are any.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from synkinesis import __version__
from synkinesis.scales.base import (
    Grade,
    ItemEvidence,
    Provenance,
    Rater,
    ScaleResult,
    ScaleValidationError,
    SubscoreResult,
)

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "result_from_dict", "result_to_dict"]

FORMAT_NAME = "synkinesis.scale_result"
FORMAT_VERSION = 1


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


def result_to_dict(result: ScaleResult) -> dict[str, Any]:
    """A JSON-ready dict of ``result``, self-describing (format name and version, software).

    Parameters
    ----------
    result : ScaleResult

    Returns
    -------
    dict
        Only str, int, float, bool, None, lists and dicts.
    """
    provenance = result.provenance
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "software": f"synkinesis {__version__}",
        "instrument": result.instrument,
        "instrument_version": result.instrument_version,
        "draft": result.draft,
        "items": dict(result.items),
        "choices": dict(result.choices),
        "item_scores": dict(result.item_scores),
        "subscores": [
            {
                "key": s.key,
                "label": s.label,
                "kind": s.kind,
                "value": s.value,
                "minimum": s.minimum,
                "maximum": s.maximum,
                "formula": s.formula,
                "uncertain": s.uncertain,
            }
            for s in result.subscores
        ],
        "total": result.total,
        "total_display": result.total_display,
        "total_formula": result.total_formula,
        "grade": None
        if result.grade is None
        else {
            "name": result.grade.name,
            "description": result.grade.description,
            "uncertain": result.grade.uncertain,
        },
        "options": {name: _jsonable(value) for name, value in result.options.items()},
        "missing": list(result.missing),
        "uncertain": list(result.uncertain),
        "provenance": {
            "rater": provenance.rater.value,
            "rated_at": None if provenance.rated_at is None else provenance.rated_at.isoformat(),
            "rater_name": provenance.rater_name,
            "visit_id": provenance.visit_id,
            "evidence": {
                key: {
                    "measurement": e.measurement,
                    "value": e.value,
                    "confidence": e.confidence,
                    "unit": e.unit,
                }
                for key, e in provenance.evidence.items()
            },
        },
    }


def result_from_dict(data: Mapping[str, Any]) -> ScaleResult:
    """Rebuild a :class:`ScaleResult` written by :func:`result_to_dict`.

    Stored values are taken as they are (not re-scored), so a result reads back exactly as it
    was saved even if a later version of the package scores differently.

    Raises
    ------
    ScaleValidationError
        Not a scale result, a newer format version, or a malformed record.
    """
    from synkinesis.scales.registry import get_instrument

    if not isinstance(data, Mapping) or data.get("format") != FORMAT_NAME:
        found = data.get("format") if isinstance(data, Mapping) else type(data).__name__
        raise ScaleValidationError(f"not a {FORMAT_NAME} record (format is {found!r})")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise ScaleValidationError(
            f"{FORMAT_NAME} version {version!r} is not supported; this software reads "
            f"version {FORMAT_VERSION}"
        )
    try:
        definition = get_instrument(data["instrument"])
        provenance = data["provenance"]
        rated_at = provenance["rated_at"]
        grade = data["grade"]
        return ScaleResult(
            instrument=data["instrument"],
            instrument_version=data["instrument_version"],
            items=dict(data["items"]),
            choices=dict(data["choices"]),
            item_scores=dict(data["item_scores"]),
            subscores=tuple(SubscoreResult(**s) for s in data["subscores"]),
            total=data["total"],
            total_display=data["total_display"],
            total_formula=data["total_formula"],
            grade=None if grade is None else Grade(**grade),
            options=definition.resolve_options(data["options"]),
            draft=data["draft"],
            missing=tuple(data["missing"]),
            uncertain=tuple(data["uncertain"]),
            provenance=Provenance(
                rater=Rater(provenance["rater"]),
                rated_at=None if rated_at is None else datetime.fromisoformat(rated_at),
                rater_name=provenance["rater_name"],
                visit_id=provenance["visit_id"],
                evidence={
                    key: ItemEvidence(**entry) for key, entry in provenance["evidence"].items()
                },
            ),
        )
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, ScaleValidationError):
            raise
        raise ScaleValidationError(f"malformed {FORMAT_NAME} record: {error!r}") from error
