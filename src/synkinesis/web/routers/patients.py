"""Patient list, a patient's dashboard (timeline, trends, therapy progress), trend data."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
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

router = APIRouter(tags=["patients"])

#: Offered first on the trend chart when the patient has them.
PREFERRED_INDICES = ("sunnybrook", "eface", "analysis.ocular_oral.index",
                     "palpebral_fissure_range_affected_pct")
THERAPY_INDEX = "therapy.score_pct"


@router.get("/")
def home(user: Account = Depends(current_user)):
    target = "/patients" if user.role == "clinician" else f"/patients/{user.patient_code}"
    return RedirectResponse(target, status_code=303)


@router.get("/patients")
def patient_list(request: Request, _user: Account = Depends(require_clinician)):
    from synkinesis.store.repository import list_patients

    with app_state(request).store.reading() as session:
        patients = [{"code": p.code, "side": p.affected_side, "cause": p.cause,
                     "visits": len(p.visits), "last": max((v.visit_date for v in p.visits),
                                                          default=None)}
                    for p in list_patients(session)]
    return render(request, "patients.html", {"patients": patients, "error": ""})


@router.post("/patients")
def patient_create(request: Request, code: str = Form(...), affected_side: str = Form(...),
                   cause: str = Form("unknown"), onset_date: str = Form(""),
                   _session: WebSession = Depends(csrf_checked),
                   _user: Account = Depends(require_clinician)):
    from synkinesis.store.errors import StoreError
    from synkinesis.store.repository import create_patient

    try:
        with app_state(request).store.transaction() as session:
            create_patient(session, code=code, affected_side=affected_side, cause=cause,
                           onset_date=onset_date or None)
    except StoreError as error:
        raise HTTPException(400, str(error)) from None
    return RedirectResponse(f"/patients/{code.strip()}", status_code=303)


def trend_indices(session, patient) -> list[str]:
    """Indices the patient has values of, preferred ones first."""
    from synkinesis.store.queries import measured_index_names

    instruments = sorted({s.instrument for v in patient.visits for s in v.scores
                          if s.total is not None})
    names = instruments + measured_index_names(session, patient=patient)
    if any("score_pct" in (t.biofeedback or {}) for t in patient.therapy_sessions):
        names.append(THERAPY_INDEX)
    preferred = [n for n in PREFERRED_INDICES if n in names]
    return preferred + [n for n in names if n not in preferred]


@router.get("/patients/{code}")
def patient_page(request: Request, code: str = Depends(patient_access)):
    from synkinesis.store.errors import NotFoundError
    from synkinesis.store.queries import patient_timeline
    from synkinesis.store.repository import get_patient, visit_reference

    with app_state(request).store.reading() as session:
        try:
            patient = get_patient(session, code=code)
        except NotFoundError as error:
            raise HTTPException(404, str(error)) from None
        visit_ids = {visit_reference(v): v.id for v in patient.visits}
        timeline = [{"day": e.day.isoformat(), "kind": e.kind, "title": e.title,
                     "details": e.details, "visit_id": visit_ids.get(e.ref)}
                    for e in patient_timeline(session, patient_code=code)]
        info = {"code": patient.code, "side": patient.affected_side, "cause": patient.cause,
                "onset": patient.onset_date}
        indices = trend_indices(session, patient)
    return render(request, "patient.html", {"patient": info, "timeline": timeline,
                                            "indices": indices})


@router.get("/patients/{code}/trend")
def patient_trend(request: Request, index: str, code: str = Depends(patient_access)):
    """Trend points of one index with the treatments (JSON for the chart)."""
    from synkinesis.store.errors import StoreError
    from synkinesis.store.queries import trend
    from synkinesis.store.repository import get_patient

    with app_state(request).store.reading() as session:
        try:
            if index == THERAPY_INDEX:
                therapy = sorted(get_patient(session, code=code).therapy_sessions,
                                 key=lambda t: t.session_date)
                return {"index": index, "label": "biofeedback session score", "unit": "%",
                        "higher_is_better": True, "treatments": [],
                        "points": [{"day": t.session_date.isoformat(),
                                    "value": t.biofeedback["score_pct"],
                                    "detail": t.biofeedback.get("exercise", "")}
                                   for t in therapy if "score_pct" in (t.biofeedback or {})]}
            result = trend(session, patient_code=code, index=index)
        except StoreError as error:
            raise HTTPException(400, str(error)) from None
    return {"index": result.index.name, "label": result.index.label, "unit": result.index.unit,
            "higher_is_better": result.index.higher_is_better,
            "points": [{"day": p.day.isoformat(), "value": p.value, "detail":
                        f"{p.visit_ref} {p.detail}".strip(),
                        "interval": None if p.interval is None else list(p.interval),
                        "level": p.level} for p in result.points],
            "treatments": [{"day": t.day.isoformat(), "title": t.title}
                           for t in result.treatments]}
