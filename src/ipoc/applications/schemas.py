"""Input and output shapes for calls and recognition dossiers."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ipoc.applications.models import CONDITIONS
from ipoc.files.schemas import AttachmentOut
from ipoc.schemas import Id, Input, Timestamp

# Spelt out for the type checker; tests/test_applications.py keeps them equal to the models' label tables.
BuilderType = Literal["leading_enterprise", "industrial_park", "university_institute", "industry_association"]
Route = Literal["via_bureau", "direct"]

_CONDITION_KEY = re.compile(r"^condition_(\d)$")


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class CallIn(Input):
    """A yearly call: the region bureau opens it for a window of dates."""

    year: int = Field(ge=2000, le=2100, title="年度")
    title: str = Field(min_length=2, max_length=120, title="批次名称")
    opens_on: date = Field(title="申报开始日期")
    closes_on: date = Field(title="申报截止日期")
    note: str = Field(default="", max_length=2000, title="说明")

    @field_validator("title", "note", mode="before")
    @classmethod
    def _trim(cls, value: object) -> object:
        return _strip(value)


class CallOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    year: int
    title: str
    opens_on: date
    closes_on: date
    note: str
    status: str
    status_label: str


class _DossierText(Input):
    participants: str = Field(default="", max_length=2000, title="参与单位")
    construction_plan: str = Field(default="", max_length=20000, title="建设方案")
    team: str = Field(default="", max_length=5000, title="人才队伍")
    team_size: int = Field(default=0, ge=0, le=100_000, title="团队人数")
    funds_yuan: int = Field(default=0, ge=0, le=10**12, title="专门工作经费（元）")
    funds_note: str = Field(default="", max_length=2000, title="经费说明")

    @model_validator(mode="before")
    @classmethod
    def _collect_conditions(cls, data: Any) -> Any:
        """A web form posts the five statements as condition_1 … condition_5; the API sends ``conditions``."""
        if not isinstance(data, dict) or not any(_CONDITION_KEY.match(str(k)) for k in data):
            return data
        data = dict(data)
        conditions = dict(data.get("conditions") or {})
        for key in [k for k in data if _CONDITION_KEY.match(str(k))]:
            conditions[int(key.rpartition("_")[2])] = data.pop(key)
        data["conditions"] = conditions
        return data

    @field_validator("participants", "construction_plan", "team", "funds_note", mode="before")
    @classmethod
    def _trim(cls, value: object) -> object:
        return _strip(value)


def _check_conditions(value: dict[int, str]) -> dict[int, str]:
    unknown = set(value) - set(CONDITIONS)
    if unknown:
        raise ValueError(f"条件编号只能是 1–5，收到 {sorted(unknown)}")
    too_long = [n for n, text in value.items() if len(text) > 5000]
    if too_long:
        raise ValueError(f"条件（{too_long[0]}）的情况说明最多 5000 个字符")
    return {n: text.strip() for n, text in value.items()}


class DossierIn(_DossierText):
    """The whole dossier as the applicant fills it in (the edit form replaces every field)."""

    builder_type: BuilderType = Field(title="建设主体类型")
    industry_id: Id = Field(title="所服务产业")
    route: Route = Field(default="via_bureau", title="申报路径")
    conditions: dict[int, str] = Field(default_factory=dict, title="五项条件的情况说明（编号 1–5）")

    @field_validator("conditions")
    @classmethod
    def _valid_conditions(cls, value: dict[int, str]) -> dict[int, str]:
        return _check_conditions(value)


class ApplicationIn(DossierIn):
    call_id: Id = Field(title="申报批次")


class ApplicationPatch(_DossierText):
    """A partial edit over the API: only the fields sent change; condition statements by number."""

    builder_type: BuilderType | None = None
    industry_id: Id | None = None
    route: Route | None = None
    conditions: dict[int, str] | None = None

    @field_validator("conditions")
    @classmethod
    def _valid_conditions(cls, value: dict[int, str] | None) -> dict[int, str] | None:
        return None if value is None else _check_conditions(value)


class ActionIn(Input):
    reason: str = Field(default="", max_length=2000, title="理由")


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    label: str
    from_state: str
    to_state: str
    to_state_label: str
    reason: str
    actor_label: str
    at: Timestamp


class ActionOut(BaseModel):
    action: str
    label: str
    reason_required: bool


class ConditionOut(BaseModel):
    number: int
    title: str
    statement: str
    evidence: list[AttachmentOut]


class ApplicationSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    call_id: int
    call_title: str
    org_id: int
    org_name: str
    region_id: int
    region_name: str
    industry_id: int
    industry_name: str
    builder_type: str
    route: str
    state: str
    state_label: str
    submitted_at: Timestamp | None
    expert_score: float | None
    expert_rank: int | None
    filing_copy: bool = Field(description="盟市局持有的备案件：可阅，不可办理")


class ApplicationOut(ApplicationSummary):
    participants: str
    construction_plan: str
    team: str
    team_size: int
    funds_yuan: int
    funds_note: str
    returned_from: str | None
    conditions: list[ConditionOut]
    other_attachments: list[AttachmentOut]
    timeline: list[EventOut]
    actions: list[ActionOut]
