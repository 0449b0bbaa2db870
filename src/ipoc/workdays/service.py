"""The Chinese working-day calendar: which days count as working days, and deadlines counted on them.

A day's rule, first match wins:

1. a ``CalendarDay`` row for that date (an admin's override, or a row of a loaded year);
2. its year has a ``CalendarYear`` row (the year's schedule was loaded by hand): the weekday rule, Mon–Fri;
3. ``chinesecalendar``'s data (the State Council's schedules it ships, 2004–2026 in v1.11);
4. otherwise :class:`MissingCalendar`: a deadline computed with a guessed calendar would be silently wrong
   around every holiday, so the admin must load that year's schedule first.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.audit.service import set_reason
from ipoc.auth.roles import Principal, Role
from ipoc.errors import DomainError, Forbidden, InvalidInput, NotFound
from ipoc.workdays.models import DAY_KINDS, CalendarDay, CalendarYear

FirstDay = Literal["counts", "excluded"]
FIRST_DAY_MODES: dict[str, str] = {"counts": "首日为工作日时计入", "excluded": "首日不计入"}
PACKAGE_SOURCE = "chinesecalendar"
# A period longer than this is no notice period; the bound also keeps a typo from walking for decades.
MAX_WORKING_DAYS = 1000
WEEKDAYS = "一二三四五六日"
_PACKAGE_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
# Spreadsheet users may type the kind in Chinese; the file format itself is holiday|workday.
_KIND_WORDS = {"holiday": "holiday", "workday": "workday"} | {label: kind for kind, label in DAY_KINDS.items()}


class MissingCalendar(DomainError):
    """No holiday schedule for a year: neither loaded here nor shipped with ``chinesecalendar``."""

    status_code = 422

    def __init__(self, year: int) -> None:
        super().__init__(
            f"{year} 年的工作日历尚未载入，无法按工作日计算日期。"
            f"请管理员按国务院办公厅发布的 {year} 年部分节假日安排，"
            f"用命令 `ipoc workdays load 文件` 或在“工作日历”页面上传 {year} 年的放假和调休上班日期后重试。"
        )
        self.year = year


def weekday_label(day: date) -> str:
    return f"星期{WEEKDAYS[day.weekday()]}"


# --- the rule ------------------------------------------------------------------------------------------


class _Calendar:
    """The rule for one computation, reading each year's rows once instead of once per day."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._years: dict[int, tuple[bool, dict[date, str]]] = {}

    def _year(self, year: int) -> tuple[bool, dict[date, str]]:
        if year not in self._years:
            loaded = self.session.get(CalendarYear, year) is not None
            rows = self.session.execute(select(CalendarDay.day, CalendarDay.kind).where(CalendarDay.year == year))
            self._years[year] = (loaded, {day: kind for day, kind in rows})
        return self._years[year]

    def is_workday(self, day: date) -> bool:
        loaded, overrides = self._year(day.year)
        if day in overrides:
            return overrides[day] == "workday"
        if loaded:
            return day.weekday() < 5
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            raise MissingCalendar(day.year) from None


def is_workday(session: Session, day: date) -> bool:
    return _Calendar(session).is_workday(day)


def add_workdays(session: Session, start: date, n: int, first_day: str = "counts") -> date:
    """The last day of an ``n``-working-day period starting at ``start``.

    ``counts``: ``start`` is day 1 when it is a working day, else the first working day after it is;
    ``excluded``: day 1 is the first working day after ``start``.
    """
    if first_day not in FIRST_DAY_MODES:
        raise InvalidInput("首日计算方式应为 counts（计入）或 excluded（不计入）", field="first_day")
    if not 1 <= n <= MAX_WORKING_DAYS:
        raise InvalidInput(f"工作日数应在 1 到 {MAX_WORKING_DAYS} 之间", field="n")
    calendar = _Calendar(session)
    day = start if first_day == "counts" else start + timedelta(days=1)
    counted = 0
    while True:
        if calendar.is_workday(day):
            counted += 1
            if counted == n:
                return day
        day += timedelta(days=1)


