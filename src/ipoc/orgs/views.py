"""Pages: self-registration, the directory, the bureau's verification queue and a record's page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ipoc.audit import service as audit
from ipoc.auth.roles import Principal, Role
from ipoc.errors import DomainError
from ipoc.orgs import names
from ipoc.orgs import service as orgs
from ipoc.orgs.models import Organisation
from ipoc.orgs.schemas import OrgRegistration, OrgReview
from ipoc.reference.models import Region
from ipoc.reference.service import list_org_types, list_regions
from ipoc.schemas import PathId, QueryId
from ipoc.web.deps import DB, CurrentPrincipal, LoggedIn, role_required
from ipoc.web.export import named, xlsx_response
from ipoc.web.forms import Posted, attempt, parse_form, refusable
from ipoc.web.templating import render

router = APIRouter()
Bureau = Annotated[Principal, Depends(role_required(Role.REGION_ADMIN, Role.BUREAU_OFFICER))]


def _register_ctx(session: DB, **extra) -> dict:
    return {
        "title": "单位注册",
        "regions": [(r.id, r.name) for r in list_regions(session)],
        "org_types": [(t.code, t.label) for t in list_org_types(session)],
        **extra,
    }


@router.get("/register")
def register_page(request: Request, session: DB):
    return render(request, "orgs/register.html", _register_ctx(session))


@router.post("/register")
def register(request: Request, posted: Posted, session: DB):
    form = parse_form(posted, OrgRegistration)
    if form.ok and form.data is not None:
        data = form.data
        attempt(session, form, lambda: orgs.register(session, data))
    if form.errors:
        ctx = _register_ctx(session, errors=form.errors, values=form.values)
        return render(request, "orgs/register.html", ctx, status_code=422)
    return render(request, "orgs/registered.html", {"title": "注册已提交"})


@router.get("/orgs")
def directory(request: Request, session: DB, p: CurrentPrincipal, region_id: QueryId = None):
    ctx = {
        "title": "单位名录",
        "orgs": orgs.list_orgs(session, p, region_id=region_id),
        "regions": list_regions(session),
        "region_id": region_id,
    }
    return render(request, "orgs/list.html", ctx)


@router.get("/orgs.xlsx")
def directory_export(session: DB, p: CurrentPrincipal, region_id: QueryId = None):
    """The directory as the caller sees it; registration details only where the caller may see them."""
    rows = [
        [o.name, o.type.label, o.region.name, o.state_label]
        + ([o.uscc, o.contact_name, o.contact_phone] if orgs.can_see_details(p, o) else ["", "", ""])
        for o in orgs.list_orgs(session, p, region_id=region_id)
    ]
    headers = ["单位名称", "类型", "盟市", "状态", "统一社会信用代码", "联系人", "联系电话"]
    return xlsx_response(
        session, title="单位名录", filename="单位名录.xlsx", headers=headers, rows=rows, entity_type="organisations",
        filters={"盟市": named(session, Region, region_id)},
    )  # fmt: skip


@router.get("/orgs/pending")
def pending(request: Request, session: DB, p: Bureau):
    return render(request, "orgs/list.html", {"title": "待核验单位", "orgs": orgs.pending_for(session, p)})


@router.get("/orgs/options")
def name_options(request: Request, session: DB, p: CurrentPrincipal, q: Annotated[str, Query(max_length=100)] = ""):
    """Type-ahead for the forms that name an organisation: <option>s of the names the caller may see that
    contain ``q``, for the field's <datalist> (static/ipoc.js asks as the user types)."""
    return render(request, "orgs/_options.html", {"found": orgs.find_by_name(session, p, q)})


@router.get("/orgs/{org_id}")
def org_page(org_id: PathId, request: Request, session: DB, p: CurrentPrincipal):
    org = orgs.get_org(session, p, org_id)
    details = orgs.can_see_details(p, org)
    ctx = {
        "title": org.name,
        "org": org,
        "details": details,
        "history": audit.history(session, "organisations", org.id) if details and p.is_authenticated else [],
        "may_review": orgs.may_review(p, org),
        "may_see_names": names.may_propose(session, p, org),
    }
    return render(request, "orgs/detail.html", ctx)


@router.post("/orgs/{org_id}/review")
def review(org_id: PathId, request: Request, posted: Posted, session: DB, p: Bureau):
    form = parse_form(posted, OrgReview)
    if form.ok and form.data is not None:
        d = form.data
        attempt(session, form, lambda: orgs.review(session, p, org_id, approve=d.approve, note=d.note))
    if form.errors:
        org = orgs.get_org(session, p, org_id)
        ctx = {
            "title": org.name,
            "org": org,
            "details": True,
            "may_review": True,
            "errors": form.errors,
            "values": form.values,
            "history": audit.history(session, "organisations", org.id),
        }
        return render(request, "orgs/detail.html", ctx, status_code=422)
    return RedirectResponse(f"/orgs/{org_id}", status_code=303)


# --- the applicant/patentee names an organisation holds -----------------------------------------------------


def _names_page(request: Request, session: Session, p: Principal, org_id: int, status_code: int = 200, error: str = ""):
    links = names.visible_names(session, p, org_id)  # 404 unless the caller may see them
    org = session.get(Organisation, org_id)
    assert org is not None  # visible_names found it
    ctx = {
        "title": f"{org.name}：申请人/专利权人名称",
        "org": org,
        "links": links,
        "may_confirm": names.may_confirm(session, p, org),
        "suggestions": names.suggestions(session, org),
        "error": error,
    }
    return render(request, "orgs/names.html", ctx, status_code=status_code)


@router.get("/orgs/{org_id}/names")
def names_page(org_id: PathId, request: Request, session: DB, p: LoggedIn):
    return _names_page(request, session, p, org_id)


def _names_action(request: Request, session: Session, p: Principal, org_id: int, action) -> Response:
    try:
        with refusable(session):
            action()
    except DomainError as exc:
        return _names_page(request, session, p, org_id, exc.status_code, exc.message)
    return RedirectResponse(f"/orgs/{org_id}/names", status_code=303)


@router.post("/orgs/{org_id}/names")
def propose_name(org_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    name, source = posted.get("name"), posted.get("source")
    source = "name_match" if source == "name_match" else None

    def action() -> None:
        names.propose(session, p, org_id, name if isinstance(name, str) else "", source=source)

    return _names_action(request, session, p, org_id, action)


@router.post("/orgs/{org_id}/names/{link_id}")
def decide_name(org_id: PathId, link_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    note = posted.get("note")

    def action() -> None:
        approve = posted.get("decision") == "confirm"
        names.decide(session, p, link_id, approve=approve, note=note if isinstance(note, str) else "")

    return _names_action(request, session, p, org_id, action)
