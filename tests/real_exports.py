"""The real exports in the shared data (outside the repository), and the 60-column commercial export saved again as
the CSV, XLSX and XLS a person would: what the reading and the import tests of real files share."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import openpyxl

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"

GOOGLE = {  # file: (header row, records); the newer exports start with a "search URL:" line
    "gp-search-20181012-181513.csv": (1, 909),
    "gp-search-20181013-123852.csv": (1, 780),
    "gp-search-artificial-intelligence.csv": (2, 750),
    "gp-search-autonomous-systems.csv": (2, 677),
    "gp-search-computer-science.csv": (2, 752),
    "gp-search-deep-learning.csv": (2, 771),
    "gp-search-deep-neural-networks.csv": (2, 700),
    "gp-search-information-processing.csv": (2, 949),
    "gp-search-machine-learning.csv": (2, 736),
    "gp-search-neural-networks.csv": (2, 851),
    "gp-search-recurrent-neural-networks.csv": (2, 697),
    "gp-search-thinking-machines.csv": (2, 659),
}


def sixty_column_table() -> tuple[list[str], list[list[str]]]:
    """Header and rows of the MySQL dump of a real 60-column export."""
    text = (SHARED / "cn-patents-full-fields" / "patents-60-columns.sql").read_text(encoding="utf-8")
    columns = re.findall(r"^  `([^`]+)`", text.split("CREATE TABLE")[1].split(") ENGINE")[0], re.MULTILINE)
    rows = [next(csv.reader([line[line.index("VALUES (") + 8 : -2]], quotechar="'", skipinitialspace=True))
            for line in text.splitlines() if line.startswith("INSERT")]  # fmt: skip
    return columns, rows


TITLE_ROWS = [["专利检索结果"], ["检索式：申请人=(河南省) AND 申请日>=2022"], []]


def save_csv(path: Path, table: list[list[str]]) -> Path:
    with path.open("w", encoding="gb18030", newline="") as handle:  # as Excel on a Chinese Windows saves CSV
        csv.writer(handle).writerows(table)
    return path


def save_xlsx(path: Path, table: list[list[str]]) -> Path:
    workbook = openpyxl.Workbook()
    for row in table:
        workbook.active.append(row)
    workbook.save(path)
    return path


def save_xls(path: Path, table: list[list[str]]) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("检索结果")
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(str(path))
    return path
