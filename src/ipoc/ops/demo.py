"""Demo data of the project's own: fictional organisations, one recognised center and a login per role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from ipoc.auth import service as accounts
from ipoc.auth.models import User
from ipoc.auth.roles import Role
from ipoc.centers.models import Center
from ipoc.db import utcnow
from ipoc.orgs.models import Organisation
from ipoc.reference.models import Industry, Region

DEMO_PASSWORD = "ipocDemo2026"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    role: Role
    scope: str | None


def demo_uscc(serial: int, region_code: str) -> str:
    """A well-formed 统一社会信用代码 (with its check character) for a fictional organisation."""
    body = f"91{region_code}MA{serial:07d}"[:17]
    return body + uscc.calc_check_digit(body)


# (name, type, region code, verified)
ORGS = [
    ("包头示例稀土新材料有限公司", "enterprise", "150200", True),
    ("内蒙古示例大学", "university", "150100", True),
    ("赤峰示例乳业有限公司", "enterprise", "150400", True),
    ("鄂尔多斯示例煤化工研究院", "research_institute", "150600", True),
    ("包头示例风电装备有限公司", "enterprise", "150200", False),
    ("满洲里示例口岸贸易有限公司", "enterprise", "150781", False),
]

LOGINS = [
    DemoLogin("admin", "自治区局管理员", Role.REGION_ADMIN, None),
    DemoLogin("baotou", "包头市局工作人员", Role.BUREAU_OFFICER, "包头市"),
    DemoLogin("chifeng", "赤峰市局工作人员", Role.BUREAU_OFFICER, "赤峰市"),
    DemoLogin("hulunbuir", "呼伦贝尔市局工作人员", Role.BUREAU_OFFICER, "呼伦贝尔市"),
    DemoLogin("expert", "评审专家", Role.EXPERT, None),
    DemoLogin("center", "稀土中心工作人员", Role.CENTER_STAFF, "内蒙古自治区稀土新材料知识产权运营中心"),
    DemoLogin("member", "示例大学科技处", Role.MEMBER, "内蒙古示例大学"),
]


def _orgs(session: Session) -> dict[str, Organisation]:
    regions = {r.code: r for r in session.scalars(select(Region))}
    created = {}
    for n, (name, type_code, region_code, verified) in enumerate(ORGS, start=1):
        org = Organisation(
            name=name,
            type_code=type_code,
            uscc=demo_uscc(n, region_code),
            region_id=regions[region_code].id,
            address=f"{regions[region_code].name}示例路 {n} 号",
            contact_name="联系人",
            contact_phone=f"0471-{6000000 + n}",
            status="verified" if verified else "pending",
            reviewed_at=utcnow() if verified else None,
        )
        session.add(org)
        created[name] = org
    session.flush()
    return created


def load(session: Session) -> list[DemoLogin] | None:
    """Load once; returns the logins, or None when demo data is already there."""
    if session.scalar(select(User.id).where(User.username == "admin")):
        return None
    orgs = _orgs(session)
    builder = orgs["包头示例稀土新材料有限公司"]
    industry = session.scalar(select(Industry).where(Industry.naming_term == "稀土新材料"))
    if industry is None:
        raise RuntimeError("reference data missing: run ipoc db upgrade first")
    session.add(
        Center(
            name=f"内蒙古自治区{industry.naming_term}知识产权运营中心",
            industry_id=industry.id,
            builder_org_id=builder.id,
            region_id=builder.region_id,
            status="recognized",
            recognised_on=date(2026, 9, 1),
        )
    )
    session.flush()
    for login in LOGINS:
        accounts.create_user(
            session,
            username=login.username,
            display_name=login.display_name,
            role=login.role,
            password=DEMO_PASSWORD,
            scope=login.scope,
            must_change_password=True,
        )
    return LOGINS
