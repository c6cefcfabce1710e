"""Login throttling: a rate per client address and a lockout per account (in memory).

* per client: at most ``client_attempts`` logins per ``client_window_s`` (any outcome), so one
  computer cannot try passwords faster than a person types them;
* per account: ``max_failures`` wrong passwords within ``window_s`` lock the account for
  ``lockout_s``; while locked no password is checked at all, the right one included. Names that
  are no account are counted the same way, so a lockout does not tell which names exist.

Attempts are reserved before the (slow, scrypt) password check: parallel guesses count as they
start, not when they finish, so 200 at once are refused like 200 in a row. The state is per
server process and forgotten on restart (a restart is an operator's act, logged).
Pure bookkeeping with an injectable clock; the login route calls it, logging is its own.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["LoginThrottle", "Refusal"]


@dataclass(frozen=True)
class Refusal:
    """Why a login attempt is refused before its password is checked."""

    message: str
    retry_after_s: int
    account_locked: bool


@dataclass
class _Account:
    failures: deque[float] = field(default_factory=deque)
    in_flight: int = 0
    locked_until: float = 0.0


class LoginThrottle:
    """Counts login attempts; :meth:`begin` before the password check, :meth:`finish` after.

    Parameters
    ----------
    max_failures, window_s, lockout_s : the account lockout (default 10 wrong passwords in
        15 min lock the account for 15 min).
    client_attempts, client_window_s : the rate per client address (default 20 a minute).
    max_keys : most names / addresses remembered (oldest idle ones are forgotten first).
    clock : seconds, monotonic (tests pass a fake one).
    """

    def __init__(self, *, max_failures: int = 10, window_s: float = 900.0,
                 lockout_s: float = 900.0, client_attempts: int = 20,
                 client_window_s: float = 60.0, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.lockout_s = lockout_s
        self.client_attempts = client_attempts
        self.client_window_s = client_window_s
        self.max_keys = max_keys
        self.clock = clock
        self._accounts: dict[str, _Account] = {}
        self._clients: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(username: str) -> str:
        return username.strip().lower()

    def begin(self, *, username: str, client: str) -> Refusal | None:
        """Reserve an attempt; a :class:`Refusal` when the account is locked or the client
        is over its rate (then nothing is reserved and the password must not be checked)."""
        now = self.clock()
        with self._lock:
            account = self._accounts.setdefault(self._key(username), _Account())
            _expire(account.failures, now - self.window_s)
            if account.locked_until > now:
                return _locked(account.locked_until - now)
            if len(account.failures) + account.in_flight >= self.max_failures:
                # parallel guesses already fill the allowance: refuse as locked
                return _locked(self.lockout_s)
            attempts = self._clients.setdefault(client, deque())
            _expire(attempts, now - self.client_window_s)
            if len(attempts) >= self.client_attempts:
                wait = attempts[0] + self.client_window_s - now
                return Refusal(f"too many login attempts from this computer; wait "
                               f"{math.ceil(wait)} s and try again", math.ceil(wait), False)
            attempts.append(now)
            account.in_flight += 1
            self._forget_idle(now)
        return None

    def finish(self, *, username: str, success: bool) -> bool:
        """Record the outcome of a reserved attempt; True when this failure locked the
        account."""
        now = self.clock()
        with self._lock:
            account = self._accounts.setdefault(self._key(username), _Account())
            account.in_flight = max(0, account.in_flight - 1)
            if success:
                account.failures.clear()
                return False
            account.failures.append(now)
            _expire(account.failures, now - self.window_s)
            if len(account.failures) >= self.max_failures and account.locked_until <= now:
                account.locked_until = now + self.lockout_s
                account.failures.clear()
                return True
        return False

    def lockout(self) -> Refusal:
        """The refusal of an account that has just been locked."""
        return _locked(self.lockout_s)

    def _forget_idle(self, now: float) -> None:
        if len(self._accounts) > self.max_keys:
            for key in [k for k, a in self._accounts.items()
                        if not a.in_flight and a.locked_until <= now
                        and not (a.failures and a.failures[-1] > now - self.window_s)]:
                del self._accounts[key]
        if len(self._clients) > self.max_keys:
            for client in [c for c, t in self._clients.items()
                           if not t or t[-1] <= now - self.client_window_s]:
                del self._clients[client]


def _expire(times: deque[float], before: float) -> None:
    while times and times[0] <= before:
        times.popleft()


def _locked(remaining_s: float) -> Refusal:
    minutes = max(1, math.ceil(remaining_s / 60))
    return Refusal(f"this account is locked for {minutes} min after too many wrong passwords; "
                   "try again later, or ask a clinician to reset the password",
                   math.ceil(remaining_s), True)
