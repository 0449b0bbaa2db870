"""Recognised centers and their 3-year life (Arts. 8–18): yearly self-evaluation and its audit, expert
performance evaluation, rectification, revocation."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ipoc.db import Base, Timestamped
from ipoc.labels import coded, named
from ipoc.orgs.models import Organisation
from ipoc.reference.models import Industry, Region
from ipoc.workflow import check_constraint


class CenterState(StrEnum):
    """A recognised center's life (Arts. 11, 18); the steps are ``ipoc.centers.flows``."""

    RECOGNIZED = "recognized"
    RECTIFYING = "rectifying"
    REVOKED = "revoked"
    CYCLE_ENDED = "cycle_ended"


class SelfEvaluationState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    AUDITED = "audited"


class RectificationState(StrEnum):
    OPEN = "open"
    REPORTED = "reported"
    PASSED = "passed"
    FAILED = "failed"


CENTER_STATUS: dict[str, str] = {
    CenterState.RECOGNIZED: "建设期",
    CenterState.RECTIFYING: "整改中",
    CenterState.REVOKED: "已取消资格",
    CenterState.CYCLE_ENDED: "建设期届满",
}
ACTIVE_STATUSES = frozenset({CenterState.RECOGNIZED, CenterState.RECTIFYING})

REVOCATION_REASONS = {
    "dishonesty": "严重失信",
    "data_falsification": "数据造假",
    "abnormal_filing": "非正常专利申请",
    "malicious_trademark": "商标恶意注册",
    "fund_misuse": "弄虚作假、挤占挪用、蒙骗套取或滞留资金",
    "leaking_secrets": "失泄密",
    "failed_rectification": "整改不合格",
}

SELF_EVAL_STATUS: dict[str, str] = {
    SelfEvaluationState.DRAFT: "填报中",
    SelfEvaluationState.SUBMITTED: "已报送待审核",
    SelfEvaluationState.RETURNED: "退回修改",
    SelfEvaluationState.AUDITED: "审核通过",
}
OUTCOMES = {"showcase": "优秀（典型案例宣传）", "pass": "合格", "rectify": "责令限期整改"}
RECTIFICATION_STATUS: dict[str, str] = {
    RectificationState.OPEN: "整改中",
    RectificationState.REPORTED: "已提交整改报告",
    RectificationState.PASSED: "整改合格",
    RectificationState.FAILED: "整改不合格",
}


class Center(Base, Timestamped):
    __tablename__ = "centers"
    __audited__ = True
    __label__ = "运营中心"
    __labels__ = named(
        name="中心名称",
        builder_org_id="建设主体",
        recognised_on="认定日期",
        decision_number="认定决定文号",
        application_id="认定所依据的申报",
        direct="自治区级以上单位直接申报",
        period_start="建设期起",
        period_end="建设期止",
        first_eval_year="首次评估年度",
        summary="简介",
        region_id="所在盟市",
    )
    __value_labels__ = coded(state=CENTER_STATUS)
    __state_field__ = "state"
    # Art. 8: a name is unique among centers that are not revoked; a revoked center's name may be reused.
    __table_args__ = (
        Index(
            "uq_centers_name_unrevoked",
            "name",
            unique=True,
            sqlite_where=text("state <> 'revoked'"),
            postgresql_where=text("state <> 'revoked'"),
        ),
        check_constraint(CenterState),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    industry_id: Mapped[int] = mapped_column(ForeignKey("industries.id"))
    builder_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=CenterState.RECOGNIZED)
    recognised_on: Mapped[date | None] = mapped_column(Date)
    # 发文字号 of the recognition decision, given when the platform recognised the center (none for one
    # recognised before the platform: its original decision has its own).
    decision_number: Mapped[str | None] = mapped_column(String(40))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id", use_alter=True))
    # Direct applicants (Art. 7(1)) report their self-evaluation straight to the region bureau (Art. 10).
    direct: Mapped[bool] = mapped_column(Boolean, default=False)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    first_eval_year: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(String(200), default="")

    industry: Mapped[Industry] = relationship(lazy="joined")
    builder: Mapped[Organisation] = relationship(lazy="joined")
    region: Mapped[Region] = relationship(lazy="joined")

    @property
    def state_label(self) -> str:
        return CENTER_STATUS.get(self.state, self.state)

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATUSES


