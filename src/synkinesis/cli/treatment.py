"""``synk toxin add|muscles``, ``synk therapy add``, ``synk procedure add|outcome``."""

from __future__ import annotations

import typer

from synkinesis.cli.common import ProcedureKind, TreatedSide, console
from synkinesis.cli.store_support import (
    AfterCommit,
    bad_input_exits,
    fmt,
    open_record,
    parse_pairs,
    reason_option,
    void_command,
)

toxin_app = typer.Typer(help="Botulinum toxin sessions.", no_args_is_help=True)
therapy_app = typer.Typer(help="Neuromuscular retraining sessions.", no_args_is_help=True)
procedure_app = typer.Typer(help="Nerve blocks, neurectomies and myectomies.",
                            no_args_is_help=True)


def _visit(session, ref: str | None):
    from synkinesis.store import repository

    return None if ref is None else repository.find_visit(session, ref=ref)


@toxin_app.command("add")
def toxin_add(
    code: str = typer.Argument(..., help="Patient code."),
    date: str = typer.Option(..., "--date", help="Session date, YYYY-MM-DD."),
    inject: list[str] = typer.Option(
        ..., "--inject", "-j", metavar="MUSCLE:SIDE:UNITS[:POINTS]",
        help="One injection, repeatable, e.g. orbicularis_oculi:left:7.5:3 (side = the "
             "patient's; `synk toxin muscles` lists the muscles)."),
    product: str = typer.Option("onabotulinumtoxinA", "--product",
                                help="onabotulinumtoxinA (botox), incobotulinumtoxinA "
                                     "(xeomin), abobotulinumtoxinA (dysport), ..."),
    dilution: str = typer.Option("", "--dilution", help="e.g. '100 U in 2.5 mL saline'."),
    visit: str = typer.Option(None, "--visit", help="Visit it belongs to (CODE@DATE)."),
    clinician: str = typer.Option("", "--clinician", help="Who injected."),
    notes: str = typer.Option("", "--notes", help="Free-text notes."),
) -> None:
    """Add a toxin session with its injections.

    Units above the configured per-muscle
    maximum are stored with a warning (SYNK_MAX_UNITS changes the maxima).

    Example:

        synk toxin add P001 --date 2026-03-02 -j orbicularis_oculi:left:7.5:3 -j mentalis:left:2.5
    """
    from synkinesis.store import repository

    with bad_input_exits():
        specs = [repository.InjectionSpec.parse(text) for text in inject]
        store = open_record()
        later = AfterCommit()
        with store.transaction() as session:
            toxin = repository.add_toxin_session(
                session, patient_code=code, session_date=date, product=product,
                injections=specs, settings=store.settings, dilution=dilution,
                clinician=clinician, notes=notes, visit=_visit(session, visit))
            later.print(f"added toxin session {toxin.id[:8]} for {code} on "
                        f"{toxin.session_date.isoformat()}: {toxin.product} "
                        f"{fmt(toxin.total_units)} U", highlight=False)
            for i in toxin.injections:
                later.print(f"  {i.muscle} {i.side} {fmt(i.units)} U, {i.points} point(s)",
                            highlight=False)
        later.flush()


@toxin_app.command("muscles")
def toxin_muscles() -> None:
    """List the muscles that can be injected.

    With their nerve branches, the pattern they drive and the warning maximum
    per session (onabotulinumtoxinA units, [U] CLINICAL.md; SYNK_MAX_UNITS overrides).

    Example:

        synk toxin muscles
    """
    from rich.table import Table

    from synkinesis.store.errors import StoreError
    from synkinesis.store.settings import load_settings
    from synkinesis.store.vocabulary import MUSCLE_ALIASES, MUSCLES

    with bad_input_exits():
        try:
            maxima = load_settings().max_units
        except ValueError as error:
            raise StoreError(str(error)) from None
    aliases: dict[str, list[str]] = {}
    for alias, target in MUSCLE_ALIASES.items():
        aliases.setdefault(target, []).append(alias)
    table = Table(box=None, padding=(0, 2))
    for column in ("muscle", "aliases", "branches", "pattern", "max U", "pitfall"):
        table.add_column(column)
    for muscle in MUSCLES.values():
        table.add_row(muscle.name, ", ".join(aliases.get(muscle.name, [])),
                      ", ".join(muscle.branches), muscle.pattern or "-",
                      fmt(maxima[muscle.name]), muscle.caution or muscle.pitfall or "")
    console.print(table)


