"""The public-notice tests' world: a 2025 call with two dossiers shortlisted along the direct route, the region
admin who publishes and a 包头 bureau officer; and the builders of a notice, its fields and an objection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ipoc.applications.models import Application, Call
from ipoc.applications.service import transition
from ipoc.auth.roles import Principal, Role
from ipoc.lifecycle import recognition
from ipoc.notices import service as notices
from ipoc.notices.models import PublicNotice
from ipoc.notices.schemas import NoticeFields, ObjectionIn
from ipoc.workdays.models import CalendarYear
from ipoc.workdays.service import covered_years
from tests.factories import industry, make_org, who

FRI = date(2025, 9, 26)  # the notice ends on Thu 2025-10-09 (first day counting) across National Day 2025
CONTACT = "自治区局知识产权运用促进处，电话 0471-0000000"
FILER_CONTACT = "13800001111"


@dataclass
class World:
    admin: Principal
    bureau: Principal
    call: Call
    apps: list[Application]


def _shortlisted(session, call: Call, admin: Principal, org_name: str, term: str) -> Application:
    """A dossier walked to the proposed list along the direct route, as the workflow allows."""
    org = make_org(session, org_name)
    app = Application(
        call_id=call.id,
        org_id=org.id,
        region_id=org.region_id,
        industry_id=industry(session, term).id,
        builder_type="leading_enterprise",
        route="direct",
    )
    session.add(app)
    session.flush()
    transition(session, Principal(role=Role.MEMBER, org_id=org.id, label=org_name), app, "submit")
    for action in ("accept_direct", "pass_recheck", "shortlist"):
        transition(session, admin, app, action)
    return app


def make_world(session) -> World:
    admin = who(session, "region", Role.REGION_ADMIN)
    bureau = who(session, "baotou", Role.BUREAU_OFFICER, "包头市")
    call = Call(year=2025, title="2025年度申报", opens_on=date(2025, 6, 1), closes_on=date(2025, 8, 31))
    session.add(call)
    session.flush()
    apps = [
        _shortlisted(session, call, admin, "包头稀土研究院有限公司", "稀土新材料"),
        _shortlisted(session, call, admin, "包头风电装备集团有限公司", "风电装备"),
    ]
    session.commit()
    return World(admin, bureau, call, apps)


def _fields(starts_on: date | None, **over) -> NoticeFields:
    return NoticeFields(starts_on=starts_on, contact=CONTACT, **over)


def _draft(session, w: World, starts_on: date, today: date | None = None) -> PublicNotice:
    ids = [a.id for a in w.apps]
    return notices.create_notice(session, w.admin, w.call.id, _fields(starts_on), ids, today=today or starts_on)


def _published(session, w: World, starts_on: date) -> PublicNotice:
    notice = _draft(session, w, starts_on)
    recognition.publish(session, w.admin, notice.id, today=starts_on)
    session.commit()
    return notice


def _objection(app: Application, content: str = "该单位不具备固定办公场所") -> ObjectionIn:
    return ObjectionIn(application_id=app.id, filer_name="王五", filer_contact=FILER_CONTACT, content=content)


def _cover(session, year: int) -> None:
    """Let HTTP tests run in any year: a year the package lacks is loaded as plain weekdays."""
    if year not in covered_years(session):
        session.add(CalendarYear(year=year, source="测试：仅按周一至周五"))
        session.commit()
