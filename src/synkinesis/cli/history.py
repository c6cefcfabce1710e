"""``synk history``, ``synk trend``, ``synk compare``, ``synk due``, ``synk doses``: what the
record says about a patient over time."""

from __future__ import annotations

from pathlib import Path

import typer

from synkinesis.cli.common import ScaleRater, console, emit_json, json_option, overwrite_option
from synkinesis.cli.store_support import (
    bad_input_exits,
    fmt,
    include_voided_option,
    open_record,
    record_view,
)


def rater_option():
    """``--rater``: whose scale values a query uses, the same for every command here."""
    return typer.Option(None, "--rater", show_default=False,
                        help="Whose scale values (default: the clinician's when there are "
                             "any; values of different raters are never compared).")

def _text(choice: ScaleRater | None) -> str | None:
    return None if choice is None else str(choice)


def history(
    code: str = typer.Argument(..., help="Patient code."),
    include_voided: bool = include_voided_option(),
    as_json: str = json_option("the timeline"),
    overwrite: bool = overwrite_option(),
) -> None:
    """A patient's history as a timeline.

    Onset, visits with scores and recordings, toxin sessions with their injections, therapy
    sessions, procedures with prediction and outcome, by date.

    Example:

        synk history P001
    """
    from rich.markup import escape

    from synkinesis.store.queries import patient_timeline

    with bad_input_exits():
        store = open_record()
        with store.transaction() as session:
            events = patient_timeline(session, patient_code=code, include_voided=include_voided)
            record_view(session, code.upper(), "history")
    if as_json is not None:
        emit_json({"patient_code": code.upper(), "events": events}, as_json,
                  overwrite=overwrite)
        if as_json == "-":
            return
    if not events:
        console.print(f"{code} has no onset date, visits or treatments recorded yet",
                      highlight=False)
    for event in events:
        console.print(f"{event.day.isoformat()}  [bold]{event.kind:<9}[/bold] "
                      f"{escape(event.title)}"
                      + (f"  [dim]{event.ref if event.kind == 'visit' else event.ref[:8]}[/dim]"
                         if event.kind != "onset" else ""), highlight=False)
        for detail in event.details:
            console.print(f"{'':12}{'':10} {detail}", highlight=False, markup=False)


def trend(
    code: str = typer.Argument(..., help="Patient code."),
    index: str = typer.Argument(..., help="An instrument (sunnybrook, eface, hb, saq, ...: "
                                          "its total), INSTRUMENT.SUBSCORE or INSTRUMENT.ITEM "
                                          "(e.g. eface.ocular_synkinesis), or a measured index "
                                          "(e.g. palpebral_fissure_range_affected_pct)."),
    include_voided: bool = include_voided_option(),
    plot: Path = typer.Option(None, "--plot", help="Write the trend as a PNG plot here."),
    rater: ScaleRater = rater_option(),
    overwrite: bool = overwrite_option(),
    as_json: str = json_option("the trend"),
) -> None:
    """Trend of a score or measured index across visits (table and PNG plot).

    Shows each value with the change from the first and the treatments in between; --plot
    writes a PNG with toxin sessions and procedures marked.

    Example:

        synk trend P001 sunnybrook --plot P001-sunnybrook.png
    """
    from rich.table import Table

    from synkinesis.store.queries import trend as query_trend

    with bad_input_exits():
        if plot is not None and not plot.is_dir():  # a folder: the writer says it cannot
            from synkinesis.files import check_output_path

            check_output_path(plot, overwrite=overwrite)
        store = open_record()
        with store.transaction() as session:
            result = query_trend(session, patient_code=code, index=index, rater=_text(rater),
                                 include_voided=include_voided)
            record_view(session, result.patient_code, f"trend {result.index.name}")
        if plot is not None:
            from synkinesis.store.plot import plot_trend

            plot_trend(result, plot)
    if as_json is not None:
        emit_json({"patient_code": result.patient_code, "index": result.index,
                   "rater": result.rater, "rows": result.rows}, as_json, overwrite=overwrite)
        if as_json == "-":
            return
    spec = result.index
    direction = {True: "higher is better", False: "lower is better",
                 None: "direction not defined"}[spec.higher_is_better]
    rated = f"; rated by {result.rater}" if result.rater else ""
    console.print(f"[bold]{result.patient_code}: {spec.label}[/bold] ({spec.name}"
                  f"{', ' + spec.unit if spec.unit else ''}; {direction}{rated})",
                  highlight=False)
    if not result.points:
        console.print("no values stored yet")
    else:
        table = Table(box=None, padding=(0, 2))
        for column in ("date", "value", "interval", "vs first", "visit", "source",
                       "treatments since last"):
            table.add_column(column, justify="right" if column in ("value", "vs first") else "left")
        for row in result.rows:
            point = row.point
            interval = "" if point.interval is None else (
                (f"{point.level:.0%} ".replace("%", " %") if point.level else "")
                + f"{fmt(point.interval[0])}..{fmt(point.interval[1])}")
            table.add_row(point.day.isoformat(), fmt(point.value), interval,
                          "" if row.change_from_first is None
                          else f"{row.change_from_first:+.4g}",
                          point.visit_ref, point.source,
                          "; ".join(t.title for t in row.treatments_since_previous))
        console.print(table)
    if plot is not None:
        console.print(f"plot: {plot}", highlight=False)


