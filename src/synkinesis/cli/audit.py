"""``synk audit``: who viewed, created, changed, voided, amended or deleted which patient's
data, when (UTC) and from where, and who was denied access."""

from __future__ import annotations

import typer

from synkinesis.cli.common import console, emit_json, json_option, overwrite_option
from synkinesis.cli.store_support import bad_input_exits, open_record


def audit(
    code: str = typer.Option(None, "--patient", help="Only this patient's events (the code "
                                                     "in any case; deleted patients too)."),
    since: str = typer.Option(None, "--since", help="Only events on or after this date "
                                                    "(YYYY-MM-DD, UTC)."),
    as_json: str = json_option("the events (a list)"),
    overwrite: bool = overwrite_option(),
) -> None:
    """List the audit trail of the record, oldest first.

    Every view, creation, change, correction (void, amend, with its reason and the old
    values) and deletion of a patient's data, and every denied access, with who (OS user or
    web account), via (cli, web, library), from where (host or client address) and when.

    Example:

        synk audit --patient P001 --since 2026-01-01
    """
    from datetime import UTC, datetime, time

    from synkinesis.store.audit import list_events
    from synkinesis.store.repository import parse_date

    with bad_input_exits():
        start = None if since is None else datetime.combine(
            parse_date(since, what="--since"), time(), tzinfo=UTC)
        store = open_record()
        with store.reading() as session:
            events = [{"at": e.at.isoformat(), "actor": e.actor, "via": e.via,
                       "client": e.client, "action": e.action, "patient_code": e.patient_code,
                       "entity": e.entity, "entity_id": e.entity_id, "detail": e.detail}
                      for e in list_events(session, patient_code=code, since=start)]
    if as_json is not None:
        emit_json(events, as_json, overwrite=overwrite)
        if as_json == "-":
            return
    if not events:
        console.print("no audit events" + (f" for patient {code}" if code else "")
                      + (f" since {since}" if since else ""), highlight=False)
        return
    for e in events:
        what = " ".join(filter(None, [e["entity"], (e["entity_id"] or "")[:8]]))
        detail = e["detail"] or {}
        extra = detail.get("reason") or detail.get("what") or ""
        changed = ", ".join(sorted(detail.get("changes") or {}))
        console.print(f"{e['at'][:19]}Z {e['actor']} ({e['via']}"
                      f"{' ' + e['client'] if e['client'] else ''}) {e['action']} "
                      f"{e['patient_code'] or '-'}" + (f" {what}" if what else "")
                      + (f" [{changed}]" if changed else "") + (f": {extra}" if extra else ""),
                      highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
