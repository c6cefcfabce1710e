"""Toxin injections: a form with a face diagram to pick muscles (clinicians only)."""

from __future__ import annotations

import warnings

from fastapi import APIRouter, Depends, HTTPException, Request

from synkinesis.reports.face_diagram import DIAGRAM
from synkinesis.web.accounts import Account
from synkinesis.web.deps import app_state, csrf_checked, patient_access, render, require_clinician
from synkinesis.web.security import WebSession

router = APIRouter(tags=["toxin"])

def _page(request: Request, code: str, error: str = "", notes: list[str] | None = None,
          status_code: int = 200):
    from synkinesis.store.vocabulary import MUSCLES, PRODUCTS

    muscles = []
    for m in MUSCLES.values():
        spot = DIAGRAM.get(m.name)
        right_x = None if spot is None else round(200 - (100 - spot[0]) * 1.25, 1)
        muscles.append({"name": m.name, "label": m.name.replace("_", " "), "midline": m.midline,
                        "right_x": right_x, "left_x": None if right_x is None else 400 - right_x,
                        "y": None if spot is None else spot[1], "caution": m.caution or ""})
    return render(request, "toxin_form.html", {
        "code": code, "muscles": muscles, "products": list(PRODUCTS), "error": error,
        "notes": notes or []}, status_code=status_code)


@router.get("/patients/{code}/toxin")
def toxin_form(request: Request, code: str = Depends(patient_access),
               _user: Account = Depends(require_clinician)):
    return _page(request, code)


@router.post("/patients/{code}/toxin")
async def toxin_submit(request: Request, code: str = Depends(patient_access),
                       user: Account = Depends(require_clinician),
                       _session: WebSession = Depends(csrf_checked)):
    from synkinesis.store.errors import StoreError
    from synkinesis.store.repository import InjectionSpec, add_toxin_session

    form = await request.form()
    muscles, sides = form.getlist("muscle"), form.getlist("side")
    units, points = form.getlist("units"), form.getlist("points")
    if not (len(muscles) == len(sides) == len(units) == len(points)) or len(muscles) > 40:
        raise HTTPException(400, "each injection needs a muscle, side, units and points")
    state = app_state(request)
    try:
        specs = []
        for muscle, side, unit, point in zip(muscles, sides, units, points):
            try:
                specs.append(InjectionSpec(str(muscle), str(side), float(str(unit)),
                                           int(str(point))))
            except ValueError:
                raise HTTPException(400, f"units and points must be numbers for {muscle}: "
                                         f"got {unit!r}, {point!r}") from None
        with warnings.catch_warnings(record=True) as caught, state.store.transaction() as s:
            warnings.simplefilter("always")
            toxin = add_toxin_session(
                s, patient_code=code, session_date=str(form.get("session_date", "")),
                product=str(form.get("product", "onabotulinumtoxinA")), injections=specs,
                settings=state.store.settings, dilution=str(form.get("dilution", "")),
                clinician=user.username)
            total = toxin.total_units
    except StoreError as error:
        return _page(request, code, str(error), status_code=400)
    notes = [f"stored {total:g} U for {code}"] + [f"warning: {w.message}" for w in caught]
    return _page(request, code, notes=notes)
