"""Organisations: enterprises, universities, parks … that register and are verified by a bureau."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ipoc.db import Base, Timestamped
from ipoc.labels import coded, named
from ipoc.reference.models import OrgType, Region
from ipoc.workflow import check_constraint


class OrgState(StrEnum):
    """An organisation's registration check; the steps are ``ipoc.orgs.flows``."""

    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


ORG_STATUS: dict[str, str] = {OrgState.PENDING: "待核验", OrgState.VERIFIED: "已核验", OrgState.REJECTED: "未通过"}


class Organisation(Base, Timestamped):
    __tablename__ = "organisations"
    __audited__ = True
    __label__ = "单位"
    __labels__ = named(
        name="单位名称",
        type_code="单位类型",
        uscc="统一社会信用代码",
        address="地址",
        contact_name="联系人",
        contact_phone="联系电话",
        review_note="核验意见",
        reviewed_by_id="核验人",
        reviewed_at="核验时间",
        region_id="所在盟市",
    )
    __value_labels__ = coded(state=ORG_STATUS)
    __state_field__ = "state"
    __table_args__ = (check_constraint(OrgState),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    type_code: Mapped[str] = mapped_column(ForeignKey("org_types.code"))
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str] = mapped_column(String(40), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    state: Mapped[str] = mapped_column(String(16), default=OrgState.PENDING, index=True)
    review_note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)

    region: Mapped[Region] = relationship(lazy="joined")
    type: Mapped[OrgType] = relationship(lazy="joined")

    @property
    def state_label(self) -> str:
        return ORG_STATUS.get(self.state, self.state)

    @property
    def is_verified(self) -> bool:
        return self.state == OrgState.VERIFIED


class NameState(StrEnum):
    """Whether an applicant name counts for its organisation; the steps are ``ipoc.orgs.flows.NAMES``."""

    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


NAME_LINK_STATES: dict[str, str] = {
    NameState.PROPOSED: "待确认",
    NameState.CONFIRMED: "已确认",
    NameState.REJECTED: "未通过",
}
NAME_LINK_SOURCES = {"org": "单位申报", "name_match": "名称匹配", "staff": "工作人员登记"}


class OrganisationName(Base, Timestamped):
    """A patent applicant/patentee name an organisation holds (its own, a former name, a branch's). Proposed
    by the organisation, by name matching or by staff; it counts for patent rights only once its league/city
    bureau, the region bureau or a center of its area confirmed it."""

    __tablename__ = "organisation_names"
    __table_args__ = (
        UniqueConstraint("organisation_id", "normalised", name="uq_organisation_names_org_name"),
        check_constraint(NameState),
    )
    __audited__ = True
    __label__ = "单位的申请人名称"
    __labels__ = named(
        organisation_id="单位",
        name="申请人/专利权人名称",
        normalised="规范化名称",
        source="来源",
        proposed_by_id="提出人",
    )
    __value_labels__ = coded(state=NAME_LINK_STATES, source=NAME_LINK_SOURCES)
    __state_field__ = "state"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    normalised: Mapped[str] = mapped_column(String(200), index=True)
    source: Mapped[str] = mapped_column(String(16), default="org")
    state: Mapped[str] = mapped_column(String(16), default=NameState.PROPOSED)
    note: Mapped[str] = mapped_column(Text, default="")
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def state_label(self) -> str:
        return NAME_LINK_STATES.get(self.state, self.state)

    @property
    def source_label(self) -> str:
        return NAME_LINK_SOURCES.get(self.source, self.source)