def compare(
    code: str = typer.Argument(..., help="Patient code."),
    index: str = typer.Argument(..., help="Index, as for `synk trend`."),
    after_days: int = typer.Option(14, "--after-days", min=0, max=3650,
                                   help="Compare with the value this many days after each "
                                        "treatment (14 = the 2-week toxin review)."),
    tolerance_days: int = typer.Option(7, "--tolerance-days", min=0, max=365,
                                       help="How far from that day a value may be."),
    date: str = typer.Option(None, "--date", help="Only the treatment on this date "
                                                  "(YYYY-MM-DD); any date works."),
    include_voided: bool = include_voided_option(),
    rater: ScaleRater = rater_option(),
    as_json: str = json_option("the comparisons"),
    overwrite: bool = overwrite_option(),
) -> None:
    """Before/after comparison of an index around each treatment.

    For each toxin session and procedure: the last value on or before the treatment against
    the value nearest AFTER-DAYS after it (within TOLERANCE-DAYS).

    Example:

        synk compare P001 eface.ocular_synkinesis --after-days 14
    """
    from rich.table import Table

    from synkinesis.store.queries import before_after, compare_treatments

    with bad_input_exits():
        store = open_record()
        with store.transaction() as session:
            record_view(session, code.upper(), f"compare {index}")
            if date is not None:
                from synkinesis.store.repository import parse_date

                rows = [before_after(session, patient_code=code, index=index,
                                     treatment_date=parse_date(date, what="--date"),
                                     after_days=after_days, tolerance_days=tolerance_days,
                                     rater=_text(rater), include_voided=include_voided)]
            else:
                rows = compare_treatments(session, patient_code=code, index=index,
                                          after_days=after_days, tolerance_days=tolerance_days,
                                          rater=_text(rater), include_voided=include_voided)
    if as_json is not None:
        emit_json({"patient_code": code.upper(), "after_days": after_days, "rows": rows},
                  as_json, overwrite=overwrite)
        if as_json == "-":
            return
    if not rows:
        console.print(f"{code} has no toxin session or procedure to compare around")
        return
    rated = f" (rated by {rows[0].rater})" if rows[0].rater else ""
    console.print(f"[bold]{code}: {rows[0].index.label}[/bold]{rated}, before vs ~{after_days} "
                  "days after each treatment", highlight=False)
    table = Table(box=None, padding=(0, 2))
    for column in ("treatment", "date", "before", "after", "change", "result"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.treatment.title, row.treatment.day.isoformat(),
            "-" if row.before is None else f"{fmt(row.before.value)} ({row.before.day})",
            "-" if row.after is None else f"{fmt(row.after.value)} ({row.after.day})",
            "-" if row.change is None else f"{row.change:+.4g}", row.verdict)
    console.print(table)


