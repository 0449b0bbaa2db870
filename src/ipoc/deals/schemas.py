"""Input and output shapes of contacts and deals. Amounts are entered in 万元 (as contracts quote them) and
stored in whole yuan; patents come as application numbers, a list or one comma/space separated text."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field

from ipoc.schemas import Id
from ipoc.transfer.schemas import _split, _Stripped

Channel = Literal["meeting", "phone", "online", "visit", "event"]
Mode = Literal["transfer", "licence_exclusive", "licence_sole", "licence_ordinary", "equity", "pledge", "investment"]
Action = Literal["negotiate", "sign", "record", "abandon"]
Wan = Annotated[Decimal | None, Field(default=None, ge=0, le=10_000_000, decimal_places=6, title="金额（万元）")]
Name = Annotated[str, Field(default="", max_length=200)]
NumberList = Annotated[list[Annotated[str, Field(max_length=40)]], BeforeValidator(_split), Field(max_length=200)]


class ContactIn(_Stripped):
    """A contact recorded by the center's staff; with ``match_id`` the demand, offer and parties come from the
    accepted match, with ``event_id`` it is counted among the event's outcomes, with neither it is a walk-in."""

    match_id: Id | None = Field(default=None, title="推荐匹配")
    event_id: Id | None = Field(default=None, title="对接活动")
    demand_id: Id | None = Field(default=None, title="技术需求")
    offer_id: Id | None = Field(default=None, title="技术供给")
    subject: str = Field(min_length=2, max_length=200, title="对接事项")
    seeker_org_id: Id | None = Field(default=None, title="需求方单位")
    seeker_name: Name = ""
    provider_org_id: Id | None = Field(default=None, title="供给方单位")
    provider_name: Name = ""
    contacted_on: date = Field(title="对接日期")
    channel: Channel = Field(title="对接方式")
    notes: str = Field(default="", max_length=4000, title="对接情况")


class CloseContactIn(_Stripped):
    reason: str = Field(min_length=2, max_length=2000, title="关闭原因")


class DealEditIn(_Stripped):
    """What may be corrected while a deal is open; its dates, amount, patents and numbers move with its steps."""

    title: str = Field(min_length=2, max_length=200, title="项目名称")
    mode: Mode = Field(title="交易方式")
    provider_org_id: Id | None = Field(default=None, title="转让方/许可方单位")
    provider_name: Name = ""
    seeker_org_id: Id | None = Field(default=None, title="受让方/被许可方单位")
    seeker_name: Name = ""
    notes: str = Field(default="", max_length=4000, title="备注")


class DealIn(DealEditIn):
    """A deal at intention; the contract data may be filled in now or when it is signed."""

    contact_id: Id | None = Field(default=None, title="来源对接")
    intention_on: date | None = Field(default=None, title="意向日期")
    amount_wan: Wan = None
    application_nos: NumberList | None = Field(default=None, title="涉及专利（申请号）")
    contract_no: str = Field(default="", max_length=64, title="合同编号")


class StepIn(_Stripped):
    """One stage change; which fields are required depends on the action (``flows.TRANSITIONS``)."""

    action: Action = Field(title="操作")
    negotiation_on: date | None = None
    signed_on: date | None = None
    recorded_on: date | None = None
    abandoned_on: date | None = None
    amount_wan: Wan = None
    contract_no: str = Field(default="", max_length=64, title="合同编号")
    application_nos: NumberList | None = Field(default=None, title="涉及专利（申请号）")
    record_no: str = Field(default="", max_length=64, title="备案/登记号")
    reason: str = Field(default="", max_length=2000, title="终止原因")
    licence_start: date | None = Field(default=None, title="许可期限起（默认签订日）")
    licence_end: date | None = Field(default=None, title="许可期限止")
    territory: str = Field(default="", max_length=200, title="许可地域范围（留空为全国）")


class ContactOut(BaseModel):
    id: int
    center_id: int
    match_id: int | None
    event_id: int | None
    demand_id: int | None
    offer_id: int | None
    subject: str
    seeker: str
    seeker_org_id: int | None
    provider: str
    provider_org_id: int | None
    contacted_on: date
    channel: str
    notes: str
    state: str
    state_label: str
    status: str  # = state, the key API clients read before
    close_reason: str


class StepOut(BaseModel):
    action: str
    from_stage: str | None
    to_stage: str
    on: date
    note: str


class DealOut(BaseModel):
    id: int
    center_id: int
    contact_id: int | None
    title: str
    state: str
    stage: str  # = state, the key API clients read before
    mode: str
    amount_yuan: int | None
    amount_wan: str | None
    provider: str
    provider_org_id: int | None
    seeker: str
    seeker_org_id: int | None
    intention_on: date
    negotiation_on: date | None
    signed_on: date | None
    recorded_on: date | None
    abandoned_on: date | None
    contract_no: str
    record_no: str
    abandon_reason: str
    application_nos: list[str]
    licence_start: date | None
    licence_end: date | None
    territory: str
    rights_state: str | None = Field(description="passed: counted in the ledger; refused; null: never checked")
    rights_note: str
    rights_checked_on: date | None
    steps: list[StepOut]


class ConversionYearOut(BaseModel):
    year: int
    amount_yuan: int
    amount_wan: str
    deals: int


class ConversionOut(BaseModel):
    center_id: int
    years: list[ConversionYearOut]
    cumulative_projects: int
