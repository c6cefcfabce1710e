"""Agreement of automatic scale items with clinicians' scores across a cohort of recordings.

Validation studies grade the same recordings twice: by the automatic analysis and by one or
more clinicians. This module turns such a tidy table (one row per recording x scale item) into,
for each item of each instrument: the number of pairs, the intraclass correlation (ICC), the
quadratic-weighted Cohen's kappa for ordinal items, the Bland-Altman bias and 95 % limits of
agreement, and Spearman's rho, every one with its 95 % confidence interval.

The forms used (McGraw & Wong 1996 names; Shrout & Fleiss 1979 in brackets):

- ``icc_agreement``: ICC(A,1) [ICC(2,1)], two-way random effects, absolute agreement, single
  rater: a systematic offset between automatic and clinician lowers it. CI: McGraw & Wong's
  F-based interval (pingouin).
- ``icc_consistency``: ICC(C,1) [ICC(3,1)], two-way mixed effects, consistency, single rater:
  blind to a constant offset. CI: F-based (pingouin).
- ``kappa``: Cohen's kappa with quadratic (Fleiss-Cohen) weights over the item's categories as
  the instrument defines them (unobserved categories included), for discrete (ordinal) items
  only. CI: Wald interval from the large-sample variance of Fleiss, Cohen & Everitt (1969)
  (statsmodels), clipped to [-1, 1].
- ``bias``: mean of ``automatic - clinician`` (Bland & Altman 1986); CI: Student t.
- ``loa_lower``/``loa_upper``: ``bias -/+ 1.959964 * SD`` of the differences. The libraries give
  no interval for them, so it is computed here with the exact method of Carkeet (2015): the
  bounds are ``bias +/- SD * t'/sqrt(n)`` with ``t'`` the 2.5 % and 97.5 % quantiles of the
  non-central t distribution with ``n - 1`` degrees of freedom and non-centrality
  ``1.959964 * sqrt(n)`` (scipy.stats.nct).
- ``spearman``: Spearman's rank correlation (scipy). scipy gives no interval for it: it is the
  Fisher z interval with the variance ``(1 + rho**2 / 2) / (n - 3)`` of Bonett & Wright (2000).

Scores are compared on the values entered on the form: the item score, except for the eFACE
static (bidirectional, 0..200) items, compared on their raw values as
:func:`synkinesis.scales.compare_scores` does (130 and 70 are opposite findings, 60 apart).
The pseudo-item ``total`` compares an instrument's total (e.g. the Sunnybrook composite).

With a ``rater`` column the automatic score is compared with each clinician separately and, when
there are several, with their mean per recording (no kappa there: a mean is not a category).

Pure: a DataFrame in, frozen dataclasses and a DataFrame out; no files, clock or printing.

Why one file of over 500 lines: one statistic family per item, each with its interval, over
the same paired table; about half of it is the interval arithmetic documented above.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from synkinesis.scales.base import InstrumentDefinition, ScaleValidationError, validate_item
from synkinesis.scales.registry import INSTRUMENTS, get_instrument

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MEAN_OF_RATERS",
    "METHODS",
    "MIN_PAIRS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "TOTAL_ITEM",
    "AgreementInputError",
    "Estimate",
    "ItemAgreement",
    "PairAgreement",
    "agreement_frame",
    "agreement_of_pairs",
    "agreement_to_dict",
    "compute_agreement",
    "measure_agreement",
    "paired_scores",
]

#: Columns every table must have.
REQUIRED_COLUMNS = ("recording", "instrument", "item", "automatic", "clinician")
#: Columns a table may have: ``rater`` names the clinician of each row.
OPTIONAL_COLUMNS = ("rater",)
#: Fewer pairs than this give "not enough pairs" instead of numbers.
MIN_PAIRS = 5
#: The pseudo-item that stands for an instrument's total (Sunnybrook composite, eFACE total).
TOTAL_ITEM = "total"
#: The ``rater`` of the comparison with the clinicians' mean per recording.
MEAN_OF_RATERS = "mean of raters"
#: Format of :func:`agreement_to_dict`; 1: first version.
FORMAT = "synkinesis.agreement"
FORMAT_VERSION = 1

_Z975 = 1.959963984540054  # standard normal 97.5 % quantile: 95 % limits and intervals


class AgreementInputError(ValueError):
    """A table that cannot be analysed: missing columns, unknown instrument or item, a value
    out of range, duplicated rows. The message is one line and says what was expected."""


@dataclass(frozen=True)
class Estimate:
    """A statistic with its 95 % confidence interval (``low``/``high`` None when the interval
    is undefined, e.g. no disagreement at all)."""

    value: float
    low: float | None
    high: float | None


@dataclass(frozen=True)
class PairAgreement:
    """Agreement of ``n`` paired scores (automatic, clinician); see the module docstring for
    the exact forms. A statistic is None when it cannot be computed, and ``notes`` says why
    (too few pairs, no variation, not an ordinal item). Differences are
    ``automatic - clinician``, in the item's units (points; raw 0..200 for eFACE static)."""

    n: int
    icc_agreement: Estimate | None
    icc_consistency: Estimate | None
    kappa: Estimate | None
    bias: Estimate | None
    sd_difference: float | None
    loa_lower: Estimate | None
    loa_upper: Estimate | None
    spearman: Estimate | None
    notes: tuple[str, ...] = ()

    @property
    def enough_pairs(self) -> bool:
        """True when there were at least :data:`MIN_PAIRS` pairs (numbers were computed)."""
        return self.bias is not None