def due(
    interval_days: int = typer.Option(None, "--interval-days", min=1, max=3650,
                                      help="Minimum days between toxin sessions (default "
                                           "SYNK_TOXIN_INTERVAL_DAYS or 84 = 12 weeks)."),
    today: str = typer.Option(None, "--today", help="Reference date (default: today, UTC)."),
    code: str = typer.Option(None, "--patient", help="Only this patient."),
    include_voided: bool = include_voided_option(),
    as_json: str = json_option("the due dates"),
    overwrite: bool = overwrite_option(),
) -> None:
    """When each patient's next toxin session is due.

    Last session + the minimum interval (re-inject every ~3..4 months, not under ~12 weeks
    [U], CLINICAL.md).

    Example:

        synk due --interval-days 90
    """
    from rich.table import Table

    from synkinesis.store.queries import toxin_due
    from synkinesis.store.repository import parse_date, today_utc

    with bad_input_exits():
        reference = today_utc() if today is None else parse_date(today, what="--today")
        store = open_record()
        interval = interval_days or store.settings.toxin_interval_days
        with store.transaction() as session:
            entries = toxin_due(session, interval_days=interval, today=reference,
                                patient_code=code, include_voided=include_voided)
            record_view(session, code.upper() if code else None, "toxin due")
    if as_json is not None:
        emit_json({"interval_days": interval, "today": reference, "patients": entries},
                  as_json, overwrite=overwrite)
        if as_json == "-":
            return
    console.print(f"next toxin due (minimum interval {interval} days [U]; today "
                  f"{reference.isoformat()})", highlight=False)
    if not entries:
        console.print("no toxin sessions recorded")
        return
    table = Table(box=None, padding=(0, 2))
    for column in ("patient", "last session", "sessions", "due from", "status"):
        table.add_column(column)
    for entry in entries:
        status = (f"due (since {-entry.days_until} days)" if entry.is_due
                  else f"not before {entry.due_date.isoformat()} ({entry.days_until} days)")
        table.add_row(entry.patient_code, entry.last_session.isoformat(), str(entry.sessions),
                      entry.due_date.isoformat(), status)
    console.print(table)


def doses(
    code: str = typer.Argument(..., help="Patient code."),
    effects: bool = typer.Option(False, "--effects",
                                 help="Also show, per dose, the change of the pattern the "
                                      "muscle drives (before vs ~14 days after)."),
    after_days: int = typer.Option(14, "--after-days", min=0, max=3650,
                                   help="Days after the session for --effects."),
    include_voided: bool = include_voided_option(),
    rater: ScaleRater = rater_option(),
    as_json: str = json_option("the doses (and effects)"),
    overwrite: bool = overwrite_option(),
) -> None:
    """Doses per muscle and side over time, and their effect.

    One column per session; with --effects, the change of the synkinesis pattern each muscle
    drives (before vs ~AFTER-DAYS after the session).

    Example:

        synk doses P001 --effects
    """
    from rich.table import Table

    from synkinesis.store.queries import dose_table, muscle_effects

    with bad_input_exits():
        store = open_record()
        with store.transaction() as session:
            doses_by_day = dose_table(session, patient_code=code, include_voided=include_voided)
            found = muscle_effects(session, patient_code=code, after_days=after_days,
                                   rater=_text(rater),
                                   include_voided=include_voided) if effects else []
            record_view(session, code.upper(), "doses")
    if as_json is not None:
        emit_json({"patient_code": code.upper(), "days": doses_by_day.days,
                   "rows": [{"muscle": muscle, "side": side, "units": cells, "total": total}
                            for muscle, side, cells, total in doses_by_day.rows],
                   "effects": found}, as_json, overwrite=overwrite)
        if as_json == "-":
            return
    if not doses_by_day.rows:
        console.print(f"{code} has no toxin sessions")
        return
    table = Table(box=None, padding=(0, 2), title=f"{code}: units per muscle and side",
                  title_justify="left")
    table.add_column("muscle")
    table.add_column("side")
    for day in doses_by_day.days:
        table.add_column(day.isoformat(), justify="right")
    table.add_column("total", justify="right")
    for muscle, side, cells, total in doses_by_day.rows:
        table.add_row(muscle, side, *["" if c is None else fmt(c) for c in cells], fmt(total))
    console.print(table)
    if effects:
        if not found:
            console.print("no scores or indices of the patterns these muscles drive yet")
            return
        console.print(f"[bold]effect on the pattern each muscle drives, before vs ~{after_days} "
                      "days after[/bold]", highlight=False)
        for effect in found:
            c = effect.comparison
            before = "-" if c.before is None else f"{fmt(c.before.value)} ({c.before.day})"
            after = "no value" if c.after is None else f"{fmt(c.after.value)} ({c.after.day})"
            change = "" if c.change is None else f", {c.change:+.4g}" + (
                "" if c.verdict == "-" else f" {c.verdict}")
            rated = f" ({c.rater})" if c.rater else ""
            console.print(f"  {effect.day.isoformat()} {effect.muscle} {effect.side} "
                          f"{fmt(effect.units)} U -> {effect.pattern}: {c.index.name}{rated} "
                          f"{before} -> {after}{change}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command("history")(history)
    app.command("trend")(trend)
    app.command("compare")(compare)
    app.command("due")(due)
    app.command("doses")(doses)
