"""Patent records and the industry databases defined over them."""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.auth.roles import Principal
from ipoc.centers.models import Center
from ipoc.config import get_settings
from ipoc.db import session_scope
from ipoc.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from ipoc.jobs import service as jobs
from ipoc.jobs.models import Job
from ipoc.patents.graph import export_size
from ipoc.patents.importer import ImportResult, import_file
from ipoc.patents.ipc import normalise_ipc
from ipoc.patents.models import KIND_LABELS, IndustryDatabase, IndustryDatabasePatent, Patent
from ipoc.patents.numbers import (
    is_source_key,
    kind_code,
    kind_from_cn_publication,
    normalise_application_no,
    normalise_publication_no,
    office_name,
    strip_kind,
)
from ipoc.patents.provenance import FIELD_LABELS, TOOLS
from ipoc.patents.reading import FileRefused
from ipoc.patents.schemas import IndustryDatabaseIn
from ipoc.reference.models import Industry
from ipoc.search import index_sync, saved, semantic
from ipoc.search.text import fold
from ipoc.uploads import Upload
from ipoc.web.export import XLSX

log = logging.getLogger(__name__)

ALLOWED_SUFFIXES = {".csv", ".xlsx", ".xls", ".jsonl", ".txt", ".zip"}  # .zip: a node/relationship graph set
MAX_UPLOAD = 2 << 30  # bytes; the import streams, so the limit is about disk and patience, not memory


def get_patent(session: Session, application_no: str) -> Patent:
    """By application number in any notation (prefixes, no dot, full-width digits …), or by publication or grant
    number of any office and stage (``CN-105389980-B``, ``US 8271025 B2``) for what has one.

    InvalidInput when the text is neither (the application-number reason is given, as CN numbers are the rule). A
    record known by no number is found by its source key (``SRC-…``), as its page's address carries it."""
    if is_source_key(key := application_no.strip().upper()):
        found = session.scalar(select(Patent).where(Patent.application_no == key))
        if found is None:
            raise NotFound("专利不存在")
        return found
    try:
        key = normalise_application_no(application_no)
    except InvalidInput as not_application:
        try:
            number = normalise_publication_no(application_no)
        except InvalidInput:
            number = None
        if number is None:
            raise not_application from None
        match = or_(Patent.application_no == number, Patent.publication_key == strip_kind(number))
        patent = session.scalars(select(Patent).where(match).order_by(Patent.id)).first()
    else:
        patent = session.scalar(select(Patent).where(Patent.application_no == key))
    if patent is None:
        raise NotFound("专利不存在")
    return patent


def count_patents(session: Session) -> int:
    return session.scalar(select(func.count(Patent.id))) or 0


def report_path_for(job_id: int) -> Path:
    return get_settings().resolved_data_dir / "import-reports" / f"import-{job_id}-report.csv"


REPORT_TYPES = {"xlsx": XLSX, "csv": "text/csv; charset=utf-8"}


def import_report(session: Session, principal: Principal, job_id: int, fmt: str = "xlsx") -> Path:
    """The rejected-row report (XLSX, or CSV with a BOM) of an import the principal may see; 404 for anything else."""
    if fmt not in REPORT_TYPES:
        raise InvalidInput("报告格式只能是 xlsx 或 csv", field="format")
    job = jobs.visible_job(session, principal, job_id)
    path = report_path_for(job.id).with_suffix(f".{fmt}")
    if job.kind != "import" or not path.exists():
        raise NotFound("导入报告不存在")
    return path


def _upload_path(name: str, filename: str) -> Path:
    """Where an uploaded export is kept, under ``name`` with the upload's own (allowed) suffix."""
    suffix = Path(filename).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise InvalidInput("只接受 CSV、XLSX、XLS、JSONL 或 ZIP（图格式专利集）文件", field="file")
    return get_settings().uploads_dir / "imports" / f"{name}{suffix}"


def start_import(session: Session, *, owner_id: int | None, filename: str, queued: bool = False) -> Job:
    """The import's job: ``queued`` for a worker to run (an upload), else run inline by the caller (the CLI)."""
    return jobs.create(
        session, "import", owner_id=owner_id, label=filename, params={"filename": filename}, inline=not queued
    )


INDEX_WAIT = 600.0  # seconds an import waits for the index writer before checking saved searches


