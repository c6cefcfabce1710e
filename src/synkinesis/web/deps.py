"""Shared state of one app and the dependencies routes inject (user, CSRF, record, pages)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, Form, HTTPException, Request, WebSocket
from fastapi.templating import Jinja2Templates

from synkinesis.web.accounts import Account, AccountStore
from synkinesis.web.security import (
    COOKIE,
    LOCAL_ACCOUNT,
    LoginRequired,
    SessionManager,
    WebSession,
    check_patient_access,
)
from synkinesis.web.settings import WebSettings

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


@dataclass
class AppState:
    """What every request of one app shares."""

    settings: WebSettings
    store: Any  # synkinesis.store.Store
    accounts: AccountStore
    sessions: SessionManager
    templates: Jinja2Templates
    jobs: Any  # synkinesis.web.jobs.JobManager
    live: Any  # synkinesis.web.biofeedback.LiveLimiter

    def open_mode(self) -> bool:
        """No accounts on a loopback server: the local user is a clinician without a login."""
        return self.settings.loopback and not self.accounts.load()


def app_state(request: Request) -> AppState:
    return request.app.state.synk


def session_for(state: AppState, token: str | None) -> WebSession | None:
    """The session of a cookie token; in open mode a local session is created on demand."""
    session = state.sessions.get(token)
    if session is None and state.open_mode():
        session = state.sessions.create(LOCAL_ACCOUNT)
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


def websocket_session(websocket: WebSocket) -> WebSession | None:
    """The session of a WebSocket handshake from this app's own origin, else None."""
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host")
    if origin is not None and origin.split("://", 1)[-1] != host:
        return None
    state: AppState = websocket.app.state.synk
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
