"""Recognised centers. This issue lays the table that staff accounts are scoped to; the recognition
workflow that creates centers (Arts. 5–13) builds on it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ipoc.db import Base, Timestamped
from ipoc.orgs.models import Organisation
from ipoc.reference.models import Industry, Region

CENTER_STATUS = {
    "recognized": "建设期",
    "rectifying": "整改中",
    "revoked": "已取消",
    "cycle_ended": "周期届满",
}


class Center(Base, Timestamped):
    __tablename__ = "centers"
    __audited__ = True
    __state_field__ = "status"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    industry_id: Mapped[int] = mapped_column(ForeignKey("industries.id"))
    builder_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="recognized")
    recognised_on: Mapped[date | None] = mapped_column(Date)

    industry: Mapped[Industry] = relationship(lazy="joined")
    builder: Mapped[Organisation] = relationship(lazy="joined")
    region: Mapped[Region] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        return CENTER_STATUS.get(self.status, self.status)