@therapy_app.command("add")
def therapy_add(
    code: str = typer.Argument(..., help="Patient code."),
    date: str = typer.Option(..., "--date", help="Session date, YYYY-MM-DD."),
    minutes: int = typer.Option(None, "--minutes", help="Duration in minutes (1..480)."),
    exercise: list[str] = typer.Option(None, "--exercise", "-e",
                                       help="An exercise practised, repeatable."),
    feedback: list[str] = typer.Option(None, "--feedback", "-b", metavar="NAME=VALUE",
                                       help="A biofeedback result, repeatable, e.g. "
                                            "eye_narrowing_on_smile_pct=12."),
    visit: str = typer.Option(None, "--visit", help="Visit it belongs to (CODE@DATE)."),
    therapist: str = typer.Option("", "--therapist", help="Who led the session."),
    notes: str = typer.Option("", "--notes", help="Free-text notes."),
) -> None:
    """Add a neuromuscular retraining session.

    Example:

        synk therapy add P001 --date 2026-03-09 --minutes 45
        -e "closed-lip smile, eye relaxed" -b eye_narrowing_on_smile_pct=18
    """
    from synkinesis.store import repository

    with bad_input_exits():
        store = open_record()
        later = AfterCommit()
        with store.transaction() as session:
            therapy = repository.add_therapy_session(
                session, patient_code=code, session_date=date, minutes=minutes,
                exercises=exercise or [], biofeedback=parse_pairs(feedback, what="--feedback"),
                therapist=therapist, notes=notes, visit=_visit(session, visit))
            later.print(f"added therapy session {therapy.id[:8]} for {code} on "
                        f"{therapy.session_date.isoformat()}", highlight=False)
        later.flush()


@procedure_app.command("add")
def procedure_add(
    code: str = typer.Argument(..., help="Patient code."),
    kind: ProcedureKind = typer.Option(..., "--kind", help="The procedure."),
    target: str = typer.Option(..., "--target", help="A muscle (e.g. depressor_anguli_oris) "
                                                      "or a nerve branch (e.g. buccal)."),
    side: TreatedSide = typer.Option(..., "--side", help="The patient's side."),
    date: str = typer.Option(..., "--date", help="Procedure date, YYYY-MM-DD."),
    agent: str = typer.Option("", "--agent", help="For a block, e.g. 'lidocaine 1% 1 mL'."),
    predict: str = typer.Option("", "--predict", help="The prediction made before it."),
    predict_value: list[str] = typer.Option(None, "--predict-value", metavar="INDEX=VALUE",
                                            help="A predicted value, repeatable, e.g. "
                                                 "sunnybrook=70."),
    visit: str = typer.Option(None, "--visit", help="Visit it belongs to (CODE@DATE)."),
    clinician: str = typer.Option("", "--clinician", help="Who performed it."),
    notes: str = typer.Option("", "--notes", help="Free-text notes."),
) -> None:
    """Add a nerve block, selective neurectomy or myectomy.

    With the prediction made before it. Record what happened later with `synk procedure outcome`.

    Example:

        synk procedure add P001 --kind nerve_block --target dao --side left
        --date 2026-05-04 --agent "lidocaine 1%" --predict-value sunnybrook=70
    """
    from synkinesis.store import repository

    with bad_input_exits():
        values = parse_pairs(predict_value, what="--predict-value", numbers=True)
        store = open_record()
        later = AfterCommit()
        with store.transaction() as session:
            procedure = repository.add_procedure(
                session, patient_code=code, kind=str(kind), target=target, side=str(side),
                procedure_date=date, agent=agent, prediction=predict,
                prediction_values=values, clinician=clinician, notes=notes,
                visit=_visit(session, visit))
            later.print(f"added {procedure.kind} of {procedure.target} ({procedure.side}) for "
                        f"{code} on {procedure.procedure_date.isoformat()}: id "
                        f"{procedure.id}", highlight=False)
        later.flush()


@procedure_app.command("outcome")
def procedure_outcome(
    procedure: str = typer.Argument(..., help="Procedure id (or its first 6+ characters)."),
    date: str = typer.Option(..., "--date", help="When the outcome was measured."),
    outcome: str = typer.Option("", "--outcome", help="What happened."),
    value: list[str] = typer.Option(None, "--value", metavar="INDEX=VALUE",
                                    help="A measured value, repeatable, e.g. sunnybrook=66."),
) -> None:
    """Record the outcome measured after a procedure.

    Example:

        synk procedure outcome 3f2a9c --date 2026-05-18 --value sunnybrook=66
    """
    from synkinesis.store import repository

    with bad_input_exits():
        values = parse_pairs(value, what="--value", numbers=True)
        store = open_record()
        later = AfterCommit()
        with store.transaction() as session:
            found = repository.get_procedure(session, ref=procedure)
            repository.record_procedure_outcome(session, procedure=found, outcome=outcome,
                                                outcome_values=values, outcome_date=date)
            predicted = ", ".join(f"{k} {fmt(v)}" for k, v in found.prediction_values.items())
            measured = ", ".join(f"{k} {fmt(v)}" for k, v in found.outcome_values.items())
            later.print(f"outcome of {found.kind} {found.target} recorded: "
                        f"{measured or found.outcome or '-'}"
                        + (f" (predicted {predicted})" if predicted else ""),
                        highlight=False)
        later.flush()


