"""Public notice of the proposed list (Art. 7(3)): drafting, publishing, objections and recognition.

The window is counted on the Chinese working-day calendar and stored as explicit dates. A dossier sits on
one notice at a time: ``Application.notice_id`` is set when it is put on a draft, so a second draft
cannot take it. Publishing moves every listed dossier to ``public_notice``; objections are received on
every day of the window; recognition waits until the window has closed with no objection open or upheld.
Publishing and recognising move dossiers and create centers: they are in ``ipoc.lifecycle.recognition``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.applications.models import Application, Call
from ipoc.applications.models import ApplicationState as S
from ipoc.applications.service import transition
from ipoc.audit import service as audit
from ipoc.auth.roles import ANONYMOUS, Principal, Role
from ipoc.centers.records import center_name
from ipoc.config import get_settings
from ipoc.db import utcnow
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.messages import service as messages
from ipoc.notices.models import Objection, PublicNotice, zh_date
from ipoc.notices.schemas import NoticeFields, ObjectionIn
from ipoc.workdays.service import MissingCalendar, add_workdays

ISSUER = "内蒙古自治区市场监督管理局（知识产权局）"
DEFAULT_CONTACT = f"{ISSUER}知识产权运用促进处"
# States a dossier on a published notice is still "in play" in: recognition and objections concern these.
IN_NOTICE = (S.PUBLIC_NOTICE, S.OBJECTION_HANDLING)
# List order on a notice: expert ranking first, then filing order.
_LIST_ORDER = (Application.expert_rank.is_(None), Application.expert_rank, Application.id)


def default_title(year: int) -> str:
    return f"关于{year}年度内蒙古自治区产业知识产权运营中心拟认定名单的公示"


def require_admin(principal: Principal, what: str) -> None:
    if principal.role is not Role.REGION_ADMIN:
        raise Forbidden(f"{what}由自治区局办理")


def proposed_name(app: Application) -> str:
    return center_name(app.industry)


# --- reading -------------------------------------------------------------------------------------------


def list_notices(session: Session, principal: Principal) -> list[PublicNotice]:
    """Published notices, newest first; the region admin also sees its drafts."""
    stmt = select(PublicNotice)
    if principal.role is not Role.REGION_ADMIN:
        stmt = stmt.where(PublicNotice.published_at.is_not(None))
    return list(session.scalars(stmt.order_by(PublicNotice.starts_on.desc(), PublicNotice.id.desc())))


def get_notice(session: Session, principal: Principal, notice_id: int) -> PublicNotice:
    """404 for a draft unless the caller is the region admin: an unpublished list is not public."""
    notice = session.get(PublicNotice, notice_id)
    if notice is None or not (notice.is_published or principal.role is Role.REGION_ADMIN):
        raise NotFound("公示不存在")
    return notice


def entries(session: Session, notice: PublicNotice) -> list[Application]:
    """The dossiers on a notice, in list order."""
    return list(session.scalars(select(Application).where(Application.notice_id == notice.id).order_by(*_LIST_ORDER)))


def _free(call_id: int, notice_id: int | None) -> Select[Application]:
    """Shortlisted dossiers of a call on no notice other than ``notice_id``."""
    free: ColumnElement[bool] = Application.notice_id.is_(None)
    if notice_id is not None:
        free = free | (Application.notice_id == notice_id)
    stmt = select(Application).where(Application.call_id == call_id, Application.state == S.SHORTLISTED, free)
    return stmt.order_by(*_LIST_ORDER)


def candidates(session: Session, principal: Principal, call_id: int, notice_id: int | None = None) -> list[Application]:
    """Dossiers of a call that may go on a new notice (or stay on draft ``notice_id``)."""
    require_admin(principal, "公示")
    return list(session.scalars(_free(call_id, notice_id)))


def calls_with_candidates(session: Session, principal: Principal) -> list[Call]:
    require_admin(principal, "公示")
    has = select(Application.call_id).where(Application.state == S.SHORTLISTED, Application.notice_id.is_(None))
    return list(session.scalars(select(Call).where(Call.id.in_(has)).order_by(Call.year.desc(), Call.id.desc())))


def objections_for(session: Session, principal: Principal, notice_id: int) -> list[Objection]:
    """Objections and who filed them are for the region admin only; reading them is recorded."""
    require_admin(principal, "异议查阅")
    stmt = select(Objection).where(Objection.notice_id == notice_id)
    found = list(session.scalars(stmt.order_by(Objection.created_at, Objection.id)))
    if found:
        audit.log(session, "view", "objections", f"notice:{notice_id}", meta={"count": len(found)})
    return found


def get_objection(session: Session, principal: Principal, objection_id: int) -> Objection:
    require_admin(principal, "异议处理")
    objection = session.get(Objection, objection_id)
    if objection is None:
        raise NotFound("异议不存在")
    return objection


# --- drafting and publishing ---------------------------------------------------------------------------


def schedule_window(session: Session, notice: PublicNotice, starts_on: date) -> None:
    """Set the window from the current settings; a year without calendar data is an error on the start date."""
    settings = get_settings()
    try:
        ends_on = add_workdays(session, starts_on, settings.notice_working_days, settings.notice_first_day)
    except MissingCalendar as exc:
        raise InvalidInput(exc.message, field="starts_on") from exc
    notice.starts_on, notice.ends_on = starts_on, ends_on
    notice.working_days, notice.first_day = settings.notice_working_days, settings.notice_first_day


def compose_body(year: int, apps: Sequence[Application], notice: PublicNotice) -> str:
    """The notice text: the list with each proposed name, the window, and where objections go."""
    lines = [
        f"根据《内蒙古自治区产业知识产权运营中心建设工作指引》第七条，经盟市局推荐（自治区级以上单位自荐）、"
        f"自治区局复核和专家评审，确定{year}年度内蒙古自治区产业知识产权运营中心拟认定名单如下，现予以公示：",
    ]
    lines += [
        f"{n}. {proposed_name(app)}（建设主体：{app.org.name}；所属产业：{app.industry.name}）"
        for n, app in enumerate(apps, start=1)
    ]
    lines += [
        f"公示期：{notice.window_label}。",
        "公示期内，任何单位或个人对拟认定名单有异议的，可通过本平台公示页面提出，也可书面反映，"
        "并写明真实姓名（单位名称）和联系方式。逾期不予受理。",
        f"异议受理：{notice.contact}",
    ]
    return "\n".join(lines)


def _pick(session: Session, call: Call, application_ids: Sequence[int], notice_id: int | None) -> list[Application]:
    if not application_ids:
        raise InvalidInput("请至少选择一个拟认定名单中的申报", field="application_ids")
    allowed = {a.id: a for a in session.scalars(_free(call.id, notice_id))}
    wrong = [i for i in dict.fromkeys(application_ids) if i not in allowed]
    if wrong:
        raise InvalidInput(
            f"申报 {'、'.join(map(str, wrong))} 不是本批次拟认定名单中的申报，或已列入其他公示", field="application_ids"
        )
    chosen = set(application_ids)
    return [a for a in allowed.values() if a.id in chosen]


def _save(
    session: Session,
    notice: PublicNotice,
    call: Call,
    fields: NoticeFields,
    application_ids: Sequence[int],
    today: date,
) -> PublicNotice:
    apps = _pick(session, call, application_ids, notice.id)
    starts_on = fields.starts_on or today
    if starts_on < today:
        raise InvalidInput("公示开始日期不能早于今天", field="starts_on")
    schedule_window(session, notice, starts_on)
    notice.title = fields.title or default_title(call.year)
    notice.contact = fields.contact
    notice.body = compose_body(call.year, apps, notice)
    session.add(notice)
    session.flush()
    chosen = {a.id for a in apps}
    for app in session.scalars(select(Application).where(Application.notice_id == notice.id)):
        if app.id not in chosen:
            app.notice_id = None
    for app in apps:
        app.notice_id = notice.id
    session.flush()
    return notice


def create_notice(
    session: Session,
    principal: Principal,
    call_id: int,
    fields: NoticeFields,
    application_ids: Sequence[int],
    today: date | None = None,
) -> PublicNotice:
    """A draft notice for some of a call's shortlisted dossiers; nothing is public until it is published."""
    require_admin(principal, "公示")
    call = session.get(Call, call_id)
    if call is None:
        raise NotFound("申报批次不存在")
    audit.set_reason(session, "拟定公示")
    notice = PublicNotice(call_id=call.id)
    return _save(session, notice, call, fields, application_ids, today or clock.today())


