"""Public notice of the proposed list for 5 working days (Art. 7(3)) and objections filed during it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ipoc.db import Base, Timestamped
from ipoc.labels import coded, named
from ipoc.workflow import check_constraint


class ObjectionState(StrEnum):
    """An objection's states; the steps between them are ``ipoc.notices.flows``."""

    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


OBJECTION_STATES: dict[str, str] = {
    ObjectionState.OPEN: "待处理",
    ObjectionState.UPHELD: "异议成立",
    ObjectionState.DISMISSED: "异议不成立",
}
FIRST_DAY = {"counts": "发布当日计入公示期", "excluded": "自发布次日起算"}


def zh_date(day: date) -> str:
    """A date as official documents write it: 2025年9月26日."""
    return f"{day.year}年{day.month}月{day.day}日"


class PublicNotice(Base, Timestamped):
    __tablename__ = "public_notices"
    __audited__ = True
    __label__ = "公示"
    __labels__ = named(
        title="标题",
        body="正文",
        working_days="公示工作日数",
        first_day="首日计算",
        starts_on="公示开始日期",
        ends_on="公示结束日期",
        contact="异议受理单位及联系方式",
        published_by_id="发布人",
    )
    __value_labels__ = coded(first_day=FIRST_DAY)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    title: Mapped[str] = mapped_column(String(160))
    body: Mapped[str] = mapped_column(Text, default="")
    working_days: Mapped[int] = mapped_column(Integer, default=5)
    first_day: Mapped[str] = mapped_column(String(8), default="counts")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    contact: Mapped[str] = mapped_column(String(200), default="")
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def window_label(self) -> str:
        return f"{zh_date(self.starts_on)}至{zh_date(self.ends_on)}（{self.working_days}个工作日）"

    def is_open(self, today: date) -> bool:
        """Objections are received on every calendar day of the window, both ends included."""
        return self.is_published and self.starts_on <= today <= self.ends_on


class Objection(Base, Timestamped):
    """An objection to one dossier on a notice; filed by anyone with a name and contact, during the window."""

    __tablename__ = "objections"
    __audited__ = True
    __label__ = "异议"
    __labels__ = named(
        filer_name="异议人",
        filer_contact="联系方式",
        content="异议内容及理由",
        resolution="处理意见",
        resolved_by_id="处理人",
        resolved_at="处理时间",
        outcome="处理结果",
    )
    __value_labels__ = coded(state=OBJECTION_STATES, outcome=OBJECTION_STATES)
    __state_field__ = "state"
    __table_args__ = (check_constraint(ObjectionState),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("public_notices.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    filer_name: Mapped[str] = mapped_column(String(80))
    filer_contact: Mapped[str] = mapped_column(String(120))
    content: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default=ObjectionState.OPEN)
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)

    @property
    def state_label(self) -> str:
        return OBJECTION_STATES.get(self.state, self.state)

    @property
    def receipt_no(self) -> str:
        """What the filer is told to quote when asking after the objection."""
        return f"YY{self.notice_id:04d}-{self.id:06d}"
