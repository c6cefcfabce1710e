"""Building blocks shared by every clinical instrument: definitions, validation, results.

An instrument is described once, as data (:class:`InstrumentDefinition`): its items with their
allowed values and the meaning of each value, its subscores, its total and grade, the source it
follows, and which parts are uncertain. :func:`score_items` is the single place where a filled
form is validated and scored; instrument modules only contribute definitions and formulas.

This module is pure: no files, clock, printing or landmark code. Timestamps come from the caller.

Why one file of over 500 lines: the instrument definition model and its one validation and
scoring path (:func:`score_items`), shared by all six instruments; the instruments themselves
live in their own modules.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "Choice",
    "Grade",
    "InstrumentDefinition",
    "Item",
    "ItemEvidence",
    "ItemValue",
    "Option",
    "Provenance",
    "Rater",
    "ScaleResult",
    "ScaleValidationError",
    "Subscore",
    "SubscoreResult",
    "TotalRule",
    "TotalValue",
    "format_number",
    "score_items",
    "validate_item",
]

#: A value as entered on a form: a number, or for some discrete items the name of a choice
#: (``"narrow"`` for the Sunnybrook resting eye, ``"III"`` for House-Brackmann).
ItemValue = int | float | str


class ScaleValidationError(ValueError):
    """A form that cannot be scored: unknown instrument or item, missing or out-of-range value.

    Parameters
    ----------
    message : str
        One line, naming the item(s) and the allowed values.
    instrument : str, optional
        Instrument name.
    items : sequence of str
        Keys of the offending items (empty when the problem is not about one item).
    """

    def __init__(
        self, message: str, *, instrument: str | None = None, items: Sequence[str] = ()
    ) -> None:
        super().__init__(message)
        self.instrument = instrument
        self.items = tuple(items)


class Rater(enum.StrEnum):
    """Who gave a score."""

    CLINICIAN = "clinician"
    PATIENT = "patient"
    AUTOMATIC = "automatic"


def format_number(value: float) -> str:
    """Write a number the way a clinician reads it: ``37``, ``62.5``, ``-15``."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------------------------
# definitions


@dataclass(frozen=True)
class Choice:
    """One allowed value of a discrete item.

    Several choices may share a value when the scale gives different findings the same points
    (Sunnybrook resting eye: narrow, wide and eyelid surgery all score 1); ``name`` lets a form
    record which finding it was.
    """

    value: int
    label: str
    name: str | None = None


