"""Logins, session cookies, CSRF tokens and per-patient access checks.

Sessions live in server memory (a restart logs everybody out): the cookie holds only a random
token signed with the app's secret (HMAC-SHA256; HttpOnly, SameSite=Strict, Secure when
configured), so a forged or unsigned cookie is refused before any lookup. Every form carries
the session's CSRF token; WebSockets must come from one of the app's configured origins. A
patient asking for another patient's data gets the same 404 as for data that does not exist,
and a warning in the log.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from synkinesis.web.accounts import Account

__all__ = ["COOKIE", "LOCAL_ACCOUNT", "AccessDenied", "LoginRequired", "SessionManager",
           "WebSession", "check_patient_access"]

log = logging.getLogger("synkinesis.web.security")
COOKIE = "synk_session"
#: The implicit user of ``synk serve --no-login`` (loopback only: one person at their own
#: computer).
LOCAL_ACCOUNT = Account("local", "clinician", "")


class LoginRequired(Exception):
    """No valid session: HTML pages redirect to the login page, APIs answer 401."""


class AccessDenied(Exception):
    """The user may not see this (403)."""


@dataclass
class WebSession:
    """One logged-in browser."""

    token: str
    account: Account
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    expires: float = 0.0

    def csrf_ok(self, given: str | None) -> bool:
        """Constant-time check of a submitted CSRF token."""
        return bool(given) and hmac.compare_digest(str(given), self.csrf)


class SessionManager:
    """Server-side sessions by random token, with an idle timeout."""

    def __init__(self, *, lifetime_s: float, secret: str) -> None:
        self.lifetime_s = lifetime_s
        self._key = secret.encode()
        self._sessions: dict[str, WebSession] = {}
        self._shared: dict[str, WebSession] = {}
        self._lock = threading.Lock()

    def create(self, account: Account) -> WebSession:
        """A new session; sessions past their lifetime are dropped here too, so that the
        table cannot grow with requests that never come back."""
        now = time.monotonic()
        session = WebSession(secrets.token_urlsafe(32), account, expires=now + self.lifetime_s)
        with self._lock:
            for token in [t for t, s in self._sessions.items() if s.expires < now]:
                del self._sessions[token]
            self._sessions[session.token] = session
        return session

    def shared(self, account: Account) -> WebSession:
        """The one session of ``account`` for requests without a cookie (``--no-login``):
        made once and renewed, never one per request (any web page open in the browser can
        send cookieless requests to 127.0.0.1)."""
        with self._lock:
            session = self._shared.get(account.username)
            now = time.monotonic()
            if session is not None and session.expires >= now:
                session.expires = now + self.lifetime_s
                return session
        session = self.create(account)
        with self._lock:
            self._shared[account.username] = session
        return session

    def _sign(self, token: str) -> str:
        return hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()

    def cookie_value(self, session: WebSession) -> str:
        """``token.signature`` for the session cookie."""
        return f"{session.token}.{self._sign(session.token)}"

    def get(self, cookie: str | None) -> WebSession | None:
        """The live session of a signed cookie value (its lifetime renewed), else None."""
        token, _, signature = (cookie or "").partition(".")
        if not token or not hmac.compare_digest(signature, self._sign(token)):
            return None
        with self._lock:
            session = self._sessions.get(token)
            now = time.monotonic()
            if session is None or session.expires < now:
                self._sessions.pop(token, None)
                return None
            session.expires = now + self.lifetime_s
            return session

    def drop(self, token: str | None) -> None:
        with self._lock:
            self._sessions.pop(token or "", None)


def check_patient_access(account: Account, patient_code: str, *, what: str,
                         store: Any) -> None:
    """Raise :class:`AccessDenied` (and log it, and put it in the record's audit trail in its
    own transaction, so it survives the refusal) unless ``account`` may see the patient.

    ``store`` is required so that no route can forget the trail; None only where there is no
    record (a unit test of the rule)."""
    if not account.may_see(patient_code):
        log.warning("access denied: user %r (%s of %r) asked for %s of patient %r",
                    account.username, account.role, account.patient_code, what, patient_code)
        if store is not None:
            from synkinesis.store.audit import record_denied

            record_denied(store, patient_code=patient_code, what=what)
        raise AccessDenied(f"you may not see patient {patient_code}'s record")
