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
def login(request: Request, username: str = Form(...), password: str = Form(...),
          next: str = Form("/")):
    state = app_state(request)
    account = state.accounts.authenticate(username, password)
    if account is None:
        log.warning("failed login for %r from %s", username,
                    request.client.host if request.client else "?")
        return render(request, "login.html", {"next": _safe_next(next),
                                              "error": "wrong user name or password"},
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