@dataclass(frozen=True)
class Item:
    """One rated item of an instrument.

    An item is either discrete (``choices``) or continuous (``minimum``..``maximum``, with
    labelled ``anchors``). ``bidirectional`` items (eFACE static items, entered 0..200 with 100
    balanced) are scored ``100 - |100 - raw|``.
    """

    key: str
    label: str
    group: str
    choices: tuple[Choice, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    anchors: tuple[tuple[float, str], ...] = ()
    bidirectional: bool = False

    @property
    def is_discrete(self) -> bool:
        """True for items with a fixed list of values."""
        return bool(self.choices)

    @property
    def allowed_values(self) -> tuple[int, ...]:
        """Distinct numeric values of a discrete item, ascending (empty for continuous items)."""
        return tuple(sorted({choice.value for choice in self.choices}))

    @property
    def choice_names(self) -> tuple[str, ...]:
        """Names a discrete item also accepts instead of its numbers."""
        return tuple(choice.name for choice in self.choices if choice.name is not None)

    def value_label(self, value: float, *, choice_name: str | None = None) -> str:
        """What a value means, e.g. ``"narrow / wide / eyelid surgery"`` or ``"balanced"``.

        With ``choice_name`` (how the value was entered), only that choice's meaning.
        """
        if self.is_discrete:
            return " / ".join(
                c.label
                for c in self.choices
                if c.value == value and (choice_name is None or c.name == choice_name)
            )
        for anchor, label in self.anchors:
            if value == anchor:
                return label
        if not self.anchors:
            return ""
        if self.bidirectional:
            low, high = self.anchors[0][1], self.anchors[-1][1]
            offset = value - 100
            towards = high if offset > 0 else low
            return f"{offset:+g} from balanced, towards: {towards}"
        top, top_label = self.anchors[-1]
        return (
            f"{format_number(value)} of {format_number(top)} ({top_label} = {format_number(top)})"
        )

    def labels_text(self) -> str:
        """All value meanings in one line, e.g. ``"0 = normal, 1 = narrow / wide"``."""
        if self.is_discrete:
            return ", ".join(f"{v} = {self.value_label(v)}" for v in self.allowed_values)
        return ", ".join(f"{format_number(v)} = {label}" for v, label in self.anchors)

    def allowed_text(self) -> str:
        """The allowed values and their meanings, for error messages and prompts."""
        if self.is_discrete:
            allowed = ", ".join(str(v) for v in self.allowed_values)
            if self.choice_names:
                allowed += " or " + ", ".join(self.choice_names)
            return f"one of {allowed} ({self.labels_text()})"
        assert self.minimum is not None and self.maximum is not None
        return (
            f"a number from {format_number(self.minimum)} to {format_number(self.maximum)}"
            f" ({self.labels_text()})"
        )

    def item_score(self, value: float) -> float:
        """The value this item contributes to the subscores (bidirectional items converted)."""
        if self.bidirectional:
            return 100.0 - abs(100.0 - value)
        return value


@dataclass(frozen=True)
class Subscore:
    """A named aggregate of items: a Sunnybrook part, an eFACE subscore or zone, a FaCE domain.

    ``aggregate`` receives the item scores in the order of ``items``. ``kind`` tells forms and
    reports how to present it: ``"subscore"``, ``"zone"`` or ``"domain"``.
    """

    key: str
    label: str
    description: str
    items: tuple[str, ...]
    formula: str
    minimum: float
    maximum: float
    aggregate: Callable[[Sequence[float]], float]
    kind: str = "subscore"
    uncertain: str | None = None


@dataclass(frozen=True)
class TotalValue:
    """A computed total with the formula actually used and whether that formula is uncertain."""

    value: float
    formula: str
    uncertain: str | None = None


@dataclass(frozen=True)
class TotalRule:
    """How an instrument's total is computed.

    ``compute(item_scores, subscores, options)`` returns a :class:`TotalValue`. The stored total
    is never clamped; ``display_minimum``/``display_maximum`` clamp it only for display
    (Sunnybrook composite is -15..100 arithmetically, shown as 0..100).
    """

    label: str
    minimum: float
    maximum: float
    higher_is_better: bool
    compute: Callable[[Mapping[str, float], Mapping[str, float], Mapping[str, Any]], TotalValue]
    display_minimum: float | None = None
    display_maximum: float | None = None


@dataclass(frozen=True)
class Grade:
    """A grade derived from the total (House-Brackmann, FNGS 2.0), with its description."""

    name: str
    description: str
    uncertain: str | None = None


@dataclass(frozen=True)
class Option:
    """A scoring option of an instrument (e.g. the eFACE total formula).

    ``parse`` normalises a value given in Python, JSON or on a command line and raises
    ``ValueError`` with the allowed values when it is not acceptable.
    """

    name: str
    description: str
    default: Any
    parse: Callable[[Any], Any]
    allowed_text: str
    json_schema: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InstrumentDefinition:
    """A versioned clinical instrument: items, subscores, total, grade, source, uncertainties."""

    name: str
    title: str
    version: str
    source: str
    description: str
    items: tuple[Item, ...]
    subscores: tuple[Subscore, ...]
    total: TotalRule
    default_rater: Rater
    grade: Callable[[float, Mapping[str, Any]], Grade] | None = None
    options: tuple[Option, ...] = ()
    uncertain: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        keys = [item.key for item in self.items]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{self.name}: duplicate item keys")
        for subscore in self.subscores:
            unknown = set(subscore.items) - set(keys)
            if unknown:
                raise ValueError(f"{self.name}: subscore {subscore.key!r} has unknown items")

    @property
    def item_keys(self) -> tuple[str, ...]:
        """Item keys in form order."""
        return tuple(item.key for item in self.items)

    def item(self, key: str) -> Item:
        """The item called ``key``; :class:`ScaleValidationError` listing the keys otherwise."""
        for item in self.items:
            if item.key == key:
                return item
        raise ScaleValidationError(
            f"{self.name} has no item {key!r}; items are: {', '.join(self.item_keys)}",
            instrument=self.name,
            items=(key,),
        )

    def option(self, name: str) -> Option:
        """The option called ``name``; :class:`ScaleValidationError` listing the options."""
        for option in self.options:
            if option.name == name:
                return option
        known = ", ".join(o.name for o in self.options) or "none"
        raise ScaleValidationError(
            f"{self.name} has no option {name!r}; options are: {known}", instrument=self.name
        )

    def resolve_options(self, options: Mapping[str, Any] | None) -> dict[str, Any]:
        """All options with defaults filled in and values normalised."""
        if options is not None and not isinstance(options, Mapping):
            raise ScaleValidationError(
                f"{self.name} options must be a mapping of option name to value",
                instrument=self.name,
            )
        given = dict(options or {})
        resolved: dict[str, Any] = {}
        for name in given:
            self.option(name)
        for option in self.options:
            raw = given.get(option.name, option.default)
            try:
                resolved[option.name] = option.parse(raw)
            except ValueError as error:
                raise ScaleValidationError(
                    f"{self.name} option {option.name!r} must be {option.allowed_text}, "
                    f"got {raw!r}",
                    instrument=self.name,
                ) from error
        return resolved


# --------------------------------------------------------------------------------------------
# provenance and results


@dataclass(frozen=True)
class ItemEvidence:
    """The measurement behind an automatically estimated item.

    Parameters
    ----------
    measurement : str
        Name of the measurement, e.g. ``"palpebral_fissure_ratio_smile"``.
    value : float
        Its value, in ``unit``.
    confidence : float
        0..1, how much the estimate can be trusted.
    unit : str, optional
        ``"mm"``, ``"%"``, ``"ratio"``...
    """

    measurement: str
    value: float
    confidence: float
    unit: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.measurement, str) or not self.measurement:
            raise ValueError("evidence measurement must be a non-empty name")
        if not _is_number(self.value) or not math.isfinite(self.value):
            raise ValueError(f"evidence value must be a finite number, got {self.value!r}")
        if not _is_number(self.confidence) or not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"evidence confidence must be from 0 to 1, got {self.confidence!r}")


