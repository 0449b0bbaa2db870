"""What a center publishes and is funded for: its public service catalogue and yearly public-service work
plan (Art. 12), each item mapped to Art. 4 duties, and the funding projects that support it (Art. 15)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ipoc.db import Base, Timestamped
from ipoc.labels import coded, named
from ipoc.workflow import check_constraint

# Art. 4: the nine duties every catalogue item and plan item maps to.
DUTIES = {
    1: "促进产业知识产权协同发展",
    2: "推进产学研深度合作",
    3: "开展重点项目转化对接",
    4: "加快推进专利产业化",
    5: "培育专利池、开展联合运营",
    6: "专利信息分析、导航、评议、评估与出口预警",
    7: "知识产权制度建设（强评估、单列管理、收益分享等）",
    8: "知识产权培训与中小企业服务",
    9: "其他知识产权运营服务",
}

FUNDING_SOURCES = {"region_fund": "自治区知识产权专项资金", "league_matching": "盟市配套资金", "other": "其他"}


class PlanItemState(StrEnum):
    """A work-plan item's states; the steps between them are ``ipoc.catalogue.flows``."""

    PLANNED = "planned"
    DONE = "done"
    DROPPED = "dropped"


PLAN_ITEM_STATES: dict[str, str] = {
    PlanItemState.PLANNED: "计划中",
    PlanItemState.DONE: "已完成",
    PlanItemState.DROPPED: "已取消",
}


class ServiceItem(Base, Timestamped):
    """One entry of a center's public service catalogue (Art. 12), mapped to Art. 4 duties."""

    __tablename__ = "service_items"
    __audited__ = True
    __label__ = "公共服务事项"
    __labels__ = named(
        title="服务名称", description="服务内容", duties="对应职责", audience="服务对象", charge="收费标准"
    )
    __value_labels__ = coded(duties=DUTIES)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    duties: Mapped[list[int]] = mapped_column(JSON, default=list)
    audience: Mapped[str] = mapped_column(String(120), default="")
    charge: Mapped[str] = mapped_column(String(120), default="免费")
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class WorkPlan(Base, Timestamped):
    """A center's yearly public-service work plan (Art. 12)."""

    __tablename__ = "work_plans"
    __audited__ = True
    __label__ = "年度工作计划"
    __labels__ = named(summary="计划概述")
    __table_args__ = (UniqueConstraint("center_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(Boolean, default=False)

    items: Mapped[list[PlanItem]] = relationship(
        back_populates="plan", order_by="PlanItem.due_on", cascade="all, delete-orphan"
    )


class PlanItem(Base, Timestamped):
    __tablename__ = "plan_items"
    __audited__ = True
    __label__ = "工作计划事项"
    __labels__ = named(
        plan_id="年度工作计划",
        title="事项名称",
        duty="对应职责",
        target="预期目标",
        due_on="计划完成日期",
        done_on="完成日期",
        outcome="完成情况",
    )
    __value_labels__ = coded(state=PLAN_ITEM_STATES, duty=DUTIES)
    __state_field__ = "state"
    __table_args__ = (check_constraint(PlanItemState),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("work_plans.id"), index=True)
    title: Mapped[str] = mapped_column(String(160))
    duty: Mapped[int] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(200), default="")
    due_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(8), default=PlanItemState.PLANNED)
    done_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(Text, default="")

    plan: Mapped[WorkPlan] = relationship(back_populates="items")

    @property
    def state_label(self) -> str:
        return PLAN_ITEM_STATES.get(self.state, self.state)


class FundingProject(Base, Timestamped):
    """A funding project supporting a center (Art. 15); amounts in yuan."""

    __tablename__ = "funding_projects"
    __audited__ = True
    __label__ = "专项资金项目"
    __labels__ = named(title="项目名称", source="资金来源", amount_yuan="金额")
    __value_labels__ = coded(source=FUNDING_SOURCES)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), index=True)
    title: Mapped[str] = mapped_column(String(160))
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))
    amount_yuan: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text, default="")

    @property
    def source_label(self) -> str:
        return FUNDING_SOURCES.get(self.source, self.source)
