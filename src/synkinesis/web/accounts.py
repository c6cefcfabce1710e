"""Web accounts: clinicians (every patient) and patients (their own record only).

Kept in a JSON file (format ``synkinesis.web_accounts`` version 1) until the record has an
accounts table. Passwords are hashed with scrypt (stdlib ``hashlib.scrypt``, n=2**14, r=8,
p=1, 16-byte salt); the file never holds a password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

__all__ = ["Account", "AccountError", "AccountStore", "hash_password", "verify_password"]

FORMAT_NAME = "synkinesis.web_accounts"
FORMAT_VERSION = 1
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


class AccountStore:
    """The accounts file: read, add, remove (written atomically, mode 0600)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, Account]:
        """All accounts by user name (empty when the file does not exist)."""
        if not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise AccountError(f"{self.path}: not a readable accounts file ({error})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise AccountError(f"{self.path}: not a {FORMAT_NAME} file")
        return {a["username"]: Account(**a) for a in data.get("accounts", [])}

    def _save(self, accounts: dict[str, Account]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        content = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
                   "accounts": [asdict(a) for a in accounts.values()]}
        handle, name = tempfile.mkstemp(prefix=".accounts-", dir=self.path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(content, out, indent=2)
        os.chmod(name, 0o600)
        os.replace(name, self.path)

    def add(self, username: str, *, role: str, password: str,
            patient_code: str | None = None, replace: bool = False) -> Account:
        """Add (or with ``replace`` change) an account.

        Raises
        ------
        AccountError
            Bad name, role or password, a patient account without a patient code, a clinician
            with one, or an existing name without ``replace``.
        """
        if not _NAME.match(username):
            raise AccountError("user name must be 2..64 letters, digits or _.@-, "
                               f"got {username!r}")
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        if (role == "patient") != bool(patient_code):
            raise AccountError("a patient account needs --patient CODE (and only a patient "
                               "account may have one)")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"password must have at least {MIN_PASSWORD} characters")
        accounts = self.load()
        if username in accounts and not replace:
            raise AccountError(f"account {username!r} exists (use --replace to change it)")
        account = Account(username, role, hash_password(password),  # type: ignore[arg-type]
                          patient_code or None)
        accounts[username] = account
        self._save(accounts)
        return account

    def remove(self, username: str) -> None:
        """Delete an account; AccountError when there is none of that name."""
        accounts = self.load()
        if username not in accounts:
            raise AccountError(f"no account {username!r}")
        del accounts[username]
        self._save(accounts)

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account when the password matches, else None (same cost either way)."""
        account = self.load().get(username)
        if account is None:
            verify_password(password, _DUMMY_HASH)
            return None
        return account if verify_password(password, account.password_hash) else None


_DUMMY_HASH = ("scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$"
               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
