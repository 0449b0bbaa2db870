"""Export of a search's result set (up to 100,000 patents) to XLSX or CSV, run as a job with progress.

The XLSX is written like every other list (``web.export.write_sheet``: title row, bold frozen header,
autofilter, widths, typed cells, text never a formula) in write-only mode; the CSV, which has no types,
gets the quote prefix on text a spreadsheet would run, and both cut at Excel's cell limit visibly.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import select

from ipoc.config import get_settings
from ipoc.db import session_scope
from ipoc.patents.models import Patent
from ipoc.patents.numbers import office_name
from ipoc.web.export import Sheet, safe_cell, write_sheet

MAX_EXPORT_ROWS = 100_000
FORMATS = {"xlsx", "csv"}
CHUNK = 1000

COLUMNS: list[tuple[str, Callable[[Patent], object]]] = [
    ("申请号", lambda p: p.application_no if p.has_application_no else None),  # never a publication number
    (
        "公开（公告）号",
        lambda p: p.publication_no or (None if p.has_application_no or not p.has_number else p.application_no),
    ),
    ("授权公告号", lambda p: p.grant_no),
    ("专利类型", lambda p: p.kind_label),
    ("发明名称", lambda p: p.title),
    ("摘要", lambda p: p.abstract),
    ("主权项", lambda p: p.first_claim),
    ("主分类号", lambda p: p.ipc_main),
    ("分类号", lambda p: "; ".join(p.ipc_codes or [])),
    ("申请人", lambda p: "; ".join(a.name for a in p.applicants)),
    ("发明人", lambda p: "; ".join(p.inventors or [])),
    ("申请人地址", lambda p: p.address),
    ("盟市", lambda p: p.region.name if p.region else None),
    ("申请日", lambda p: p.application_date),
    ("公开日", lambda p: p.publication_date),
    ("授权日", lambda p: p.grant_date),
    ("法律状态", lambda p: p.legal_status or p.status_label),
    ("年费缴至", lambda p: p.fee_paid_through),
    ("被引证次数", lambda p: p.cited_count),
    ("引证次数", lambda p: p.citing_count),
    ("受理局", lambda p: office_name(p.office)),  # from here on: column positions before them stay as they were
    ("来源编号", lambda p: p.source_id),  # the export's own id of a record known by no patent number
]
HEADERS = [name for name, _ in COLUMNS]


def export_path(job_id: int, fmt: str) -> Path:
    return get_settings().resolved_data_dir / "exports" / f"export-{job_id}.{fmt}"


def _rows(patent_ids: Sequence[int]) -> Iterator[list[object]]:
    """Rows in the order of the result set, read one chunk per short session."""
    for start in range(0, len(patent_ids), CHUNK):
        chunk = patent_ids[start : start + CHUNK]
        with session_scope() as session:
            by_id = {p.id: p for p in session.scalars(select(Patent).where(Patent.id.in_(chunk)))}
            for patent_id in chunk:
                patent = by_id.get(patent_id)
                if patent is not None:
                    yield [getter(patent) for _, getter in COLUMNS]


def write_export(
    patent_ids: Sequence[int],
    path: Path,
    fmt: str,
    progress: Callable[[int, int], None] | None = None,
    filters: str = "",
) -> int:
    """Write the file next to its final name and rename it at the end, so a half-written file is never served.
    ``filters`` says in the XLSX title row which search chose the patents."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    count = 0
    total = len(patent_ids)
    if fmt == "csv":
        with tmp.open("w", encoding="utf-8-sig", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(HEADERS)
            for row in _rows(patent_ids):
                writer.writerow(["" if v is None else safe_cell(v) for v in row])
                count += 1
                if progress and count % CHUNK == 0:
                    progress(count, total)
    else:
        workbook = Workbook(write_only=True)

        def counted() -> Iterator[list[object]]:
            for done, row in enumerate(_rows(patent_ids), 1):
                yield row
                if progress and done % CHUNK == 0:
                    progress(done, total)

        count = write_sheet(workbook, Sheet("专利检索结果", HEADERS, counted(), filters, tab="检索结果"))
        workbook.save(tmp)
    tmp.replace(path)
    if progress:
        progress(count, total)
    return count
