"""The app factory: ``create_app(settings)`` wires settings, record, sessions, routers."""

from __future__ import annotations

import contextlib
import json
import logging

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from synkinesis import __version__
from synkinesis.web.deps import STATIC_DIR, TEMPLATES_DIR, AppState, render
from synkinesis.web.security import COOKIE, AccessDenied, LoginRequired, SessionManager
from synkinesis.web.settings import WebSettings
from synkinesis.web.throttle import LoginThrottle

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
#: What a patient account gets for another patient's data and for data that does not exist
#: alike (404, this body), so that probing tells nothing.
NOT_FOUND = "not found"


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
    from sqlalchemy.exc import SQLAlchemyError

    from synkinesis.store import load_settings, open_store
    from synkinesis.store.errors import NotFoundError, StoreError
    from synkinesis.web.biofeedback import LiveLimiter
    from synkinesis.web.jobs import JobManager
    from synkinesis.web.routers import (
        auth,
        biofeedback,
        forms,
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
        settings=settings, store=store, throttle=LoginThrottle(
            max_failures=settings.login_lockout_failures,
            window_s=settings.login_lockout_minutes * 60,
            lockout_s=settings.login_lockout_minutes * 60,
            client_attempts=settings.login_attempts_per_minute),
        sessions=SessionManager(lifetime_s=settings.session_hours * 3600,
                                secret=settings.secret_key),
        templates=templates, jobs=JobManager(store),
        live=LiveLimiter(settings.max_live_sessions, per_account=settings.max_live_per_account))
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for module in (auth, patients, visits, scales, toxin, recordings, jobs, biofeedback,
                   forms):
        app.include_router(module.router)

    # Inside the cookie middleware: its receive wrapper would turn the limit's 413 into an
    # exception group, which the body parser answers with 400.
    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_bytes)

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
        return response

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired):
        if _wants_html(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return JSONResponse({"detail": "log in first"}, status_code=401)

    @app.exception_handler(AccessDenied)
    async def access_denied(request: Request, _exc: AccessDenied):
        # logged by check_patient_access; answered like a record that does not exist
        return _error(request, 404, NOT_FOUND)

    @app.exception_handler(StoreError)
    async def record_unavailable(request: Request, exc: StoreError):
        if isinstance(exc, NotFoundError):
            return _error(request, 404, str(exc))
        log.error("the record cannot be read: %s", exc)
        return _error(request, 503, _UNAVAILABLE)

    @app.exception_handler(SQLAlchemyError)
    async def database_error(request: Request, exc: SQLAlchemyError):
        log.error("the record cannot be read: %s", " ".join(str(exc).split())[:300])
        return _error(request, 503, _UNAVAILABLE)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception):
        # Starlette sends this response from outside every middleware: headers set here.
        # The traceback goes to the server log (Starlette re-raises to the server), never here.
        log.error("error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        response = JSONResponse({"detail": "internal error; the server log says more"},
                                status_code=500)
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return _error(request, exc.status_code, str(exc.detail))

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    # outermost last: headers on every answer, then the Host check, the login before any
    # body is read (then the body limit, added first)
    app.add_middleware(LoginGate, state=app.state.synk)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(settings.host_names),
                       www_redirect=False)
    app.add_middleware(SecurityHeaders)
    return app


_UNAVAILABLE = ("the patient record cannot be read right now; the person running the server "
                "should check the database (the server log says why)")


def _error(request: Request, status: int, message: str):
    if _wants_html(request) and status >= 400:
        return render(request, "error.html", {"status": status, "message": message},
                      status_code=status)
    return JSONResponse({"detail": message}, status_code=status)


class SecurityHeaders:
    """ASGI wrapper adding :data:`SECURITY_HEADERS` to every response start, whichever layer
    answered (Host check, body limit, login gate, the app)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name.lower().encode(), value.encode())
                         for name, value in SECURITY_HEADERS.items()
                         if name.lower().encode() not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


class LoginGate:
    """ASGI wrapper answering 401 to a request with a body (POST, PUT, PATCH) that has no
    valid session, before any of the body is read: an anonymous upload costs nothing. The
    login form itself is exempt. (Routes check the login and CSRF token again.)"""

    EXEMPT = frozenset({"/login"})

    def __init__(self, app, *, state: AppState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope, receive, send) -> None:
        if (scope["type"] != "http" or self.state.open_mode()
                or scope["method"] in ("GET", "HEAD", "OPTIONS")
                or scope["path"] in self.EXEMPT):
            await self.app(scope, receive, send)
            return
        from starlette.requests import HTTPConnection

        if self.state.sessions.get(HTTPConnection(scope).cookies.get(COOKIE)) is None:
            body = json.dumps({"detail": "log in first"}).encode()
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode()),
                                    (b"connection", b"close")]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


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
        limit_text = (f"the upload is larger than the limit of "
                      f"{self.max_bytes / (1024 * 1024):.3g} MB")
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
                    raise _TooLarge(limit_text)
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


class _TooLarge(HTTPException):
    """The request body passed the upload limit (an HTTPException, so that the body parser
    passes it on as 413 instead of turning it into 400 "error parsing the body")."""

    def __init__(self, text: str) -> None:
        super().__init__(413, text)
