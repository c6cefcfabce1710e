"""Progress of background analyses."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request

from synkinesis.web.accounts import Account
from synkinesis.web.deps import app_state, current_user, render
from synkinesis.web.security import AccessDenied, check_patient_access

router = APIRouter(tags=["jobs"])


def _job(request: Request, job_id: str, user: Account):
    """The job, after the access check: another patient's job is answered like a missing one."""
    missing = HTTPException(404, "no such job (jobs are forgotten when the server restarts)")
    job = app_state(request).jobs.get(job_id)
    if job is None:
        raise missing
    try:
        check_patient_access(user, job.patient_code, what=request.url.path,
                             store=app_state(request).store)
    except AccessDenied:
        raise missing from None
    return job


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: str, user: Account = Depends(current_user)):
    return render(request, "job.html", {"job": _job(request, job_id, user).as_dict()})


@router.get("/jobs/{job_id}/status")
def job_status(request: Request, job_id: str, user: Account = Depends(current_user)):
    return _job(request, job_id, user).as_dict()
