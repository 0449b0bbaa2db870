"""Input and output shapes of stock batches, their rows, overrides, groups and reports."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from ipoc.schemas import Id, Input
from ipoc.transfer.schemas import OfferIn

Action = Literal["recommend", "open_licence", "abandon", "manual"]


class _Stripped(Input):
    @field_validator("*", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class BatchIn(_Stripped):
    """``org_id`` is for center staff acting for a university; ``center_id`` a member's handling center."""

    title: str = Field(min_length=2, max_length=200, title="批次名称")
    note: str = Field(default="", max_length=2000, title="说明")
    org_id: Id | None = Field(default=None, title="高校或科研院所")
    center_id: Id | None = Field(default=None, title="协助的运营中心")


class StockRowIn(Input):
    """One listed patent sent as JSON; the number is checked by the intake, which reports a bad one as a
    bad row like a file's, so JSON and files give the same report."""

    application_no: str = Field(max_length=100)
    college: str = ""
    contact: str = ""
    note: str = ""
    title: str = ""


class OverrideIn(_Stripped):
    action: Action | None = Field(default=None, title="处置意见")
    note: str = Field(min_length=2, max_length=1000, title="理由")


class GroupIn(OfferIn):
    """The offer's plain-language fields; the patents come from the selected stock rows."""

    application_nos: list[str] = Field(default_factory=list)
    row_ids: list[Id] = Field(min_length=1, max_length=200, title="选中的专利")


class IssueOut(BaseModel):
    row: int
    field: str
    reason: str
    value: str


class IntakeOut(BaseModel):
    id: int
    batch_id: int
    source: str
    rows: int
    added: int
    linked: int
    unlinked: int
    duplicates: int
    bad: int
    issues: list[IssueOut]


class BatchOut(BaseModel):
    id: int
    org: str
    center_id: int | None
    title: str
    note: str
    patents: int


class StockRowOut(BaseModel):
    id: int
    application_no: str
    linked: bool
    title: str
    college: str
    contact: str
    note: str
    status_class: str | None
    status: str
    kind: str | None
    ipc_section: str | None
    ipc_class: str | None
    expires_on: date | None
    remaining_years: float | None
    indicators: dict
    suggestion: str | None
    reasons: list[str]
    override: str | None
    override_note: str
    action: str | None
    action_label: str
    offer_id: int | None
    screened_on: date | None
    holder_state: str | None  # own | authorised | other (非本单位: never grouped or offered)
    holders: str  # the current patentees when screened


class ReportOut(BaseModel):
    batch_id: int
    total: int
    # (label, count) pairs; a list, not a tuple: OpenAPI 3.0 tools cannot read a tuple's schema (prefixItems)
    breakdowns: dict[str, list[Annotated[list[str | int], Field(min_length=2, max_length=2)]]]