@dataclass(frozen=True)
class ItemAgreement:
    """Agreement for one item of one instrument (and one clinician, or their mean).

    ``n_missing`` counts the rows left out because either score was missing;
    ``compared_on`` is ``"score"`` or ``"raw"`` (eFACE static items); ``ordinal`` tells whether
    a weighted kappa applies (discrete items: House-Brackmann grade, Sunnybrook, FNGS 2.0...).
    """

    instrument: str
    item: str
    label: str
    rater: str | None
    ordinal: bool
    compared_on: str
    n_missing: int
    statistics: PairAgreement

    @property
    def n(self) -> int:
        """Number of pairs used."""
        return self.statistics.n


# --------------------------------------------------------------------------------------------
# the statistics of one set of pairs


def measure_agreement(
    automatic: Sequence[float] | np.ndarray,
    clinician: Sequence[float] | np.ndarray,
    *,
    categories: Sequence[float] | None = None,
    min_pairs: int = MIN_PAIRS,
) -> PairAgreement:
    """All agreement statistics of paired scores.

    Parameters
    ----------
    automatic, clinician : (n,) arrays of float
        The two scores of each recording, same units, no missing values.
    categories : sequence of float, optional
        The ordered categories of an ordinal item (every value the instrument allows); gives
        the quadratic-weighted kappa. None for a continuous item (no kappa).
    min_pairs : int
        Below this many pairs nothing is computed (note "not enough pairs").

    Returns
    -------
    PairAgreement
    """
    a = np.asarray(automatic, dtype=float)
    c = np.asarray(clinician, dtype=float)
    if a.shape != c.shape or a.ndim != 1:
        raise ValueError(f"automatic and clinician must be 1-d of one length, got shapes "
                         f"{a.shape} and {c.shape}")
    if not (np.isfinite(a).all() and np.isfinite(c).all()):
        raise ValueError("automatic and clinician must be finite (leave missing pairs out)")
    n = len(a)
    if n < min_pairs:
        return PairAgreement(n, None, None, None, None, None, None, None, None,
                             notes=(f"not enough pairs ({n} < {min_pairs})",))
    notes: list[str] = []
    icc_agreement, icc_consistency = _icc(a, c, notes)
    kappa = None if categories is None else _weighted_kappa(a, c, categories, notes)
    bias, sd, loa_lower, loa_upper = _bland_altman(a, c)
    return PairAgreement(
        n=n,
        icc_agreement=icc_agreement,
        icc_consistency=icc_consistency,
        kappa=kappa,
        bias=bias,
        sd_difference=sd,
        loa_lower=loa_lower,
        loa_upper=loa_upper,
        spearman=_spearman(a, c, notes),
        notes=tuple(dict.fromkeys(notes)),
    )


