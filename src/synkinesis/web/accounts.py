"""Web accounts: clinicians (every patient) and patients (their own record only).

Kept in the record's database (table ``web_accounts``, :class:`synkinesis.store.models.WebAccount`),
so they are backed up and restored with the record they open, and a patient account names a
patient that exists (it is deleted with the patient). Passwords are hashed with scrypt (stdlib
``hashlib.scrypt``, n=2**14, r=8, p=1, 16-byte salt); the database never holds a password.

An accounts file of earlier versions (``web-accounts.json``, format ``synkinesis.web_accounts``
version 1) is brought in once with :func:`import_accounts_file` (``synk serve users --import
FILE``): an explicit step, so that which accounts open the record is the operator's decision,
printed when it happens, never a side effect of starting the server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = ["Account", "AccountError", "add_account", "authenticate", "check_accounts_for_login",
           "count_accounts",
           "get_account", "hash_password", "import_accounts_file", "legacy_accounts_path",
           "list_accounts", "read_accounts_file", "remove_account", "verify_password"]

FORMAT_NAME = "synkinesis.web_accounts"
Role = Literal["clinician", "patient"]
ROLES: tuple[str, ...] = ("clinician", "patient")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
MIN_PASSWORD = 10


class AccountError(ValueError):
    """Bad account data (the message says what was expected)."""


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64) of ``password``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    encode = base64.b64encode
    return (f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}$"
            f"{encode(salt).decode()}${encode(digest).decode()}")


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against :func:`hash_password` output."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt),
                                n=int(n), r=int(r), p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@dataclass(frozen=True)
class Account:
    """One login. ``patient_code`` is set for (and only for) patient accounts."""

    username: str
    role: Role
    password_hash: str
    patient_code: str | None = None

    def may_see(self, patient_code: str) -> bool:
        """Clinicians see every patient; a patient only their own record."""
        return self.role == "clinician" or self.patient_code == patient_code


def _account(row: Any) -> Account:
    return Account(row.username, row.role, row.password_hash,
                   row.patient.code if row.patient is not None else None)


def _row(session: Any, username: str) -> Any:
    from sqlalchemy import select

    from synkinesis.store.models import WebAccount

    return session.scalar(select(WebAccount).where(WebAccount.username == username))


def _patient(session: Any, code: str) -> Any:
    """The patient of ``code``, compared case-insensitively (codes are upper case)."""
    from sqlalchemy import func, select

    from synkinesis.store.models import Patient

    wanted = str(code).strip().upper()
    found = list(session.scalars(select(Patient).where(func.upper(Patient.code) == wanted)))
    if len(found) != 1:
        raise AccountError(f"no patient {code!r} in the record: add the patient first "
                           "(`synk patient list` shows the codes)")
    return found[0]


def _check(username: str, role: str, patient_code: str | None) -> None:
    if not _NAME.match(username):
        raise AccountError("user name must be 2..64 letters, digits or _.@-, "
                           f"got {username!r}")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if (role == "patient") != bool(patient_code):
        raise AccountError("a patient account needs --patient CODE (and only a patient "
                           "account may have one)")


def add_account(session: Any, *, username: str, role: str, password: str,
                patient_code: str | None = None, replace: bool = False) -> Account:
    """Add (or with ``replace`` change) an account in the record.

    Raises
    ------
    AccountError
        Bad name, role or password; a patient account without a patient code or naming a
        patient the record does not have; a clinician with a code; an existing name without
        ``replace``.
    """
    _check(username, role, patient_code)
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password must have at least {MIN_PASSWORD} characters")
    return _store(session, username=username, role=role, password_hash=hash_password(password),
                  patient_code=patient_code, replace=replace)


def _store(session: Any, *, username: str, role: str, password_hash: str,
           patient_code: str | None, replace: bool) -> Account:
    from synkinesis.store.models import WebAccount

    patient = _patient(session, patient_code) if patient_code else None
    row = _row(session, username)
    if row is not None and not replace:
        raise AccountError(f"account {username!r} exists (use --replace to change it)")
    if row is None:
        row = WebAccount(username=username)
        session.add(row)
    row.role, row.password_hash, row.patient = role, password_hash, patient
    session.flush()
    return _account(row)


def remove_account(session: Any, *, username: str) -> None:
    """Delete an account; AccountError when there is none of that name."""
    row = _row(session, username)
    if row is None:
        raise AccountError(f"no account {username!r} (`synk serve users` lists them)")
    session.delete(row)


def list_accounts(session: Any) -> list[Account]:
    """All accounts, by user name."""
    from sqlalchemy import select

    from synkinesis.store.models import WebAccount

    return [_account(row) for row in
            session.scalars(select(WebAccount).order_by(WebAccount.username))]


def count_accounts(session: Any) -> int:
    """How many accounts the record has."""
    from sqlalchemy import func, select

    from synkinesis.store.models import WebAccount

    return int(session.scalar(select(func.count()).select_from(WebAccount)) or 0)


def get_account(session: Any, *, username: str) -> Account | None:
    """The account called ``username``, else None."""
    row = _row(session, username)
    return None if row is None else _account(row)


def authenticate(session: Any, *, username: str, password: str) -> Account | None:
    """The account when the password matches, else None (same cost either way)."""
    account = get_account(session, username=username)
    if account is None:
        verify_password(password, _DUMMY_HASH)
        return None
    return account if verify_password(password, account.password_hash) else None


def check_accounts_for_login(store: Any) -> int:
    """How many accounts the record has, for a server that requires logins.

    Raises
    ------
    AccountError
        The accounts cannot be read (the server must not start: it would open nothing or the
        wrong thing), or there are none (nobody could log in): the message says how to add one,
        to import an accounts file of an earlier version when one exists, or to pass
        ``--no-login``.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from synkinesis.store.errors import StoreError

    try:
        with store.reading() as session:
            count = count_accounts(session)
    except (SQLAlchemyError, StoreError) as error:
        reason = " ".join(str(getattr(error, "orig", None) or error).split())[:200]
        raise AccountError(f"cannot read the web accounts from the record ({reason}); check "
                           "the database (SYNK_DATABASE_URL) before serving") from None
    if count == 0:
        legacy = legacy_accounts_path()
        hint = (f" An accounts file of an earlier version exists: bring it in with `synk serve "
                f"users --import {legacy}`." if legacy.is_file() else "")
        raise AccountError("no web accounts in the record, so nobody could log in. Add one "
                           "with `synk serve adduser NAME --role clinician`, or pass "
                           "--no-login to use the app on this computer without logins."
                           + hint)
    return count


