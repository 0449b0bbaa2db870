"""Open licensing (专利开放许可, 专利法 50–52): declarations, licences taken by written notice, and the
evaluation reports (专利权评价报告) a utility model or design needs. Licences, pledges and fees of a patent
stay LegalEvents of the patent module; an evaluation report has no place there, so it has its own table."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ipoc.db import Base, Timestamped, utcnow
from ipoc.labels import coded, named
from ipoc.patents.models import Patent
from ipoc.reference.models import Industry
from ipoc.workflow import check_constraint


class DeclarationState(StrEnum):
    """An open-licence declaration's states; the steps between them are ``ipoc.licensing.flows``."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    ANNOUNCED = "announced"
    WITHDRAWN = "withdrawn"


class LicenceState(StrEnum):
    """A licence taken by written notice: effective at once, then recorded with CNIPA (``ipoc.licensing.flows``)."""

    EFFECTIVE = "effective"
    RECORDED = "recorded"


DECLARATION_STATES: dict[str, str] = {
    DeclarationState.DRAFT: "草稿",
    DeclarationState.SUBMITTED: "已提交",
    DeclarationState.ANNOUNCED: "已公告（实施中）",
    DeclarationState.WITHDRAWN: "已撤回",
}
FEE_METHODS = {"lump_sum": "一次性支付", "royalty": "按销售额提成（设年度最低额）", "yearly": "按年支付固定费用"}
LICENCE_STATES: dict[str, str] = {LicenceState.EFFECTIVE: "已生效，待备案", LicenceState.RECORDED: "已备案"}


class OpenLicenceDeclaration(Base, Timestamped):
    """A patentee's open-licence declaration; it binds only once CNIPA has announced it."""

    __tablename__ = "open_licence_declarations"
    __audited__ = True
    __label__ = "开放许可声明"
    __labels__ = named(
        org_id="声明单位",
        patentee="专利权人",
        fee_method="许可使用费支付方式",
        fee_amount_yuan="费用金额",
        royalty_bp="提成比例",
        minimum_yuan="年度最低费用",
        term_years="许可期限（年）",
        field="应用领域",
        products="适用产品",
        other_terms="其他事项",
        prepared_by_id="填报人",
        announced_on="国家知识产权局公告日",
        announcement_no="公告号",
        withdrawn_on="撤回公告日",
        withdrawal_reason="撤回理由",
    )
    __value_labels__ = coded(state=DECLARATION_STATES, fee_method=FEE_METHODS)
    __state_field__ = "state"
    __table_args__ = (check_constraint(DeclarationState),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    patentee: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), default=DeclarationState.DRAFT, index=True)
    fee_method: Mapped[str] = mapped_column(String(16))
    fee_amount_yuan: Mapped[int | None] = mapped_column(Integer)  # lump sum, or the fee per year
    royalty_bp: Mapped[int | None] = mapped_column(Integer)  # royalty in basis points of sales (350 = 3.5 %)
    minimum_yuan: Mapped[int | None] = mapped_column(Integer)  # royalty: minimum per year
    term_years: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(200))
    products: Mapped[str] = mapped_column(Text)
    industry_id: Mapped[int | None] = mapped_column(ForeignKey("industries.id"))
    other_terms: Mapped[str] = mapped_column(Text, default="")
    prepared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    announced_on: Mapped[date | None] = mapped_column(Date)
    announcement_no: Mapped[str] = mapped_column(String(64), default="")
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="")

    patent: Mapped[Patent] = relationship(lazy="joined")
    industry: Mapped[Industry | None] = relationship(lazy="joined")
    licences: Mapped[list[OpenLicence]] = relationship(order_by="OpenLicence.notice_date", back_populates="declaration")

    @property
    def state_label(self) -> str:
        return DECLARATION_STATES.get(self.state, self.state)

    @property
    def fee_method_label(self) -> str:
        return FEE_METHODS.get(self.fee_method, self.fee_method)


class OpenLicence(Base):
    """An ordinary licence taken by written notice (专利法51): effective on the notice date."""

    __tablename__ = "open_licences"
    __audited__ = True
    __label__ = "开放许可实施"
    __labels__ = named(
        declaration_id="开放许可声明",
        licensee_org_id="被许可单位",
        licensee="被许可人",
        notice_date="书面通知日期",
        start_date="实施起始日",
        ends_on="许可期限届满日",
        recordal_due="备案期限",
        recorded_on="备案日",
        recordal_no="备案号",
        filed_by_id="登记人",
    )
    __value_labels__ = coded(state=LICENCE_STATES)
    __state_field__ = "state"
    __table_args__ = (check_constraint(LicenceState),)

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("open_licence_declarations.id"), index=True)
    licensee_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    licensee: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(120))
    notice_date: Mapped[date] = mapped_column(Date)
    start_date: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    recordal_due: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default=LicenceState.EFFECTIVE)
    recorded_on: Mapped[date | None] = mapped_column(Date)
    recordal_no: Mapped[str] = mapped_column(String(64), default="")
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    declaration: Mapped[OpenLicenceDeclaration] = relationship(back_populates="licences")

    @property
    def state_label(self) -> str:
        return LICENCE_STATES.get(self.state, self.state)


class EvaluationReport(Base):
    """A 专利权评价报告 on a utility model or design, entered by hand (number and date)."""

    __tablename__ = "patent_evaluation_reports"
    __audited__ = True
    __label__ = "专利权评价报告"
    __labels__ = named(number="报告编号", issued_on="出具日期")

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AdvertisingPhrase(Base, Timestamped):
    """A commercial advertising phrase (广告法 第九条's kind: 国家级, 最高级, 最佳 …) that 细则85 keeps out of an
    open-licence declaration; the region admin extends or trims the list, every change audited."""

    __tablename__ = "advertising_phrases"
    __audited__ = True
    __label__ = "广告用语"
    __labels__ = named(phrase="禁用的广告用语")

    id: Mapped[int] = mapped_column(primary_key=True)
    phrase: Mapped[str] = mapped_column(String(50), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
