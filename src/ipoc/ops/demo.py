"""Demo data of the project's own: fictional organisations, one recognised center, a login per role and a
small patent database of Inner Mongolia's industries (fictional records with valid application numbers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from ipoc import clock
from ipoc.auth import service as accounts
from ipoc.auth.models import User
from ipoc.auth.passwords import DEMO_PASSWORD as DEMO_PASSWORD  # printed by the CLI after `demo load`
from ipoc.auth.roles import Principal, Role
from ipoc.centers import service as centers
from ipoc.centers.models import Center
from ipoc.centers.schemas import CenterRegistration
from ipoc.db import session_scope, utcnow
from ipoc.jobs.service import Progress
from ipoc.orgs.models import Organisation, OrgState
from ipoc.patents import service as patents
from ipoc.patents.importer import ImportResult
from ipoc.patents.models import IndustryDatabase, Patent
from ipoc.patents.parsing import parse_row
from ipoc.patents.reading import open_rows
from ipoc.patents.records import PatentRecord, RowIssue
from ipoc.patents.schemas import IndustryDatabaseIn
from ipoc.reference.models import Industry, Region


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
    DemoLogin("dairy", "赤峰示例乳业知识产权部", Role.MEMBER, "赤峰示例乳业有限公司"),
    DemoLogin("expert2", "评审专家（示例大学）", Role.EXPERT, "内蒙古示例大学"),
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
            state=OrgState.VERIFIED if verified else OrgState.PENDING,
            reviewed_at=utcnow() if verified else None,
        )
        session.add(org)
        created[name] = org
    session.flush()
    return created


def load(session: Session, today: date | None = None) -> list[DemoLogin] | None:
    """Load once; returns the logins, or None when demo data is already there."""
    if session.scalar(select(User.id).where(User.username == "admin")):
        return None
    orgs = _orgs(session)
    builder = orgs["包头示例稀土新材料有限公司"]
    industry = session.scalar(select(Industry).where(Industry.naming_term == "稀土新材料"))
    if industry is None:
        raise RuntimeError("reference data missing: run ipoc db upgrade first")
    admin = Principal(role=Role.REGION_ADMIN, label="示例数据")
    recognised_on = (today or clock.today()) - timedelta(days=90)
    registration = CenterRegistration(
        industry_id=industry.id, builder_org_id=builder.id, region_id=builder.region_id, recognised_on=recognised_on
    )
    centers.register_existing(session, admin, registration, today)
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


# ---- patents -----------------------------------------------------------------------------------------

DEMO_PATENTS = Path(__file__).with_name("demo_patents.jsonl")
DEMO_DATABASE = "稀土新材料专题库"


def load_patents() -> dict[str, int]:
    """Import the demo patents through the real importer (so the search index follows) and define the
    rare-earth core-domain database. Embedding is left to ``ipoc embed run`` (``make demo`` runs it next), so
    that loading stays quick. A second run changes nothing: when every demo patent is stored as shipped, the
    import (its job and audit record included) is skipped."""
    shipped = _shipped_hashes()
    result = ImportResult(unchanged=len(shipped)) if _stored_hashes(shipped) == shipped else _import_demo_file()
    with session_scope() as session:
        created = _ensure_database(session)
        total = patents.count_patents(session)
    return {
        "patents": total,
        "imported": result.imported,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "rejected": result.rejected,
        "databases_created": int(created),
    }


def _shipped_hashes() -> dict[str, str]:
    """Application number → content hash of every shipped record, parsed as the importer parses it."""
    hashes = {}
    with open_rows(DEMO_PATENTS) as source:
        for item in source:
            if isinstance(item, RowIssue):
                continue
            record = parse_row(*item, source.headers_by_field)
            if isinstance(record, PatentRecord):
                hashes[record.application_no] = record.content_hash()
    return hashes


def _stored_hashes(shipped: dict[str, str]) -> dict[str, str]:
    with session_scope() as session:
        query = select(Patent.application_no, Patent.content_hash).where(Patent.application_no.in_(shipped))
        return {no: digest for no, digest in session.execute(query)}


def _import_demo_file() -> ImportResult:
    with session_scope() as session:
        job = patents.start_import(session, owner_id=None, filename=DEMO_PATENTS.name)
    progress = Progress(job.id)
    progress.start(message="演示专利")
    try:
        result = patents.run_import(DEMO_PATENTS, job, progress)
    except BaseException:
        progress.fail("演示专利导入中断，重新运行 ipoc demo load 即可补全")
        raise
    progress.finish(result.summary())
    return result


def patent_summary(counts: dict[str, int]) -> str:
    """The one line ``ipoc demo load`` prints about the patents."""
    return (
        "演示专利：库中共 {patents} 件（本次新增 {imported}、更新 {updated}、未变 {unchanged}、拒收 {rejected}），"
        "新建专题库 {databases_created} 个；语义向量由 ipoc embed run 计算".format(**counts)
    )


def _ensure_database(session: Session) -> bool:
    """Create the rare-earth database once; an existing one (perhaps edited since) is left alone."""
    if session.scalar(select(IndustryDatabase.id).where(IndustryDatabase.name == DEMO_DATABASE)):
        return False
    industry = session.scalar(select(Industry).where(Industry.naming_term == "稀土新材料"))
    if industry is None:
        raise RuntimeError("reference data missing: run ipoc db upgrade first")
    center_id = session.scalar(select(Center.id).where(Center.industry_id == industry.id).limit(1))
    definition = IndustryDatabaseIn(
        name=DEMO_DATABASE,
        industry_id=industry.id,
        center_id=center_id,
        ipc_prefixes=["H01F", "C22C", "C22B 59", "C09K 3/14"],
        keywords=["稀土", "钕铁硼", "贮氢合金", "抛光粉"],
        description="演示用核心领域专利库：稀土永磁、稀土抛光粉、稀土贮氢合金及稀土冶金。",
    )
    patents.save_database(session, definition)
    return True
