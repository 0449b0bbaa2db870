"""A unit's benefit-sharing policy (guideline Art. 4(7)): what its inventors receive from transfer/licence
income, equity and profits (《促进科技成果转化法》第44–45条), and the reward on grant (《专利法》第15条)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ipoc.db import Base, Timestamped
from ipoc.orgs.models import Organisation

POLICY_SOURCES = {"agreement": "与科技人员约定", "unit_rule": "单位规章制度", "statutory": "法定标准（无约定、无规定）"}


class BenefitPolicy(Base, Timestamped):
    """One per organisation; internal to the unit (its members, center staff and the region see it)."""

    __tablename__ = "benefit_policies"
    __audited__ = True

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
