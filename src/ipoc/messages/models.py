"""A message in a user's message centre (站内消息): a decision that affects them, or a deadline reminder.

The table is the reminders' ``notifications`` table: one place where a user reads everything they are told.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ipoc.db import Base, utcnow

CATEGORIES = {"decision": "办理通知", "reminder": "期限提醒"}


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Makes telling idempotent: one reminder per (user, deadline, days-before); a decision's key is its own.
    key: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(String(300))
    link: Mapped[str] = mapped_column(String(200), default="")
    due_on: Mapped[date | None] = mapped_column(Date)  # set on reminders only
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)

    @property
    def category(self) -> str:
        """Reminders are about a deadline; every other message tells of a decision."""
        return "reminder" if self.due_on is not None else "decision"

    @property
    def category_label(self) -> str:
        return CATEGORIES[self.category]
