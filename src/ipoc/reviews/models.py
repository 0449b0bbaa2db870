"""Expert review (Art. 7(3)) and expert performance evaluation (Art. 10): panels, versioned score sheets,
independent scores that stay sealed until the panel closes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ipoc.auth.models import User
from ipoc.db import Base, Timestamped
from ipoc.labels import coded, named
from ipoc.orgs.models import Organisation
from ipoc.workflow import check_constraint

PANEL_KINDS = {"recognition": "认定评审", "performance": "绩效评估"}


class PanelState(StrEnum):
    """A panel's states; its one step is ``ipoc.reviews.flows``."""

    OPEN = "open"
    CLOSED = "closed"


PANEL_STATUS: dict[str, str] = {PanelState.OPEN: "评审中", PanelState.CLOSED: "已结束"}


class ScoreSheet(Base, Timestamped):
    """One version of a scoring sheet. Editing a sheet adds a version; a panel keeps the version it used.

    ``indicators``: ``[{"code": "A1", "label": "…", "weight": 20, "max": 100}, …]`` with weights summing
    to 100; an expert gives each indicator 0..max and the total is Σ weight·score/max.
    """

    __tablename__ = "score_sheets"
    __audited__ = True
    __label__ = "评分表"
    __labels__ = named(name="评分表名称", version="版本", kind="评审类型", indicators="评分指标")
    __value_labels__ = coded(kind=PANEL_KINDS)
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(16), default="recognition")
    indicators: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class Panel(Base, Timestamped):
    __tablename__ = "panels"
    __audited__ = True
    __label__ = "评审专家组"
    __labels__ = named(
        kind="评审类型",
        name="专家组名称",
        sheet_id="评分表",
        closed_at="结束时间",
        year="评估年度",
        min_scores="每份材料最少有效评分数",
    )
    __value_labels__ = coded(kind=PANEL_KINDS, state=PANEL_STATUS)
    __state_field__ = "state"
    __table_args__ = (check_constraint(PanelState),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="recognition")
    name: Mapped[str] = mapped_column(String(120))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)  # recognition panels
    year: Mapped[int | None] = mapped_column(Integer)  # performance panels
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheets.id"))
    state: Mapped[str] = mapped_column(String(8), default=PanelState.OPEN)
    # The fewest valid (submitted, not conflicted) scores each subject needs before the panel may close.
    min_scores: Mapped[int] = mapped_column(Integer, default=3)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    sheet: Mapped[ScoreSheet] = relationship(lazy="joined")
    members: Mapped[list[PanelMember]] = relationship(
        back_populates="panel", cascade="all, delete-orphan", order_by="PanelMember.id"
    )


class PanelMember(Base, Timestamped):
    """An expert on a panel, with the organisations they declared a conflict of interest with.

    The expert's own organisation (``users.org_id``) is always a conflict, declared or not. Declaring (even
    "none") is required before scoring: ``declared_at`` records when.
    """

    __tablename__ = "panel_members"
    __audited__ = True
    __label__ = "专家组成员"
    __labels__ = named(conflict_note="利益冲突说明", declared_at="申报回避时间")
    __table_args__ = (UniqueConstraint("panel_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"))
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    conflict_note: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime | None] = mapped_column(DateTime)

    panel: Mapped[Panel] = relationship(back_populates="members")
    expert: Mapped[User] = relationship(lazy="joined")
    conflicts: Mapped[list[PanelConflict]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="PanelConflict.org_id"
    )


class PanelConflict(Base):
    """One declared conflict of interest: a row, not a JSON list, so that assignment is a plain SQL query."""

    __tablename__ = "panel_conflicts"
    __audited__ = True
    __label__ = "利益冲突单位"
    __labels__ = named(member_id="专家组成员", org_id="回避单位")
    __table_args__ = (UniqueConstraint("member_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("panel_members.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))

    member: Mapped[PanelMember] = relationship(back_populates="conflicts")
    org: Mapped[Organisation] = relationship(lazy="joined")


class Score(Base, Timestamped):
    """One expert's score of one subject: a dossier (recognition) or a center's year (performance).

    The values are redacted in the audit trail: it is readable by the region admin, who must not see
    scores before the panel closes; once submitted a score is final, so the row itself is the record.
    """

    __tablename__ = "scores"
    __audited__ = True
    __label__ = "评分"
    __labels__ = named(items="各项得分", total="总分", comment="评审意见")
    __audit_redact__ = ("items", "total", "comment")
    __table_args__ = (
        UniqueConstraint("panel_id", "expert_id", "application_id", name="uq_scores_application"),
        UniqueConstraint("panel_id", "expert_id", "center_id", name="uq_scores_center"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    center_id: Mapped[int | None] = mapped_column(ForeignKey("centers.id"))
    items: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    total: Mapped[float] = mapped_column(Float, default=0.0)
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
