"""Pages: a center's service catalogue, its yearly work plan and its funding projects, with XLSX exports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.auth.roles import Principal
from ipoc.catalogue import service as catalogue
from ipoc.catalogue.models import DUTIES, FUNDING_SOURCES, ServiceItem
from ipoc.catalogue.schemas import (
    FundingIn,
    PlanItemDone,
    PlanItemDrop,
    PlanItemIn,
    PublishIn,
    ServiceItemForm,
    WorkPlanIn,
)
from ipoc.money import wan
from ipoc.schemas import PathId
from ipoc.web.deps import DB, LoggedIn
from ipoc.web.export import wan_cell, xlsx_response
from ipoc.web.forms import FormResult, Posted, attempt, parse_form, see_other
from ipoc.web.templating import render

router = APIRouter()
Year = Annotated[int, Path(ge=2000, le=2100)]
M = TypeVar("M", bound=BaseModel)


def _submit(session: Session, form: FormResult[M], action: Callable[[M], object]) -> int | None:
    """``attempt`` the action on the form's data, answering None when done, else the status to show the form
    again with."""
    if form.ok and form.data is not None:
        data = form.data
        attempt(session, form, lambda: action(data))
    return form.status if form.errors else None


# --- service catalogue --------------------------------------------------------------------------------


def _item_values(item: ServiceItem) -> dict[str, str]:
    values = {k: getattr(item, k) for k in ("title", "description", "audience", "charge")}
    return values | {f"duty_{d}": "on" for d in item.duties}


def _catalogue_page(request: Request, session: Session, p: Principal, center_id: int, status: int = 200, **extra):
    center, manage = catalogue.open_center(session, p, center_id)
    ctx = {
        "title": f"{center.name} · 公共服务目录",
        "center": center,
        "this_year": clock.today().year,
        "manage": manage and center.is_active,
        "items": catalogue.list_service_items(session, p, center_id),
        "duties": DUTIES,
        **extra,
    }
    return render(request, "catalogue/items.html", ctx, status_code=status)


@router.get("/centers/{center_id}/catalogue.xlsx")
def catalogue_export(center_id: PathId, session: DB, p: LoggedIn):
    center, _ = catalogue.open_center(session, p, center_id)
    rows = [
        [i.title, i.description, "；".join(DUTIES[d] for d in i.duties), i.audience, i.charge, _published(i.published)]
        for i in catalogue.list_service_items(session, p, center_id)
    ]
    headers = ["服务名称", "服务内容", "对应职责", "服务对象", "收费标准", "状态"]
    return xlsx_response(
        session,
        title=f"{center.name}公共服务目录",
        filename=f"{center.name}公共服务目录.xlsx",
        headers=headers,
        rows=rows,
        entity_type="service_items",
    )


def _published(flag: bool) -> str:
    return "已公布" if flag else "未公布"


@router.get("/centers/{center_id}/catalogue")
def catalogue_page(center_id: PathId, request: Request, session: DB, p: LoggedIn):
    return _catalogue_page(request, session, p, center_id)


@router.post("/centers/{center_id}/catalogue")
def create_item(center_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    form = parse_form(posted, ServiceItemForm)
    status = _submit(session, form, lambda data: catalogue.create_service_item(session, p, center_id, data))
    if status:
        return _catalogue_page(request, session, p, center_id, status, errors=form.errors, values=form.values)
    return see_other(f"/centers/{center_id}/catalogue")


def _edit_page(
    request: Request, session: Session, p: Principal, center_id: int, item_id: int, status: int = 200, **extra
):
    center, manage = catalogue.open_center(session, p, center_id)
    item = catalogue.get_service_item(session, p, center_id, item_id)
    ctx = {
        "title": f"修改服务事项 · {item.title}",
        "center": center,
        "this_year": clock.today().year,
        "item": item,
        "manage": manage and center.is_active,
        "duties": DUTIES,
        "values": _item_values(item),
        **extra,
    }
    return render(request, "catalogue/item_edit.html", ctx, status_code=status)


@router.get("/centers/{center_id}/catalogue/{item_id}")
def edit_item_page(center_id: PathId, item_id: PathId, request: Request, session: DB, p: LoggedIn):
    return _edit_page(request, session, p, center_id, item_id)


@router.post("/centers/{center_id}/catalogue/{item_id}")
def update_item(center_id: PathId, item_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    form = parse_form(posted, ServiceItemForm)
    status = _submit(session, form, lambda data: catalogue.update_service_item(session, p, center_id, item_id, data))
    if status:
        return _edit_page(request, session, p, center_id, item_id, status, errors=form.errors, values=form.values)
    return see_other(f"/centers/{center_id}/catalogue")


@router.post("/centers/{center_id}/catalogue/{item_id}/publish")
def publish_item(center_id: PathId, item_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    form = parse_form(posted, PublishIn)
    status = _submit(
        session, form, lambda data: catalogue.publish_service_item(session, p, center_id, item_id, data.published)
    )
    if status:
        return _catalogue_page(request, session, p, center_id, status, errors=form.errors)
    return see_other(f"/centers/{center_id}/catalogue")


@router.post("/centers/{center_id}/catalogue/{item_id}/delete")
def delete_item(center_id: PathId, item_id: PathId, session: DB, p: LoggedIn):
    catalogue.delete_service_item(session, p, center_id, item_id)
    return see_other(f"/centers/{center_id}/catalogue")


# --- yearly work plan ---------------------------------------------------------------------------------


def _plan_page(request: Request, session: Session, p: Principal, center_id: int, year: int, status: int = 200, **extra):
    center, manage = catalogue.open_center(session, p, center_id)
    plan = catalogue.get_plan(session, p, center_id, year)
    done, total = catalogue.plan_progress(plan) if plan else (0, 0)
    ctx = {
        "title": f"{center.name} · {year} 年度公共服务工作计划",
        "center": center,
        "this_year": clock.today().year,
        "year": year,
        "years": list(catalogue.plan_years(center)),
        "plan": plan,
        "done": done,
        "total": total,
        "manage": manage and center.is_active,
        "duties": DUTIES,
        **extra,
    }
    return render(request, "catalogue/plan.html", ctx, status_code=status)


@router.get("/centers/{center_id}/plans/{year}.xlsx")
def plan_export(center_id: PathId, year: Year, session: DB, p: LoggedIn):
    center, _ = catalogue.open_center(session, p, center_id)
    plan = catalogue.get_plan(session, p, center_id, year)
    rows = [
        [i.title, DUTIES.get(i.duty, ""), i.target, i.due_on, i.state_label, i.done_on, i.outcome]
        for i in (plan.items if plan else [])
    ]
    headers = ["工作事项", "对应职责", "预期目标", "计划完成日期", "状态", "完成日期", "完成情况或取消原因"]
    return xlsx_response(
        session,
        title=f"{center.name}{year}年度工作计划",
        filename=f"{center.name}{year}年度公共服务工作计划.xlsx",
        headers=headers,
        rows=rows,
        entity_type="plan_items",
    )


@router.get("/centers/{center_id}/plans/{year}")
def plan_page(center_id: PathId, year: Year, request: Request, session: DB, p: LoggedIn):
    return _plan_page(request, session, p, center_id, year)


@router.post("/centers/{center_id}/plans")
def create_plan(center_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    form = parse_form(posted, WorkPlanIn)
    status = _submit(session, form, lambda data: catalogue.create_plan(session, p, center_id, data))
    year = form.data.year if form.data else _year_of(form.values)
    if status:
        return _plan_page(request, session, p, center_id, year, status, errors=form.errors, values=form.values)
    return see_other(f"/centers/{center_id}/plans/{year}")


def _year_of(values: dict[str, str]) -> int:
    """The year typed in a refused plan form, to show that year's page again (this year if unreadable)."""
    text = values.get("year", "")
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else clock.today().year


