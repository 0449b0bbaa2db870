"""Streaming import of patent exports: read, validate, upsert in batches by the record's key (application number,
else publication number) or by its publication number written another way.

Each batch is one transaction, so a row is written whole or not at all and an interrupted import can be
run again: rows already stored with the same content are counted as unchanged, never duplicated. Every
rejected row (and every kept row with a warning) goes to a report that names the row as the spreadsheet numbers
it and repeats the row's own cells beside the reason, as XLSX and as CSV. Memory stays flat: only one batch is
held, and duplicates within the file are found through the job id stamped on each stored row. A row that meets a
stored patent merges into it field by field (patents.provenance): nothing another source filled is wiped.
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
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
from ipoc.jobs.models import Job
from ipoc.patents import provenance
from ipoc.patents.graph import open_export
from ipoc.patents.models import Applicant, LegalEvent, Patent, PatentApplicant
from ipoc.patents.numbers import is_application_key, office_of
from ipoc.patents.parsing import parse_row
from ipoc.patents.reading import RowSource, load_synonyms
from ipoc.patents.records import PatentRecord, RowIssue
from ipoc.reference.models import Region
from ipoc.search import index_sync  # noqa: F401  (its after-commit listener must be installed in this process)
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
    tool: str = "other"  # a key of provenance.TOOLS
    columns: list[dict[str, Any]] = field(default_factory=list)  # RowSource.column_report(): where each column went

    def summary(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Import:
    """What every batch of one file needs to know about it."""

    job_id: int
    tool: str
    carried: frozenset[str]

    @property
    def month_first(self) -> bool:
        """Google Patents writes its dates in a US locale (9/18/2012): month/day/year, for the whole file."""
        return self.tool == "google"


class _Batch(dict[str, "_Pending"]):
    """Pending rows by key, and by publication key: one document written two ways in one file is one row."""

    def __init__(self) -> None:
        super().__init__()
        self.by_publication: dict[str, _Pending] = {}


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
    except BaseException:  # an interrupted import still reports the rows it had read, and fails with its own error
        report.close()
        with contextlib.suppress(Exception):
            _write_report(scratch, path, report.headers, source.path.name)
        scratch.unlink(missing_ok=True)
        raise
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
    with open_export(path, synonyms=synonyms) as source, _report_file(report_path, source) as report:
        headers_by_field = {canonical: header for header, canonical in source.mapping.items()}
        result.tool = provenance.detect_tool(source.headers)
        run = _Import(job_id, result.tool, provenance.carried(headers_by_field))
        batch = _Batch()
        for item in source:
            result.rows += 1
            pending = _validate(item, source.current_cells, headers_by_field, report, result, run.month_first)
            if pending is not None and _admit(pending, batch, report, result) and len(batch) >= batch_size:
                _flush(batch, run, report, result)
                batch = _Batch()
                if on_progress:
                    on_progress(source.bytes_read, source.total_bytes)
        _flush(batch, run, report, result)
        result.columns = source.column_report()
        if on_progress:
            on_progress(source.total_bytes, source.total_bytes)
    with session_scope() as session:
        meta = {"file": path.name, **result.summary(), "columns": len(result.columns)}
        audit.log(session, "import", "Job", job_id, meta=meta)
    return result


def _validate(
    item: tuple[int, dict[str, str]] | RowIssue,
    cells: list[str],
    headers_by_field: dict[str, str],
    report: _Report,
    result: ImportResult,
    month_first: bool,
) -> _Pending | None:
    if isinstance(item, RowIssue):
        report.add(item, cells)
        result.rejected += 1
        return None
    row_no, raw = item
    parsed = parse_row(row_no, raw, headers_by_field, month_first=month_first)
    if isinstance(parsed, list):
        for issue in parsed:
            report.add(issue, cells)
        result.rejected += 1
        return None
    for warning in parsed.warnings:
        report.add(warning, cells)
        result.warnings += 1
    return _Pending(row_no, parsed, parsed.content_hash(), cells)


def _admit(pending: _Pending, batch: _Batch, report: _Report, result: ImportResult) -> bool:
    """Keep the first of two rows of one document (one key, or one publication number); a later identical row is
    harmless."""
    record = pending.record
    first = batch.get(record.application_no) or batch.by_publication.get(record.publication_key or "")
    if first is None:
        batch[record.application_no] = pending
        if record.publication_key:
            batch.by_publication[record.publication_key] = pending
        return True
    if first.digest != pending.digest:
        reason = f"与第 {first.row} 行是同一件专利且内容不同（保留第 {first.row} 行）"
        _reject_duplicate(pending, report, result, reason)
    else:
        result.unchanged += 1
    return False


def _reject_duplicate(pending: _Pending, report: _Report, result: ImportResult, reason: str) -> None:
    report.add(RowIssue(pending.row, "申请号", reason, pending.record.application_no), pending.cells)
    result.rejected += 1


def _flush(batch: _Batch, run: _Import, report: _Report, result: ImportResult) -> None:
    if not batch:
        return
    try:
        with session_scope() as session:
            _write_batch(session, list(batch.values()), run, report, result)
    except DBAPIError:
        log.warning("batch of %d rows refused by the database; retrying row by row", len(batch), exc_info=True)
        for pending in batch.values():
            _write_single(pending, run, report, result)


def _write_single(pending: _Pending, run: _Import, report: _Report, result: ImportResult) -> None:
    """Isolates the row the database refused, so the rest of its batch is still kept."""
    before = (result.imported, result.updated, result.unchanged, result.rejected)
    try:
        with session_scope() as session:
            _write_batch(session, [pending], run, report, result)
    except DBAPIError as exc:
        result.imported, result.updated, result.unchanged, result.rejected = before
        reason = f"数据库拒绝写入：{type(exc.orig).__name__}"
        report.add(RowIssue(pending.row, "", reason, pending.record.title), pending.cells)
        result.rejected += 1


def _write_batch(
    session: Session, pendings: list[_Pending], run: _Import, report: _Report, result: ImportResult
) -> None:
    found = _stored(session, pendings)
    new: list[_Pending] = []
    changed: list[tuple[Any, _Pending]] = []
    same: list[int] = []
    for pending in pendings:
        row = found(pending.record)
        if row is None:
            new.append(pending)
        elif row.content_hash == pending.digest:
            same.append(row.id)
        elif row.last_job_id == run.job_id:
            _reject_duplicate(pending, report, result, "与本文件前面一行是同一件专利且内容不同（保留先出现的一行）")
        else:
            changed.append((row, pending))
    if same:
        session.execute(update(Patent).where(Patent.id.in_(same)).values(last_job_id=run.job_id))
    if not new and not changed:
        result.unchanged += len(same)
        return
    rev = next_rev(session)
    regions = _region_ids(session)
    inserted = _insert_new(session, new, run, rev, regions)
    updated, relink, reevent = _merge_changed(session, changed, run, rev, regions)
    _link_applicants(session, inserted + [w for w in updated if w[0] in relink])
    _store_events(session, inserted + [w for w in updated if w[0] in reevent])
    # Bulk statements write no per-row record: one per batch, committed with its rows (a killed import leaves
    # exactly the batches it committed, each with its record; see ipoc.audit.rows).
    meta = batch_meta([pid for pid, _ in inserted], [pid for pid, _ in updated])
    audit.log(session, IMPORT_BATCH, "Job", run.job_id, meta=meta)
    result.imported += len(new)
    result.updated += len(changed)
    result.unchanged += len(same)


def _stored(session: Session, pendings: list[_Pending]) -> Callable[[PatentRecord], Any]:
    """Finds the stored patent a record is: same key, else same publication number (another notation or stage),
    unless both carry different application numbers."""
    keys = [p.record.application_no for p in pendings]
    numbers = [p.record.publication_key for p in pendings if p.record.publication_key]
    light = select(Patent.id, Patent.application_no, Patent.publication_key, Patent.content_hash, Patent.last_job_id)
    rows = list(session.execute(light.where(Patent.application_no.in_(keys))))
    if numbers:
        rows += session.execute(light.where(Patent.publication_key.in_(numbers), Patent.application_no.not_in(keys)))
    by_key = {row.application_no: row for row in rows}
    by_number = {row.publication_key: row for row in rows if row.publication_key}

    def find(record: PatentRecord) -> Any:
        row = by_key.get(record.application_no) or by_number.get(record.publication_key or "")
        if row is not None and row.application_no != record.application_no:
            both_applications = is_application_key(row.application_no) and is_application_key(record.application_no)
            return None if both_applications else row
        return row

    return find


def _columns(record: PatentRecord, digest: str, job_id: int, rev: int, regions: dict[str, int]) -> dict[str, Any]:
    return {
        "application_no": record.application_no,
        "office": record.office,
        "publication_key": record.publication_key,
        "family_key": record.family_key,
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
        "extra": record.extra,
        "content_hash": digest,
        "passage_hash": passage_key(record.title, record.abstract),
        "rev": rev,
        "last_job_id": job_id,
        "updated_at": utcnow(),
    }


def _insert_new(
    session: Session, new: list[_Pending], run: _Import, rev: int, regions: dict[str, int]
) -> list[tuple[int, _Pending]]:
    if not new:
        return []
    rows = []
    for p in new:
        row = _columns(p.record, p.digest, run.job_id, rev, regions)
        filled = frozenset(a for a in run.carried if not provenance.is_empty(_value(row, p.record, a)))
        sources = provenance.initial_sources(filled, p.record.extra, run.job_id)
        rows.append(row | {"created_at": utcnow(), "sources": sources})
    numbers = [p.record.application_no for p in new]
    session.execute(_bulk_insert(Patent), rows)
    found = session.execute(select(Patent.application_no, Patent.id).where(Patent.application_no.in_(numbers)))
    ids = dict(found.all())
    return [(ids[p.record.application_no], p) for p in new]


def _value(columns: dict[str, Any], record: PatentRecord, attr: str) -> Any:
    """A merged attribute's new value: a column, or the applicants and legal events that live in their own tables."""
    if attr == "applicants":
        return record.applicants
    if attr == "events":
        return record.legal_events
    return columns.get(attr)


