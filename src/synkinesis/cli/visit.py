"""``synk visit add|score|compare``: assessment visits, the clinical scales scored at them,
and any two visits side by side."""

from __future__ import annotations

from pathlib import Path

import typer

from synkinesis.cli.common import console, json_option, overwrite_option
from synkinesis.cli.store_support import (
    AfterCommit,
    bad_input_exits,
    fmt,
    open_record,
    parse_pairs,
    reason_option,
    record_view,
    void_command,
)
from synkinesis.scales.base import Rater

visit_app = typer.Typer(help="Assessment visits, their scale scores, and two visits compared.",
                        no_args_is_help=True)


@visit_app.command("add")
def visit_add(
    code: str = typer.Argument(..., help="Patient code."),
    date: str = typer.Option(..., "--date", help="Visit date, YYYY-MM-DD (not in the future, "
                                                 "not before onset)."),
    label: str = typer.Option("", "--label", help="e.g. baseline, 2-week toxin review."),
    clinician: str = typer.Option("", "--clinician", help="Who saw the patient."),
    notes: str = typer.Option("", "--notes", help="Free-text notes."),
) -> None:
    """Add an assessment visit.

    Prints its reference CODE@DATE, used by `synk record add --visit` and
    `synk visit score`.

    Example:

        synk visit add P001 --date 2026-03-02 --label baseline
    """
    from synkinesis.store import repository

    with bad_input_exits():
        store = open_record()
        later = AfterCommit()
        with store.transaction() as session:
            visit = repository.create_visit(session, patient_code=code, visit_date=date,
                                            label=label, clinician=clinician, notes=notes)
            later.print(f"added visit {repository.visit_reference(visit)} (id {visit.id})",
                        highlight=False)
        later.flush()


@visit_app.command("score")
def visit_score(
    visit: str = typer.Argument(..., help="Visit: CODE@YYYY-MM-DD or its id."),
    instrument: str = typer.Argument(..., help="sunnybrook, eface, house_brackmann (hb), "
                                               "fngs2, saq or face_qol (face)."),
    item: list[str] = typer.Option(None, "--item", "-i", help="ITEM=VALUE, repeatable "
                                   "(`synk score INSTRUMENT --form` lists the items)."),
    file: Path = typer.Option(None, "--file", "-f", help="JSON form: {item: value} or "
                              "{\"items\": {...}}, or a saved synkinesis.scale_result."),
    option: list[str] = typer.Option(None, "--option",
                                     help="Scoring option NAME=VALUE, repeatable."),
    rater: Rater = typer.Option(None, "--rater", show_default=False,
                                help="Who rated (default: the instrument's usual rater)."),
    rater_name: str = typer.Option("", "--rater-name", help="Who scored (name or id)."),
    draft: bool = typer.Option(False, "--draft", help="Allow missing items (no total)."),
) -> None:
    """Score a clinical scale at a visit and store it.

    Validated and scored by the scales library; the full result is kept.

    Example:

        synk visit score P001@2026-03-02 hb -i grade=III --rater-name "Dr A"

        synk visit score P001@2026-03-02 sunnybrook -f sunnybrook.json
    """
    from synkinesis.store import repository
    from synkinesis.store.errors import StoreValidationError
    from synkinesis.store.exchange import read_json

    with bad_input_exits():
        items: dict = {}
        options = parse_pairs(option, what="--option")
        if file is not None:
            data = read_json(file)
            if not isinstance(data, dict):
                raise StoreValidationError(f"{file} must hold a JSON object of items")
            if data.get("format") == "synkinesis.scale_result":
                items = {k: data.get("choices", {}).get(k, v) for k, v in data["items"].items()}
                options = {**data.get("options", {}), **options}
            else:
                items = dict(data.get("items", data))
        items.update(parse_pairs(item, what="--item"))
        store = open_record()
        later = AfterCommit()
        with store.transaction() as session:
            found = repository.find_visit(session, ref=visit)
            score = repository.add_score(session, visit=found, instrument=instrument,
                                         items=items, rater=rater, rater_name=rater_name,
                                         options=options or None, draft=draft)
            grade = (score.result.get("grade") or {}).get("name")
            total = "draft (no total)" if score.draft else fmt(score.total)
            later.print(f"stored {score.instrument} {total}"
                        + (f", grade {grade}" if grade else "")
                        + f" for {repository.visit_reference(found)} by {score.rater}",
                        highlight=False)
            for note in score.result.get("uncertain", []):
                later.print(f"  uncertain [U]: {note}", highlight=False, markup=False)
        later.flush()


