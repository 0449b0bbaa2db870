"""Pages: the public notices with their objection form, and the region admin's drafting, objection
handling and recognition on the same pages."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from starlette.datastructures import FormData

from ipoc import clock
from ipoc.auth.roles import Principal, Role
from ipoc.documents.render import document_response
from ipoc.lifecycle import recognition
from ipoc.notices import documents as notice_documents
from ipoc.notices import service as notices
from ipoc.notices.models import PublicNotice
from ipoc.notices.schemas import NoticeFields, ObjectionIn, ObjectionResolve
from ipoc.schemas import Input, PathId, QueryId
from ipoc.web.deps import DB, CurrentPrincipal, role_required
from ipoc.web.export import xlsx_response
from ipoc.web.forms import FormResult, Posted, attempt, parse_form, see_other, submit
from ipoc.web.templating import render

router = APIRouter()
Admin = Annotated[Principal, Depends(role_required(Role.REGION_ADMIN))]


class Confirm(Input):
    """A button with no fields (publish, recognise): parsed only so that refusals show like form errors."""


@router.get("/notices")
def notice_list(request: Request, session: DB, p: CurrentPrincipal):
    ctx = {"title": "公示", "notices": notices.list_notices(session, p), "is_admin": p.role is Role.REGION_ADMIN}
    return render(request, "notices/list.html", ctx)


@router.get("/notices.xlsx")
def notices_export(session: DB, p: CurrentPrincipal):
    """The notices exactly as the caller sees them (drafts for the region admin only)."""
    headers = ["标题", "公示开始日期", "公示截止日期", "工作日数", "状态"]
    rows = [
        [n.title, n.starts_on, n.ends_on, n.working_days, "已发布" if n.is_published else "草稿"]
        for n in notices.list_notices(session, p)
    ]
    return xlsx_response(
        session, title="公示", filename="公示.xlsx", headers=headers, rows=rows, entity_type="public_notices"
    )


# --- drafting (region admin) ---------------------------------------------------------------------------


def _form_ctx(session: DB, p: Principal, call_id: int | None, notice: PublicNotice | None = None, **extra) -> dict:
    call_id = notice.call_id if notice else call_id
    ctx: dict = {"title": "编辑公示草稿" if notice else "新建公示", "notice": notice, "call_id": call_id}
    if call_id is None:
        ctx["calls"] = notices.calls_with_candidates(session, p)
    else:
        ctx["candidates"] = notices.candidates(session, p, call_id, notice.id if notice else None)
        ctx["proposed"] = {a.id: notices.proposed_name(a) for a in ctx["candidates"]}
    return {**ctx, **extra}


def _draft_form(posted: FormData) -> tuple[FormResult[NoticeFields], list[int]]:
    form = parse_form(posted, NoticeFields)
    raw = posted.getlist("application_ids")
    return form, [int(v) for v in raw if isinstance(v, str) and v.isdigit()]


@router.get("/notices/new")
def new_notice_page(request: Request, session: DB, p: Admin, call_id: QueryId = None):
    values = {"starts_on": clock.today().isoformat(), "contact": notices.DEFAULT_CONTACT}
    return render(request, "notices/form.html", _form_ctx(session, p, call_id, values=values, selected=set()))


@router.post("/notices/new")
def create_notice(request: Request, posted: Posted, session: DB, p: Admin, call_id: QueryId = None):
    form, ids = _draft_form(posted)
    created: PublicNotice | None = None
    if call_id is None:
        form.errors["__all__"] = "请先选择申报批次"
    elif (data := form.data) is not None:
        created = attempt(session, form, lambda: notices.create_notice(session, p, call_id, data, ids))
    if created is None:
        ctx = _form_ctx(session, p, call_id, errors=form.errors, values=form.values, selected=set(ids))
        return render(request, "notices/form.html", ctx, status_code=422)
    return see_other(f"/notices/{created.id}")


@router.get("/notices/{notice_id}/edit")
def edit_notice_page(notice_id: PathId, request: Request, session: DB, p: Admin):
    notice = notices.get_notice(session, p, notice_id)
    values = {"starts_on": notice.starts_on.isoformat(), "title": notice.title, "contact": notice.contact}
    selected = {a.id for a in notices.entries(session, notice)}
    return render(request, "notices/form.html", _form_ctx(session, p, None, notice, values=values, selected=selected))


@router.post("/notices/{notice_id}/edit")
def edit_notice(notice_id: PathId, request: Request, posted: Posted, session: DB, p: Admin):
    form, ids = _draft_form(posted)
    if form.data is not None:
        data = form.data
        attempt(session, form, lambda: notices.update_notice(session, p, notice_id, data, ids))
    if form.errors:
        notice = notices.get_notice(session, p, notice_id)
        ctx = _form_ctx(session, p, None, notice, errors=form.errors, values=form.values, selected=set(ids))
        return render(request, "notices/form.html", ctx, status_code=422)
    return see_other(f"/notices/{notice_id}")


@router.post("/notices/{notice_id}/delete")
def delete_notice(notice_id: PathId, request: Request, posted: Posted, session: DB, p: Admin):
    form = parse_form(posted, Confirm)
    attempt(session, form, lambda: notices.delete_draft(session, p, notice_id))
    if form.errors:
        return _detail(request, session, p, notice_id, errors=form.errors, status_code=409)
    return see_other("/notices")


@router.post("/notices/{notice_id}/publish")
def publish_notice(notice_id: PathId, request: Request, posted: Posted, session: DB, p: Admin):
    form = parse_form(posted, Confirm)
    attempt(session, form, lambda: recognition.publish(session, p, notice_id))
    if form.errors:
        return _detail(request, session, p, notice_id, errors=_above(form.errors), status_code=409)
    return see_other(f"/notices/{notice_id}")


# --- the notice page (public) --------------------------------------------------------------------------


def _above(errors: dict[str, str]) -> dict[str, str]:
    """A refusal of a button without fields is shown above the page."""
    return {"__all__": "；".join(errors.values())}


def _detail(request: Request, session: DB, p: Principal, notice_id: int, status_code: int = 200, **extra):
    notice = notices.get_notice(session, p, notice_id)
    apps = notices.entries(session, notice)
    today = clock.today()
    is_admin = p.role is Role.REGION_ADMIN
    ctx = {
        "title": notice.title,
        "notice": notice,
        "apps": apps,
        "proposed": {a.id: notices.proposed_name(a) for a in apps},
        "is_open": notice.is_open(today),
        "is_admin": is_admin,
        "objections": notices.objections_for(session, p, notice.id) if is_admin else [],
        "problems": {a.id: notices.recognition_problem(session, a, today) for a in apps} if is_admin else {},
        **extra,
    }
    return render(request, "notices/detail.html", ctx, status_code=status_code)


@router.get("/notices/{notice_id}.{fmt}")
def notice_file(notice_id: PathId, fmt: Annotated[Literal["pdf", "docx"], Path()], session: DB, p: CurrentPrincipal):
    """The notice as PDF or Word; public once published, like the page."""
    notice = notices.get_notice(session, p, notice_id)
    return document_response(
        notice_documents.notice_document(session, notice.id), fmt, f"公示-{notice.title}", session=session
    )


@router.get("/notices/{notice_id}")
def notice_page(notice_id: PathId, request: Request, session: DB, p: CurrentPrincipal):
    return _detail(request, session, p, notice_id)


@router.post("/notices/{notice_id}/objections")
def file_objection(notice_id: PathId, request: Request, posted: Posted, session: DB, p: CurrentPrincipal):
    """Anyone, logged in or not, may object during the window; the answer is a receipt number only."""
    form, filed = submit(posted, session, ObjectionIn, lambda data: notices.file_objection(session, p, notice_id, data))
    if filed is None:
        return _detail(request, session, p, notice_id, errors=form.errors, values=form.values, status_code=422)
    ctx = {"title": "异议已提交", "objection": filed, "notice": notices.get_notice(session, p, notice_id)}
    return render(request, "notices/objection_filed.html", ctx)


# --- objections and recognition (region admin) ----------------------------------------------------------


@router.get("/notices/{notice_id}/objections.xlsx")
def objections_export(notice_id: PathId, session: DB, p: CurrentPrincipal):
    """The objections with their filers' contacts: the region admin's only, like the list on the page."""
    notice = notices.get_notice(session, p, notice_id)
    found = notices.objections_for(session, p, notice.id)
    proposed = {a.id: notices.proposed_name(a) for a in notices.entries(session, notice)}
    headers = ["回执编号", "异议对象", "异议人", "联系方式", "提交时间", "异议内容", "状态", "处理意见"]
    rows = [
        [
            o.receipt_no,
            proposed.get(o.application_id, ""),
            o.filer_name,
            o.filer_contact,
            clock.beijing_at(o.created_at),
            o.content,
            o.status_label,
            o.resolution,
        ]
        for o in found
    ]
    return xlsx_response(
        session,
        title=f"公示异议：{notice.title}",
        filename=f"公示异议-{notice.title}.xlsx",
        headers=headers,
        rows=rows,
        entity_type="objections",
    )


@router.post("/objections/{objection_id}/resolve")
def resolve_objection(objection_id: PathId, request: Request, posted: Posted, session: DB, p: Admin):
    form, resolved = submit(posted, session, ObjectionResolve,
        lambda d: notices.resolve_objection(session, p, objection_id, d.outcome, d.resolution),
    )  # fmt: skip
    if resolved is None:
        notice_id = notices.get_objection(session, p, objection_id).notice_id
        return _detail(request, session, p, notice_id, errors=_above(form.errors), status_code=422)
    return see_other(f"/notices/{resolved.notice_id}#objections")


@router.post("/notices/{notice_id}/recognise/{application_id}")
def recognise_one(notice_id: PathId, application_id: PathId, request: Request, posted: Posted, session: DB, p: Admin):
    form = parse_form(posted, Confirm)
    attempt(session, form, lambda: recognition.recognise(session, p, application_id, notice_id=notice_id))
    if form.errors:
        return _detail(request, session, p, notice_id, errors=_above(form.errors), status_code=409)
    return see_other(f"/notices/{notice_id}#entries")


@router.post("/notices/{notice_id}/recognise")
def recognise_all(notice_id: PathId, request: Request, posted: Posted, session: DB, p: Admin):
    form, report = submit(posted, session, Confirm, lambda _: recognition.recognise_all(session, p, notice_id))
    if form.errors:
        return _detail(request, session, p, notice_id, errors=_above(form.errors), status_code=409)
    return _detail(request, session, p, notice_id, report=report)
