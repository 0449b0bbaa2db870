"""Pages: yearly calls, the dossier list and inbox, a dossier with its evidence, timeline and next steps."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from ipoc import clock
from ipoc.applications import flows
from ipoc.applications import service as applications
from ipoc.applications.models import BUILDER_TYPES, CALL_STATUS, CONDITIONS, ROUTES, Application, Call
from ipoc.applications.schemas import ActionIn, ApplicationIn, CallIn, DossierIn
from ipoc.auth.roles import Principal, Role
from ipoc.config import get_settings
from ipoc.errors import DomainError, InvalidInput
from ipoc.reference.models import INDUSTRY_CATEGORIES, Region
from ipoc.reference.service import list_industries, recommending_regions
from ipoc.schemas import PathId, QueryId
from ipoc.web.deps import DB, LoggedIn, role_required
from ipoc.web.export import named, xlsx_response
from ipoc.web.forms import Posted, attempt, parse_form, posted_upload, refusable, see_other, submit
from ipoc.web.templating import render

router = APIRouter()
Admin = Annotated[Principal, Depends(role_required(Role.REGION_ADMIN))]
Applicant = Annotated[Principal, Depends(role_required(Role.MEMBER))]
StateFilter = Annotated[str | None, Query(max_length=24)]
ActionName = Annotated[str, Path(max_length=32)]


# --- calls ----------------------------------------------------------------------------------------------


def _calls_ctx(session: DB, p: Principal, **extra) -> dict:
    calls = applications.list_calls(session, p)
    return {
        "title": "申报批次",
        "calls": [(c, applications.call_status(c)) for c in calls],
        "call_status": CALL_STATUS,
        **extra,
    }


@router.get("/calls")
def calls_page(request: Request, session: DB, p: LoggedIn):
    return render(request, "calls/list.html", _calls_ctx(session, p))


@router.get("/calls.xlsx")
def calls_export(session: DB, p: LoggedIn):
    """The calls exactly as the caller sees them (drafts for the region admin only)."""
    headers = ["年度", "批次", "申报开始日期", "申报截止日期", "状态", "说明"]
    rows = [
        [c.year, c.title, c.opens_on, c.closes_on, CALL_STATUS[applications.call_status(c)], c.note]
        for c in applications.list_calls(session, p)
    ]
    return xlsx_response(
        session, title="申报批次", filename="申报批次.xlsx", headers=headers, rows=rows, entity_type="calls"
    )


@router.post("/calls")
def create_call(request: Request, posted: Posted, session: DB, p: Admin):
    form = parse_form(posted, CallIn)
    if form.ok and form.data is not None:
        data = form.data
        attempt(session, form, lambda: applications.save_call(session, p, data))
    if form.errors:
        ctx = _calls_ctx(session, p, errors=form.errors, values=form.values)
        return render(request, "calls/list.html", ctx, status_code=422)
    return see_other("/calls")


@router.get("/calls/{call_id}/edit")
def edit_call_page(call_id: PathId, request: Request, session: DB, p: Admin):
    call = applications.get_call(session, p, call_id)
    values = {k: getattr(call, k) for k in CallIn.model_fields}
    return render(request, "calls/edit.html", {"title": f"修改批次：{call.title}", "call": call, "values": values})


@router.post("/calls/{call_id}")
def edit_call(call_id: PathId, request: Request, posted: Posted, session: DB, p: Admin):
    form = parse_form(posted, CallIn)
    if form.ok and form.data is not None:
        data = form.data
        attempt(session, form, lambda: applications.save_call(session, p, data, call_id))
    if form.errors:
        call = applications.get_call(session, p, call_id)
        ctx = {"title": f"修改批次：{call.title}", "call": call, "errors": form.errors, "values": form.values}
        return render(request, "calls/edit.html", ctx, status_code=422)
    return see_other("/calls")


# --- lists ----------------------------------------------------------------------------------------------


@router.get("/applications")
def list_page(
    request: Request,
    session: DB,
    p: LoggedIn,
    call_id: QueryId = None,
    state: StateFilter = None,
    region_id: QueryId = None,
):
    filters = {"call_id": call_id, "state": state, "region_id": region_id}
    ctx = {
        "title": "申报",
        "apps": applications.list_applications(session, p, call_id=call_id, state=state, region_id=region_id),
        "waiting": applications.waiting_on(session, p),
        "filters": filters,
        "calls": applications.list_calls(session, p),
        "open_calls": applications.list_calls(session, p, open_only=True) if p.role is Role.MEMBER else [],
        "states": flows.STATE_LABELS,
        "regions": recommending_regions(session) if p.role is Role.REGION_ADMIN else [],
        "filing_copy": lambda app: applications.is_filing_copy(p, app),
    }
    return render(request, "applications/list.html", ctx)


@router.get("/applications.xlsx")
def export(session: DB, p: LoggedIn, call_id: QueryId = None, state: StateFilter = None, region_id: QueryId = None):
    """The list exactly as the caller sees it."""
    found = applications.list_applications(session, p, call_id=call_id, state=state, region_id=region_id)
    headers = ["编号", "申报批次", "申报单位", "盟市", "产业", "建设主体类型", "申报路径", "状态", "提交时间"]
    headers += ["专家评分", "批次内排名", "备案件"]
    rows = [
        [
            a.id,
            a.call.title,
            a.org.name,
            a.region.name,
            a.industry.name,
            a.builder_type_label,
            a.route_label,
            a.state_label,
            clock.beijing_at(a.submitted_at),
            a.expert_score,
            a.expert_rank,
            "是" if applications.is_filing_copy(p, a) else "",
        ]
        for a in found
    ]
    used = {"申报批次": named(session, Call, call_id), "状态": flows.STATE_LABELS.get(state or "", state),
            "盟市": named(session, Region, region_id)}  # fmt: skip
    return xlsx_response(
        session, title="申报材料", filename="申报材料.xlsx", headers=headers, rows=rows, entity_type="applications",
        filters=used,
    )  # fmt: skip


# --- creating and editing -------------------------------------------------------------------------------


def _form_ctx(session: DB, p: Principal, **extra) -> dict:
    eligible = [i for i in list_industries(session, active_only=True) if i.category in INDUSTRY_CATEGORIES]
    return {
        "calls": [(c.id, c.title) for c in applications.list_calls(session, p, open_only=True)],
        "industries": [(i.id, f"{i.name}（{i.category}）") for i in eligible],
        "builder_types": list(BUILDER_TYPES.items()),
        "routes": list(ROUTES.items()),
        "conditions": CONDITIONS,
        "numerals": applications.NUMERALS,
        **extra,
    }


def _app_values(app: Application) -> dict:
    values = {k: getattr(app, k) for k in DossierIn.model_fields if k != "conditions"}
    return values | {f"condition_{c.number}": c.statement for c in app.conditions}


@router.get("/applications/new")
def new_page(request: Request, session: DB, p: Applicant, call_id: QueryId = None):
    ctx = _form_ctx(session, p, title="新建申报", values={"call_id": call_id or "", "route": "via_bureau"})
    return render(request, "applications/form.html", ctx)


@router.post("/applications")
def create(request: Request, posted: Posted, session: DB, p: Applicant):
    form, created = submit(
        posted, session, ApplicationIn, lambda data: applications.create_application(session, p, data)
    )
    if created is None:
        ctx = _form_ctx(session, p, title="新建申报", errors=form.errors, values=form.values)
        return render(request, "applications/form.html", ctx, status_code=422)
    return see_other(f"/applications/{created.id}")


@router.get("/applications/{app_id}/edit")
def edit_page(app_id: PathId, request: Request, session: DB, p: LoggedIn):
    app = applications.get_application(session, p, app_id)
    applications.require_editable(p, app)
    ctx = _form_ctx(session, p, title="修改申报材料", app=app, values=_app_values(app))
    return render(request, "applications/form.html", ctx)


@router.post("/applications/{app_id}/edit")
def edit(app_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    form = parse_form(posted, DossierIn)
    if form.ok and form.data is not None:
        data = form.data
        attempt(session, form, lambda: applications.update_application(session, p, app_id, data))
    if form.errors:
        app = applications.get_application(session, p, app_id)
        ctx = _form_ctx(session, p, title="修改申报材料", app=app, errors=form.errors, values=form.values)
        return render(request, "applications/form.html", ctx, status_code=422)
    return see_other(f"/applications/{app_id}")


# --- the dossier page -----------------------------------------------------------------------------------


def _detail_ctx(session: DB, p: Principal, app: Application, **extra) -> dict:
    available = applications.available_actions(p, app)
    return {
        "title": f"申报：{app.org.name}",
        "app": app,
        "files": applications.attachments(session, app),
        "purposes": applications.PURPOSES,
        "numerals": applications.NUMERALS,
        "condition_titles": CONDITIONS,
        "timeline": applications.timeline(session, app),
        "action_labels": applications.ACTION_LABELS,
        "states": flows.STATE_LABELS,
        "actions": applications.decision_actions(p, app),
        # Steps of this caller's that are taken on another page (the public's objection is not theirs to take).
        "elsewhere": [
            (t, applications.COMPOUND_PLACES[t.action])
            for t in available
            if t.action in flows.COMPOUND_ACTIONS and t.owner != "public"
        ],
        "may_edit": applications.may_edit(p, app),
        "filing_copy": applications.is_filing_copy(p, app),
        "max_mb": get_settings().attachment_max_mb,
        **extra,
    }


def _refused(request: Request, session: DB, p: Principal, app_id: int, exc: DomainError):
    """Show a refused step on the dossier page with the status it deserves; nothing of it was kept."""
    if exc.status_code in (403, 404):
        raise exc
    app = applications.get_application(session, p, app_id)
    errors = {exc.field or "__all__": exc.message}
    return render(request, "applications/detail.html", _detail_ctx(session, p, app, errors=errors), exc.status_code)


@router.get("/applications/{app_id}")
def detail(app_id: PathId, request: Request, session: DB, p: LoggedIn):
    app = applications.read_application(session, p, app_id)
    return render(request, "applications/detail.html", _detail_ctx(session, p, app))


@router.post("/applications/{app_id}/actions/{action}")
def act(app_id: PathId, action: ActionName, request: Request, posted: Posted, session: DB, p: LoggedIn):
    form = parse_form(posted, ActionIn)
    if not form.ok or form.data is None:
        return _refused(request, session, p, app_id, InvalidInput(next(iter(form.errors.values())), field="reason"))
    try:
        with refusable(session):
            applications.take_action(session, p, app_id, action, form.data.reason)
    except DomainError as exc:
        return _refused(request, session, p, app_id, exc)
    return see_other(f"/applications/{app_id}")


@router.post("/applications/{app_id}/attachments")
def upload(app_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    file, purpose = posted_upload(posted.get("file")), posted.get("purpose")
    try:
        if file is None or not isinstance(purpose, str):
            raise InvalidInput("请选择要上传的文件", field="file")
        with refusable(session):
            applications.add_attachment(session, p, app_id, file, purpose)
    except DomainError as exc:
        return _refused(request, session, p, app_id, exc)
    return see_other(f"/applications/{app_id}#evidence")


@router.post("/applications/{app_id}/attachments/{att_id}/delete")
def delete_attachment(app_id: PathId, att_id: PathId, session: DB, p: LoggedIn):
    applications.remove_attachment(session, p, app_id, att_id)
    return see_other(f"/applications/{app_id}#evidence")
