"""Pages: a patent's record, the import upload (staff) and the industry databases (core-domain databases)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from ipoc.auth.roles import Principal, Role
from ipoc.centers.models import Center
from ipoc.errors import DomainError, InvalidInput, NotFound
from ipoc.jobs import service as jobs
from ipoc.orgs.models import Organisation
from ipoc.patents import rights, rights_records
from ipoc.patents import service as patents
from ipoc.patents.models import (
    CONSENT_ROLES,
    EVENT_LABELS,
    SUSPENSION_REASONS,
    Patent,
)
from ipoc.patents.numbers import office_name
from ipoc.patents.schemas import IndustryDatabaseIn
from ipoc.reference.service import list_industries
from ipoc.schemas import PathId
from ipoc.search import index_sync
from ipoc.search import service as search
from ipoc.uploads import Upload
from ipoc.web.deps import DB, PATENT_STAFF, CurrentPrincipal, LoggedIn
from ipoc.web.deps import PatentStaff as Staff
from ipoc.web.forms import Posted, attempt, parse_form, posted_upload, refusable
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
    upload = posted_upload(posted.get("file"))
    try:
        if upload is None or not upload.name:
            raise InvalidInput("请选择要导入的文件", field="file")
        with refusable(session):
            job, _path = patents.receive_upload(session, upload, owner_id=p.user_id)
    except DomainError as exc:
        return _import_page(request, session, p, 422, errors={exc.field or "__all__": exc.message})
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/patents/imports/{job_id}/report")
def import_report(job_id: PathId, session: DB, p: Staff, format: Literal["xlsx", "csv"] = "xlsx"):
    """The rejected-row report: 行号 (the spreadsheet's row), 字段, 原因, 原值, then the row's own cells."""
    path = patents.import_report(session, p, job_id, format)
    return FileResponse(path, media_type=patents.REPORT_TYPES[format], filename=f"导入报告-{job_id}.{format}")


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


def _rights_context(session: Session, p: Principal, patent: Patent) -> dict:
    """The rights panel: the holding as the caller may see it, and for staff the records behind it."""
    staff = p.role in PATENT_STAFF
    member_org = p.org_id if p.role is Role.MEMBER else None
    auths = rights_records.authorisations(session, patent) if staff or member_org else []
    return {
        "holding": rights_records.shown_to(p, rights.holding(session, patent)),
        "rights_staff": staff,
        "rights_member_org": member_org,
        "authorisations": [a for a in auths if staff or a.organisation_id == member_org],
        "consents": rights_records.consents(session, patent) if staff else [],
        "acts": rights.ACTS,
        "event_kinds": {k: EVENT_LABELS[k] for k in rights_records.RECORDABLE},
        "suspension_reasons": SUSPENSION_REASONS,
        "consent_roles": CONSENT_ROLES,
    }


def _patent_page(request: Request, session: Session, p: Principal, patent: Patent, status_code: int = 200, **extra):
    ctx = {
        "title": patent.title,
        "patent": patent,
        "claims_parts": _claims_parts(patent),
        "databases": patents.databases_of(session, patent),
        "all_databases": patents.list_databases(session) if p.role in PATENT_STAFF else [],
        "similar": search.similar(session, patent, limit=10),
        "has_vector": _has_vector(patent),
        "rights_error": "",
        "office_name": office_name(patent.office),
        "family": patents.family_of(session, patent),
        "sources": patents.field_sources(session, patent),
    }
    return render(request, "patents/detail.html", ctx | _rights_context(session, p, patent) | extra, status_code)


@router.get("/patents/{application_no}")
def patent_page(application_no: str, request: Request, session: DB, p: CurrentPrincipal):
    patent = _patent(session, application_no)
    if patent.application_no != application_no:
        return RedirectResponse(f"/patents/{patent.application_no}", status_code=307)
    return _patent_page(request, session, p, patent)


def _rights_post(request: Request, session: Session, p: Principal, application_no: str, action) -> Response:
    """Run one rights record form: back to the page on success, the page with the reason on refusal."""
    patent = _patent(session, application_no)
    try:
        with refusable(session):
            action(patent)
    except DomainError as exc:
        patent = _patent(session, application_no)
        return _patent_page(request, session, p, patent, exc.status_code, rights_error=exc.message)
    return RedirectResponse(f"/patents/{patent.application_no}#rights", status_code=303)


def _text(posted: FormData, name: str) -> str:
    value = posted.get(name)
    return value.strip() if isinstance(value, str) else ""


def _upload(posted: FormData) -> Upload:
    upload = posted_upload(posted.get("file"))
    if upload is None or not upload.name:
        raise InvalidInput("请上传签章的书面文件", field="file")
    return upload


def _day(posted: FormData, name: str, label: str) -> date:
    parsed = rights.iso_date(_text(posted, name))
    if parsed is None:
        raise InvalidInput(f"请按 YYYY-MM-DD 填写{label}", field=name)
    return parsed


@router.post("/patents/{application_no}/rights/events")
def record_rights_event(application_no: str, request: Request, posted: Posted, session: DB, p: Staff):
    """中止 and its end, or a transfer, licence or pledge recorded with CNIPA but not yet in an export."""
    keys = (*rights_records.OPTIONAL_DETAIL, "reason", "to", "type", "licensee", "pledgee")
    detail = {key: _text(posted, key) for key in dict.fromkeys(keys)}

    def action(patent: Patent) -> None:
        on = _day(posted, "event_date", "日期")
        rights_records.record_event(session, p, patent, _text(posted, "kind"), on, detail)

    return _rights_post(request, session, p, application_no, action)


@router.post("/patents/{application_no}/rights/consents")
def record_rights_consent(application_no: str, request: Request, posted: Posted, session: DB, p: Staff):
    def action(patent: Patent) -> None:
        fields = {name: _text(posted, name) for name in ("act", "role", "party", "note")}
        rights_records.record_consent(session, p, patent, upload=_upload(posted), **fields)

    return _rights_post(request, session, p, application_no, action)


@router.post("/patents/{application_no}/rights/authorisations")
def submit_rights_authorisation(application_no: str, request: Request, posted: Posted, session: DB, p: LoggedIn):
    """A member uploads its own organisation's authorisation; a center's staff may upload one for any."""

    def action(patent: Patent) -> None:
        named = _text(posted, "organisation")
        org_id = (
            p.org_id
            if p.role is Role.MEMBER
            else session.scalar(select(Organisation.id).where(Organisation.name == named))
        )
        if org_id is None:
            raise InvalidInput("请填写平台上已注册的被授权单位全称", field="organisation")
        acts = [a for a in posted.getlist("acts") if isinstance(a, str)]
        valid_until = _day(posted, "valid_until", "授权期限") if _text(posted, "valid_until") else None
        grantor = _text(posted, "grantor")
        rights_records.submit_authorisation(
            session,
            p,
            patent,
            organisation_id=org_id,
            grantor=grantor,
            acts=acts,
            valid_until=valid_until,
            upload=_upload(posted),
        )

    return _rights_post(request, session, p, application_no, action)


@router.post("/patents/{application_no}/rights/authorisations/{auth_id}")
def decide_rights_authorisation(
    application_no: str, auth_id: PathId, request: Request, posted: Posted, session: DB, p: Staff
):
    def action(_patent: Patent) -> None:
        approve = _text(posted, "decision") == "confirm"
        rights_records.decide_authorisation(session, p, auth_id, approve=approve, note=_text(posted, "note"))

    return _rights_post(request, session, p, application_no, action)


@router.post("/patents/{application_no}/databases")
def add_to_database(application_no: str, posted: Posted, session: DB, _staff: Staff):
    """Add a patent to a core-domain database by hand."""
    raw = posted.get("database_id")
    if not isinstance(raw, str) or not raw.isdigit():
        raise InvalidInput("请选择专题库", field="database_id")
    patent = _patent(session, application_no)
    patents.add_to_database(session, patents.get_database(session, int(raw)), patent)
    return RedirectResponse(f"/patents/{patent.application_no}", status_code=303)
