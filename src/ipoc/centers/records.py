"""A center as a record (Arts. 8, 10, 13): its name, its period, its creation and who may read it. The
domains beside centers (catalogue, notices) build on these; the center's yearly cycle is ``centers.service``
and, where it reads other domains, ``ipoc.lifecycle``."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.applications.models import Application
from ipoc.audit import service as audit
from ipoc.auth.roles import Principal, Role
from ipoc.centers.models import ACTIVE_STATUSES, Center, CenterState
from ipoc.centers.schemas import SUB_CENTER_REFUSAL, CenterRegistration
from ipoc.config import get_settings
from ipoc.documents.numbering import document_number
from ipoc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ipoc.orgs.models import Organisation
from ipoc.reference.models import Industry, Region

ISSUER = "内蒙古自治区市场监督管理局（知识产权局）"
READ_ONLY = "该运营中心已被取消资格（或建设期已届满），相关记录只读"
NOT_FOUND = "运营中心不存在"


# --- naming (Arts. 8, 13) -----------------------------------------------------------------------------


def center_name(industry: Industry) -> str:
    """Art. 8: 内蒙古自治区 + the industry's naming term (not its display name) + 知识产权运营中心."""
    return f"内蒙古自治区{industry.naming_term}知识产权运营中心"


def check_center_name(session: Session, name: str, exclude_id: int | None = None) -> None:
    """No sub-centers (Art. 13); a name is unique among centers that are not revoked (Art. 8)."""
    if "分中心" in name:
        raise InvalidInput(SUB_CENTER_REFUSAL, field="name")
    stmt = select(Center.id).where(Center.name == name, Center.state != CenterState.REVOKED)
    if exclude_id is not None:
        stmt = stmt.where(Center.id != exclude_id)
    if session.scalar(stmt.limit(1)) is not None:
        raise Conflict(f"名称“{name}”已被其他运营中心使用", field="name")


# --- the construction period (Art. 10) ----------------------------------------------------------------


def month_day(setting: str, year: int) -> date:
    """A "MM-DD" setting in ``year``; 02-29 falls back to 02-28 in a common year."""
    month, day = (int(part) for part in setting.split("-"))
    try:
        return date(year, month, day)
    except ValueError:
        return date(year, month, 28)


def _anniversary(day: date, years: int) -> date:
    """The same day ``years`` later; a 29 February's anniversary in a common year is 1 March."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def period_fields(recognised_on: date) -> dict[str, object]:
    """The period that starts on the day of recognition and lasts ``construction_years`` years, and the
    first year that needs a self-evaluation: a center recognised after the cut-off starts the next year."""
    settings = get_settings()
    cutoff = month_day(settings.late_recognition_cutoff, recognised_on.year)
    return {
        "recognised_on": recognised_on,
        "period_start": recognised_on,
        "period_end": _anniversary(recognised_on, settings.construction_years) - timedelta(days=1),
        "first_eval_year": recognised_on.year + (1 if recognised_on > cutoff else 0),
    }


def _new_center(
    session: Session,
    *,
    name: str,
    industry: Industry,
    builder_org_id: int,
    region_id: int,
    recognised_on: date,
    direct: bool,
    application_id: int | None = None,
) -> Center:
    check_center_name(session, name)
    center = Center(
        name=name,
        industry_id=industry.id,
        builder_org_id=builder_org_id,
        region_id=region_id,
        application_id=application_id,
        direct=direct,
        state=CenterState.RECOGNIZED,
        **period_fields(recognised_on),
    )
    session.add(center)
    session.flush()
    return center


def create_from_application(session: Session, app: Application, recognised_on: date) -> Center:
    """The center a recognised dossier becomes (the notices service guards the recognition itself), with the
    发文字号 of its recognition decision."""
    center = _new_center(
        session,
        name=center_name(app.industry),
        industry=app.industry,
        builder_org_id=app.org_id,
        region_id=app.region_id,
        recognised_on=recognised_on,
        direct=app.route == "direct",
        application_id=app.id,
    )
    center.decision_number = document_number(session, ISSUER, recognised_on.year)
    return center


def register_existing(
    session: Session, principal: Principal, data: CenterRegistration, today: date | None = None
) -> Center:
    """The region bureau records a center it recognised before the platform, with its original date."""
    if principal.role is not Role.REGION_ADMIN:
        raise Forbidden("只有自治区局可以登记已认定的运营中心")
    industry = session.get(Industry, data.industry_id)
    if industry is None:
        raise InvalidInput("产业不存在", field="industry_id")
    if session.get(Organisation, data.builder_org_id) is None:
        raise InvalidInput("建设主体单位不存在", field="builder_org_id")
    if session.get(Region, data.region_id) is None:
        raise InvalidInput("盟市不存在", field="region_id")
    if data.recognised_on > (today or clock.today()):
        raise InvalidInput("认定日期不能晚于今天", field="recognised_on")
    audit.set_reason(session, "登记平台启用前已认定的运营中心")
    return _new_center(
        session,
        name=(data.name or "").strip() or center_name(industry),
        industry=industry,
        builder_org_id=data.builder_org_id,
        region_id=data.region_id,
        recognised_on=data.recognised_on,
        direct=data.direct,
    )


def require_active(center: Center) -> None:
    """A revoked or ended center keeps its records, read-only: every change is refused."""
    if center.state not in ACTIVE_STATUSES:
        raise Conflict(READ_ONLY)


# --- who sees what ------------------------------------------------------------------------------------


def visible_centers(principal: Principal) -> Select[Center]:
    """Every center, for everyone: the public part of a center is a public record."""
    return select(Center)


def get_center(session: Session, principal: Principal, center_id: int) -> Center:
    center = session.scalar(visible_centers(principal).where(Center.id == center_id))
    if center is None:
        raise NotFound(NOT_FOUND)
    return center


def sees_internal(principal: Principal, center: Center) -> bool:
    """The center's own staff, the bureau of its league/city and the region bureau."""
    if principal.role is Role.REGION_ADMIN:
        return True
    if principal.role is Role.BUREAU_OFFICER:
        return center.region_id in principal.region_ids
    return principal.role is Role.CENTER_STAFF and principal.center_id == center.id
