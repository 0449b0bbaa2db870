"""Pages: the patent search (public), exports of a result set, saved searches, the domain dictionary and the
state of the search indexes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, cast
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, QueryParams

from ipoc.auth.roles import Principal
from ipoc.errors import DomainError, InvalidInput, NotFound
from ipoc.jobs import service as jobs
from ipoc.jobs.models import Job
from ipoc.patents.export import MAX_EXPORT_ROWS, export_path
from ipoc.patents.models import KIND_LABELS, STATUS_LABELS
from ipoc.patents.service import list_databases
from ipoc.schemas import PathId
from ipoc.search import dictionary, index_sync, saved, semantic
from ipoc.search import service as search
from ipoc.search.models import SavedSearch
from ipoc.search.query import read
from ipoc.search.schemas import (
    FACET_LABELS,
    FACETS,
    DictionaryTermIn,
    Mode,
    SavedSearchIn,
    SearchAnswer,
    SearchRequest,
    Sort,
)
from ipoc.web.deps import DB, CurrentPrincipal, LoggedIn
from ipoc.web.deps import PatentStaff as Staff
from ipoc.web.forms import Posted, attempt, field_errors, parse_form, refusable
from ipoc.web.templating import render

router = APIRouter()

PER_PAGE = 20
MAX_PAGE = 100_000 // PER_PAGE + 1  # the deepest offset a search request accepts
MODES = [("hybrid", "混合（关键词 + 语义）"), ("lexical", "关键词"), ("semantic", "语义")]
SORTS = [("relevance", "相关度"), ("date_desc", "申请日 新→旧"), ("date_asc", "申请日 旧→新")]
VALUE_LABELS = {"kind": KIND_LABELS, "status_class": STATUS_LABELS}
SAVED_FIELDS = {"name": "名称", "query": "检索式", "filters": "筛选"}
MEDIA = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


# --- the search page ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FacetLink:
    value: str
    label: str
    count: int
    selected: bool
    url: str


def _filters_from(source: QueryParams | FormData) -> dict[str, list[str]]:
    """Facet filters as repeated GET (or form) parameters, e.g. ``kind=invention&year=2021&year=2022``."""
    found = {name: [v for v in source.getlist(name) if isinstance(v, str) and v] for name in FACETS}
    return {name: values for name, values in found.items() if values}


def _params(req: SearchRequest, filters: dict[str, list[str]] | None = None) -> list[tuple[str, str]]:
    """The GET parameters that reproduce a search (defaults left out, so links stay short)."""
    params = [("q", req.q)]
    if req.mode != "hybrid":
        params.append(("mode", req.mode))
    if req.sort != "relevance":
        params.append(("sort", req.sort))
    if req.database_id:
        params.append(("database_id", str(req.database_id)))
    for name, values in (req.filters if filters is None else filters).items():
        params += [(name, v) for v in values]
    return params


def search_url(req: SearchRequest, filters: dict[str, list[str]] | None = None, page: int = 1) -> str:
    params = _params(req, filters)
    if page > 1:
        params.append(("page", str(page)))
    return "/patents/search?" + urlencode(params)


def _toggled(filters: dict[str, list[str]], name: str, value: str) -> dict[str, list[str]]:
    current = filters.get(name, [])
    values = [v for v in current if v != value] if value in current else [*current, value]
    return {**filters, name: values}


def _value_label(name: str, value: str) -> str:
    return VALUE_LABELS.get(name, {}).get(value, value)


def _facet_groups(req: SearchRequest, answer: SearchAnswer | None) -> list[tuple[str, str, list[FacetLink]]]:
    """Each facet's values with counts and a link that adds or removes it; chosen values stay listed."""
    groups = []
    for name in FACETS:
        counts = {f.value: f.count for f in (answer.facets.get(name, []) if answer else [])}
        chosen = req.filters.get(name, [])
        values = list(counts) + [v for v in chosen if v not in counts]
        links = [
            FacetLink(
                value=v,
                label=_value_label(name, v),
                count=counts.get(v, 0),
                selected=v in chosen,
                url=search_url(req, _toggled(req.filters, name, v)),
            )
            for v in values
        ]
        if links:
            groups.append((name, FACET_LABELS[name], links))
    return groups


