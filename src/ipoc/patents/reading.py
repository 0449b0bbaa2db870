"""Streaming readers for patent export files (CSV, XLSX, JSONL): one row at a time, headers mapped to fields.

Memory stays flat whatever the file size: CSV and JSONL are read through a buffered binary file, XLSX with
openpyxl in read-only mode. Whole-file problems raise FileRefused; row problems come out as RowIssue.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import subprocess
import sys
import tomllib
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, time
from functools import cache
from importlib import resources
from itertools import chain
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

from ipoc.errors import InvalidInput
from ipoc.patents.numbers import is_valid_application_no
from ipoc.patents.records import EXTRA, RowIssue

MAX_CELL_BYTES = 1024 * 1024
# Above MAX_CELL_BYTES so an oversized cell becomes a row issue rather than a csv.Error; bounded so a
# broken quote cannot pull a whole large file into one field.
csv.field_size_limit(max(csv.field_size_limit(), 16 * MAX_CELL_BYTES))

_SNIFF_BYTES = 64 * 1024
_VALUE_CUT = 200
_TRAILING_UNIT = re.compile(r"\([^()]*\)$")
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1f]")

Row = tuple[int, dict[str, str]]


class FileRefused(InvalidInput):
    """The file as a whole cannot be imported; the message says why, in Chinese."""


def header_key(header: str) -> str:
    """Matching key: half-width, case-folded, no spaces."""
    return "".join(unicodedata.normalize("NFKC", header).casefold().split())


def _add_synonyms(table: dict[str, str], data: Mapping[str, Any], source: str) -> None:
    for field, headers in data.items():
        if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
            raise InvalidInput(f"表头同义词表 {source} 中字段 {field} 的值应为表头列表")
        for header in headers:
            table[header_key(header)] = field


@cache
def _builtin_synonyms() -> dict[str, str]:
    text = resources.files("ipoc.patents").joinpath("header_synonyms.toml").read_text(encoding="utf-8")
    table: dict[str, str] = {}
    _add_synonyms(table, tomllib.loads(text), "header_synonyms.toml")
    return table


def load_synonyms(extra: Path | None = None) -> dict[str, str]:
    """Header key → canonical field: the built-in table, then ``extra`` (when it exists) on top."""
    table = dict(_builtin_synonyms())
    if extra is not None and extra.is_file():
        try:
            data = tomllib.loads(extra.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"表头同义词表 {extra} 无法解析：{exc}") from exc
        known = set(table.values())
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidInput(f"表头同义词表 {extra} 中有未知字段：{'、'.join(unknown)}")
        _add_synonyms(table, data, str(extra))
    return table


def field_for_header(header: str, synonyms: Mapping[str, str]) -> str | None:
    key = header_key(header)
    if key in synonyms:
        return synonyms[key]
    return synonyms.get(_TRAILING_UNIT.sub("", key))


def _clean(value: str) -> str:
    return value.replace("\x00", "") if "\x00" in value else value


def _cut(value: str) -> str:
    return value[:_VALUE_CUT]


def _oversized(value: str) -> bool:
    return len(value) > MAX_CELL_BYTES // 4 and len(value.encode("utf-8")) > MAX_CELL_BYTES


# When several columns carry one field, the most specific wins (see _specificity); a tie goes to the first.
_CURRENT = ("当前", "current", "最新")
_SIMPLE = ("简单", "simple")
_CHINESE = ("中文", "(zh)", "chinese")
_ORIGINAL = ("原文", "原始", "original", "英文", "english", "外文")


def _specificity(header: str, field: str) -> int:
    """当前 over original (owners, status); full legal status over simple; 中文 over the original language for
    titles and abstracts. Higher wins."""
    key = header_key(header)
    score = 2 if any(word in key for word in _CURRENT) else 0
    if field == "legal_status" and any(word in key for word in _SIMPLE):
        score -= 1
    if field in ("title", "abstract", "claims", "first_claim"):
        score += 1 if any(word in key for word in _CHINESE) else -1 if any(w in key for w in _ORIGINAL) else 0
    return score


def _column_name(index: int, header: str) -> str:
    """A column's own header, or 第N列 for a column without one (its cells are kept all the same)."""
    return header.strip() or f"第{index + 1}列"