def _clip(value: float) -> float:
    """Into [-1, 1], the range of a correlation, an ICC of two raters and a kappa."""
    return min(1.0, max(-1.0, value))


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _icc(a: np.ndarray, c: np.ndarray, notes: list[str]) -> tuple[Estimate | None,
                                                                   Estimate | None]:
    import pingouin

    if np.ptp(np.concatenate([a, c])) == 0:
        notes.append("ICC undefined: every score is the same")
        return None, None
    n = len(a)
    long = pd.DataFrame({
        "recording": np.tile(np.arange(n), 2),
        "source": np.repeat(["automatic", "clinician"], n),
        "score": np.concatenate([a, c]),
    })
    # pingouin rounds its CI95 column to 2 decimals by default; keep full precision (its
    # options are global: not thread-safe, restored right after).
    saved = pingouin.options.get("round.column.CI95")
    pingouin.options["round.column.CI95"] = None
    try:
        with warnings.catch_warnings():
            # degenerate mean squares (no disagreement) divide by zero; handled below
            warnings.simplefilter("ignore")
            table = pingouin.intraclass_corr(data=long, targets="recording", raters="source",
                                             ratings="score").set_index("Type")
    finally:
        pingouin.options["round.column.CI95"] = saved

    def estimate(kind: str) -> Estimate | None:
        value = float(table.at[kind, "ICC"])
        if not math.isfinite(value):
            return None
        low, high = (_finite_or_none(float(bound)) for bound in table.at[kind, "CI95"])
        if low is None or high is None:
            notes.append("ICC interval undefined: no disagreement between the scores")
            return Estimate(_clip(value), None, None)
        # rounding in the mean squares can put a perfect agreement a hair above 1
        return Estimate(_clip(value), _clip(low), _clip(high))

    return estimate("ICC(A,1)"), estimate("ICC(C,1)")


def _weighted_kappa(a: np.ndarray, c: np.ndarray, categories: Sequence[float],
                    notes: list[str]) -> Estimate | None:
    from statsmodels.stats.inter_rater import cohens_kappa

    levels = np.asarray(sorted(set(float(v) for v in categories)))
    index = {value: position for position, value in enumerate(levels)}
    if not set(a) | set(c) <= set(index):
        notes.append("kappa not computed: scores that are not categories of the item")
        return None
    table = np.zeros((len(levels), len(levels)))
    np.add.at(table, ([index[v] for v in a], [index[v] for v in c]), 1)
    weights = (levels[:, None] - levels[None, :]) ** 2
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum() ** 2
    if (weights * expected).sum() == 0:
        notes.append("kappa undefined: both scores give one and the same category throughout")
        return None
    with np.errstate(invalid="ignore"):
        result = cohens_kappa(table, weights=levels, wt="quadratic")
    kappa, variance = float(result.kappa), float(result.var_kappa)
    if -1e-12 < variance < 0:  # rounding around a zero variance (perfect agreement)
        variance = 0.0
    if not variance >= 0:
        notes.append("kappa interval undefined: its large-sample variance is not positive")
        return Estimate(kappa, None, None)
    half_width = _Z975 * math.sqrt(variance)  # statsmodels' own kappa_low/upp, unrounded
    return Estimate(kappa, _clip(kappa - half_width), _clip(kappa + half_width))


def _bland_altman(a: np.ndarray, c: np.ndarray) -> tuple[Estimate, float, Estimate, Estimate]:
    from scipy import stats

    difference = a - c
    n = len(difference)
    bias = float(difference.mean())
    sd = float(difference.std(ddof=1))
    half_width = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    # Carkeet (2015): exact interval of mean + z * SD from the non-central t distribution
    k_low, k_high = stats.nct.ppf([0.025, 0.975], n - 1, _Z975 * math.sqrt(n)) / math.sqrt(n)
    return (
        Estimate(bias, bias - half_width, bias + half_width),
        sd,
        Estimate(bias - _Z975 * sd, bias - float(k_high) * sd, bias - float(k_low) * sd),
        Estimate(bias + _Z975 * sd, bias + float(k_low) * sd, bias + float(k_high) * sd),
    )


def _spearman(a: np.ndarray, c: np.ndarray, notes: list[str]) -> Estimate | None:
    from scipy import stats

    if np.ptp(a) == 0 or np.ptp(c) == 0:
        notes.append("Spearman's rho undefined: one of the scores does not vary")
        return None
    rho = float(stats.spearmanr(a, c).statistic)
    # Bonett & Wright (2000) variance of Fisher's z for Spearman's rho
    half_width = _Z975 * math.sqrt((1 + rho**2 / 2) / (len(a) - 3))
    with np.errstate(divide="ignore"):
        z = float(np.arctanh(rho))
    return Estimate(rho, math.tanh(z - half_width), math.tanh(z + half_width))


# --------------------------------------------------------------------------------------------
# the table