@visit_app.command("void")
def visit_void(
    visit: str = typer.Argument(..., help="Visit: CODE@YYYY-MM-DD or its id."),
    reason: str = reason_option(),
) -> None:
    """Void a visit entered by mistake, with its scores and recordings.

    It stays in the record (and the audit trail says who voided it and why) but is left out
    of history, trends and exports unless --include-voided.

    Example:

        synk visit void P001@2026-03-02 --reason "entered for the wrong patient"
    """
    void_command("visit", visit, reason)


@visit_app.command("amend")
def visit_amend(
    visit: str = typer.Argument(..., help="Visit: CODE@YYYY-MM-DD or its id."),
    reason: str = reason_option(),
    date: str = typer.Option(None, "--date", help="Corrected date, YYYY-MM-DD."),
    label: str = typer.Option(None, "--label", help="Corrected label."),
    clinician: str = typer.Option(None, "--clinician", help="Corrected clinician."),
    notes: str = typer.Option(None, "--notes", help="Corrected notes."),
) -> None:
    """Correct a visit's date, label, clinician or notes.

    The old values and the reason are kept in the audit trail (`synk audit`).

    Example:

        synk visit amend P001@2026-03-02 --date 2026-03-03 --reason "typo in the date"
    """
    from synkinesis.store import repository

    with bad_input_exits():
        store = open_record()
        later = AfterCommit()
        with store.transaction() as session:
            found = repository.find_visit(session, ref=visit)
            repository.amend_visit(session, visit=found, reason=reason, visit_date=date,
                                   label=label, clinician=clinician, notes=notes)
            later.print(f"amended visit {repository.visit_reference(found)} (id {found.id})",
                        highlight=False)
        later.flush()


@visit_app.command("score-amend")
def score_amend(
    score: str = typer.Argument(..., help="Score id (or its first 6+ characters; "
                                          "`synk history` shows them)."),
    reason: str = reason_option(),
    item: list[str] = typer.Option(None, "--item", "-i", help="Corrected ITEM=VALUE, "
                                   "repeatable; the other items are kept."),
    option: list[str] = typer.Option(None, "--option",
                                     help="Scoring option NAME=VALUE, repeatable."),
    rater_name: str = typer.Option(None, "--rater-name", help="Corrected rater name."),
) -> None:
    """Correct items of a stored scale score; it is re-scored by the scales library.

    The old result and the reason are kept in the audit trail (`synk audit`).

    Example:

        synk visit score-amend 3f2a9c -i grade=IV --reason "grade misread"
    """
    from synkinesis.store import repository

    with bad_input_exits():
        items = parse_pairs(item, what="--item")
        options = parse_pairs(option, what="--option")
        store = open_record()
        later = AfterCommit()
        with store.transaction() as session:
            found = repository.find_entry(session, kind="score", ref=score)
            repository.amend_score(session, score=found, reason=reason, items=items,
                                   options=options or None, rater_name=rater_name)
            total = "draft (no total)" if found.draft else fmt(found.total)
            later.print(f"amended {found.instrument} {found.id[:8]}: now {total}",
                        highlight=False)
        later.flush()


@visit_app.command("score-void")
def score_void(
    score: str = typer.Argument(..., help="Score id (or its first 6+ characters)."),
    reason: str = reason_option(),
) -> None:
    """Void a scale score entered by mistake (kept, hidden unless --include-voided).

    Example:

        synk visit score-void 3f2a9c --reason "scored the wrong visit"
    """
    void_command("score", score, reason)


