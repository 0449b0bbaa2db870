"""The platform's calendar day and clock are China's: a notice window, a deadline or "today" must not move
with the server's time zone (a UTC server would still be on yesterday until 08:00 Beijing time).
Timestamps are stored as naive UTC (``db.utcnow``) and shown in Beijing time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def today() -> date:
    return datetime.now(CHINA).date()


def beijing(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (naive UTC) timestamp as Beijing time; "—" when there is none."""
    if moment is None:
        return "—"
    return moment.replace(tzinfo=UTC).astimezone(CHINA).strftime(fmt)
