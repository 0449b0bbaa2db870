"""The platform's calendar day and clock are China's: a notice window, a deadline or "today" must not move
with the server's time zone (a UTC server would still be on yesterday until 08:00 Beijing time).
Timestamps are stored as naive UTC (``db.utcnow``); whatever shows, exports or prints one goes through
``beijing_at``, ``beijing_date`` or ``beijing`` here, never ``.date()`` or ``.strftime`` on the stored value
(tests/test_beijing_calendar.py refuses both, and the server's local clock)."""

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


def in_china(moment: datetime) -> datetime:
    """A stored timestamp (naive means UTC) as an aware time in China: what the API writes (+08:00)."""
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).astimezone(CHINA)


def beijing_at(moment: datetime | None) -> datetime | None:
    """A stored timestamp as Beijing wall-clock time, naive: what a spreadsheet cell holds (Excel has no
    time zones), so 16:30 UTC on 12-06 reads 2026-12-07 00:30 in the file as on the page."""
    return None if moment is None else in_china(moment).replace(tzinfo=None)


def beijing_date(moment: datetime) -> date:
    """The Beijing calendar day of a stored timestamp: the day a document signed at 00:40 Beijing is dated."""
    return in_china(moment).date()


def beijing(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (naive UTC) timestamp as Beijing time; "—" when there is none."""
    if moment is None:
        return "—"
    return in_china(moment).strftime(fmt)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day where it is shorter (2026-11-30 + 3 months
    = 2027-02-28): how 3-month recordal and reward deadlines are counted."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