class SelfEvaluation(Base, Timestamped):
    """A center's self-evaluation for one calendar year of its period (Art. 10)."""

    __tablename__ = "self_evaluations"
    __audited__ = True
    __label__ = "年度自评"
    __labels__ = named(
        figures="平台统计数据",
        summary="总体情况",
        achievements="主要成效",
        problems="存在问题",
        next_steps="下一步工作",
        conversion_amount_yuan="年度转化运营金额（自报）",
        conversion_projects="转化、产业化项目数（自报）",
        submitted_on="报送日期",
        audited_by_id="审核人",
        audited_at="审核时间",
        audit_note="审核意见",
        deadline="报送截止日期",
        service_items_published="已公布的公共服务事项数",
        plan_items_total="年度工作计划事项数",
        plan_items_done="已完成的工作计划事项数",
        funding_projects="专项资金支持项目数",
        funding_yuan="专项资金金额",
        ledger_conversion_yuan="台账转化运营金额",
        ledger_conversion_deals="台账签订合同数",
    )
    __value_labels__ = coded(state=SELF_EVAL_STATUS)
    __state_field__ = "state"
    __table_args__ = (UniqueConstraint("center_id", "year"), check_constraint(SelfEvaluationState))

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12), default=SelfEvaluationState.DRAFT)
    # Counts pre-filled from what the center recorded on the platform, as they were when submitted.
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[str] = mapped_column(Text, default="")
    achievements: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    # Self-reported until the deal records exist; the national threshold check uses them (Art. 14).
    conversion_amount_yuan: Mapped[int] = mapped_column(BigInteger, default=0)
    conversion_projects: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The (local) day of the first submission, which is what counts against the deadline.
    submitted_on: Mapped[date | None] = mapped_column(Date)
    audited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    audited_at: Mapped[datetime | None] = mapped_column(DateTime)
    audit_note: Mapped[str] = mapped_column(Text, default="")

    center: Mapped[Center] = relationship(lazy="joined")

    @property
    def state_label(self) -> str:
        return SELF_EVAL_STATUS.get(self.state, self.state)

    @property
    def late(self) -> bool:
        """Submitted after its deadline: accepted, but marked 逾期."""
        return self.submitted_on is not None and self.submitted_on > self.deadline


class PerformanceEvaluation(Base, Timestamped):
    """The region bureau's yearly performance evaluation of one center, with its outcome (Art. 10)."""

    __tablename__ = "performance_evaluations"
    __audited__ = True
    __label__ = "绩效评估"
    __labels__ = named(score="评估得分", outcome="评估结果", note="评估意见", panel_id="绩效评估专家组")
    __value_labels__ = coded(outcome=OUTCOMES)
    __table_args__ = (UniqueConstraint("center_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    panel_id: Mapped[int | None] = mapped_column(ForeignKey("panels.id"))
    score: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    center: Mapped[Center] = relationship(lazy="joined")

    @property
    def outcome_label(self) -> str:
        return OUTCOMES.get(self.outcome, self.outcome)


class Rectification(Base, Timestamped):
    """A rectification ordered by an evaluation, with its deadline; failing it revokes the status."""

    __tablename__ = "rectifications"
    __audited__ = True
    __label__ = "整改"
    __labels__ = named(
        evaluation_id="所依据的绩效评估",
        requirements="整改要求",
        deadline="整改期限",
        report="整改报告",
        reported_at="报告提交时间",
        decision_note="验收意见",
        notice_number="整改通知书文号",
        issued_on="整改通知日期",
    )
    __value_labels__ = coded(state=RECTIFICATION_STATUS)
    __state_field__ = "state"
    __table_args__ = (check_constraint(RectificationState),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), index=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("performance_evaluations.id"))
    requirements: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12), default=RectificationState.OPEN)
    report: Mapped[str] = mapped_column(Text, default="")
    reported_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The 整改通知书: its 发文字号 and date, given when the evaluation ordered the rectification.
    notice_number: Mapped[str | None] = mapped_column(String(40))
    issued_on: Mapped[date | None] = mapped_column(Date)

    center: Mapped[Center] = relationship(lazy="joined")

    @property
    def state_label(self) -> str:
        return RECTIFICATION_STATUS.get(self.state, self.state)


class Revocation(Base, Timestamped):
    """The decision that took a center's status away; evidence is in ``attachments`` (owner 'revocation')."""

    __tablename__ = "revocations"
    __audited__ = True
    __label__ = "取消资格"
    __labels__ = named(
        reason="取消资格原因", detail="事实与依据", decided_on="决定日期", decision_number="取消资格决定文号"
    )
    __value_labels__ = coded(reason=REVOCATION_REASONS)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(24))
    detail: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_on: Mapped[date] = mapped_column(Date)
    # 发文字号 of the 取消资格决定, given when the decision was taken.
    decision_number: Mapped[str | None] = mapped_column(String(40))

    @property
    def reason_label(self) -> str:
        return REVOCATION_REASONS.get(self.reason, self.reason)
