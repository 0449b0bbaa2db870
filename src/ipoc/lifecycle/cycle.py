"""The center's yearly cycle (Art. 10) where it reads other domains: a self-evaluation is pre-filled with the
catalogue's figures and the deal ledger, and a performance evaluation takes its score from a closed panel's
results. The rest of the cycle (audit, rectification, revocation) is the center's own, in ``centers.service``.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc import workflow
from ipoc.audit import service as audit
from ipoc.auth.roles import Principal
from ipoc.catalogue.service import center_figures
from ipoc.centers import flows
from ipoc.centers.models import (
    OUTCOMES,
    Center,
    PerformanceEvaluation,
    Rectification,
    SelfEvaluation,
    SelfEvaluationState,
)
from ipoc.centers.records import ISSUER, get_center, require_active
from ipoc.centers.schemas import EvaluationIn
from ipoc.centers.service import (
    as_of,
    deadline_for,
    editable_self_evaluation,
    evaluation_years,
    internal_center,
    require_region,
    require_staff,
)
from ipoc.db import utcnow
from ipoc.deals import service as deals
from ipoc.documents.numbering import document_number
from ipoc.errors import Conflict, InvalidInput
from ipoc.messages import service as messages
from ipoc.reviews.models import Panel, PanelState
from ipoc.reviews.service import center_results


def start_self_evaluation(
    session: Session, principal: Principal, center_id: int, year: int, today: date | None = None
) -> SelfEvaluation:
    """The center opens its self-evaluation of ``year``, pre-filled with what it recorded here."""
    center = internal_center(session, principal, center_id)
    require_active(center)
    require_staff(principal, center, "自我评价")
    today = as_of(today)
    if year not in evaluation_years(center):
        raise InvalidInput("该年度不在本中心的自我评价年度内", field="year")
    if year > today.year:
        raise InvalidInput(f"{year} 年度尚未开始", field="year")
    if session.scalar(
        select(SelfEvaluation.id).where(SelfEvaluation.center_id == center.id, SelfEvaluation.year == year)
    ):
        raise Conflict(f"{year} 年度自我评价已存在", field="year")
    # Contracts that failed (or never had) the rights check are not in the ledger: say how many were left out.
    excluded = deals.excluded_contracts(session, center.id, year)
    figures = center_figures(session, center.id, year) | {"ledger_excluded_deals": len(excluded)}
    ev = SelfEvaluation(
        center_id=center.id,
        year=year,
        deadline=deadline_for(center, year),
        state=SelfEvaluationState.DRAFT,
        figures=figures,
        # Pre-filled from the deal ledger; the center may still correct what it reports.
        conversion_amount_yuan=figures.get("ledger_conversion_yuan", 0),
        conversion_projects=figures.get("ledger_conversion_deals", 0),
    )
    session.add(ev)
    session.flush()
    return ev


def submit_self_evaluation(
    session: Session, principal: Principal, eval_id: int, today: date | None = None
) -> SelfEvaluation:
    """Report it for audit; the figures are refreshed to what the platform holds now. A late submission
    is accepted (and shown as 逾期): the first submission's day is what counts against the deadline."""
    ev = editable_self_evaluation(session, principal, eval_id, "自我评价")
    flows.SELF_EVALUATION_STEPS.check(ev, "submit", owners=None)
    if not ev.summary.strip():
        raise InvalidInput("请先填写总体情况", field="summary")
    workflow.take(
        session,
        flows.SELF_EVALUATION_STEPS,
        ev,
        "submit",
        owners=None,
        reason="重新报送" if ev.state == SelfEvaluationState.RETURNED else "",
        changes={
            "figures": center_figures(session, ev.center_id, ev.year),
            "submitted_at": utcnow(),
            "submitted_on": ev.submitted_on or as_of(today),
        },
    )
    return ev


def performance_panels(session: Session) -> list[Panel]:
    """Closed performance panels, whose results may give an evaluation its score."""
    stmt = select(Panel).where(Panel.kind == "performance", Panel.state == PanelState.CLOSED)
    return list(session.scalars(stmt.order_by(Panel.year.desc(), Panel.id.desc())))


def _panel_score(session: Session, panel_id: int, center: Center, year: int) -> float:
    """The center's mean score from a closed performance panel of that year."""
    panel = session.get(Panel, panel_id)
    if panel is None or panel.kind != "performance":
        raise InvalidInput("请选择绩效评估专家组", field="panel_id")
    if panel.year != year:
        raise InvalidInput(f"该专家组评估的是 {panel.year} 年度", field="panel_id")
    if panel.state != PanelState.CLOSED:
        raise InvalidInput("该专家组尚未结束评分", field="panel_id")
    for result in center_results(session, panel_id):
        if result.subject_id == center.id and result.n:
            return round(result.mean, 2)
    raise InvalidInput("该专家组没有本中心的评分", field="panel_id")


def evaluate(
    session: Session, principal: Principal, center_id: int, data: EvaluationIn, today: date | None = None
) -> PerformanceEvaluation:
    """The region bureau's yearly outcome: showcase case, pass, or rectification by a deadline."""
    today = as_of(today)
    center = get_center(session, principal, center_id)
    require_region(principal, "绩效评估")
    require_active(center)
    if data.year not in evaluation_years(center) or data.year > today.year:
        raise InvalidInput("该年度不在本中心可评估的年度内", field="year")
    exists = select(PerformanceEvaluation.id).where(
        PerformanceEvaluation.center_id == center.id, PerformanceEvaluation.year == data.year
    )
    if session.scalar(exists):
        raise Conflict(f"{data.year} 年度绩效评估已有结果", field="year")
    requirements = data.requirements.strip()
    if data.outcome == "rectify":
        flows.CENTER_STEPS.check(center, "order_rectification", owners=None)
        if not requirements:
            raise InvalidInput("责令整改必须写明整改要求", field="requirements")
        if data.deadline is None or data.deadline <= today:
            raise InvalidInput("整改期限必须晚于今天", field="deadline")
    score = _panel_score(session, data.panel_id, center, data.year) if data.panel_id else None
    audit.set_reason(session, f"{data.year} 年度绩效评估：{OUTCOMES[data.outcome]}")
    ev = PerformanceEvaluation(
        center_id=center.id,
        year=data.year,
        panel_id=data.panel_id,
        score=score,
        outcome=data.outcome,
        note=data.note.strip(),
        decided_by_id=principal.user_id,
    )
    session.add(ev)
    session.flush()
    if data.outcome == "rectify":
        session.add(
            Rectification(
                center_id=center.id,
                evaluation_id=ev.id,
                requirements=requirements,
                deadline=data.deadline,
                notice_number=document_number(session, ISSUER, today.year),
                issued_on=today,
            )
        )
        workflow.take(session, flows.CENTER_STEPS, center, "order_rectification", owners=None, reason=requirements)
    said = f"{data.year} 年度绩效评估结果：{OUTCOMES[data.outcome]}"
    said += f"，请于 {data.deadline} 前完成整改" if data.outcome == "rectify" else ""
    messages.tell(session, text=said, link=f"/centers/{center.id}", centers=[center.id])
    return ev
