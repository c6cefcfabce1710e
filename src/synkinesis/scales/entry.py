"""Reading a scale's input as a person types it: ``NAME=VALUE`` pairs, JSON/YAML forms, times.

Pure: text in, plain values out; the caller reads files and supplies the clock. Every function
raises :class:`EntryError` (a :class:`ValueError`) with a message saying what was expected and
what came, so a command line or a web form can show it as one line.

Examples
--------
>>> parse_pairs(["rest_eye=1", "grade=III"], what="--item")
{'rest_eye': '1', 'grade': 'III'}
>>> parse_scalar("1"), parse_scalar("62.5"), parse_scalar("narrow")
(1, 62.5, 'narrow')
>>> parse_form_text('{"items": {"grade": "II"}}', name="hb.json")["items"]
{'grade': 'II'}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from synkinesis.scales.registry import get_instrument
from synkinesis.scales.serialize import FORMAT_NAME

__all__ = ["EntryError", "parse_form_text", "parse_pairs", "parse_rated_at",
           "parse_scalar", "score_input"]


class EntryError(ValueError):
    """Input a person must fix (a malformed pair, form or time)."""


def parse_scalar(text: Any) -> Any:
    """``"3"`` -> 3, ``"62.5"`` -> 62.5; anything else unchanged (choice names, numbers)."""
    if not isinstance(text, str):
        return text
    stripped = text.strip()
    for kind in (int, float):
        try:
            return kind(stripped)
        except ValueError:
            pass
    return stripped


#: An example of each scale option's NAME=VALUE, shown when a pair is malformed.
_PAIR_EXAMPLES = {"--option": "total_formula=weighted", "--item": "rest_eye=1"}


def parse_pairs(pairs: list[str] | tuple[str, ...] | None, *, what: str) -> dict[str, Any]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}`` (values stay text: see :func:`parse_scalar`).

    ``what`` names the option in the message (``--item``, ``--option``).
    """
    parsed: dict[str, Any] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            example = _PAIR_EXAMPLES.get(what)
            raise EntryError(f"{what} {pair!r} must be written NAME=VALUE"
                             + (f", e.g. {example}" if example else ""))
        parsed[key.strip()] = value.strip()
    return parsed


def parse_form_text(text: str, *, name: str) -> dict[str, Any]:
    """A JSON or YAML form -> ``{"items": {...}, optional "options", "rater", ...}``.

    ``name`` is the file name: ``.json`` is read as JSON, anything else as YAML (a superset).
    A saved result (``format`` = the scale result format) is read back as its items, keeping
    choice names such as ``"narrow"``; a bare mapping is taken as the items.
    """
    import yaml  # type: ignore[import-untyped]  # no stubs in the environment

    try:
        data = json.loads(text) if name.lower().endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        message = " ".join(str(error).split())
        raise EntryError(f"{name} is not valid JSON/YAML: {message}") from error
    if not isinstance(data, Mapping):
        raise EntryError(f"{name} must contain a mapping of item names to values")
    if data.get("format") == FORMAT_NAME:
        choices = data.get("choices") or {}
        saved = data.get("items")
        if isinstance(saved, Mapping) and isinstance(choices, Mapping):
            saved = {key: choices.get(key, value) for key, value in saved.items()}
        data = {"instrument": data.get("instrument"), "items": saved,
                "options": data.get("options")}
    elif "items" not in data:
        data = {"items": data}
    if not isinstance(data["items"], Mapping):
        raise EntryError(f"{name}: 'items' must be a mapping of item names to values")
    if not isinstance(data.get("options") or {}, Mapping):
        raise EntryError(f"{name}: 'options' must be a mapping of option names to values")
    return dict(data)


def parse_rated_at(value: Any, *, now: datetime) -> datetime:
    """The time of rating: ``now`` when none is given, else an ISO 8601 time."""
    if value is None:
        return now
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError as error:
        raise EntryError(
            f"rated_at must be an ISO 8601 time with a UTC offset, got {value!r}") from error


def _text(value: Any) -> str | None:
    """Identifiers from YAML may come as numbers or dates; they are recorded as text."""
    return None if value is None else str(value)


def score_input(
    instrument: str,
    *,
    form: Mapping[str, Any] | None,
    items: list[str] | tuple[str, ...] | None = None,
    options: list[str] | tuple[str, ...] | None = None,
    rater: str | None = None,
    rater_name: str | None = None,
    visit_id: str | None = None,
    now: datetime,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Merge a parsed form (:func:`parse_form_text`) with ``NAME=VALUE`` flags.

    Flags override the form. Returns ``(items, score_kwargs)``: the items so far (a caller may
    prompt for missing ones) and the other keyword arguments of
    :func:`synkinesis.scales.score` (rater, rated_at, rater_name, visit_id, evidence, options).
    """
    definition = get_instrument(instrument)
    document = dict(form or {"items": {}})
    named = document.get("instrument")
    if named is not None and get_instrument(named).name != definition.name:
        raise EntryError(f"the form is a {named} form, not {definition.name}")
    merged = {key: parse_scalar(value) for key, value in document["items"].items()}
    merged.update({key: parse_scalar(value)
                   for key, value in parse_pairs(items, what="--item").items()})
    merged_options = dict(document.get("options") or {})
    merged_options.update(parse_pairs(options, what="--option"))
    kwargs = {
        "rater": rater or document.get("rater"),
        "rated_at": parse_rated_at(document.get("rated_at"), now=now),
        "rater_name": _text(rater_name or document.get("rater_name")),
        "visit_id": _text(visit_id or document.get("visit_id")),
        "evidence": document.get("evidence"),
        "options": merged_options,
    }
    return merged, kwargs