# --- coverage --------------------------------------------------------------------------------------------


def covered_years(session: Session) -> dict[int, str]:
    """Each year a date can be computed in, with where its schedule comes from (a loaded year wins)."""
    years = dict.fromkeys(_PACKAGE_YEARS, PACKAGE_SOURCE)
    for row in session.scalars(select(CalendarYear)):
        years[row.year] = row.source or "手工载入"
    return dict(sorted(years.items()))


def years_missing(session: Session, today: date | None = None) -> list[int]:
    """Years an admin must load now: this year if uncovered, and next year from November on (the State
    Council usually publishes the next year's schedule in October or November)."""
    today = today or clock.today()
    covered = covered_years(session)
    wanted = [today.year] + ([today.year + 1] if today.month >= 11 else [])
    return [year for year in wanted if year not in covered]


def get_day(session: Session, day: date) -> CalendarDay | None:
    return session.get(CalendarDay, day)


def year_overrides(session: Session, year: int) -> list[CalendarDay]:
    return list(session.scalars(select(CalendarDay).where(CalendarDay.year == year).order_by(CalendarDay.day)))


# --- single days (the admin page) ---------------------------------------------------------------------


def _require_admin(principal: Principal) -> None:
    if principal.role is not Role.REGION_ADMIN:
        raise Forbidden("只有自治区局管理员可以维护工作日历")


def save_day(session: Session, principal: Principal, day: date, kind: str, note: str = "") -> CalendarDay:
    """Add or change one day's override; unlike a loaded file, any kind is allowed on any day, so that an
    admin can also undo a day of the package's data (e.g. a make-up Saturday that was cancelled)."""
    _require_admin(principal)
    if kind not in DAY_KINDS:
        raise InvalidInput("类型应为放假（holiday）或调休上班（workday）", field="kind")
    set_reason(session, "管理员调整工作日历", day=day.isoformat())
    row = session.get(CalendarDay, day)
    if row is None:
        row = CalendarDay(day=day, year=day.year)
        session.add(row)
    row.kind, row.note = kind, note
    session.flush()
    return row


def delete_day(session: Session, principal: Principal, day: date) -> None:
    _require_admin(principal)
    row = session.get(CalendarDay, day)
    if row is None:
        raise NotFound(f"{day.isoformat()} 没有单独设置")
    set_reason(session, "管理员删除工作日历调整", day=day.isoformat())
    session.delete(row)
    session.flush()


# --- loading a year's schedule --------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"第 {self.line} 行：{self.message}"


