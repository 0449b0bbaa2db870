"""JSON API of the working-day calendar (under /api/v1): public and read-only."""

from __future__ import annotations

from datetime import date
from typing import Annotated, cast

from fastapi import APIRouter, Query

from ipoc.config import get_settings
from ipoc.web.deps import DB
from ipoc.workdays import service as workdays
from ipoc.workdays.schemas import CalculationOut, YearOut

router = APIRouter(tags=["工作日历"])


@router.get("/workdays/add", response_model=CalculationOut)
def add_workdays(
    session: DB,
    start: date,
    n: Annotated[int, Query(ge=1, le=workdays.MAX_WORKING_DAYS)],
    first_day: workdays.FirstDay | None = None,
):
    """The last day of an n-working-day period from start; 422 when a year's schedule is not loaded."""
    # the setting's pattern admits only a FirstDay
    mode = first_day or cast(workdays.FirstDay, get_settings().notice_first_day)
    end = workdays.add_workdays(session, start, n, mode)
    return CalculationOut(start=start, n=n, first_day=mode, end=end)


@router.get("/workdays/years", response_model=list[YearOut])
def covered_years(session: DB):
    return [YearOut(year=y, source=s) for y, s in workdays.covered_years(session).items()]
