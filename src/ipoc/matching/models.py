"""Matches the center's staff review: a source (a demand or an offer) paired with a target (a patent, an
offer, a demand or an enterprise), with the score, confidence and reasons it was proposed with, and the
staff's decision. A rejection stays on record with its reason so later rankings for the same source use it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ipoc.db import Base, Timestamped

MATCH_STATES = {"proposed": "待审核", "accepted": "已采纳", "rejected": "已否决", "forwarded": "已转交"}


class Match(Base, Timestamped):
    __tablename__ = "tech_matches"
    __audited__ = True
    __state_field__ = "status"

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
    status: Mapped[str] = mapped_column(String(16), default="proposed", index=True)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    forwarded_to_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)

    @property
    def status_label(self) -> str:
        return MATCH_STATES.get(self.status, self.status)
