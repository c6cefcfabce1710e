"""Settings of the web app, from the environment, built by a factory (never at import time).

Environment variables (all optional)
------------------------------------
``SYNK_WEB_ENV``
    ``development`` (default when bound to a loopback address) or ``production``.
``SYNK_WEB_SECRET``
    Secret for session tokens and CSRF (at least 32 characters). Refused outside development
    when missing or short; in development a random one is made per run.
``SYNK_WEB_ALLOWED_HOSTS``
    Comma-separated host names (optionally ``name:port``) the browser may use to reach the
    server, besides the bound address (loopback binds allow ``127.0.0.1``, ``localhost`` and
    ``[::1]``). Any other ``Host`` header is refused (DNS rebinding), and live sockets must
    come from one of these origins. Required when binding to every address (``0.0.0.0``).
``SYNK_WEB_MAX_UPLOAD_MB``
    Largest accepted recording upload (default 200 MB).
``SYNK_WEB_COOKIE_SECURE``
    ``1`` to mark cookies Secure (needs HTTPS in front; default on in production).
The record itself is configured as for every ``synk`` command (``SYNK_DATABASE_URL``,
``SYNK_DATA_DIR``); the accounts are in it (``synk serve adduser``).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["LOOPBACK_NAMES", "UnsafeSettingsError", "WebSettings", "is_loopback",
           "load_web_settings"]

#: The names a browser uses for a loopback server.
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class UnsafeSettingsError(ValueError):
    """Settings that would expose patient data (the message says how to fix them)."""


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class WebSettings(BaseModel):
    """Everything ``create_app`` needs (immutable).

    Attributes
    ----------
    host, port : where the server binds.
    environment : "development" or "production".
    secret_key : str, session and CSRF secret.
    no_login : bool
        The person at this computer uses the app without logging in (``synk serve
        --no-login``; loopback binds only). Decided at start, never changed while running.
    allowed_hosts : tuple of str
        ``Host`` header names accepted (``name`` or ``name:port``); see :attr:`host_names`.
    database_url : str or None, overrides ``SYNK_DATABASE_URL``.
    max_upload_bytes : int, largest recording upload.
    cookie_secure : bool, Secure flag on cookies.
    session_hours : float, idle lifetime of a login.
    record_countdown_s, record_hold_s, record_relax_s : float
        Guided recording timing per task (seconds).
    exercise_hold_s : float
        Hold time of one biofeedback repetition (CLINICAL.md: hold ~5 s) [V consensus].
    max_live_sessions : int
        Simultaneous WebSocket sessions (each runs its own landmark engine).
    login_attempts_per_minute : int
        Logins one client address may try per minute (any outcome).
    login_lockout_failures, login_lockout_minutes : int, float
        This many wrong passwords for one account within the lockout time lock it for the
        lockout time (the right password included).
    max_live_per_account : int
        Simultaneous WebSocket sessions of one account (a camera page and a spare tab), so
        one account cannot take every slot.
    """

    model_config = ConfigDict(frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    environment: Literal["development", "production"] = "development"
    secret_key: str = Field(default_factory=lambda: secrets.token_urlsafe(32), min_length=32)
    no_login: bool = False
    allowed_hosts: tuple[str, ...] = ()
    database_url: str | None = None
    max_upload_bytes: int = Field(200 * 1024 * 1024, gt=0)
    cookie_secure: bool = False
    session_hours: float = Field(12.0, gt=0)
    record_countdown_s: float = Field(3.0, ge=0, le=30)
    record_hold_s: float = Field(3.0, gt=0, le=30)
    record_relax_s: float = Field(1.5, ge=0, le=30)
    exercise_hold_s: float = Field(5.0, gt=0, le=60)
    max_live_sessions: int = Field(8, ge=1, le=64)
    max_live_per_account: int = Field(2, ge=1, le=64)
    login_attempts_per_minute: int = Field(20, ge=1, le=10_000)
    login_lockout_failures: int = Field(10, ge=1, le=1000)
    login_lockout_minutes: float = Field(15.0, gt=0, le=24 * 60)

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    @property
    def host_names(self) -> tuple[str, ...]:
        """Host names (no port) a request may name: the loopback names for a loopback bind,
        else the bound address (unless it is a wildcard), plus :attr:`allowed_hosts`."""
        names: list[str] = list(LOOPBACK_NAMES) if self.loopback else []
        if not self.loopback and not _is_wildcard(self.host):
            names.append(_bracketed(self.host))
        names += [_split_host(entry)[0] for entry in self.allowed_hosts]
        return tuple(dict.fromkeys(name.lower() for name in names))

    @property
    def origins(self) -> frozenset[str]:
        """``scheme://host:port`` a live socket may come from (the port is the server's unless
        an allowed host names another, e.g. a proxy's ``clinic.example:443``)."""
        entries = [(name, None) for name in self.host_names]
        entries += [_split_host(entry) for entry in self.allowed_hosts]
        out = set()
        for name, port in entries:
            for scheme in ("http", "https"):
                out.add(f"{scheme}://{name.lower()}:{port or self.port}")
        return frozenset(out)


