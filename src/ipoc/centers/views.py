"""Pages of the centers domain: the public list and page of each center, with the internal part (yearly
self-evaluations, evaluations, rectifications, revocation) for those allowed to read it, and the forms of
whoever owns each step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.audit import service as audit
from ipoc.auth.roles import Principal, Role
from ipoc.catalogue.service import public_view
from ipoc.centers import service as centers
from ipoc.centers.models import CENTER_STATUS, OUTCOMES, REVOCATION_REASONS, Center, RectificationState
from ipoc.centers.schemas import (
    AuditIn,
    CenterRegistration,
    EvaluationIn,
    NoFields,
    RectificationDecisionIn,
    RectificationReportIn,
    RevocationIn,
    SelfEvaluationIn,
    SelfEvaluationStart,
)
from ipoc.config import get_settings
from ipoc.documents.render import document_response
from ipoc.errors import DomainError, Forbidden, InvalidInput, NotFound
from ipoc.lifecycle import cycle, decisions, ranking
from ipoc.money import wan
from ipoc.orgs.models import Organisation
from ipoc.reference.models import Industry, Region
from ipoc.reference.service import list_industries, list_regions
from ipoc.schemas import PathId
from ipoc.web.deps import DB, CurrentPrincipal, role_required
from ipoc.web.export import named, wan_cell, xlsx_response
from ipoc.web.forms import FormResult, Posted, parse_form, posted_upload, refusable, see_other
from ipoc.web.templating import render

router = APIRouter()
RegionAdmin = Annotated[Principal, Depends(role_required(Role.REGION_ADMIN))]
MANUAL_REASONS = [(k, v) for k, v in REVOCATION_REASONS.items() if k != "failed_rectification"]


def _run(session: Session, form: FormResult, action: Callable[[Any], Any]) -> tuple[Any, int]:
    """``forms.attempt`` that keeps the refusal's status: the form is shown again with a wrong state as 409
    and bad input as 422, while a record the caller may not see or a step they may not take is answered as
    the 404 / 403 it is. A refusal undoes what the action wrote. Returns (what the action returned, status)."""
    if not form.ok:
        return None, 422
    try:
        with refusable(session):
            value = action(form.data)
    except DomainError as exc:
        if isinstance(exc, NotFound | Forbidden):
            raise
        form.fail(exc)
        return None, form.status
    return value, 200


# --- the list -----------------------------------------------------------------------------------------


def _opt_id(value: str, field: str) -> int | None:
    """A filter from a GET form: blank means no filter (a select's "全部" sends an empty value)."""
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 2_147_483_647:
        raise InvalidInput("筛选条件不正确", field=field)
    return int(value)


class Filters:
    def __init__(self, status: str = "", region_id: str = "", industry_id: str = "") -> None:
        if status and status not in CENTER_STATUS:
            raise InvalidInput("筛选条件不正确", field="status")
        self.status = status or None
        self.region_id = _opt_id(region_id, "region_id")
        self.industry_id = _opt_id(industry_id, "industry_id")

    def listing(self, session: Session, p: Principal) -> list[Center]:
        return centers.list_centers(
            session, p, state=self.status, region_id=self.region_id, industry_id=self.industry_id
        )

    @property
    def query(self) -> str:
        pairs = [("status", self.status), ("region_id", self.region_id), ("industry_id", self.industry_id)]
        return "&".join(f"{k}={v}" for k, v in pairs if v)


CenterFilters = Annotated[Filters, Depends()]


@router.get("/centers")
def center_list(request: Request, session: DB, p: CurrentPrincipal, f: CenterFilters):
    centers.close_ended_periods(session)
    ctx = {
        "title": "运营中心",
        "centers": f.listing(session, p),
        "filters": f,
        "statuses": CENTER_STATUS,
        "regions": list_regions(session),
        "industries": list_industries(session),
    }
    return render(request, "centers/list.html", ctx)


@router.get("/centers.xlsx")
def center_export(session: DB, p: CurrentPrincipal, f: CenterFilters):
    rows = [
        [c.name, c.industry.name, c.builder.name, c.region.name, c.state_label, c.period_start, c.period_end]
        for c in f.listing(session, p)
    ]
    headers = ["名称", "所属产业", "建设主体", "所在盟市", "状态", "建设期起", "建设期止"]
    used = {
        "状态": CENTER_STATUS.get(f.status or "", f.status),
        "盟市": named(session, Region, f.region_id),
        "所属产业": named(session, Industry, f.industry_id),
    }
    return xlsx_response(
        session,
        title="运营中心",
        filename="运营中心.xlsx",
        headers=headers,
        rows=rows,
        entity_type="centers",
        filters=used,
    )


# --- manual registration of a center recognised before the platform ----------------------------------


def _new_ctx(session: DB, **extra: Any) -> dict[str, Any]:
    orgs = session.scalars(select(Organisation).order_by(Organisation.name))
    return {
        "title": "登记已认定的运营中心",
        "industries": [(i.id, f"{i.name}（{i.category}）") for i in list_industries(session)],
        "orgs": [(o.id, o.name) for o in orgs],
        "regions": [(r.id, r.name) for r in list_regions(session)],
        **extra,
    }


@router.get("/centers/new")
def new_page(request: Request, session: DB, p: RegionAdmin):
    return render(request, "centers/new.html", _new_ctx(session))


@router.post("/centers/new")
def new_center(request: Request, posted: Posted, session: DB, p: RegionAdmin):
    form = parse_form(posted, CenterRegistration)
    center, status = _run(session, form, lambda d: centers.register_existing(session, p, d))
    if form.errors:
        ctx = _new_ctx(session, errors=form.errors, values=form.values)
        return render(request, "centers/new.html", ctx, status_code=status)
    return see_other(f"/centers/{center.id}")


# --- national recommendation (Art. 14) ----------------------------------------------------------------


@router.get("/centers/national")
def national(request: Request, session: DB, p: RegionAdmin):
    settings = get_settings()
    ctx = {
        "title": "国家级运营中心推荐名单",
        "rows": ranking.national_ranking(session, p),
        "wan": wan,
        "min_wan": wan(settings.national_min_conversion_yuan),
        "min_projects": settings.national_min_projects,
    }
    return render(request, "centers/national.html", ctx)


@router.get("/centers/national.xlsx")
def national_export(session: DB, p: RegionAdmin):
    rows = [
        [
            rank,
            r.center.name,
            r.center.state_label,
            r.evaluation.outcome_label if r.evaluation else "",
            r.evaluation.score if r.evaluation else None,
            wan_cell(r.conversion_amount_yuan),
            r.conversion_projects,
            "符合" if r.eligible else "不符合",
            "；".join(r.reasons),
            r.source,
            wan_cell(r.reported_amount_yuan),
            r.reported_projects if r.reported_year is not None else "",
        ]
        for rank, r in enumerate(ranking.national_ranking(session, p), start=1)
    ]
    headers = [
        "序号",
        "运营中心",
        "状态",
        "最近绩效评估",
        "评估得分",
        "年度转化金额（万元）",
        "累计项目数",
        "是否符合推荐条件",
        "不符合原因",
        "数据来源",
        "自报年度转化金额（万元）",
        "自报累计项目数",
    ]
    return xlsx_response(
        session,
        title="国家级推荐名单",
        filename="国家级运营中心推荐名单.xlsx",
        headers=headers,
        rows=rows,
        entity_type="centers",
    )


# --- a center's page ----------------------------------------------------------------------------------


def _center_ctx(session: Session, p: Principal, center: Center, **extra: Any) -> dict[str, Any]:
    internal = centers.sees_internal(p, center)
    revocation = centers.revocation_of(session, center)
    region_acts = p.role is Role.REGION_ADMIN and center.is_active
    this_year = clock.today().year
    return {
        "title": center.name,
        "center": center,
        "catalogue": public_view(session, center.id),
        "revocation": revocation,
        "internal": internal,
        "years": centers.year_rows(session, center) if centers.sees_self_evaluations(session, p, center) else None,
        "evaluations": centers.evaluations(session, center) if internal else [],
        "rectifications": centers.rectifications(session, center) if internal else [],
        "evidence": centers.evidence_of(session, revocation) if internal and revocation else [],
        "history": audit.history(session, "centers", center.id) if internal else [],
        "audit_role": centers.audit_role(p, center),
        "may_start": center.is_active and p.role is Role.CENTER_STAFF and p.center_id == center.id,
        "may_evaluate": region_acts,
        "may_revoke": region_acts,
        "year_options": [(y, str(y)) for y in centers.evaluation_years(center) if y <= this_year],
        "panel_options": [(x.id, f"{x.year} 年 {x.name}") for x in cycle.performance_panels(session)]
        if region_acts
        else [],
        "outcomes": OUTCOMES,
        "this_year": this_year,
        **extra,
    }


@router.get("/centers/{center_id}/decision.{fmt}")
def decision(center_id: PathId, fmt: str, session: DB, p: CurrentPrincipal):
    center = centers.get_center(session, p, center_id)
    return document_response(
        decisions.recognition_document(session, center.id), fmt, f"{center.name}认定决定", session=session
    )


@router.get("/centers/{center_id}/revocation.{fmt}")
def revocation_decision(center_id: PathId, fmt: str, session: DB, p: CurrentPrincipal):
    """取消资格决定: public, as the revocation shown on the center's page is."""
    center = centers.get_center(session, p, center_id)
    doc = decisions.revocation_decision_document(session, center.id)
    return document_response(doc, fmt, f"{center.name}取消资格决定", session=session)


@router.get("/centers/{center_id}")
def center_page(center_id: PathId, request: Request, session: DB, p: CurrentPrincipal):
    center = centers.get_center(session, p, center_id)
    return render(request, "centers/detail.html", _center_ctx(session, p, center))


def _center_form_failed(
    request: Request, session: DB, p: Principal, center_id: int, form: FormResult, status: int
) -> Any:
    center = centers.get_center(session, p, center_id)
    ctx = _center_ctx(session, p, center, errors=form.errors, values=form.values)
    return render(request, "centers/detail.html", ctx, status_code=status)


@router.post("/centers/{center_id}/self-evaluations")
def start_self_evaluation(center_id: PathId, request: Request, posted: Posted, session: DB, p: CurrentPrincipal):
    form = parse_form(posted, SelfEvaluationStart)
    ev, status = _run(session, form, lambda d: cycle.start_self_evaluation(session, p, center_id, d.year))
    if form.errors:
        return _center_form_failed(request, session, p, center_id, form, status)
    return see_other(f"/self-evaluations/{ev.id}")


@router.post("/centers/{center_id}/evaluations")
def evaluate(center_id: PathId, request: Request, posted: Posted, session: DB, p: CurrentPrincipal):
    form = parse_form(posted, EvaluationIn)
    _, status = _run(session, form, lambda d: cycle.evaluate(session, p, center_id, d))
    if form.errors:
        return _center_form_failed(request, session, p, center_id, form, status)
    return see_other(f"/centers/{center_id}")


# --- revocation ---------------------------------------------------------------------------------------


def _revoke_ctx(center: Center, **extra: Any) -> dict[str, Any]:
    return {"title": f"取消资格：{center.name}", "center": center, "reasons": MANUAL_REASONS, **extra}


@router.get("/centers/{center_id}/revoke")
def revoke_page(center_id: PathId, request: Request, session: DB, p: RegionAdmin):
    center = centers.get_center(session, p, center_id)
    centers.require_active(center)
    return render(request, "centers/revoke.html", _revoke_ctx(center))


@router.post("/centers/{center_id}/revoke")
def revoke(center_id: PathId, request: Request, posted: Posted, session: DB, p: CurrentPrincipal):
    form = parse_form(posted, RevocationIn)
    evidence = [u for u in map(posted_upload, posted.getlist("evidence")) if u is not None]
    _, status = _run(
        session,
        form,
        lambda d: centers.revoke(session, p, center_id, reason=d.reason, detail=d.detail, evidence=evidence),
    )
    if form.errors:
        center = centers.get_center(session, p, center_id)
        ctx = _revoke_ctx(center, errors=form.errors, values=form.values)
        return render(request, "centers/revoke.html", ctx, status_code=status)
    return see_other(f"/centers/{center_id}")


# --- self-evaluations ---------------------------------------------------------------------------------


def _evaluation_ctx(session: Session, p: Principal, ev_id: int, **extra: Any) -> dict[str, Any]:
    ev = centers.view_self_evaluation(session, p, ev_id)
    values = {k: getattr(ev, k) for k in SelfEvaluationIn.model_fields}
    return {
        "title": f"{ev.year} 年度自我评价",
        "ev": ev,
        "center": ev.center,
        "figures": decisions.figure_rows(ev.figures),
        "may_edit": centers.may_edit(p, ev),
        "audit_role": centers.audit_role(p, ev.center) if ev.center.is_active else None,
        "history": audit.history(session, "self_evaluations", ev.id),
        "wan": wan,
        "values": values,
        **extra,
    }


@router.get("/self-evaluations/{ev_id}.{fmt}")
def self_evaluation_file(ev_id: PathId, fmt: str, session: DB, p: CurrentPrincipal):
    ev = centers.view_self_evaluation(session, p, ev_id)
    doc = decisions.self_evaluation_document(session, ev.id)
    return document_response(doc, fmt, f"{ev.center.name}{ev.year}年度自我评价报告")


@router.get("/self-evaluations/{ev_id}")
def self_evaluation_page(ev_id: PathId, request: Request, session: DB, p: CurrentPrincipal):
    return render(request, "centers/self_evaluation.html", _evaluation_ctx(session, p, ev_id))


def _evaluation_failed(request: Request, session: DB, p: Principal, ev_id: int, form: FormResult, status: int) -> Any:
    ctx = _evaluation_ctx(session, p, ev_id, errors=form.errors)
    ctx["values"] = {**ctx["values"], **form.values}
    return render(request, "centers/self_evaluation.html", ctx, status_code=status)


@router.post("/self-evaluations/{ev_id}")
def save_self_evaluation(ev_id: PathId, request: Request, posted: Posted, session: DB, p: CurrentPrincipal):
    form = parse_form(posted, SelfEvaluationIn)
    _, status = _run(session, form, lambda d: centers.save_self_evaluation(session, p, ev_id, d))
    if form.errors:
        return _evaluation_failed(request, session, p, ev_id, form, status)
    return see_other(f"/self-evaluations/{ev_id}")


@router.post("/self-evaluations/{ev_id}/submit")
def submit_self_evaluation(ev_id: PathId, request: Request, posted: Posted, session: DB, p: CurrentPrincipal):
    form = parse_form(posted, NoFields)
    _, status = _run(session, form, lambda _d: cycle.submit_self_evaluation(session, p, ev_id))
    if form.errors:
        return _evaluation_failed(request, session, p, ev_id, form, status)
    return see_other(f"/self-evaluations/{ev_id}")


@router.post("/self-evaluations/{ev_id}/audit")
def audit_self_evaluation(ev_id: PathId, request: Request, posted: Posted, session: DB, p: CurrentPrincipal):
    form = parse_form(posted, AuditIn)
    _, status = _run(
        session, form, lambda d: centers.audit_self_evaluation(session, p, ev_id, approve=d.approve, note=d.note)
    )
    if form.errors:
        return _evaluation_failed(request, session, p, ev_id, form, status)
    return see_other(f"/self-evaluations/{ev_id}")


# --- rectifications -----------------------------------------------------------------------------------


def _rectification_ctx(session: Session, p: Principal, rect_id: int, **extra: Any) -> dict[str, Any]:
    rect = centers.get_rectification(session, p, rect_id)
    center = rect.center
    return {
        "title": f"整改：{center.name}",
        "rect": rect,
        "center": center,
        "may_report": center.is_active and p.role is Role.CENTER_STAFF and p.center_id == center.id,
        "may_decide": center.is_active and p.role is Role.REGION_ADMIN,
        "overdue": rect.state == RectificationState.OPEN and clock.today() > rect.deadline,
        "history": audit.history(session, "rectifications", rect.id),
        **extra,
    }


@router.get("/rectifications/{rect_id}/notice.{fmt}")
def rectification_notice(rect_id: PathId, fmt: str, session: DB, p: CurrentPrincipal):
    """整改通知书: an internal record of the center, as the rectification is."""
    rect = centers.get_rectification(session, p, rect_id)
    doc = decisions.rectification_notice_document(session, rect.id)
    return document_response(doc, fmt, f"{rect.center.name}整改通知书", session=session)


@router.get("/rectifications/{rect_id}")
def rectification_page(rect_id: PathId, request: Request, session: DB, p: CurrentPrincipal):
    return render(request, "centers/rectification.html", _rectification_ctx(session, p, rect_id))


def _rectification_failed(
    request: Request, session: DB, p: Principal, rect_id: int, form: FormResult, status: int
) -> Any:
    ctx = _rectification_ctx(session, p, rect_id, errors=form.errors, values=form.values)
    return render(request, "centers/rectification.html", ctx, status_code=status)


@router.post("/rectifications/{rect_id}/report")
def report_rectification(rect_id: PathId, request: Request, posted: Posted, session: DB, p: CurrentPrincipal):
    form = parse_form(posted, RectificationReportIn)
    _, status = _run(session, form, lambda d: centers.report_rectification(session, p, rect_id, d.report))
    if form.errors:
        return _rectification_failed(request, session, p, rect_id, form, status)
    return see_other(f"/rectifications/{rect_id}")


@router.post("/rectifications/{rect_id}/decide")
def decide_rectification(rect_id: PathId, request: Request, posted: Posted, session: DB, p: CurrentPrincipal):
    form = parse_form(posted, RectificationDecisionIn)
    _, status = _run(
        session, form, lambda d: centers.decide_rectification(session, p, rect_id, passed=d.passed, note=d.note)
    )
    if form.errors:
        return _rectification_failed(request, session, p, rect_id, form, status)
    return see_other(f"/rectifications/{rect_id}")