def _choose_columns(headers: list[str], synonyms: Mapping[str, str]) -> dict[int, str]:
    """Column index → field, one column per field: the most specific of those that name it."""
    best: dict[str, tuple[int, int]] = {}  # field → (specificity, -index)
    for index, header in enumerate(headers):
        field = field_for_header(header, synonyms) if header.strip() else None
        if field is None:
            continue
        rank = (_specificity(header, field), -index)
        if field not in best or rank > best[field]:
            best[field] = rank
    return {-rank[1]: field for field, rank in best.items()}


class RowSource:
    """Rows of one file as ``(row_no, {field: value})`` or RowIssue; a context manager that closes the file.

    ``row_no`` is the row a person sees: the spreadsheet's row number for CSV and XLSX (title rows and the header
    counted), the line number for JSONL. ``current_cells`` holds the original cells of the row last yielded, so
    that a report can repeat them beside its reason.
    """

    def __init__(
        self,
        path: Path,
        headers: list[str],
        rows: Iterator[tuple[int, list[str]] | RowIssue],
        synonyms: Mapping[str, str],
        closers: list[Any],
        progress: Any,
        header_row: int = 1,
    ) -> None:
        self.path = path
        self.headers = headers
        self.header_row = header_row
        self.current_cells: list[str] = []
        self.total_bytes = path.stat().st_size
        self._rows = rows
        self._closers = closers
        self._progress = progress
        self.mapping: dict[str, str] = {}
        self.headers_by_field: dict[str, str] = {}
        self._columns: list[tuple[int, str]] = []
        self._filled = [0] * len(headers)
        chosen = _choose_columns(headers, synonyms)
        for index, field in sorted(chosen.items()):
            self.mapping[headers[index]] = field
            self.headers_by_field[field] = headers[index]
            self._columns.append((index, field))
        self.superseded = {  # header → the header that carries its field instead
            header: self.headers_by_field[named]
            for index, header in enumerate(headers)
            if index not in chosen and header.strip() and (named := field_for_header(header, synonyms))
        }
        # Every other named column is kept verbatim with the record, under its own header (see EXTRA).
        self._kept = [(i, EXTRA + _column_name(i, h)) for i, h in enumerate(headers) if i not in chosen]

    def column_report(self) -> list[dict[str, Any]]:
        """Where each column of the file went: mapped to a field, kept verbatim (其他字段), or empty in every row;
        read after the rows, as "empty" needs them all."""
        report = []
        for index, header in enumerate(self.headers):
            field = self.mapping.get(header) if header.strip() else None
            filled = self._filled[index]
            status = "empty" if not filled else "mapped" if field else "kept"
            name = _column_name(index, header)
            entry = {"column": index + 1, "header": name, "status": status, "field": field, "filled": filled}
            if header in self.superseded:
                entry["instead"] = self.superseded[header]
            report.append(entry)
        return report

    @property
    def bytes_read(self) -> int:
        """How far into the file reading has got (estimated for XLSX), for a progress bar."""
        return min(self.total_bytes, int(self._progress()))

    def __iter__(self) -> Iterator[Row | RowIssue]:
        width = len(self.headers)
        for item in self._rows:
            if isinstance(item, RowIssue):
                self.current_cells = []
                yield item
                continue
            row_no, cells = item
            self.current_cells = cells
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > width and not any(cell.strip() for cell in cells[width:]):
                cells = cells[:width]
            if len(cells) != width:
                reason = f"字段无法对应：表头 {width} 列，此行 {len(cells)} 列"
                yield RowIssue(row_no, "", reason, _cut(",".join(cells)))
                continue
            yield from self._placed(row_no, cells)

    def _placed(self, row_no: int, cells: list[str]) -> Iterator[Row | RowIssue]:
        filled = self._filled
        for index, cell in enumerate(cells):
            if cell and not cell.isspace():
                filled[index] += 1
                if _oversized(cell):
                    yield RowIssue(row_no, self.headers[index], "单元格超过 1 MB", _cut(cell))
                    return
        row = {field: _clean(cells[index]) for index, field in self._columns}
        row.update((key, _clean(cells[index])) for index, key in self._kept if cells[index].strip())
        yield row_no, row

    inferred_header = False  # True when the file had no header row and its columns were named from their content

    def close(self) -> None:
        for closer in self._closers:
            closer.close()

    def __enter__(self) -> RowSource:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


# ---- finding the header --------------------------------------------------------------------------------

