"""The audit trail: who viewed, created, changed, voided, amended or deleted which patient's
data, when (UTC), from where, and who was denied access.

The acting user is kept in a :class:`contextvars.ContextVar` (:func:`acting_as`): the CLI sets
it once per command (OS user, ``cli``, host name), the web app per request (account, ``web``,
client address). Without one, the OS user of the process is recorded with ``via="library"``.

Creations, changes and deletions are recorded automatically: :func:`install` puts a
``before_flush`` listener on a :class:`~synkinesis.store.Store`'s sessions, so no write path
can forget it, and the events are written in the same transaction as the change (a change
that is rolled back leaves no event either). Views are recorded explicitly by the readers
(:func:`record_view`); denied accesses in their own transaction (:func:`record_denied`), so
they survive the refusal.

A correction (void, amend) is explained with :func:`explain`: the listener then writes the
event with that action and reason, and the changed columns with their old and new values.
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from synkinesis.store.models import (
    AuditEvent,
    Injection,
    MeasuredIndex,
    Patient,
    Procedure,
    RecordingRow,
    ScaleScore,
    TherapySession,
    ToxinSession,
    Visit,
    WebAccount,
    new_id,
    utc_now,
)

__all__ = ["ACTIONS", "LOGIN_OUTCOMES", "Actor", "acting_as", "cli_actor", "current_actor",
           "explain", "install", "list_events", "record_denied", "record_login", "record_view"]

#: Actions of the trail.
ACTIONS = ("view", "create", "change", "delete", "void", "amend", "denied", "login")
VIAS = ("cli", "web", "library")


@dataclass(frozen=True)
class Actor:
    """Who acts: a user name, the door (``cli``, ``web``, ``library``) and the client (the
    host name for the CLI, the client address for the web)."""

    name: str
    via: str
    client: str = ""

    def __post_init__(self) -> None:
        if self.via not in VIAS:
            raise ValueError(f"via must be one of {', '.join(VIAS)}, got {self.via!r}")


_ACTOR: ContextVar[Actor | None] = ContextVar("synkinesis_store_actor", default=None)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (containers)
        import os

        return f"uid {os.getuid()}"


def cli_actor() -> Actor:
    """The OS user on this host, acting through the CLI."""
    return Actor(_os_user(), "cli", socket.gethostname())


def current_actor() -> Actor:
    """The acting user of this context (default: the OS user, ``via="library"``)."""
    return _ACTOR.get() or Actor(_os_user(), "library", socket.gethostname())


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Record everything in the block as done by ``actor``."""
    token = _ACTOR.set(actor)
    try:
        yield actor
    finally:
        _ACTOR.reset(token)


def set_actor(actor: Actor) -> None:
    """Make ``actor`` the acting user of this context from now on (the CLI, once at start)."""
    _ACTOR.set(actor)


def _event(action: str, *, patient_code: str | None, entity: str = "",
           entity_id: str | None = None, detail: Mapping[str, Any] | None = None) -> AuditEvent:
    actor = current_actor()
    return AuditEvent(at=utc_now(), actor=actor.name[:200], via=actor.via,
                      client=(actor.client or "")[:200], action=action,
                      patient_code=patient_code, entity=entity, entity_id=entity_id,
                      detail=dict(detail or {}))


def record_view(session: Session, *, patient_code: str | None, what: str) -> None:
    """Record that the acting user viewed ``what`` of a patient (``None``: of all patients,
    e.g. the patient list or a CSV export)."""
    session.add(_event("view", patient_code=patient_code, detail={"what": what}))
    session.flush()


def record_denied(store: Any, *, patient_code: str | None, what: str) -> None:
    """Record a refused access in its own transaction (it must survive the refusal)."""
    with store.transaction() as session:
        session.add(_event("denied", patient_code=patient_code, detail={"what": what}))


#: What a login attempt came to (:func:`record_login`).
LOGIN_OUTCOMES = ("success", "wrong password", "locked", "throttled")


def record_login(store: Any, *, username: str, outcome: str,
                 patient_code: str | None = None) -> None:
    """Record a web login attempt in its own transaction (a refused one must survive the
    refusal): the name tried (whether or not such an account exists), the outcome, and for a
    patient account its patient."""
    if outcome not in LOGIN_OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(LOGIN_OUTCOMES)}, "
                         f"got {outcome!r}")
    with store.transaction() as session:
        session.add(_event("login", patient_code=patient_code, entity="web_accounts",
                           detail={"username": username[:200], "outcome": outcome}))


_EXPLAINED = "synkinesis_audit_explained"


def explain(session: Session, entry: Any, *, action: str, reason: str,
            detail: Mapping[str, Any] | None = None) -> None:
    """Say why ``entry`` is about to change (``void``, ``amend``): its event at the next
    flush carries this action, the reason and ``detail`` (e.g. the old injections of an
    amended toxin session) besides the changed columns with their old and new values."""
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}, got {action!r}")
    session.info.setdefault(_EXPLAINED, {})[id(entry)] = (entry, action, reason,
                                                          dict(detail or {}))


# -------------------------------------------------------------------------------------------
# the listener

_AUDITED = (Patient, Visit, RecordingRow, MeasuredIndex, ScaleScore, ToxinSession, Injection,
            TherapySession, Procedure, WebAccount)
