"""``synk patient add|list|show|delete``: the patients of the record (pseudonymous codes)."""

from __future__ import annotations

import typer

from synkinesis.cli.common import (
    PatientSide,
    console,
    emit_json,
    json_option,
    overwrite_option,
)
from synkinesis.cli.store_support import (
    AfterCommit,
    bad_input_exits,
    fmt,
    open_record,
    record_view,
)

patient_app = typer.Typer(
    help="Patients of the record, known by pseudonymous codes.", no_args_is_help=True)


@patient_app.command("add")
def patient_add(
    code: str = typer.Argument(..., help="Pseudonymous code, e.g. P001 (never a name)."),
    side: PatientSide = typer.Option(..., "--side", help="Affected side (the patient's)."),
    cause: str = typer.Option("unknown", "--cause",
                              help="bell_palsy, ramsay_hunt, acoustic_neuroma, other_tumour, "
                                   "trauma, iatrogenic, infection, congenital, other, unknown."),
    onset: str = typer.Option(None, "--onset", help="Onset date of the palsy, YYYY-MM-DD."),
    notes: str = typer.Option("", "--notes", help="Free-text notes (no identifying data)."),
) -> None:
    """Add a patient.

    Example:

        synk patient add P001 --side left --cause bell_palsy --onset 2025-01-10
    """
    from synkinesis.store import repository

    with bad_input_exits():
        store = open_record()
        later = AfterCommit()
        with store.transaction() as session:
            patient = repository.create_patient(session, code=code, affected_side=str(side),
                                                cause=cause, onset_date=onset, notes=notes)
            onset_text = patient.onset_date.isoformat() if patient.onset_date else "unknown"
            later.print(f"added patient {patient.code}: {patient.affected_side} side, "
                        f"{patient.cause}, onset {onset_text}", highlight=False)
        later.flush()


@patient_app.command("list")
def patient_list(as_json: str = json_option("the patients"),
                 overwrite: bool = overwrite_option()) -> None:
    """List the patients with their visits and treatments.

    Example:

        synk patient list
    """
    from rich.table import Table

    from synkinesis.store import repository

    with bad_input_exits():
        store = open_record()
        with store.transaction() as session:
            patients = repository.list_patients(session)
            record_view(session, None, "patient list")
            if as_json is not None:
                emit_json([_patient_row(p) for p in patients], as_json, overwrite=overwrite)
                if as_json == "-":
                    return
            if not patients:
                console.print("no patients yet (add one with `synk patient add`)")
                return
            # fits 80 columns: nothing is cut off; a long code or cause wraps
            table = Table(box=None, padding=(0, 1), pad_edge=False, collapse_padding=True)
            table.add_column("code", overflow="fold", max_width=12)
            table.add_column("side", no_wrap=True)
            table.add_column("cause", min_width=8)
            table.add_column("onset", no_wrap=True)
            for column in ("visits", "toxin", "therapy", "proc."):
                table.add_column(column, no_wrap=True, justify="right")
            table.add_column("last visit", no_wrap=True)
            for p in patients:
                visits, toxin, therapy, procedures = (
                    [entry for entry in entries if not entry.voided] for entries in
                    (p.visits, p.toxin_sessions, p.therapy_sessions, p.procedures))
                last = max((v.visit_date for v in visits), default=None)
                table.add_row(p.code, p.affected_side, p.cause.replace("_", " "),
                              p.onset_date.isoformat() if p.onset_date else "-",
                              str(len(visits)), str(len(toxin)), str(len(therapy)),
                              str(len(procedures)), last.isoformat() if last else "-")
            console.print(table)


def _patient_row(p) -> dict:
    """A patient's line of `synk patient list` as data (voided entries not counted)."""
    visits, toxin, therapy, procedures = (
        [entry for entry in entries if not entry.voided] for entries in
        (p.visits, p.toxin_sessions, p.therapy_sessions, p.procedures))
    return {"code": p.code, "affected_side": p.affected_side, "cause": p.cause,
            "onset_date": p.onset_date, "visits": len(visits), "toxin_sessions": len(toxin),
            "therapy_sessions": len(therapy), "procedures": len(procedures),
            "last_visit": max((v.visit_date for v in visits), default=None)}


