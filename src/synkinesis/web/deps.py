"""Shared state of one app and the dependencies routes inject (user, CSRF, record, pages)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, Form, HTTPException, Request, WebSocket
from fastapi.templating import Jinja2Templates

from synkinesis.web.accounts import Account, get_account
from synkinesis.web.security import (
    COOKIE,
    LOCAL_ACCOUNT,
    LoginRequired,
    SessionManager,
    WebSession,
    check_patient_access,
)
from synkinesis.web.settings import WebSettings
from synkinesis.web.throttle import LoginThrottle

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


@dataclass
class AppState:
    """What every request of one app shares."""

    settings: WebSettings
    store: Any  # synkinesis.store.Store
    sessions: SessionManager
    throttle: LoginThrottle
    templates: Jinja2Templates
    jobs: Any  # synkinesis.web.jobs.JobManager
    live: Any  # synkinesis.web.biofeedback.LiveLimiter

    def open_mode(self) -> bool:
        """``synk serve --no-login`` (loopback only): the local user is a clinician without a
        login. Fixed when the app is made; nothing while it runs relaxes it."""
        return self.settings.no_login


def app_state(request: Request) -> AppState:
    return request.app.state.synk


def session_for(state: AppState, token: str | None) -> WebSession | None:
    """The session of a cookie token; in open mode a local session is created on demand.

    With logins, the session's account is read again from the record: an account removed or
    changed (``synk serve deluser``, a new password) ends its sessions at once. A record that
    cannot be read raises (the app answers 503), it never opens the app.
    """
    session = state.sessions.get(token)
    if state.open_mode():
        return session or state.sessions.shared(LOCAL_ACCOUNT)
    if session is None:
        return None
    with state.store.reading() as db:
        current = get_account(db, username=session.account.username)
    if current != session.account:
        state.sessions.drop(session.token)
        return None
    return session


def current_session(request: Request) -> WebSession:
    """The caller's session; raises :class:`LoginRequired` when there is none."""
    cached = getattr(request.state, "web_session", None)
    if cached is not None:
        return cached
    state = app_state(request)
    session = session_for(state, request.cookies.get(COOKIE))
    if session is None:
        raise LoginRequired()
    request.state.web_session = session
    return session


def current_user(session: WebSession = Depends(current_session)) -> Account:
    return session.account


def require_clinician(user: Account = Depends(current_user)) -> Account:
    if user.role != "clinician":
        raise HTTPException(403, "this page is for clinicians")
    return user


def patient_access(code: str, request: Request, user: Account = Depends(current_user)) -> str:
    """The patient code of the path (upper case), after checking the user may see it (403, a
    log line and an audit event otherwise); a page read is recorded as a view."""
    from synkinesis.store import audit

    code = code.strip().upper()
    store = app_state(request).store
    check_patient_access(user, code, what=request.url.path, store=store)
    if request.method == "GET":
        with store.transaction() as session:
            audit.record_view(session, patient_code=code, what=request.url.path)
    return code


def csrf_checked(request: Request, csrf_token: str = Form("")) -> WebSession:
    """Forms: the session, after checking the submitted CSRF token (403 otherwise)."""
    session = current_session(request)
    if not session.csrf_ok(csrf_token):
        raise HTTPException(403, "the form's security token is missing or stale: reload the page "
                                 "and submit again")
    return session


def normalised_origin(origin: str) -> str | None:
    """``scheme://host:port`` of an Origin header (default ports written out), else None."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(origin.strip())
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host.lower()}:{port}"


def websocket_session(websocket: WebSocket) -> WebSession | None:
    """The session of a WebSocket handshake from one of the app's configured origins (not
    whatever the Host header says: a DNS-rebinding page controls both), else None. A
    handshake without Origin is not from a browser page, and still needs the session."""
    state: AppState = websocket.app.state.synk
    origin = websocket.headers.get("origin")
    if origin is not None and normalised_origin(origin) not in state.settings.origins:
        return None
    return session_for(state, websocket.cookies.get(COOKIE))


def render(request: Request, name: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200):
    """A page with the user and CSRF token in its context."""
    state = app_state(request)
    session = getattr(request.state, "web_session", None)
    ctx = {"user": session.account if session else None,
           "csrf_token": session.csrf if session else "",
           "open_mode": state.open_mode(), **(context or {})}
    response = state.templates.TemplateResponse(request, name, ctx, status_code=status_code)
    return response
