"""What is due, for whom, computed live from the records; and the daily job that turns it into reminder messages.

Nothing here is stored except the notifications themselves: a due item disappears as soon as the record
it is about moves on (a self-evaluation submitted, a rectification reported, a calendar loaded).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.applications import service as applications
from ipoc.applications.models import Application
from ipoc.applications.models import ApplicationState as S
from ipoc.auth.models import User
from ipoc.auth.roles import Principal, Role
from ipoc.auth.service import principal_for
from ipoc.catalogue.models import PlanItem, PlanItemState, WorkPlan
from ipoc.catalogue.service import plan_years
from ipoc.centers import service as centers
from ipoc.centers.models import (
    ACTIVE_STATUSES,
    Center,
    CenterState,
    Rectification,
    RectificationState,
    SelfEvaluation,
    SelfEvaluationState,
)
from ipoc.config import get_settings
from ipoc.messages import service as messages
from ipoc.messages.models import Notification
from ipoc.notices.models import PublicNotice
from ipoc.reviews import service as reviews
from ipoc.reviews.models import PanelState
from ipoc.workdays import service as workdays

KIND_LABELS = {
    "self_evaluation": "自我评价",
    "audit_self_evaluation": "自评审核",
    "rectification": "整改",
    "rectification_decision": "整改结论",
    "work_plan": "工作计划",
    "plan_item": "计划事项",
    "application": "申报办理",
    "recognise": "正式认定",
    "calendar": "工作日历",
    "score": "专家评分",
}


@dataclass(frozen=True)
class DueItem:
    kind: str
    title: str
    due_on: date | None  # None: waiting on the caller, with no deadline of its own
    link: str
    days_left: int | None
    overdue: bool
    key: str  # the record it is about; with the date it makes a notification unique

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


def _due(kind: str, ref: object, title: str, due_on: date | None, link: str, today: date) -> DueItem:
    days = (due_on - today).days if due_on else None
    return DueItem(kind, title, due_on, link, days, days is not None and days < 0, f"{kind}:{ref}")


def reminder_days() -> set[int]:
    """Days before a deadline on which a reminder goes out (setting ``reminder_days``, e.g. "30,7,1")."""
    return {int(d) for d in get_settings().reminder_days.split(",") if d.strip()}


# --- per role -----------------------------------------------------------------------------------------


def _center_staff(session: Session, center: Center, today: date) -> Iterable[DueItem]:
    if not center.is_active:
        return
    for row in centers.year_rows(session, center, today):
        se = row.evaluation
        if row.year > today.year or (
            se is not None and se.state not in (SelfEvaluationState.DRAFT, SelfEvaluationState.RETURNED)
        ):
            continue
        title = f"报送 {row.year} 年度自我评价" + (
            "（已退回，请修改后重新报送）" if se and se.state == SelfEvaluationState.RETURNED else ""
        )
        page = f"/self-evaluations/{se.id}" if se else f"/centers/{center.id}"
        yield _due("self_evaluation", f"{center.id}:{row.year}", title, row.deadline, page, today)
    open_rectifications = select(Rectification).where(
        Rectification.center_id == center.id, Rectification.state == RectificationState.OPEN
    )
    for r in session.scalars(open_rectifications):
        page = f"/rectifications/{r.id}"
        yield _due("rectification", r.id, "按要求完成整改并提交整改报告", r.deadline, page, today)
    plans = {p.year for p in session.scalars(select(WorkPlan).where(WorkPlan.center_id == center.id))}
    if today.year in plan_years(center) and today.year not in plans:
        title = f"制定 {today.year} 年度公共服务工作计划"
        plan_link = f"/centers/{center.id}/plans/{today.year}"
        yield _due("work_plan", f"{center.id}:{today.year}", title, None, plan_link, today)
    horizon = today + timedelta(days=max(reminder_days(), default=30))
    soon = (
        select(PlanItem, WorkPlan.year)
        .join(WorkPlan, PlanItem.plan_id == WorkPlan.id)
        .where(WorkPlan.center_id == center.id, PlanItem.state == PlanItemState.PLANNED, PlanItem.due_on <= horizon)
    )
    for item, year in session.execute(soon.order_by(PlanItem.due_on)):
        yield _due(
            "plan_item", item.id, f"计划事项：{item.title}", item.due_on, f"/centers/{center.id}/plans/{year}", today
        )


def _to_audit(session: Session, *, direct: bool, region_ids: Iterable[int] | None, today: date) -> Iterable[DueItem]:
    """Self-evaluations submitted and not yet audited: ordinary centers' by their bureau, direct ones'
    by the region bureau (Art. 10); an ended center's last report still waits for its audit, a revoked
    one's never will."""
    stmt = (
        select(SelfEvaluation)
        .join(Center, SelfEvaluation.center_id == Center.id)
        .where(
            SelfEvaluation.state == SelfEvaluationState.SUBMITTED,
            Center.direct.is_(direct),
            Center.state != CenterState.REVOKED,
        )
        .order_by(SelfEvaluation.deadline)
    )
    if region_ids is not None:
        stmt = stmt.where(Center.region_id.in_(list(region_ids) or [-1]))
    for se in session.scalars(stmt):
        title = f"审核{se.center.name} {se.year} 年度自我评价"
        yield _due("audit_self_evaluation", se.id, title, se.deadline, f"/self-evaluations/{se.id}", today)


