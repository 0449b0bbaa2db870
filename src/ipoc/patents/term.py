"""The statutory term of a Chinese patent (专利法 第四十二条), counted from the filing date: what remains of a
patent decides whether it is worth transferring, keeping or licensing."""

from __future__ import annotations

from datetime import date, timedelta

from ipoc import clock

# Patent Law Art. 42 (2020 amendment, in force 2021-06-01): designs filed from that day have 15 years.
DESIGN_15_YEARS_FROM = date(2021, 6, 1)
TERM_YEARS = {"invention": 20, "utility_model": 10}


def _anniversary(day: date, years: int) -> date:
    return clock.add_months(day, 12 * years)


def term_years(kind: str | None, application_date: date | None) -> int | None:
    """Statutory term from the filing date: invention 20, utility model 10, design 15 (filed on or after
    2021-06-01) or 10 (before). None when kind or date is unknown. Term compensation (专利权期限补偿 for
    grant or drug-approval delays) is not in the record and is not added."""
    if application_date is None:
        return None
    if kind == "design":
        return 15 if application_date >= DESIGN_15_YEARS_FROM else 10
    return TERM_YEARS.get(kind or "")


def expires_on(kind: str | None, application_date: date | None) -> date | None:
    """The last day of the term: the day before the filing date's anniversary (filed 2015-03-10, an
    invention is in force up to 2035-03-09)."""
    years = term_years(kind, application_date)
    if years is None or application_date is None:
        return None
    return _anniversary(application_date, years) - timedelta(days=1)


def remaining_days(kind: str | None, application_date: date | None, status: str | None, today: date) -> int | None:
    """Days of term left counting today; 0 when lapsed or past the end; None when the term is unknown."""
    end = expires_on(kind, application_date)
    if end is None:
        return None
    if status == "lapsed":
        return 0
    return max(0, (end - today).days + 1)