def draft_notice(session: Session, principal: Principal, notice_id: int) -> PublicNotice:
    require_admin(principal, "公示")
    notice = get_notice(session, principal, notice_id)
    if notice.is_published:
        raise Conflict("公示已发布，不能再修改")
    return notice


def update_notice(
    session: Session,
    principal: Principal,
    notice_id: int,
    fields: NoticeFields,
    application_ids: Sequence[int],
    today: date | None = None,
) -> PublicNotice:
    """Edit a draft; the window and the text are recomputed."""
    notice = draft_notice(session, principal, notice_id)
    audit.set_reason(session, "修改公示草稿")
    return _save(
        session, notice, session.get_one(Call, notice.call_id), fields, application_ids, today or clock.today()
    )


def delete_draft(session: Session, principal: Principal, notice_id: int) -> None:
    """Drop a draft; its dossiers become free for another notice."""
    notice = draft_notice(session, principal, notice_id)
    audit.set_reason(session, "删除公示草稿")
    for app in entries(session, notice):
        app.notice_id = None
    session.flush()
    session.delete(notice)
    session.flush()


# --- objections ----------------------------------------------------------------------------------------


def _window_closed_message(notice: PublicNotice) -> str:
    return f"公示期为{zh_date(notice.starts_on)}至{zh_date(notice.ends_on)}，当前不在公示期内，不能提出异议"


