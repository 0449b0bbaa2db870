"""Demo demands and offers, made through the services the pages use: needs of the demo enterprises handled by
the demo center (one with a confidential detail), and the demo university's offers of its own patents. Runs after
the demo patents are imported, since an offer names patents of the database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.centers.models import Center
from ipoc.ops.demo_lifecycle import demo_principal
from ipoc.orgs import names
from ipoc.orgs.models import Organisation
from ipoc.orgs.names import normalise_name
from ipoc.patents.models import Patent
from ipoc.reference.models import Industry
from ipoc.transfer import service as transfer
from ipoc.transfer.models import Demand
from ipoc.transfer.schemas import DemandIn, Mode, OfferIn


class _DemandSpec(TypedDict):
    """A demo demand: the fields of `DemandIn`, with its organisation and industry by name."""

    org: str
    industry: str
    title: str
    problem: str
    desired_effect: str
    keywords: str
    ipc_hints: str
    constraints: str
    budget: tuple[Decimal | None, Decimal | None]  # 万元, low and high
    modes: list[Mode]
    summary: str
    secret: str


class _OfferSpec(TypedDict):
    """A demo offer: the fields of `OfferIn`, with its industry by name and its patents by application number."""

    title: str
    problem_solved: str
    advantage: str
    trl: int
    field: str
    products: str
    terms: str
    industry: str
    modes: list[Mode]
    price: tuple[Decimal | None, Decimal | None]  # 万元, low and high
    patents: list[str]


DEMANDS: list[_DemandSpec] = [
    {
        "org": "包头示例稀土新材料有限公司",
        "industry": "稀土",
        "title": "降低烧结钕铁硼磁体重稀土用量的晶界扩散工艺",
        "problem": "新能源汽车驱动电机用烧结钕铁硼磁体需要高矫顽力，目前依赖大量添加镝、铽等重稀土，成本高且供应紧张。",
        "desired_effect": "在矫顽力提高 6kOe 以上的前提下，重稀土用量降低 30% 以上，剩磁下降不超过 1%。",
        "keywords": "钕铁硼 晶界扩散 重稀土 矫顽力 烧结磁体",
        "ipc_hints": "H01F 1/057",
        "constraints": "可在现有真空烧结炉上改造实施，单炉处理量不低于 500 公斤。",
        "budget": (Decimal(100), Decimal(300)),
        "modes": ["transfer", "licence"],
        "summary": "某稀土永磁企业寻求降低重稀土用量、提高矫顽力的晶界扩散工艺，可转让或许可。",
        "secret": "现有产线为 2 条 600 公斤真空烧结炉，目标产品为 48SH 牌号，年产能 3000 吨。",
    },
    {
        "org": "包头示例稀土新材料有限公司",
        "industry": "稀土",
        "title": "稀土镁基固态储氢合金的低成本活化技术",
        "problem": "固态储氢合金首次吸氢需要高温高压活化，工序长、能耗高。",
        "desired_effect": "室温下 3 次循环内完成活化，吸氢量不低于 5.5wt%。",
        "keywords": "储氢合金 稀土镁基 活化 固态储氢",
        "ipc_hints": "C22C 23/00",
        "constraints": "",
        "budget": (Decimal(50), None),
        "modes": ["joint_rd", "licence"],
        "summary": "寻求稀土镁基储氢合金低成本活化方法，可合作研发。",
        "secret": "",
    },
]

OFFERS: list[_OfferSpec] = [
    {
        "title": "低成本铈镧共掺稀土永磁材料制备技术",
        "problem_solved": "以高丰度的铈、镧部分替代镨钕，降低永磁材料原料成本。",
        "advantage": "原料成本降低约 20%，磁性能满足中端电机和消费电子使用要求。",
        "trl": 6,
        "field": "稀土永磁材料",
        "products": "中端永磁电机磁钢、消费电子用磁体",
        "terms": "可独占许可或转让，许可费可按销售额提成。",
        "industry": "稀土",
        "modes": ["transfer", "licence"],
        "price": (Decimal(80), Decimal(200)),
        "patents": ["202111321720.4"],
    },
    {
        "title": "碱性电解水制氢镍基析氢电极",
        "problem_solved": "碱性电解槽析氢过电位高、能耗大，贵金属电极成本高。",
        "advantage": "不用贵金属，电流密度 500mA/cm² 下过电位降低约 80mV，寿命超过 5000 小时。",
        "trl": 7,
        "field": "氢能装备",
        "products": "碱性电解槽电极、制氢装备",
        "terms": "普通许可，可入门费加提成。",
        "industry": "氢能",
        "modes": ["licence"],
        "price": (Decimal(30), Decimal(100)),
        "patents": ["202111416300.4"],
    },
]


def _industry_id(session: Session, hint: str) -> int | None:
    return session.scalar(select(Industry.id).where(Industry.name.contains(hint)).order_by(Industry.id).limit(1))


def _demands(session: Session, center: Center, today: date) -> None:
    staff = demo_principal(session, "center")
    for spec in DEMANDS:
        org_id = session.scalar(select(Organisation.id).where(Organisation.name == spec["org"]))
        low, high = spec["budget"]
        data = DemandIn(
            org_id=org_id,
            title=spec["title"],
            problem=spec["problem"],
            desired_effect=spec["desired_effect"],
            industry_id=_industry_id(session, spec["industry"]),
            keywords=spec["keywords"],
            ipc_hints=spec["ipc_hints"],
            constraints=spec["constraints"],
            budget_min_wan=low,
            budget_max_wan=high,
            modes=spec["modes"],
            deadline=today + timedelta(days=180),
            public_summary=spec["summary"],
            confidential_detail=spec["secret"],
        )
        demand = transfer.create_demand(session, staff, data, today)
        transfer.publish_demand(session, staff, demand.id, today)


def confirm_own_name(session: Session, org_id: int) -> None:
    """The demo university holds its patents under its own name: proposed and confirmed by the region admin, as
    its bureau would, so that patents.rights counts it a current patentee (offers and stock need it)."""
    org = session.get(Organisation, org_id)
    if org is None or any(link.normalised == normalise_name(org.name) for link in names.names_of(session, org_id)):
        return
    admin = demo_principal(session, "admin")
    link = names.propose(session, admin, org_id, org.name)
    names.decide(session, admin, link.id, approve=True)


def _offers(session: Session) -> None:
    """The demo university's offers of patents it co-owns: one co-owner alone may offer (专利法 第十四条)."""
    university = demo_principal(session, "member")
    if university.org_id is None:
        return
    confirm_own_name(session, university.org_id)
    for spec in OFFERS:
        if not all(session.scalar(select(Patent.id).where(Patent.application_no == n)) for n in spec["patents"]):
            continue  # the demo patents were not imported
        low, high = spec["price"]
        data = OfferIn(
            title=spec["title"],
            problem_solved=spec["problem_solved"],
            advantage=spec["advantage"],
            trl=spec["trl"],
            field=spec["field"],
            products=spec["products"],
            expected_terms=spec["terms"],
            industry_id=_industry_id(session, spec["industry"]),
            modes=spec["modes"],
            price_min_wan=low,
            price_max_wan=high,
            application_nos=spec["patents"],
        )
        offer = transfer.create_offer(session, university, data)
        transfer.publish_offer(session, university, offer.id)


def load(session: Session, today: date | None = None) -> bool:
    """Demands and offers once; False when there are demands already or no demo center."""
    center = session.scalars(select(Center).order_by(Center.id)).first()
    if center is None or session.scalar(select(Demand.id).limit(1)) is not None:
        return False
    _demands(session, center, today or clock.today())
    _offers(session)
    session.flush()
    return True
