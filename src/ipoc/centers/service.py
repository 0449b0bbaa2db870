"""Recognised centers (Arts. 8–18): naming, the construction period, who sees what, the yearly
self-evaluation and its audit, the performance evaluation, rectification, revocation and the national
recommendation list. Every permission check of the domain lives here.

Centers are public records (name, industry, builder, league/city, status, period). Their internal records
(self-evaluations, evaluations, rectifications, revocation detail and evidence, history) are read by the
center's own staff, the bureau of its league/city, the region bureau, and, for the self-evaluations only,
the experts of a performance panel for the center; anyone else gets 404 for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.audit import service as audit
from ipoc.auth.roles import Principal, Role
from ipoc.catalogue.service import center_figures
from ipoc.centers import flows
from ipoc.centers.models import (
    ACTIVE_STATUSES,
    OUTCOMES,
    REVOCATION_REASONS,
    Center,
    PerformanceEvaluation,
    Rectification,
    Revocation,
    SelfEvaluation,
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
from ipoc.centers.schemas import EvaluationIn, SelfEvaluationIn
from ipoc.config import get_settings
from ipoc.db import utcnow
from ipoc.deals import service as deals
from ipoc.documents.numbering import document_number
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.files import service as files
from ipoc.files.models import Attachment
from ipoc.messages import service as messages
from ipoc.money import wan
from ipoc.notices.models import zh_date
from ipoc.reviews.assignments import assigned_center_ids
from ipoc.reviews.models import Panel
from ipoc.reviews.service import center_results
from ipoc.uploads import Upload

GUIDELINE = "《内蒙古自治区产业知识产权运营中心建设工作指引》"
INTERNAL_NOT_FOUND = "记录不存在或无权查看"
NATIONAL_SOURCE = "台账"  # the deal ledger: signed and recorded technology contracts
REPORTED_SOURCE = "自评报告（审核通过）"
SELF_REPORTED = "自报"
# What catalogue.service.center_figures counts; a key it adds later shows under its own name.
FIGURE_LABELS = {
    "service_items_published": "已公布的公共服务事项（项）",
    "plan_items_total": "年度工作计划事项（项）",
    "plan_items_done": "其中已完成（项）",
    "funding_projects": "专项资金支持项目（个）",
    "funding_yuan": "专项资金金额（万元）",
    "ledger_conversion_yuan": "技术合同台账：本年度转化运营金额（万元）",
    "ledger_conversion_deals": "技术合同台账：本年度签订合同（项）",
    "ledger_excluded_deals": "本年度未通过权利核验、未计入台账的合同（项）",
}


def _today(today: date | None) -> date:
    return today or clock.today()


def close_ended_periods(session: Session, today: date | None = None) -> list[Center]:
    """Active centers whose period has passed become cycle_ended (run daily and on the centers list)."""
    stmt = select(Center).where(Center.status.in_(ACTIVE_STATUSES), Center.period_end < _today(today))
    ended = list(session.scalars(stmt.order_by(Center.id)))
    for center in ended:
        assert center.period_end is not None  # the query compared it
        flows.take(session, center, flows.CENTER_STEPS, "end_cycle", f"建设期已于{zh_date(center.period_end)}届满")
    return ended


# --- who sees what ------------------------------------------------------------------------------------


def list_centers(
    session: Session,
    principal: Principal,
    *,
    status: str | None = None,
    region_id: int | None = None,
    industry_id: int | None = None,
) -> list[Center]:
    stmt = visible_centers(principal)
    if status:
        stmt = stmt.where(Center.status == status)
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


def _internal(session: Session, principal: Principal, center_id: int) -> Center:
    center = get_center(session, principal, center_id)
    if not sees_internal(principal, center):
        raise NotFound(INTERNAL_NOT_FOUND)
    return center


def _is_staff_of(principal: Principal, center: Center) -> bool:
    return principal.role is Role.CENTER_STAFF and principal.center_id == center.id


def _require_staff(principal: Principal, center: Center, what: str) -> None:
    if not _is_staff_of(principal, center):
        raise Forbidden(f"{what}由运营中心自行办理")


def _require_region(principal: Principal, what: str) -> None:
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
    today = _today(today)
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
    return ev.center.is_active and _is_staff_of(principal, ev.center) and ev.status in ("draft", "returned")


def start_self_evaluation(
    session: Session, principal: Principal, center_id: int, year: int, today: date | None = None
) -> SelfEvaluation:
    """The center opens its self-evaluation of ``year``, pre-filled with what it recorded here."""
    center = _internal(session, principal, center_id)
    require_active(center)
    _require_staff(principal, center, "自我评价")
    today = _today(today)
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
        status="draft",
        figures=figures,
        # Pre-filled from the deal ledger; the center may still correct what it reports.
        conversion_amount_yuan=figures.get("ledger_conversion_yuan", 0),
        conversion_projects=figures.get("ledger_conversion_deals", 0),
    )
    session.add(ev)
    session.flush()
    return ev


def _editable(session: Session, principal: Principal, eval_id: int, what: str) -> SelfEvaluation:
    ev = get_self_evaluation(session, principal, eval_id)
    require_active(ev.center)
    _require_staff(principal, ev.center, what)
    return ev


def save_self_evaluation(
    session: Session, principal: Principal, eval_id: int, data: SelfEvaluationIn
) -> SelfEvaluation:
    ev = _editable(session, principal, eval_id, "自我评价")
    if ev.status not in ("draft", "returned"):
        raise Conflict(f"自我评价为“{ev.status_label}”状态，不能修改")
    audit.set_reason(session, "修改自我评价")
    for key, value in data.model_dump().items():
        setattr(ev, key, value.strip() if isinstance(value, str) else value)
    session.flush()
    return ev


def submit_self_evaluation(
    session: Session, principal: Principal, eval_id: int, today: date | None = None
) -> SelfEvaluation:
    """Report it for audit; the figures are refreshed to what the platform holds now. A late submission
    is accepted (and shown as 逾期): the first submission's day is what counts against the deadline."""
    ev = _editable(session, principal, eval_id, "自我评价")
    flows.check(ev, flows.SELF_EVALUATION_STEPS, "submit")
    if not ev.summary.strip():
        raise InvalidInput("请先填写总体情况", field="summary")
    flows.take(
        session,
        ev,
        flows.SELF_EVALUATION_STEPS,
        "submit",
        "重新报送" if ev.status == "returned" else "",
        figures=center_figures(session, ev.center_id, ev.year),
        submitted_at=utcnow(),
        submitted_on=ev.submitted_on or _today(today),
    )
    return ev


