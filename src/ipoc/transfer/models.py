"""Technology demands (技术需求) and offers (技术供给). A demand keeps its confidential detail in its own
column so that every reader goes through ``service.can_see_confidential`` before it is shown."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ipoc import money
from ipoc.db import Base, Timestamped
from ipoc.labels import coded, named
from ipoc.orgs.models import Organisation
from ipoc.patents.models import Patent
from ipoc.reference.models import Industry
from ipoc.workflow import check_constraint

MODES = {"transfer": "转让", "licence": "许可", "joint_rd": "合作研发", "equity": "作价入股"}


class DemandState(StrEnum):
    """A demand's states; the steps between them are ``ipoc.transfer.flows``."""

    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"


class OfferState(StrEnum):
    """An offer's states; the steps between them are ``ipoc.transfer.flows``."""

    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


DEMAND_STATES: dict[str, str] = {
    DemandState.DRAFT: "草稿",
    DemandState.PUBLISHED: "已发布",
    DemandState.CLOSED: "已关闭",
}
OFFER_STATES: dict[str, str] = {
    OfferState.DRAFT: "草稿",
    OfferState.PUBLISHED: "已发布",
    OfferState.WITHDRAWN: "已撤回",
}
TRL_LABELS = {
    1: "1 级：发现基本原理",
    2: "2 级：形成技术概念",
    3: "3 级：关键功能实验室验证",
    4: "4 级：实验室环境部件验证",
    5: "5 级：模拟环境部件验证",
    6: "6 级：模拟环境样机演示",
    7: "7 级：实际环境样机演示",
    8: "8 级：定型试验，系统完成",
    9: "9 级：实际应用，批量生产",
}


def _labels(modes: list[str]) -> str:
    return "、".join(MODES.get(m, m) for m in modes)


def _wan_range(low: int | None, high: int | None) -> str:
    """ "10 – 50 万元", "不低于 10 万元", "面议"."""
    if low is None and high is None:
        return "面议"
    if high is None:
        return f"不低于 {money.wan(low or 0)} 万元"
    if low is None:
        return f"不超过 {money.wan(high)} 万元"
    return f"{money.wan(low)} – {money.wan(high)} 万元"


class Demand(Base, Timestamped):
    """An organisation's need; ``confidential_detail`` is for the owner, the handling center and the region."""

    __tablename__ = "tech_demands"
    __audited__ = True
    __label__ = "技术需求"
    __labels__ = named(
        org_id="需求单位",
        center_id="承办运营中心",
        title="需求名称",
        problem="要解决的问题",
        desired_effect="期望效果",
        keywords="技术领域关键词",
        ipc_hints="IPC 分类提示",
        constraints="约束条件",
        budget_min_yuan="预算下限",
        budget_max_yuan="预算上限",
        modes="合作方式",
        public_summary="公开摘要",
        confidential_detail="保密详情",
    )
    __value_labels__ = coded(state=DEMAND_STATES, modes=MODES)
    __state_field__ = "state"
    __table_args__ = (check_constraint(DemandState),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    center_id: Mapped[int | None] = mapped_column(ForeignKey("centers.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text)
    desired_effect: Mapped[str] = mapped_column(Text)
    industry_id: Mapped[int | None] = mapped_column(ForeignKey("industries.id"), index=True)
    keywords: Mapped[str] = mapped_column(String(500), default="")
    ipc_hints: Mapped[str] = mapped_column(String(200), default="")
    constraints: Mapped[str] = mapped_column(Text, default="")
    budget_min_yuan: Mapped[int | None] = mapped_column(Integer)
    budget_max_yuan: Mapped[int | None] = mapped_column(Integer)
    modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    deadline: Mapped[date | None] = mapped_column(Date)
    public_summary: Mapped[str] = mapped_column(Text)
    confidential_detail: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default=DemandState.DRAFT, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime)

    org: Mapped[Organisation] = relationship(lazy="joined")
    industry: Mapped[Industry | None] = relationship(lazy="joined")

    @property
    def state_label(self) -> str:
        return DEMAND_STATES.get(self.state, self.state)

    @property
    def modes_label(self) -> str:
        return _labels(self.modes)

    @property
    def budget_label(self) -> str:
        return _wan_range(self.budget_min_yuan, self.budget_max_yuan)


class Offer(Base, Timestamped):
    """Patents (or a bundle) a university, institute or enterprise offers, in plain language."""

    __tablename__ = "tech_offers"
    __audited__ = True
    __label__ = "技术供给"
    __labels__ = named(
        org_id="供给单位",
        title="成果名称",
        problem_solved="解决的问题",
        advantage="优势",
        trl="技术成熟度",
        field="应用领域",
        products="适用产品",
        expected_terms="期望合作条件",
        modes="合作方式",
        price_min_yuan="价格下限",
        price_max_yuan="价格上限",
    )
    __value_labels__ = coded(state=OFFER_STATES, modes=MODES, trl=TRL_LABELS)
    __state_field__ = "state"
    __table_args__ = (check_constraint(OfferState),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    problem_solved: Mapped[str] = mapped_column(Text)
    advantage: Mapped[str] = mapped_column(Text)
    trl: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(200))
    products: Mapped[str] = mapped_column(Text)
    expected_terms: Mapped[str] = mapped_column(Text, default="")
    industry_id: Mapped[int | None] = mapped_column(ForeignKey("industries.id"), index=True)
    modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    price_min_yuan: Mapped[int | None] = mapped_column(Integer)
    price_max_yuan: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default=OfferState.DRAFT, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime)

    org: Mapped[Organisation] = relationship(lazy="joined")
    industry: Mapped[Industry | None] = relationship(lazy="joined")
    patent_links: Mapped[list[OfferPatent]] = relationship(
        order_by="OfferPatent.position", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def patents(self) -> list[Patent]:
        return [link.patent for link in self.patent_links]

    @property
    def state_label(self) -> str:
        return OFFER_STATES.get(self.state, self.state)

    @property
    def modes_label(self) -> str:
        return _labels(self.modes)

    @property
    def price_label(self) -> str:
        return _wan_range(self.price_min_yuan, self.price_max_yuan)

    @property
    def trl_label(self) -> str:
        return TRL_LABELS.get(self.trl, str(self.trl))


class OfferPatent(Base):
    __tablename__ = "tech_offer_patents"
    __table_args__ = (UniqueConstraint("offer_id", "patent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("tech_offers.id", ondelete="CASCADE"), index=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    patent: Mapped[Patent] = relationship(lazy="joined")