@patient_app.command("show")
def patient_show(code: str = typer.Argument(..., help="Patient code."),
                 as_json: str = json_option("the patient"),
                 overwrite: bool = overwrite_option()) -> None:
    """Show a patient: details, visits with their scores, latest toxin session.

    Example:

        synk patient show P001
    """
    from synkinesis.store import repository

    with bad_input_exits():
        store = open_record()
        with store.transaction() as session:
            p = repository.get_patient(session, code=code)
            record_view(session, p.code, "patient show")
            if as_json is not None:
                row = _patient_row(p)
                row.update(notes=p.notes, created_at=p.created_at, visit_scores=[
                    {"visit": repository.visit_reference(v), "label": v.label,
                     "recordings": len(v.recordings),
                     "scores": [{"instrument": s.instrument, "total": s.total,
                                 "draft": s.draft} for s in v.scores if not s.voided]}
                    for v in p.visits if not v.voided])
                emit_json(row, as_json, overwrite=overwrite)
                if as_json == "-":
                    return
            console.print(f"[bold]{p.code}[/bold]: {p.affected_side} side, {p.cause}, onset "
                          f"{p.onset_date.isoformat() if p.onset_date else 'unknown'}",
                          highlight=False)
            if p.notes:
                console.print(f"notes: {p.notes}", highlight=False, markup=False)
            console.print(f"created {p.created_at.isoformat(timespec='seconds')}")
            for visit in (v for v in p.visits if not v.voided):
                scores = ", ".join(f"{s.instrument} {fmt(s.total) if not s.draft else 'draft'}"
                                   for s in visit.scores if not s.voided) or "no scores"
                console.print(f"  visit {repository.visit_reference(visit)}"
                              f"{' ' + visit.label if visit.label else ''}: {scores}; "
                              f"{len(visit.recordings)} recording(s)", highlight=False,
                              markup=False)
            toxins = [t for t in p.toxin_sessions if not t.voided]
            if toxins:
                last = toxins[-1]
                console.print(f"  last toxin {last.session_date.isoformat()}: {last.product} "
                              f"{fmt(last.total_units)} U in {len(last.injections)} muscle(s)",
                              highlight=False)
            console.print(f"  therapy sessions "
                          f"{sum(not t.voided for t in p.therapy_sessions)}, procedures "
                          f"{sum(not x.voided for x in p.procedures)} (full timeline: "
                          f"synk history {p.code})",
                          highlight=False)


@patient_app.command("delete")
def patient_delete(
    code: str = typer.Argument(..., help="Patient code."),
    confirm: str = typer.Option(None, "--confirm", metavar="CODE",
                                help="Repeat the code to confirm without a prompt."),
) -> None:
    """Delete a patient and everything recorded about them (asks for confirmation).

    Removes all their visits, scores and treatments, and their folder in the record: the
    derived files of their recordings (measure results, analyses, figures) and the videos the
    web app recorded there. Videos added with `synk record add` stay where they are. Cannot be
    undone: back up first (`synk db backup`).

    Example:

        synk patient delete P001 --confirm P001
    """
    from synkinesis.store import repository
    from synkinesis.store.recordings import remove_patient_files

    with bad_input_exits():
        store = open_record()
        if confirm is None:
            with store.reading() as session:
                p = repository.get_patient(session, code=code)
                console.print(f"This deletes {p.code}: {len(p.visits)} visit(s), "
                              f"{len(p.toxin_sessions)} toxin session(s), "
                              f"{len(p.therapy_sessions)} therapy session(s), "
                              f"{len(p.procedures)} procedure(s) and their derived files.",
                              highlight=False)
            confirm = typer.prompt("Type the patient code to confirm")
        with store.transaction() as session:
            code = repository.get_patient(session, code=code).code
            files = repository.delete_patient(session, code=code, confirm=confirm)
        removed = remove_patient_files(store.settings.data_dir, code, files)
        console.print(f"deleted patient {code} and {removed} derived file(s)",
                      highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(patient_app, name="patient")
