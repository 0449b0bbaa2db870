"""Patent sets published as a node/relationship graph, in a folder or a ZIP of one: ``node/patent.csv`` holds one
row per patent (its id and its own columns), and every other two-column CSV that names a patent by that id
(``relationship/applicant_patent.csv``: id, applicant; ``app_year.csv``: year, id) adds a column to it.

Read as one table, one row per patent node, so that the ordinary importer (mapping, validation, report) handles
it. The patent file is streamed; the joined files are small lists held as id → values (the 8,665-patent Taiwan
set holds about 58,000 links). Entity files beside the patent node (``node/applicant.csv``) link to nothing and
are not read.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import IO, Any

from ipoc.patents.ipc import ipc_subclass, normalise_ipc
from ipoc.patents.reading import (
    FileRefused,
    RowSource,
    field_for_header,
    header_key,
    load_synonyms,
    open_rows,
    refuse_without_identity,
    sniff_encoding,
)

NODE = PurePosixPath("node", "patent.csv")
_SNIFF = 64 * 1024
_JOIN = "; "  # split_names and split_ipc_list both split on it
# Chinese headers for the columns graph sets commonly join; any other column keeps its own header.
_JOINED_NAMES = {
    "applicant": "申请人",
    "inventor": "发明人",
    "ipc": "IPC",
    "keyword": "关键词",
    "app_year": "申请年",
    "pub_year": "公开年",
}
_SUBCLASSES = "IPC小类"  # bare IPC subclasses (C12N) are no full code: kept beside the record, not flagged invalid


class _Tree:
    """The files of a folder or of a ZIP, by their path below the graph's root."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip = zipfile.ZipFile(path) if path.is_file() else None
        self.root = self._find_root()

    def _members(self) -> list[PurePosixPath]:
        if self._zip is not None:
            return [PurePosixPath(info.filename) for info in self._zip.infolist() if not info.is_dir()]
        return [PurePosixPath(p.relative_to(self.path).as_posix()) for p in self.path.rglob("*.csv") if p.is_file()]

    def _find_root(self) -> PurePosixPath | None:
        """The shallowest folder holding ``node/patent.csv`` (a ZIP of the folder nests it one level down)."""
        roots = [m.parent.parent for m in self._members() if m.parts[-2:] == NODE.parts]
        return min(roots, key=lambda r: len(r.parts), default=None)

    def csv_files(self) -> list[PurePosixPath]:
        """The CSV files below the root, as paths relative to it, in name order."""
        assert self.root is not None
        root = self.root
        inside = [m for m in self._members() if m.suffix.lower() == ".csv" and m.is_relative_to(root)]
        return sorted(m.relative_to(root) for m in inside)

    def size(self, name: PurePosixPath) -> int:
        full = self._full(name)
        return self._zip.getinfo(full).file_size if self._zip is not None else (self.path / full).stat().st_size

    def open(self, name: PurePosixPath) -> IO[bytes]:
        full = self._full(name)
        return self._zip.open(full) if self._zip is not None else (self.path / full).open("rb")

    def _full(self, name: PurePosixPath) -> str:
        assert self.root is not None
        return str(self.root / name) if self.root.parts else str(name)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def _graph_tree(path: Path, suffix: str | None) -> _Tree | None:
    """The graph in ``path`` (a folder, or a file named .zip); None when ``path`` is another kind of export."""
    kind = (suffix or path.suffix).lower().lstrip(".")
    if not path.is_dir() and kind != "zip":
        return None
    if kind == "zip" and not zipfile.is_zipfile(path):
        raise FileRefused("文件不是有效的 ZIP 压缩包")
    tree = _Tree(path)
    if tree.root is None:
        tree.close()
        where = "文件夹" if path.is_dir() else "ZIP 压缩包"
        raise FileRefused(f"{where}中没有 node/patent.csv：只能导入节点/关系图格式的专利集；表格请直接导入，不要打包")
    return tree


def _csv_rows(tree: _Tree, name: PurePosixPath) -> tuple[IO[bytes], Iterator[list[str]]]:
    """The open binary stream and its rows (header first), decoded as the file's own encoding."""
    with tree.open(name) as probe:
        encoding = sniff_encoding(probe.read(_SNIFF))
    raw = tree.open(name)
    return raw, csv.reader(io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline=""))


def _header_of(tree: _Tree, name: PurePosixPath) -> list[str]:
    raw, rows = _csv_rows(tree, name)
    with raw:
        return [cell.strip() for cell in next(rows, [])]


