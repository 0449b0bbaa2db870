"""Export of a result set: Chinese headers, formula-safe cells (text cells in XLSX, a quote in CSV), Excel's
cell limit cut with a visible marker, in XLSX and CSV alike."""

from __future__ import annotations

import csv

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from ipoc.db import session_scope
from ipoc.patents.export import HEADERS, write_export
from ipoc.patents.models import Patent
from ipoc.web.export import CUT_MARKER, EXCEL_CELL_LIMIT
from tests.exported import assert_office_ready
from tests.import_files import counts, good_row, run_import, write_csv


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_is_safe_and_cut_visibly(instance, tmp_path, fmt):
    rows = [good_row(1, '=HYPERLINK("http://evil")', 摘要="长" * 40_000), good_row(2, "普通标题")]
    counts(run_import(write_csv(tmp_path / "in.csv", rows)))
    with session_scope() as session:
        ids = list(session.scalars(select(Patent.id).order_by(Patent.id)))
    target = tmp_path / f"out.{fmt}"
    assert write_export(ids, target, fmt) == 2

    if fmt == "xlsx":
        sheet = load_workbook(target).active
        table = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
        assert_office_ready(target, "专利检索结果")
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    else:
        with target.open(encoding="utf-8-sig", newline="") as stream:
            table = list(csv.reader(stream))
    assert table[0] == HEADERS
    title, abstract = table[1][HEADERS.index("发明名称")], table[1][HEADERS.index("摘要")]
    # XLSX: a text cell, which Excel never runs, so no visible quote; CSV has no types: the quote guards it
    assert title == ('=HYPERLINK("http://evil")' if fmt == "xlsx" else '\'=HYPERLINK("http://evil")')
    assert len(abstract) == EXCEL_CELL_LIMIT and abstract.endswith(CUT_MARKER)
    assert table[2][HEADERS.index("发明名称")] == "普通标题"