def file_objection(
    session: Session, principal: Principal, notice_id: int, data: ObjectionIn, today: date | None = None
) -> Objection:
    """Anyone may object to one dossier on a published notice, on any day of its window. The first
    objection puts the dossier into objection handling; later ones are recorded against it."""
    notice = get_notice(session, principal, notice_id)
    if not notice.is_open(today or clock.today()):
        raise Conflict(_window_closed_message(notice))
    app = session.get(Application, data.application_id)
    if app is None or app.notice_id != notice.id:
        raise InvalidInput("所选申报不在本公示名单中", field="application_id")
    if app.state not in IN_NOTICE:
        raise Conflict(f"该申报已{app.state_label}，不再受理异议")
    audit.set_reason(session, "受理公示异议")
    objection = Objection(
        notice_id=notice.id,
        application_id=app.id,
        filer_name=data.filer_name,
        filer_contact=data.filer_contact,
        content=data.content,
    )
    session.add(objection)
    session.flush()
    if app.state == S.PUBLIC_NOTICE:
        # The dossier's timeline is read by the applicant, its bureau and the experts: it names the public,
        # never the filer (who may be logged in), whose identity is for the region admin only.
        transition(session, ANONYMOUS, app, "object", reason="收到异议")
    said = f"公示“{notice.title}”收到对{app.org.name}申报的异议，请调查核实后作出处理"
    messages.tell(session, text=said, link=f"/notices/{notice.id}", region_admins=True)
    return objection


def resolve_objection(
    session: Session, principal: Principal, objection_id: int, outcome: str, resolution: str
) -> Objection:
    """The region admin decides an objection. An upheld one ends the dossier's recognition."""
    objection = get_objection(session, principal, objection_id)
    if objection.status != "open":
        raise Conflict(f"该异议已处理（{objection.status_label}）")
    if outcome not in ("dismissed", "upheld"):
        raise InvalidInput("处理结论应为异议成立或异议不成立", field="outcome")
    resolution = resolution.strip()
    if not resolution:
        raise InvalidInput("请填写处理意见", field="resolution")
    audit.set_reason(session, resolution, outcome=outcome)
    objection.status, objection.resolution = outcome, resolution
    objection.resolved_by_id, objection.resolved_at = principal.user_id, utcnow()
    session.flush()
    app = session.get_one(Application, objection.application_id)
    said = f"对您单位申报的公示异议已处理：{objection.status_label}。处理意见：{resolution}"
    messages.tell(session, text=said, link=f"/applications/{app.id}", organisations=[app.org_id])
    if outcome == "upheld" and app.state == S.OBJECTION_HANDLING:
        transition(session, principal, app, "reject_objection", reason=resolution)
    return objection


# --- recognition ---------------------------------------------------------------------------------------


def objections_against(session: Session, application_id: int) -> list[Objection]:
    """Every objection filed against a dossier, in the order received (the decision cites them)."""
    stmt = select(Objection).where(Objection.application_id == application_id)
    return list(session.scalars(stmt.order_by(Objection.created_at, Objection.id)))


def objection_account(objections: Sequence[Objection]) -> str:
    """What the record says about a dossier's objections: how many were received during the notice and
    how each was decided, by receipt number. The filer and the content stay out: they are not public."""
    if not objections:
        return "公示期满无异议"
    decided = "；".join(f"{o.receipt_no}号{o.status_label}" for o in objections)
    return f"公示期间收到异议{len(objections)}件，经核查，{decided}"


def _objection_counts(session: Session, application_id: int) -> dict[str, int]:
    stmt = (
        select(Objection.status, func.count())
        .where(Objection.application_id == application_id)
        .group_by(Objection.status)
    )
    return {status: n for status, n in session.execute(stmt)}


def recognition_problem(session: Session, app: Application, today: date) -> str | None:
    """Why ``app`` cannot be recognised today, or None: the window must have closed, and an objection
    must have been dismissed (none open, none upheld)."""
    if app.state not in IN_NOTICE:
        return f"申报当前为“{app.state_label}”状态，不能认定"
    notice = session.get_one(PublicNotice, app.notice_id)  # a dossier in notice is on one
    if today <= notice.ends_on:
        return f"公示期至{zh_date(notice.ends_on)}，期满后方可认定"
    counts = _objection_counts(session, app.id)
    if counts.get("open"):
        return f"尚有 {counts['open']} 条异议未处理"
    if counts.get("upheld"):
        return "异议成立，不能认定"
    return None