@dataclass(frozen=True)
class Provenance:
    """Who gave a score, when, for which visit, and the measurements behind automatic items.

    ``rated_at`` must be timezone-aware; it is supplied by the caller (the core has no clock).
    """

    rater: Rater
    rated_at: datetime | None = None
    rater_name: str | None = None
    visit_id: str | None = None
    evidence: Mapping[str, ItemEvidence] = field(default_factory=dict)


@dataclass(frozen=True)
class SubscoreResult:
    """A computed subscore; ``value`` is None when a draft lacks one of its items."""

    key: str
    label: str
    kind: str
    value: float | None
    minimum: float
    maximum: float
    formula: str
    uncertain: str | None = None


@dataclass(frozen=True)
class ScaleResult:
    """A scored (or draft) form.

    Attributes
    ----------
    items : mapping of str to number
        Values as entered (bidirectional eFACE items raw, 0..200).
    choices : mapping of str to str
        For items entered by choice name, that name (e.g. ``{"rest_eye": "narrow"}``).
    item_scores : mapping of str to float
        What each item contributes (bidirectional items converted to 0..100).
    total : float or None
        Raw total, never clamped; None for drafts.
    total_display : float or None
        Total clamped to the instrument's display range (equal to ``total`` for most).
    total_formula : str or None
        The formula that produced the total.
    uncertain : tuple of str
        Notes on every uncertain [U] part this result relies on.
    """

    instrument: str
    instrument_version: str
    items: Mapping[str, int | float]
    choices: Mapping[str, str]
    item_scores: Mapping[str, float]
    subscores: tuple[SubscoreResult, ...]
    total: float | None
    total_display: float | None
    total_formula: str | None
    grade: Grade | None
    options: Mapping[str, Any]
    draft: bool
    missing: tuple[str, ...]
    uncertain: tuple[str, ...]
    provenance: Provenance

    def subscore(self, key: str) -> SubscoreResult:
        """The subscore called ``key``."""
        for subscore in self.subscores:
            if subscore.key == key:
                return subscore
        raise KeyError(key)


# --------------------------------------------------------------------------------------------
# validation and scoring


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def validate_item(
    definition: InstrumentDefinition, key: str, value: object
) -> tuple[int | float, str | None]:
    """Check one item value and normalise it.

    Parameters
    ----------
    definition : InstrumentDefinition
    key : str
        Item key.
    value : int, float or str
        A number, or the name of a choice for discrete items that have named choices.

    Returns
    -------
    value : int or float
        ``int`` for discrete items, ``float`` for continuous ones.
    choice_name : str or None
        The choice name when the value was given by name.

    Raises
    ------
    ScaleValidationError
        Naming the item and listing the allowed values and their meanings.
    """
    item = definition.item(key)

    def invalid() -> ScaleValidationError:
        return ScaleValidationError(
            f"{definition.name} item {key!r} must be {item.allowed_text()}, got {value!r}",
            instrument=definition.name,
            items=(key,),
        )

    if item.is_discrete:
        if isinstance(value, str):
            for choice in item.choices:
                if choice.name is not None and choice.name.lower() == value.strip().lower():
                    return choice.value, choice.name
            raise invalid()
        if not _is_number(value) or not float(value).is_integer():  # type: ignore[arg-type]
            raise invalid()
        number = int(value)  # type: ignore[call-overload]
        if number not in item.allowed_values:
            raise invalid()
        return number, None
    assert item.minimum is not None and item.maximum is not None
    if not _is_number(value) or not math.isfinite(value):  # type: ignore[arg-type]
        raise invalid()
    number_f = float(value)  # type: ignore[arg-type]
    if not item.minimum <= number_f <= item.maximum:
        raise invalid()
    return number_f, None