@toxin_app.command("void")
def toxin_void(
    session_id: str = typer.Argument(..., metavar="SESSION",
                                     help="Toxin session id (or its first 6+ characters; "
                                          "`synk history` shows them)."),
    reason: str = reason_option(),
) -> None:
    """Void a toxin session entered by mistake.

    It stays in the record but no longer counts for due dates, dose totals, trends and
    exports unless --include-voided.

    Example:

        synk toxin void 3f2a9c --reason "entered twice"
    """
    void_command("toxin", session_id, reason)


@toxin_app.command("amend")
def toxin_amend(
    session_id: str = typer.Argument(..., metavar="SESSION",
                                     help="Toxin session id (or its first 6+ characters)."),
    reason: str = reason_option(),
    date: str = typer.Option(None, "--date", help="Corrected date, YYYY-MM-DD."),
    inject: list[str] = typer.Option(
        None, "--inject", "-j", metavar="MUSCLE:SIDE:UNITS[:POINTS]",
        help="Corrected injections, repeatable: they replace all of the session's."),
    product: str = typer.Option(None, "--product", help="Corrected product."),
    dilution: str = typer.Option(None, "--dilution", help="Corrected dilution."),
    clinician: str = typer.Option(None, "--clinician", help="Corrected clinician."),
    notes: str = typer.Option(None, "--notes", help="Corrected notes."),
) -> None:
    """Correct a toxin session; the old values (and injections) and the reason are kept in
    the audit trail.

    Example:

        synk toxin amend 3f2a9c -j orbicularis_oculi:left:5 --reason "5 U, not 7.5"
    """
    from synkinesis.store import repository

    with bad_input_exits():
        specs = None if not inject else [repository.InjectionSpec.parse(t) for t in inject]
        store = open_record()
        later = AfterCommit()
        with store.transaction() as session:
            toxin = repository.find_entry(session, kind="toxin", ref=session_id)
            repository.amend_toxin_session(
                session, toxin=toxin, reason=reason, settings=store.settings,
                session_date=date, product=product, injections=specs, dilution=dilution,
                clinician=clinician, notes=notes)
            later.print(f"amended toxin session {toxin.id[:8]}: "
                        f"{toxin.session_date.isoformat()}, {toxin.product} "
                        f"{fmt(toxin.total_units)} U", highlight=False)
        later.flush()


@therapy_app.command("void")
def therapy_void(
    session_id: str = typer.Argument(..., metavar="SESSION",
                                     help="Therapy session id (or its first 6+ characters)."),
    reason: str = reason_option(),
) -> None:
    """Void a therapy session entered by mistake (kept, hidden unless --include-voided).

    Example:

        synk therapy void 3f2a9c --reason "wrong patient"
    """
    void_command("therapy", session_id, reason)


@therapy_app.command("amend")
def therapy_amend(
    session_id: str = typer.Argument(..., metavar="SESSION",
                                     help="Therapy session id (or its first 6+ characters)."),
    reason: str = reason_option(),
    date: str = typer.Option(None, "--date", help="Corrected date, YYYY-MM-DD."),
    minutes: int = typer.Option(None, "--minutes", help="Corrected duration (1..480)."),
    exercise: list[str] = typer.Option(None, "--exercise", "-e",
                                       help="Corrected exercises, repeatable (replace all)."),
    therapist: str = typer.Option(None, "--therapist", help="Corrected therapist."),
    notes: str = typer.Option(None, "--notes", help="Corrected notes."),
) -> None:
    """Correct a therapy session; the old values and the reason are kept in the audit trail.

    Example:

        synk therapy amend 3f2a9c --minutes 30 --reason "was 30 minutes"
    """
    from synkinesis.store import repository

    with bad_input_exits():
        store = open_record()
        later = AfterCommit()
        with store.transaction() as session:
            therapy = repository.find_entry(session, kind="therapy", ref=session_id)
            repository.amend_therapy_session(
                session, therapy=therapy, reason=reason, session_date=date, minutes=minutes,
                exercises=exercise or None, therapist=therapist, notes=notes)
            later.print(f"amended therapy session {therapy.id[:8]}", highlight=False)
        later.flush()


@procedure_app.command("void")
def procedure_void(
    procedure: str = typer.Argument(..., help="Procedure id (or its first 6+ characters)."),
    reason: str = reason_option(),
) -> None:
    """Void a procedure entered by mistake (kept, hidden unless --include-voided).

    Example:

        synk procedure void 3f2a9c --reason "entered for the wrong side"
    """
    void_command("procedure", procedure, reason)


def register(app: typer.Typer) -> None:
    app.add_typer(toxin_app, name="toxin")
    app.add_typer(therapy_app, name="therapy")
    app.add_typer(procedure_app, name="procedure")