def _pages(page: int, total: int) -> list[int]:
    last = min(MAX_PAGE, max(1, math.ceil(total / PER_PAGE)))
    return list(range(max(1, page - 4), min(last, page + 4) + 1))


@router.get("/patents/search")
def search_page(
    request: Request,
    session: DB,
    p: CurrentPrincipal,
    q: Annotated[str, Query(max_length=2000)] = "",
    mode: Annotated[str, Query(pattern="^(hybrid|lexical|semantic)$")] = "hybrid",
    sort: Annotated[str, Query(pattern="^(relevance|date_desc|date_asc)$")] = "relevance",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    database_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
):
    """Every choice is a GET parameter, so a result page can be bookmarked and shared."""
    try:
        req = SearchRequest(
            q=q,
            mode=cast(Mode, mode),  # the Query pattern admits only a Mode
            sort=cast(Sort, sort),  # and only a Sort
            limit=PER_PAGE,
            offset=(page - 1) * PER_PAGE,
            filters=_filters_from(request.query_params),
            database_id=database_id,
        )
    except ValidationError as exc:
        raise InvalidInput("；".join(field_errors(exc).values())) from exc
    answer, errors = None, {}
    try:
        answer = search.search(session, req)
    except InvalidInput as exc:  # the query's syntax: shown next to the box, to be corrected
        errors[exc.field or "__all__"] = exc.message
    ctx = {
        "title": "专利检索",
        "req": req,
        "answer": answer,
        "errors": errors,
        "page": page,
        "pages": _pages(page, answer.total) if answer else [],
        "page_url": lambda n: search_url(req, page=n),
        "facets": _facet_groups(req, answer),
        "params": _params(req),
        "modes": MODES,
        "sorts": SORTS,
        "databases": list_databases(session),
        "kind_labels": KIND_LABELS,
        "status_labels": STATUS_LABELS,
        "max_export": MAX_EXPORT_ROWS,
        "embedding_job": semantic.pending_job(session) if answer and answer.pending_embeddings else None,
    }
    return render(request, "search/search.html", ctx, status_code=422 if errors else 200)


# --- exports -----------------------------------------------------------------------------------------------


def _request_from_form(form: FormData) -> SearchRequest:
    """The search a form's hidden fields carry (export, save)."""
    values = {k: form.get(k) for k in ("q", "mode", "sort", "database_id") if form.get(k)}
    try:
        req = SearchRequest.model_validate({**values, "filters": _filters_from(form)})
    except ValidationError as exc:
        raise InvalidInput("；".join(field_errors(exc).values())) from exc
    read(req.q)  # a deliberate query that cannot run is refused here, with the parser's message, not in the job
    return req


@router.post("/patents/exports")
def export_results(request: Request, posted: Posted, session: DB, p: LoggedIn):
    """Export the whole result set (up to 100,000 patents) as a job; its page shows progress and the file."""
    fmt = str(posted.get("format") or "xlsx")
    job = search.launch_export(session, _request_from_form(posted), fmt, p.user_id)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/patents/exports/{job_id}/file")
def export_file(job_id: PathId, session: DB, p: LoggedIn):
    job = jobs.visible_job(session, p, job_id)
    if job.kind != "export" or job.status != "done":
        raise NotFound("导出文件尚未生成")
    fmt = job.params["format"]
    return FileResponse(export_path(job.id, fmt), media_type=MEDIA[fmt], filename=f"专利检索结果-{job.id}.{fmt}")


# --- saved searches ----------------------------------------------------------------------------------------


def _saved_page(request: Request, session: DB, p: Principal, status_code: int = 200, **extra):
    entries = saved.list_for(session, p)
    ctx = {
        "title": "我的检索",
        "entries": entries,
        "run_url": {e.id: _saved_search_url(e) for e in entries},
        "facet_labels": FACET_LABELS,
        **extra,
    }
    return render(request, "search/saved.html", ctx, status_code=status_code)


def _saved_search_url(entry: SavedSearch) -> str:
    request = SearchRequest(q=entry.query, filters=entry.filters or {}, mode=entry.mode, database_id=entry.database_id)
    return search_url(request)


