"""A center's public service catalogue and yearly work plan (Art. 12) and its funding projects (Art. 15).

Who may do what: the center's own staff and the region bureau manage the catalogue and the plan; the
bureau of the center's league/city reads them; funding is recorded by whoever pays (the region bureau
for the region fund, the league/city bureau for its matching funds) and read by the center too. Anyone
else (staff of another center, bureaus of another area, members, experts) gets 404: these are internal
records of the center (docs/permissions.md).
Every change needs an active center: a revoked or ended one keeps its records read-only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.audit import service as audit
from ipoc.auth.roles import Principal, Role
from ipoc.catalogue import flows
from ipoc.catalogue.models import (
    DUTIES,
    FUNDING_SOURCES,
    FundingProject,
    PlanItem,
    PlanItemState,
    ServiceItem,
    WorkPlan,
)
from ipoc.catalogue.schemas import (
    FundingIn,
    PlanItemDone,
    PlanItemDrop,
    PlanItemIn,
    ServiceItemIn,
    WorkPlanIn,
)
from ipoc.centers import records as centers
from ipoc.centers.models import Center
from ipoc.deals.service import ConversionYear, conversion_by_year
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.workflow import take

# --- who may do what ----------------------------------------------------------------------------------


def _center(session: Session, principal: Principal, center_id: int) -> Center:
    """The center, if the caller may read its internal records (``centers.sees_internal``), else 404."""
    center = centers.get_center(session, principal, center_id)
    if not centers.sees_internal(principal, center):
        raise NotFound("运营中心不存在或无权查看")
    return center


def may_manage(principal: Principal, center: Center) -> bool:
    """The catalogue and the plan are the center's own, kept by its staff; the region bureau may step in."""
    return principal.role is Role.REGION_ADMIN or (
        principal.role is Role.CENTER_STAFF and principal.center_id == center.id
    )


def _managed(session: Session, principal: Principal, center_id: int) -> Center:
    center = _center(session, principal, center_id)
    if not may_manage(principal, center):
        raise Forbidden("只有本中心工作人员或自治区局可以维护服务目录和工作计划")
    centers.require_active(center)
    return center


def funding_sources_for(principal: Principal, center: Center) -> list[str]:
    """Sources the caller may record: the region bureau any, the area's bureau its own matching funds."""
    if principal.role is Role.REGION_ADMIN:
        return list(FUNDING_SOURCES)
    if principal.role is Role.BUREAU_OFFICER and center.region_id in principal.region_ids:
        return ["league_matching"]
    return []


def open_center(session: Session, principal: Principal, center_id: int) -> tuple[Center, bool]:
    """The center for a page of its internal records, and whether the caller may change the catalogue."""
    center = _center(session, principal, center_id)
    return center, may_manage(principal, center)


# --- service catalogue --------------------------------------------------------------------------------


def list_service_items(session: Session, principal: Principal, center_id: int) -> list[ServiceItem]:
    _center(session, principal, center_id)
    stmt = select(ServiceItem).where(ServiceItem.center_id == center_id)
    return list(session.scalars(stmt.order_by(ServiceItem.sort_order, ServiceItem.id)))


def _lookup_item(session: Session, center_id: int, item_id: int) -> ServiceItem:
    item = session.get(ServiceItem, item_id)
    if item is None or item.center_id != center_id:
        raise NotFound("服务事项不存在")
    return item


def get_service_item(session: Session, principal: Principal, center_id: int, item_id: int) -> ServiceItem:
    _center(session, principal, center_id)
    return _lookup_item(session, center_id, item_id)


def _service_item(session: Session, principal: Principal, center_id: int, item_id: int) -> ServiceItem:
    _managed(session, principal, center_id)
    return _lookup_item(session, center_id, item_id)


def create_service_item(session: Session, principal: Principal, center_id: int, data: ServiceItemIn) -> ServiceItem:
    _managed(session, principal, center_id)
    item = ServiceItem(center_id=center_id, **data.model_dump(), published=False)
    session.add(item)
    session.flush()
    return item


def update_service_item(
    session: Session, principal: Principal, center_id: int, item_id: int, data: ServiceItemIn
) -> ServiceItem:
    item = _service_item(session, principal, center_id, item_id)
    for key, value in data.model_dump().items():
        setattr(item, key, value)
    session.flush()
    return item


def delete_service_item(session: Session, principal: Principal, center_id: int, item_id: int) -> None:
    item = _service_item(session, principal, center_id, item_id)
    audit.set_reason(session, "删除服务事项")
    session.delete(item)
    session.flush()


