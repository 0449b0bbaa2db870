"""JSON API: patent search (public), exports, saved searches, the domain dictionary, index and embeddings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import FileResponse

from ipoc.errors import NotFound
from ipoc.jobs import service as jobs
from ipoc.jobs.schemas import JobOut
from ipoc.patents.export import export_path
from ipoc.schemas import MAX_ID, PathId
from ipoc.search import dictionary, index_sync, saved, semantic
from ipoc.search import service as search
from ipoc.search.schemas import (
    MAX_LIMIT,
    DictionaryTermIn,
    DictionaryTermOut,
    ExportIn,
    IndexStatusOut,
    Mode,
    SavedSearchIn,
    SavedSearchOut,
    SearchAnswer,
    SearchHit,
    SearchRequest,
    Sort,
)
from ipoc.web.deps import DB, LoggedIn
from ipoc.web.deps import PatentStaff as Staff

router = APIRouter(tags=["专利检索"])
Values = Annotated[list[str] | None, Query()]
# Kinds and status classes are closed lists: an unknown one is refused (422), not a filter that matches nothing.
Kinds = Annotated[list[Literal["invention", "utility_model", "design"]] | None, Query()]
StatusClasses = Annotated[list[Literal["valid", "pending", "lapsed"]] | None, Query()]


@router.get("/patents/search", response_model=SearchAnswer)
def search_patents(
    session: DB,
    q: Annotated[str, Query(max_length=2000, description="检索式，如 TI=(稀土 AND 永磁) 或一段自然语言")] = "",
    mode: Mode = "hybrid",
    sort: Sort = "relevance",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    kind: Kinds = None,
    status_class: StatusClasses = None,
    year: Values = None,
    ipc_subclass: Values = None,
    applicant: Values = None,
    region_name: Values = None,
    database_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
):
    """Search public patent data; readable without login. ``degraded`` is true while a hybrid search has to
    answer lexically because passages still lack vectors (``pending_embeddings`` patents, embedded by the job
    every import queues); ``stale`` while the index is behind."""
    filters: dict[str, Sequence[str] | None] = {
        "kind": kind,
        "status_class": status_class,
        "year": year,
        "ipc_subclass": ipc_subclass,
        "applicant": applicant,
        "region_name": region_name,
    }
    request = SearchRequest(
        q=q,
        mode=mode,
        sort=sort,
        limit=limit,
        offset=offset,
        filters={k: list(v) for k, v in filters.items() if v},
        database_id=database_id,
    )
    return search.search(session, request)


@router.post("/patents/exports", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
def export_patents(data: ExportIn, session: DB, p: LoggedIn):
    """Export a search's result set (up to 100,000 patents) as XLSX or CSV, as a job."""
    job = search.launch_export(session, data.search, data.format, p.user_id)
    return JobOut.model_validate(job)


@router.get("/patents/exports/{job_id}/file")
def export_file(job_id: PathId, session: DB, p: LoggedIn):
    job = jobs.visible_job(session, p, job_id)
    if job.kind != "export" or job.status != "done":
        raise NotFound("导出文件尚未生成")
    fmt = job.params["format"]
    path = export_path(job.id, fmt)
    media = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return FileResponse(path, media_type=media, filename=f"专利检索结果-{job.id}.{fmt}")


@router.get("/search/status", response_model=IndexStatusOut)
def index_status(session: DB):
    return IndexStatusOut.from_status(index_sync.status(session), semantic.count_missing(session))


@router.post("/search/embeddings", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
def start_embedding(session: DB, p: Staff):
    """Embed the passages that have no vector yet, in the background (resumable)."""
    return JobOut.model_validate(semantic.launch_embedding(session, p.user_id))


@router.get("/saved-searches", response_model=list[SavedSearchOut])
def list_saved(session: DB, p: LoggedIn):
    return [SavedSearchOut.model_validate(s) for s in saved.list_for(session, p)]


@router.post("/saved-searches", response_model=SavedSearchOut, status_code=status.HTTP_201_CREATED)
def create_saved(data: SavedSearchIn, session: DB, p: LoggedIn):
    return SavedSearchOut.model_validate(saved.create(session, p, data))


@router.get("/saved-searches/{saved_id}/new", response_model=list[SearchHit])
def new_matches(saved_id: PathId, session: DB, p: LoggedIn):
    """Patents that arrived since the search was saved (or last seen) and match it; reading them marks them seen."""
    return saved.take_new(session, p, saved_id)


@router.delete("/saved-searches/{saved_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_saved(saved_id: PathId, session: DB, p: LoggedIn):
    saved.delete(session, p, saved_id)


@router.get("/dictionary-terms", response_model=list[DictionaryTermOut])
def list_terms(session: DB):
    return [DictionaryTermOut.model_validate(t) for t in dictionary.list_terms(session)]


@router.post("/dictionary-terms", response_model=DictionaryTermOut, status_code=status.HTTP_201_CREATED)
def add_term(data: DictionaryTermIn, session: DB, p: Staff):
    return DictionaryTermOut.model_validate(dictionary.add_term(session, data))
