"""Input and output shapes of expert review: score sheets, panels, conflicts, scores, results."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ipoc.schemas import Id, Input, Timestamp

PanelKind = Literal["recognition", "performance"]


class _Stripped(Input):
    """Text fields arrive from forms with stray spaces; a name of spaces only is no name."""

    @field_validator("*", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class IndicatorIn(_Stripped):
    """One row of a score sheet; the service checks the rules (weights sum to 100 …) with Chinese messages."""

    code: str = Field(max_length=20, title="代码")
    label: str = Field(max_length=80, title="指标")
    weight: float = Field(allow_inf_nan=False, title="权重")
    max: float = Field(allow_inf_nan=False, title="满分")


class SheetRevision(_Stripped):
    """A new version of a sheet: the indicators only; name and kind stay those of the sheet."""

    indicators: list[IndicatorIn] = Field(max_length=50)


class SheetIn(SheetRevision):
    name: str = Field(min_length=1, max_length=80, title="评分表名称")
    kind: PanelKind = Field(title="评审类型")


class Indicator(BaseModel):
    code: str
    label: str
    weight: float
    max: float


class SheetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    version: int
    kind: PanelKind
    indicators: list[Indicator]


class PanelIn(_Stripped):
    """A panel: for a call (recognition) or a year (performance), scored with one sheet version."""

    kind: PanelKind = Field(title="评审类型")
    name: str = Field(min_length=1, max_length=120, title="评审组名称")
    call_id: Id | None = Field(default=None, title="申报批次")
    year: int | None = Field(default=None, ge=2000, le=2100, title="评估年度")
    sheet_id: Id = Field(title="评分表")
    # None: the instance's setting (review_min_scores, 3 unless configured otherwise).
    min_scores: int | None = Field(default=None, ge=1, le=50, title="每个评审对象至少需要的有效评分数")
    expert_ids: list[Id] = Field(default_factory=list, max_length=100, title="评审专家")


class MemberIn(Input):
    expert_id: Id = Field(title="评审专家")


class ConflictIn(Input):
    """An expert's declaration: organisations they have a conflict of interest with (may be none)."""

    org_ids: list[Id] = Field(default_factory=list, max_length=200, title="回避单位")
    note: str = Field(default="", max_length=2000, title="说明")


class ConflictLift(_Stripped):
    """The region bureau lifts one declared conflict; the reason is kept in the audit trail."""

    reason: str = Field(min_length=1, max_length=2000, title="解除理由")


class ScoreIn(Input):
    """Points per indicator code, a comment; ``submit`` makes the score final."""

    items: dict[str, float] = Field(default_factory=dict, max_length=50)
    comment: str = Field(default="", max_length=4000, title="评审意见")
    submit: bool = False

    @field_validator("items")
    @classmethod
    def _finite(cls, value: dict[str, float]) -> dict[str, float]:
        if any(v != v or v in (float("inf"), float("-inf")) for v in value.values()):
            raise ValueError("得分必须是有限的数字")
        return value


class DecisionIn(Input):
    reason: str = Field(default="", max_length=2000, title="理由")


class DecisionForm(DecisionIn):
    """The results page's buttons: shortlist, or reject after review (reason required)."""

    action: Literal["shortlist", "reject_review"] = Field(title="决定")


class ScoreOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    panel_id: int
    application_id: int | None
    center_id: int | None
    items: dict[str, float]
    total: float
    comment: str
    submitted_at: Timestamp | None


class ConflictOut(BaseModel):
    org_ids: list[int]
    note: str
    declared_at: Timestamp | None


class MemberProgressOut(BaseModel):
    """What the region admin sees of an open panel: who has done how much, never the values."""

    expert_id: int
    expert_name: str
    declared_at: Timestamp | None
    conflict_org_ids: list[int]
    assigned: int
    submitted: int


class PanelOut(BaseModel):
    id: int
    kind: PanelKind
    name: str
    call_id: int | None
    year: int | None
    state: str
    status: str  # = state, the key API clients read before
    closed_at: Timestamp | None
    min_scores: int
    sheet: SheetOut
    # Region admin only: members with their progress.
    members: list[MemberProgressOut] | None = None
    # Expert only: their own declaration.
    my_conflicts: ConflictOut | None = None


class SubjectOut(BaseModel):
    subject_id: int
    label: str
    score_id: int | None
    submitted: bool


class AssignmentOut(BaseModel):
    panel_id: int
    panel_name: str
    kind: PanelKind
    state: str
    status: str  # = state, the key API clients read before
    declared: bool
    subjects: list[SubjectOut]


class ExpertTotalOut(BaseModel):
    label: str
    total: float
    items: dict[str, float]
    comment: str
    outlier: bool


class ResultOut(BaseModel):
    subject_id: int
    label: str
    n: int
    mean: float
    stdev: float
    min: float
    max: float
    spread: float
    rank: int
    wide_spread: bool
    outliers: list[str]
    totals: list[ExpertTotalOut]