def _is_wildcard(host: str) -> bool:
    return host.strip("[]") in ("0.0.0.0", "::", "")


def _bracketed(host: str) -> str:
    """IPv6 addresses as a Host header writes them: ``[::1]``."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _split_host(entry: str) -> tuple[str, int | None]:
    """``name``, ``name:port``, ``[v6]`` or ``[v6]:port`` -> (name, port or None)."""
    entry = entry.strip()
    if entry.startswith("["):
        name, _, rest = entry.partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        name += "]"
    elif entry.count(":") == 1:
        name, port = entry.split(":")
    else:
        name, port = _bracketed(entry), ""
    if not name.strip("[]") or (port and not port.isdigit()):
        raise UnsafeSettingsError(f"allowed hosts must be host names like clinic.example or "
                                  f"clinic.example:443, got {entry!r}")
    return name, int(port) if port else None


def load_web_settings(*, environ: Mapping[str, str] | None = None, **overrides: object
                      ) -> WebSettings:
    """Build the settings from the environment and explicit values, refusing unsafe ones.

    Raises
    ------
    UnsafeSettingsError
        Outside development: no secret or a short one. ``no_login`` on a non-loopback
        address. A wildcard bind (``0.0.0.0``) without ``SYNK_WEB_ALLOWED_HOSTS``.
        (Whether accounts exist is checked by ``synk serve`` against the record.)
    """
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    if env.get("SYNK_WEB_ALLOWED_HOSTS"):
        values["allowed_hosts"] = tuple(h.strip() for h in env["SYNK_WEB_ALLOWED_HOSTS"]
                                        .split(",") if h.strip())
    if env.get("SYNK_WEB_MAX_UPLOAD_MB"):
        values["max_upload_bytes"] = int(float(env["SYNK_WEB_MAX_UPLOAD_MB"]) * 1024 * 1024)
    if env.get("SYNK_WEB_COOKIE_SECURE"):
        values["cookie_secure"] = env["SYNK_WEB_COOKIE_SECURE"] not in ("0", "false", "no")
    values.update({k: v for k, v in overrides.items() if v is not None})
    host = str(values.get("host", "127.0.0.1"))
    environment = str(values.get("environment") or env.get("SYNK_WEB_ENV")
                      or ("development" if is_loopback(host) else "production"))
    values["environment"] = environment
    secret = env.get("SYNK_WEB_SECRET")
    if secret:
        values.setdefault("secret_key", secret)
    if values.get("no_login") and not is_loopback(host):
        raise UnsafeSettingsError(
            f"refusing --no-login on {host}: without logins anyone on the network could read "
            "the patient record. Bind to 127.0.0.1, or add accounts (`synk serve adduser NAME "
            "--role clinician`) and drop --no-login.")
    for entry in values.get("allowed_hosts") or ():  # type: ignore[attr-defined]
        _split_host(str(entry))
    if _is_wildcard(host) and not values.get("allowed_hosts"):
        raise UnsafeSettingsError(
            f"bound to every address ({host}), the server needs the names browsers will use "
            "to reach it: set SYNK_WEB_ALLOWED_HOSTS (e.g. clinic.example,192.168.1.20); any "
            "other Host header is refused")
    if environment != "development":
        if len(str(values.get("secret_key", ""))) < 32:
            raise UnsafeSettingsError(
                "outside development the web app needs SYNK_WEB_SECRET (at least 32 random "
                "characters, e.g. from `python -c 'import secrets; print(secrets.token_urlsafe"
                "(32))'`)")
        values.setdefault("cookie_secure", True)
    settings = WebSettings(**values)  # type: ignore[arg-type]
    return settings
