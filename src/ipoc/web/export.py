"""Export of any list to XLSX: safe against formula injection, within Excel's cell limit, and audited."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from urllib.parse import quote

from fastapi.responses import Response
from openpyxl import Workbook
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.audit import service as audit

EXCEL_CELL_LIMIT = 32_767
CUT_MARKER = "…[内容过长已截断]"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula is prefixed with a quote; long text is cut, visibly.
    An aware moment is written as Beijing wall-clock time (Excel has no time zones, openpyxl refuses them)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return clock.beijing_at(value)
    if value is None or isinstance(value, bool | int | float | date | datetime):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    if len(text) > EXCEL_CELL_LIMIT:
        text = text[: EXCEL_CELL_LIMIT - len(CUT_MARKER)] + CUT_MARKER
    return text


Sheet = tuple[str, Sequence[str], Iterable[Sequence[object]]]  # (title, headers, rows)


def xlsx_bytes(sheets: Sequence[Sheet]) -> tuple[bytes, int]:
    """The workbook and the number of data rows written over all its sheets."""
    workbook = Workbook(write_only=True)
    count = 0
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append(list(headers))
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
            count += 1
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
) -> Response:
    """One sheet of a list; see ``xlsx_workbook_response``."""
    return xlsx_workbook_response(session, filename=filename, sheets=[(title, headers, rows)], entity_type=entity_type)


def xlsx_workbook_response(session: Session, *, filename: str, sheets: Sequence[Sheet], entity_type: str) -> Response:
    """Build the file and record the export (what, how many rows) in the audit trail."""
    content, count = xlsx_bytes(sheets)
    audit.log(session, "export", entity_type, "-", meta={"rows": count, "file": filename})
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=XLSX, headers={"Content-Disposition": disposition})
