"""Matchmaking events and roadshows (对接会、路演): what is presented, who signs up and who came."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ipoc.db import Base, Timestamped

EVENT_KINDS = {"matchmaking": "对接会", "roadshow": "路演"}
EVENT_STATES = {"draft": "草稿", "open": "报名中", "closed": "报名截止", "held": "已举办", "cancelled": "已取消"}


class TechEvent(Base, Timestamped):
    __tablename__ = "tech_events"
    __audited__ = True
    __state_field__ = "status"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int | None] = mapped_column(ForeignKey("centers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime)
    place: Mapped[str] = mapped_column(String(200))
    organisers: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