def legacy_accounts_path() -> Path:
    """Where earlier versions kept the accounts file: ``$SYNK_WEB_ACCOUNTS``, else
    ``web-accounts.json`` in the user's data directory."""
    import os

    from synkinesis.store.settings import default_data_dir

    env = os.environ.get("SYNK_WEB_ACCOUNTS")
    return Path(env).expanduser() if env else default_data_dir() / "web-accounts.json"


def read_accounts_file(path: Path) -> list[Account]:
    """The accounts of an accounts file of earlier versions (hashes as stored)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise AccountError(f"{path}: not a readable accounts file ({error})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise AccountError(f"{path}: not a {FORMAT_NAME} file")
    accounts = []
    for entry in data.get("accounts", []):
        try:
            account = Account(str(entry["username"]), entry["role"],
                              str(entry["password_hash"]), entry.get("patient_code") or None)
        except (KeyError, TypeError):
            raise AccountError(f"{path}: each account needs username, role and "
                               "password_hash") from None
        _check(account.username, account.role, account.patient_code)
        if not account.password_hash.startswith("scrypt$"):
            raise AccountError(f"{path}: account {account.username!r} has no scrypt hash")
        accounts.append(account)
    return accounts


def import_accounts_file(session: Any, *, path: Path, replace: bool = False) -> list[Account]:
    """Copy the accounts of an earlier version's accounts file into the record (their
    password hashes as they are: nobody has to choose a new password).

    All or nothing: an account whose name exists (without ``replace``) or whose patient the
    record does not have stops the import with the reason, and nothing is written.
    """
    return [_store(session, username=a.username, role=a.role, password_hash=a.password_hash,
                   patient_code=a.patient_code, replace=replace)
            for a in read_accounts_file(path)]


_DUMMY_HASH = ("scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$"
               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
