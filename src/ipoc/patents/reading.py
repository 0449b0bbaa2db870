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
import tomllib
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time
from functools import cache
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any

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
            header: self.headers_by_field[field]
            for index, header in enumerate(headers)
            if index not in chosen and header.strip() and (field := field_for_header(header, synonyms))
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

    def close(self) -> None:
        for closer in self._closers:
            closer.close()

    def __enter__(self) -> RowSource:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


# ---- CSV ---------------------------------------------------------------------------------------------


def _looks_binary(head: bytes) -> bool:
    return bool(head) and len(_CONTROL.findall(head)) > max(8, len(head) // 100)


def _encoding(head: bytes) -> str:
    """UTF-8 (BOM or not) when the first chunk decodes as UTF-8, else GB18030 (a superset of GBK).

    UTF-16 with a BOM (Excel's "Unicode text" export) is recognised by the BOM.
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def _delimiter(header_line: str) -> str:
    return "\t" if header_line.count("\t") > header_line.count(",") else ","


def _open_csv(path: Path, synonyms: Mapping[str, str]) -> RowSource:
    raw = path.open("rb")
    try:
        head = raw.read(_SNIFF_BYTES)
        encoding = _encoding(head)
        if encoding != "utf-16" and _looks_binary(head):
            raise FileRefused("文件不是文本表格（看起来是二进制文件），无法按 CSV 读取")
        raw.seek(0)
        text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
        first = head.decode(encoding, errors="replace").lstrip("\ufeff").split("\n", 2)
        skip_url = first[0].strip().lower().startswith("search url")
        delimiter = _delimiter(first[1] if skip_url and len(first) > 1 else first[0])
        reader = csv.reader(text, delimiter=delimiter)
        headers, header_row = _csv_headers(reader, skip_url)
    except BaseException:
        raw.close()
        raise
    rows = _csv_rows(reader, header_row)
    return RowSource(path, headers, rows, synonyms, [text, raw], raw.tell, header_row=header_row)


def _csv_headers(reader: Any, skip_url: bool) -> tuple[list[str], int]:
    """The header and its row as a spreadsheet shows the file (one row per record, blank records counted)."""
    row_no = 0
    try:
        if skip_url:
            next(reader, None)
            row_no += 1
        for row in reader:
            row_no += 1
            if any(cell.strip() for cell in row):
                return [_clean(cell).strip() for cell in row], row_no
    except csv.Error as exc:
        raise FileRefused(f"无法读取表头：{exc}") from exc
    raise FileRefused("文件为空：没有表头和数据")


def _csv_rows(reader: Any, header_row: int) -> Iterator[tuple[int, list[str]] | RowIssue]:
    row_no = header_row
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


# ---- XLSX --------------------------------------------------------------------------------------------


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


def _open_xlsx(path: Path, synonyms: Mapping[str, str]) -> RowSource | None:
    """None when the file is not a workbook openpyxl can read (the caller then tries CSV)."""
    import openpyxl  # imported here: a few hundred ms that CSV and JSONL imports need not pay

    if not zipfile.is_zipfile(path):
        return None
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for damaged or foreign zips
        return None
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    headers: list[str] | None = None
    header_row = 0
    for values in rows:
        header_row += 1
        cells = [_cell_text(v).strip() for v in values]
        if any(cells):
            headers = [_clean(c) for c in cells]
            break
    if headers is None:
        workbook.close()
        raise FileRefused("文件为空：工作表没有表头和数据")
    while headers and not headers[-1]:
        headers.pop()
    total_rows = max(sheet.max_row or 0, 1)
    position = [header_row]

    def data_rows() -> Iterator[tuple[int, list[str]]]:
        for row_no, values in enumerate(rows, start=header_row + 1):
            position[0] = row_no
            cells = [_cell_text(v) for v in values]
            if len(cells) < len(headers):
                cells += [""] * (len(headers) - len(cells))
            yield row_no, cells

    size = path.stat().st_size
    return RowSource(
        path, headers, data_rows(), synonyms, [workbook], lambda: size * position[0] / total_rows, header_row=header_row
    )


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


_NUMBER_FIELDS = ("application_no", "publication_no", "grant_no", "link")


def _refuse_without_application_no(source: RowSource) -> None:
    """A file with no column that can identify a patent (application, publication or grant number, or a link that
    carries one) cannot be imported."""
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
    if kind in ("xlsx", "xlsm"):
        source = _open_xlsx(path, table)
    elif kind in ("jsonl", "ndjson", "json"):
        source = _open_jsonl(path, table)
    if source is None:
        try:
            source = _open_csv(path, table)
        except FileRefused as exc:
            if kind in ("xlsx", "xlsm", "jsonl", "ndjson", "json", "xls"):
                expected = {"xls": "旧版 Excel（.xls 请另存为 .xlsx 或 CSV）"}.get(kind, kind.upper())
                raise FileRefused(f"文件不是有效的 {expected} 文件，也无法按 CSV 读取：{exc.message}") from exc
            raise
    if require_application_no:
        _refuse_without_application_no(source)
    return source
