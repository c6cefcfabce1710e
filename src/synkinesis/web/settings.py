"""Settings of the web app, from the environment, built by a factory (never at import time).

Environment variables (all optional)
------------------------------------
``SYNK_WEB_ENV``
    ``development`` (default when bound to a loopback address) or ``production``.
``SYNK_WEB_SECRET``
    Secret for session tokens and CSRF (at least 32 characters). Refused outside development
    when missing or short; in development a random one is made per run.
``SYNK_WEB_ACCOUNTS``
    The accounts file (default ``web-accounts.json`` in the user's data directory), managed by
    ``synk serve adduser``.
``SYNK_WEB_MAX_UPLOAD_MB``
    Largest accepted recording upload (default 200 MB).
``SYNK_WEB_COOKIE_SECURE``
    ``1`` to mark cookies Secure (needs HTTPS in front; default on in production).
The record itself is configured as for every ``synk`` command (``SYNK_DATABASE_URL``,
``SYNK_DATA_DIR``).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["UnsafeSettingsError", "WebSettings", "default_accounts_path", "is_loopback",
           "load_web_settings"]


class UnsafeSettingsError(ValueError):
    """Settings that would expose patient data (the message says how to fix them)."""


def default_accounts_path() -> Path:
    """``web-accounts.json`` in the user's data directory (platformdirs)."""
    from synkinesis.store.settings import default_data_dir

    return default_data_dir() / "web-accounts.json"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class WebSettings(BaseModel):
    """Everything ``create_app`` needs (immutable).

    Attributes
    ----------
    host, port : where the server binds.
    environment : "development" or "production".
    secret_key : str, session and CSRF secret.
    accounts_path : Path, the accounts file.
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
    """

    model_config = ConfigDict(frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    environment: Literal["development", "production"] = "development"
    secret_key: str = Field(default_factory=lambda: secrets.token_urlsafe(32), min_length=32)
    accounts_path: Path = Field(default_factory=default_accounts_path)
    database_url: str | None = None
    max_upload_bytes: int = Field(200 * 1024 * 1024, gt=0)
    cookie_secure: bool = False
    session_hours: float = Field(12.0, gt=0)
    record_countdown_s: float = Field(3.0, ge=0, le=30)
    record_hold_s: float = Field(3.0, gt=0, le=30)
    record_relax_s: float = Field(1.5, ge=0, le=30)
    exercise_hold_s: float = Field(5.0, gt=0, le=60)
    max_live_sessions: int = Field(8, ge=1, le=64)

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


def load_web_settings(*, environ: Mapping[str, str] | None = None, **overrides: object
                      ) -> WebSettings:
    """Build the settings from the environment and explicit values, refusing unsafe ones.

    Raises
    ------
    UnsafeSettingsError
        Outside development: no secret or a short one; bound to a non-loopback address without
        any account (nobody could log in, or anyone could read the record).
    """
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    if env.get("SYNK_WEB_ACCOUNTS"):
        values["accounts_path"] = Path(env["SYNK_WEB_ACCOUNTS"]).expanduser()
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
    if not is_loopback(host):
        from synkinesis.web.accounts import AccountStore

        accounts_path = Path(str(values.get("accounts_path") or default_accounts_path()))
        if not AccountStore(accounts_path).load():
            raise UnsafeSettingsError(
                f"refusing to serve on {host}: no accounts are configured, so the "
                "patient record would be open to the network. Add one with `synk serve adduser "
                f"NAME --role clinician` (accounts file {accounts_path}), or bind to "
                "127.0.0.1.")
    if environment != "development":
        if len(str(values.get("secret_key", ""))) < 32:
            raise UnsafeSettingsError(
                "outside development the web app needs SYNK_WEB_SECRET (at least 32 random "
                "characters, e.g. from `python -c 'import secrets; print(secrets.token_urlsafe"
                "(32))'`)")
        values.setdefault("cookie_secure", True)
    settings = WebSettings(**values)  # type: ignore[arg-type]
    return settings
