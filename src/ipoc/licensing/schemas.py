"""Input and output shapes of open licensing. Money is entered and stored in yuan; sales in the fee
calculator are entered in 万元, as a licensee thinks of them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from ipoc.schemas import Id, Input, Timestamp

FeeMethod = Literal["lump_sum", "royalty", "yearly"]
FactKind = Literal["licence", "pledge", "pledge_release", "suspension", "suspension_end", "fee", "evaluation_report"]
SuspensionReason = Literal["dispute", "preservation", "other"]
LicenceType = Literal["exclusive", "sole", "ordinary"]
Yuan = int


class _Stripped(Input):
    @field_validator("*", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class DeclarationIn(_Stripped):
    """The contents 细则85 requires: patent number, fee payment method and standard, term, other terms
    (the patentee's name comes from the patent record), plus the field and products a licensee looks for."""

    application_no: str = Field(min_length=1, max_length=40, title="专利号/申请号")
    fee_method: FeeMethod = Field(title="许可使用费支付方式")
    fee_amount_yuan: Yuan | None = Field(default=None, ge=1, le=10_000_000_000, title="费用金额（元）")
    royalty_percent: Decimal | None = Field(default=None, gt=0, le=100, decimal_places=2, title="提成比例（%）")
    minimum_yuan: Yuan | None = Field(default=None, ge=0, le=10_000_000_000, title="年度最低费用（元）")
    term_years: int = Field(ge=1, le=20, title="许可期限（年）")
    field: str = Field(min_length=2, max_length=200, title="应用领域")
    products: str = Field(min_length=2, max_length=2000, title="适用产品")
    industry_id: Id | None = Field(default=None, title="所属产业")
    other_terms: str = Field(default="", max_length=4000, title="其他事项")


class SubmitIn(Input):
    """Nothing to fill in: submitting is a button."""


class AnnounceIn(_Stripped):
    announced_on: date = Field(title="国家知识产权局公告日")
    announcement_no: str = Field(default="", max_length=64, title="公告号")


class WithdrawIn(_Stripped):
    reason: str = Field(min_length=2, max_length=2000, title="撤回理由")
    withdrawn_on: date | None = Field(default=None, title="撤回公告日")


class NoticeIn(_Stripped):
    """The licensee's written notice (专利法51)."""

    licensee: str = Field(default="", max_length=200, title="被许可人")
    contact: str = Field(min_length=2, max_length=120, title="联系人及电话")
    start_date: date = Field(title="实施起始日")
    acknowledged: bool = Field(default=False, title="已阅知并接受声明的许可条件")


class RecordalIn(_Stripped):
    recorded_on: date = Field(title="备案日")
    recordal_no: str = Field(default="", max_length=64, title="备案号")


class FactIn(_Stripped):
    """A fact the bars depend on, entered by hand where the patent exports do not carry it."""

    kind: FactKind = Field(title="事项")
    event_date: date = Field(title="日期")
    licence_type: LicenceType | None = Field(default=None, title="许可类型")
    term_start: date | None = Field(default=None, title="许可期限起")
    term_end: date | None = Field(default=None, title="许可期限止")
    counterparty: str = Field(default="", max_length=200, title="被许可人/质权人")
    pledgee_consent: bool = Field(default=False, title="质权人同意开放许可")
    suspension_reason: SuspensionReason | None = Field(default=None, title="中止原因")
    paid_through: date | None = Field(default=None, title="年费缴至")
    report_no: str = Field(default="", max_length=64, title="评价报告编号")
    note: str = Field(default="", max_length=500, title="说明")


class PhraseIn(_Stripped):
    phrase: str = Field(min_length=1, max_length=50, title="禁用用语")


class PhraseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    phrase: str
    created_at: Timestamp


class FeeQuery(_Stripped):
    """What a licensee (or the patentee) puts into the calculator; every field optional."""

    annual_sales_wan: Decimal | None = Field(default=None, ge=0, le=100_000_000, title="预计年销售额（万元）")
    years: int | None = Field(default=None, ge=1, le=20, title="实施年数")
    annual_fee_yuan: Yuan | None = Field(default=None, ge=0, le=1_000_000, title="当年应缴年费（元）")
    other_reduction_percent: Decimal | None = Field(default=None, ge=0, le=100, title="其他年费减缴比例（%）")


class FeeOut(BaseModel):
    licence_fee_yuan: int | None
    licence_fee_wan: str | None
    explanation: str
    annual_fee_payable_yuan: int | None
    reduction_percent: str | None
    reduction_note: str


class LicenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    licensee: str
    notice_date: date
    start_date: date
    ends_on: date
    recordal_due: date
    state: str
    recorded_on: date | None

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented form; mypy has no plugin here
    @property
    def status(self) -> str:
        """= state, the key API clients read before the state column had one name everywhere."""
        return self.state


class DeclarationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    application_no: str
    title: str
    patentee: str
    state: str
    fee_method: str
    fee_standard: str
    term_years: int
    field: str
    products: str
    ipc_main: str | None
    industry: str | None
    other_terms: str
    announced_on: date | None
    withdrawn_on: date | None
    withdrawal_reason: str
