"""Matches the center's staff review: a source (a demand or an offer) paired with a target (a patent, an
offer, a demand or an enterprise), with the score, confidence and reasons it was proposed with, and the
staff's decision. A rejection stays on record with its reason so later rankings for the same source use it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ipoc.db import Base, Timestamped
from ipoc.labels import coded, named
from ipoc.matching.scoring import confidence_label
from ipoc.workflow import check_constraint


class MatchState(StrEnum):
    """A match's states; the steps between them are ``ipoc.matching.flows``."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FORWARDED = "forwarded"


MATCH_STATES: dict[str, str] = {
    MatchState.PROPOSED: "待审核",
    MatchState.ACCEPTED: "已采纳",
    MatchState.REJECTED: "已否决",
    MatchState.FORWARDED: "已转交",
}
TARGET_KINDS = {"patent": "专利", "offer": "技术供给", "demand": "技术需求", "org": "企业"}
# Why a match was rejected; "field" (the target lies in the wrong technical field) also lowers the later
# candidates of the same source that share the rejected patent's IPC main group (service.FIELD_PENALTY).
REJECT_REASONS = {
    "field": "领域不符",
    "immature": "技术不成熟",
    "price": "价格不符",
    "status": "权利状态不符",
    "other": "其他",
}


class Match(Base, Timestamped):
    __tablename__ = "tech_matches"
    __audited__ = True
    __label__ = "匹配结果"
    __labels__ = named(
        target_kind="匹配对象类型",
        target_offer_id="匹配的技术供给",
        target_demand_id="匹配的技术需求",
        target_org_id="匹配的企业",
        score="得分",
        confidence="可信度",
        rank="排名",
        reasons="匹配理由",
        decision_reason="决定理由",
        reason_code="否决原因",
        forwarded_to_org_id="转交单位",
    )
    __value_labels__ = coded(state=MATCH_STATES, target_kind=TARGET_KINDS, reason_code=REJECT_REASONS)
    __state_field__ = "state"
    __table_args__ = (check_constraint(MatchState),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int | None] = mapped_column(ForeignKey("centers.id"), index=True)
    demand_id: Mapped[int | None] = mapped_column(ForeignKey("tech_demands.id"), index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("tech_offers.id"), index=True)
    target_kind: Mapped[str] = mapped_column(String(16))  # patent | offer | demand | org
    patent_id: Mapped[int | None] = mapped_column(ForeignKey("patents.id"), index=True)
    target_offer_id: Mapped[int | None] = mapped_column(ForeignKey("tech_offers.id"))
    target_demand_id: Mapped[int | None] = mapped_column(ForeignKey("tech_demands.id"))
    target_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    score: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16), default=MatchState.PROPOSED, index=True)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    reason_code: Mapped[str | None] = mapped_column(String(16))  # a REJECT_REASONS key on a rejection
    forwarded_to_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)

    @property
    def state_label(self) -> str:
        return MATCH_STATES.get(self.state, self.state)

    @property
    def confidence_label(self) -> str:
        return confidence_label(self.confidence)

    @property
    def kind_label(self) -> str:
        return TARGET_KINDS.get(self.target_kind, self.target_kind)

    @property
    def reason_label(self) -> str:
        return REJECT_REASONS.get(self.reason_code or "", "")

    @property
    def source_path(self) -> str:
        return f"/demands/{self.demand_id}" if self.demand_id else f"/offers/{self.offer_id}"
