"""Forms for what the CLI records (visits, therapy sessions, procedures and their outcomes, an
existing video uploaded to a visit) and the visit-vs-visit comparison page.

Every form goes through the same ``synkinesis.store.repository`` functions (and the upload
through :func:`synkinesis.workflow.record_recording`, via the job queue) as the CLI, so the
same validators guard both; a refused value comes back on the page with the validator's
message and status 400. Writing needs a clinician and the form's CSRF token; every page checks
the patient access (:func:`synkinesis.web.deps.patient_access`).
"""

from __future__ import annotations

import math
from pathlib import Path

from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse

from synkinesis.web.accounts import Account
from synkinesis.web.deps import (
    app_state,
    csrf_checked,
    current_user,
    patient_access,
    render,
    require_clinician,
)
from synkinesis.web.security import WebSession

router = APIRouter(tags=["forms"])

#: Upper bound of a text field of these forms (the longest column they fill is Text).
MAX_TEXT = 4000
#: Video containers an existing recording may come in (checked by content too).
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi")


class FormError(ValueError):
    """A form value that cannot be read (shown on the page)."""


def _text(form, name: str, *, limit: int = MAX_TEXT) -> str:
    value = str(form.get(name) or "").strip()
    if len(value) > limit:
        raise FormError(f"{name.replace('_', ' ')} is longer than {limit} characters")
    return value


def _minutes(text: str) -> int | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise FormError(f"minutes must be a whole number, got {text!r}") from None


def parse_values(text: str, *, what: str) -> dict[str, float]:
    """``"sunnybrook=45, eface=60"`` (commas or new lines) -> ``{"sunnybrook": 45.0, ...}``."""
    values: dict[str, float] = {}
    for part in text.replace("\n", ",").split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, number = part.partition("=")
        try:
            value = float(number)
        except ValueError:
            value = math.nan
        if not sep or not name.strip() or not math.isfinite(value):
            raise FormError(f"{what}: write NAME=NUMBER, e.g. sunnybrook=45; got {part!r}")
        values[name.strip()] = value
    return values


def _patient_info(session, code: str) -> dict:
    from synkinesis.store.errors import NotFoundError
    from synkinesis.store.repository import get_patient

    try:
        patient = get_patient(session, code=code)
    except NotFoundError as error:
        raise HTTPException(404, str(error)) from None
    return {"code": patient.code, "side": patient.affected_side}


# ------------------------------------------------------------------------------------ visits


def _visit_page(request: Request, code: str, *, error: str = "", values: dict | None = None,
                status_code: int = 200):
    return render(request, "visit_form.html", {"code": code, "error": error,
                                               "values": values or {}},
                  status_code=status_code)


@router.get("/patients/{code}/visits/new")
def visit_form(request: Request, code: str = Depends(patient_access),
               _user: Account = Depends(require_clinician)):
    return _visit_page(request, code)


@router.post("/patients/{code}/visits")
async def visit_submit(request: Request, code: str = Depends(patient_access),
                       user: Account = Depends(require_clinician),
                       _session: WebSession = Depends(csrf_checked)):
    from synkinesis.store.errors import StoreError
    from synkinesis.store.repository import create_visit

    form = await request.form()
    values = {key: str(form.get(key) or "") for key in ("visit_date", "label", "notes")}
    try:
        with app_state(request).store.transaction() as session:
            visit = create_visit(session, patient_code=code,
                                 visit_date=_text(form, "visit_date", limit=40),
                                 label=_text(form, "label", limit=200),
                                 clinician=user.username, notes=_text(form, "notes"))
            visit_id = visit.id
    except (StoreError, FormError) as error:
        return _visit_page(request, code, error=str(error), values=values, status_code=400)
    return RedirectResponse(f"/visits/{visit_id}", status_code=303)


# ----------------------------------------------------------------------------------- therapy


def _therapy_page(request: Request, code: str, *, error: str = "", notes: list[str] | None = None,
                  values: dict | None = None, status_code: int = 200):
    return render(request, "therapy_form.html", {"code": code, "error": error,
                                                 "notes": notes or [], "values": values or {}},
                  status_code=status_code)


@router.get("/patients/{code}/therapy")
def therapy_form(request: Request, code: str = Depends(patient_access),
                 _user: Account = Depends(require_clinician)):
    return _therapy_page(request, code)


