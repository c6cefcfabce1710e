"""Bland-Altman plots of the agreement of automatic and clinician scores (PNG)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from synkinesis.cohort.agreement import MEAN_OF_RATERS, ItemAgreement
from synkinesis.files import check_output_path, make_private_dir

__all__ = ["bland_altman_path", "save_bland_altman_plots"]


def bland_altman_path(directory: str | os.PathLike[str], result: ItemAgreement) -> Path:
    """Where the plot of one result goes: ``<instrument>_<item>[_<rater>].png``."""
    parts = [result.instrument, result.item]
    if result.rater is not None:
        parts.append("mean" if result.rater == MEAN_OF_RATERS else result.rater)
    name = "_".join(re.sub(r"[^A-Za-z0-9._-]+", "-", part).strip("-") for part in parts)
    return Path(directory) / f"{name}.png"


def _pairs_of(pairs: pd.DataFrame, result: ItemAgreement) -> tuple[np.ndarray, np.ndarray]:
    rows = pairs[(pairs["instrument"] == result.instrument) & (pairs["item"] == result.item)]
    if result.rater == MEAN_OF_RATERS:
        rows = rows.groupby("recording", sort=False).agg(
            automatic=("automatic", "first"), clinician=("clinician", "mean"))
    elif result.rater is not None:
        rows = rows[rows["rater"] == result.rater]
    rows = rows.dropna(subset=["automatic", "clinician"])
    return rows["automatic"].to_numpy(float), rows["clinician"].to_numpy(float)


def save_bland_altman_plots(
    pairs: pd.DataFrame,
    results: Sequence[ItemAgreement],
    directory: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    inputs: Sequence[str | os.PathLike[str]] = (),
) -> list[Path]:
    """Write one Bland-Altman plot per result that has enough pairs.

    Each plot shows, per recording (a larger marker where several coincide), the difference
    ``automatic - clinician`` against the mean of the two, the bias and the 95 % limits of
    agreement as lines, and their 95 % confidence intervals as shaded bands.

    Parameters
    ----------
    pairs : DataFrame
        The scores, from :func:`synkinesis.cohort.agreement.paired_scores`.
    results : sequence of ItemAgreement
        From :func:`synkinesis.cohort.agreement.agreement_of_pairs` on the same ``pairs``.
    directory : path
        Created (private, 0700) if missing; files are named by :func:`bland_altman_path`.
    overwrite : bool
        Replace existing plots (otherwise :class:`synkinesis.files.OutputPathError`, checked
        for every file before any is written).
    inputs : paths
        Files never to overwrite.

    Returns
    -------
    list of Path
        The files written.
    """
    # The Agg canvas on a bare Figure: no pyplot, and the caller's backend is left alone.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from synkinesis import __version__

    plotted = [result for result in results if result.statistics.enough_pairs]
    targets = [bland_altman_path(directory, result) for result in plotted]
    for target in targets:
        check_output_path(target, inputs=inputs, overwrite=overwrite)
    make_private_dir(directory)
    for result, target in zip(plotted, targets):
        statistics = result.statistics
        assert statistics.bias is not None
        assert statistics.loa_lower is not None and statistics.loa_upper is not None
        automatic, clinician = _pairs_of(pairs, result)
        figure = Figure(figsize=(6, 4.5), layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        # graded items put many recordings on one point: the marker area counts them
        points, counts = np.unique(np.column_stack([(automatic + clinician) / 2,
                                                    automatic - clinician]),
                                   axis=0, return_counts=True)
        axes.scatter(points[:, 0], points[:, 1], s=18 * counts, alpha=0.7, color="tab:blue",
                     edgecolors="none")
        for estimate, name, style in ((statistics.bias, "bias", "-"),
                                      (statistics.loa_lower, "lower LoA", "--"),
                                      (statistics.loa_upper, "upper LoA", "--")):
            axes.axhline(estimate.value, color="black", linestyle=style, linewidth=1,
                         label=f"{name} {estimate.value:.2f}")
            if estimate.low is not None and estimate.high is not None:
                axes.axhspan(estimate.low, estimate.high, color="grey", alpha=0.2,
                             linewidth=0)
        axes.axhline(0, color="grey", linewidth=0.5)
        units = "raw 0..200" if result.compared_on == "raw" else "points"
        axes.set_xlabel(f"mean of automatic and clinician ({units})")
        axes.set_ylabel(f"automatic - clinician ({units})")
        who = "" if result.rater is None else f", {result.rater}"
        repeated = ", marker area = recordings" if counts.max() > 1 else ""
        axes.set_title(f"{result.instrument} {result.item}{who} (n = {statistics.n}"
                       f"{repeated})", fontsize=10)
        axes.legend(fontsize=8, loc="best")
        figure.savefig(target, dpi=120, metadata={
            "Software": f"synkinesis {__version__}",
            "Description": f"Bland-Altman plot, {result.instrument} {result.item}{who}, "
                           "differences automatic - clinician"})
    return targets
