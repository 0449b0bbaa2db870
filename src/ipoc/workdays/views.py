"""The region admin's working-day calendar page: covered years, overrides, upload and a calculator."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from ipoc import clock
from ipoc.auth.roles import Principal, Role
from ipoc.config import get_settings
from ipoc.errors import DomainError, InvalidInput, PayloadTooLarge
from ipoc.web.deps import DB, role_required
from ipoc.web.export import xlsx_response
from ipoc.web.forms import Posted, attempt, field_errors, parse_form, refusable, see_other
from ipoc.web.templating import render
from ipoc.workdays import service as workdays
from ipoc.workdays.models import DAY_KINDS
from ipoc.workdays.schemas import CalculationIn, DayIn

router = APIRouter()
Admin = Annotated[Principal, Depends(role_required(Role.REGION_ADMIN))]
Year = Annotated[int | None, Query(ge=1900, le=2200)]
YearPath = Annotated[int, Path(ge=1900, le=2200)]
PAGE = "/admin/calendar"
MAX_UPLOAD = 1 << 20  # a year's schedule is a few dozen lines


@dataclass
class Calculation:
    """The calculator's state: what was asked, and the end date or why there is none."""

    given: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    end: date | None = None
    problem: str | None = None


def _calculation(session: Session, params: dict[str, str]) -> Calculation:
    calc = Calculation(given={"first_day": get_settings().notice_first_day, **params})
    if "start" not in params:
        return calc
    try:
        data = CalculationIn.model_validate({k: v for k, v in params.items() if v.strip()})
        calc.end = workdays.add_workdays(session, data.start, data.n, data.first_day)
    except ValidationError as exc:
        calc.errors = field_errors(exc)
    except DomainError as exc:
        calc.problem = exc.message
    return calc


def _page(request: Request, session: Session, year: int | None, status_code: int = 200, **extra):
    year = year or clock.today().year
    covered = workdays.covered_years(session)
    calc_params = {k: request.query_params[k] for k in ("start", "n", "first_day") if k in request.query_params}
    ctx = {
        "title": "工作日历",
        "year": year,
        "covered": covered,
        "package_source": workdays.PACKAGE_SOURCE,
        "missing": workdays.years_missing(session),
        "overrides": workdays.year_overrides(session, year),
        "kinds": list(DAY_KINDS.items()),
        "kind_labels": DAY_KINDS,
        "modes": list(workdays.FIRST_DAY_MODES.items()),
        "weekday": workdays.weekday_label,
        "calc": _calculation(session, calc_params),
        **extra,
    }
    return render(request, "workdays/calendar.html", ctx, status_code=status_code)


@router.get(PAGE)
def calendar_page(request: Request, session: DB, _admin: Admin, year: Year = None, edit: date | None = None):
    extra: dict[str, Any] = {}
    if edit is not None:
        row = workdays.get_day(session, edit)
        if row is not None:
            extra["values"] = {"day": row.day.isoformat(), "kind": row.kind, "note": row.note}
    return _page(request, session, year or (edit.year if edit else None), **extra)


@router.get(f"{PAGE}/{{year}}.xlsx")
def overrides_export(year: YearPath, session: DB, _admin: Admin):
    """A year's single-day overrides, as listed on the page."""
    headers = ["日期", "星期", "类型", "备注"]
    rows = [
        [d.day, workdays.weekday_label(d.day), DAY_KINDS[d.kind], d.note]
        for d in workdays.year_overrides(session, year)
    ]
    return xlsx_response(
        session,
        title=f"{year}年工作日历调整",
        filename=f"工作日历调整-{year}.xlsx",
        headers=headers,
        rows=rows,
        entity_type="calendar_days",
    )


@router.post(f"{PAGE}/days")
def save_day(request: Request, posted: Posted, session: DB, p: Admin):
    form = parse_form(posted, DayIn)
    if form.ok and form.data is not None:
        d = form.data
        attempt(session, form, lambda: workdays.save_day(session, p, d.day, d.kind, d.note))
    if form.errors or form.data is None:
        return _page(request, session, None, 422, errors=form.errors, values=form.values)
    return see_other(f"{PAGE}?year={form.data.day.year}")


@router.post(f"{PAGE}/days/{{day}}/delete")
def delete_day(day: date, session: DB, p: Admin):
    workdays.delete_day(session, p, day)
    return see_other(f"{PAGE}?year={day.year}")


@router.post(f"{PAGE}/upload")
def upload(request: Request, posted: Posted, session: DB, p: Admin):
    """Load a schedule file; a refused file shows every bad row and leaves the calendar unchanged."""
    upload = posted.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("请选择要上传的 CSV 文件", field="file")
        raw = upload.file.read(MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD:
            raise PayloadTooLarge("文件过大：一年的节假日安排不应超过 1 MB", field="file")
        with refusable(session):
            report = workdays.upload_csv(session, p, raw, upload.filename)
    except workdays.CalendarFileRejected as exc:
        return _page(request, session, None, 422, problems=exc.problems, errors={"file": "文件未导入，请修正以下各行"})
    except DomainError as exc:
        return _page(request, session, None, 422, errors={exc.field or "__all__": exc.message})
    return _page(request, session, report.years[0], flash=report.summary())
