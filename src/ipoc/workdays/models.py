"""The working-day calendar's own data: days that break the weekday rule, entered by an admin.

``chinesecalendar`` carries the State Council's schedules up to 2026; a year listed in ``calendar_years``
was loaded here (from the published notice) and overrides the package for that whole year.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ipoc.db import Base, Timestamped
from ipoc.labels import coded, named

DAY_KINDS = {"holiday": "放假", "workday": "调休上班"}


class CalendarYear(Base, Timestamped):
    __tablename__ = "calendar_years"
    __audited__ = True
    __label__ = "节假日安排年度"
    __labels__ = named(source="依据")

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(200), default="")


class CalendarDay(Base, Timestamped):
    """One exception to the weekday rule: a weekday off (holiday) or a weekend day worked (workday)."""

    __tablename__ = "calendar_days"
    __audited__ = True
    __label__ = "工作日历调整"
    __labels__ = named(day="日期", kind="调整类型", note="说明")
    __value_labels__ = coded(kind=DAY_KINDS)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(String(100), default="")
