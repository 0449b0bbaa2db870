"""Input and output shapes of benefit sharing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ipoc.benefits.rules import ROUNDING_NOTE, Mode, PatentKind
from ipoc.schemas import Input

Source = Literal["agreement", "unit_rule", "statutory"]
Basis = Literal["statutory", "policy"]  # the statutory default, or the caller's unit policy where it has one
Pct = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Yuan = Annotated[int, Field(ge=0, le=10**13)]


class PolicyInput(Input):
    """A unit's policy. Blank figures under the statutory source take the statutory numbers; the
    "国家设立" flag left blank follows the organisation type (universities and institutes: yes)."""

    source: Source = Field(title="依据")
    state_established: bool | None = Field(default=None, title="国家设立")
    transfer_licence_pct: Pct | None = Field(default=None, title="转让/许可奖励比例")
    equity_pct: Pct | None = Field(default=None, title="作价投资奖励比例")
    profit_pct: Pct | None = Field(default=None, title="利润奖励比例")
    profit_years: int | None = Field(default=None, ge=1, le=20, title="利润奖励年限")
    invention_reward_yuan: Yuan | None = Field(default=None, title="发明专利授权奖金")
    utility_design_reward_yuan: Yuan | None = Field(default=None, title="实用新型/外观设计授权奖金")
    effective_on: date = Field(title="生效日期")
    document_ref: str = Field(default="", max_length=200, title="文件名称或文号")
    note: str = Field(default="", max_length=2000, title="备注")

    @field_validator("document_ref", "note", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class PolicyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    source: str
    source_label: str
    state_established: bool
    transfer_licence_pct: Decimal
    equity_pct: Decimal
    profit_pct: Decimal
    profit_years: int
    invention_reward_yuan: int
    utility_design_reward_yuan: int
    effective_on: date
    document_ref: str
    note: str


class PolicyView(BaseModel):
    """A unit's policy (null when none is recorded: the statutory default then applies), with warnings."""

    org_id: int
    policy: PolicyOut | None
    bound_by_minimums: bool
    warnings: list[str]


class CalcInput(Input):
    """One calculation. ``basis`` "policy" uses the caller's unit policy where there is one."""

    mode: Mode | Literal["grant_reward"] = Field(title="计算项目")
    basis: Basis = Field(default="policy", title="计算依据")
    amount_yuan: Yuan | None = Field(default=None, title="金额（元）")
    years: int | None = Field(default=None, ge=1, le=20, title="年数")
    patent_kind: PatentKind | None = Field(default=None, title="专利类型")
    announced_on: date | None = Field(default=None, title="授权公告日")


class ShareOut(BaseModel):
    mode: str
    mode_label: str
    base_yuan: int
    pct: Decimal
    years: int
    per_year_yuan: list[int]
    share_yuan: int
    share_wan: str


class GrantRewardOut(BaseModel):
    kind: str
    kind_label: str
    announced_on: date
    due_on: date
    amount_yuan: int


class CalcOut(BaseModel):
    basis: Basis
    basis_label: str
    share: ShareOut | None = None
    grant_reward: GrantRewardOut | None = None
    rounding: str = ROUNDING_NOTE
