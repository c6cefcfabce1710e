"""The table of ``synk validate``'s interval decisions (issue 19 targets), for the console."""

from __future__ import annotations

import math

from rich.table import Table

TITLE = ("decisions from the 90 % intervals (what `synk analyze` calls; issue 19 targets: "
         "sensitivity >= 0.90, specificity >= 0.95, side >= 0.95, within one class >= 0.90, "
         "Spearman >= 0.90). Found = the interval's low end at least mild (an uncertain call "
         "reaching down to none is not found); side: of those found, on the side the analysis "
         "names or leans to; called none: truly at least mild but the whole interval below "
         "mild (false reassurance)")
COLUMNS = ("pattern", "case-sides", "sensitivity", "called none", "specificity", "uncertain",
           "side", "within one class", "Spearman", "TP", "FN", "TN", "FP")
WHY_TITLE = ("why missed (truly at least mild, not found): called none = the whole interval "
             "below mild; below resolution = it spans the mild cut and the truth lies within "
             "its half-width above the cut; reads low = the truth lies further above, the "
             "index within the half-width; low tail = the index lies further above too, yet "
             "the interval reaches below the cut; no interval = no interval or index kept")
WHY_COLUMNS = ("pattern", "misses", "called none", "below resolution", "reads low",
               "low tail", "no interval")


def decision_table(report) -> Table:
    """A rich table of :attr:`synkinesis.simulate.validation.ValidationReport.decisions`."""
    from synkinesis.simulate import PATTERNS  # here: `synk --help` imports every cli module

    def number(value: float) -> str:
        return "-" if math.isnan(value) else f"{value:.2f}"

    table = Table(title=TITLE, box=None, padding=(0, 1), title_justify="left")
    for header in COLUMNS:
        table.add_column(header, justify="left" if header == "pattern" else "right")
    for pattern in PATTERNS:
        d = report.decisions[pattern]
        table.add_row(pattern, f"{d['case_sides']:.0f}", number(d["sensitivity"]),
                      f"{d['called_none']:.0f}", number(d["specificity"]),
                      number(d["uncertain"]), number(d["side"]),
                      number(d["within_one"]), number(d["spearman"]),
                      *(f"{d[k]:.0f}" for k in ("tp", "fn", "tn", "fp")))
    return table


def why_table(report) -> Table:
    """A rich table of the misses of the interval decisions by why
    (:func:`synkinesis.simulate.grading.why_missed`), one row per pattern."""
    from synkinesis.simulate import PATTERNS

    table = Table(title=WHY_TITLE, box=None, padding=(0, 1), title_justify="left")
    for header in WHY_COLUMNS:
        table.add_column(header, justify="left" if header == "pattern" else "right")
    for pattern in PATTERNS:
        d = report.decisions[pattern]
        table.add_row(pattern, *(f"{d[k]:.0f}" for k in (
            "fn", "called_none", "below_resolution", "reads_low", "low_tail",
            "no_interval")))
    return table
