"""Contacts (a match, an event or a walk-in brought two parties together) and the deals that grow out of
them, through intention, negotiation, signed contract and recordal. Amounts are yuan.

A party of a deal is either a registered organisation (``*_org_id``, which lets its members read the deal)
or a plain name for one that is not on the platform; the provider is the assignor/licensor/pledgor side, the
seeker the assignee/licensee/investor side. Each stage change also leaves a ``DealStep`` row, the deal's
timeline; the audit trail keeps the field-level history besides."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ipoc import money
from ipoc.centers.models import Center
from ipoc.db import Base, Timestamped, utcnow
from ipoc.labels import coded, named
from ipoc.orgs.models import Organisation
from ipoc.patents.models import Patent
from ipoc.workflow import check_constraint

CHANNELS = {"meeting": "面谈", "phone": "电话", "online": "线上", "visit": "上门走访", "event": "对接活动"}


class ContactState(StrEnum):
    """A contact's states; the steps between them are ``ipoc.deals.flows.CONTACTS``."""

    OPEN = "open"
    DEAL = "deal"
    CLOSED = "closed"


CONTACT_STATES: dict[str, str] = {
    ContactState.OPEN: "跟进中",
    ContactState.DEAL: "已形成交易",
    ContactState.CLOSED: "已关闭",
}


class DealState(StrEnum):
    """A deal's stages; the steps between them are ``ipoc.deals.flows``."""

    INTENTION = "intention"
    NEGOTIATION = "negotiation"
    SIGNED = "signed"
    RECORDED = "recorded"
    ABANDONED = "abandoned"


STAGES: dict[str, str] = {
    DealState.INTENTION: "意向",
    DealState.NEGOTIATION: "洽谈",
    DealState.SIGNED: "合同签订",
    DealState.RECORDED: "备案/登记",
    DealState.ABANDONED: "终止",
}
MODES = {
    "transfer": "转让",
    "licence_exclusive": "独占许可",
    "licence_sole": "排他许可",
    "licence_ordinary": "普通许可",
    "equity": "作价入股",
    "pledge": "质押融资",
    "investment": "投资",
}
RIGHTS_STATES = {"passed": "已核验", "refused": "核验未通过", "": "未核验（历史数据）"}
PARTY_LABELS = {
    "provider": "转让方/许可方/出质方",
    "seeker": "受让方/被许可方/投资方",
}


def _party(org: Organisation | None, name: str) -> str:
    return org.name if org is not None else (name or "—")


class Contact(Base, Timestamped):
    __tablename__ = "tech_contacts"
    __audited__ = True
    __label__ = "对接记录"
    __labels__ = named(
        match_id="来源匹配",
        seeker_org_id="需求方单位",
        seeker_name="需求方名称",
        provider_org_id="供给方单位",
        provider_name="供给方名称",
        subject="对接事项",
        contacted_on="对接日期",
        channel="对接方式",
        close_reason="关闭原因",
    )
    __value_labels__ = coded(state=CONTACT_STATES, channel=CHANNELS)
    __state_field__ = "state"
    __table_args__ = (check_constraint(ContactState),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), index=True)
    match_id: Mapped[int | None] = mapped_column(ForeignKey("tech_matches.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("tech_events.id"), index=True)
    demand_id: Mapped[int | None] = mapped_column(ForeignKey("tech_demands.id"), index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("tech_offers.id"), index=True)
    patent_id: Mapped[int | None] = mapped_column(ForeignKey("patents.id"))
    seeker_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    seeker_name: Mapped[str] = mapped_column(String(200), default="")
    provider_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    provider_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(200))
    contacted_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default=ContactState.OPEN, index=True)
    close_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    center: Mapped[Center] = relationship(lazy="joined")
    seeker_org: Mapped[Organisation | None] = relationship(foreign_keys=[seeker_org_id], lazy="joined")
    provider_org: Mapped[Organisation | None] = relationship(foreign_keys=[provider_org_id], lazy="joined")
    patent: Mapped[Patent | None] = relationship(lazy="joined")

    @property
    def seeker(self) -> str:
        return _party(self.seeker_org, self.seeker_name)

    @property
    def provider(self) -> str:
        return _party(self.provider_org, self.provider_name)

    @property
    def source_label(self) -> str:
        if self.match_id:
            return f"推荐匹配 #{self.match_id}"
        if self.event_id:
            return f"对接活动 #{self.event_id}"
        return "自行来访"

    @property
    def state_label(self) -> str:
        return CONTACT_STATES.get(self.state, self.state)

    @property
    def channel_label(self) -> str:
        return CHANNELS.get(self.channel, self.channel)