def publish_service_item(
    session: Session, principal: Principal, center_id: int, item_id: int, published: bool
) -> ServiceItem:
    item = _service_item(session, principal, center_id, item_id)
    if item.published == published:
        raise Conflict("该服务事项已公布" if published else "该服务事项尚未公布")
    audit.set_reason(session, "公布服务事项" if published else "撤回公布服务事项")
    item.published = published
    session.flush()
    return item


# --- yearly work plan ---------------------------------------------------------------------------------


def list_plans(session: Session, principal: Principal, center_id: int) -> list[WorkPlan]:
    _center(session, principal, center_id)
    return list(session.scalars(select(WorkPlan).where(WorkPlan.center_id == center_id).order_by(WorkPlan.year)))


def find_plan(session: Session, center_id: int, year: int) -> WorkPlan | None:
    """No permission check: for callers that already know the center is theirs to see."""
    return session.scalar(select(WorkPlan).where(WorkPlan.center_id == center_id, WorkPlan.year == year))


def get_plan(session: Session, principal: Principal, center_id: int, year: int) -> WorkPlan | None:
    """The plan of one year, or None when the center has not made it yet."""
    _center(session, principal, center_id)
    return find_plan(session, center_id, year)


def plan_years(center: Center) -> range:
    """The calendar years of the construction period, the only years a plan may be made for."""
    if center.period_start is None or center.period_end is None:
        return range(0)
    return range(center.period_start.year, center.period_end.year + 1)


def create_plan(session: Session, principal: Principal, center_id: int, data: WorkPlanIn) -> WorkPlan:
    center = _managed(session, principal, center_id)
    years = plan_years(center)
    if data.year not in years:
        span = f"{years[0]}–{years[-1]} 年" if years else "尚未确定"
        raise InvalidInput(f"工作计划的年度应在中心建设期内（{span}）", field="year")
    if find_plan(session, center_id, data.year) is not None:
        raise Conflict(f"{data.year} 年度工作计划已存在，每年只能制定一份", field="year")
    plan = WorkPlan(center_id=center_id, year=data.year, summary=data.summary)
    session.add(plan)
    session.flush()
    return plan


def _managed_plan(session: Session, principal: Principal, center_id: int, year: int) -> WorkPlan:
    _managed(session, principal, center_id)
    plan = find_plan(session, center_id, year)
    if plan is None:
        raise NotFound(f"{year} 年度工作计划尚未制定")
    return plan


def publish_plan(session: Session, principal: Principal, center_id: int, year: int, published: bool) -> WorkPlan:
    plan = _managed_plan(session, principal, center_id, year)
    if plan.published == published:
        raise Conflict("该工作计划已公布" if published else "该工作计划尚未公布")
    if published and not plan.items:
        raise Conflict("工作计划还没有任何工作事项，不能公布")
    audit.set_reason(session, "公布年度工作计划" if published else "撤回公布年度工作计划")
    plan.published = published
    session.flush()
    return plan


def add_plan_item(session: Session, principal: Principal, center_id: int, year: int, data: PlanItemIn) -> PlanItem:
    plan = _managed_plan(session, principal, center_id, year)
    if data.due_on.year != year:
        raise InvalidInput(f"计划完成日期应在 {year} 年内", field="due_on")
    item = PlanItem(**data.model_dump())
    plan.items.append(item)
    session.flush()
    return item


def _planned_item(session: Session, principal: Principal, center_id: int, year: int, item_id: int) -> PlanItem:
    plan = _managed_plan(session, principal, center_id, year)
    item = session.get(PlanItem, item_id)
    if item is None or item.plan_id != plan.id:
        raise NotFound("工作事项不存在")
    if item.state != PlanItemState.PLANNED:  # done and dropped items are part of the record
        raise Conflict(f"该工作事项已是“{item.state_label}”状态")
    return item


def complete_plan_item(
    session: Session,
    principal: Principal,
    center_id: int,
    year: int,
    item_id: int,
    data: PlanItemDone,
    today: date | None = None,
) -> PlanItem:
    """Mark an item done, with the date and what came of it (the public page shows the progress)."""
    item = _planned_item(session, principal, center_id, year, item_id)
    if data.done_on > (today or clock.today()):
        raise InvalidInput("完成日期不能晚于今天", field="done_on")
    done = {"done_on": data.done_on, "outcome": data.outcome}
    take(session, flows.PLAN_ITEMS, item, "complete", owners=None, actor=principal, reason=data.outcome, changes=done)
    return item


def drop_plan_item(
    session: Session, principal: Principal, center_id: int, year: int, item_id: int, data: PlanItemDrop
) -> PlanItem:
    """Drop an item, with the reason, kept in ``outcome`` so that the plan still shows why."""
    item = _planned_item(session, principal, center_id, year, item_id)
    dropped = {"outcome": data.reason}
    take(session, flows.PLAN_ITEMS, item, "drop", owners=None, actor=principal, reason=data.reason, changes=dropped)
    return item