@router.post("/patients/{code}/therapy")
async def therapy_submit(request: Request, code: str = Depends(patient_access),
                         user: Account = Depends(require_clinician),
                         _session: WebSession = Depends(csrf_checked)):
    from synkinesis.store.errors import StoreError
    from synkinesis.store.repository import add_therapy_session

    form = await request.form()
    values = {key: str(form.get(key) or "") for key in ("session_date", "minutes",
                                                         "exercises", "notes")}
    try:
        exercises = [line.strip() for line in _text(form, "exercises").splitlines()
                     if line.strip()]
        with app_state(request).store.transaction() as session:
            add_therapy_session(session, patient_code=code,
                                session_date=_text(form, "session_date", limit=40),
                                minutes=_minutes(_text(form, "minutes", limit=20)),
                                exercises=exercises, therapist=user.username,
                                notes=_text(form, "notes"))
    except (StoreError, FormError) as error:
        return _therapy_page(request, code, error=str(error), values=values, status_code=400)
    return _therapy_page(request, code, notes=[
        f"stored the therapy session of {values['session_date']} for {code}"])


# -------------------------------------------------------------------------------- procedures


def _procedure_page(request: Request, code: str, *, error: str = "",
                    notes: list[str] | None = None, values: dict | None = None,
                    status_code: int = 200):
    from synkinesis.store.queries import is_live
    from synkinesis.store.repository import get_patient
    from synkinesis.store.vocabulary import BRANCHES, INJECTION_SIDES, MUSCLES, PROCEDURE_KINDS

    with app_state(request).store.reading() as session:
        procedures = [{"id": p.id, "date": p.procedure_date, "kind": p.kind.replace("_", " "),
                       "target": p.target.replace("_", " "), "side": p.side,
                       "prediction": p.prediction, "outcome": p.outcome,
                       "outcome_date": p.outcome_date}
                      for p in sorted(filter(is_live, get_patient(session, code=code)
                                             .procedures), key=lambda p: p.procedure_date)]
    return render(request, "procedure_form.html", {
        "code": code, "error": error, "notes": notes or [], "values": values or {},
        "kinds": PROCEDURE_KINDS, "targets": [*MUSCLES, *BRANCHES], "sides": INJECTION_SIDES,
        "procedures": procedures}, status_code=status_code)


@router.get("/patients/{code}/procedures")
def procedure_form(request: Request, code: str = Depends(patient_access),
                   _user: Account = Depends(require_clinician)):
    return _procedure_page(request, code)


@router.post("/patients/{code}/procedures")
async def procedure_submit(request: Request, code: str = Depends(patient_access),
                           user: Account = Depends(require_clinician),
                           _session: WebSession = Depends(csrf_checked)):
    from synkinesis.store.errors import StoreError
    from synkinesis.store.repository import add_procedure

    form = await request.form()
    values = {key: str(form.get(key) or "") for key in (
        "kind", "target", "side", "procedure_date", "agent", "prediction",
        "prediction_values", "notes")}
    try:
        with app_state(request).store.transaction() as session:
            add_procedure(session, patient_code=code, kind=_text(form, "kind", limit=40),
                          target=_text(form, "target", limit=64),
                          side=_text(form, "side", limit=16),
                          procedure_date=_text(form, "procedure_date", limit=40),
                          agent=_text(form, "agent", limit=200),
                          prediction=_text(form, "prediction"),
                          prediction_values=parse_values(_text(form, "prediction_values"),
                                                         what="predicted values"),
                          clinician=user.username, notes=_text(form, "notes"))
    except (StoreError, FormError) as error:
        return _procedure_page(request, code, error=str(error), values=values,
                               status_code=400)
    return _procedure_page(request, code, notes=[
        f"stored the {values['kind'].replace('_', ' ')} of {values['procedure_date']}"])


@router.post("/patients/{code}/procedures/{procedure_id}/outcome")
async def procedure_outcome(request: Request, procedure_id: str,
                            code: str = Depends(patient_access),
                            _user: Account = Depends(require_clinician),
                            _session: WebSession = Depends(csrf_checked)):
    """The outcome of a procedure (a block: what it showed), as ``synk procedure outcome``."""
    from synkinesis.store.errors import StoreError
    from synkinesis.store.repository import find_entry, record_procedure_outcome

    form = await request.form()
    try:
        with app_state(request).store.transaction() as session:
            try:
                procedure = find_entry(session, kind="procedure", ref=procedure_id) if len(
                    procedure_id) >= 32 else None
            except StoreError:
                procedure = None
            if procedure is None or procedure.patient.code != code:
                raise HTTPException(404, "no such procedure")  # another patient's: the same
            record_procedure_outcome(
                session, procedure=procedure, outcome=_text(form, "outcome"),
                outcome_values=parse_values(_text(form, "outcome_values"),
                                            what="outcome values"),
                outcome_date=_text(form, "outcome_date", limit=40))
    except (StoreError, FormError) as error:
        return _procedure_page(request, code, error=str(error), status_code=400)
    return _procedure_page(request, code, notes=["stored the outcome"])


