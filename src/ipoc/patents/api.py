"""JSON API: the patent database (public bibliographic data), imports and core-domain databases."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, File, Request, UploadFile, status
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from ipoc.jobs.schemas import JobOut
from ipoc.patents import rights, rights_records
from ipoc.patents import service as patents
from ipoc.patents.models import IndustryDatabase, Patent
from ipoc.patents.schemas import (
    DecisionIn,
    HoldingOut,
    IndustryDatabaseIn,
    IndustryDatabaseOut,
    PatentOut,
    RightsEventIn,
)
from ipoc.schemas import PathId
from ipoc.search import service as search
from ipoc.search.schemas import SearchHit
from ipoc.web.deps import DB, CurrentPrincipal
from ipoc.web.deps import PatentStaff as Staff
from ipoc.web.forms import as_upload

router = APIRouter(tags=["专利"])


@router.get("/patents/{application_no}", response_model=PatentOut)
def get_patent(application_no: str, session: DB):
    """One patent by application number in any notation (CN/ZL prefix, no dot, full-width digits), or by
    publication number of any office (``US 8271025 B2``); with its simple family, the columns kept verbatim
    (``extra``) and the import each field last came from (``sources``)."""
    return patent_out(session, patents.get_patent(session, application_no))


_RESOLVED = ("sources", "family_members")  # read through the session, not off the record


def patent_out(session: Session, patent: Patent) -> PatentOut:
    on_record = {name: getattr(patent, name) for name in PatentOut.model_fields if name not in _RESOLVED}
    resolved = {
        "sources": patents.import_sources(session, patent),
        "family_members": patents.family_of(session, patent),
    }
    return PatentOut.model_validate(on_record | resolved)


@router.get("/patents/{application_no}/rights", response_model=HoldingOut)
def patent_rights(application_no: str, session: DB, p: CurrentPrincipal):
    """Current patentees (with source and date), original applicants, licences and pledges in force,
    suspension, lapse and invalidation, as of today (Beijing)."""
    patent = patents.get_patent(session, application_no)
    return holding_out(patent, rights_records.shown_to(p, rights.holding(session, patent)))


@router.post("/patents/{application_no}/rights/events", response_model=HoldingOut, status_code=status.HTTP_201_CREATED)
def record_rights_event(application_no: str, data: RightsEventIn, session: DB, p: Staff):
    """Record 中止 (suspension) and its end, or a transfer, licence or pledge by hand (center staff, region admin)."""
    patent = patents.get_patent(session, application_no)
    rights_records.record_event(session, p, patent, data.kind, data.event_date, data.detail())
    return holding_out(patent, rights.holding(session, patent))


@router.post("/rights-authorisations/{auth_id}/decision")
def decide_authorisation(auth_id: PathId, data: DecisionIn, session: DB, p: Staff) -> dict[str, str]:
    """Confirm or reject an uploaded written authorisation (center staff, region admin)."""
    auth = rights_records.decide_authorisation(session, p, auth_id, approve=data.approve, note=data.note)
    return {"state": auth.state, "state_label": auth.state_label}


def holding_out(patent: Patent, h: rights.Holding) -> HoldingOut:
    data = asdict(h)
    data["licences"] = [asdict(x) | {"kind_label": x.kind_label} for x in h.licences]
    return HoldingOut.model_validate(data | {"application_no": patent.application_no, "co_owned": h.co_owned})


@router.get("/patents/{application_no}/similar", response_model=list[SearchHit])
def similar_patents(application_no: str, session: DB, limit: int = 10):
    patent = patents.get_patent(session, application_no)
    return search.similar(session, patent, limit=max(1, min(limit, 50)))


@router.post("/patents/imports", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
def upload_import(request: Request, session: DB, p: Staff, file: Annotated[UploadFile, File()]):
    """Start an import of a CSV/XLSX/JSONL export; poll ``/api/v1/jobs/{id}`` for progress and counts. The finished
    job's ``result`` names the export ``tool`` and lists ``columns``: per column of the file its ``column`` number,
    ``header``, ``status`` (mapped | kept | empty), the ``field`` it fills, how many rows ``filled`` it, and where a
    synonym column won, ``instead``. An import that writes new or changed patents queues the embedding of their
    passages (its result names the ``embed`` job as ``embedding_job``); search answers count what is still pending
    in ``pending_embeddings``."""
    job, _path = patents.receive_upload(session, as_upload(file), owner_id=p.user_id)
    return JobOut.model_validate(job)


@router.get("/patents/imports/{job_id}/report")
def import_report(job_id: PathId, session: DB, p: Staff, format: Literal["xlsx", "csv"] = "xlsx"):
    """The rejected-row report of an import, XLSX or CSV (UTF-8 with a BOM): 行号 (the row as the spreadsheet
    numbers it), 字段, 原因, 原值, then the row's own cells under the file's headers."""
    path = patents.import_report(session, p, job_id, format)
    return FileResponse(path, media_type=patents.REPORT_TYPES[format], filename=f"import-{job_id}-report.{format}")


@router.get("/industry-databases", response_model=list[IndustryDatabaseOut])
def list_databases(session: DB):
    return [IndustryDatabaseOut.model_validate(d) for d in patents.list_databases(session)]


@router.post("/industry-databases", response_model=IndustryDatabaseOut, status_code=status.HTTP_201_CREATED)
def create_database(data: IndustryDatabaseIn, session: DB, p: Staff):
    return IndustryDatabaseOut.model_validate(patents.save_database(session, data))


@router.put("/industry-databases/{database_id}", response_model=IndustryDatabaseOut)
def update_database(database_id: PathId, data: IndustryDatabaseIn, session: DB, p: Staff):
    return IndustryDatabaseOut.model_validate(patents.save_database(session, data, database_id))


@router.post("/industry-databases/{database_id}/patents/{application_no}", response_model=IndustryDatabaseOut)
def add_patent_to_database(database_id: PathId, application_no: str, session: DB, p: Staff):
    database: IndustryDatabase = patents.get_database(session, database_id)
    patents.add_to_database(session, database, patents.get_patent(session, application_no))
    return IndustryDatabaseOut.model_validate(database)