@dataclass(frozen=True)
class _ItemSpec:
    key: str
    label: str
    ordinal: bool
    categories: tuple[int, ...]
    compared_on: str


def _item_spec(definition: InstrumentDefinition, key: str) -> _ItemSpec:
    if key == TOTAL_ITEM:
        return _ItemSpec(key, definition.total.label, False, (), "score")
    try:
        item = definition.item(key)
    except ScaleValidationError as error:
        raise AgreementInputError(f"{error} (or {TOTAL_ITEM})") from None
    return _ItemSpec(key, item.label, item.is_discrete, item.allowed_values,
                     "raw" if item.bidirectional else "score")


def _parse_value(definition: InstrumentDefinition, key: str, value: Any) -> float | None:
    """A value as entered (number, numeric text or choice name such as "III") -> float, None
    for missing."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text or text.lower() in ("na", "nan", "none"):
            return None
        try:
            value = float(text)
        except ValueError:
            value = text
    if key == TOTAL_ITEM:
        rule = definition.total
        if (isinstance(value, str) or isinstance(value, bool)
                or not rule.minimum <= value <= rule.maximum):
            raise ScaleValidationError(
                f"{definition.name} {TOTAL_ITEM} must be a number from {rule.minimum:g} to "
                f"{rule.maximum:g}, got {value!r}")
        return float(value)
    return float(validate_item(definition, key, value)[0])


def _check_columns(table: pd.DataFrame) -> None:
    if not isinstance(table, pd.DataFrame):
        raise AgreementInputError(f"expected a pandas DataFrame, got {type(table).__name__}")
    missing = [column for column in REQUIRED_COLUMNS if column not in table.columns]
    if missing:
        raise AgreementInputError(
            f"the table must have the columns {', '.join(REQUIRED_COLUMNS)} (optional: "
            f"{', '.join(OPTIONAL_COLUMNS)}); missing: {', '.join(missing)}; found: "
            f"{', '.join(map(str, table.columns))}")


def paired_scores(table: pd.DataFrame, *, instrument: str | None = None) -> pd.DataFrame:
    """Validate a tidy table and return its scores as numbers.

    Parameters
    ----------
    table : DataFrame
        One row per recording x scale item: columns ``recording``, ``instrument`` (name or
        alias: ``sunnybrook``, ``eface``, ``hb``...), ``item`` (an item key of the instrument,
        or ``total``), ``automatic``, ``clinician`` (numbers, or choice names such as ``III``;
        empty = missing) and optionally ``rater`` (who the clinician was).
    instrument : str, optional
        Keep only this instrument.

    Returns
    -------
    DataFrame
        Columns ``instrument`` (canonical name), ``item``, ``rater`` (None without a rater
        column), ``recording``, ``automatic``, ``clinician`` (float, NaN where missing), in
        instrument and form order.

    Raises
    ------
    AgreementInputError
        Missing columns, unknown instrument or item, a value the item does not allow, a
        recording graded twice by the same rater, or an automatic score that differs between
        the rows of several raters.
    """
    _check_columns(table)
    has_rater = "rater" in table.columns
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    definitions: dict[str, InstrumentDefinition] = {}
    for position, record in enumerate(table.to_dict("records")):
        name = str(record["instrument"]).strip()
        try:
            definition = definitions.get(name) or get_instrument(name)
        except ScaleValidationError as error:
            raise AgreementInputError(str(error)) from None
        definitions[name] = definition
        key = str(record["item"]).strip()
        _item_spec(definition, key)
        rater = record["rater"] if has_rater else None
        if has_rater and (rater is None or pd.isna(rater) or not str(rater).strip()):
            raise AgreementInputError(f"row {position + 1}: the rater is empty")
        parsed: dict[str, float | None] = {}
        for column in ("automatic", "clinician"):
            try:
                parsed[column] = _parse_value(definition, key, record[column])
            except ScaleValidationError as error:
                problems.append(f"row {position + 1} ({column}): {error}")
        rows.append({
            "instrument": definition.name,
            "item": key,
            "rater": None if rater is None else str(rater).strip(),
            "recording": str(record["recording"]).strip(),
            **parsed,
        })
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise AgreementInputError(problems[0] + more)
    pairs = pd.DataFrame(rows, columns=["instrument", "item", "rater", "recording",
                                        "automatic", "clinician"])
    pairs[["automatic", "clinician"]] = pairs[["automatic", "clinician"]].astype(float)
    if instrument is not None:
        try:
            wanted = get_instrument(instrument).name
        except ScaleValidationError as error:
            raise AgreementInputError(str(error)) from None
        if wanted not in set(pairs["instrument"]):
            present = ", ".join(sorted(set(pairs["instrument"]))) or "none"
            raise AgreementInputError(f"the table has no rows of {wanted}; it has: {present}")
        pairs = pairs[pairs["instrument"] == wanted]
    _check_duplicates(pairs, has_rater)
    order = {name: position for position, name in enumerate(INSTRUMENTS)}
    form_order = {(d.name, key): position for d in INSTRUMENTS.values()
                  for position, key in enumerate((*d.item_keys, TOTAL_ITEM))}
    sort_key = [(order[name], form_order[(name, key)])
                for name, key in zip(pairs["instrument"], pairs["item"])]
    pairs = pairs.assign(_order=sort_key).sort_values("_order", kind="stable")
    return pairs.drop(columns="_order").reset_index(drop=True)


def _check_duplicates(pairs: pd.DataFrame, has_rater: bool) -> None:
    keys = ["instrument", "item", "recording"] + (["rater"] if has_rater else [])
    duplicated = pairs.duplicated(keys, keep=False)
    if duplicated.any():
        first = pairs[duplicated].iloc[0]
        expected = ("one row per recording x item x rater" if has_rater else
                    "one row per recording x item (a rater column tells several clinicians "
                    "apart)")
        who = f" by rater {first['rater']}" if has_rater else ""
        raise AgreementInputError(
            f"recording {first['recording']} has more than one row for {first['instrument']} "
            f"{first['item']}{who}: {expected}")
    if has_rater:
        spread = pairs.groupby(["instrument", "item", "recording"], sort=False)["automatic"]
        varies = spread.nunique(dropna=False) > 1
        if varies.any():
            instrument, item, recording = varies[varies].index[0]
            raise AgreementInputError(
                f"recording {recording}: the automatic {instrument} {item} differs between its "
                "rater rows (the automatic score of a recording is one value)")


def compute_agreement(
    table: pd.DataFrame, *, instrument: str | None = None, min_pairs: int = MIN_PAIRS
) -> tuple[ItemAgreement, ...]:
    """Agreement of automatic and clinician scores, item by item.

    Parameters
    ----------
    table : DataFrame
        The tidy table of :func:`paired_scores`.
    instrument : str, optional
        Only this instrument.
    min_pairs : int
        Items with fewer complete pairs get "not enough pairs" instead of numbers.

    Returns
    -------
    tuple of ItemAgreement
        In instrument and form order; with a ``rater`` column one per item and rater, plus one
        against the raters' mean (``rater`` :data:`MEAN_OF_RATERS`) when there are several.
        Rows with either score missing are left out and counted in ``n_missing``.

    Raises
    ------
    AgreementInputError
        See :func:`paired_scores`.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"recording": list("abcdef"), "instrument": "hb", "item": "grade",
    ...                       "automatic": [1, 2, 3, 4, 5, 6], "clinician": [1, 2, 3, 4, 6, 6]})
    >>> result, = compute_agreement(table)
    >>> result.n, round(result.statistics.kappa.value, 3)
    (6, 0.974)
    """
    pairs = paired_scores(table, instrument=instrument)
    return agreement_of_pairs(pairs, min_pairs=min_pairs)


def agreement_of_pairs(pairs: pd.DataFrame, *, min_pairs: int = MIN_PAIRS
                       ) -> tuple[ItemAgreement, ...]:
    """:func:`compute_agreement` on the output of :func:`paired_scores`."""
    results: list[ItemAgreement] = []
    for (name, key), group in pairs.groupby(["instrument", "item"], sort=False):
        spec = _item_spec(get_instrument(name), key)
        raters = list(dict.fromkeys(group["rater"])) if group["rater"].notna().any() else [None]
        for rater in raters:
            rows = group if rater is None else group[group["rater"] == rater]
            results.append(_item_result(name, spec, rater, rows["automatic"],
                                        rows["clinician"], min_pairs=min_pairs))
        if len(raters) > 1:
            by_recording = group.groupby("recording", sort=False).agg(
                automatic=("automatic", "first"), clinician=("clinician", "mean"))
            results.append(_item_result(name, spec, MEAN_OF_RATERS, by_recording["automatic"],
                                        by_recording["clinician"], min_pairs=min_pairs))
    return tuple(results)


def _item_result(instrument: str, spec: _ItemSpec, rater: str | None, automatic: pd.Series,
                 clinician: pd.Series, *, min_pairs: int) -> ItemAgreement:
    complete = automatic.notna() & clinician.notna()
    against_mean = rater == MEAN_OF_RATERS
    statistics = measure_agreement(
        automatic[complete].to_numpy(), clinician[complete].to_numpy(),
        categories=spec.categories if spec.ordinal and not against_mean else None,
        min_pairs=min_pairs)
    if against_mean and spec.ordinal and statistics.enough_pairs:
        statistics = replace(statistics, notes=statistics.notes + (
            "no kappa against the clinicians' mean (a mean is not a category)",))
    return ItemAgreement(
        instrument=instrument,
        item=spec.key,
        label=spec.label,
        rater=rater,
        ordinal=spec.ordinal,
        compared_on=spec.compared_on,
        n_missing=int((~complete).sum()),
        statistics=statistics,
    )


# --------------------------------------------------------------------------------------------
# views

_ESTIMATES = (("icc", "icc_agreement"), ("icc_consistency", "icc_consistency"),
              ("kappa", "kappa"), ("bias", "bias"), ("loa_lower", "loa_lower"),
              ("loa_upper", "loa_upper"), ("spearman", "spearman"))


def agreement_frame(results: Sequence[ItemAgreement]) -> pd.DataFrame:
    """One row per result, flat columns: ``instrument, item, label, rater, ordinal,
    compared_on, n, n_missing``, then for each statistic its value and ``_low``/``_high``
    bounds (``icc`` = ICC(A,1), ``icc_consistency`` = ICC(C,1), ``kappa``, ``bias``,
    ``loa_lower``, ``loa_upper``, ``spearman``), ``sd_difference`` and ``notes``. NaN where a
    statistic was not computed."""
    rows = []
    for result in results:
        row: dict[str, Any] = {
            "instrument": result.instrument, "item": result.item, "label": result.label,
            "rater": result.rater, "ordinal": result.ordinal,
            "compared_on": result.compared_on, "n": result.n, "n_missing": result.n_missing,
        }
        for column, attribute in _ESTIMATES:
            estimate: Estimate | None = getattr(result.statistics, attribute)
            row[column] = math.nan if estimate is None else estimate.value
            for bound in ("low", "high"):
                value = None if estimate is None else getattr(estimate, bound)
                row[f"{column}_{bound}"] = math.nan if value is None else value
        sd = result.statistics.sd_difference
        row["sd_difference"] = math.nan if sd is None else sd
        row["notes"] = "; ".join(result.statistics.notes)
        rows.append(row)
    return pd.DataFrame(rows)


def agreement_to_dict(results: Sequence[ItemAgreement], *,
                      software: dict[str, str] | None = None) -> dict[str, Any]:
    """A JSON-ready, self-describing document: format name and version, the software that
    computed it (``software``: name -> version, from the caller), the forms used, and one
    entry per result (the dataclasses as dicts)."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "software": dict(software or {}),
        "methods": METHODS,
        "min_pairs": MIN_PAIRS,
        "differences": "automatic - clinician",
        "results": [asdict(result) for result in results],
    }


#: One line per statistic: the exact form and how its interval is computed.
METHODS = {
    "icc_agreement": "ICC(A,1) = Shrout-Fleiss ICC(2,1): two-way random effects, absolute "
                     "agreement, single rater; 95 % CI F-based (McGraw & Wong 1996), pingouin",
    "icc_consistency": "ICC(C,1) = Shrout-Fleiss ICC(3,1): two-way mixed effects, consistency, "
                       "single rater; 95 % CI F-based, pingouin",
    "kappa": "Cohen's kappa, quadratic weights over the instrument's categories, ordinal items "
             "only; 95 % Wald CI from the Fleiss-Cohen-Everitt (1969) variance, statsmodels",
    "bias": "Bland-Altman mean difference automatic - clinician; 95 % CI Student t",
    "loa": "bias -/+ 1.96 SD of the differences; 95 % CI exact (Carkeet 2015, non-central t)",
    "spearman": "Spearman's rho, scipy; 95 % CI Fisher z with Bonett-Wright (2000) variance",
}