@router.get("/search/saved")
def saved_list(request: Request, session: DB, p: LoggedIn, created: int = 0):
    return _saved_page(request, session, p, flash="检索已保存，有新专利符合时会在这里提醒" if created else None)


@router.post("/search/saved")
def saved_create(request: Request, posted: Posted, session: DB, p: LoggedIn):
    raw = {
        "name": str(posted.get("name") or "").strip(),
        "query": str(posted.get("q") or ""),
        "filters": _filters_from(posted),
        "mode": str(posted.get("mode") or "hybrid"),
        "database_id": posted.get("database_id") or None,
        "notify": posted.get("notify", "true") == "true",
    }
    problem = None
    try:
        with refusable(session):
            saved.create(session, p, SavedSearchIn.model_validate(raw))
    except ValidationError as exc:
        problem = "；".join(f"{SAVED_FIELDS.get(k, k)}：{v}" for k, v in field_errors(exc).items())
    except DomainError as exc:
        problem = f"检索式：{exc.message}"
    if problem:
        return _saved_page(request, session, p, 422, errors={"__all__": f"检索未保存。{problem}"})
    return RedirectResponse("/search/saved?created=1", status_code=303)


@router.get("/search/saved/{saved_id}")
def saved_new(saved_id: PathId, request: Request, session: DB, p: LoggedIn):
    """The patents that arrived and match; opening the page marks them read."""
    hits = saved.take_new(session, p, saved_id)
    entry = session.get(SavedSearch, saved_id)
    assert entry is not None  # take_new found it among the caller's own, or raised NotFound
    ctx = {
        "title": entry.name,
        "entry": entry,
        "hits": hits,
        "run_url": _saved_search_url(entry),
        "kind_labels": KIND_LABELS,
        "status_labels": STATUS_LABELS,
    }
    return render(request, "search/saved_new.html", ctx)


@router.post("/search/saved/{saved_id}/delete")
def saved_delete(saved_id: PathId, session: DB, p: LoggedIn):
    saved.delete(session, p, saved_id)
    return RedirectResponse("/search/saved", status_code=303)


# --- the domain dictionary and the indexes ---------------------------------------------------------------


def _dictionary_page(request: Request, session: DB, status_code: int = 200, **extra):
    ctx = {
        "title": "领域词典与检索索引",
        "terms": dictionary.list_terms(session),
        "status": index_sync.status(session),
        "missing": semantic.count_missing(session),
        "recent": jobs.list_for(session, None, kinds=("reindex", "embed"), limit=5),
        **extra,
    }
    return render(request, "search/dictionary.html", ctx, status_code=status_code)


@router.get("/search/dictionary")
def dictionary_page(request: Request, session: DB, _staff: Staff):
    return _dictionary_page(request, session)


@router.post("/search/dictionary")
def dictionary_add(request: Request, posted: Posted, session: DB, _staff: Staff):
    form = parse_form(posted, DictionaryTermIn)
    if form.ok and form.data is not None:
        data = form.data
        attempt(session, form, lambda: dictionary.add_term(session, data))
    if form.errors:
        return _dictionary_page(request, session, 422, errors=form.errors, values=form.values)
    return RedirectResponse("/search/dictionary", status_code=303)


@router.post("/search/dictionary/{term_id}/delete")
def dictionary_remove(term_id: PathId, session: DB, _staff: Staff):
    dictionary.remove_term(session, term_id)
    return RedirectResponse("/search/dictionary", status_code=303)


def launch_rebuild(session: Session, owner_id: int | None) -> Job:
    """``ipoc index rebuild`` as a background job: from the database and stored vectors, never re-embedding."""
    return jobs.create(session, "reindex", owner_id=owner_id, label="重建检索索引", params={})


def rebuild_job(_job: Job, progress: jobs.Progress) -> dict:
    """The queue's handler of ``reindex``."""
    status = index_sync.rebuild(progress=lambda done, total: progress.update(done, total))
    return {"documents": status.documents, "vectors": status.vectors}


@router.post("/search/index/rebuild")
def rebuild_index(session: DB, p: Staff):
    job = launch_rebuild(session, p.user_id)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.post("/search/embeddings")
def start_embedding(session: DB, p: Staff):
    job = semantic.launch_embedding(session, p.user_id)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)