def run_import(path: Path, job: Job, progress: jobs.Progress | None = None) -> ImportResult:
    """Import; the index writer follows each committed batch (buffering its commits while the import runs, so a
    crash leaves the index merely behind). Saved searches are checked once the index holds the new patents."""

    def report_progress(done: int, total: int) -> None:
        if progress:
            progress.update(done, total)

    with index_sync.bulk(export_size(path)):
        result = import_file(path, report_path=report_path_for(job.id), job_id=job.id, on_progress=report_progress)
    if index_sync.wait_until_current(INDEX_WAIT):
        with session_scope() as session:
            saved.check_all(session)
    else:  # checked at the next import: a saved search's watermark only moves once it has been run
        log.warning("search index still behind after import job %s; saved searches checked later", job.id)
    return result


def follow_with_embedding(result: ImportResult, *, owner_id: int | None) -> tuple[int, bool] | None:
    """After an import that wrote new or changed patents, the ``embed`` job that gives their passages vectors:
    queued here, or the one already waiting (which counts what is missing only when it starts). Semantic and
    hybrid search then follow the data with no manual step. Returns the job's id and whether it was created."""
    if not result.imported and not result.updated:
        return None
    with session_scope() as session:
        job, created = semantic.queue_embedding(session, owner_id=owner_id)
        job_id = job.id
    return job_id, created


# --- industry databases ---------------------------------------------------------------------------------


def list_databases(session: Session) -> list[IndustryDatabase]:
    return list(session.scalars(select(IndustryDatabase).order_by(IndustryDatabase.name)))


def get_database(session: Session, database_id: int) -> IndustryDatabase:
    database = session.get(IndustryDatabase, database_id)
    if database is None:
        raise NotFound("专题库不存在")
    return database


def save_database(session: Session, data: IndustryDatabaseIn, database_id: int | None = None) -> IndustryDatabase:
    if session.get(Industry, data.industry_id) is None:
        raise InvalidInput("产业不存在", field="industry_id")
    if data.center_id is not None and not _center_exists(session, data.center_id):
        raise InvalidInput("运营中心不存在", field="center_id")
    prefixes = []
    for raw in data.ipc_prefixes:
        code = _ipc_prefix(raw)
        if code is None:
            raise InvalidInput(f"IPC 前缀格式不正确：{raw}", field="ipc_prefixes")
        prefixes.append(code)
    clash = select(IndustryDatabase.id).where(IndustryDatabase.name == data.name, IndustryDatabase.id != database_id)
    if session.scalar(clash):
        raise Conflict("专题库名称已存在", field="name")
    database = get_database(session, database_id) if database_id else IndustryDatabase()
    database.name = data.name
    database.industry_id = data.industry_id
    database.center_id = data.center_id
    database.ipc_prefixes = prefixes
    database.keywords = [k.strip() for k in data.keywords if k.strip()]
    database.description = data.description
    session.add(database)
    session.flush()
    return database


def _center_exists(session: Session, center_id: int) -> bool:
    return session.get(Center, center_id) is not None


def _ipc_prefix(raw: str) -> str | None:
    """A prefix may stop at the section, class, subclass or main group; a full code is normalised."""
    text = re.sub(r"\s+", "", raw.upper())
    if re.fullmatch(r"[A-H](\d{2}([A-Z](\d{1,4})?)?)?", text):
        return text
    return normalise_ipc(raw)


def add_to_database(session: Session, database: IndustryDatabase, patent: Patent) -> None:
    exists = select(IndustryDatabasePatent.id).where(
        IndustryDatabasePatent.database_id == database.id, IndustryDatabasePatent.patent_id == patent.id
    )
    if session.scalar(exists) is None:
        session.add(IndustryDatabasePatent(database_id=database.id, patent_id=patent.id))
        session.flush()


def hand_added_ids(session: Session, database: IndustryDatabase) -> list[int]:
    return list(
        session.scalars(
            select(IndustryDatabasePatent.patent_id).where(IndustryDatabasePatent.database_id == database.id)
        )
    )


def matches_definition(database: IndustryDatabase, patent: Patent) -> bool:
    """Whether the saved definition (IPC prefixes or keywords in title/abstract) takes in this patent."""
    compact = [code.replace(" ", "") for code in patent.ipc_codes or []]
    if any(code.startswith(prefix.replace(" ", "")) for prefix in database.ipc_prefixes for code in compact):
        return True
    text = fold(f"{patent.title} {patent.abstract or ''}")
    return any(fold(keyword) in text for keyword in database.keywords)


def databases_of(session: Session, patent: Patent) -> list[IndustryDatabase]:
    added = set(
        session.scalars(select(IndustryDatabasePatent.database_id).where(IndustryDatabasePatent.patent_id == patent.id))
    )
    return [db for db in list_databases(session) if db.id in added or matches_definition(db, patent)]


