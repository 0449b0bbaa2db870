"""Input and output shapes for patents and industry databases."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ipoc.schemas import Id, Input


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


class PatentOut(BaseModel):
    """Public bibliographic data of a patent (all of it is published by the patent office)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    application_no: str
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
