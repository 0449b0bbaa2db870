"""Input and output shapes for patents and industry databases."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ipoc.schemas import Id, Input, Timestamp


def _split_list(value: object) -> object:
    """Forms send one text box: items separated by commas, semicolons, 、 or new lines (not spaces: an IPC
    code is written "C22C 33/02")."""
    if isinstance(value, str):
        return [item.strip() for item in re.split(r"[,;，；、\r\n]+", value) if item.strip()]
    return value


class IndustryDatabaseIn(Input):
    name: str = Field(min_length=2, max_length=120, title="专题库名称")
    industry_id: Id = Field(title="所属产业")
    center_id: Id | None = Field(default=None, title="所属运营中心")
    ipc_prefixes: list[str] = Field(default_factory=list, max_length=200, title="IPC 前缀")
    keywords: list[str] = Field(default_factory=list, max_length=200, title="关键词")
    description: str = Field(default="", max_length=2000, title="说明")

    _lists = field_validator("ipc_prefixes", "keywords", mode="before")(_split_list)


class LegalEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    kind_label: str
    event_date: date | None
    detail: dict[str, Any]


class FieldSourceOut(BaseModel):
    """The import a field last came from."""

    model_config = ConfigDict(from_attributes=True)

    job_id: int
    file: str = Field(description="the imported file's name; '' when the job record is gone")
    tool: str = Field(description="the export tool's key (cnipa, incopat, patsnap, cnki, google, sixty, other)")
    tool_label: str
    imported_at: Timestamp | None


class FamilyMemberOut(BaseModel):
    """A member of the patent's simple family: stored (``link`` to its page) or only named in 同族 (未收录)."""

    model_config = ConfigDict(from_attributes=True)

    office: str
    office_name: str
    number: str = Field(description="publication number (or the stored record's key where it has none)")
    kind_code: str
    kind_label: str
    status_label: str = Field(description="the stored record's status; 未收录 when not stored")
    link: str | None


class PatentOut(BaseModel):
    """Public bibliographic data of a patent (all of it is published by the patent office)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    application_no: str = Field(
        description="the record's key: the CN application number, else the publication number, else a source key"
        " (SRC-…) for a record that carries no patent number (see number_label)"
    )
    number_label: str = Field(
        description="申请号, or 公开号 for a document known only by its publication number, or 无专利号 for a record"
        " known only by the export's own id (source_id)"
    )
    source_id: str | None = Field(
        default=None, description="the export's own id of a record known by no patent number (来源编号), as written"
    )
    office: str = Field(description="the office's code: CN, US, EP, WO, JP, KR, TW …; empty when nothing tells")
    family_key: str | None = Field(description="shared by the members of one simple family")
    publication_no: str | None
    grant_no: str | None
    kind: str | None
    title: str
    abstract: str | None
    claims: str | None
    first_claim: str | None
    ipc_main: str | None
    ipc_codes: list[str]
    ipc_invalid: list[str]
    applicants: list[str]
    patentees: list[str] = Field(description="the export's 当前权利人/专利权人 column; /rights gives the holding")
    inventors: list[str]
    address: str | None
    province: str | None
    region: str | None
    application_date: date | None
    publication_date: date | None
    grant_date: date | None
    legal_status: str | None
    status_class: str | None
    fee_paid_through: date | None
    priority: str | None
    family: str | None
    family_size: int | None
    cited_count: int | None
    citing_count: int | None
    events: list[LegalEventOut]
    extra: dict[str, str] = Field(description="the export's columns no field carries, verbatim, by header")
    sources: dict[str, FieldSourceOut] = Field(
        default_factory=dict, description="field (or extra:<header>) → the import it last came from"
    )
    family_members: list[FamilyMemberOut] = Field(default_factory=list, description="the simple family, CN first")

    @field_validator("applicants", mode="before")
    @classmethod
    def _names(cls, value: object) -> object:
        return [getattr(a, "name", a) for a in value] if isinstance(value, list) else value

    @field_validator("region", mode="before")
    @classmethod
    def _region_name(cls, value: object) -> object:
        return getattr(value, "name", value)


class IndustryDatabaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    industry_id: int
    center_id: int | None
    ipc_prefixes: list[str]
    keywords: list[str]
    description: str


class HolderOut(BaseModel):
    name: str
    organisation_id: int | None
    source: str = Field(description="导入 | 登记 | 转让记录")
    since: date | None


class LicenceOut(BaseModel):
    kind: str = Field(description="exclusive | sole | ordinary | '' (not stated)")
    kind_label: str
    licensee: str
    start: date | None
    end: date | None
    territory: str = Field(description="'' means the whole of China")
    source: str
    since: date | None


class PledgeOut(BaseModel):
    pledgee: str
    amount: str
    source: str
    since: date | None


class SuspensionOut(BaseModel):
    reason: str
    since: date | None
    source: str


class HoldingOut(BaseModel):
    """Who holds the patent on ``on`` and what binds it; contract-based licences and pledges only for staff."""

    patent_id: int
    application_no: str
    on: date
    patentees: list[HolderOut]
    applicants: list[str]
    co_owned: bool
    licences: list[LicenceOut]
    pledges: list[PledgeOut]
    suspended: bool
    suspension: SuspensionOut | None
    lapsed: bool
    invalidated: bool
    open_licence: bool


class RightsEventIn(Input):
    """A legal event recorded by hand: 中止 (reason 权属纠纷 dispute / 财产保全 preservation / other) and its end,
    or a transfer, licence, pledge or pledge release recorded with CNIPA but not yet in an export."""

    kind: Literal["suspension", "suspension_end", "transfer", "licence", "pledge", "pledge_release"]
    event_date: date = Field(title="日期")
    reason: str = Field(default="", max_length=200, title="中止原因")
    to: str = Field(default="", max_length=200, title="受让人")
    type: Literal["", "exclusive", "sole", "ordinary"] = Field(default="", title="许可类型")
    licensee: str = Field(default="", max_length=200, title="被许可人")
    term_start: date | None = Field(default=None, title="许可期限起")
    term_end: date | None = Field(default=None, title="许可期限止")
    territory: str = Field(default="", max_length=200, title="地域范围")
    pledgee: str = Field(default="", max_length=200, title="质权人")
    amount: str = Field(default="", max_length=200, title="金额")
    note: str = Field(default="", max_length=200, title="说明")

    def detail(self) -> dict[str, str]:
        values = self.model_dump(exclude={"kind", "event_date"})
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items() if v not in (None, "")}


class DecisionIn(Input):
    approve: bool = Field(title="确认")
    note: str = Field(default="", max_length=2000, title="说明")
