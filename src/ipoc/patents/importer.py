"""Streaming import of patent exports: read, validate, upsert by application number in batches.

Each batch is one transaction, so a row is written whole or not at all and an interrupted import can be
run again: rows already stored with the same content are counted as unchanged, never duplicated. Every
rejected row (and every kept row with a warning) goes to a report that names the row as the spreadsheet numbers
it and repeats the row's own cells beside the reason, as XLSX and as CSV. Memory stays flat: only one batch is
held, and duplicates within the file are found through the job id stamped on each stored row.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from sqlalchemy import Insert, delete, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ipoc.audit import service as audit
from ipoc.audit.rows import IMPORT_BATCH, batch_meta
from ipoc.config import get_settings
from ipoc.db import session_scope, utcnow
from ipoc.patents.models import Applicant, LegalEvent, Patent, PatentApplicant
from ipoc.patents.parsing import parse_row
from ipoc.patents.reading import RowSource, load_synonyms, open_rows
from ipoc.patents.records import PatentRecord, RowIssue
from ipoc.reference.models import Region
from ipoc.search.changes import next_rev
from ipoc.search.semantic import passage_key
from ipoc.web.export import Sheet, safe_cell, write_sheet

log = logging.getLogger(__name__)

REPORT_HEADER = ["行号", "字段", "原因", "原值"]  # then the row's own cells, under the file's headers
BATCH_SIZE = 1000
SYNONYMS_FILE = "header-synonyms.toml"  # in the data dir: an instance's own export headers, added without code


@dataclass
class ImportResult:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: int = 0
    rows: int = 0
    report_path: str | None = None

    def summary(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Pending:
    row: int
    record: PatentRecord
    digest: str
    cells: list[str]  # as read, for the report should the database refuse the row


ProgressHook = Callable[[int, int], None]


class _Report:
    """The rejected-row report. Its lines go to a scratch file as rows are read, so that nothing is held in
    memory; at the end they become the CSV and the XLSX (see ``write``)."""

    def __init__(self, stream: IO[str], headers: list[str]) -> None:
        self._stream = stream
        self.headers = REPORT_HEADER + headers

    def add(self, issue: RowIssue, cells: list[str]) -> None:
        line = [issue.row, issue.field, issue.reason, issue.value[:200], *cells]
        self._stream.write(json.dumps(line, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self._stream.close()


@contextmanager
def _report_file(path: Path, source: RowSource) -> Iterator[_Report]:
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".lines")
    report = _Report(scratch.open("w", encoding="utf-8"), source.headers)
    try:
        yield report
    finally:  # an interrupted import still reports the rows it had read
        report.close()
        _write_report(scratch, path, report.headers, source.path.name)
        scratch.unlink()


def _write_report(scratch: Path, path: Path, headers: list[str], filename: str) -> None:
    """``path`` as CSV (UTF-8 with a BOM, so that Excel on Chinese Windows reads it; formula-like text quoted, as
    CSV has no types) and its XLSX twin beside it (typed cells: text shown as written, never run)."""

    def lines() -> Iterator[list[object]]:
        with scratch.open(encoding="utf-8") as stream:
            yield from (json.loads(line) for line in stream)

    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(headers)
        writer.writerows([safe_cell(v) for v in line] for line in lines())
    workbook = Workbook(write_only=True)
    write_sheet(workbook, Sheet("导入错误报告", headers, lines(), {"文件": filename}, tab="错误报告"))
    workbook.save(path.with_suffix(".xlsx"))


def import_file(
    path: Path,
    *,
    report_path: Path,
    job_id: int,
    on_progress: ProgressHook | None = None,
    batch_size: int | None = None,
) -> ImportResult:
    """Import ``path``; raises ``FileRefused`` (nothing written) when the file cannot be read at all."""
    batch_size = batch_size or BATCH_SIZE
    result = ImportResult(report_path=str(report_path))
    synonyms = load_synonyms(get_settings().resolved_data_dir / SYNONYMS_FILE)
    with open_rows(path, synonyms=synonyms) as source, _report_file(report_path, source) as report:
        headers_by_field = {canonical: header for header, canonical in source.mapping.items()}
        batch: dict[str, _Pending] = {}
        for item in source:
            result.rows += 1
            pending = _validate(item, source.current_cells, headers_by_field, report, result)
            if pending is not None and _admit(pending, batch, report, result) and len(batch) >= batch_size:
                _flush(batch, job_id, report, result)
                batch = {}
                if on_progress:
                    on_progress(source.bytes_read, source.total_bytes)
        _flush(batch, job_id, report, result)
        if on_progress:
            on_progress(source.total_bytes, source.total_bytes)
    with session_scope() as session:
        audit.log(session, "import", "Job", job_id, meta={"file": path.name, **result.summary()})
    return result


def _validate(
    item: tuple[int, dict[str, str]] | RowIssue,
    cells: list[str],
    headers_by_field: dict[str, str],
    report: _Report,
    result: ImportResult,
) -> _Pending | None:
    if isinstance(item, RowIssue):
        report.add(item, cells)
        result.rejected += 1
        return None
    row_no, raw = item
    parsed = parse_row(row_no, raw, headers_by_field)
    if isinstance(parsed, list):
        for issue in parsed:
            report.add(issue, cells)
        result.rejected += 1
        return None
    for warning in parsed.warnings:
        report.add(warning, cells)
        result.warnings += 1
    return _Pending(row_no, parsed, parsed.content_hash(), cells)


def _admit(pending: _Pending, batch: dict[str, _Pending], report: _Report, result: ImportResult) -> bool:
    """Keep the first of two rows with one application number; a later identical row is harmless."""
    first = batch.get(pending.record.application_no)
    if first is None:
        batch[pending.record.application_no] = pending
        return True
    if first.digest != pending.digest:
        _reject_duplicate(pending, report, result, f"与第 {first.row} 行申请号重复且内容不同（保留第 {first.row} 行）")
    else:
        result.unchanged += 1
    return False


def _reject_duplicate(pending: _Pending, report: _Report, result: ImportResult, reason: str) -> None:
    report.add(RowIssue(pending.row, "申请号", reason, pending.record.application_no), pending.cells)
    result.rejected += 1


def _flush(batch: dict[str, _Pending], job_id: int, report: _Report, result: ImportResult) -> None:
    if not batch:
        return
    try:
        with session_scope() as session:
            _write_batch(session, list(batch.values()), job_id, report, result)
    except DBAPIError:
        log.warning("batch of %d rows refused by the database; retrying row by row", len(batch), exc_info=True)
        for pending in batch.values():
            _write_single(pending, job_id, report, result)


def _write_single(pending: _Pending, job_id: int, report: _Report, result: ImportResult) -> None:
    """Isolates the row the database refused, so the rest of its batch is still kept."""
    before = (result.imported, result.updated, result.unchanged, result.rejected)
    try:
        with session_scope() as session:
            _write_batch(session, [pending], job_id, report, result)
    except DBAPIError as exc:
        result.imported, result.updated, result.unchanged, result.rejected = before
        reason = f"数据库拒绝写入：{type(exc.orig).__name__}"
        report.add(RowIssue(pending.row, "", reason, pending.record.title), pending.cells)
        result.rejected += 1


def _write_batch(
    session: Session,
    pendings: list[_Pending],
    job_id: int,
    report: _Report,
    result: ImportResult,
) -> None:
    existing = {
        row.application_no: row
        for row in session.execute(
            select(Patent.id, Patent.application_no, Patent.content_hash, Patent.last_job_id).where(
                Patent.application_no.in_([p.record.application_no for p in pendings])
            )
        )
    }
    new: list[_Pending] = []
    changed: list[tuple[int, _Pending]] = []
    same: list[int] = []
    for pending in pendings:
        row = existing.get(pending.record.application_no)
        if row is None:
            new.append(pending)
        elif row.content_hash == pending.digest:
            same.append(row.id)
        elif row.last_job_id == job_id:
            _reject_duplicate(pending, report, result, "与本文件前面一行申请号重复且内容不同（保留先出现的一行）")
        else:
            changed.append((row.id, pending))
    if same:
        session.execute(update(Patent).where(Patent.id.in_(same)).values(last_job_id=job_id))
    if not new and not changed:
        result.unchanged += len(same)
        return
    rev = next_rev(session)
    regions = _region_ids(session)
    inserted = _insert_new(session, new, job_id, rev, regions)
    updated = _update_changed(session, changed, job_id, rev, regions)
    written = inserted + updated
    _link_applicants(session, written)
    _store_events(session, written)
    # Bulk statements write no per-row record: one per batch, committed with its rows (a killed import leaves
    # exactly the batches it committed, each with its record; see ipoc.audit.rows).
    meta = batch_meta([pid for pid, _ in inserted], [pid for pid, _ in updated])
    audit.log(session, IMPORT_BATCH, "Job", job_id, meta=meta)
    result.imported += len(new)
    result.updated += len(changed)
    result.unchanged += len(same)


def _columns(record: PatentRecord, digest: str, job_id: int, rev: int, regions: dict[str, int]) -> dict[str, Any]:
    return {
        "application_no": record.application_no,
        "publication_no": record.publication_no,
        "grant_no": record.grant_no,
        "kind": record.kind,
        "title": record.title,
        "abstract": record.abstract,
        "claims": record.claims,
        "first_claim": record.first_claim,
        "ipc_main": record.ipc_main,
        "ipc_codes": record.ipc_codes,
        "ipc_invalid": record.ipc_invalid,
        "inventors": record.inventors,
        "address": record.address,
        "province": record.province,
        "region_id": regions.get(record.region_name or ""),
        "application_date": record.application_date,
        "publication_date": record.publication_date,
        "grant_date": record.grant_date,
        "legal_status": record.legal_status,
        "patentees": record.patentees,
        "status_class": record.status_class,
        "fee_paid_through": record.fee_paid_through,
        "priority": record.priority,
        "family": record.family,
        "family_size": record.family_size,
        "cited_count": record.cited_count,
        "citing_count": record.citing_count,
        "content_hash": digest,
        "passage_hash": passage_key(record.title, record.abstract),
        "rev": rev,
        "last_job_id": job_id,
        "updated_at": utcnow(),
    }


def _insert_new(
    session: Session, new: list[_Pending], job_id: int, rev: int, regions: dict[str, int]
) -> list[tuple[int, _Pending]]:
    if not new:
        return []
    rows = [_columns(p.record, p.digest, job_id, rev, regions) | {"created_at": utcnow()} for p in new]
    numbers = [p.record.application_no for p in new]
    session.execute(_bulk_insert(Patent), rows)
    found = session.execute(select(Patent.application_no, Patent.id).where(Patent.application_no.in_(numbers)))
    ids = dict(found.all())
    return [(ids[p.record.application_no], p) for p in new]


def _update_changed(
    session: Session, changed: list[tuple[int, _Pending]], job_id: int, rev: int, regions: dict[str, int]
) -> list[tuple[int, _Pending]]:
    if not changed:
        return []
    ids = [patent_id for patent_id, _ in changed]
    session.execute(
        update(Patent), [{"id": pid, **_columns(p.record, p.digest, job_id, rev, regions)} for pid, p in changed]
    )
    session.execute(delete(PatentApplicant).where(PatentApplicant.patent_id.in_(ids)))
    session.execute(delete(LegalEvent).where(LegalEvent.patent_id.in_(ids), LegalEvent.source == "import"))
    return changed


def _bulk_insert(entity: type) -> Insert:
    """An ORM bulk INSERT that sends a None as NULL instead of leaving the key out. Left out, each pattern of
    empty columns became an INSERT of its own (hundreds per batch), and splicing their RETURNING rows together
    cost time quadratic in the batch (half the import's time). Same rows: none of these tables' columns that can
    be None has a Python or server default (JSON columns, which have, were always sent as given).

    Used without RETURNING (the new ids are read back by their unique keys in one SELECT): with RETURNING,
    SQLAlchemy sends a batch as one INSERT of 1,000 rows' VALUES, whose 34,000 placeholders psycopg re-parses
    on the client for every batch (over half of a PostgreSQL import); without it the rows go through the
    driver's executemany (a pipeline of one prepared statement on psycopg)."""
    return insert(entity).execution_options(render_nulls=True)


def _region_ids(session: Session) -> dict[str, int]:
    return {name: region_id for region_id, name in session.execute(select(Region.id, Region.name))}


def _link_applicants(session: Session, written: list[tuple[int, _Pending]]) -> None:
    kinds: dict[str, str | None] = {}
    for _, pending in written:
        for name, kind in zip(pending.record.applicants, pending.record.applicant_types, strict=False):
            kinds.setdefault(name, kind)
    ids = applicant_ids(session, kinds)
    links = [
        {"patent_id": patent_id, "position": position, "applicant_id": ids[name]}
        for patent_id, pending in written
        for position, name in enumerate(dict.fromkeys(pending.record.applicants))
    ]
    if links:
        session.execute(_bulk_insert(PatentApplicant), links)


def applicant_ids(session: Session, kinds: dict[str, str | None]) -> dict[str, int]:
    """The id of each applicant name, creating the ones not seen before."""
    if not kinds:
        return {}
    names = list(kinds)
    ids = dict(session.execute(select(Applicant.name, Applicant.id).where(Applicant.name.in_(names))).all())
    missing = [{"name": name, "kind": kinds[name]} for name in names if name not in ids]
    if missing:
        session.execute(_bulk_insert(Applicant), missing)
        added = [row["name"] for row in missing]
        ids.update(session.execute(select(Applicant.name, Applicant.id).where(Applicant.name.in_(added))).all())
    return ids


def _store_events(session: Session, written: list[tuple[int, _Pending]]) -> None:
    events = [
        {"patent_id": patent_id, "kind": e.kind, "event_date": e.date, "detail": e.detail, "source": "import"}
        for patent_id, pending in written
        for e in pending.record.legal_events
    ]
    if events:
        session.execute(_bulk_insert(LegalEvent), events)
