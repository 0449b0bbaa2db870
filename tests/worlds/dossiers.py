"""The dossier tests' world: an open call, two verified organisations (包头 and 赤峰) and an account for every
role around a dossier; and the builders of a dossier in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.applications import service as applications
from ipoc.applications.models import CONDITIONS, Application, ApplicationEvent, Call
from ipoc.applications.schemas import ApplicationIn, CallIn
from ipoc.audit.models import AuditRecord
from ipoc.auth.roles import ANONYMOUS, Principal, Role
from ipoc.files.models import Attachment
from ipoc.orgs.models import Organisation
from ipoc.reference.models import Industry
from tests.factories import make_org, who

TODAY = clock.today()


@dataclass
class World:
    session: Session
    call: Call
    industry: Industry
    org: Organisation
    other_org: Organisation
    applicant: Principal
    other_member: Principal
    bureau: Principal
    other_bureau: Principal
    region: Principal
    expert: Principal
    center_staff: Principal
    anonymous: Principal


def open_call(session: Session, title: str = "2026 年度认定申报", **dates) -> Call:
    data = {"opens_on": TODAY - timedelta(days=10), "closes_on": TODAY + timedelta(days=10), **dates}
    admin = Principal(role=Role.REGION_ADMIN)
    return applications.save_call(session, admin, CallIn(year=2026, title=title, **data))


def make_world(session) -> World:
    org = make_org(session, "包头测试稀土有限公司", city="包头市")
    other = make_org(session, "赤峰测试乳业有限公司", city="赤峰市")
    call = open_call(session)
    session.commit()
    return World(
        session=session,
        call=call,
        industry=session.scalar(select(Industry).where(Industry.naming_term == "稀土新材料")),
        org=org,
        other_org=other,
        applicant=who(session, "applicant", Role.MEMBER, str(org.id)),
        other_member=who(session, "other_member", Role.MEMBER, str(other.id)),
        bureau=who(session, "baotou", Role.BUREAU_OFFICER, "包头市"),
        other_bureau=who(session, "chifeng", Role.BUREAU_OFFICER, "赤峰市"),
        region=who(session, "admin", Role.REGION_ADMIN),
        expert=who(session, "expert", Role.EXPERT),
        center_staff=Principal(role=Role.CENTER_STAFF, label="中心工作人员", center_id=1),
        anonymous=ANONYMOUS,
    )


def dossier_in(w: World, **over) -> ApplicationIn:
    data = {
        "call_id": w.call.id,
        "builder_type": "leading_enterprise",
        "industry_id": w.industry.id,
        "route": "via_bureau",
        "construction_plan": "三年建设方案",
        "team": "专职人员 6 名",
        "team_size": 6,
        "funds_yuan": 2_000_000,
        "conditions": {n: f"条件{n}的情况说明" for n in CONDITIONS},
    }
    return ApplicationIn(**{**data, **over})


def add_evidence(session: Session, app: Application, *purposes: str) -> None:
    """Attachment rows as the submission guard counts them (real uploads are tested in test_attachments)."""
    for purpose in purposes:
        session.add(
            Attachment(
                owner_type="application",
                owner_id=app.id,
                purpose=purpose,
                filename=f"{purpose}.pdf",
                content_type="application/pdf",
                size=1,
                sha256="0" * 64,
            )
        )
    session.flush()


ALL_EVIDENCE = tuple(f"condition:{n}" for n in CONDITIONS)


def make_dossier(w: World, *, route: str = "via_bureau", complete: bool = True, **over) -> Application:
    """A draft of ``w.org`` in ``w.call``; complete: every condition has its evidence (and the route proof)."""
    app = applications.create_application(w.session, w.applicant, dossier_in(w, route=route, **over))
    if complete:
        add_evidence(w.session, app, *ALL_EVIDENCE, *(["route"] if route == "direct" else []))
    w.session.commit()
    return app


def counts(session: Session, app: Application) -> tuple[int, int]:
    """(timeline entries of the dossier, audit records but logins): what a refusal must leave unchanged."""
    events = session.scalar(select(func.count()).where(ApplicationEvent.application_id == app.id))
    records = select(func.count(AuditRecord.id)).where(AuditRecord.entity_type != "users")
    return events, session.scalar(records)
