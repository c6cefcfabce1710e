"""Trend plot of one index across visits, with toxin sessions and procedures marked (PNG)."""

from __future__ import annotations

from pathlib import Path

from synkinesis.store.errors import writing
from synkinesis.store.queries import Trend

__all__ = ["plot_trend"]


def plot_trend(trend: Trend, path: Path, *, dpi: int = 120) -> Path:
    """Write ``trend`` as a PNG (Matplotlib Agg backend, no display needed).

    Values are dots joined in date order, one line per source (clinician, automatic, measure,
    analysis...); toxin sessions are dashed vertical lines labelled with their units,
    procedures dotted. Written atomically.

    Raises
    ------
    StoreError
        The file cannot be written there.
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.dates import date2num
    from matplotlib.figure import Figure

    from synkinesis.files import atomic_output

    figure = Figure(figsize=(8, 4.5), layout="constrained")
    axes = figure.add_subplot()
    sources = sorted({p.source for p in trend.points})
    for source in sources:
        points = [p for p in trend.points if p.source == source]
        line = axes.plot(date2num([p.day for p in points]), [p.value for p in points],
                         marker="o", label=source)[0]
        bounded = [p for p in points if p.interval is not None]
        if bounded:  # the stored interval of each value, where there is one
            axes.errorbar(date2num([p.day for p in bounded]), [p.value for p in bounded],
                          yerr=[[p.value - p.interval[0] for p in bounded],
                                [p.interval[1] - p.value for p in bounded]],
                          fmt="none", ecolor=line.get_color(), capsize=3, alpha=0.8)
    for treatment in trend.treatments:
        toxin = treatment.kind == "toxin"
        day = float(date2num(treatment.day))
        axes.axvline(day, color="tab:red" if toxin else "tab:purple",
                     linestyle="--" if toxin else ":", linewidth=1, alpha=0.7)
        axes.annotate(treatment.title, (day, 1.0), xycoords=("data", "axes fraction"),
                      rotation=90, va="top", ha="right", fontsize=7, color="dimgray")
    unit = f" ({trend.index.unit})" if trend.index.unit else ""
    direction = {True: ", higher is better", False: ", lower is better", None: ""}[
        trend.index.higher_is_better]
    rated = f", rated by {trend.rater}" if trend.rater else ""
    axes.set_title(f"{trend.patient_code}: {trend.index.label}{rated}")
    axes.set_ylabel(f"{trend.index.name}{unit}{direction}")
    axes.set_xlabel("date")
    if not trend.points:
        axes.text(0.5, 0.5, "no values stored yet", transform=axes.transAxes, ha="center")
    if len(sources) > 1:
        axes.legend(fontsize=8)
    axes.grid(True, alpha=0.3)
    axes.xaxis_date()
    figure.autofmt_xdate()
    path = Path(path)
    with writing(path), atomic_output(path) as temporary:
        figure.savefig(temporary, format="png", dpi=dpi)
    return path
