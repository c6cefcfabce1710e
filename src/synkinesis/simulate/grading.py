"""How the simulator grid's interval decisions are graded against the truth: the issue-19
targets per pattern (:func:`interval_decisions`), why each truly present pattern was missed
(:func:`why_missed`, :func:`interval_misses`), and the eFACE synkinesis items against the
generative truth (:func:`true_eface_items`, :func:`eface_agreement`). Pure: the cases in,
numbers out (:mod:`synkinesis.simulate.validation` simulates, measures and analyses them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from synkinesis.findings import SEVERITIES, SEVERITY_CUTS
from synkinesis.regions import SIDES
from synkinesis.simulate.truth import PATTERNS

if TYPE_CHECKING:
    from synkinesis.simulate.validation import ValidationCase

#: Why a truly present pattern was not found by the interval decision (:func:`why_missed`),
#: in the order the tables print them.
MISS_REASONS = ("called none", "below resolution", "reads low", "low tail", "no interval")


@dataclass(frozen=True)
class Miss:
    """A truly present pattern (true grade at least mild) on one side of one simulated patient
    that the interval decision did not find, and why (:func:`why_missed`).

    Attributes
    ----------
    seed : int
        The case's :attr:`SimulationSpec.seed`.
    side, pattern, call : str
        The side taken as affected, the pattern, and the call there (none or uncertain).
    low, high : float
        The index's 90 % interval, points (NaN when the case did not keep it).
    true_index, found_index, mild_cut : float
        Points.
    reason : str
        One of :data:`MISS_REASONS` ("no interval" when the interval was not kept).
    text : str
        The reason with its figures, for a table.
    """

    seed: int
    side: str
    pattern: str
    call: str
    low: float
    high: float
    true_index: float
    found_index: float
    mild_cut: float
    reason: str
    text: str


def why_missed(call: str, low: float, high: float, true_index: float, found_index: float,
               mild_cut: float = SEVERITY_CUTS[0]) -> tuple[str, str]:
    """Why a truly present pattern (true index at least the mild cut) was not found, from
    the measured quantities alone (no tuned threshold):

    - "called none": the whole interval lies below the mild cut, so the analysis reassures
      although the truth is at least mild (the clinically worst error);
    - otherwise the interval spans the cut (an "uncertain" call reaching down to none), with
      ``half`` its half-width ((high - low) / 2): "below resolution" when the truth itself
      lies within ``half`` above the cut, so no reading this uncertain could put the interval
      above it; "reads low" when the truth lies further above the cut but the index does not
      (it reads low enough for its interval to reach the cut); else "low tail" (the index
      lies more than ``half`` above the cut, yet the interval reaches below it: a skewed
      interval);
    - "no interval" when the index or its interval is not a number.

    Parameters
    ----------
    call : str
        The interval decision (none or uncertain).
    low, high : float
        The index's interval, points.
    true_index, found_index, mild_cut : float
        Points.

    Returns
    -------
    reason : str
        One of :data:`MISS_REASONS`.
    text : str
        The reason with its figures.
    """
    gap = found_index - true_index
    bounded = bool(np.isfinite(low) and np.isfinite(high))
    if call == "none":
        where = f"the interval {low:.2f}..{high:.2f}" if bounded else "the call"
        text = (f"called none: {where} stays below the mild cut {mild_cut:g} although the "
                f"truth reads {true_index:.2f}")
        if np.isfinite(gap):
            text += f" (the index reads {gap:+.2f} points)"
        return "called none", text
    if not (bounded and np.isfinite(found_index)):
        return "no interval", (f"uncertain, without an interval or index to say why (index "
                               f"{found_index:.2f}, truth {true_index:.2f})")
    half = (high - low) / 2.0
    above = true_index - mild_cut
    if above <= half:
        return "below resolution", (
            f"below resolution: the truth is {above:.2f} points above the cut, the interval's "
            f"half-width {half:.2f}")
    if found_index - mild_cut <= half:
        return "reads low", (f"reads low by {-gap:.2f} points (index {found_index:.2f}, truth "
                             f"{true_index:.2f}; interval {low:.2f}..{high:.2f})")
    return "low tail", (f"low tail: the index {found_index:.2f} lies more than the interval's "
                        f"half-width {half:.2f} above the cut, but the interval reaches down "
                        f"to {low:.2f}")


def interval_misses(cases: tuple[ValidationCase, ...]) -> tuple[Miss, ...]:
    """Every truly present pattern the interval decision did not find (the false negatives
    of :attr:`ValidationReport.decisions`), with why (:func:`why_missed`)."""
    out = []
    for case in cases:
        if case.interval_calls is None:
            continue
        for side in SIDES:
            for pattern in PATTERNS:
                if pattern not in case.interval_calls[side]:
                    continue
                call, low_class, _ = case.interval_calls[side][pattern]
                if call not in (*SEVERITIES, "uncertain"):
                    continue  # not measurable / not assessable: no call to grade
                if case.true_grades[side][pattern] < 1 or low_class in SEVERITIES[1:]:
                    continue
                low, high = ((case.interval_points or {}).get(side, {})
                             .get(pattern, (float("nan"), float("nan"))))
                true_index = float(case.true_index[side][pattern])
                found_index = float(case.found_index[side][pattern])
                cut = float((case.mild_cuts or {}).get(pattern, SEVERITY_CUTS[0]))
                reason, text = why_missed(call, low, high, true_index, found_index, cut)
                out.append(Miss(case.spec.seed, side, pattern, call, float(low), float(high),
                                true_index, found_index, cut, reason, text))
    return tuple(out)


def _rates(counts: dict[str, int]) -> tuple[float, float]:
    """Sensitivity and specificity (NaN without a positive / negative case)."""
    positives, negatives = counts["tp"] + counts["fn"], counts["tn"] + counts["fp"]
    return (counts["tp"] / positives if positives else float("nan"),
            counts["tn"] / negatives if negatives else float("nan"))


def interval_decisions(cases: tuple[ValidationCase, ...],
                       misses: tuple[Miss, ...] | None = None) -> dict[str, dict[str, float]]:
    """The issue 19 targets graded on the interval decisions (see
    :attr:`ValidationReport.decisions`); ``misses``: :func:`interval_misses` of the same
    cases, when the caller has them already."""
    from scipy.stats import spearmanr

    from synkinesis.findings import points_grade

    out = {}
    misses = interval_misses(cases) if misses is None else misses
    for pattern in PATTERNS:
        c = {"tp": 0, "fp": 0, "tn": 0, "fn": 0}
        uncertain = total = named = within = 0
        true_points, found_points = [], []
        for case in cases:
            assert case.interval_calls is not None
            for side in SIDES:
                if pattern not in case.interval_calls[side]:
                    continue
                call, low, high = case.interval_calls[side][pattern]
                if call not in (*SEVERITIES, "uncertain"):
                    continue  # not measurable / not assessable: no call to grade
                true_grade = case.true_grades[side][pattern]
                truly = true_grade >= 1
                found = low in SEVERITIES[1:]
                c[("t" if truly == found else "f") + ("p" if found else "n")] += 1
                total += 1
                uncertain += call == "uncertain"
                if truly and found:
                    named += case.leaning == side
                index = case.found_index[side][pattern]
                grade = (SEVERITIES.index(call) if call in SEVERITIES else int(np.clip(
                    points_grade(index) if np.isfinite(index) else 0,
                    SEVERITIES.index(low), SEVERITIES.index(high))))
                within += abs(grade - true_grade) <= 1
                if np.isfinite(index):
                    true_points.append(max(case.true_index[side][pattern], 0.0))
                    found_points.append(max(index, 0.0))
        sensitivity, specificity = _rates(c)
        rho = float("nan")
        if len(set(true_points)) > 1 and len(set(found_points)) > 1:
            rho = float(spearmanr(true_points, found_points).statistic)
        out[pattern] = {
            "sensitivity": sensitivity, "specificity": specificity,
            "uncertain": uncertain / total if total else float("nan"),
            "side": named / c["tp"] if c["tp"] else float("nan"),
            "within_one": within / total if total else float("nan"),
            "spearman": rho, "case_sides": float(total),
            "tp": float(c["tp"]), "fn": float(c["fn"]), "tn": float(c["tn"]),
            "fp": float(c["fp"]),
            **{reason.replace(" ", "_"): float(sum(m.pattern == pattern and m.reason == reason
                                                   for m in misses))
               for reason in MISS_REASONS}}
    return out


#: The eFACE synkinesis items graded on the grid (the platysmal one is a proxy the simulator
#: does not model) and the issue 19 tolerance, eFACE points.
EFACE_SYNKINESIS_ITEMS = ("ocular_synkinesis", "midfacial_synkinesis", "mentalis_synkinesis")
EFACE_TOLERANCE = 10.0


def true_eface_items(truth) -> dict[str, dict[str, float]]:
    """The eFACE synkinesis items of the simulator's truth with each side taken as affected:
    ocular from the true palpebral fissures (Auto-eFACE's ratio, in the truth itself), midfacial
    and mentalis by the project's mapping ``100 - POINTS_TO_EFACE * points`` of the TRUE
    oral-ocular and mentalis indices (from the generative excess and CLINICAL.md's anchors, not
    from :mod:`synkinesis.findings`)."""
    from synkinesis.scales.automatic import POINTS_TO_EFACE

    def item(side: str, pattern: str) -> float:
        points = max(float(truth.patterns[side][pattern]), 0.0)
        return float(np.clip(100.0 - POINTS_TO_EFACE * points, 0.0, 100.0))

    return {side: {"ocular_synkinesis": float(truth.items[side]["eface_ocular_synkinesis"]),
                   "midfacial_synkinesis": item(side, "oral_ocular"),
                   "mentalis_synkinesis": item(side, "mentalis")} for side in SIDES}


def eface_agreement(cases: tuple[ValidationCase, ...]
                    ) -> dict[str, tuple[int, int, int, int]] | None:
    """Per eFACE synkinesis item, (within :data:`EFACE_TOLERANCE` of the truth, estimated) over
    every case-side where the analysis estimates the item, then the same over the case-sides
    whose TRUE item is more than the tolerance below 100 (synkinesis present: the sides where
    reading "no synkinesis", 100, would be out of tolerance; a healthy side reading 100 against
    100 agrees trivially); None when no case carries items."""
    if not any(case.found_eface for case in cases):
        return None
    out = {}
    for key in EFACE_SYNKINESIS_ITEMS:
        within = estimated = within_present = present = 0
        for case in cases:
            if not case.found_eface or not case.true_eface:
                continue
            for side in SIDES:
                found, true = case.found_eface[side][key], case.true_eface[side][key]
                if np.isfinite(found) and np.isfinite(true):
                    close = abs(found - true) <= EFACE_TOLERANCE
                    estimated += 1
                    within += close
                    if true < 100.0 - EFACE_TOLERANCE:
                        present += 1
                        within_present += close
        out[key] = (within, estimated, within_present, present)
    return out