_HEADER_SCAN = 30  # rows searched for the header: exports put title rows (search query, export time) above it
_INFER_SCAN = 50  # rows whose content names the columns of a file that has no header
_HEADER_CELL_MAX = 64  # a longer cell is data, never a header: spares matching abstracts against the table
_HEAD_CHARS = 4 * 1024 * 1024  # the rows looked at before the header is chosen hold at most about this much text

Cells = tuple[int, list[str]]
Item = Cells | RowIssue


class _Header(NamedTuple):
    cells: list[str]
    row: int  # the spreadsheet's row number of the header; 0 when the header was inferred from the data
    rest: Iterator[Item]  # the rows after the header
    inferred: bool


def _mapped_count(cells: list[str], synonyms: Mapping[str, str]) -> int:
    """How many distinct fields the cells of a row name when read as headers."""
    fields = {field_for_header(cell, synonyms) for cell in cells if 0 < len(cell.strip()) <= _HEADER_CELL_MAX}
    return len(fields - {None})


def _header_cells(cells: list[str]) -> list[str]:
    headers = [_clean(cell).strip() for cell in cells]
    while headers and not headers[-1]:
        headers.pop()
    return headers


def _first_rows(rows: Iterator[Item]) -> list[Item]:
    """Up to _INFER_SCAN rows, fewer when they already hold more than _HEAD_CHARS characters."""
    head: list[Item] = []
    size = 0
    for item in rows:
        head.append(item)
        size += 0 if isinstance(item, RowIssue) else sum(len(cell) for cell in item[1])
        if len(head) == _INFER_SCAN or size > _HEAD_CHARS:
            break
    return head


def _locate_header(rows: Iterator[Item], synonyms: Mapping[str, str]) -> _Header:
    """The header among the first rows, title rows above it skipped: the row naming the most known fields (at least
    two; the first of equals). Failing that, headers inferred from the content of a file that starts with data;
    failing that, the row naming one field, else the first non-empty row (the caller then says what it found).
    Holds a bounded head of rows, so memory stays flat."""
    head = _first_rows(rows)
    filled = {
        index: item
        for index, item in enumerate(head)
        if not isinstance(item, RowIssue) and any(cell.strip() for cell in item[1])
    }
    if not filled:
        issue = next((item for item in head if isinstance(item, RowIssue)), None)
        raise FileRefused(f"无法读取表头：{issue.reason}" if issue else "文件为空：没有表头和数据")
    scores = {index: _mapped_count(cells, synonyms) for index, (_, cells) in filled.items() if index < _HEADER_SCAN}
    at = max(scores, key=scores.__getitem__, default=min(filled))  # the first of equals
    if scores.get(at, 0) < 2:
        inferred = _inferred_headers([cells for _, cells in filled.values()])
        if inferred is not None:
            return _Header(inferred, 0, chain(head, rows), True)
        if scores.get(at, 0) == 0:
            at = min(filled)
    row_no, cells = filled[at]
    return _Header(_header_cells(cells), row_no, chain(head[at + 1 :], rows), False)


def _row_source(
    path: Path, header: _Header, synonyms: Mapping[str, str], closers: list[Any], progress: Any
) -> RowSource:
    source = RowSource(path, header.cells, header.rest, synonyms, closers, progress, header_row=header.row)
    source.inferred_header = header.inferred
    return source


# ---- naming the columns of a file without a header -----------------------------------------------------

