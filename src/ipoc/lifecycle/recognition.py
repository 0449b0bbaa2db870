"""The recognition procedure where it moves a dossier from one domain to the next (Art. 7): a closed review
puts it on the proposed list (or rejects it), a published notice puts it in public notice, and recognition
creates the center and marks the dossier recognised."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.applications.models import Application, Call
from ipoc.applications.service import get_application, transition
from ipoc.audit import service as audit
from ipoc.auth.roles import Principal
from ipoc.centers.models import Center
from ipoc.centers.records import create_from_application
from ipoc.db import utcnow
from ipoc.errors import Conflict, DomainError, NotFound
from ipoc.notices import service as notices
from ipoc.notices.models import PublicNotice, zh_date
from ipoc.notices.service import (
    IN_NOTICE,
    compose_body,
    entries,
    get_notice,
    objection_account,
    objections_against,
    recognition_problem,
)
from ipoc.reviews import service as reviews
from ipoc.reviews.models import Panel, Score


def _reviewed_dossier(session: Session, principal: Principal, application_id: int) -> Application:
    """The dossier, if a closed recognition panel of its call holds a submitted score for it."""
    reviews.require_admin(principal)
    app = get_application(session, principal, application_id)
    scored = (
        select(Score.id)
        .join(Panel, Panel.id == Score.panel_id)
        .where(
            Score.application_id == app.id,
            Score.submitted_at.is_not(None),
            Panel.kind == "recognition",
            Panel.status == "closed",
            Panel.call_id == app.call_id,
        )
        .limit(1)
    )
    if session.scalar(scored) is None:
        raise Conflict("该申报尚无已结束的专家评审结果，不能据此决定")
    return app


def shortlist(session: Session, principal: Principal, application_id: int, reason: str = "") -> Application:
    """Put a reviewed dossier on the proposed list (拟认定名单)."""
    app = _reviewed_dossier(session, principal, application_id)
    return transition(session, principal, app, "shortlist", reason)


def reject_after_review(session: Session, principal: Principal, application_id: int, reason: str) -> Application:
    """Reject a reviewed dossier (评审未通过); the reason is required and shown to the applicant."""
    app = _reviewed_dossier(session, principal, application_id)
    return transition(session, principal, app, "reject_review", reason)


def publish(session: Session, principal: Principal, notice_id: int, today: date | None = None) -> PublicNotice:
    """Publish a draft: its dates are recomputed on today's calendar data, and every dossier on it goes
    to public notice. A start date already past would shorten the window, so it is refused."""
    notice = notices.draft_notice(session, principal, notice_id)
    today = today or clock.today()
    if notice.starts_on < today:
        raise Conflict(f"公示开始日期{zh_date(notice.starts_on)}已过，请修改开始日期后再发布")
    apps = entries(session, notice)
    if not apps:
        raise Conflict("公示名单为空，不能发布")
    call = session.get_one(Call, notice.call_id)
    notices.schedule_window(session, notice, notice.starts_on)
    notice.body = compose_body(call.year, apps, notice)
    audit.set_reason(session, "发布公示")
    notice.published_at = utcnow()
    notice.published_by_id = principal.user_id
    session.flush()
    for app in apps:
        transition(session, principal, app, "publish", reason=f"列入公示：{notice.title}")
    return notice


def recognise(
    session: Session,
    principal: Principal,
    application_id: int,
    today: date | None = None,
    *,
    notice_id: int | None = None,
) -> Center:
    """Recognise a dossier once its notice has run its course (Art. 7(3)): the center is created with its
    generated name and construction period, then the dossier is marked recognised. ``notice_id``, when
    given, must be the dossier's notice (the pages and the API address a dossier through its notice)."""
    notices.require_admin(principal, "正式认定")
    today = today or clock.today()
    app = get_application(session, principal, application_id)
    if notice_id is not None and app.notice_id != notice_id:
        raise NotFound("该申报不在本公示名单中")
    problem = recognition_problem(session, app, today)
    if problem:
        raise Conflict(problem)
    reason = f"{objection_account(objections_against(session, app.id))}，正式认定"
    center = create_from_application(session, app, recognised_on=today)
    transition(session, principal, app, "recognize", reason=reason)
    return center


@dataclass
class RecognitionReport:
    recognised: list[tuple[Application, Center]] = field(default_factory=list)
    skipped: list[tuple[Application, str]] = field(default_factory=list)


def recognise_all(
    session: Session, principal: Principal, notice_id: int, today: date | None = None
) -> RecognitionReport:
    """Recognise every eligible dossier on a notice, each on its own check; the others are reported."""
    notices.require_admin(principal, "正式认定")
    notice = get_notice(session, principal, notice_id)
    report = RecognitionReport()
    for app in entries(session, notice):
        if app.state not in IN_NOTICE:
            continue
        try:
            report.recognised.append((app, recognise(session, principal, app.id, today, notice_id=notice.id)))
        except DomainError as exc:
            report.skipped.append((app, exc.message))
    return report
