"""Scale forms, generated from the scales library's definitions; accepting automatic scores."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse

from synkinesis.store.queries import is_live
from synkinesis.web.accounts import Account
from synkinesis.web.deps import app_state, csrf_checked, current_user, render
from synkinesis.web.routers.visits import load_visit
from synkinesis.web.security import WebSession

router = APIRouter(tags=["scales"])


def _definition(instrument: str):
    from synkinesis.scales import ScaleValidationError, get_instrument

    try:
        return get_instrument(instrument)
    except ScaleValidationError as error:
        raise HTTPException(404, str(error)) from None


def _rater_for(user: Account, definition) -> str:
    """Clinicians rate any instrument; patients only patient-rated ones (SAQ, FaCE)."""
    if user.role == "clinician":
        return "clinician"
    if str(definition.default_rater) != "patient":
        raise HTTPException(403, f"{definition.title} is rated by the clinician")
    return "patient"


def parse_value(text: str) -> int | float | str:
    """A form value as the scales library takes it: int, float, or a choice name."""
    text = text.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _form(request: Request, visit, definition, values: dict, error: str, status_code: int = 200):
    return render(request, "scale_form.html", {
        "visit": {"id": visit.id, "patient": visit.patient.code, "date": visit.visit_date},
        "definition": definition, "values": values, "error": error}, status_code=status_code)


@router.get("/visits/{visit_id}/scales/{instrument}")
def scale_form(request: Request, visit_id: str, instrument: str, from_score: str = "",
               user: Account = Depends(current_user)):
    definition = _definition(instrument)
    _rater_for(user, definition)
    with app_state(request).store.reading() as session:
        visit = load_visit(session, visit_id, request, user)
        values = {}
        for score in filter(is_live, visit.scores):
            if score.id == from_score and score.instrument == definition.name:
                items = score.result.get("items") or {}
                choices = score.result.get("choices") or {}
                values = {k: choices.get(k, v) for k, v in items.items() if v is not None}
        return _form(request, visit, definition, values, "")


@router.post("/visits/{visit_id}/scales/{instrument}")
async def scale_submit(request: Request, visit_id: str, instrument: str,
                       _session: WebSession = Depends(csrf_checked),
                       user: Account = Depends(current_user)):
    from synkinesis.scales import ScaleValidationError
    from synkinesis.store.repository import add_score

    definition = _definition(instrument)
    rater = _rater_for(user, definition)
    form = await request.form()
    values = {key: parse_value(str(form.get(f"item.{key}", "")))
              for key in definition.item_keys if str(form.get(f"item.{key}", "")).strip()}
    unknown = [k[5:] for k in form if k.startswith("item.") and k[5:] not in definition.item_keys]
    draft = form.get("draft") == "1"
    with app_state(request).store.transaction() as session:
        visit = load_visit(session, visit_id, request, user)
        try:
            if unknown:
                raise ScaleValidationError(f"{definition.name} has no item {unknown[0]!r}",
                                           instrument=definition.name, items=tuple(unknown))
            add_score(session, visit=visit, instrument=definition.name, items=values,
                      rater=rater, rater_name=user.username, rated_at=datetime.now(UTC),
                      draft=draft)
        except ScaleValidationError as error:
            return _form(request, visit, definition, values, str(error), status_code=400)
    return RedirectResponse(f"/visits/{visit_id}", status_code=303)


@router.post("/visits/{visit_id}/scores/{score_id}/accept")
def accept_score(request: Request, visit_id: str, score_id: str,
                 _session: WebSession = Depends(csrf_checked),
                 user: Account = Depends(current_user)):
    """A clinician accepts an automatic estimate as it is: stored again as their own score."""
    from synkinesis.scales import ScaleValidationError
    from synkinesis.store.repository import add_score

    if user.role != "clinician":
        raise HTTPException(403, "only a clinician accepts automatic scores")
    with app_state(request).store.transaction() as session:
        visit = load_visit(session, visit_id, request, user)
        score = next((s for s in visit.scores
                      if s.id == score_id and s.rater == "automatic" and is_live(s)), None)
        if score is None:
            raise HTTPException(404, "no automatic score of that id in this visit")
        items = {k: (score.result.get("choices") or {}).get(k, v)
                 for k, v in (score.result.get("items") or {}).items() if v is not None}
        try:
            add_score(session, visit=visit, instrument=score.instrument, items=items,
                      rater="clinician", rater_name=user.username, rated_at=datetime.now(UTC),
                      options=score.result.get("options") or None, recording=score.recording)
        except ScaleValidationError as error:
            raise HTTPException(400, f"cannot accept as it is ({error}); correct it in the "
                                     "form") from None
    return RedirectResponse(f"/visits/{visit_id}", status_code=303)