def audit_self_evaluation(
    session: Session, principal: Principal, eval_id: int, *, approve: bool, note: str
) -> SelfEvaluation:
    """The auditor approves, or returns it with the reason; a bureau holding a copy may only read.

    The last year's report is due at the end of the period, so it is usually audited after the center
    has ended: an ended center's report may still be approved, but no longer returned (nobody could act
    on it). A revoked center's records stay read-only."""
    ev = get_self_evaluation(session, principal, eval_id)
    if ev.center.status != "cycle_ended" or not approve:
        require_active(ev.center)
    role = audit_role(principal, ev.center)
    if role != "audit":
        if role == "copy":
            raise Forbidden("直接申报单位的自我评价由自治区局审核，盟市局仅抄送备查")
        raise Forbidden("该自我评价由" + ("自治区局" if ev.center.direct else "中心所在盟市局") + "审核")
    action = "approve" if approve else "return"
    flows.check(ev, flows.SELF_EVALUATION_STEPS, action)
    note = note.strip()
    if not approve and not note:
        raise InvalidInput("退回修改必须填写意见", field="note")
    flows.take(
        session,
        ev,
        flows.SELF_EVALUATION_STEPS,
        action,
        note,
        audit_note=note,
        audited_by_id=principal.user_id,
        audited_at=utcnow(),
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


def performance_panels(session: Session) -> list[Panel]:
    """Closed performance panels, whose results may give an evaluation its score."""
    stmt = select(Panel).where(Panel.kind == "performance", Panel.status == "closed")
    return list(session.scalars(stmt.order_by(Panel.year.desc(), Panel.id.desc())))


def _panel_score(session: Session, panel_id: int, center: Center, year: int) -> float:
    """The center's mean score from a closed performance panel of that year."""
    panel = session.get(Panel, panel_id)
    if panel is None or panel.kind != "performance":
        raise InvalidInput("请选择绩效评估专家组", field="panel_id")
    if panel.year != year:
        raise InvalidInput(f"该专家组评估的是 {panel.year} 年度", field="panel_id")
    if panel.status != "closed":
        raise InvalidInput("该专家组尚未结束评分", field="panel_id")
    for result in center_results(session, panel_id):
        if result.subject_id == center.id and result.n:
            return round(result.mean, 2)
    raise InvalidInput("该专家组没有本中心的评分", field="panel_id")


def evaluate(
    session: Session, principal: Principal, center_id: int, data: EvaluationIn, today: date | None = None
) -> PerformanceEvaluation:
    """The region bureau's yearly outcome: showcase case, pass, or rectification by a deadline."""
    today = _today(today)
    center = get_center(session, principal, center_id)
    _require_region(principal, "绩效评估")
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
        flows.check(center, flows.CENTER_STEPS, "order_rectification")
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
        flows.take(session, center, flows.CENTER_STEPS, "order_rectification", requirements)
    said = f"{data.year} 年度绩效评估结果：{OUTCOMES[data.outcome]}"
    said += f"，请于 {data.deadline} 前完成整改" if data.outcome == "rectify" else ""
    messages.tell(session, text=said, link=f"/centers/{center.id}", centers=[center.id])
    return ev


def get_rectification(session: Session, principal: Principal, rect_id: int) -> Rectification:
    rect = session.get(Rectification, rect_id)
    if rect is None or not sees_internal(principal, rect.center):
        raise NotFound(INTERNAL_NOT_FOUND)
    return rect


def report_rectification(session: Session, principal: Principal, rect_id: int, report: str) -> Rectification:
    rect = get_rectification(session, principal, rect_id)
    require_active(rect.center)
    _require_staff(principal, rect.center, "整改报告")
    flows.check(rect, flows.RECTIFICATION_STEPS, "report")
    if not report.strip():
        raise InvalidInput("请填写整改报告", field="report")
    flows.take(session, rect, flows.RECTIFICATION_STEPS, "report", report=report.strip(), reported_at=utcnow())
    return rect


def decide_rectification(
    session: Session, principal: Principal, rect_id: int, *, passed: bool, note: str, today: date | None = None
) -> Rectification:
    """Passed: the center is back in its period. Failed: its status is revoked (Art. 10). An open
    rectification may be failed without a report once its deadline has passed."""
    rect = get_rectification(session, principal, rect_id)
    center = rect.center
    require_active(center)
    _require_region(principal, "整改验收")
    note = note.strip()
    if passed:
        flows.check(rect, flows.RECTIFICATION_STEPS, "pass")
        flows.check(center, flows.CENTER_STEPS, "pass_rectification")
        flows.take(session, rect, flows.RECTIFICATION_STEPS, "pass", note, decision_note=note, decided_at=utcnow())
        flows.take(session, center, flows.CENTER_STEPS, "pass_rectification", note)
        said = "整改验收结论：整改合格，恢复建设期" + (f"。意见：{note}" if note else "")
        messages.tell(session, text=said, link=f"/rectifications/{rect.id}", centers=[center.id])
        return rect
    flows.check(rect, flows.RECTIFICATION_STEPS, "fail")
    flows.check(center, flows.CENTER_STEPS, "revoke")
    if rect.status == "open" and _today(today) <= rect.deadline:
        raise Conflict(f"整改期限（{zh_date(rect.deadline)}）未到且尚未提交整改报告，暂不能判定")
    if not note:
        raise InvalidInput("判定整改不合格必须写明理由", field="note")
    flows.take(session, rect, flows.RECTIFICATION_STEPS, "fail", note, decision_note=note, decided_at=utcnow())
    _revoke(session, principal, center, "failed_rectification", f"整改不合格：{note}", _today(today))
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
    flows.take(session, center, flows.CENTER_STEPS, "revoke", f"取消资格：{REVOCATION_REASONS[reason]}")
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
    _require_region(principal, "取消资格")
    require_active(center)
    if reason not in REVOCATION_REASONS or reason == "failed_rectification":
        raise InvalidInput("请从列表中选择取消资格的原因（整改不合格在整改验收中判定）", field="reason")
    if not detail.strip():
        raise InvalidInput("请写明事实与依据", field="detail")
    uploads = [u for u in evidence if u.name]
    if not uploads:
        raise InvalidInput("取消资格必须附证据材料", field="evidence")
    revocation = _revoke(session, principal, center, reason, detail.strip(), _today(today))
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


# --- national recommendation (Art. 14) ----------------------------------------------------------------


@dataclass(frozen=True)
class NationalRow:
    """One center on the national list. The threshold is checked on the ledger of signed contracts
    (``conversion_*``, source 台账); the figures the center reported in its audited self-evaluations
    (``reported_*``) stay beside them for comparison. ``bars`` say why the center may not be recommended
    whatever its figures (revoked, under rectification, or its latest evaluation ordered rectification)."""

    center: Center
    evaluation: PerformanceEvaluation | None  # the latest
    conversion_amount_yuan: int  # ledger: of the year deals.service.threshold_year picks
    conversion_year: int
    conversion_projects: int  # ledger: every counted deal so far
    meets_threshold: bool
    reported_amount_yuan: int | None = None  # of the latest audited self-evaluation
    reported_year: int | None = None
    reported_projects: int = 0  # summed over audited self-evaluations
    bars: tuple[str, ...] = ()

    @property
    def eligible(self) -> bool:
        return self.meets_threshold and not self.bars

    @property
    def reasons(self) -> list[str]:
        """Why the row is 不符合: each bar, then the threshold shortfall; empty when 符合."""
        if self.meets_threshold:
            return list(self.bars)
        settings = get_settings()
        shortfall = (
            f"未达国家级门槛：年度转化运营金额{wan(self.conversion_amount_yuan)}万元（{self.conversion_year}年）"
            f"低于{wan(settings.national_min_conversion_yuan)}万元，且累计项目{self.conversion_projects}个"
            f"少于{settings.national_min_projects}个"
        )
        return [*self.bars, shortfall]

    @property
    def source(self) -> str:
        return NATIONAL_SOURCE

    @property
    def reported_source(self) -> str:
        return REPORTED_SOURCE if self.reported_year is not None else "—"


def _reported(session: Session, center_id: int) -> tuple[SelfEvaluation | None, int]:
    """The latest audited self-evaluation and the projects summed over all audited ones."""
    audited = (SelfEvaluation.center_id == center_id, SelfEvaluation.status == "audited")
    last = session.scalar(select(SelfEvaluation).where(*audited).order_by(SelfEvaluation.year.desc()).limit(1))
    projects = session.scalar(select(func.coalesce(func.sum(SelfEvaluation.conversion_projects), 0)).where(*audited))
    return last, int(projects or 0)


def _latest_evaluation(session: Session, center_id: int) -> PerformanceEvaluation | None:
    stmt = select(PerformanceEvaluation).where(PerformanceEvaluation.center_id == center_id)
    return session.scalar(stmt.order_by(PerformanceEvaluation.year.desc()).limit(1))


def national_bars(session: Session, center: Center, latest: PerformanceEvaluation | None) -> tuple[str, ...]:
    """What keeps a center off the recommendation whatever its figures (Arts. 10, 14): a revoked status,
    a rectification in progress, or a latest performance evaluation that ordered rectification (even one
    since passed: the bureau recommends on the latest evaluation, and that one found the center wanting)."""
    bars = []
    if center.status == "revoked":
        revocation = revocation_of(session, center)
        when = f"（{revocation.reason_label}，{zh_date(revocation.decided_on)}）" if revocation else ""
        bars.append(f"已取消资格{when}")
    if center.status == "rectifying":
        stmt = select(Rectification).where(
            Rectification.center_id == center.id, Rectification.status.in_(("open", "reported"))
        )
        rect = session.scalar(stmt.order_by(Rectification.id.desc()).limit(1))
        deadline = f"（整改期限{zh_date(rect.deadline)}，{rect.status_label}）" if rect else ""
        bars.append(f"责令限期整改中{deadline}")
    if latest is not None and latest.outcome == "rectify":
        bars.append(f"最近一次绩效评估（{latest.year}年度）结论为责令限期整改")
    return tuple(bars)


def national_ranking(session: Session, principal: Principal, today: date | None = None) -> list[NationalRow]:
    """Active and revoked centers: those without a bar first (showcase outcomes first, then by the latest
    performance score), then the barred ones, which are 不符合 with their reason. Each row carries the
    national threshold check (domain-rules §1: annual conversion amount ≥ the configured minimum, or
    cumulative projects ≥ the configured number), computed from the deal ledger: the amount of the better
    of the last full calendar year and the current year so far (``deals.service.threshold_year`` says
    why), and every counted deal for the projects."""
    _require_region(principal, "国家级推荐名单")
    settings = get_settings()
    rows = []
    listed = Center.status.in_(ACTIVE_STATUSES | {"revoked"})
    for center in session.scalars(select(Center).where(listed)):
        latest = _latest_evaluation(session, center.id)
        year = deals.threshold_year(session, center.id, today)
        projects = deals.cumulative_projects(session, center.id)
        reported, reported_projects = _reported(session, center.id)
        rows.append(
            NationalRow(
                center=center,
                evaluation=latest,
                conversion_amount_yuan=year.amount_yuan,
                conversion_year=year.year,
                conversion_projects=projects,
                meets_threshold=year.amount_yuan >= settings.national_min_conversion_yuan
                or projects >= settings.national_min_projects,
                reported_amount_yuan=reported.conversion_amount_yuan if reported else None,
                reported_year=reported.year if reported else None,
                reported_projects=reported_projects,
                bars=national_bars(session, center, latest),
            )
        )

    def key(row: NationalRow) -> tuple[bool, int, float, str]:
        ev = row.evaluation
        score = ev.score if ev is not None and ev.score is not None else float("-inf")
        return (bool(row.bars), 0 if ev is not None and ev.outcome == "showcase" else 1, -score, row.center.name)

    return sorted(rows, key=key)


def figure_rows(figures: dict[str, int]) -> list[tuple[str, str]]:
    """(label, value) of the pre-filled figures, money in 万元."""
    return [
        (FIGURE_LABELS.get(key, key), wan(value) if key.endswith("_yuan") else str(value))
        for key, value in figures.items()
    ]