@router.post("/centers/{center_id}/plans/{year}/publish")
def publish_plan(center_id: PathId, year: Year, request: Request, posted: Posted, session: DB, p: LoggedIn):
    form = parse_form(posted, PublishIn)
    status = _submit(session, form, lambda data: catalogue.publish_plan(session, p, center_id, year, data.published))
    if status:
        return _plan_page(request, session, p, center_id, year, status, errors=form.errors)
    return see_other(f"/centers/{center_id}/plans/{year}")


@router.post("/centers/{center_id}/plans/{year}/items")
def add_plan_item(center_id: PathId, year: Year, request: Request, posted: Posted, session: DB, p: LoggedIn):
    form = parse_form(posted, PlanItemIn)
    status = _submit(session, form, lambda data: catalogue.add_plan_item(session, p, center_id, year, data))
    if status:
        return _plan_page(request, session, p, center_id, year, status, errors=form.errors, values=form.values)
    return see_other(f"/centers/{center_id}/plans/{year}")


@router.post("/centers/{center_id}/plans/{year}/items/{item_id}/done")
def complete_plan_item(
    center_id: PathId, year: Year, item_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn
):
    form = parse_form(posted, PlanItemDone)
    status = _submit(
        session, form, lambda data: catalogue.complete_plan_item(session, p, center_id, year, item_id, data)
    )
    if status:
        ctx = {"errors": form.errors, "values": form.values, "failed_item": item_id}
        return _plan_page(request, session, p, center_id, year, status, **ctx)
    return see_other(f"/centers/{center_id}/plans/{year}")