def delete_plan_item(session: Session, principal: Principal, center_id: int, year: int, item_id: int) -> None:
    """Only an item not yet done or dropped may be deleted: those are part of the record."""
    item = _planned_item(session, principal, center_id, year, item_id)
    audit.set_reason(session, "删除工作事项")
    session.delete(item)
    session.flush()


def plan_progress(plan: WorkPlan) -> tuple[int, int]:
    """(done, total) where dropped items no longer count towards the total."""
    live = [i for i in plan.items if i.state != PlanItemState.DROPPED]
    return sum(1 for i in live if i.state == PlanItemState.DONE), len(live)


# --- funding projects ---------------------------------------------------------------------------------


def list_funding(session: Session, principal: Principal, center_id: int) -> list[FundingProject]:
    _center(session, principal, center_id)
    stmt = select(FundingProject).where(FundingProject.center_id == center_id)
    return list(session.scalars(stmt.order_by(FundingProject.year.desc(), FundingProject.id)))


def funding_totals(projects: list[FundingProject]) -> dict[str, int]:
    """Yuan per source (and overall under ``"all"``), every source listed, zero included."""
    totals = dict.fromkeys([*FUNDING_SOURCES, "all"], 0)
    for p in projects:
        totals[p.source] += p.amount_yuan
        totals["all"] += p.amount_yuan
    return totals


def create_funding(session: Session, principal: Principal, center_id: int, data: FundingIn) -> FundingProject:
    center = _center(session, principal, center_id)
    allowed = funding_sources_for(principal, center)
    if not allowed:
        raise Forbidden("资金项目由自治区局或中心所在盟市局登记")
    if data.source not in allowed:
        raise Forbidden("盟市局只能登记本级配套资金", field="source")
    centers.require_active(center)
    project = FundingProject(
        center_id=center_id,
        title=data.title,
        year=data.year,
        source=data.source,
        amount_yuan=data.amount_yuan,
        note=data.note,
    )
    session.add(project)
    session.flush()
    return project


def delete_funding(session: Session, principal: Principal, center_id: int, project_id: int) -> None:
    center = _center(session, principal, center_id)
    project = session.get(FundingProject, project_id)
    if project is None or project.center_id != center_id:
        raise NotFound("资金项目不存在")
    if project.source not in funding_sources_for(principal, center):
        raise Forbidden("只能删除本级登记的资金项目")
    centers.require_active(center)
    audit.set_reason(session, "删除资金项目")
    session.delete(project)
    session.flush()


# --- figures and the public page ----------------------------------------------------------------------


def center_figures(session: Session, center_id: int, year: int) -> dict[str, int]:
    """What the center recorded here, for pre-filling its self-evaluation of ``year``: its catalogue, plan
    and funding, and the deal ledger's conversion amount and contract count of that signing year."""
    published = select(func.count(ServiceItem.id)).where(
        ServiceItem.center_id == center_id, ServiceItem.published.is_(True)
    )
    plan = find_plan(session, center_id, year)
    done, total = plan_progress(plan) if plan else (0, 0)
    n, yuan = session.execute(
        select(func.count(FundingProject.id), func.coalesce(func.sum(FundingProject.amount_yuan), 0)).where(
            FundingProject.center_id == center_id, FundingProject.year == year
        )
    ).one()
    return {
        "service_items_published": session.scalar(published) or 0,
        "plan_items_total": total,
        "plan_items_done": done,
        "funding_projects": int(n),
        "funding_yuan": int(yuan),
    } | _ledger_figures(conversion_by_year(session, center_id).get(year))


def _ledger_figures(year: ConversionYear | None) -> dict[str, int]:
    """The ledger's year (a ``deals.service.ConversionYear``, None when nothing was signed that year)."""
    return {
        "ledger_conversion_yuan": year.amount_yuan if year else 0,
        "ledger_conversion_deals": year.deals if year else 0,
    }


def public_view(session: Session, center_id: int, today: date | None = None) -> dict[str, Any]:
    """What anyone sees on the center's page: published services and this year's published plan.

    Rendered by ``catalogue/_center_public.html``, which expects this dict as ``catalogue``.
    """
    year = (today or clock.today()).year
    items = session.scalars(
        select(ServiceItem)
        .where(ServiceItem.center_id == center_id, ServiceItem.published.is_(True))
        .order_by(ServiceItem.sort_order, ServiceItem.id)
    )
    plan = find_plan(session, center_id, year)
    if plan is not None and not plan.published:
        plan = None
    done, total = plan_progress(plan) if plan else (0, 0)
    return {
        "service_items": list(items),
        "duties": DUTIES,
        "year": year,
        "plan": plan,
        "plan_done": done,
        "plan_total": total,
    }
