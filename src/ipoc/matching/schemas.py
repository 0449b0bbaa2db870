"""Input and output shapes of matches. The decision's action and reason are checked in the service, which
answers unknown actions and missing reasons in Chinese for the API and the pages alike."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from ipoc.schemas import Id, Input, Timestamp


class DecisionIn(Input):
    action: str = Field(min_length=1, max_length=16, title="操作")
    reason: str = Field(default="", max_length=40, title="理由")
    note: str = Field(default="", max_length=1000, title="说明")
    forward_to_org_id: Id | None = Field(default=None, title="转交单位")

    @field_validator("action", "reason", "note", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("forward_to_org_id", mode="before")
    @classmethod
    def _blank(cls, value: object) -> object:
        return None if value == "" else value


class TargetOut(BaseModel):
    kind: str
    kind_label: str
    id: int
    label: str
    detail: str
    path: str | None


class MatchOut(BaseModel):
    id: int
    demand_id: int | None
    offer_id: int | None
    center_id: int | None
    target: TargetOut
    application_no: str | None = None
    rank: int
    score: float
    confidence: float
    confidence_label: str
    reasons: list[str]
    state: str
    state_label: str
    status: str  # = state, the key API clients read before
    status_label: str
    decision_reason: str
    reason_code: str | None
    forwarded_to_org_id: int | None
    decided_at: Timestamp | None
    contact_path: str | None = None