class CalendarFileRejected(InvalidInput):
    """A schedule file refused whole, with every bad row."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__("工作日历文件未导入（没有写入任何内容）：" + "；".join(str(p) for p in problems), field="file")
        self.problems = problems


@dataclass
class LoadReport:
    years: list[int]
    source: str
    holidays: int = 0
    workdays: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0

    def summary(self) -> str:
        years = "、".join(str(y) for y in self.years)
        return (
            f"已载入 {years} 年工作日历：放假 {self.holidays} 天，调休上班 {self.workdays} 天"
            f"（新增 {self.added}，修改 {self.changed}，删除 {self.removed}）"
        )


def decode(raw: bytes) -> str:
    """UTF-8 (with or without Excel's BOM), else GB18030, the superset of the GBK that Chinese Excel writes."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise CalendarFileRejected([RowProblem(1, "文件编码无法识别，请保存为 UTF-8 或 GBK 编码的 CSV")]) from None


def _parse_date(text: str) -> date | None:
    match = _DATE.match(text)
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _row_problem(day: date, kind: str) -> str | None:
    """A listed day must break the weekday rule, or the file was probably typed wrong."""
    weekend = day.weekday() >= 5
    if kind == "holiday" and weekend:
        return f"{day.isoformat()} 是{weekday_label(day)}，本来就不上班，不应列为放假日（放假日应为周一至周五）"
    if kind == "workday" and not weekend:
        return f"{day.isoformat()} 是{weekday_label(day)}，本来就上班，不应列为调休上班日（调休上班日应为周六或周日）"
    return None


def parse_csv(text: str) -> tuple[dict[date, tuple[str, str]], list[RowProblem]]:
    """The days of a ``date,kind,note`` file and every problem found, each with its line number."""
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    if header not in (["date", "kind", "note"], ["date", "kind"]):
        return {}, [RowProblem(1, "第一行应为表头 date,kind,note")]
    days: dict[date, tuple[str, str]] = {}
    seen: dict[date, int] = {}
    problems: list[RowProblem] = []
    for line, cells in enumerate(rows[1:], start=2):
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        if len(cells) > len(header):
            problems.append(RowProblem(line, f"列数过多（应为 {len(header)} 列，注释中的逗号请加引号）"))
            continue
        day_text, kind_text, note = [*cells, "", ""][:3]
        day = _parse_date(day_text)
        kind = _KIND_WORDS.get(kind_text.lower())
        if day is None:
            problems.append(RowProblem(line, f"日期“{day_text}”无效，应为 YYYY-MM-DD"))
        if kind is None:
            problems.append(RowProblem(line, f"类型“{kind_text}”无效，应为 holiday（放假）或 workday（调休上班）"))
        if len(note) > 100:
            problems.append(RowProblem(line, "备注超过 100 个字符"))
        if day is None or kind is None:
            continue
        if day in seen:
            problems.append(RowProblem(line, f"{day.isoformat()} 与第 {seen[day]} 行重复"))
            continue
        seen[day] = line
        problem = _row_problem(day, kind)
        if problem:
            problems.append(RowProblem(line, problem))
        days[day] = (kind, note)
    if not seen and not problems:
        problems.append(RowProblem(1, "文件中没有任何日期"))
    return days, problems


def load_csv(session: Session, text_or_path: str | bytes | Path, source: str = "") -> LoadReport:
    """Load one or more years' State Council schedules from a ``date,kind,note`` CSV.

    Each year appearing in the file becomes a loaded year (its other days follow the weekday rule, the
    package is no longer consulted for it) and its earlier rows, admin overrides included, are replaced.
    The file is refused whole, nothing written, when any row is bad: a schedule loaded without one of its
    holidays or make-up days would silently move every deadline that crosses it.
    """
    if isinstance(text_or_path, Path):
        source = source or text_or_path.name
        text = decode(text_or_path.read_bytes())
    elif isinstance(text_or_path, bytes):
        text = decode(text_or_path)
    else:
        text = text_or_path
    days, problems = parse_csv(text)
    if problems:
        raise CalendarFileRejected(problems)
    years = sorted({day.year for day in days})
    report = LoadReport(years=years, source=source[:200])
    set_reason(session, "载入国务院办公厅节假日安排", source=report.source, years=years)
    existing = {row.day: row for row in session.scalars(select(CalendarDay).where(CalendarDay.year.in_(years)))}
    for day, row in existing.items():
        if day not in days:
            session.delete(row)
            report.removed += 1
    for day, (kind, note) in sorted(days.items()):
        current = existing.get(day)
        if current is None:
            session.add(CalendarDay(day=day, year=day.year, kind=kind, note=note))
            report.added += 1
        elif (current.kind, current.note) != (kind, note):
            current.kind, current.note = kind, note
            report.changed += 1
        if kind == "holiday":
            report.holidays += 1
        else:
            report.workdays += 1
    for year in years:
        loaded = session.get(CalendarYear, year) or CalendarYear(year=year)
        loaded.source = report.source
        session.add(loaded)
    session.flush()
    return report


def upload_csv(session: Session, principal: Principal, raw: bytes, filename: str) -> LoadReport:
    """The admin page's upload: only the region admin may replace a year's schedule."""
    _require_admin(principal)
    return load_csv(session, raw, source=f"上传：{filename}")
