"""A unit's benefit-sharing policy (guideline Art. 4(7)): what its inventors receive from transfer/licence
income, equity and profits (《促进科技成果转化法》第44–45条), and the reward on grant (《专利法》第15条)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ipoc.db import Base, Timestamped
from ipoc.labels import coded, named
from ipoc.orgs.models import Organisation

POLICY_SOURCES = {"agreement": "与科技人员约定", "unit_rule": "单位规章制度", "statutory": "法定标准（无约定、无规定）"}


class BenefitPolicy(Base, Timestamped):
    """One per organisation; internal to the unit (its members, center staff and the region see it)."""

    __tablename__ = "benefit_policies"
    __audited__ = True
    __label__ = "收益分享政策"
    __labels__ = named(
        source="依据",
        state_established="国家设立的单位",
        transfer_licence_pct="转让/许可净收入奖励比例",
        equity_pct="作价投资股份或出资比例奖励比例",
        profit_pct="实施转化营业利润奖励比例",
        profit_years="利润奖励连续年数",
        invention_reward_yuan="发明专利授权奖金",
        utility_design_reward_yuan="实用新型/外观设计授权奖金",
        effective_on="生效日期",
        document_ref="文件名称或文号",
    )
    __value_labels__ = coded(source=POLICY_SOURCES)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    state_established: Mapped[bool] = mapped_column(Boolean, default=False)
    transfer_licence_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    equity_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    profit_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    profit_years: Mapped[int] = mapped_column(Integer)
    invention_reward_yuan: Mapped[int] = mapped_column(Integer)
    utility_design_reward_yuan: Mapped[int] = mapped_column(Integer)
    effective_on: Mapped[date] = mapped_column(Date)
    document_ref: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    org: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def source_label(self) -> str:
        return POLICY_SOURCES.get(self.source, self.source)