@router.post("/centers/{center_id}/plans/{year}/items/{item_id}/drop")
def drop_plan_item(
    center_id: PathId, year: Year, item_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn
):
    form = parse_form(posted, PlanItemDrop)
    status = _submit(session, form, lambda data: catalogue.drop_plan_item(session, p, center_id, year, item_id, data))
    if status:
        ctx = {"errors": form.errors, "values": form.values, "failed_item": item_id}
        return _plan_page(request, session, p, center_id, year, status, **ctx)
    return see_other(f"/centers/{center_id}/plans/{year}")


@router.post("/centers/{center_id}/plans/{year}/items/{item_id}/delete")
def delete_plan_item(center_id: PathId, year: Year, item_id: PathId, session: DB, p: LoggedIn):
    catalogue.delete_plan_item(session, p, center_id, year, item_id)
    return see_other(f"/centers/{center_id}/plans/{year}")


# --- funding projects ---------------------------------------------------------------------------------


def _funding_page(request: Request, session: Session, p: Principal, center_id: int, status: int = 200, **extra):
    center, _ = catalogue.open_center(session, p, center_id)
    projects = catalogue.list_funding(session, p, center_id)
    sources = catalogue.funding_sources_for(p, center) if center.is_active else []
    ctx = {
        "title": f"{center.name} · 资金项目",
        "center": center,
        "this_year": clock.today().year,
        "projects": projects,
        "totals": catalogue.funding_totals(projects),
        "sources": FUNDING_SOURCES,
        "may_record": sources,
        "wan": wan,
        **extra,
    }
    return render(request, "catalogue/funding.html", ctx, status_code=status)


@router.get("/centers/{center_id}/funding.xlsx")
def funding_export(center_id: PathId, session: DB, p: LoggedIn):
    center, _ = catalogue.open_center(session, p, center_id)
    rows = [
        [f.title, f.year, f.source_label, wan_cell(f.amount_yuan), f.note]
        for f in catalogue.list_funding(session, p, center_id)
    ]
    return xlsx_response(
        session,
        title=f"{center.name}资金项目",
        filename=f"{center.name}资金项目.xlsx",
        headers=["项目名称", "年度", "资金来源", "金额（万元）", "备注"],
        rows=rows,
        entity_type="funding_projects",
    )


@router.get("/centers/{center_id}/funding")
def funding_page(center_id: PathId, request: Request, session: DB, p: LoggedIn):
    return _funding_page(request, session, p, center_id)


@router.post("/centers/{center_id}/funding")
def create_funding(center_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    form = parse_form(posted, FundingIn)
    status = _submit(session, form, lambda data: catalogue.create_funding(session, p, center_id, data))
    if status:
        return _funding_page(request, session, p, center_id, status, errors=form.errors, values=form.values)
    return see_other(f"/centers/{center_id}/funding")


@router.post("/centers/{center_id}/funding/{project_id}/delete")
def delete_funding(center_id: PathId, project_id: PathId, session: DB, p: LoggedIn):
    catalogue.delete_funding(session, p, center_id, project_id)
    return see_other(f"/centers/{center_id}/funding")
