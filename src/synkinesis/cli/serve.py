"""``synk serve``: the local web app; ``synk serve adduser|deluser|users``: its accounts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from synkinesis.cli.common import Role, console, fail

serve_app = typer.Typer(
    help="Serve the web app: guided recording, live biofeedback, the clinician's dashboard.",
    invoke_without_command=True)

_NO_LOGIN_BANNER = ("[bold red]NO LOGIN[/bold red]: anyone using this computer can read and "
                    "change the whole patient record in the browser (--no-login). Stop it "
                    "with Ctrl+C when you leave the computer.")


def _open_record() -> Any:
    from synkinesis.cli.store_support import open_record
    from synkinesis.store.errors import StoreError

    try:
        return open_record()
    except (StoreError, ValueError) as error:
        fail(" ".join(str(error).split()))


@serve_app.callback()
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to bind. Anything but loopback needs "
                             "SYNK_WEB_SECRET; 0.0.0.0 also SYNK_WEB_ALLOWED_HOSTS."),
    port: int = typer.Option(8000, help="TCP port."),
    no_login: bool = typer.Option(False, "--no-login", help="Use the app without logging in "
                                  "(only on 127.0.0.1: anyone at this computer can then read "
                                  "the record)."),
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

    Everybody logs in, on 127.0.0.1 too: add an account first (synk serve adduser). Only
    `--no-login`, on 127.0.0.1 only, lets the person at this computer in without a login.
    Browsers must reach it by a name it knows (127.0.0.1, localhost, [::1] on loopback; the
    bound address and SYNK_WEB_ALLOWED_HOSTS otherwise); any other Host is refused. Bound to
    another address it also needs SYNK_WEB_SECRET. The record (and its accounts) is the one of
    every synk command (SYNK_DATABASE_URL, SYNK_DATA_DIR). Files it writes are private (0600).

    Example:

        synk serve adduser drsmith --role clinician
        synk serve
        synk serve --no-login
        SYNK_WEB_SECRET=... SYNK_WEB_ALLOWED_HOSTS=clinic.example synk serve --host 0.0.0.0
    """
    if ctx.invoked_subcommand is not None:
        return
    from synkinesis.files import use_private_umask
    from synkinesis.web.settings import UnsafeSettingsError, load_web_settings

    use_private_umask()
    overrides: dict[str, Any] = {"host": host, "port": port, "no_login": no_login or None,
                 "record_hold_s": hold_s, "record_countdown_s": countdown_s,
                 "record_relax_s": relax_s, "exercise_hold_s": exercise_hold_s,
                 "max_upload_bytes": None if max_upload_mb is None
                 else int(max_upload_mb * 1024 * 1024)}
    try:
        settings = load_web_settings(**overrides)
    except (UnsafeSettingsError, ValueError) as error:
        fail(" ".join(str(error).split()))
    import uvicorn

    from synkinesis.web import create_app
    from synkinesis.web.accounts import AccountError, check_accounts_for_login

    store = _open_record()
    if not settings.no_login:
        try:
            check_accounts_for_login(store)
        except AccountError as error:
            store.close()
            fail(" ".join(str(error).split()))
    app = create_app(settings, store=store)
    if settings.no_login:
        console.print(_NO_LOGIN_BANNER, highlight=False)
    mode = "NO LOGIN" if settings.no_login else "login required"
    console.print(f"synkinesis web app on http://{host}:{port} ({mode}); Ctrl+C stops it",
                  highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="info", ws_max_size=4 * 1024 * 1024)


@serve_app.command("adduser")
def adduser(
    username: str = typer.Argument(..., help="Login name."),
    role: Role = typer.Option(..., help="clinician (every patient) or patient (own record)."),
    patient: str | None = typer.Option(None, help="The patient code of a patient account "
                                       "(the patient must be in the record)."),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the password from standard input."),
    replace: bool = typer.Option(False, help="Change an existing account."),
) -> None:
    """Add a web account to the record (the password is asked for, or read with
    --password-stdin).

    Example:

        synk serve adduser drsmith --role clinician
        synk serve adduser p001 --role patient --patient P001
    """
    from synkinesis.store.errors import StoreError
    from synkinesis.web.accounts import AccountError, add_account

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    store = _open_record()
    try:
        with store.transaction() as session:
            account = add_account(session, username=username, role=str(role), password=password,
                                  patient_code=patient, replace=replace)
    except (AccountError, StoreError) as error:
        fail(str(error))
    finally:
        store.close()
    where = f" for patient {account.patient_code}" if account.patient_code else ""
    console.print(f"account {account.username} ({account.role}{where}) saved in the record",
                  highlight=False)


@serve_app.command("deluser")
def deluser(username: str = typer.Argument(..., help="The account's user name.")) -> None:
    """Remove a web account (its browser sessions end at their next request).

    Example:

        synk serve deluser drsmith
    """
    from synkinesis.store.errors import StoreError
    from synkinesis.web.accounts import AccountError, remove_account

    store = _open_record()
    try:
        with store.transaction() as session:
            remove_account(session, username=username)
    except (AccountError, StoreError) as error:
        fail(str(error))
    finally:
        store.close()
    console.print(f"account {username} removed", highlight=False)


@serve_app.command("users")
def users(import_file: Path | None = typer.Option(
        None, "--import", help="First bring in the accounts of an accounts file of earlier "
        "versions (web-accounts.json); all or nothing."),
          replace: bool = typer.Option(False, help="With --import: replace accounts of the "
                                       "same name.")) -> None:
    """List the web accounts (names and roles; never passwords).

    Example:

        synk serve users
        synk serve users --import ~/.local/share/synkinesis/web-accounts.json
    """
    from synkinesis.store.errors import StoreError
    from synkinesis.web.accounts import AccountError, import_accounts_file, list_accounts

    store = _open_record()
    try:
        if import_file is not None:
            with store.transaction() as session:
                imported = import_accounts_file(session, path=import_file, replace=replace)
            console.print(f"imported {len(imported)} accounts from {import_file} (their "
                          "passwords are unchanged); the file is no longer used and can be "
                          "deleted", highlight=False)
        with store.reading() as session:
            listed = list_accounts(session)
    except (AccountError, StoreError) as error:
        fail(" ".join(str(error).split()))
    finally:
        store.close()
    if not listed:
        console.print("no accounts in the record (synk serve adduser NAME --role clinician)",
                      highlight=False)
    for account in listed:
        where = f" (patient {account.patient_code})" if account.patient_code else ""
        console.print(f"{account.username}: {account.role}{where}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``synk serve`` to the command line."""
    app.add_typer(serve_app, name="serve")
