"""Input and output shapes of demands and offers. Budgets and prices are entered in 万元 (as people quote
them) and stored in yuan; modes and patent numbers come as lists or as one comma/space separated text."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, field_validator

from ipoc.schemas import Id, Input

Mode = Literal["transfer", "licence", "joint_rd", "equity"]
Wan = Annotated[Decimal | None, Field(default=None, ge=0, le=10_000_000, decimal_places=4)]


def _split(value: object) -> object:
    """A form sends one text; the API may send a list."""
    if isinstance(value, str):
        return [part for part in re.split(r"[\s,，;；、]+", value) if part]
    return value


Modes = Annotated[list[Mode], BeforeValidator(_split), Field(min_length=1, title="合作方式")]


class _Stripped(Input):
    @field_validator("*", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class DemandIn(_Stripped):
    """What an organisation (or the center on its behalf) records; ``org_id`` only for center staff."""

    org_id: Id | None = Field(default=None, title="需求单位")
    center_id: Id | None = Field(default=None, title="承办运营中心")
    title: str = Field(min_length=2, max_length=200, title="需求名称")
    problem: str = Field(min_length=2, max_length=4000, title="要解决的问题")
    desired_effect: str = Field(min_length=2, max_length=4000, title="期望效果")
    industry_id: Id | None = Field(default=None, title="所属产业")
    keywords: str = Field(default="", max_length=500, title="技术领域关键词")
    ipc_hints: str = Field(default="", max_length=200, title="IPC 分类提示")
    constraints: str = Field(default="", max_length=4000, title="约束条件")
    budget_min_wan: Wan = None
    budget_max_wan: Wan = None
    modes: Modes
    deadline: date | None = Field(default=None, title="截止日期")
    public_summary: str = Field(min_length=2, max_length=2000, title="公开摘要")
    confidential_detail: str = Field(default="", max_length=8000, title="保密详情")


class OfferIn(_Stripped):
    title: str = Field(min_length=2, max_length=200, title="成果名称")
    problem_solved: str = Field(min_length=2, max_length=4000, title="解决的问题")
    advantage: str = Field(min_length=2, max_length=4000, title="相比现有做法的优势")
    trl: int = Field(ge=1, le=9, title="技术成熟度（TRL）")
    field: str = Field(min_length=2, max_length=200, title="应用领域")
    products: str = Field(min_length=2, max_length=2000, title="适用产品")
    expected_terms: str = Field(default="", max_length=2000, title="期望合作条件")
    industry_id: Id | None = Field(default=None, title="所属产业")
    modes: Modes
    price_min_wan: Wan = None
    price_max_wan: Wan = None
    application_nos: Annotated[list[str], BeforeValidator(_split)] = Field(
        min_length=1, max_length=200, title="涉及专利（申请号）"
    )


class DemandOut(BaseModel):
    id: int
    org: str
    center_id: int | None
    title: str
    problem: str
    desired_effect: str
    industry: str | None
    keywords: str
    ipc_hints: str
    constraints: str
    budget_min_yuan: int | None
    budget_max_yuan: int | None
    modes: list[str]
    deadline: date | None
    public_summary: str
    state: str
    status: str  # = state, the key API clients read before
    confidential_detail: str | None  # None: not for this caller


class OfferPatentOut(BaseModel):
    application_no: str
    title: str
    patentees: list[str]  # the current patentees (patents.rights), not the original applicants


class OfferOut(BaseModel):
    id: int
    org: str
    title: str
    problem_solved: str
    advantage: str
    trl: int
    trl_label: str
    field: str
    products: str
    expected_terms: str
    industry: str | None
    modes: list[str]
    price_min_yuan: int | None
    price_max_yuan: int | None
    application_nos: list[str]
    patents: list[OfferPatentOut]
    state: str
    status: str  # = state, the key API clients read before


class InboxMatch(BaseModel):
    id: int
    source: str
    target: str
    score: float
    confidence: float
    reasons: list[str]


class InboxDeal(BaseModel):
    id: int
    title: str
    stage: str
    idle_days: int


class InboxItem(BaseModel):
    id: int
    title: str


class InboxOut(BaseModel):
    matches: list[InboxMatch]
    deals: list[InboxDeal]
    unmatched_demands: list[InboxItem]
    events: list[InboxItem]
