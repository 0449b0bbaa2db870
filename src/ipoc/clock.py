"""The platform's calendar day and clock are China's: a notice window, a deadline or "today" must not move
with the server's time zone (a UTC server would still be on yesterday until 08:00 Beijing time).
Timestamps are stored as naive UTC (``db.utcnow``) and shown in Beijing time."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def today() -> date:
    return datetime.now(CHINA).date()


def beijing_now() -> datetime:
    """China's wall-clock time, naive: how event times are entered and stored."""
    return datetime.now(UTC).astimezone(CHINA).replace(tzinfo=None)


def beijing(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (naive UTC) timestamp as Beijing time; "—" when there is none."""
    if moment is None:
        return "—"
    return moment.replace(tzinfo=UTC).astimezone(CHINA).strftime(fmt)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day where it is shorter (2026-11-30 + 3 months
    = 2027-02-28): how 3-month recordal and reward deadlines are counted."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