def _coerce_evidence(
    definition: InstrumentDefinition, evidence: Mapping[str, ItemEvidence | Mapping[str, Any]]
) -> dict[str, ItemEvidence]:
    if not isinstance(evidence, Mapping):
        raise ScaleValidationError(
            f"{definition.name} evidence must be a mapping of item name to "
            "{measurement, value, confidence, unit}",
            instrument=definition.name,
        )
    coerced: dict[str, ItemEvidence] = {}
    for key, entry in evidence.items():
        definition.item(key)
        if isinstance(entry, ItemEvidence):
            coerced[key] = entry
            continue
        try:
            if not isinstance(entry, Mapping):
                raise TypeError(f"got {entry!r}")
            coerced[key] = ItemEvidence(**entry)
        except (TypeError, ValueError) as error:
            raise ScaleValidationError(
                f"{definition.name} evidence for item {key!r} needs measurement, value and "
                f"confidence (0..1), optional unit: {error}",
                instrument=definition.name,
                items=(key,),
            ) from error
    return coerced


def _make_provenance(
    definition: InstrumentDefinition,
    *,
    rater: Rater | str | None,
    rated_at: datetime | None,
    rater_name: str | None,
    visit_id: str | None,
    evidence: Mapping[str, ItemEvidence | Mapping[str, Any]] | None,
    entered: Sequence[str],
) -> Provenance:
    if rater is None:
        rater = definition.default_rater
    try:
        rater = Rater(rater)
    except ValueError as error:
        allowed = ", ".join(r.value for r in Rater)
        raise ScaleValidationError(
            f"rater must be one of {allowed}, got {rater!r}", instrument=definition.name
        ) from error
    if rated_at is not None and (
        not isinstance(rated_at, datetime) or rated_at.utcoffset() is None
    ):
        raise ScaleValidationError(
            f"rated_at must be a timezone-aware datetime, got {rated_at!r}",
            instrument=definition.name,
        )
    coerced = _coerce_evidence(definition, evidence or {})
    absent = [key for key in coerced if key not in entered]
    if absent:
        raise ScaleValidationError(
            f"{definition.name} evidence given for items that are not on the form: "
            f"{', '.join(absent)} (evidence belongs to an item that has a value)",
            instrument=definition.name,
            items=absent,
        )
    if rater is Rater.AUTOMATIC:
        lacking = [key for key in entered if key not in coerced]
        if lacking:
            raise ScaleValidationError(
                f"{definition.name} automatic score needs evidence (measurement, value, "
                f"confidence) for every item; missing for: {', '.join(lacking)}",
                instrument=definition.name,
                items=lacking,
            )
    return Provenance(
        rater=rater,
        rated_at=rated_at,
        rater_name=rater_name,
        visit_id=visit_id,
        evidence=coerced,
    )