_MOSTLY = 0.8  # share of a column's cells that must look alike (real lists carry the odd typo)
_DATE = re.compile(r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?(?:[ T][\d:.]+)?|(\d{4})(\d{2})(\d{2})")
_PUBLICATION_NO = re.compile(r"(?:CN)?-?\d{7,12}-?[ABCUSY]\d?")  # CN kind codes (a check character is 0-9 or X)
_NAMES = re.compile(r"[\u4e00-\u9fff·]{2,4}(?:\s*[、;；,，]\s*[\u4e00-\u9fff·]{2,4})*")
_NAME_SEPARATOR = re.compile(r"[、;；,，]")
_STATUS_WORDS = ("授权", "有效", "失效", "审中", "实审", "申请", "公开", "驳回", "撤回", "放弃", "终止", "届满", "无效")
_ORGANISATION_WORDS = ("大学", "学院", "学校", "公司", "研究院", "研究所", "研究中心", "实验室", "集团", "医院", "厂")


def _is_publication_no(value: str) -> bool:
    return _PUBLICATION_NO.fullmatch("".join(unicodedata.normalize("NFKC", value).upper().split())) is not None


def _is_date(value: str) -> bool:
    match = _DATE.fullmatch(value)
    if match is None:
        return False
    year, month, day = (int(part) for part in match.groups() if part is not None)
    try:
        date(year, month, day)
    except ValueError:
        return False
    return 1980 <= year <= 2100


def _is_status(value: str) -> bool:
    return len(value) <= 10 and any(word in value for word in _STATUS_WORDS)


def _is_organisation(value: str) -> bool:
    return any(word in value for word in _ORGANISATION_WORDS)


def _are_names(value: str) -> bool:
    return _NAMES.fullmatch(value) is not None


def _letters(value: str) -> float:
    return sum(1 for char in value if char.isalpha())


def _share(values: list[str], test: Callable[[str], bool]) -> float:
    return sum(1 for value in values if test(value)) / len(values)


def _mean(values: list[str], measure: Callable[[str], float]) -> float:
    return sum(measure(value) for value in values) / len(values)


def _inferred_headers(rows: list[list[str]]) -> list[str] | None:
    """Chinese header names for the columns of a file that starts with data, judged from its first rows; None
    unless the first row holds a patent number and a column of such numbers is found."""
    if not any(is_valid_application_no(cell) or _is_publication_no(cell) for cell in rows[0]):
        return None
    width = max(len(row) for row in rows)
    columns = [[row[i].strip() for row in rows if i < len(row) and row[i].strip()] for i in range(width)]
    names: dict[int, str] = {}

    def claim(
        header: str,
        test: Callable[[str], bool],
        least: float = _MOSTLY,
        rank: Callable[[list[str]], float] | None = None,
    ) -> None:
        """Name the first free column (or the best by ``rank``) in which at least ``least`` of the cells pass."""
        fitting = [i for i, values in enumerate(columns) if i not in names and values and _share(values, test) >= least]
        if fitting:
            names[max(fitting, key=lambda i: rank(columns[i])) if rank else fitting[0]] = header

    claim("申请号", is_valid_application_no)
    claim("公开号", _is_publication_no)
    if not names:
        return None
    claim("申请日", _is_date)
    claim("公开日", _is_date)
    claim("法律状态", _is_status)
    claim("申请人", _is_organisation, 0.5, lambda values: _share(values, _is_organisation))
    claim("发明人", _are_names, rank=lambda values: _mean(values, lambda v: len(_NAME_SEPARATOR.split(v))))
    claim("申请人", _are_names)  # people as applicants, when no column names organisations
    claim("名称", lambda _: True, 0.0, lambda values: _mean(values, _letters))  # the most text, not codes
    return [names.get(i, f"第{i + 1}列") for i in range(width)]


# ---- CSV ---------------------------------------------------------------------------------------------


def _looks_binary(head: bytes) -> bool:
    return bool(head) and len(_CONTROL.findall(head)) > max(8, len(head) // 100)


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 saved without a BOM: digits, commas and line ends put a NUL in every other byte, on one side only
    (a binary file has NULs on both sides, UTF-8 and GB18030 text has none)."""
    sample = head[: len(head) // 2 * 2]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if max(even, odd) < max(2, len(sample) // 16) or min(even, odd) > max(even, odd) // 4:
        return None
    encoding = "utf-16-le" if odd > even else "utf-16-be"
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        return None
    return encoding


def sniff_encoding(head: bytes) -> str:
    """UTF-8 (BOM or not) when the first chunk decodes as UTF-8, else GB18030 (a superset of GBK).

    UTF-16 (Excel's "Unicode text" export) is recognised by its BOM, or without one by where its NULs fall.
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    utf16 = _utf16_without_bom(head)
    if utf16 is not None:
        return utf16
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def _delimiter(head: str, synonyms: Mapping[str, str]) -> str:
    """Tab or comma: the one that splits some early line into the most known headers (title rows above the header
    may use neither); for a file without a header line, the one its first line uses more."""
    lines = [line for line in head.splitlines()[:_HEADER_SCAN] if line.strip()]
    if not lines:
        return ","
    tab, comma = (
        max(_mapped_count([cell.strip().strip('"') for cell in line.split(delimiter)], synonyms) for line in lines)
        for delimiter in "\t,"
    )
    if tab != comma:
        return "\t" if tab > comma else ","
    return "\t" if lines[0].count("\t") > lines[0].count(",") else ","


def _open_csv(path: Path, synonyms: Mapping[str, str]) -> RowSource:
    raw = path.open("rb")
    try:
        head = raw.read(_SNIFF_BYTES)
        encoding = sniff_encoding(head)
        if not encoding.startswith("utf-16") and _looks_binary(head):
            raise FileRefused("文件不是文本表格（看起来是二进制文件），无法按 CSV 读取")
        raw.seek(0)
        text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
        reader = csv.reader(text, delimiter=_delimiter(head.decode(encoding, errors="replace"), synonyms))
        header = _locate_header(_csv_rows(reader), synonyms)
    except BaseException:
        raw.close()
        raise
    return _row_source(path, header, synonyms, [text, raw], raw.tell)


def _csv_rows(reader: Any) -> Iterator[Item]:
    """Every record numbered as a spreadsheet shows the file (one row per record, blank records counted)."""
    row_no = 0
    while True:
        row_no += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reason = "单元格超过 1 MB" if "field larger" in str(exc) else f"此行无法解析：{exc}"
            yield RowIssue(row_no, "", reason, "")
            continue
        yield row_no, row


# ---- XLSX and XLS --------------------------------------------------------------------------------------

_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file a legacy .xls is stored in
_XLS_PROBE_SECONDS = 60
_XLS_PROBE_MEMORY = 1024 * 1024 * 1024  # address space of the check, plus 16 bytes per byte of the file
_XLS_PROBE = """
import resource, sys
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from python_calamine import CalamineWorkbook, PasswordError
try:
    with open(sys.argv[1], "rb") as handle:
        for _ in CalamineWorkbook.from_filelike(handle).get_sheet_by_index(0).iter_rows():
            pass
except PasswordError:
    sys.exit(3)
"""


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _padded(rows: Iterator[Item], width: int) -> Iterator[Item]:
    """Spreadsheet rows end at their last filled cell: pad them to the header's width."""
    for item in rows:
        if not isinstance(item, RowIssue) and len(item[1]) < width:
            item = item[0], item[1] + [""] * (width - len(item[1]))
        yield item


def _sheet_source(
    path: Path, values: Iterator[Any], height: int, synonyms: Mapping[str, str], closers: list[Any]
) -> RowSource:
    """A worksheet's rows (``values``: tuples of cell values from row 1) with its header found; progress is the
    share of its ``height`` rows read, as a share of the file's bytes."""
    position = [0]

    def rows() -> Iterator[Item]:
        for row_no, cells in enumerate(values, start=1):
            position[0] = row_no
            yield row_no, [_cell_text(value) for value in cells]

    try:
        header = _locate_header(rows(), synonyms)
    except BaseException:
        for closer in closers:
            closer.close()
        raise
    size = path.stat().st_size
    header = header._replace(rest=_padded(header.rest, len(header.cells)))
    return _row_source(path, header, synonyms, closers, lambda: size * position[0] / max(height, 1))


def _open_xlsx(path: Path, synonyms: Mapping[str, str]) -> RowSource | None:
    """None when the file is not a workbook openpyxl can read (the caller then tries XLS, then CSV)."""
    import openpyxl  # imported here: a few hundred ms that CSV and JSONL imports need not pay

    if not zipfile.is_zipfile(path):
        return None
    handle = path.open("rb")  # a file, not its name: openpyxl refuses names that do not end in .xlsx
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for damaged or foreign zips
        handle.close()
        return None
    sheet = workbook.worksheets[0]
    return _sheet_source(path, sheet.iter_rows(values_only=True), sheet.max_row or 0, synonyms, [workbook, handle])


def _check_xls(path: Path) -> None:
    """Parse the workbook once in a child process with bounded memory and time before reading it here: on some
    damaged .xls files calamine asks for tens of GB and aborts the whole process, and an upload must not take
    the server down."""
    limit = _XLS_PROBE_MEMORY + 16 * path.stat().st_size
    command = [sys.executable, "-I", "-c", _XLS_PROBE, str(path), str(limit)]
    try:
        done = subprocess.run(command, capture_output=True, timeout=_XLS_PROBE_SECONDS, check=False)
    except subprocess.TimeoutExpired as exc:
        raise FileRefused(".xls 文件读取超时，文件可能已损坏；请用 Excel 打开后另存为 .xlsx 再导入") from exc
    if done.returncode == 3:
        raise FileRefused(".xls 文件设有密码，请取消密码或另存为 .xlsx 后再导入")
    if done.returncode != 0:
        raise FileRefused(".xls 文件已损坏或不是 Excel 工作簿，无法读取；请用 Excel 打开后另存为 .xlsx 再导入")


def _open_xls(path: Path, synonyms: Mapping[str, str]) -> RowSource | None:
    """Legacy Excel through calamine; None when the file is not a compound document (the caller then tries CSV:
    some systems save tab-separated text as .xls). Calamine holds the first sheet in memory, which an .xls bounds
    at 65,536 rows."""
    with path.open("rb") as handle:
        if handle.read(len(_OLE_SIGNATURE)) != _OLE_SIGNATURE:
            return None
    _check_xls(path)
    from python_calamine import CalamineWorkbook

    with path.open("rb") as handle:  # by content: from_path would go by the extension
        workbook = CalamineWorkbook.from_filelike(handle)
    sheet = workbook.get_sheet_by_index(0)
    return _sheet_source(path, sheet.iter_rows(), sheet.height, synonyms, [workbook])


# ---- JSONL -------------------------------------------------------------------------------------------


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ";".join(_json_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value).lower() if isinstance(value, bool) else str(value)


def _open_jsonl(path: Path, synonyms: Mapping[str, str]) -> RowSource | None:
    """None when the first non-empty line is not a JSON object (the caller then tries CSV)."""
    raw = path.open("rb")
    first: Any = None
    first_line = 0
    for line in raw:
        first_line += 1
        if line.strip():
            try:
                first = json.loads(line.decode("utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                first = None
            break
    else:
        raw.close()
        raise FileRefused("文件为空：没有任何记录")
    if not isinstance(first, dict):
        raw.close()
        return None
    headers = [str(key) for key in first]

    def lines() -> Iterator[tuple[int, list[str]] | RowIssue]:
        yield first_line, [_json_text(first.get(h)) for h in headers]
        for line_no, line in enumerate(raw, start=first_line + 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                yield RowIssue(line_no, "", "此行不是有效的 JSON", _cut(line.decode("utf-8", "replace")))
                continue
            if not isinstance(record, dict):
                yield RowIssue(line_no, "", "此行不是 JSON 对象", _cut(line.decode("utf-8", "replace")))
                continue
            yield line_no, [_json_text(record.get(h)) for h in headers]

    return RowSource(path, headers, lines(), synonyms, [raw], raw.tell, header_row=first_line - 1)


# ---- entry point -------------------------------------------------------------------------------------


_NUMBER_FIELDS = ("application_no", "publication_no", "grant_no", "link", "record_id")


def refuse_without_identity(source: RowSource) -> None:
    """A file with no column that can identify a record (application, publication or grant number, a link that
    carries one, or the export's own record id) cannot be imported."""
    if any(field in source.headers_by_field for field in _NUMBER_FIELDS):
        return
    source.close()
    shown = "、".join(h for h in source.headers[:30] if h) or "（无）"
    hint = "；第一行看起来是数据，文件需要表头行" if any(is_valid_application_no(h) for h in source.headers) else ""
    raise FileRefused(f"文件中没有申请号列，也没有公开号列。找到的表头：{shown}{hint}")


def open_rows(
    path: Path,
    *,
    suffix: str | None = None,
    synonyms: Mapping[str, str] | None = None,
    require_application_no: bool = True,
) -> RowSource:
    """Open an export for streaming; ``suffix`` overrides the file name's (uploads keep theirs apart).

    ``synonyms`` comes from load_synonyms (the built-in table when None). Raises FileRefused when the
    file is empty, has no application-number column, or is neither what its extension says nor CSV.
    """
    table = synonyms if synonyms is not None else _builtin_synonyms()
    kind = (suffix or path.suffix).lower().lstrip(".")
    if path.stat().st_size == 0:
        raise FileRefused("文件为空")
    source: RowSource | None = None
    if kind in ("xlsx", "xlsm", "xls"):
        source = _open_xlsx(path, table) or _open_xls(path, table)
    elif kind in ("jsonl", "ndjson", "json"):
        source = _open_jsonl(path, table)
    if source is None:
        try:
            source = _open_csv(path, table)
        except FileRefused as exc:
            if kind in ("xlsx", "xlsm", "jsonl", "ndjson", "json", "xls"):
                expected = {"xls": "Excel（.xls）"}.get(kind, kind.upper())
                raise FileRefused(f"文件不是有效的 {expected} 文件，也无法按 CSV 读取：{exc.message}") from exc
            raise
    if require_application_no:
        refuse_without_identity(source)
    return source
