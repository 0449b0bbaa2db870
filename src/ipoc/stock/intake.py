"""Reading a university's patent list (CSV in UTF-8/GBK/GB18030, XLSX, or pasted text) into checked rows.

The file is read by the patent importer's reader (encoding, delimiter and format detection, binary and
empty files refused), with a header table of its own: the application number as the importer knows it,
plus college, contact, note and title. A list without a header row (the first row already holds an
application number) is read too. Nothing here touches the database: the service writes the kept rows in
one transaction after the whole file has been read, so a broken file leaves nothing behind.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ipoc.errors import InvalidInput
from ipoc.patents.numbers import normalise_application_no
from ipoc.patents.reading import FileRefused, RowSource, header_key, load_synonyms, open_rows
from ipoc.patents.records import RowIssue

MAX_ROWS = 20_000
MAX_UPLOAD = 20 << 20  # bytes: a list of numbers, not a full export
ALLOWED_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls"}
LIMITS = {"college": 100, "contact": 200, "note": 2000, "title": 500}
FIELD_LABELS = {
    "application_no": "申请号",
    "college": "学院",
    "contact": "发明人联系方式",
    "note": "备注",
    "title": "名称",
}
STOCK_HEADERS = {
    "college": ["学院", "所属学院", "院系", "学院/部门", "院系/部门", "所属院系", "部门", "所属部门", "二级单位",
                "单位（学院）", "college", "department"],
    "contact": ["发明人联系方式", "联系方式", "联系人", "联系电话", "发明人联系人", "contact"],
    "note": ["备注", "说明", "note", "notes", "remark"],
}  # fmt: skip
Rows = Generator[tuple[int, dict[str, str]] | RowIssue, None, None]
_NUMBER_SHAPE = re.compile(r"(?:ZL|CN)*\d{8}(?:\d{4})?\.?[0-9X]")


@dataclass(slots=True)
class ListedRow:
    row: int
    application_no: str  # canonical
    college: str = ""
    contact: str = ""
    note: str = ""
    title: str = ""


@dataclass
class ParsedList:
    rows: list[ListedRow] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)
    duplicates: int = 0
    total: int = 0


def _synonyms() -> dict[str, str]:
    """The importer's application-number and title headers, and the list's own columns."""
    table = {key: value for key, value in load_synonyms().items() if value in ("application_no", "title")}
    for name, headers in STOCK_HEADERS.items():
        table.update({header_key(header): name for header in headers})
    return table


def _looks_like_number(cell: str) -> bool:
    return bool(_NUMBER_SHAPE.fullmatch("".join(unicodedata.normalize("NFKC", cell).upper().split())))


def _closing(source: RowSource) -> Rows:
    with source:
        yield from source


def _open(path: Path, suffix: str) -> tuple[dict[str, str], Rows]:
    """(field → header as written, rows as (row_no, {field: value}), row_no as the spreadsheet numbers it); a list
    without a header row yields its first row as data and names its columns by FIELD_LABELS."""
    source: RowSource = open_rows(path, suffix=suffix, synonyms=_synonyms(), require_application_no=False)
    if "application_no" in source.headers_by_field:
        return dict(source.headers_by_field), _closing(source)
    source.close()
    headers = source.headers
    column = next((i for i, cell in enumerate(headers) if _looks_like_number(cell)), None)
    if column is None:
        shown = "、".join(h for h in headers[:30] if h) or "（无）"
        raise FileRefused(f"文件中没有申请号列（表头应含“申请号”或“专利号”），找到的表头：{shown}")
    only_number = {header_key(headers[column]): "application_no"}
    headless = open_rows(path, suffix=suffix, synonyms=only_number, require_application_no=False)

    def rows() -> Rows:
        yield headless.header_row, {"application_no": headers[column]}
        yield from _closing(headless)

    return {}, rows()


def _header(field_name: str, headers_by_field: dict[str, str] | None) -> str:
    return (headers_by_field or {}).get(field_name, FIELD_LABELS[field_name])


def check_rows(
    items: Iterable[tuple[int, dict[str, str]] | RowIssue], existing: set[str], headers: dict[str, str] | None = None
) -> ParsedList:
    """Every row checked: invalid numbers and over-long cells become issues, repeats are reported once kept.

    ``existing``: canonical numbers already in the batch (reported as duplicates, not added again).
    """
    parsed = ParsedList()
    first_row: dict[str, int] = {}
    for item in items:
        parsed.total += 1
        if parsed.total > MAX_ROWS:
            raise FileRefused(f"一次最多导入 {MAX_ROWS} 行，请分批导入")
        if isinstance(item, RowIssue):
            parsed.issues.append(item)
            continue
        row_no, values = item
        raw = (values.get("application_no") or "").strip()
        try:
            number = normalise_application_no(raw)
        except InvalidInput as exc:
            parsed.issues.append(RowIssue(row_no, _header("application_no", headers), exc.message, raw[:200]))
            continue
        too_long = next((f for f, limit in LIMITS.items() if len((values.get(f) or "").strip()) > limit), None)
        if too_long:
            reason = f"超过 {LIMITS[too_long]} 个字符"
            parsed.issues.append(RowIssue(row_no, _header(too_long, headers), reason, values[too_long][:200]))
            continue
        if number in first_row or number in existing:
            parsed.duplicates += 1
            where = f"与第 {first_row[number]} 行重复" if number in first_row else "批次中已有该专利"
            parsed.issues.append(RowIssue(row_no, _header("application_no", headers), where, raw[:200]))
            continue
        first_row[number] = row_no
        cells = {f: (values.get(f) or "").strip() for f in LIMITS}
        parsed.rows.append(ListedRow(row_no, number, **cells))
    return parsed


def read_file(path: Path, suffix: str, existing: set[str]) -> ParsedList:
    """A whole file checked; FileRefused (nothing kept) when the file as a whole cannot be read."""
    headers, items = _open(path, suffix)
    try:
        parsed = check_rows(items, existing, headers)
    finally:
        items.close()
    if parsed.total == 0:
        raise FileRefused("文件中没有数据行")
    return parsed


def read_text(text: str, existing: set[str]) -> ParsedList:
    """Pasted text: one patent a line, optionally with columns separated by tabs (as copied from Excel)
    or commas, with or without a header line."""
    if not text.strip():
        raise FileRefused("粘贴的内容为空")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pasted.csv"
        path.write_text(text.strip() + "\n", encoding="utf-8")
        return read_file(path, ".csv", existing)


def check_suffix(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise InvalidInput("只接受 CSV、TXT 或 XLSX 文件", field="file")
    return suffix