_MERGE_COLUMNS = [getattr(Patent, a) for a in provenance.MERGED if a not in ("applicants", "events")]


def _merge_changed(
    session: Session, changed: list[tuple[Any, _Pending]], run: _Import, rev: int, regions: dict[str, int]
) -> tuple[list[tuple[int, _Pending]], set[int], set[int]]:
    """Each changed row merged into its stored patent; returns the written rows and the ids whose applicants and
    whose imported legal events the file replaces."""
    if not changed:
        return [], set(), set()
    ids = [row.id for row, _ in changed]
    query = select(Patent.id, *_MERGE_COLUMNS, Patent.extra, Patent.sources).where(Patent.id.in_(ids))
    stored = {r.id: r._asdict() for r in session.execute(query)}
    tools = _tools_of_jobs(session, {j for old in stored.values() for j in (old["sources"] or {}).values()})
    updates, relink, reevent = [], set(), set()
    for row, pending in changed:
        columns = _columns(pending.record, pending.digest, run.job_id, rev, regions)
        new = {a: _value(columns, pending.record, a) for a in provenance.MERGED} | {"extra": pending.record.extra}
        merged, taken = provenance.merge(
            stored[row.id], new, carried_attrs=run.carried, job_id=run.job_id, tool=run.tool, tool_of_job=tools
        )
        relink |= {row.id} if "applicants" in taken else set()
        reevent |= {row.id} if "events" in taken else set()
        key = _merged_key(row.application_no, pending.record.application_no)
        office = pending.record.office if key == pending.record.application_no else office_of(key)
        values = {k: v for k, v in merged.items() if k not in ("applicants", "events")}
        updates.append(
            columns
            | values
            | {"id": row.id, "application_no": key, "office": office}
            | {"passage_hash": passage_key(values["title"], values["abstract"])}
        )
    session.execute(update(Patent), updates)
    if relink:
        session.execute(delete(PatentApplicant).where(PatentApplicant.patent_id.in_(relink)))
    if reevent:
        session.execute(delete(LegalEvent).where(LegalEvent.patent_id.in_(reevent), LegalEvent.source == "import"))
    return [(row.id, pending) for row, pending in changed], relink, reevent


def _merged_key(stored: str, incoming: str) -> str:
    """A patent known by its publication number takes its application number once an export gives it."""
    return incoming if is_application_key(incoming) and not is_application_key(stored) else stored


def _tools_of_jobs(session: Session, job_ids: set[int]) -> dict[int, str]:
    """The export tool of each earlier import job (recorded in its result); unknown for a job that never finished."""
    if not job_ids:
        return {}
    rows = session.execute(select(Job.id, Job.result).where(Job.id.in_(job_ids)))
    return {job_id: (result or {}).get("tool", "") for job_id, result in rows}


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
