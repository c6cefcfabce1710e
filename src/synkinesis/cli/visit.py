"""``synk visit add|score``: assessment visits and the clinical scales scored at them."""

from __future__ import annotations

from pathlib import Path

import typer

from synkinesis.cli.store_support import (
    AfterCommit,
    bad_input_exits,
    fmt,
    open_record,
    parse_pairs,
)

visit_app = typer.Typer(help="Assessment visits and their scale scores.", no_args_is_help=True)


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
    option: list[str] = typer.Option(None, "--option", "-o",
                                     help="Scoring option NAME=VALUE, repeatable."),
    rater: str = typer.Option(None, "--rater", help="clinician, patient or automatic "
                              "(default: the instrument's usual rater)."),
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


def register(app: typer.Typer) -> None:
    app.add_typer(visit_app, name="visit")
