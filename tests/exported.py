"""Reading an exported XLSX the way the tests need it. Every export opens with a title row (the list, the
filter, the export time) above its header, so a test reads the table from the header down, and one check
says whether a file is office-ready (issue 14 point 6)."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from ipoc.web.export import HEADER_ROW, MONEY_FORMAT


def workbook(source) -> Workbook:
    """A response, the file's bytes or its path, opened."""
    if isinstance(source, Path):
        return load_workbook(source)
    content = source if isinstance(source, bytes) else source.content
    return load_workbook(io.BytesIO(content))


def _sheet(source, name: str | None) -> Worksheet:
    book = source if isinstance(source, Workbook) else workbook(source)
    return book[name] if name else book.active


def table(source, sheet: str | None = None) -> list[tuple]:
    """The header row, then the data rows (the title row above them left out)."""
    return list(_sheet(source, sheet).iter_rows(min_row=HEADER_ROW, values_only=True))


def title(source, sheet: str | None = None) -> str:
    return _sheet(source, sheet).cell(1, 1).value


def assert_office_ready(source, list_name: str) -> None:
    """Each sheet: a title row naming the list and the export time; a bold header frozen and filtered; widths
    set; money a number of 万元 shown with two decimals; dates as date cells; counts as integers; no text
    that shows a formula-guarding quote, and no formula at all."""
    book = source if isinstance(source, Workbook) else workbook(source)
    for ws in book.worksheets:
        where = f"{list_name} / {ws.title}"
        caption = ws.cell(1, 1).value
        assert isinstance(caption, str) and list_name in caption and "导出时间：" in caption, where
        assert "筛选：" in caption and "北京时间" in caption, where
        headers = [c.value for c in ws[HEADER_ROW]]
        assert headers and all(headers), where
        assert all(c.font.b for c in ws[HEADER_ROW]), f"{where}: bold header"
        assert ws.freeze_panes == f"A{HEADER_ROW + 1}", f"{where}: frozen below the header"
        last = ws.cell(HEADER_ROW, len(headers)).column_letter
        assert ws.auto_filter.ref == f"A{HEADER_ROW}:{last}{max(ws.max_row, HEADER_ROW)}", f"{where}: autofilter"
        for column in range(1, len(headers) + 1):
            letter = ws.cell(HEADER_ROW, column).column_letter
            assert ws.column_dimensions[letter].width, f"{where}: width of {headers[column - 1]}"
        for row in ws.iter_rows(min_row=HEADER_ROW + 1):
            for header, cell in zip(headers, row, strict=False):
                value = cell.value
                assert cell.data_type != "f", f"{where}: {header} is a formula"
                if value is None:
                    continue
                if header.endswith("（万元）"):
                    assert isinstance(value, int | float), f"{where}: {header} {value!r} is not a number"
                    assert cell.number_format == MONEY_FORMAT, f"{where}: {header} format {cell.number_format}"
                    continue
                if header.endswith(("日期", "时间", "日")) and not isinstance(value, str):
                    assert isinstance(value, datetime) and cell.is_date, f"{where}: {header} {value!r}"
                if header.endswith(("日期", "日")):
                    assert not isinstance(value, str) or value in ("—",), f"{where}: {header} {value!r} is text"
                if isinstance(value, str):
                    assert not value.startswith("'"), f"{where}: {header} shows a quote: {value!r}"
                elif isinstance(value, int) and not isinstance(value, bool):  # a count, or a whole score (General)
                    assert cell.number_format in ("0", "General"), f"{where}: {header} as {cell.number_format}"
