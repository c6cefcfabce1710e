"""A visit: its recordings with the analysis (summary, figures) and its scale scores."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse

from synkinesis.store.queries import is_live
from synkinesis.web.accounts import Account
from synkinesis.web.deps import app_state, current_user, render
from synkinesis.web.security import AccessDenied, check_patient_access

router = APIRouter(tags=["visits"])
#: Figure files the analysis writes (anything else, a NUL or a slash included, is not one).
FIGURE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}\.png$")


def load_visit(session, visit_id: str, request: Request, user: Account, *,
               view: bool = True):
    """The visit, after checking the user may see its patient: 404 with the same body when
    there is no such visit, when it was voided and when it is another patient's (a patient
    account learns nothing about other patients' visits). A refusal is recorded in the audit
    trail as a denial, and with ``view`` the read as a view of that patient (a page, not each
    of its figures)."""
    from synkinesis.store.errors import StoreError
    from synkinesis.store.repository import find_visit

    if len(visit_id) < 32:
        raise HTTPException(404, "no such visit")
    try:
        visit = find_visit(session, ref=visit_id)
    except StoreError:
        raise HTTPException(404, "no such visit") from None
    store, what = app_state(request).store, request.url.path
    try:
        check_patient_access(user, visit.patient.code, what=what, store=store)
    except AccessDenied:
        raise HTTPException(404, "no such visit") from None
    if view:
        from synkinesis.store import audit

        with store.transaction() as trail:
            audit.record_view(trail, patient_code=visit.patient.code, what=what)
    return visit


def analysis_view(path: str | None, sha256: str | None) -> dict | None:
    """What the visit page shows of an analysis file (findings, side, segments, scales):
    nothing when the file is missing or no longer the one recorded (its sha256)."""
    from synkinesis.store.analysis_files import (
        index_text,
        other_side_entry,
        read_analysis_file,
        repetition_lines,
        severity_text,
    )
    from synkinesis.store.recordings import checked_file

    file, _why = checked_file(path, sha256, "analysis")
    if file is None:
        return None
    try:
        data = read_analysis_file(file)
    except ValueError:
        return None
    seg = data.get("segmentation") or {}
    return {
        "affected_side": data.get("affected_side") or {},
        "method": seg.get("method"),
        "segments": [s for s in seg.get("segments", []) if s.get("task")],
        "missing_tasks": seg.get("missing_tasks", []),
        # other: the call about the other side of a face with no affected side named
        "findings": [{**f, "index_text": index_text(f), "severity_text": severity_text(f),
                      "other": other and {**other, "index_text": index_text(other),
                                          "severity_text": severity_text(other)}}
                     for f in [*(data.get("findings") or []), data.get("resting")]
                     if isinstance(f, dict) for other in [other_side_entry(f)]],
        "resting": data.get("resting"),
        "scales": [{"instrument": s.get("instrument"), "missing": s.get("missing_items", []),
                    "notes": s.get("notes", []),
                    "total": (s.get("result") or {}).get("total")} for s in data.get("scales",
                                                                                   [])],
        "warnings": data.get("warnings", []),
        "repetitions": repetition_lines(data),
        "recording": data.get("recording") or {},
    }


@router.get("/visits/{visit_id}")
def visit_page(request: Request, visit_id: str, user: Account = Depends(current_user)):
    from synkinesis.scales import INSTRUMENTS
    from synkinesis.store.recordings import figures_dir
    from synkinesis.store.repository import visit_reference

    state = app_state(request)
    with state.store.reading() as session:
        visit = load_visit(session, visit_id, request, user)
        recordings = []
        for recording in visit.recordings:
            folder = figures_dir(state.store.settings.data_dir, visit.patient.code, recording.id)
            figures = sorted(p.name for p in folder.glob("*.png")) if folder.is_dir() else []
            recordings.append({"id": recording.id, "status": recording.analysis_status,
                               "frames": (recording.summary or {}).get("frames") or {},
                               "analysis": analysis_view(recording.analysis_path,
                                                         recording.analysis_sha256),
                               "figures": figures, "protocol": recording.protocol_version})
        scores = [{"id": s.id, "instrument": s.instrument, "total": s.total, "rater": s.rater,
                   "rater_name": s.rater_name, "draft": s.draft,
                   "grade": (s.result.get("grade") or {}).get("name"),
                   "missing": s.result.get("missing", [])}
                  for s in sorted(filter(is_live, visit.scores), key=lambda s: s.rated_at)]
        info = {"id": visit.id, "ref": visit_reference(visit), "date": visit.visit_date,
                "label": visit.label, "patient": visit.patient.code}
    return render(request, "visit.html", {"visit": info, "recordings": recordings,
                                          "scores": scores, "instruments": list(INSTRUMENTS)})


@router.get("/visits/{visit_id}/recordings/{recording_id}/figures/{name}")
def visit_figure(request: Request, visit_id: str, recording_id: str, name: str,
                 user: Account = Depends(current_user)):
    from synkinesis.store.recordings import figures_dir

    state = app_state(request)
    with state.store.reading() as session:
        visit = load_visit(session, visit_id, request, user, view=False)
        if not FIGURE_NAME.match(name):
            raise HTTPException(404, "no such figure")
        if recording_id not in {r.id for r in visit.recordings}:
            raise HTTPException(404, "no such recording in this visit")
        code = visit.patient.code
    folder = figures_dir(state.store.settings.data_dir, code, recording_id).resolve()
    path = (folder / name).resolve()
    if path.parent != folder or path.suffix != ".png" or not path.is_file():
        raise HTTPException(404, "no such figure")
    return FileResponse(path, media_type="image/png")


@router.get("/visits/{visit_id}/report.pdf")
def visit_report_pdf(request: Request, visit_id: str, user: Account = Depends(current_user)):
    """The visit report (``synk report``) as an A4 PDF download."""
    from fastapi.responses import Response

    from synkinesis.reports.visit_report import ReportError, collect_visit_report, html_to_pdf
    from synkinesis.reports.visit_report import render_html as render_report

    state = app_state(request)
    with state.store.reading() as session:
        visit = load_visit(session, visit_id, request, user)
        try:
            report = collect_visit_report(session, visit_ref=visit.id,
                                          data_dir=state.store.settings.data_dir)
        except ReportError as error:
            raise HTTPException(409, str(error)) from None
    try:
        content = html_to_pdf(render_report(report))
    except ImportError:
        raise HTTPException(501, "PDF reports need pip install 'synkinesis[report]'") from None
    name = f"{report.patient_code}-{report.visit_date.isoformat()}.pdf"
    return Response(content, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
