"""``synk serve``: the local web app; ``synk serve adduser|deluser|users``: its accounts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from synkinesis.cli.common import console, fail

serve_app = typer.Typer(
    help="Serve the web app: guided recording, live biofeedback, the clinician's dashboard.",
    invoke_without_command=True)

_ACCOUNTS_HELP = ("Accounts file (default: web-accounts.json in the user's data directory, or "
                  "$SYNK_WEB_ACCOUNTS).")


def _accounts(path: Path | None):
    from synkinesis.web.accounts import AccountStore
    from synkinesis.web.settings import load_web_settings

    if path is not None:
        return AccountStore(path)
    import os

    env = os.environ.get("SYNK_WEB_ACCOUNTS")
    if env:
        return AccountStore(Path(env).expanduser())
    return AccountStore(load_web_settings().accounts_path)


@serve_app.callback()
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to bind. Anything but loopback needs "
                             "accounts (synk serve adduser) and SYNK_WEB_SECRET."),
    port: int = typer.Option(8000, help="TCP port."),
    accounts: Path | None = typer.Option(None, help=_ACCOUNTS_HELP),
    max_upload_mb: float | None = typer.Option(None, help="Largest recording upload, MB "
                                               "(default 200)."),
    hold_s: float | None = typer.Option(None, help="Seconds each task is held in a guided "
                                        "recording (default 3)."),
    countdown_s: float | None = typer.Option(None, help="Countdown before each task, s "
                                             "(default 3)."),
    relax_s: float | None = typer.Option(None, help="Relax time after each task, s "
                                         "(default 1.5)."),
    exercise_hold_s: float | None = typer.Option(None, help="Hold of one biofeedback "
                                                 "repetition, s (default 5)."),
) -> None:
    """Serve the web app on http://HOST:PORT (127.0.0.1:8000 by default).

    On 127.0.0.1 without accounts, the person at this computer uses it without logging in.
    Bound to any other address it refuses to start unless accounts exist and SYNK_WEB_SECRET
    is set. The record is the one of every synk command (SYNK_DATABASE_URL).

    Example:

        synk serve
        synk serve adduser drsmith --role clinician
        SYNK_WEB_SECRET=... synk serve --host 0.0.0.0 --port 8443
    """
    if ctx.invoked_subcommand is not None:
        return
    from synkinesis.web.accounts import AccountError
    from synkinesis.web.settings import UnsafeSettingsError, load_web_settings

    overrides: dict[str, Any] = {"host": host, "port": port, "accounts_path": accounts,
                 "record_hold_s": hold_s, "record_countdown_s": countdown_s,
                 "record_relax_s": relax_s, "exercise_hold_s": exercise_hold_s,
                 "max_upload_bytes": None if max_upload_mb is None
                 else int(max_upload_mb * 1024 * 1024)}
    try:
        settings = load_web_settings(**overrides)
    except (UnsafeSettingsError, AccountError, ValueError) as error:
        fail(" ".join(str(error).split()))
    import uvicorn

    from synkinesis.store.errors import StoreError
    from synkinesis.web import create_app

    try:
        app = create_app(settings)
    except StoreError as error:
        fail(" ".join(str(error).split()))
    mode = "local mode, no login" if settings.loopback and not _accounts(
        settings.accounts_path).load() else "accounts required"
    console.print(f"synkinesis web app on http://{host}:{port} ({mode}); Ctrl+C stops it",
                  highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="info", ws_max_size=4 * 1024 * 1024)


@serve_app.command("adduser")
def adduser(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option(..., help="clinician (every patient) or patient (own record)."),
    patient: str | None = typer.Option(None, help="The patient code of a patient account."),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the password from standard input."),
    replace: bool = typer.Option(False, help="Change an existing account."),
    accounts: Path | None = typer.Option(None, help=_ACCOUNTS_HELP),
) -> None:
    """Add a web account (the password is asked for, or read with --password-stdin).

    Example:

        synk serve adduser drsmith --role clinician
        synk serve adduser p001 --role patient --patient P001
    """
    from synkinesis.web.accounts import AccountError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    store = _accounts(accounts)
    try:
        account = store.add(username, role=role, password=password, patient_code=patient,
                            replace=replace)
    except AccountError as error:
        fail(str(error))
    where = f" for patient {account.patient_code}" if account.patient_code else ""
    console.print(f"account {account.username} ({account.role}{where}) saved in {store.path}",
                  highlight=False)


@serve_app.command("deluser")
def deluser(username: str = typer.Argument(...),
            accounts: Path | None = typer.Option(None, help=_ACCOUNTS_HELP)) -> None:
    """Remove a web account."""
    from synkinesis.web.accounts import AccountError

    store = _accounts(accounts)
    try:
        store.remove(username)
    except AccountError as error:
        fail(str(error))
    console.print(f"account {username} removed", highlight=False)


@serve_app.command("users")
def users(accounts: Path | None = typer.Option(None, help=_ACCOUNTS_HELP)) -> None:
    """List the web accounts (names and roles; never passwords)."""
    store = _accounts(accounts)
    listed = store.load()
    if not listed:
        console.print(f"no accounts in {store.path}", highlight=False)
    for account in listed.values():
        where = f" (patient {account.patient_code})" if account.patient_code else ""
        console.print(f"{account.username}: {account.role}{where}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``synk serve`` to the command line."""
    app.add_typer(serve_app, name="serve")