def _waiting_dossiers(session: Session, principal: Principal, today: date) -> Iterable[DueItem]:
    for app in applications.waiting_on(session, principal):
        title = f"办理申报：{app.org.name}（{app.state_label}）"
        yield _due("application", app.id, title, None, f"/applications/{app.id}", today)


def _region_admin(session: Session, today: date) -> Iterable[DueItem]:
    ready = (
        select(PublicNotice)
        .where(
            PublicNotice.ends_on < today,
            exists().where(Application.notice_id == PublicNotice.id, Application.state == S.PUBLIC_NOTICE),
        )
        .order_by(PublicNotice.ends_on)
    )
    for notice in session.scalars(ready):
        title = f"公示期已满，可办理正式认定：{notice.title}"
        yield _due("recognise", notice.id, title, notice.ends_on, f"/notices/{notice.id}", today)
    late = (
        select(Rectification)
        .join(Center, Rectification.center_id == Center.id)
        .where(
            Rectification.state.in_((RectificationState.OPEN, RectificationState.REPORTED)),
            Rectification.deadline < today,
            Center.state.in_(ACTIVE_STATUSES),  # a revoked or ended center's are read-only (409)
        )
        .order_by(Rectification.deadline)
    )
    for r in session.scalars(late):
        title = f"{r.center.name} 整改期限已过，请作出整改结论"
        yield _due("rectification_decision", r.id, title, r.deadline, f"/rectifications/{r.id}", today)
    for year in workdays.years_missing(session, today):
        title = f"载入 {year} 年工作日历（国务院办公厅节假日安排）"
        yield _due("calendar", year, title, date(year - 1, 12, 31), "/admin/calendar", today)


def _expert(session: Session, principal: Principal, today: date) -> Iterable[DueItem]:
    """Subjects of the expert's open panels they have not submitted a score for."""
    for a in reviews.assignments(session, principal):
        if a.panel.state != PanelState.OPEN:
            continue
        for subject, score in a.subjects:
            if score is None or score.submitted_at is None:
                link = f"/reviews/panels/{a.panel.id}/score/{subject.id}"
                title = f"{a.panel.name}：{reviews.subject_label(subject)}"
                yield _due("score", f"{a.panel.id}:{subject.id}", title, None, link, today)


def due_items(session: Session, principal: Principal, today: date | None = None) -> list[DueItem]:
    """What the caller has to do, soonest deadline first; items without a deadline come last."""
    today = today or clock.today()
    items: Iterable[DueItem] = ()
    if principal.role is Role.CENTER_STAFF and principal.center_id:
        center = session.get(Center, principal.center_id)
        items = _center_staff(session, center, today) if center else ()
    elif principal.role is Role.BUREAU_OFFICER:
        items = [
            *_to_audit(session, direct=False, region_ids=principal.region_ids, today=today),
            *_waiting_dossiers(session, principal, today),
        ]
    elif principal.role is Role.REGION_ADMIN:
        items = [*_to_audit(session, direct=True, region_ids=None, today=today), *_region_admin(session, today)]
    elif principal.role is Role.EXPERT and principal.user_id:
        items = _expert(session, principal, today)
    return sorted(items, key=lambda i: (i.due_on is None, i.due_on or today, i.title))


# --- notifications ------------------------------------------------------------------------------------


def _notice_text(item: DueItem) -> str:
    if item.overdue:
        return f"【已逾期 {-(item.days_left or 0)} 天】{item.title}（截止 {item.due_on}）"[:300]
    return f"【还有 {item.days_left} 天】{item.title}（截止 {item.due_on}）"[:300]


def send_reminders(session: Session, today: date | None = None) -> int:
    """Run daily: close ended periods, then tell every active user of each deadline that is N days away
    (N in ``reminder_days``) or overdue, in their message centre. A reminder's key makes a second run the same
    day add nothing, and an overdue item is told once, not every day."""
    today = today or clock.today()
    centers.close_ended_periods(session, today)
    days = reminder_days()
    created = 0
    for user in session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)):
        sent = set(session.scalars(select(Notification.key).where(Notification.user_id == user.id)))
        for item in due_items(session, principal_for(session, user), today):
            if item.due_on is None or not (item.overdue or item.days_left in days):
                continue
            key = f"{item.key}:{item.due_on.isoformat()}:{'overdue' if item.overdue else item.days_left}"
            if key in sent:
                continue
            sent.add(key)
            told = messages.tell(
                session, text=_notice_text(item), link=item.link, users=[user.id], key=key, due_on=item.due_on
            )
            created += len(told)
    return created
