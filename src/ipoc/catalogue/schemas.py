"""Input and output shapes of the service catalogue, the yearly work plan and funding projects."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

from ipoc import money
from ipoc.catalogue.models import DUTIES
from ipoc.money import YUAN_PER_WAN
from ipoc.schemas import Input

FundingSource = Literal["region_fund", "league_matching", "other"]


def _check_duty(value: int) -> int:
    if value not in DUTIES:
        raise ValueError(f"职责编号 {value} 不存在，应为第四条所列 1–9 项之一")
    return value


class _Text(Input):
    """Every text field is stripped, so that blanks count as missing."""

    @field_validator("*", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class ServiceItemIn(_Text):
    title: str = Field(min_length=1, max_length=120, title="服务名称")
    description: str = Field(default="", max_length=4000, title="服务内容")
    duties: list[int] = Field(title="对应职责")
    audience: str = Field(default="", max_length=120, title="服务对象")
    charge: str = Field(default="免费", max_length=120, title="收费标准")

    @field_validator("duties")
    @classmethod
    def _duties(cls, value: list[int]) -> list[int]:
        if not value:
            raise ValueError("至少选择一项对应的第四条职责")
        return sorted({_check_duty(v) for v in value})


class ServiceItemForm(ServiceItemIn):
    """The HTML form sends one checkbox per duty (``duty_3=on``), as a form field cannot repeat here."""

    @model_validator(mode="before")
    @classmethod
    def _collect_duties(cls, data: object) -> object:
        if isinstance(data, dict) and "duties" not in data:
            picked = [int(k[5:]) for k in data if k.startswith("duty_") and k[5:].isdigit()]
            data = {**data, "duties": picked}
        return data


class WorkPlanIn(_Text):
    year: int = Field(ge=2000, le=2100, title="年度")
    summary: str = Field(default="", max_length=4000, title="计划概述")


class PlanItemIn(_Text):
    title: str = Field(min_length=1, max_length=160, title="工作事项")
    duty: int = Field(title="对应职责")
    target: str = Field(default="", max_length=200, title="预期目标")
    due_on: date = Field(title="计划完成日期")

    @field_validator("duty")
    @classmethod
    def _duty(cls, value: int) -> int:
        return _check_duty(value)


class PlanItemDone(_Text):
    done_on: date = Field(title="完成日期")
    outcome: str = Field(min_length=1, max_length=4000, title="完成情况")


class PlanItemDrop(_Text):
    reason: str = Field(min_length=1, max_length=4000, title="取消原因")


class PublishIn(Input):
    published: bool


class FundingIn(_Text):
    title: str = Field(min_length=1, max_length=160, title="项目名称")
    year: int = Field(ge=2000, le=2100, title="年度")
    source: FundingSource = Field(title="资金来源")
    # Entered in 万元 as the bureaus write it; stored in whole yuan (4 decimals of 万元 = 1 yuan).
    amount_wan: Decimal = Field(gt=0, le=Decimal("99999999"), title="金额（万元）")
    note: str = Field(default="", max_length=2000, title="备注")

    @field_validator("amount_wan")
    @classmethod
    def _whole_yuan(cls, value: Decimal) -> Decimal:
        if (value * YUAN_PER_WAN) % 1:
            raise ValueError("金额以万元为单位，最多保留 4 位小数（精确到元）")
        return value

    @property
    def amount_yuan(self) -> int:
        return money.yuan(self.amount_wan)


class ServiceItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    center_id: int
    title: str
    description: str
    duties: list[int]
    audience: str
    charge: str
    published: bool

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented form; mypy has no plugin here
    @property
    def duty_labels(self) -> list[str]:
        return [DUTIES[d] for d in self.duties if d in DUTIES]


class PlanItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    duty: int
    target: str
    due_on: date
    state: str
    state_label: str
    done_on: date | None
    outcome: str

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented form; mypy has no plugin here
    @property
    def status(self) -> str:
        """= state, the key API clients read before the state column had one name everywhere."""
        return self.state

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented form; mypy has no plugin here
    @property
    def status_label(self) -> str:
        return self.state_label


class WorkPlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    center_id: int
    year: int
    summary: str
    published: bool
    items: list[PlanItemOut]


class FundingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    center_id: int
    title: str
    year: int
    source: str
    source_label: str
    amount_yuan: int
    note: str