# --- a patent's family and where its fields came from --------------------------------------------------

MAX_FAMILY = 200  # members shown; a family id shared by more is a tool's mistake, not a family
# A publication number in a 同族 cell: office, optional letter (TWI…, JPH…), digits with the separators tools
# write (US 2022/0123456 A1), optional kind code; not inside a longer word or number.
_LISTED_NUMBER = re.compile(r"(?<![A-Z0-9])[A-Z]{2}[ -]?[A-Z]?\d[\d/.,-]{3,15}\d(?:[ -]?[A-Z]\d?)?(?![A-Z0-9])")


@dataclass(frozen=True)
class FamilyMember:
    """One member of a patent's simple family as its page lists it: stored (linked) or only named in 同族."""

    office: str
    office_name: str
    number: str
    kind_code: str
    kind_label: str
    status_label: str
    link: str | None


def family_of(session: Session, patent: Patent) -> list[FamilyMember]:
    """The other stored patents of the same family key, then the numbers the patent's 同族 cell names that are
    not stored (未收录); CN first, then by office and number."""
    stored = _stored_family(session, patent)
    listed = _listed_numbers(patent.family)
    known = _keys_of([patent, *stored])
    if wanted := {strip_kind(n) for n in listed} - known:  # named in 同族 and stored under another family key
        match = or_(Patent.publication_key.in_(wanted), Patent.application_no.in_(wanted))
        stored += session.scalars(select(Patent).where(match).order_by(Patent.id).limit(MAX_FAMILY)).all()
        known = _keys_of([patent, *stored])
    members = [_stored_member(p) for p in stored]
    members += [_listed_member(n) for n in listed if strip_kind(n) not in known]
    return sorted(members, key=lambda m: (m.office != "CN", m.office, m.number))[:MAX_FAMILY]


def _keys_of(patents: list[Patent]) -> set[str]:
    """What a number named in 同族 is compared with: each record's key and its publication number sans kind."""
    return {p.application_no for p in patents} | {p.publication_key for p in patents if p.publication_key}


def _stored_family(session: Session, patent: Patent) -> list[Patent]:
    if not patent.family_key:
        return []
    same = select(Patent).where(Patent.family_key == patent.family_key, Patent.id != patent.id)
    return list(session.scalars(same.order_by(Patent.id).limit(MAX_FAMILY)))


def _listed_numbers(text: str | None) -> list[str]:
    """The publication numbers a 同族 cell names, normalised, each once (a cell may repeat stages: A and B)."""
    found: dict[str, str] = {}
    for match in _LISTED_NUMBER.finditer(unicodedata.normalize("NFKC", text or "").upper()):
        try:
            number = normalise_publication_no(match.group(0))
        except InvalidInput:
            continue
        if number:
            found.setdefault(strip_kind(number), number)
    return list(found.values())


def _stored_member(patent: Patent) -> FamilyMember:
    number = patent.publication_no or patent.application_no
    return FamilyMember(
        office=patent.office,
        office_name=office_name(patent.office),
        number=number,
        kind_code=kind_code(number) if patent.publication_no or not patent.has_application_no else "",
        kind_label=patent.kind_label,
        status_label=patent.status_label,
        link=f"/patents/{patent.application_no}",
    )


def _listed_member(number: str) -> FamilyMember:
    office = number[:2]
    return FamilyMember(
        office=office,
        office_name=office_name(office),
        number=number,
        kind_code=kind_code(number),
        kind_label=KIND_LABELS.get(kind_from_cn_publication(number) or "", ""),
        status_label="未收录",
        link=None,
    )


@dataclass(frozen=True)
class FieldSource:
    """The import a field last came from: the file, the tool that exported it and when it was imported."""

    job_id: int
    file: str
    tool: str  # a key of provenance.TOOLS, "" when the job is gone
    imported_at: datetime | None

    @property
    def tool_label(self) -> str:
        return TOOLS.get(self.tool, self.tool)

    @property
    def hover(self) -> str:
        if not self.file:
            return f"来源：导入任务 #{self.job_id}（任务记录已清理）"
        when = clock.beijing(self.imported_at)
        return f"来源：{self.file}（{self.tool_label}），{when} 导入（任务 #{self.job_id}）"


def import_sources(session: Session, patent: Patent) -> dict[str, FieldSource]:
    """Attribute (or ``extra:<header>``) → the import it last came from, the jobs read in one query."""
    job_ids = set((patent.sources or {}).values())
    jobs_by_id = {job.id: job for job in session.scalars(select(Job).where(Job.id.in_(job_ids)))} if job_ids else {}
    return {attr: _field_source(job_id, jobs_by_id.get(job_id)) for attr, job_id in (patent.sources or {}).items()}


