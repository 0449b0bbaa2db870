"""Demo data for the center lifecycle, made through the same services the pages use: a call open around
the day it is loaded, a complete dossier waiting on its league/city bureau, a draft still missing evidence,
the default score sheets, and the demo center's catalogue, work plan, funding and a self-evaluation draft."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.applications import service as applications
from ipoc.applications.models import Call
from ipoc.applications.schemas import ApplicationIn, CallIn
from ipoc.auth import service as accounts
from ipoc.auth.models import User
from ipoc.auth.roles import Principal
from ipoc.catalogue import service as catalogue
from ipoc.catalogue.schemas import FundingIn, PlanItemDone, PlanItemIn, ServiceItemIn, WorkPlanIn
from ipoc.centers import service as centers
from ipoc.centers.models import Center
from ipoc.lifecycle import cycle
from ipoc.reference.models import Industry
from ipoc.reviews.service import ensure_default_sheets
from ipoc.uploads import Upload

# The smallest file the evidence check accepts as a PDF; the demo's evidence is a placeholder.
PLACEHOLDER_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


class _Dossier(TypedDict):
    """The dossier fields of a demo application (`ApplicationIn` without its call, builder type and industry)."""

    participants: str
    construction_plan: str
    team: str
    team_size: int
    funds_yuan: int
    funds_note: str
    conditions: dict[int, str]  # statement per condition number


DAIRY_DOSSIER: _Dossier = {
    "participants": "内蒙古示例知识产权服务有限公司（参与单位）",
    "construction_plan": "围绕乳业全产业链，三年内建成乳业专利数据库、乳品加工技术供需对接机制和高价值专利培育体系。",
    "team": "专职运营人员 8 名，其中专利代理师 3 名、技术经纪人 2 名。",
    "team_size": 8,
    "funds_yuan": 3_000_000,
    "funds_note": "企业自筹，单列核算",
    "conditions": {
        1: "服务自治区优势特色产业乳业，已纳入盟市乳业发展规划。",
        2: "设立独立法人子公司承担运营中心日常业务。",
        3: "在赤峰市示例园区有独立办公场所 600 平方米。",
        4: "组建 8 人专职团队并签订三年劳动合同。",
        5: "设立专项经费 300 万元，制定建设方案和管理制度。",
    },
}


def demo_principal(session: Session, username: str) -> Principal:
    return accounts.principal_for(session, session.scalar(select(User).where(User.username == username)))


def _upload(name: str) -> Upload:
    return Upload.of_bytes(name, PLACEHOLDER_PDF)


def _call(session: Session, admin: Principal, today: date) -> Call:
    data = CallIn(
        year=today.year,
        title=f"{today.year}年度自治区产业知识产权运营中心申报（示例）",
        opens_on=today - timedelta(days=60),
        closes_on=today + timedelta(days=60),
        note="示例批次：申报窗口以加载示例数据的日期为中心。",
    )
    return applications.save_call(session, admin, data)


def _industry(session: Session, naming_term: str) -> Industry:
    return session.scalars(select(Industry).where(Industry.naming_term == naming_term)).one()


def _submitted_dossier(session: Session, call: Call, today: date) -> None:
    dairy = demo_principal(session, "dairy")
    data = ApplicationIn(
        call_id=call.id, builder_type="leading_enterprise", industry_id=_industry(session, "乳业").id, **DAIRY_DOSSIER
    )
    app = applications.create_application(session, dairy, data, today)
    for n in DAIRY_DOSSIER["conditions"]:
        upload = _upload(f"条件{n}证明材料.pdf")
        applications.add_attachment(session, dairy, app.id, upload, f"condition:{n}")
    applications.take_action(session, dairy, app.id, "submit", today=today)


def _draft_dossier(session: Session, call: Call, today: date) -> None:
    data = ApplicationIn(
        call_id=call.id,
        builder_type="university_institute",
        industry_id=_industry(session, "种业").id,
        construction_plan="依托学校种业学科，盘活存量专利并对接盟市种业企业。",
        conditions={1: "服务自治区重点产业现代农牧业（种业）。", 2: "由学校技术转移中心承担。"},
    )
    applications.create_application(session, demo_principal(session, "member"), data, today)


def _center_records(session: Session, center: Center, today: date) -> None:
    staff, admin, bureau = (demo_principal(session, u) for u in ("center", "admin", "baotou"))
    items = [
        ("稀土专利检索与分析", "面向稀土企业的专利检索、技术路线分析和侵权风险提示。", [6]),
        ("稀土技术供需对接", "收集企业技术需求，对接高校院所存量专利，组织路演。", [2, 3]),
        ("知识产权培训", "面向中小企业的专利挖掘、布局与运营培训。", [8]),
    ]
    for title, description, duties in items:
        item = catalogue.create_service_item(
            session, staff, center.id, ServiceItemIn(title=title, description=description, duties=duties)
        )
        catalogue.publish_service_item(session, staff, center.id, item.id, True)
    year = today.year
    catalogue.create_plan(session, staff, center.id, WorkPlanIn(year=year, summary="年度公共服务工作计划（示例）"))
    done = catalogue.add_plan_item(
        session, staff, center.id, year, PlanItemIn(title="建成稀土专题数据库", duty=6, due_on=date(year, 6, 30))
    )
    catalogue.complete_plan_item(
        session,
        staff,
        center.id,
        year,
        done.id,
        PlanItemDone(done_on=min(today, date(year, 6, 30)), outcome="已上线"),
        today,
    )
    for title, duty, due in [
        ("举办稀土技术对接会", 3, date(year, 12, 15)),
        ("开展专利运营培训", 8, date(year, 12, 20)),
    ]:
        catalogue.add_plan_item(session, staff, center.id, year, PlanItemIn(title=title, duty=duty, due_on=due))
    catalogue.publish_plan(session, staff, center.id, year, True)
    catalogue.create_funding(
        session,
        admin,
        center.id,
        FundingIn(title="运营中心建设项目", year=year, source="region_fund", amount_wan=Decimal(300)),
    )
    catalogue.create_funding(
        session,
        bureau,
        center.id,
        FundingIn(title="盟市配套资金", year=year, source="league_matching", amount_wan=Decimal(50)),
    )
    if year in centers.evaluation_years(center):
        cycle.start_self_evaluation(session, staff, center.id, year, today)


def load_lifecycle(session: Session, today: date | None = None) -> bool:
    """Load once (after ``demo.load``); False when a call already exists."""
    if session.scalar(select(Call.id)):
        return False
    today = today or clock.today()
    ensure_default_sheets(session)
    call = _call(session, demo_principal(session, "admin"), today)
    _submitted_dossier(session, call, today)
    _draft_dossier(session, call, today)
    center = session.scalars(select(Center)).first()
    if center is not None:
        _center_records(session, center, today)
    session.flush()
    return True
