"""Matchmaking events and roadshows (对接会、路演): what is presented, who signs up and who came.

Event times are the wall-clock time in Beijing, stored naive (an event happens at 14:00 local time wherever
the server runs); the service compares them with China's current time, never the server's."""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ipoc.centers.models import Center
from ipoc.db import Base, Timestamped
from ipoc.labels import coded, named
from ipoc.transfer.models import Demand, Offer
from ipoc.workflow import check_constraint

EVENT_KINDS = {"matchmaking": "对接会", "roadshow": "路演"}


class EventState(StrEnum):
    """An event's states; the steps between them are ``ipoc.events.flows``."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    HELD = "held"
    CANCELLED = "cancelled"


EVENT_STATES: dict[str, str] = {
    EventState.DRAFT: "草稿",
    EventState.OPEN: "报名中",
    EventState.CLOSED: "报名截止",
    EventState.HELD: "已举办",
    EventState.CANCELLED: "已取消",
}
PARTICIPANT_ROLES = {"seeker": "需求方", "provider": "供给方", "investor": "投资方", "audience": "观众"}
SIGNUP_SOURCES = {"signup": "网上报名", "walk_in": "现场登记"}


class TechEvent(Base, Timestamped):
    __tablename__ = "tech_events"
    __audited__ = True
    __label__ = "对接活动"
    __labels__ = named(
        kind="活动类型",
        title="活动名称",
        starts_at="开始时间",
        ends_at="结束时间",
        place="活动地点",
        organisers="主办/承办单位",
        description="活动介绍",
        capacity="人数上限（单位数）",
        signup_deadline="报名截止时间",
        public="公开",
        opened_at="开放报名时间",
        cancel_reason="取消原因",
    )
    __value_labels__ = coded(kind=EVENT_KINDS, state=EVENT_STATES)
    __state_field__ = "state"
    __table_args__ = (check_constraint(EventState),)

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
    signup_deadline: Mapped[datetime | None] = mapped_column(DateTime)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(16), default=EventState.DRAFT, index=True)
    # Set when the event is first opened for sign-up: a cancelled event that was announced stays visible
    # (with its reason) to those who could see it, a cancelled draft does not.
    opened_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    center: Mapped[Center | None] = relationship(lazy="joined")
    items: Mapped[list[TechEventItem]] = relationship(
        order_by="(TechEventItem.position, TechEventItem.id)", lazy="selectin", back_populates="event"
    )
    signups: Mapped[list[TechEventSignup]] = relationship(
        order_by="TechEventSignup.id", lazy="selectin", back_populates="event"
    )

    @property
    def kind_label(self) -> str:
        return EVENT_KINDS.get(self.kind, self.kind)

    @property
    def state_label(self) -> str:
        return EVENT_STATES.get(self.state, self.state)

    @property
    def audience_label(self) -> str:
        return "公开" if self.public else "仅限注册用户"

    @property
    def signup_count(self) -> int:
        return len(self.signups)

    @property
    def attended_count(self) -> int:
        return sum(1 for s in self.signups if s.attended)

    @property
    def attendance_marked(self) -> bool:
        return any(s.attended is not None for s in self.signups)

    @property
    def attendance_rate(self) -> float | None:
        """Attending organisations over signed-up ones, once attendance has been marked."""
        if not self.signups or not self.attendance_marked:
            return None
        return self.attended_count / self.signup_count

    @property
    def attendance_label(self) -> str:
        rate = self.attendance_rate
        if rate is None:
            return "尚未登记出席"
        return f"出席 {self.attended_count} / 报名 {self.signup_count}（{rate:.0%}）"

    @property
    def places_left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.signup_count, 0)


class TechEventItem(Base, Timestamped):
    """A published demand or offer presented at an event, in running order, with its presenter and slot."""

    __tablename__ = "tech_event_items"
    __audited__ = True
    __label__ = "活动议程"
    __labels__ = named(position="顺序", presenter="发布人", slot_start="开始时刻", slot_end="结束时刻")
    __table_args__ = (
        UniqueConstraint("event_id", "demand_id", name="uq_tech_event_items_demand"),
        UniqueConstraint("event_id", "offer_id", name="uq_tech_event_items_offer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("tech_events.id", ondelete="CASCADE"), index=True)
    demand_id: Mapped[int | None] = mapped_column(ForeignKey("tech_demands.id"), index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("tech_offers.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    presenter: Mapped[str] = mapped_column(String(100), default="")
    slot_start: Mapped[time | None] = mapped_column(Time)
    slot_end: Mapped[time | None] = mapped_column(Time)

    event: Mapped[TechEvent] = relationship(back_populates="items")
    demand: Mapped[Demand | None] = relationship(lazy="joined")
    offer: Mapped[Offer | None] = relationship(lazy="joined")

    @property
    def kind_label(self) -> str:
        return "技术需求" if self.demand_id else "技术供给"

    @property
    def slot_label(self) -> str:
        if self.slot_start is None:
            return ""
        end = f"–{self.slot_end:%H:%M}" if self.slot_end else ""
        return f"{self.slot_start:%H:%M}{end}"


class TechEventSignup(Base, Timestamped):
    """One organisation at an event: signed up online by its member, or entered by the staff on the day.
    ``attended`` is None until the staff mark attendance."""

    __tablename__ = "tech_event_signups"
    __audited__ = True
    __label__ = "活动报名"
    __labels__ = named(
        org_id="参会单位",
        org_name="参会单位名称",
        person_name="参会人",
        phone="联系电话",
        role="参会身份",
        source="报名方式",
        attended="出席",
        signed_up_by_id="报名人",
    )
    __value_labels__ = coded(role=PARTICIPANT_ROLES, source=SIGNUP_SOURCES)
    __table_args__ = (UniqueConstraint("event_id", "org_id", name="uq_tech_event_signups_org"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("tech_events.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    org_name: Mapped[str] = mapped_column(String(120))
    person_name: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16), default="signup")
    attended: Mapped[bool | None] = mapped_column(Boolean)
    signed_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    event: Mapped[TechEvent] = relationship(back_populates="signups")

    @property
    def role_label(self) -> str:
        return PARTICIPANT_ROLES.get(self.role, self.role)

    @property
    def source_label(self) -> str:
        return SIGNUP_SOURCES.get(self.source, self.source)

    @property
    def attended_label(self) -> str:
        return {None: "未登记", True: "出席", False: "缺席"}[self.attended]
