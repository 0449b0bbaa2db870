"""Pages: a patent's record, the import upload (staff) and the industry databases (core-domain databases)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from ipoc.auth.roles import Principal
from ipoc.centers.models import Center
from ipoc.errors import DomainError, InvalidInput, NotFound
from ipoc.jobs import service as jobs
from ipoc.patents import service as patents
from ipoc.patents.models import DETAIL_LABELS, LICENCE_TYPES, Patent
from ipoc.patents.schemas import IndustryDatabaseIn
from ipoc.reference.service import list_industries
from ipoc.schemas import PathId
from ipoc.search import index_sync
from ipoc.search import service as search
from ipoc.web.deps import DB, PATENT_STAFF, CurrentPrincipal
from ipoc.web.deps import PatentStaff as Staff
from ipoc.web.forms import Posted, attempt, parse_form
from ipoc.web.templating import render

router = APIRouter()


# --- import ------------------------------------------------------------------------------------------------


def _import_page(request: Request, session: Session, p: Principal, status_code: int = 200, **extra):
    ctx = {
        "title": "专利导入",
        "recent": jobs.list_for(session, p.user_id, kinds=("import",), limit=10),
        "max_mb": patents.MAX_UPLOAD >> 20,
        **extra,
    }
    return render(request, "patents/import.html", ctx, status_code=status_code)


@router.get("/patents/import")
def import_page(request: Request, session: DB, p: Staff):
    return _import_page(request, session, p)


@router.post("/patents/import")
def import_upload(request: Request, posted: Posted, session: DB, p: Staff):
    """Store the upload, start the import job and show its progress page."""
    upload = posted.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("请选择要导入的文件", field="file")
        job, _path = patents.receive_upload(session, upload, owner_id=p.user_id)
    except DomainError as exc:
        session.rollback()
        return _import_page(request, session, p, 422, errors={exc.field or "__all__": exc.message})
    session.commit()  # the committed job wakes this process's job runner, where there is one
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/patents/imports/{job_id}/report")
def import_report(job_id: PathId, session: DB, p: Staff):
    """The rejected-row report (UTF-8 CSV: 行号, 字段, 原因, 原值)."""
    path = patents.import_report(session, p, job_id)
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename=f"导入报告-{job_id}.csv")


# --- industry databases ------------------------------------------------------------------------------------


def _database_form(request: Request, session: Session, database_id: int | None, status_code: int = 200, **extra):
    ctx = {
        "title": "编辑专题库" if database_id else "新建专题库",
        "database_id": database_id,
        "industries": [(i.id, i.name) for i in list_industries(session)],
        "centers": [(c.id, c.name) for c in session.scalars(select(Center).order_by(Center.name))],
        **extra,
    }
    return render(request, "patents/database_form.html", ctx, status_code=status_code)


def _form_values(database) -> dict[str, str]:
    return {
        "name": database.name,
        "industry_id": str(database.industry_id),
        "center_id": str(database.center_id or ""),
        "ipc_prefixes": "；".join(database.ipc_prefixes),
        "keywords": "；".join(database.keywords),
        "description": database.description,
    }


@router.get("/industry-databases")
def databases(request: Request, session: DB, p: CurrentPrincipal):
    ctx = {"title": "专题库", "databases": patents.list_databases(session), "editable": p.role in PATENT_STAFF}
    return render(request, "patents/databases.html", ctx)


@router.get("/industry-databases/new")
def database_new(request: Request, session: DB, _staff: Staff):
    return _database_form(request, session, None)


@router.get("/industry-databases/{database_id}")
def database_edit(database_id: PathId, request: Request, session: DB, _staff: Staff):
    return _database_form(
        request, session, database_id, values=_form_values(patents.get_database(session, database_id))
    )


def _save_database(request: Request, posted: FormData, session: Session, database_id: int | None):
    form = parse_form(posted, IndustryDatabaseIn)
    if form.ok and form.data is not None:
        data = form.data
        attempt(session, form, lambda: patents.save_database(session, data, database_id))
    if form.errors:
        return _database_form(request, session, database_id, 422, errors=form.errors, values=form.values)
    return RedirectResponse("/industry-databases", status_code=303)


@router.post("/industry-databases")
def database_create(request: Request, posted: Posted, session: DB, _staff: Staff):
    return _save_database(request, posted, session, None)


@router.post("/industry-databases/{database_id}")
def database_update(database_id: PathId, request: Request, posted: Posted, session: DB, _staff: Staff):
    patents.get_database(session, database_id)
    return _save_database(request, posted, session, database_id)


# --- one patent --------------------------------------------------------------------------------------------


def _patent(session: Session, application_no: str) -> Patent:
    """Any notation finds the patent; a number that cannot exist is simply not found."""
    try:
        return patents.get_patent(session, application_no)
    except InvalidInput as exc:
        raise NotFound(f"专利不存在（{exc.message}）") from exc


def _has_vector(patent: Patent) -> bool:
    index = index_sync.vector_index()
    return index is not None and index.vector(patent.id) is not None


def _claims_parts(patent: Patent) -> tuple[str, str, str] | None:
    """The claims split around the first independent claim, so the page can highlight it in place."""
    if not patent.claims or not patent.first_claim or patent.first_claim not in patent.claims:
        return None
    return patent.claims.partition(patent.first_claim)


@router.get("/patents/{application_no}")
def patent_page(application_no: str, request: Request, session: DB, p: CurrentPrincipal):
    patent = _patent(session, application_no)
    if patent.application_no != application_no:
        return RedirectResponse(f"/patents/{patent.application_no}", status_code=307)
    ctx = {
        "title": patent.title,
        "patent": patent,
        "claims_parts": _claims_parts(patent),
        "databases": patents.databases_of(session, patent),
        "all_databases": patents.list_databases(session) if p.role in PATENT_STAFF else [],
        "similar": search.similar(session, patent, limit=10),
        "has_vector": _has_vector(patent),
        "detail_labels": DETAIL_LABELS,
        "licence_types": LICENCE_TYPES,
    }
    return render(request, "patents/detail.html", ctx)


@router.post("/patents/{application_no}/databases")
def add_to_database(application_no: str, posted: Posted, session: DB, _staff: Staff):
    """Add a patent to a core-domain database by hand."""
    raw = posted.get("database_id")
    if not isinstance(raw, str) or not raw.isdigit():
        raise InvalidInput("请选择专题库", field="database_id")
    patent = _patent(session, application_no)
    patents.add_to_database(session, patents.get_database(session, int(raw)), patent)
    return RedirectResponse(f"/patents/{patent.application_no}", status_code=303)
