"""Patent search: lexical (tantivy over segmented text), semantic (e5 vectors with a calibrated floor) and
hybrid (both fused), with filters, facets, snippets and paging; and "similar patents".

Every answer says whether it is complete: ``stale`` while an index is behind the database or being rebuilt,
``degraded`` while a hybrid search has to answer lexically because passages still lack vectors.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from ipoc.audit import service as audit
from ipoc.db import session_scope
from ipoc.errors import InvalidInput
from ipoc.jobs import service as jobs
from ipoc.jobs.models import Job
from ipoc.patents.export import FORMATS, MAX_EXPORT_ROWS, export_path, write_export
from ipoc.patents.models import Patent
from ipoc.search import index_sync
from ipoc.search.fusion import fuse
from ipoc.search.hits import hydrate
from ipoc.search.query import And, Node, any_of, is_free_text, query_text, read
from ipoc.search.restriction import database_restriction
from ipoc.search.schemas import FacetValue, SearchAnswer, SearchHit, SearchRequest
from ipoc.search.vectors import Embedder, on_topic_hits, semantic_search

log = logging.getLogger(__name__)

CANDIDATES = 200  # per side, before fusion and paging


@dataclass
class _Ranked:
    """One ranking before paging: ids best first, with their scores and the per-side details."""

    ids: list[int]
    scores: dict[int, float]
    lexical_rank: dict[int, int]
    semantic_rank: dict[int, int]
    similarity: dict[int, float]


def search(session: Session, request: SearchRequest) -> SearchAnswer:
    reading = read(request.q)
    node = reading.node
    restriction = database_restriction(session, request.database_id)
    status = index_sync.status(session)  # of the committed index it answers from; never written here
    degraded = request.mode == "hybrid" and not status.embeddings_complete
    words = query_text(node)
    if request.mode == "lexical" or degraded or request.sort != "relevance" or not words:
        answer = _lexical_answer(session, node, restriction, request)
    else:
        answer = _ranked_answer(session, node, restriction, request)
    answer.degraded, answer.natural = degraded, reading.natural
    answer.stale = status.stale or status.building
    answer.pending_embeddings = max(0, status.patents - status.embedded)  # from the cached counts: no new query
    notices = [reading.notice, status.notice()]
    if degraded:
        notices.append(f"语义向量尚未全部就绪（{status.embedded}/{status.patents}），当前结果仅按关键词检索")
    answer.notice = "；".join(n for n in notices if n) or None
    return answer


def _combined(node: Node | None, restriction: Node | None) -> Node | None:
    if restriction is None:
        return node
    return restriction if node is None else And((node, restriction))


def _lexical_answer(
    session: Session, node: Node | None, restriction: Node | None, request: SearchRequest
) -> SearchAnswer:
    handle = index_sync.lexical(session)
    result = handle.index.search(
        _combined(node, restriction),
        filters=request.filters,
        sort=request.sort,
        offset=request.offset,
        limit=request.limit,
    )
    hits = hydrate(session, [h.patent_id for h in result.hits])
    by_id = {h.patent_id: h for h in result.hits}
    for rank, hit in enumerate(hits, start=request.offset + 1):
        found = by_id[hit.patent_id]
        hit.title_html, hit.abstract_html = found.title_html, found.abstract_html
        if request.sort == "relevance":
            hit.score, hit.lexical_rank = round(found.score, 4), rank
    return SearchAnswer(total=result.total, hits=hits, mode="lexical", facets=_facets(result.facets))


def _ranked_answer(
    session: Session, node: Node | None, restriction: Node | None, request: SearchRequest
) -> SearchAnswer:
    ranked = rank(session, node, restriction, request, depth=max(CANDIDATES, request.offset + request.limit))
    page = ranked.ids[request.offset : request.offset + request.limit]
    index = index_sync.lexical(session).index
    snippets = index.snippets(node, page) if page else {}
    hits = hydrate(session, page)
    for hit in hits:
        pid = hit.patent_id
        hit.score = round(ranked.scores[pid], 6)
        hit.lexical_rank = ranked.lexical_rank.get(pid)
        hit.semantic_rank = ranked.semantic_rank.get(pid)
        hit.similarity = round(ranked.similarity[pid], 4) if pid in ranked.similarity else None
        hit.title_html, hit.abstract_html = snippets.get(pid, (None, None))
    facets = _facets(index.facets_for(ranked.ids)) if ranked.ids else {}
    return SearchAnswer(total=len(ranked.ids), hits=hits, mode=request.mode, facets=facets)


def rank(
    session: Session, node: Node | None, restriction: Node | None, request: SearchRequest, *, depth: int
) -> _Ranked:
    """The semantic or hybrid ranking of a query, filters and database applied, best first.

    The semantic side reads the query's words as one text; its hits must still pass the filters, lie in the
    database and, when the query states conditions (field codes, operators, dates), meet them: the lexical
    index checks that for the candidate ids.
    """
    index = index_sync.lexical(session).index
    lexical = index.search(
        _combined(any_of(node), restriction),
        filters=request.filters,
        limit=depth,
        with_facets=False,
        with_snippets=False,
        with_count=False,
    )
    semantic = semantic_hits(query_text(node), depth, agreeing={h.patent_id for h in lexical.hits})
    conditions = restriction if is_free_text(node) else _combined(node, restriction)
    if semantic and (request.filters or conditions is not None):
        allowed = index.filter_ids([pid for pid, _ in semantic], query=conditions, filters=request.filters)
        semantic = [(pid, sim) for pid, sim in semantic if pid in allowed]
    if request.mode == "semantic":
        return _Ranked(
            ids=[pid for pid, _ in semantic],
            scores=dict(semantic),
            lexical_rank={},
            semantic_rank={pid: r for r, (pid, _) in enumerate(semantic, start=1)},
            similarity=dict(semantic),
        )
    fused = fuse([(h.patent_id, h.score) for h in lexical.hits], semantic, k=depth)
    return _Ranked(
        ids=[int(h.id) for h in fused],
        scores={int(h.id): h.score for h in fused},
        lexical_rank={int(h.id): h.lexical_rank for h in fused if h.lexical_rank},
        semantic_rank={int(h.id): h.semantic_rank for h in fused if h.semantic_rank},
        similarity={int(h.id): h.sim for h in fused if h.sim is not None},
    )


def semantic_hits(text: str, depth: int, agreeing: Collection[int] = ()) -> list[tuple[int, float]]:
    """Semantic hits of an on-topic query, best first; ``agreeing`` are the patents the same text's words found
    (see ``vectors.on_topic_hits``)."""
    index, calibration = index_sync.vector_index(), index_sync.calibration()
    if not text or index is None or calibration is None or len(index) == 0:
        return []
    return on_topic_hits(index, calibration, Embedder.shared().long_query(text), depth, agreeing=agreeing)


def similar(session: Session, patent: Patent, *, limit: int = 10) -> list[SearchHit]:
    """Patents whose passages lie closest to this one's, above the calibrated floor."""
    index, calibration = index_sync.vector_index(), index_sync.calibration()
    if index is None or calibration is None:
        return []
    vector = index.vector(patent.id)
    if vector is None:
        return []
    found = [
        (int(pid), float(sim))
        for pid, sim, passes in semantic_search(index, calibration, np.asarray(vector), limit + 1)
        if passes and int(pid) != patent.id
    ][:limit]
    hits = hydrate(session, [pid for pid, _ in found])
    for hit, (_, sim) in zip(hits, found, strict=True):
        hit.score = hit.similarity = round(sim, 4)
    return hits


