"""The platform's day is China's, whatever the server's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine

from ipoc import clock


def test_today_is_the_date_in_china_not_on_the_server():
    with time_machine.travel(datetime(2026, 11, 24, 20, 0, tzinfo=UTC), tick=False):
        assert clock.today() == date(2026, 11, 25)
    with time_machine.travel(datetime(2026, 11, 24, 15, 59, tzinfo=UTC), tick=False):
        assert clock.today() == date(2026, 11, 24)


def test_stored_utc_timestamps_are_shown_in_beijing_time():
    assert clock.beijing(datetime(2026, 11, 24, 20, 0)) == "2026-11-25 04:00"
    assert clock.beijing(datetime(2026, 11, 24, 20, 0, 5), "%H:%M:%S") == "04:00:05"
    assert clock.beijing(None) == "—"
    # the day and the spreadsheet cell of a stored timestamp, across a year's end (a deal signed at 00:30 on
    # New Year's Day counts in the new year) and for an aware moment alike
    assert clock.beijing_date(datetime(2026, 12, 31, 16, 30)) == date(2027, 1, 1)
    assert clock.beijing_date(datetime(2026, 12, 31, 15, 59)) == date(2026, 12, 31)
    assert clock.beijing_at(datetime(2026, 12, 31, 16, 30)) == datetime(2027, 1, 1, 0, 30)
    assert clock.beijing_at(datetime(2026, 12, 31, 16, 30, tzinfo=UTC)) == datetime(2027, 1, 1, 0, 30)
    assert clock.beijing_at(None) is None


def test_add_months_clamps_to_the_end_of_the_month():
    assert clock.add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert clock.add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert clock.add_months(date(2026, 1, 15), 3) == date(2026, 4, 15)
    assert clock.add_months(date(2026, 10, 31), 12 * 3) == date(2029, 10, 31)
