"""Guided recording: the page (camera, prompts, face check) and the upload that starts the
background analysis."""

from __future__ import annotations

import json
import math
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile

from synkinesis.files import make_private_dir
from synkinesis.web.accounts import Account
from synkinesis.web.deps import app_state, csrf_checked, current_user, patient_access, render
from synkinesis.web.security import WebSession

router = APIRouter(tags=["recordings"])

#: Container signatures of the videos a browser records (WebM/Matroska, MP4/QuickTime, AVI).
_MAGIC = ((0, b"\x1a\x45\xdf\xa3"), (4, b"ftyp"), (0, b"RIFF"))
MAX_SPANS = 40


def protocol_steps() -> list[dict]:
    """The steps the page guides through: :func:`synkinesis.protocol.guided_steps` (every
    task of the standard protocol asked twice, optional ones left out)."""
    from synkinesis.protocol import GUIDED_REPETITIONS, guided_steps

    return [{"task": t.name, "repetition": k,
             "label": t.label + (f" ({k} of {GUIDED_REPETITIONS})" if GUIDED_REPETITIONS > 1
                                 else "")}
            for t, k in guided_steps()]


@router.get("/patients/{code}/record")
def record_page(request: Request, code: str = Depends(patient_access)):
    settings = app_state(request).settings
    timing = {"countdown_s": settings.record_countdown_s, "hold_s": settings.record_hold_s,
              "relax_s": settings.record_relax_s}
    return render(request, "record.html", {"code": code, "steps": protocol_steps(),
                                           "timing": timing})


def parse_spans(text: str) -> list[dict]:
    """Task spans sent by the page: a JSON list of {task, start_s, end_s} (400 otherwise)."""
    from synkinesis.protocol import TASK_NAMES

    try:
        spans = json.loads(text or "[]")
    except ValueError:
        raise HTTPException(400, "spans must be JSON") from None
    if not isinstance(spans, list) or len(spans) > MAX_SPANS:
        raise HTTPException(400, f"spans must be a list of at most {MAX_SPANS} task spans")
    clean = []
    for span in spans:
        try:
            task, start, end = span["task"], float(span["start_s"]), float(span["end_s"])
        except (KeyError, TypeError, ValueError):
            raise HTTPException(400, "each span needs task, start_s and end_s") from None
        if task not in TASK_NAMES or not (math.isfinite(start) and math.isfinite(end)):
            raise HTTPException(400, f"unknown task or bad times in span {span!r}")
        clean.append({"task": task, "start_s": round(start, 3), "end_s": round(end, 3)})
    return clean


def _looks_like_video(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(16)
    return any(head[offset:offset + len(magic)] == magic for offset, magic in _MAGIC)


def save_video_upload(state, video: UploadFile, *, suffix: str, expected: str) -> Path:
    """Write an uploaded video into the record's private ``uploads`` folder (0600 whatever the
    umask) and check that it is a readable video; a file that is not is removed and answered
    415 (``expected`` says what was expected, e.g. "MP4, MOV, WebM, MKV or AVI")."""
    from synkinesis.landmarks.sources import InputError, probe_video

    uploads = make_private_dir(Path(state.store.settings.data_dir) / "uploads")
    target = uploads / f"{uuid.uuid4().hex}{suffix}"
    with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        shutil.copyfileobj(video.file, out, 1 << 20)
    try:
        if target.stat().st_size == 0 or not _looks_like_video(target):
            raise HTTPException(415, f"the file is not a video (expected {expected})")
        try:
            probe_video(target)
        except InputError:
            raise HTTPException(415, "the file is not a readable video") from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


@router.post("/patients/{code}/recordings")
def upload_recording(request: Request, code: str = Depends(patient_access),
                     video: UploadFile = File(...), spans: str = Form("[]"),
                     _session: WebSession = Depends(csrf_checked),
                     user: Account = Depends(current_user)):
    """Save the upload, attach it to today's visit (created if needed), queue the analysis."""
    from synkinesis.store.errors import StoreError
    from synkinesis.store.repository import create_visit, get_patient

    state = app_state(request)
    task_spans = parse_spans(spans)
    target = save_video_upload(state, video, suffix=".upload",
                               expected="WebM or MP4 from the recorder")
    try:
        today = datetime.now(UTC).date()
        with state.store.transaction() as session:
            patient = get_patient(session, code=code)
            visits = [v for v in patient.visits if v.visit_date == today]
            visit = max(visits, key=lambda v: v.created_at) if visits else create_visit(
                session, patient_code=code, visit_date=today, label="guided recording",
                clinician=user.username if user.role == "clinician" else "")
            visit_id, side = visit.id, patient.affected_side
    except StoreError as error:
        target.unlink(missing_ok=True)
        raise HTTPException(400, str(error)) from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    job = state.jobs.submit_recording(patient_code=code, affected_side=side, visit_ref=visit_id,
                                      upload=target, spans=task_spans)
    return {"job": job.id, "progress_url": f"/jobs/{job.id}"}