# --------------------------------------------------------------- an existing video to a visit


@router.post("/visits/{visit_id}/upload")
def visit_upload(request: Request, visit_id: str, video: UploadFile = File(...),
                 _session: WebSession = Depends(csrf_checked),
                 user: Account = Depends(current_user)):
    """An existing video file (a phone or camera recording) added to this visit: saved, then
    measured, analysed and stored by the job queue through
    :func:`synkinesis.workflow.record_recording`, as ``synk record add`` does. The file is
    kept as it is (no re-encoding): its frame times are its own."""
    from synkinesis.web.routers.recordings import save_video_upload
    from synkinesis.web.routers.visits import load_visit

    state = app_state(request)
    with state.store.reading() as session:
        visit = load_visit(session, visit_id, request, user, view=False)
        code, side, visit_id = visit.patient.code, visit.patient.affected_side, visit.id
    suffix = Path(video.filename or "").suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        raise HTTPException(415, f"choose a video file ({', '.join(VIDEO_SUFFIXES)}); got "
                                 f"{(video.filename or 'no file')[:80]!r}")
    target = save_video_upload(state, video, suffix=suffix,
                               expected="MP4, MOV, WebM, MKV or AVI")
    job = state.jobs.submit_recording(patient_code=code, affected_side=side, visit_ref=visit_id,
                                      upload=target, spans=[], convert=False,
                                      name=Path(video.filename or "video").stem)
    if "text/html" in request.headers.get("accept", ""):  # the plain form: to its progress
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)
    return {"job": job.id, "progress_url": f"/jobs/{job.id}"}


# ---------------------------------------------------------------------------- visit vs visit


@router.get("/patients/{code}/compare")
def compare_page(request: Request, a: str = "", b: str = "",
                 code: str = Depends(patient_access)):
    """Two visits side by side (``a`` and ``b`` are visit ids; by default the last two)."""
    from synkinesis.store.errors import StoreError
    from synkinesis.store.queries import analysis_index_side, compare_visits, is_live
    from synkinesis.store.repository import get_patient

    with app_state(request).store.reading() as session:
        _patient_info(session, code)
        visits = sorted(filter(is_live, get_patient(session, code=code).visits),
                        key=lambda v: (v.visit_date, v.created_at))
        choices = [{"id": v.id, "text": f"{v.visit_date.isoformat()}"
                    + (f" {v.label}" if v.label else "")} for v in visits]
        if not a and not b and len(visits) >= 2:
            a, b = visits[-2].id, visits[-1].id
        error, comparison = "", None
        if a or b:
            try:
                # only this patient's visits: another patient's id gets the same answer as
                # one that does not exist (nothing learnt about other patients)
                known = {choice["id"] for choice in choices}
                if a not in known or b not in known:
                    raise StoreError("choose two visits of this patient")
                comparison = compare_visits(session, patient_code=code, visit_a=a, visit_b=b)
            except StoreError as error_:
                error = str(error_)
        elif len(visits) < 2:
            error = "this patient has fewer than two visits: nothing to compare yet"
    rows = []
    for change in comparison.changes if comparison else ():
        rows.append({"label": change.index.label, "name": change.index.name,
                     "rater": change.rater, "unit": change.index.unit,
                     "a": _number(change.value_a), "b": _number(change.value_b),
                     "interval_a": _interval(change.interval_a),
                     "interval_b": _interval(change.interval_b),
                     "change": "-" if change.change is None else f"{change.change:+.4g}",
                     "verdict": change.verdict,
                     "sides": (f"{change.sides[0]} at A, {change.sides[1]} at B"
                               if change.sides else "")})
    return render(request, "compare.html", {
        "code": code, "choices": choices, "a": a, "b": b, "error": error, "rows": rows,
        "comparison": comparison,
        "per_side": any(analysis_index_side(row["name"]) for row in rows)},
        status_code=400 if error and (a or b) else 200)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _interval(interval: tuple[float, float] | None) -> str:
    return "" if interval is None else f"{interval[0]:.3g} to {interval[1]:.3g}"
