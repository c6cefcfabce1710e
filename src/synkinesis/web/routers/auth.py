"""Log in and out."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from synkinesis.web.deps import app_state, csrf_checked, render
from synkinesis.web.security import COOKIE, WebSession

router = APIRouter(tags=["auth"])
log = logging.getLogger("synkinesis.web.security")


def _safe_next(target: str) -> str:
    """Only local paths (no open redirect to another site)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login")
def login_page(request: Request, next: str = "/"):
    return render(request, "login.html", {"next": _safe_next(next), "error": ""})


@router.post("/login")
def login(request: Request, username: str = Form(..., max_length=200),
          password: str = Form(..., max_length=1000), next: str = Form("/")):
    """Check the password unless the account is locked or the client too fast (429 with the
    reason on the login page); wrong passwords count towards the account's lockout."""
    from synkinesis.store.audit import record_login
    from synkinesis.web.accounts import authenticate

    state = app_state(request)
    client = request.client.host if request.client else "?"
    refusal = state.throttle.begin(username=username, client=client)
    if refusal is not None:
        log.warning("login refused for %r from %s: %s", username, client, refusal.message)
        record_login(state.store, username=username,
                     outcome="locked" if refusal.account_locked else "throttled")
        response = render(request, "login.html", {"next": _safe_next(next),
                                                  "error": refusal.message}, status_code=429)
        response.headers["Retry-After"] = str(refusal.retry_after_s)
        return response
    account = None
    try:
        with state.store.reading() as session:
            account = authenticate(session, username=username, password=password)
    finally:
        locked = state.throttle.finish(username=username, success=account is not None)
    record_login(state.store, username=username,
                 outcome="success" if account is not None else "wrong password",
                 patient_code=account.patient_code if account is not None else None)
    if account is None:
        log.warning("failed login for %r from %s", username, client)
        error = "wrong user name or password"
        if locked:
            log.warning("account %r locked for %.0f min after %d wrong passwords (last from "
                        "%s)", username, state.throttle.lockout_s / 60,
                        state.throttle.max_failures, client)
            error += "; " + state.throttle.lockout().message
        return render(request, "login.html", {"next": _safe_next(next), "error": error},
                      status_code=401)
    session = state.sessions.create(account)
    request.state.web_session = session
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, session: WebSession = Depends(csrf_checked)):
    app_state(request).sessions.drop(session.token)
    request.state.logged_out = True
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
