"""Export of any list to XLSX an office can use as is, within Excel's cell limit, and audited.

Every sheet has a title row naming the list, the filter used and the export time (Beijing), then a bold
frozen header with an autofilter, and columns as wide as their content. Cells keep their types: dates
and Beijing times are date cells, counts integers, money (``Wan``) a number of 万元 shown with two
decimals, so SUM works. Text is stored as text, which Excel never evaluates, so a legitimate "-40℃低温…"
needs no visible quote; only a text that openpyxl would write as a formula ("=…") or an error ("#N/A") is
marked as a string cell explicitly. CSV has no types: ``safe_cell`` keeps the quote prefix there (OWASP).
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import chain, islice
from urllib.parse import quote

from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.audit import service as audit
from ipoc.money import YUAN_PER_WAN

EXCEL_CELL_LIMIT = 32_767
CUT_MARKER = "…[内容过长已截断]"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0%"
COUNT_FORMAT = "0"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
TITLE_ROW, HEADER_ROW = 1, 2
WIDTH_SAMPLE = 1000  # rows read ahead to size the columns (a write-only sheet fixes widths before its rows)
MIN_WIDTH, MAX_WIDTH = 6, 60
ALL = "全部"
INVALID_TAB = re.compile(r"[\\*?:/\[\]]")  # characters Excel refuses in a sheet's tab name


@dataclass(frozen=True)
class Wan:
    """An amount stored in whole yuan, for a money column headed "（万元）": written as a number of 万元."""

    yuan: int

    @property
    def value(self) -> Decimal:
        return Decimal(self.yuan) / YUAN_PER_WAN


def wan_cell(yuan: int | None) -> Wan | None:
    """A money cell of an export row; an empty cell when there is no amount (never zero)."""
    return None if yuan is None else Wan(yuan)


@dataclass(frozen=True)
class Percent:
    """A rate (0.75) for a percentage column: a number shown as 75%."""

    ratio: float


def percent_cell(ratio: float | None) -> Percent | None:
    return None if ratio is None else Percent(ratio)


def _cut(text: str) -> str:
    return text if len(text) <= EXCEL_CELL_LIMIT else text[: EXCEL_CELL_LIMIT - len(CUT_MARKER)] + CUT_MARKER


def safe_cell(value: object) -> object:
    """A value for a CSV field (no types there): text a spreadsheet would run as a formula is prefixed with a
    quote; long text is cut, visibly; an aware moment is written as Beijing wall-clock time."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return clock.beijing_at(value)
    if isinstance(value, Wan):
        return value.value
    if isinstance(value, Percent):
        return value.ratio
    if value is None or isinstance(value, bool | int | float | Decimal | date | datetime):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return _cut(text)


def _typed(sheet: WriteOnlyWorksheet, value: object) -> object:
    """The cell for one value: typed and formatted, text as text (never a formula)."""
    if isinstance(value, datetime):
        moment = clock.beijing_at(value) if value.tzinfo is not None else value
        return _formatted(sheet, moment, DATETIME_FORMAT)
    if isinstance(value, date):
        return _formatted(sheet, value, DATE_FORMAT)
    if isinstance(value, Wan):
        return _formatted(sheet, value.value, MONEY_FORMAT)
    if isinstance(value, Percent):
        return _formatted(sheet, value.ratio, PERCENT_FORMAT)
    if value is None or isinstance(value, bool | float | Decimal):
        return value
    if isinstance(value, int):
        return _formatted(sheet, value, COUNT_FORMAT)
    text = _cut(str(value))
    if text.startswith(("=", "#")):  # openpyxl would store a formula ("=…") or an error ("#N/A"): keep it text
        cell = WriteOnlyCell(sheet, text)
        cell.data_type = "s"
        return cell
    return text


def _formatted(sheet: WriteOnlyWorksheet, value: object, number_format: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value)
    cell.number_format = number_format
    return cell


def display_width(value: object) -> int:
    """About how many character widths Excel needs: a CJK character counts two, the longest line counts."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, Wan):
        return len(f"{value.value:,.2f}")
    if isinstance(value, Percent):
        return len(f"{value.ratio:.0%}")
    text = str(value)
    lines = text.splitlines() or [text]
    return max(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line[:200]) for line in lines)


def named(session: Session, model: type, record_id: int | None) -> str | None:
    """What a filter by id chose (a region, an industry, a call…), named for the title row."""
    if record_id is None:
        return None
    record = session.get(model, record_id)
    return str(getattr(record, "name", None) or getattr(record, "title", None) or record_id)


def caption(title: str, filters: Mapping[str, object] | str | None = None) -> str:
    """The title row: the list, the filter used, the export time in Beijing."""
    if isinstance(filters, str):
        used = filters or ALL
    else:
        used = "，".join(f"{k}={v}" for k, v in (filters or {}).items() if v not in (None, "")) or ALL
    return f"{title}（筛选：{used}；导出时间：{clock.beijing_now():%Y-%m-%d %H:%M} 北京时间）"


@dataclass(frozen=True)
class Sheet:
    """One sheet of an export: its list's name (title row), headers, rows, the filter that chose the rows,
    and the sheet's tab name where it differs from the list's."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]]
    filters: Mapping[str, object] | str | None = None
    tab: str | None = None


def write_sheet(workbook: Workbook, spec: Sheet) -> int:
    """Write one sheet to a write-only workbook; the number of data rows written."""
    sheet = workbook.create_sheet(title=INVALID_TAB.sub("_", spec.tab or spec.title)[:31])
    headers = list(spec.headers)
    rows = iter(spec.rows)
    ahead = list(islice(rows, WIDTH_SAMPLE))
    widths = [display_width(h) for h in headers]
    for row in ahead:
        for i, value in enumerate(row[: len(widths)]):
            widths[i] = max(widths[i], display_width(value))
    last = get_column_letter(max(len(headers), 1))
    for i, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(i)].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"

    title = WriteOnlyCell(sheet, caption(spec.title, spec.filters))
    title.font = Font(bold=True, size=12)
    sheet.append([title])
    if len(headers) > 1:
        sheet.merged_cells.add(f"A{TITLE_ROW}:{last}{TITLE_ROW}")
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    header_cells = []
    for name in headers:
        cell = WriteOnlyCell(sheet, name)
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center")
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in chain(ahead, rows):
        sheet.append([_typed(sheet, v) for v in row])
        count += 1
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + count}"
    return count


def xlsx_bytes(sheets: Sequence[Sheet]) -> tuple[bytes, int]:
    """The workbook and the number of data rows written over all its sheets."""
    workbook = Workbook(write_only=True)
    count = sum(write_sheet(workbook, spec) for spec in sheets)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), count


def xlsx_response(
    session: Session,
    *,
    title: str,
    filename: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    entity_type: str,
    filters: Mapping[str, object] | str | None = None,
) -> Response:
    """One sheet of a list; see ``xlsx_workbook_response``."""
    sheet = Sheet(title, headers, rows, filters)
    return xlsx_workbook_response(session, filename=filename, sheets=[sheet], entity_type=entity_type)


def xlsx_workbook_response(session: Session, *, filename: str, sheets: Sequence[Sheet], entity_type: str) -> Response:
    """Build the file and record the export (what, how many rows) in the audit trail."""
    content, count = xlsx_bytes(sheets)
    audit.log(session, "export", entity_type, "-", meta={"rows": count, "file": filename})
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=XLSX, headers={"Content-Disposition": disposition})