#: Columns whose values never go into the trail (only that they changed).
_SECRET_COLUMNS = ("password_hash",)


def _loaded_or_get(session: Session, obj: Any, relation: str, model: type,
                   key: str) -> Any:
    related = getattr(obj, relation, None)
    if related is None and getattr(obj, key, None) is not None:
        related = session.get(model, getattr(obj, key))
    return related


_TO_PATIENT = ("patient", Patient, "patient_id")
_TO_VISIT = ("visit", Visit, "visit_id")
#: How each row reaches its patient: (relationship, parent model, foreign key) steps.
_PARENTS: dict[type, tuple[tuple[str, type, str], ...]] = {
    Visit: (_TO_PATIENT,), ToxinSession: (_TO_PATIENT,), TherapySession: (_TO_PATIENT,),
    Procedure: (_TO_PATIENT,), RecordingRow: (_TO_VISIT, _TO_PATIENT),
    ScaleScore: (_TO_VISIT, _TO_PATIENT),
    MeasuredIndex: (("recording", RecordingRow, "recording_id"), _TO_VISIT, _TO_PATIENT),
    Injection: (("session", ToxinSession, "session_id"), _TO_PATIENT),
    WebAccount: (_TO_PATIENT,),  # a patient account's patient; none for a clinician
}


def _patient_code(session: Session, obj: Any) -> str | None:
    """The code of the patient a row belongs to (walking up the parents)."""
    current = obj
    for relation, model, key in _PARENTS.get(type(obj), ()):
        current = _loaded_or_get(session, current, relation, model, key)
        if current is None:
            return None
    return getattr(current, "code", None)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _changes(obj: Any) -> dict[str, list[Any]]:
    """Changed columns: name -> [old, new]."""
    changed: dict[str, list[Any]] = {}
    state = inspect(obj)
    for attribute in state.mapper.column_attrs:
        history = state.attrs[attribute.key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old != new:
                changed[attribute.key] = (["(hidden)", "(changed)"]
                                          if attribute.key in _SECRET_COLUMNS
                                          else [_plain(old), _plain(new)])
    return changed


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    explained = session.info.get(_EXPLAINED, {})
    events: list[AuditEvent] = []
    whole: dict[tuple[str, str | None], dict[str, int]] = {}
    for action, objects in (("create", session.new), ("delete", session.deleted)):
        rows = [obj for obj in objects if isinstance(obj, _AUDITED)]
        patients = {obj.code for obj in rows if isinstance(obj, Patient)}
        for obj in rows:
            if obj.id is None:  # the column default would only apply at INSERT
                obj.id = new_id()
            code = _patient_code(session, obj) if not isinstance(obj, Patient) else obj.code
            table = obj.__tablename__
            if not isinstance(obj, Patient) and code in patients:
                # a whole patient created or deleted at once (bundle import, patient delete):
                # one event that counts the rows
                counts = whole.setdefault((action, code), {})
                counts[table] = counts.get(table, 0) + 1
                continue
            counted = {"rows": whole.setdefault((action, code), {})} if isinstance(
                obj, Patient) else {}
            if isinstance(obj, WebAccount):  # who got (or lost) a login, never its password
                counted = {"username": obj.username, "role": obj.role}
            events.append(_event(action, patient_code=code, entity=table,
                                 entity_id=obj.id, detail=counted))
    for obj in session.dirty:
        if not isinstance(obj, _AUDITED) or not session.is_modified(obj):
            continue
        changes = _changes(obj)
        if not changes:
            continue
        _, action, reason, extra = explained.pop(id(obj), (obj, "change", None, {}))
        detail: dict[str, Any] = {"changes": changes, **extra}
        if reason is not None:
            detail["reason"] = reason
        events.append(_event(action, patient_code=_patient_code(session, obj),
                             entity=obj.__tablename__, entity_id=obj.id, detail=detail))
    for obj, action, reason, extra in explained.values():  # explained, no column changed
        events.append(_event(action, patient_code=_patient_code(session, obj),
                             entity=obj.__tablename__, entity_id=obj.id,
                             detail={"changes": {}, **extra, "reason": reason}))
    explained.clear()
    session.add_all(events)


def install(sessions: Any) -> None:
    """Record creations, changes and deletions of every session of ``sessions`` (a
    sessionmaker) in the audit trail."""
    # Marked on the sessionmaker itself: ``event.contains`` keys its registry by id(), and a
    # new sessionmaker can get the id of one already garbage-collected, whose stale entry
    # then says "installed" and the new store's writes would leave no trail (seen in full
    # test runs: an event missing now and then).
    if not getattr(sessions, "_synkinesis_audited", False):
        event.listen(sessions, "before_flush", _before_flush)
        sessions._synkinesis_audited = True


# -------------------------------------------------------------------------------------------
# reading the trail


def list_events(
    session: Session, *, patient_code: str | None = None, since: datetime | None = None,
    limit: int | None = None,
) -> list[AuditEvent]:
    """Events, oldest first; of one patient (any case of the code) and/or since a time."""
    from sqlalchemy import func

    query = select(AuditEvent)
    if patient_code is not None:
        query = query.where(func.upper(AuditEvent.patient_code) == str(patient_code).upper())
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    query = query.order_by(AuditEvent.at, AuditEvent.id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))