def _field_source(job_id: int, job: Job | None) -> FieldSource:
    if job is None:
        return FieldSource(job_id, "", "", None)
    file = (job.params or {}).get("filename") or job.label
    return FieldSource(job_id, file, (job.result or {}).get("tool", ""), job.finished_at or job.created_at)


def field_sources(session: Session, patent: Patent) -> dict[str, str]:
    """Attribute → the text shown on hover over that field on the patent page."""
    return {attr: source.hover for attr, source in import_sources(session, patent).items()}


# --- where each column of an imported file went ------------------------------------------------------------

# Fields of an export file with no stored attribute of their own name (provenance.FIELD_LABELS names the rest).
_FILE_FIELD_LABELS = FIELD_LABELS | {
    "application_no": "申请号", "applicant_type": "申请人类型", "legal_events": "法律事件", "link": "公开号（链接）",
    "priority_date": "优先权日", "family_id": "同族编号", "lapse_date": "失效日", "transfer_date": "转让日",
    "transfer_from": "转让人", "transfer_to": "受让人", "transfer_info": "转让信息", "licence_date": "许可日",
    "licence_type": "许可类型", "licensor": "许可人", "licensee": "被许可人", "licence_term_start": "许可期限起",
    "licence_term_end": "许可期限止", "licence_info": "许可信息", "pledge_date": "质押日", "pledgee": "质权人",
    "pledgor": "出质人", "pledge_release_date": "质押解除日", "pledge_info": "质押信息",
    "invalidation_date": "无效宣告日", "invalidation_decision": "无效宣告决定", "invalidation_info": "无效宣告信息",
    "text_bundle": "名称、关键词和摘要（合并的一列）", "record_id": "记录编号（无专利号时作来源编号）",
}  # fmt: skip
COLUMN_STATUS = {"mapped": "已映射", "kept": "原样保留", "empty": "全空"}


def column_destinations(columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An import result's column report with where each column went in words, for the job page."""
    return [column | {"destination": _destination(column)} for column in columns]


def field_label(field: str) -> str:
    """The Chinese name of a field an export column can be mapped to."""
    return _FILE_FIELD_LABELS.get(field, field)


def _destination(column: dict[str, Any]) -> str:
    if column["status"] == "mapped":
        return f"已映射到{field_label(column['field'])}"
    return "原样保留在其他字段" if column["status"] == "kept" else "全空"


# --- jobs started from the web: import, export ----------------------------------------------------------

UPLOAD_CHUNK = 1 << 20


def receive_upload(session: Session, upload: Upload, *, owner_id: int | None) -> tuple[Job, Path]:
    """Store an uploaded export and create its import job.

    The file is written before the job row, so no database transaction stays open (on SQLite: holding the
    write lock) while a large upload streams in; a refused upload leaves nothing behind.
    """
    filename = upload.name
    incoming = _upload_path(f"incoming-{uuid.uuid4().hex}", filename)
    _save_upload(upload.stream, incoming, limit=MAX_UPLOAD)
    try:
        job = start_import(session, owner_id=owner_id, filename=filename, queued=True)
        path = _upload_path(f"import-{job.id}", filename)
        incoming.replace(path)
    except BaseException:
        incoming.unlink(missing_ok=True)
        raise
    return job, path


def _save_upload(stream: BinaryIO, target: Path, *, limit: int) -> None:
    """Stream an upload to disk, refusing it (and leaving nothing behind) past ``limit`` bytes (in the thread
    pool: the spooled upload is read synchronously)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        with target.open("wb") as out:
            while chunk := stream.read(UPLOAD_CHUNK):
                written += len(chunk)
                if written > limit:
                    raise PayloadTooLarge(f"文件超过 {limit >> 20} MB 上限", field="file")
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if written == 0:
        target.unlink(missing_ok=True)
        raise InvalidInput("文件为空", field="file")


def import_job(job: Job, progress: jobs.Progress) -> dict:
    """The queue's handler of ``import``: the uploaded file kept under the data dir by the job's id."""
    path = _upload_path(f"import-{job.id}", job.params["filename"])
    try:
        result = run_import(path, job, progress)
    except FileRefused as exc:
        raise InvalidInput(f"文件无法导入：{exc.message}") from exc
    embedding = follow_with_embedding(result, owner_id=job.owner_id)
    return result.summary() | ({"embedding_job": embedding[0]} if embedding else {})
