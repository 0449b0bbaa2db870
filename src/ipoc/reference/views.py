"""Pages: the industry table (public to read, edited by the region bureau)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from ipoc.auth.roles import Principal, Role
from ipoc.reference import service
from ipoc.reference.schemas import IndustryIn, RecommenderSetting
from ipoc.schemas import PathId, QueryId
from ipoc.web.deps import DB, CurrentPrincipal, role_required
from ipoc.web.forms import Posted, attempt, parse_form
from ipoc.web.templating import render

router = APIRouter()
Admin = Annotated[Principal, Depends(role_required(Role.REGION_ADMIN))]


def _page(request: Request, session: DB, p: Principal, status_code: int = 200, **extra):
    ctx = {
        "title": "产业目录",
        "industries": service.list_industries(session),
        "editable": p.role is Role.REGION_ADMIN,
    }
    return render(request, "reference/industries.html", {**ctx, **extra}, status_code=status_code)


def _form_values(industry) -> dict[str, str]:
    data = IndustryIn.model_validate(industry, from_attributes=True).model_dump()
    return {k: str(v).lower() if isinstance(v, bool) else v for k, v in data.items()}


@router.get("/industries")
def industries(request: Request, session: DB, p: CurrentPrincipal, edit: QueryId = None):
    values = _form_values(service.get_industry(session, edit)) if edit and p.role is Role.REGION_ADMIN else {}
    return _page(request, session, p, values=values, edit=edit if values else None)


@router.post("/industries")
def save(request: Request, posted: Posted, session: DB, p: Admin, edit: QueryId = None):
    form = parse_form(posted, IndustryIn)
    if form.ok and form.data is not None:
        data = form.data
        attempt(session, form, lambda: service.save_industry(session, data, edit))
    if form.errors:
        return _page(request, session, p, 422, values=form.values, errors=form.errors, edit=edit)
    return RedirectResponse("/industries", status_code=303)


@router.get("/regions")
def regions(request: Request, session: DB, p: CurrentPrincipal):
    ctx = {"title": "盟市", "regions": service.list_regions(session), "editable": p.role is Role.REGION_ADMIN}
    return render(request, "reference/regions.html", ctx)


@router.post("/regions/{region_id}")
def set_recommender(region_id: PathId, request: Request, posted: Posted, session: DB, _admin: Admin):
    form = parse_form(posted, RecommenderSetting)
    if form.ok and form.data is not None:
        acts = form.data.acts_as_recommender
        attempt(session, form, lambda: service.set_recommender(session, region_id, acts))
    if form.errors:
        ctx = {"title": "盟市", "regions": service.list_regions(session), "editable": True, "errors": form.errors}
        return render(request, "reference/regions.html", ctx, status_code=422)
    return RedirectResponse("/regions", status_code=303)
