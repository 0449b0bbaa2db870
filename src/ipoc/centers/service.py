"""Recognised centers (Arts. 8–18): naming, the construction period, who sees what, the yearly
self-evaluation and its audit, rectification and revocation. Every permission check of the domain lives here;
the steps that read other domains (a self-evaluation's figures, a performance evaluation's panel score, the
national list, the decisions) are in ``ipoc.lifecycle``.

Centers are public records (name, industry, builder, league/city, status, period). Their internal records
(self-evaluations, evaluations, rectifications, revocation detail and evidence, history) are read by the
center's own staff, the bureau of its league/city, the region bureau, and, for the self-evaluations only,
the experts of a performance panel for the center; anyone else gets 404 for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc import clock, workflow
from ipoc.audit import service as audit
from ipoc.auth.roles import Principal, Role
from ipoc.centers import flows
from ipoc.centers.models import (
    ACTIVE_STATUSES,
    REVOCATION_REASONS,
    Center,
    CenterState,
    PerformanceEvaluation,
    Rectification,
    RectificationState,
    Revocation,
    SelfEvaluation,
    SelfEvaluationState,
)
from ipoc.centers.records import ISSUER as ISSUER
from ipoc.centers.records import NOT_FOUND as NOT_FOUND
from ipoc.centers.records import READ_ONLY as READ_ONLY
from ipoc.centers.records import center_name as center_name
from ipoc.centers.records import check_center_name as check_center_name
from ipoc.centers.records import create_from_application as create_from_application
from ipoc.centers.records import get_center as get_center
from ipoc.centers.records import month_day
from ipoc.centers.records import period_fields as period_fields
from ipoc.centers.records import register_existing as register_existing
from ipoc.centers.records import require_active as require_active
from ipoc.centers.records import sees_internal as sees_internal
from ipoc.centers.records import visible_centers as visible_centers
from ipoc.centers.schemas import SelfEvaluationIn
from ipoc.config import get_settings
from ipoc.db import utcnow
from ipoc.documents.numbering import document_number
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.files import service as files
from ipoc.files.models import Attachment
from ipoc.messages import service as messages
from ipoc.notices.models import zh_date
from ipoc.reviews.assignments import assigned_center_ids
from ipoc.uploads import Upload

INTERNAL_NOT_FOUND = "记录不存在或无权查看"


def as_of(today: date | None) -> date:
    """The day a step acts on: the one given (tests, the daily run's ``--today``), else today in Beijing."""
    return today or clock.today()


def close_ended_periods(session: Session, today: date | None = None) -> list[Center]:
    """Active centers whose period has passed become cycle_ended (run daily and on the centers list)."""
    stmt = select(Center).where(Center.state.in_(ACTIVE_STATUSES), Center.period_end < as_of(today))
    ended = list(session.scalars(stmt.order_by(Center.id)))
    for center in ended:
        assert center.period_end is not None  # the query compared it
        workflow.take(
            session,
            flows.CENTER_STEPS,
            center,
            "end_cycle",
            owners=None,
            reason=f"建设期已于{zh_date(center.period_end)}届满",
        )
    return ended


# --- who sees what ------------------------------------------------------------------------------------


def list_centers(
    session: Session,
    principal: Principal,
    *,
    state: str | None = None,
    region_id: int | None = None,
    industry_id: int | None = None,
) -> list[Center]:
    stmt = visible_centers(principal)
    if state:
        stmt = stmt.where(Center.state == state)
    if region_id:
        stmt = stmt.where(Center.region_id == region_id)
    if industry_id:
        stmt = stmt.where(Center.industry_id == industry_id)
    return list(session.scalars(stmt.order_by(Center.name, Center.id)))


def sees_self_evaluations(session: Session, principal: Principal, center: Center) -> bool:
    """Those who see the internal records, and the experts evaluating the center's performance."""
    if sees_internal(principal, center):
        return True
    if principal.role is Role.EXPERT and principal.user_id:
        return center.id in set(session.scalars(assigned_center_ids(principal)))
    return False


def internal_center(session: Session, principal: Principal, center_id: int) -> Center:
    center = get_center(session, principal, center_id)
    if not sees_internal(principal, center):
        raise NotFound(INTERNAL_NOT_FOUND)
    return center


def _is_staff_of(principal: Principal, center: Center) -> bool:
    return principal.role is Role.CENTER_STAFF and principal.center_id == center.id


def require_staff(principal: Principal, center: Center, what: str) -> None:
    if not _is_staff_of(principal, center):
        raise Forbidden(f"{what}由运营中心自行办理")


def require_region(principal: Principal, what: str) -> None:
    if principal.role is not Role.REGION_ADMIN:
        raise Forbidden(f"{what}由自治区局办理")


# --- the yearly self-evaluation (Art. 10) -------------------------------------------------------------


def evaluation_years(center: Center) -> list[int]:
    """One self-evaluation per year of the period, ``construction_years`` of them at most, from the
    first evaluation year (the year after recognition for a center recognised after the cut-off)."""
    if center.first_eval_year is None or center.period_end is None:
        return []
    last = min(center.period_end.year, center.first_eval_year + get_settings().construction_years - 1)
    return list(range(center.first_eval_year, last + 1))


def deadline_for(center: Center, year: int) -> date:
    """The year-end deadline; never after the period's end, when the center's records become read-only."""
    deadline = month_day(get_settings().self_evaluation_deadline, year)
    return min(deadline, center.period_end) if center.period_end else deadline


@dataclass(frozen=True)
class YearRow:
    year: int
    deadline: date
    evaluation: SelfEvaluation | None
    overdue: bool  # not submitted by the deadline (submitted late, or still not submitted)


def self_evaluations(session: Session, center: Center) -> list[SelfEvaluation]:
    stmt = select(SelfEvaluation).where(SelfEvaluation.center_id == center.id).order_by(SelfEvaluation.year)
    return list(session.scalars(stmt))


def year_rows(session: Session, center: Center, today: date | None = None) -> list[YearRow]:
    """Each evaluation year with its deadline and where its self-evaluation stands."""
    today = as_of(today)
    by_year = {e.year: e for e in self_evaluations(session, center)}
    rows = []
    for year in evaluation_years(center):
        ev = by_year.get(year)
        deadline = ev.deadline if ev else deadline_for(center, year)
        overdue = ev.late if ev and ev.submitted_on else today > deadline
        rows.append(YearRow(year, deadline, ev, overdue))
    return rows


def audit_role(principal: Principal, center: Center) -> str | None:
    """ "audit" for the body that audits the center's self-evaluations (its league/city bureau; the region
    bureau for a direct applicant), "copy" for a bureau that only receives a copy (Art. 10), else None."""
    in_area = principal.role is Role.BUREAU_OFFICER and center.region_id in principal.region_ids
    if center.direct:
        if principal.role is Role.REGION_ADMIN:
            return "audit"
        return "copy" if in_area else None
    return "audit" if in_area else None


def get_self_evaluation(session: Session, principal: Principal, eval_id: int) -> SelfEvaluation:
    ev = session.get(SelfEvaluation, eval_id)
    if ev is None or not sees_self_evaluations(session, principal, ev.center):
        raise NotFound(INTERNAL_NOT_FOUND)
    return ev


def view_self_evaluation(session: Session, principal: Principal, eval_id: int) -> SelfEvaluation:
    """For reading it: a look by anyone but the center's own staff is recorded."""
    ev = get_self_evaluation(session, principal, eval_id)
    if not _is_staff_of(principal, ev.center):
        audit.log(session, "view", "self_evaluations", ev.id)
    return ev


def may_edit(principal: Principal, ev: SelfEvaluation) -> bool:
    return (
        ev.center.is_active
        and _is_staff_of(principal, ev.center)
        and ev.state in (SelfEvaluationState.DRAFT, SelfEvaluationState.RETURNED)
    )


def editable_self_evaluation(session: Session, principal: Principal, eval_id: int, what: str) -> SelfEvaluation:
    ev = get_self_evaluation(session, principal, eval_id)
    require_active(ev.center)
    require_staff(principal, ev.center, what)
    return ev


def save_self_evaluation(
    session: Session, principal: Principal, eval_id: int, data: SelfEvaluationIn
) -> SelfEvaluation:
    ev = editable_self_evaluation(session, principal, eval_id, "自我评价")
    if ev.state not in (SelfEvaluationState.DRAFT, SelfEvaluationState.RETURNED):
        raise Conflict(f"自我评价为“{ev.state_label}”状态，不能修改")
    audit.set_reason(session, "修改自我评价")
    for key, value in data.model_dump().items():
        setattr(ev, key, value.strip() if isinstance(value, str) else value)
    session.flush()
    return ev


def audit_self_evaluation(
    session: Session, principal: Principal, eval_id: int, *, approve: bool, note: str
) -> SelfEvaluation:
    """The auditor approves, or returns it with the reason; a bureau holding a copy may only read.

    The last year's report is due at the end of the period, so it is usually audited after the center
    has ended: an ended center's report may still be approved, but no longer returned (nobody could act
    on it). A revoked center's records stay read-only."""
    ev = get_self_evaluation(session, principal, eval_id)
    if ev.center.state != CenterState.CYCLE_ENDED or not approve:
        require_active(ev.center)
    role = audit_role(principal, ev.center)
    if role != "audit":
        if role == "copy":
            raise Forbidden("直接申报单位的自我评价由自治区局审核，盟市局仅抄送备查")
        raise Forbidden("该自我评价由" + ("自治区局" if ev.center.direct else "中心所在盟市局") + "审核")
    action = "approve" if approve else "return"
    steps = flows.SELF_EVALUATION_STEPS
    steps.check_state(ev, steps.transition(action))  # not check(): an empty note is refused below, as a note
    note = note.strip()
    if not approve and not note:
        raise InvalidInput("退回修改必须填写意见", field="note")
    workflow.take(
        session,
        flows.SELF_EVALUATION_STEPS,
        ev,
        action,
        owners=None,
        reason=note,
        changes={"audit_note": note, "audited_by_id": principal.user_id, "audited_at": utcnow()},
    )
    said = f"{ev.year} 年度自我评价：{'审核通过' if approve else '退回修改'}" + (f"。意见：{note}" if note else "")
    messages.tell(session, text=said, link=f"/self-evaluations/{ev.id}", centers=[ev.center_id])
    return ev


# --- performance evaluation and rectification (Art. 10) -----------------------------------------------


def evaluations(session: Session, center: Center) -> list[PerformanceEvaluation]:
    stmt = select(PerformanceEvaluation).where(PerformanceEvaluation.center_id == center.id)
    return list(session.scalars(stmt.order_by(PerformanceEvaluation.year)))


def rectifications(session: Session, center: Center) -> list[Rectification]:
    stmt = select(Rectification).where(Rectification.center_id == center.id)
    return list(session.scalars(stmt.order_by(Rectification.id)))


def get_rectification(session: Session, principal: Principal, rect_id: int) -> Rectification:
    rect = session.get(Rectification, rect_id)
    if rect is None or not sees_internal(principal, rect.center):
        raise NotFound(INTERNAL_NOT_FOUND)
    return rect


def report_rectification(session: Session, principal: Principal, rect_id: int, report: str) -> Rectification:
    rect = get_rectification(session, principal, rect_id)
    require_active(rect.center)
    require_staff(principal, rect.center, "整改报告")
    flows.RECTIFICATION_STEPS.check(rect, "report", owners=None)
    if not report.strip():
        raise InvalidInput("请填写整改报告", field="report")
    workflow.take(
        session,
        flows.RECTIFICATION_STEPS,
        rect,
        "report",
        owners=None,
        changes={"report": report.strip(), "reported_at": utcnow()},
    )
    return rect


def decide_rectification(
    session: Session, principal: Principal, rect_id: int, *, passed: bool, note: str, today: date | None = None
) -> Rectification:
    """Passed: the center is back in its period. Failed: its status is revoked (Art. 10). An open
    rectification may be failed without a report once its deadline has passed."""
    rect = get_rectification(session, principal, rect_id)
    center = rect.center
    require_active(center)
    require_region(principal, "整改验收")
    note = note.strip()
    if passed:
        flows.RECTIFICATION_STEPS.check(rect, "pass", owners=None)
        flows.CENTER_STEPS.check(center, "pass_rectification", owners=None)
        workflow.take(
            session,
            flows.RECTIFICATION_STEPS,
            rect,
            "pass",
            owners=None,
            reason=note,
            changes={"decision_note": note, "decided_at": utcnow()},
        )
        workflow.take(session, flows.CENTER_STEPS, center, "pass_rectification", owners=None, reason=note)
        said = "整改验收结论：整改合格，恢复建设期" + (f"。意见：{note}" if note else "")
        messages.tell(session, text=said, link=f"/rectifications/{rect.id}", centers=[center.id])
        return rect
    flows.RECTIFICATION_STEPS.check(rect, "fail", owners=None)
    flows.CENTER_STEPS.check(center, "revoke", owners=None)
    if rect.state == RectificationState.OPEN and as_of(today) <= rect.deadline:
        raise Conflict(f"整改期限（{zh_date(rect.deadline)}）未到且尚未提交整改报告，暂不能判定")
    if not note:
        raise InvalidInput("判定整改不合格必须写明理由", field="note")
    workflow.take(
        session,
        flows.RECTIFICATION_STEPS,
        rect,
        "fail",
        owners=None,
        reason=note,
        changes={"decision_note": note, "decided_at": utcnow()},
    )
    _revoke(session, principal, center, "failed_rectification", f"整改不合格：{note}", as_of(today))
    return rect


# --- revocation (Arts. 11, 18) ------------------------------------------------------------------------


def revocation_of(session: Session, center: Center) -> Revocation | None:
    return session.scalar(select(Revocation).where(Revocation.center_id == center.id))


def evidence_of(session: Session, revocation: Revocation) -> list[Attachment]:
    return files.list_for(session, "revocation", revocation.id)


def _revoke(
    session: Session, principal: Principal, center: Center, reason: str, detail: str, today: date
) -> Revocation:
    audit.set_reason(session, f"取消资格：{REVOCATION_REASONS[reason]}")
    revocation = Revocation(
        center_id=center.id,
        reason=reason,
        detail=detail,
        decided_by_id=principal.user_id,
        decided_on=today,
        decision_number=document_number(session, ISSUER, today.year),
    )
    session.add(revocation)
    session.flush()
    workflow.take(
        session, flows.CENTER_STEPS, center, "revoke", owners=None, reason=f"取消资格：{REVOCATION_REASONS[reason]}"
    )
    said, link = f"{center.name}被取消运营中心资格：{REVOCATION_REASONS[reason]}", f"/centers/{center.id}"
    messages.tell(session, text=said, link=link, centers=[center.id], organisations=[center.builder_org_id])
    return revocation


def revoke(
    session: Session,
    principal: Principal,
    center_id: int,
    *,
    reason: str,
    detail: str,
    evidence: Sequence[Upload],
    today: date | None = None,
) -> Revocation:
    """The region bureau takes the status away for one of the guideline's reasons, on evidence."""
    center = get_center(session, principal, center_id)
    require_region(principal, "取消资格")
    require_active(center)
    if reason not in REVOCATION_REASONS or reason == "failed_rectification":
        raise InvalidInput("请从列表中选择取消资格的原因（整改不合格在整改验收中判定）", field="reason")
    if not detail.strip():
        raise InvalidInput("请写明事实与依据", field="detail")
    uploads = [u for u in evidence if u.name]
    if not uploads:
        raise InvalidInput("取消资格必须附证据材料", field="evidence")
    revocation = _revoke(session, principal, center, reason, detail.strip(), as_of(today))
    for upload in uploads:
        files.store(
            session,
            upload,
            owner_type="revocation",
            owner_id=revocation.id,
            purpose="evidence",
            uploader_id=principal.user_id,
        )
    return revocation


def _revocation_owner(session: Session, principal: Principal, revocation_id: int) -> None:
    """Evidence files follow the internal-records rule of the revoked center."""
    revocation = session.get(Revocation, revocation_id)
    center = session.get(Center, revocation.center_id) if revocation else None
    if center is None or not sees_internal(principal, center):
        raise NotFound(INTERNAL_NOT_FOUND)


files.register_owner("revocation", _revocation_owner)