def result_ids(session: Session, request: SearchRequest, *, cap: int = MAX_EXPORT_ROWS) -> list[int]:
    """Every hit of a search, best first, up to ``cap`` (for exports)."""
    node, restriction = read(request.q).node, database_restriction(session, request.database_id)
    ranked_mode = request.mode != "lexical" and request.sort == "relevance" and query_text(node)
    if ranked_mode and index_sync.status(session).embeddings_complete:
        return rank(session, node, restriction, request, depth=cap).ids
    result = index_sync.lexical(session).index.search(
        _combined(node, restriction),
        filters=request.filters,
        sort=request.sort,
        limit=cap,
        with_facets=False,
        with_snippets=False,
    )
    return [h.patent_id for h in result.hits]


def _facets(facets: dict[str, list[tuple[str, int]]]) -> dict[str, list[FacetValue]]:
    return {name: [FacetValue(value=v, count=c) for v, c in values] for name, values in facets.items()}


def launch_export(session: Session, request: SearchRequest, fmt: str, owner_id: int | None) -> Job:
    if fmt not in FORMATS:
        raise InvalidInput("导出格式只能是 xlsx 或 csv", field="format")
    return jobs.create(
        session,
        "export",
        owner_id=owner_id,
        label=request.q or "全部专利",
        params={"format": fmt, **request.model_dump(mode="json")},
    )


def _described(request: SearchRequest) -> str:
    """The search behind an export, for the file's title row."""
    parts = [f"检索式={request.q}"] if request.q else []
    parts += [f"{name}={'/'.join(values)}" for name, values in request.filters.items() if values]
    if request.database_id is not None:
        parts.append(f"专题库编号={request.database_id}")
    return "，".join(parts)


def export_job(job: Job, progress: jobs.Progress) -> dict:
    """The queue's handler of ``export``: the search request and format rebuilt from the job's params."""
    fmt = job.params["format"]
    request = SearchRequest.model_validate({k: v for k, v in job.params.items() if k in SearchRequest.model_fields})
    with session_scope() as inner:
        ids = result_ids(inner, request, cap=MAX_EXPORT_ROWS)
    progress.update(0, len(ids))
    count = write_export(
        ids, export_path(job.id, fmt), fmt, lambda done, total: progress.update(done, total), _described(request)
    )
    with session_scope() as inner:
        audit.log(inner, "export", "Patent", "-", meta={"rows": count, "format": fmt, "job": job.id})
    return {"rows": count, "format": fmt, "capped": len(ids) >= MAX_EXPORT_ROWS}
