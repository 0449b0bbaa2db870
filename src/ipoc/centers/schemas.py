"""Input and output shapes of the centers domain."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ipoc.schemas import Id, Input, Timestamp

SUB_CENTER_REFUSAL = "运营中心不得自行设立分中心（第十三条）"
# Fields a request could use to hang a center under another one; there is no such relation (Art. 13).
PARENT_FIELDS = ("parent", "parent_id", "parent_center_id")
MAX_YUAN = 10**13  # ten trillion yuan: far above any real figure, well inside BIGINT
Text = Field(default="", max_length=10_000)

Outcome = Literal["showcase", "pass", "rectify"]  # the keys of centers.models.OUTCOMES


class Strict(Input):
    """Unknown fields are refused, not ignored: a request must not smuggle in what the rules forbid."""

    model_config = ConfigDict(extra="forbid")


class CenterRegistration(Strict):
    """The region bureau records a center it recognised before the platform existed."""

    industry_id: Id = Field(title="所属产业")
    builder_org_id: Id = Field(title="建设主体")
    region_id: Id = Field(title="所在盟市")
    recognised_on: date = Field(title="认定日期")
    direct: bool = Field(default=False, title="自治区级以上单位直接申报")
    # The name in the original decision, when it differs from the generated one; checked all the same.
    name: str | None = Field(default=None, min_length=2, max_length=120, title="中心名称")

    @model_validator(mode="before")
    @classmethod
    def _no_parent(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(key in data for key in PARENT_FIELDS):
            raise ValueError(SUB_CENTER_REFUSAL)
        return data


class NoFields(Strict):
    """A step with nothing to fill in (submitting the saved report)."""


class SelfEvaluationStart(Strict):
    year: int = Field(ge=2000, le=2100, title="年度")


class SelfEvaluationIn(Strict):
    summary: str = Text
    achievements: str = Text
    problems: str = Text
    next_steps: str = Text
    conversion_amount_yuan: int = Field(default=0, ge=0, le=MAX_YUAN, title="年度转化运营金额（元，自报）")
    conversion_projects: int = Field(default=0, ge=0, le=100_000, title="转化、产业化项目数（个，自报）")


class AuditIn(Strict):
    approve: bool
    note: str = Field(default="", max_length=2000)


class EvaluationIn(Strict):
    year: int = Field(ge=2000, le=2100, title="年度")
    outcome: Outcome = Field(title="评估结果")
    panel_id: Id | None = Field(default=None, title="绩效评估专家组")
    note: str = Field(default="", max_length=5000)
    requirements: str = Field(default="", max_length=5000, title="整改要求")
    deadline: date | None = Field(default=None, title="整改期限")


class RectificationReportIn(Strict):
    report: str = Field(min_length=1, max_length=10_000, title="整改报告")


class RectificationDecisionIn(Strict):
    passed: bool
    note: str = Field(default="", max_length=5000)


class RevocationIn(Strict):
    reason: str = Field(min_length=1, max_length=24, title="取消资格原因")
    detail: str = Field(min_length=1, max_length=10_000, title="事实与依据")


# --- output -------------------------------------------------------------------------------------------


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RevocationPublic(Out):
    reason: str
    reason_label: str
    decided_on: date


class EvidenceOut(Out):
    id: int
    filename: str
    size: int


class RevocationOut(RevocationPublic):
    id: int
    detail: str
    evidence: list[EvidenceOut] = []


class SelfEvaluationOut(Out):
    id: int
    center_id: int
    year: int
    deadline: date
    state: str
    state_label: str
    # = state and its label, the keys API clients read before
    status: str = Field(validation_alias="state", serialization_alias="status")
    status_label: str = Field(validation_alias="state_label", serialization_alias="status_label")
    late: bool
    figures: dict[str, Any]
    summary: str
    achievements: str
    problems: str
    next_steps: str
    conversion_amount_yuan: int
    conversion_projects: int
    submitted_at: Timestamp | None
    submitted_on: date | None
    audited_at: Timestamp | None
    audit_note: str


class EvaluationOut(Out):
    id: int
    center_id: int
    year: int
    panel_id: int | None
    score: float | None
    outcome: str
    outcome_label: str
    note: str


class RectificationOut(Out):
    id: int
    center_id: int
    evaluation_id: int
    requirements: str
    deadline: date
    state: str
    state_label: str
    # = state and its label, the keys API clients read before
    status: str = Field(validation_alias="state", serialization_alias="status")
    status_label: str = Field(validation_alias="state_label", serialization_alias="status_label")
    report: str
    reported_at: Timestamp | None
    decision_note: str
    decided_at: Timestamp | None


class CenterOut(Out):
    """What anyone may see of a center: it is a public record."""

    id: int
    name: str
    industry_id: int
    industry: str
    builder_org_id: int
    builder: str
    region_id: int
    region: str
    state: str
    state_label: str
    # = state and its label, the keys API clients read before
    status: str = Field(validation_alias="state", serialization_alias="status")
    status_label: str = Field(validation_alias="state_label", serialization_alias="status_label")
    direct: bool
    recognised_on: date | None
    period_start: date | None
    period_end: date | None
    revocation: RevocationPublic | None = None


class CenterDetail(CenterOut):
    """With the internal records the caller may read; ``None`` where they may not."""

    self_evaluations: list[SelfEvaluationOut] | None = None
    evaluations: list[EvaluationOut] | None = None
    rectifications: list[RectificationOut] | None = None
    revocation_detail: RevocationOut | None = None


class NationalRowOut(BaseModel):
    center_id: int
    name: str
    outcome: str | None
    score: float | None
    conversion_amount_yuan: int | None
    conversion_year: int | None
    conversion_projects: int
    status: str
    eligible: bool  # the threshold is met and nothing bars the center
    threshold_met: bool
    reasons: list[str]  # why not eligible: revoked, under rectification, ordered to rectify, below the threshold
    source: str
    reported_amount_yuan: int | None  # the audited self-evaluations' own figures, for comparison
    reported_year: int | None
    reported_projects: int