def score_items(
    definition: InstrumentDefinition,
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
    """Validate a filled form and score it. The one implementation behind every instrument.

    Parameters
    ----------
    definition : InstrumentDefinition
    items : mapping of str to int, float or str
        Item key -> value (numbers, or choice names where the item has them).
    rater : Rater or str, optional
        ``"clinician"``, ``"patient"`` or ``"automatic"``; defaults to the instrument's usual
        rater (patient for questionnaires, clinician otherwise).
    rated_at : datetime, optional
        When the form was filled, timezone-aware; the caller supplies it.
    rater_name, visit_id : str, optional
        Free identifiers recorded with the score.
    evidence : mapping of str to ItemEvidence (or dict), optional
        For automatically estimated items, the measurement and confidence behind each one;
        required for every entered item when ``rater="automatic"``.
    options : mapping, optional
        Instrument options, e.g. ``{"total_formula": "weighted"}`` for eFACE.
    draft : bool
        Allow missing items. A draft has subscores only where all their items are present and
        never has a total or grade.

    Returns
    -------
    ScaleResult

    Raises
    ------
    ScaleValidationError
        Unknown, missing or out-of-range items, with the allowed values in the message.
    """
    if not isinstance(items, Mapping):
        raise ScaleValidationError(
            f"{definition.name} items must be a mapping of item name to value",
            instrument=definition.name,
        )
    values: dict[str, int | float] = {}
    choices: dict[str, str] = {}
    problems: list[ScaleValidationError] = []
    for key in items:
        try:
            definition.item(key)
        except ScaleValidationError as error:
            problems.append(error)
    for key in definition.item_keys:
        if key not in items or items[key] is None:
            continue
        try:
            value, name = validate_item(definition, key, items[key])
        except ScaleValidationError as error:
            problems.append(error)
            continue
        values[key] = value
        if name is not None:
            choices[key] = name
    missing = tuple(
        key for key in definition.item_keys if key not in values and not _had_error(key, problems)
    )
    if missing and not draft:
        problems.append(
            ScaleValidationError(
                f"{definition.name} is missing items: {', '.join(missing)} "
                "(fill them, or save the form as a draft)",
                instrument=definition.name,
                items=missing,
            )
        )
    if problems:
        raise ScaleValidationError(
            "; ".join(str(p) for p in problems),
            instrument=definition.name,
            items=[key for p in problems for key in p.items],
        )
    resolved_options = definition.resolve_options(options)
    provenance = _make_provenance(
        definition,
        rater=rater,
        rated_at=rated_at,
        rater_name=rater_name,
        visit_id=visit_id,
        evidence=evidence,
        entered=tuple(values),
    )
    item_scores = {key: definition.item(key).item_score(value) for key, value in values.items()}
    subscores = tuple(_score_subscore(s, item_scores) for s in definition.subscores)
    uncertain = list(definition.uncertain)
    uncertain.extend(s.uncertain for s in definition.subscores if s.uncertain)
    total = total_display = grade = formula = None
    if not draft:
        subscore_values = {s.key: s.value for s in subscores if s.value is not None}
        computed = definition.total.compute(item_scores, subscore_values, resolved_options)
        total, formula = computed.value, computed.formula
        if computed.uncertain:
            uncertain.append(computed.uncertain)
        total_display = _clamp(
            total, definition.total.display_minimum, definition.total.display_maximum
        )
        if definition.grade is not None:
            grade = definition.grade(total, resolved_options)
            if grade.uncertain:
                uncertain.append(grade.uncertain)
    return ScaleResult(
        instrument=definition.name,
        instrument_version=definition.version,
        items=values,
        choices=choices,
        item_scores=item_scores,
        subscores=subscores,
        total=total,
        total_display=total_display,
        total_formula=formula,
        grade=grade,
        options=resolved_options,
        draft=draft,
        missing=missing,
        uncertain=tuple(dict.fromkeys(uncertain)),
        provenance=provenance,
    )


def _had_error(key: str, problems: Sequence[ScaleValidationError]) -> bool:
    return any(key in p.items for p in problems)


def _score_subscore(subscore: Subscore, item_scores: Mapping[str, float]) -> SubscoreResult:
    present = [item_scores[key] for key in subscore.items if key in item_scores]
    value = subscore.aggregate(present) if len(present) == len(subscore.items) else None
    return SubscoreResult(
        key=subscore.key,
        label=subscore.label,
        kind=subscore.kind,
        value=value,
        minimum=subscore.minimum,
        maximum=subscore.maximum,
        formula=subscore.formula,
        uncertain=subscore.uncertain,
    )


def _clamp(value: float, lower: float | None, upper: float | None) -> float:
    if lower is not None and value < lower:
        return type(value)(lower)
    if upper is not None and value > upper:
        return type(value)(upper)
    return value


# --------------------------------------------------------------------------------------------
# helpers for instrument modules


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean (instrument formulas; avoids importing numpy for five numbers)."""
    return math.fsum(values) / len(values)


def weighted_sum(weight: int) -> Callable[[Sequence[float]], float]:
    """An aggregate ``sum(values) * weight`` that keeps integers integers."""

    def aggregate(values: Sequence[float]) -> float:
        total = sum(values)
        return total * weight

    return aggregate


def choice_option(name: str, allowed: Sequence[str], default: str, description: str) -> Option:
    """An option whose value is one of a few names."""

    def parse(value: Any) -> str:
        if value not in allowed:
            raise ValueError(value)
        return str(value)

    return Option(
        name=name,
        description=description,
        default=default,
        parse=parse,
        allowed_text="one of " + ", ".join(repr(a) for a in allowed),
        json_schema={"enum": list(allowed), "default": default, "description": description},
    )