def _id_column(node_headers: list[str], linked: dict[PurePosixPath, list[str]], synonyms: Mapping[str, str]) -> int:
    """The node's id column: the one the other files name patents by, else the one the header map calls a record id."""
    keys = [header_key(h) for h in node_headers]
    shared = [i for i, key in enumerate(keys) if any(key in map(header_key, h) for h in linked.values())]
    named = [i for i, h in enumerate(node_headers) if field_for_header(h, synonyms) == "record_id"]
    if not (shared or named):
        raise FileRefused(f"{NODE} 中没有记录编号列（如 uuid、id），无法与关系文件对应")
    return (shared or named)[0]


def _joined(
    tree: _Tree, name: PurePosixPath, header: list[str], id_header: str
) -> tuple[str, dict[str, list[str]]] | None:
    """(the value column's header, id → its values in file order) of a two-column file naming patents by their id;
    None for any other file, which is then not opened again (``header``: its header, already read)."""
    keys = [header_key(h) for h in header]
    if len(header) != 2 or header_key(id_header) not in keys:
        return None
    at = keys.index(header_key(id_header))
    values: dict[str, list[str]] = {}
    raw, rows = _csv_rows(tree, name)
    with raw:
        next(rows, None)
        for row in rows:
            if len(row) == 2 and row[at].strip() and (value := row[1 - at].strip()):
                found = values.setdefault(row[at].strip(), [])
                if value not in found:
                    found.append(value)
    return header[1 - at], values


def _column_name(header: str, values: dict[str, list[str]], synonyms: Mapping[str, str]) -> str:
    name = _JOINED_NAMES.get(header_key(header), header)
    if field_for_header(name, synonyms) in ("ipc_codes", "ipc_main") and _all_subclasses(values):
        return _SUBCLASSES
    return name


def _all_subclasses(values: dict[str, list[str]]) -> bool:
    codes = [code for found in values.values() for code in found]
    return bool(codes) and all(normalise_ipc(c) is None and ipc_subclass(c) is not None for c in codes)


def _graph_source(tree: _Tree, synonyms: Mapping[str, str]) -> RowSource:
    others = [name for name in tree.csv_files() if name != NODE and name.parts[0] != NODE.parts[0]]
    node_headers = _header_of(tree, NODE)
    linked = {name: _header_of(tree, name) for name in others}
    at = _id_column(node_headers, linked, synonyms)
    columns: list[tuple[str, dict[str, list[str]]]] = []
    for name in others:
        found = _joined(tree, name, linked[name], node_headers[at])
        if found is not None:
            header, values = found
            columns.append((_unique(_column_name(header, values, synonyms), columns, name), values))
    raw, rows = _csv_rows(tree, NODE)
    next(rows, None)
    node_size = max(tree.size(NODE), 1)
    total = sum(tree.size(name) for name in [NODE, *others])

    def joined_rows() -> Iterator[tuple[int, list[str]]]:
        for row_no, cells in enumerate(rows, start=2):
            key = cells[at].strip() if at < len(cells) else ""
            yield row_no, cells + [_JOIN.join(values.get(key, [])) for _, values in columns]

    headers = node_headers + [header for header, _ in columns]
    source = RowSource(tree.path, headers, joined_rows(), synonyms, [raw, tree], lambda: total * raw.tell() / node_size)
    source.total_bytes = total
    return source


def _unique(name: str, columns: list[tuple[str, Any]], path: PurePosixPath) -> str:
    """Two files giving one column name keep apart: the later one is named after its file too."""
    return f"{name}（{path.stem}）" if any(name == taken for taken, _ in columns) else name


def open_export(path: Path, *, suffix: str | None = None, synonyms: Mapping[str, str] | None = None) -> RowSource:
    """An export for the importer: a graph set (a folder or a ZIP holding ``node/patent.csv``) as one table, any
    other file through ``reading.open_rows``. Raises FileRefused as open_rows does."""
    table = synonyms if synonyms is not None else load_synonyms()
    tree = _graph_tree(path, suffix)
    if tree is None:
        return open_rows(path, suffix=suffix, synonyms=table)
    try:
        source = _graph_source(tree, table)
    except BaseException:
        tree.close()
        raise
    refuse_without_identity(source)
    return source


def export_size(path: Path) -> int:
    """Bytes of an export: a file's size, or the sum of a folder's files (for progress and index batching)."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size