class Deal(Base, Timestamped):
    __tablename__ = "tech_deals"
    __audited__ = True
    __label__ = "技术合同"
    __labels__ = named(
        contact_id="来源对接",
        title="项目名称",
        state="阶段",
        mode="交易方式",
        amount_yuan="金额",
        signed_on="签订日期",
        provider_org_id="转让方/许可方单位",
        provider_name="转让方/许可方名称",
        seeker_org_id="受让方/被许可方单位",
        seeker_name="受让方/被许可方名称",
        intention_on="意向日期",
        negotiation_on="洽谈日期",
        recorded_on="备案/登记日期",
        abandoned_on="终止日期",
        contract_no="合同编号",
        record_no="备案/登记号",
        abandon_reason="终止原因",
        last_step_on="最近进展日期",
        licence_start="许可期限起",
        licence_end="许可期限止",
        territory="许可地域范围",
        rights_state="权利核验",
        rights_note="权利核验说明",
        rights_checked_on="权利核验日期",
    )
    __value_labels__ = coded(state=STAGES, mode=MODES, rights_state=RIGHTS_STATES)
    __state_field__ = "state"
    __table_args__ = (check_constraint(DealState),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("tech_contacts.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), default=DealState.INTENTION, index=True)
    mode: Mapped[str] = mapped_column(String(24))
    amount_yuan: Mapped[int | None] = mapped_column(BigInteger)
    signed_on: Mapped[date | None] = mapped_column(Date, index=True)
    provider_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    provider_name: Mapped[str] = mapped_column(String(200), default="")
    seeker_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    seeker_name: Mapped[str] = mapped_column(String(200), default="")
    intention_on: Mapped[date] = mapped_column(Date)
    negotiation_on: Mapped[date | None] = mapped_column(Date)
    recorded_on: Mapped[date | None] = mapped_column(Date)
    abandoned_on: Mapped[date | None] = mapped_column(Date)
    contract_no: Mapped[str] = mapped_column(String(64), default="")
    record_no: Mapped[str] = mapped_column(String(64), default="")
    abandon_reason: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # A licence's term and territory (empty: the whole of China), which the conflict check compares.
    licence_start: Mapped[date | None] = mapped_column(Date)
    licence_end: Mapped[date | None] = mapped_column(Date)
    territory: Mapped[str] = mapped_column(String(200), default="")
    # The rights and conflict check of the contract (patents.rights): "passed" counts in the ledger; None is a
    # contract signed before the check existed, left out of the ledger until it is checked again.
    rights_state: Mapped[str | None] = mapped_column(String(16), index=True)
    rights_note: Mapped[str] = mapped_column(Text, default="")
    rights_checked_on: Mapped[date | None] = mapped_column(Date)
    # The business date of the latest stage (intention, negotiation, signing ...): "stalest first" sorts on it.
    last_step_on: Mapped[date] = mapped_column(Date, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    center: Mapped[Center] = relationship(lazy="joined")
    provider_org: Mapped[Organisation | None] = relationship(foreign_keys=[provider_org_id], lazy="joined")
    seeker_org: Mapped[Organisation | None] = relationship(foreign_keys=[seeker_org_id], lazy="joined")
    patent_links: Mapped[list[DealPatent]] = relationship(
        order_by="DealPatent.position", cascade="all, delete-orphan", lazy="selectin"
    )
    steps: Mapped[list[DealStep]] = relationship(order_by="DealStep.id", cascade="all, delete-orphan", lazy="selectin")

    @property
    def patents(self) -> list[Patent]:
        return [link.patent for link in self.patent_links]

    @property
    def provider(self) -> str:
        return _party(self.provider_org, self.provider_name)

    @property
    def seeker(self) -> str:
        return _party(self.seeker_org, self.seeker_name)

    @property
    def state_label(self) -> str:
        return STAGES.get(self.state, self.state)

    @property
    def mode_label(self) -> str:
        return MODES.get(self.mode, self.mode)

    @property
    def rights_label(self) -> str:
        return RIGHTS_STATES.get(self.rights_state or "", RIGHTS_STATES[""])

    @property
    def amount_wan(self) -> str:
        """For tables: two decimals of 万元, "—" while no amount is agreed."""
        return "—" if self.amount_yuan is None else money.wan(self.amount_yuan, 2)

    @property
    def amount_exact_wan(self) -> str:
        """On the deal's own page: the contract's amount to the yuan, as the national list counts it."""
        return "—" if self.amount_yuan is None else money.wan(self.amount_yuan)


class DealPatent(Base):
    __tablename__ = "tech_deal_patents"
    __table_args__ = (UniqueConstraint("deal_id", "patent_id", name="uq_tech_deal_patents_deal_patent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("tech_deals.id", ondelete="CASCADE"), index=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    patent: Mapped[Patent] = relationship(lazy="joined")


class DealStep(Base):
    """One entry of a deal's timeline: the stage it moved to, on which (business) day, by whom and why."""

    __tablename__ = "tech_deal_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("tech_deals.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def to_label(self) -> str:
        return STAGES.get(self.to_stage, self.to_stage)
