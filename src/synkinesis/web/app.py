"""The app factory: ``create_app(settings)`` wires settings, record, sessions, routers."""

from __future__ import annotations

import contextlib
import json
import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from synkinesis import __version__
from synkinesis.web.accounts import AccountStore
from synkinesis.web.deps import STATIC_DIR, TEMPLATES_DIR, AppState, render
from synkinesis.web.security import COOKIE, AccessDenied, LoginRequired, SessionManager
from synkinesis.web.settings import WebSettings

log = logging.getLogger("synkinesis.web")

#: Security headers on every response: no framing, no sniffing, nothing loaded from elsewhere.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data: blob:; "
                                "media-src 'self' blob: mediastream:; connect-src 'self'; "
                                "style-src 'self'; script-src 'self'; frame-ancestors 'none'"),
}


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def create_app(settings: WebSettings, *, store=None) -> FastAPI:
    """Build the web app.

    Parameters
    ----------
    settings : WebSettings
        From :func:`synkinesis.web.settings.load_web_settings` (which refuses unsafe ones).
    store : synkinesis.store.Store, optional
        An opened record; default: opened from ``settings.database_url`` / the environment.
    """
    from synkinesis.store import load_settings, open_store
    from synkinesis.web.biofeedback import LiveLimiter
    from synkinesis.web.jobs import JobManager
    from synkinesis.web.routers import (
        auth,
        biofeedback,
        jobs,
        patients,
        recordings,
        scales,
        toxin,
        visits,
    )

    if store is None:
        store = open_store(load_settings(database_url=settings.database_url))
    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        _app.state.synk.jobs.shutdown()
        _app.state.synk.live.pool.shutdown(wait=False)

    app = FastAPI(title="synkinesis", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url=None, lifespan=lifespan)
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    app.state.synk = AppState(
        settings=settings, store=store, accounts=AccountStore(settings.accounts_path),
        sessions=SessionManager(lifetime_s=settings.session_hours * 3600,
                                secret=settings.secret_key),
        templates=templates, jobs=JobManager(store), live=LiveLimiter(settings.max_live_sessions))
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for module in (auth, patients, visits, scales, toxin, recordings, jobs, biofeedback):
        app.include_router(module.router)

    @app.middleware("http")
    async def session_cookie_and_headers(request: Request, call_next):
        from synkinesis.store.audit import Actor, acting_as

        known = app.state.synk.sessions.get(request.cookies.get(COOKIE))
        name = known.account.username if known else (
            "local" if app.state.synk.open_mode() else "anonymous")
        client = request.client.host if request.client else ""
        with acting_as(Actor(name, "web", client)):  # the audit trail's "who", per request
            response = await call_next(request)
        session = getattr(request.state, "web_session", None)
        if session is not None and not getattr(request.state, "logged_out", False):
            value = app.state.synk.sessions.cookie_value(session)
            if request.cookies.get(COOKIE) != value:
                response.set_cookie(COOKIE, value, httponly=True, samesite="strict",
                                    secure=settings.cookie_secure, path="/")
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired):
        if _wants_html(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return JSONResponse({"detail": "log in first"}, status_code=401)

    @app.exception_handler(AccessDenied)
    async def access_denied(request: Request, exc: AccessDenied):
        if _wants_html(request):
            return render(request, "error.html", {"status": 403, "message": str(exc)},
                          status_code=403)
        return JSONResponse({"detail": str(exc)}, status_code=403)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if _wants_html(request) and exc.status_code >= 400:
            return render(request, "error.html",
                          {"status": exc.status_code, "message": exc.detail},
                          status_code=exc.status_code)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_bytes)
    return app


class BodyLimit:
    """ASGI wrapper refusing request bodies above ``max_bytes`` with 413, by the declared
    Content-Length before reading anything, and by counting for chunked uploads.

    """

    def __init__(self, app, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        limit_text = f"the upload is larger than the limit of {self.max_bytes // (1024 * 1024)} MB"
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send, limit_text)
            return
        received = 0
        started = False

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge()
            return message

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send, limit_text)

    @staticmethod
    async def _refuse(send, text: str) -> None:
        body = json.dumps({"detail": text}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    """The request body passed the upload limit."""
