"""``synk score``: fill in a clinical scale from flags, a file or prompts, and print the result.

A thin layer over :mod:`synkinesis.scales`: it parses options, supplies the current time (the
scoring core has no clock), prints with Rich and writes JSON. All scoring and validation happen
in the library.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from synkinesis.cli.common import (
    fail,
    make_console,
    print_error,
    write_error_message,
)
from synkinesis.files import OVERWRITE_HELP
from synkinesis.scales import (
    INSTRUMENTS,
    InstrumentDefinition,
    Rater,
    ScaleResult,
    ScaleValidationError,
    form_json_schema,
    get_instrument,
    result_to_dict,
    score,
    validate_item,
)
from synkinesis.scales.base import format_number
from synkinesis.scales.entry import EntryError, parse_form_text, parse_scalar, score_input

__all__ = ["register", "score_command"]

def _read_form(path: Path) -> dict[str, Any]:
    """The form in a JSON or YAML file ('-' for standard input)."""
    if str(path) == "-":
        return parse_form_text(typer.get_text_stream("stdin").read(), name="stdin.yaml")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        fail(f"cannot read {path}: {error.strerror or error}")
    except UnicodeDecodeError as error:
        fail(f"{path} is not a text (UTF-8) JSON/YAML form: {error.reason} at byte "
             f"{error.start}")
    return parse_form_text(text, name=path.name)


def _console(*, stderr: bool = False) -> Any:
    return make_console(stderr=stderr)


def _print_instruments() -> None:
    from rich.table import Table

    table = Table(title="Instruments", title_justify="left")
    for column in ("name", "title", "version", "rated by", "total"):
        table.add_column(column)
    for definition in INSTRUMENTS.values():
        total = definition.total
        table.add_row(
            definition.name,
            definition.title,
            definition.version,
            definition.default_rater.value,
            f"{total.label} {format_number(total.minimum)}..{format_number(total.maximum)}",
        )
    _console().print(table)


def _print_form(definition: InstrumentDefinition) -> None:
    from rich.table import Table

    table = Table(
        title=f"{definition.title} ({definition.name} {definition.version}): items",
        title_justify="left",
        show_lines=False,
    )
    table.add_column("item")
    table.add_column("what is rated")
    table.add_column("allowed values")
    group = None
    for item in definition.items:
        if group is not None and item.group != group:
            table.add_section()
        group = item.group
        table.add_row(item.key, item.label, item.allowed_text().removeprefix("one of "))
    console = _console()
    console.print(table)
    for option in definition.options:
        console.print(f"option {option.name}: {option.description}")


def _uncertain_mark(note: str | None) -> str:
    return " [U]" if note else ""


def _print_result(definition: InstrumentDefinition, result: ScaleResult) -> None:
    from rich.markup import escape
    from rich.table import Table

    console = _console()
    provenance = result.provenance
    console.print(
        f"[bold]{definition.title}[/bold] ({result.instrument} {result.instrument_version})"
    )
    who = provenance.rater.value + (f" {provenance.rater_name}" if provenance.rater_name else "")
    when = provenance.rated_at.isoformat(timespec="seconds") if provenance.rated_at else "-"
    visit = f", visit {provenance.visit_id}" if provenance.visit_id else ""
    console.print(f"rated by {who} at {when}{visit}", markup=False)

    converted = any(item.bidirectional for item in definition.items)
    evidence = provenance.evidence
    items = Table(title="Items", title_justify="left")
    items.add_column("item")
    items.add_column("value", justify="right")
    items.add_column("meaning")
    if converted:
        items.add_column("score", justify="right")
    if evidence:
        items.add_column("measurement (confidence)")
    group = None
    for item in definition.items:
        if group is not None and item.group != group:
            items.add_section()
        group = item.group
        if item.key not in result.items:
            row = [f"{item.label}\n{item.key}", "-", "(not filled)"]
            row += [""] * (converted + bool(evidence))
            items.add_row(*row, style="dim")
            continue
        value = result.items[item.key]
        meaning = item.value_label(value, choice_name=result.choices.get(item.key))
        row = [f"{item.label}\n[dim]{item.key}[/dim]", format_number(value), meaning]
        if converted:
            row.append(format_number(result.item_scores[item.key]))
        if evidence:
            entry = evidence.get(item.key)
            row.append(
                ""
                if entry is None
                else f"{escape(entry.measurement)} = {format_number(entry.value)}"
                f"{' ' + escape(entry.unit) if entry.unit else ''} ({entry.confidence:.2f})"
            )
        items.add_row(*row)
    console.print(items)

    if result.subscores:
        subscores = Table(title="Subscores", title_justify="left")
        for column in ("subscore", "value", "range", "formula"):
            subscores.add_column(column, justify="right" if column == "value" else "left")
        for s in result.subscores:
            subscores.add_row(
                s.label + _uncertain_mark(s.uncertain),
                "-" if s.value is None else format_number(s.value),
                f"{format_number(s.minimum)}..{format_number(s.maximum)}",
                s.formula,
            )
        console.print(subscores)

    total = definition.total
    direction = "higher is better" if total.higher_is_better else "lower is better"
    if result.total is None:
        missing = ", ".join(result.missing) or "none"
        console.print(f"[bold]DRAFT[/bold]: no {total.label}. Missing items: {missing}")
    else:
        line = (
            f"[bold]{total.label}: {format_number(result.total)}[/bold]"
            f" (range {format_number(total.minimum)}..{format_number(total.maximum)},"
            f" {direction})"
        )
        if result.total_display != result.total:
            line += (
                f"; shown as {format_number(result.total_display)}"  # type: ignore[arg-type]
                f" (clamped to {format_number(total.display_minimum)}.."  # type: ignore[arg-type]
                f"{format_number(total.display_maximum)})"  # type: ignore[arg-type]
            )
        console.print(line)
        console.print(f"formula: {result.total_formula}")
        if result.grade is not None:
            grade = result.grade
            console.print(
                f"[bold]grade {grade.name}[/bold]{_uncertain_mark(grade.uncertain)}: "
                f"{grade.description}"
            )
    options = ", ".join(
        f"{name}={','.join(map(str, v)) if isinstance(v, tuple) else v}"
        for name, v in result.options.items()
    )
    if options:
        console.print(f"options: {options}")
    if result.uncertain:
        console.print("uncertain parts used [U] (see docs/scales.md):")
        for note in result.uncertain:
            console.print(f"  - {note}", markup=False)
    console.print(f"source: {definition.source}", markup=False)


def _prompt_items(
    definition: InstrumentDefinition, items: dict[str, Any], *, draft: bool
) -> dict[str, Any]:
    # Prompts go to stderr so that `--json -` leaves clean JSON on stdout.
    console = _console(stderr=True)
    hint = " (Enter leaves an item empty, Ctrl-D ends the draft)" if draft else ""
    console.print(f"[bold]{definition.title}[/bold]: answer each item{hint}.")
    for item in definition.items:
        if item.key in items:
            continue
        console.print(f"\n[bold]{item.key}[/bold]: {item.label}")
        if item.is_discrete:
            for value in item.allowed_values:
                console.print(f"  {value} = {item.value_label(value)}", markup=False)
            if item.choice_names:
                console.print(f"  (or type: {', '.join(item.choice_names)})", markup=False)
        else:
            console.print(
                f"  a number from {format_number(item.minimum)} to "  # type: ignore[arg-type]
                f"{format_number(item.maximum)}",  # type: ignore[arg-type]
                markup=False,
            )
            for anchor, label in item.anchors:
                console.print(f"  {format_number(anchor)} = {label}", markup=False)
        while True:
            try:
                answer = typer.prompt(
                    item.key, default="" if draft else None, show_default=False, err=True
                )
            except typer.Abort:
                if not draft:
                    raise
                # End of input (Ctrl-D) in a draft: keep what was answered so far.
                return items
            if draft and not str(answer).strip():
                break
            try:
                validate_item(definition, item.key, parse_scalar(answer))
            except ScaleValidationError as error:
                print_error(str(error))
                continue
            items[item.key] = parse_scalar(answer)
            break
    return items


def score_command(
    instrument: Annotated[
        str | None,
        typer.Argument(
            help="Instrument: sunnybrook, eface, house_brackmann (hb), fngs2, saq, face_qol "
            "(face).",
            show_default=False,
        ),
    ] = None,
    item: Annotated[
        list[str] | None,
        typer.Option("--item", "-i", help="ITEM=VALUE, repeatable.", show_default=False),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            help="JSON or YAML form (items mapping, or {items: ...}).",
            show_default=False,
        ),
    ] = None,
    interactive: Annotated[
        bool, typer.Option("--interactive", help="Prompt for each item not given otherwise.")
    ] = False,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            help="Scoring option NAME=VALUE, e.g. total_formula=weighted.",
            show_default=False,
        ),
    ] = None,
    rater: Annotated[
        Rater | None,
        typer.Option(
            help="Who rated (default: the instrument's usual rater).",
            show_default=False,
        ),
    ] = None,
    rater_name: Annotated[
        str | None, typer.Option(help="Who rated (name or id).", show_default=False)
    ] = None,
    visit: Annotated[
        str | None, typer.Option(help="Visit identifier recorded with the score.")
    ] = None,
    draft: Annotated[
        bool, typer.Option("--draft", help="Allow missing items; saves without a total.")
    ] = False,
    json_out: Annotated[
        Path | None,
        typer.Option(
            "--json",
            "-o",
            "--output",
            metavar="PATH|-",
            help="Write the result as JSON to this file ('-' for standard output).",
            show_default=False,
        ),
    ] = None,
    schema: Annotated[
        bool, typer.Option("--schema", help="Print the instrument's form JSON Schema and exit.")
    ] = False,
    form: Annotated[
        bool, typer.Option("--form", help="Print the items and their allowed values and exit.")
    ] = False,
    list_instruments: Annotated[
        bool, typer.Option("--list", help="List the instruments and exit.")
    ] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help=OVERWRITE_HELP)] = False,
) -> None:
    """Score a clinical scale: Sunnybrook, eFACE, House-Brackmann, FNGS 2.0, SAQ or FaCE.

    Items come from --item flags, a JSON/YAML --file, or --interactive prompts.
    Flags override the file; prompts ask for whatever is still missing.
    Prints each item with its meaning, the subscores, the total and the formula used.
    --json writes the result; --draft saves a partial form without a total.

    Examples:

      synk score --list

      synk score sunnybrook --form

      synk score hb -i grade=III

      synk score eface -f eface.yaml --option total_formula=weighted -o eface.json

      synk score saq --interactive --draft
    """
    try:
        _run(
            instrument=instrument,
            item=item,
            file=file,
            interactive=interactive,
            option=option,
            rater=rater,
            rater_name=rater_name,
            visit=visit,
            draft=draft,
            json_out=json_out,
            schema=schema,
            form=form,
            list_instruments=list_instruments,
            overwrite=overwrite,
        )
    except (EntryError, ScaleValidationError) as error:
        fail(str(error))


def _run(
    *,
    instrument: str | None,
    item: list[str] | None,
    file: Path | None,
    interactive: bool,
    option: list[str] | None,
    rater: Rater | None,
    rater_name: str | None,
    visit: str | None,
    draft: bool,
    json_out: Path | None,
    schema: bool,
    form: bool,
    list_instruments: bool,
    overwrite: bool,
) -> None:
    if json_out is not None and str(json_out) != "-":
        from synkinesis.files import OutputPathError, check_output_path

        try:
            check_output_path(json_out, inputs=[file] if file is not None else [],
                              overwrite=overwrite)
        except OutputPathError as error:
            fail(str(error))
    if list_instruments:
        _print_instruments()
        return
    if instrument is None:
        fail(f"give an INSTRUMENT, one of: {', '.join(INSTRUMENTS)} (or --list)")
    definition = get_instrument(instrument)
    if schema:
        typer.echo(json.dumps(form_json_schema(definition, draft=draft), indent=2))
        return
    if form:
        _print_form(definition)
        return

    form_data = _read_form(file) if file is not None else None
    items, arguments = score_input(
        definition.name, form=form_data, items=item, options=option,
        rater=rater.value if rater is not None else None, rater_name=rater_name,
        visit_id=visit, now=datetime.now(UTC))
    if interactive:
        items = _prompt_items(definition, items, draft=draft)
    elif not items and not draft:
        _print_form(definition)
        fail(f"no items given for {definition.name}: use --item ITEM=VALUE, --file or "
             "--interactive (the items are listed above)")
    result = score(definition, items, draft=draft, **arguments)
    text = json.dumps(result_to_dict(result), indent=2, ensure_ascii=False) + "\n"
    if json_out is not None and str(json_out) == "-":
        typer.echo(text, nl=False)
        return
    _print_result(definition, result)
    if json_out is not None:
        try:
            json_out.write_text(text, encoding="utf-8")
        except OSError as error:
            fail(write_error_message(error))
        typer.echo(f"wrote {json_out}")


def register(app: typer.Typer) -> None:
    """Add ``synk score`` to the main command."""
    app.command("score")(score_command)
