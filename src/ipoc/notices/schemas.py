"""Input and output shapes of public notices and objections. Public shapes never carry a filer's contact."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from ipoc.schemas import Id, Input, Timestamp


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class NoticeFields(Input):
    """What the region admin sets on a draft notice; the end date is computed on the working-day calendar."""

    starts_on: date | None = Field(default=None, title="公示开始日期", description="默认为当日")
    title: str | None = Field(default=None, max_length=160, title="标题", description="留空则按年度生成")
    contact: str = Field(min_length=1, max_length=200, title="异议受理单位及联系方式")

    _clean = field_validator("title", "contact", mode="before")(_strip)


class NoticeCreate(NoticeFields):
    call_id: Id = Field(title="申报批次")
    application_ids: list[Id] = Field(min_length=1, title="列入公示的申报（须为拟认定名单状态）")


class NoticeEntry(BaseModel):
    """One dossier on a notice, with the name the center will carry once recognised. Its workflow state
    (which would tell the public that an objection was filed or upheld) is for the region admin only."""

    application_id: int
    proposed_name: str
    org_name: str
    industry: str
    region: str
    state: str | None = Field(default=None, description="仅自治区局可见")
    state_label: str | None = Field(default=None, description="仅自治区局可见")


class NoticeSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    call_id: int
    title: str
    starts_on: date
    ends_on: date
    working_days: int
    first_day: str
    window_label: str
    published_at: Timestamp | None


class NoticeOut(NoticeSummary):
    body: str
    contact: str
    open_for_objections: bool = Field(description="今日是否在公示期内（可提出异议）")
    entries: list[NoticeEntry]


class ObjectionIn(Input):
    """An objection to one dossier on the notice; name and contact are required but never published."""

    application_id: Id = Field(title="异议对象")
    filer_name: str = Field(min_length=1, max_length=80, title="姓名或单位名称")
    filer_contact: str = Field(min_length=5, max_length=120, title="联系方式")
    content: str = Field(min_length=5, max_length=5000, title="异议内容及理由")

    _clean = field_validator("filer_name", "filer_contact", "content", mode="before")(_strip)


class ObjectionReceipt(BaseModel):
    """What the filer gets back: a receipt number, nothing of anyone else's objection."""

    model_config = ConfigDict(from_attributes=True)

    receipt_no: str
    notice_id: int
    application_id: int
    created_at: Timestamp


class ObjectionOut(ObjectionReceipt):
    """The full objection, for the region admin only."""

    id: int
    filer_name: str
    filer_contact: str
    content: str
    state: str
    resolution: str
    resolved_at: Timestamp | None

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented form; mypy has no plugin here
    @property
    def status(self) -> str:
        """= state, the key API clients read before the state column had one name everywhere."""
        return self.state


class NoticeAdminOut(NoticeOut):
    objections: list[ObjectionOut]


class ObjectionResolve(Input):
    outcome: Literal["dismissed", "upheld"] = Field(
        title="处理结论", description="dismissed 异议不成立；upheld 异议成立"
    )
    resolution: str = Field(min_length=1, max_length=2000, title="处理意见")

    _clean = field_validator("resolution", mode="before")(_strip)


class RecognitionOut(BaseModel):
    application_id: int
    state: str
    center_id: int
    center_name: str