@visit_app.command("compare")
def visit_compare(
    visit_a: str = typer.Argument(..., help="First visit: CODE@YYYY-MM-DD or its id."),
    visit_b: str = typer.Argument(..., help="Second visit of the same patient."),
    json_output: str = json_option("the comparison"),
    overwrite: bool = overwrite_option(),
) -> None:
    """Two visits of one patient side by side, every index with its change.

    Each scale total and subscore (per rater: a clinician's score is never compared with a
    patient's) and each measured index, with both values, the analysis's interval where it
    stores one, the change from A to B and what it means: better, worse, unchanged, within
    the interval (the intervals overlap), or no direction (a measured index whose better
    direction is not defined). `synk compare` is the before/after around each treatment.

    Example:

        synk visit compare P001@2026-01-05 P001@2026-03-02 --json -
    """
    import json
    import sys

    from synkinesis.store import repository
    from synkinesis.store.queries import compare_visits

    with bad_input_exits():
        if json_output not in (None, "-"):
            from synkinesis.files import check_output_path

            check_output_path(Path(json_output), overwrite=overwrite)
        store = open_record()
        with store.transaction() as session:
            patient_code = repository.find_visit(session, ref=visit_a).patient.code
            result = compare_visits(session, patient_code=patient_code, visit_a=visit_a,
                                    visit_b=visit_b)
            record_view(session, result.patient_code,
                        f"compare visits {result.visit_a} {result.visit_b}")
    document = comparison_document(result)
    if json_output is not None:
        text = json.dumps(document, indent=2, allow_nan=False) + "\n"
        if json_output == "-":
            sys.stdout.write(text)
            return
        with bad_input_exits():
            _write_text(Path(json_output), text)
    _print_comparison(result)
    if json_output is not None:
        console.print(f"wrote {json_output}", highlight=False, markup=False)


def comparison_document(result) -> dict:
    """The comparison as a self-describing JSON document (values as stored, None = no value)."""
    return {
        "format": "synkinesis.visit_comparison", "patient": result.patient_code,
        "visit_a": {"ref": result.visit_a, "date": result.date_a.isoformat()},
        "visit_b": {"ref": result.visit_b, "date": result.date_b.isoformat()},
        "changes": [{
            "index": change.index.name, "label": change.index.label,
            "unit": change.index.unit, "rater": change.rater or None,
            "higher_is_better": change.index.higher_is_better,
            "a": change.value_a, "b": change.value_b,
            "interval_a": list(change.interval_a) if change.interval_a else None,
            "interval_b": list(change.interval_b) if change.interval_b else None,
            "change": change.change, "verdict": change.verdict,
            "sides": ({"a": change.sides[0], "b": change.sides[1]} if change.sides
                      else None),
        } for change in result.changes]}


def _write_text(path: Path, text: str) -> None:
    from synkinesis.cli.common import write_error_message
    from synkinesis.store.errors import StoreError

    try:
        path.write_text(text)
    except OSError as error:
        raise StoreError(write_error_message(error)) from None


def _print_comparison(result) -> None:
    from rich.table import Table
    from rich.text import Text

    def value(number: float | None, interval: tuple[float, float] | None) -> str:
        if number is None:
            return "-"
        return fmt(number) + (f" [{fmt(interval[0])}, {fmt(interval[1])}]" if interval else "")

    console.print(f"[bold]{result.patient_code}[/bold]: {result.visit_a} (A) vs "
                  f"{result.visit_b} (B)", highlight=False)
    if not result.changes:
        console.print("neither visit has a score or a measured index to compare")
        return
    table = Table(box=None, padding=(0, 2))
    for column in ("index", "rater", "A", "B", "change", "direction"):
        table.add_column(column, justify="right" if column in ("A", "B", "change") else "left",
                         overflow="fold")
    for change in result.changes:
        unit = f" ({change.index.unit})" if change.index.unit else ""
        table.add_row(Text(change.index.label + unit), change.rater or "",
                      value(change.value_a, change.interval_a),
                      value(change.value_b, change.interval_b),
                      "-" if change.change is None else f"{change.change:+.4g}",
                      change.verdict + (f" ({change.sides[0]} at A, {change.sides[1]} at B)"
                                        if change.sides else ""))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(visit_app, name="visit")
