"""Every ranking compared on real enterprise needs, each as CCF 2022 ids best first: the platform's own (hybrid,
semantic and lexical search; `ipoc match`'s ranking) and the obvious baselines they must beat (BM25 over any of the
need's words, plain e5 cosine, and a plain reciprocal-rank fusion of the two with k = 60).

Used by benchmarks/need_pool.py (pooling for the judges) and benchmarks/need_quality.py (`make quality`,
`make match-quality`). The instance is the one benchmarks/search_quality.py builds (temporary SQLite, the real
importer, cached vectors).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

RRF_K = 60


def ccf_instance(workdir: Path, rows: list[dict], ids: list[str], matrix: np.ndarray) -> dict[str, str]:
    """A temporary instance holding the CCF patents with their cached vectors; application no → CCF id."""
    from search_quality import import_ccf, store_vectors, use_instance

    remember_query_vectors()
    use_instance(workdir)
    numbers = import_ccf(rows, workdir)
    store_vectors(numbers, ids, matrix)
    return numbers


def remember_query_vectors() -> None:
    """Every ranking embeds the same need again: keep each query's vector for the run (a benchmark process only)."""
    from functools import lru_cache

    from ipoc.search.vectors import Embedder

    Embedder.query = lru_cache(maxsize=4096)(Embedder.query)  # type: ignore[method-assign]


BASELINE_DEPTH = 100


def content_words(text: str) -> list[str]:
    """The need's words without function words, as the platform's segmenter splits them, each once."""
    from ipoc.search.query import FUNCTION_WORDS
    from ipoc.search.text import default_segmenter

    words = [w for w, _, _ in default_segmenter().words(text) if w not in FUNCTION_WORDS]
    return list(dict.fromkeys(words))


def bm25_or(text: str, ccf_of: dict[str, str], depth: int) -> list[str]:
    """Plain BM25 over any of the need's words (unweighted OR, no minimum to match): the lexical baseline."""
    from ipoc.db import session_scope
    from ipoc.search import index_sync
    from ipoc.search.query import Or, Term

    words = content_words(text)
    if not words:
        return []
    with session_scope() as session:
        index = index_sync.lexical(session).index
        node = Or(tuple(Term(w) for w in words))
        found = index.search(node, limit=depth, with_facets=False, with_snippets=False, with_count=False)
    return [ccf_of[h.application_no] for h in found.hits]


def e5_cosine(text: str, ids: list[str], matrix: np.ndarray, depth: int) -> list[str]:
    """Plain e5 cosine of the whole need (the model reads its first 512 tokens) over every patent, no floor."""
    from ipoc.search.vectors import Embedder

    sims = matrix @ Embedder.shared().query(text)
    return [ids[i] for i in np.argsort(-sims)[:depth]]


def rrf(*rankings: list[str], k: int = RRF_K) -> list[str]:
    """Plain reciprocal-rank fusion: every ranking weighs the same."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking, start=1):
            scores[doc] = scores.get(doc, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda doc: -scores[doc])


def weighted_bm25(text: str, ccf_of: dict[str, str], depth: int) -> list[tuple[str, float]]:
    """The platform's natural-language lexical ranking (weighted key terms, two to match) with its scores."""
    from ipoc.db import session_scope
    from ipoc.search import index_sync
    from ipoc.search.query import Words

    with session_scope() as session:
        index = index_sync.lexical(session).index
        found = index.search(Words(text), limit=depth, with_facets=False, with_snippets=False, with_count=False)
    return [(ccf_of[h.application_no], h.score) for h in found.hits]


def convex(lexical: list[tuple[str, float]], sims: dict[str, float], alpha: float) -> list[str]:
    """Score fusion: alpha × BM25 over its best, plus (1 − alpha) × cosine scaled to the candidates' range."""
    best = max((score for _, score in lexical), default=1.0) or 1.0
    words = {doc: score / best for doc, score in lexical}
    low, high = min(sims.values()), max(sims.values())
    dense = {doc: (sim - low) / ((high - low) or 1.0) for doc, sim in sims.items()}
    docs = words.keys() | dense.keys()
    return sorted(docs, key=lambda d: -(alpha * words.get(d, 0.0) + (1 - alpha) * dense.get(d, 0.0)))


def platform_search(text: str, ccf_of: dict[str, str], depth: int, mode: str) -> list[str]:
    from ipoc.db import session_scope
    from ipoc.search import service
    from ipoc.search.schemas import SearchRequest

    with session_scope() as session:
        answer = service.search(session, SearchRequest(q=text[:2000], mode=mode, limit=depth))
    if answer.degraded or answer.stale:
        raise RuntimeError(f"{mode} answer incomplete (degraded={answer.degraded}, stale={answer.stale})")
    return [ccf_of[h.application_no] for h in answer.hits]


def platform_match(text: str, ccf_of: dict[str, str], depth: int) -> list[tuple[str, float]]:
    """`ipoc match`'s ranking of patents for a need: (CCF id, confidence) best first."""
    from ipoc.db import session_scope
    from ipoc.matching import service as matching

    with session_scope() as session:
        if not matching.semantic_ready(session):
            raise RuntimeError("vectors incomplete: the match ranking would be lexical only")
        found = matching.rank_patents_for_text(session, text, limit=depth)
    return [(ccf_of[c.application_no], float(c.confidence)) for c in found]


def all_rankings(
    text: str, ccf_of: dict[str, str], ids: list[str], matrix: np.ndarray, depth: int
) -> tuple[dict[str, list[str]], list[tuple[str, float]]]:
    """Every system's ranking of one need, and the match ranking's confidences."""
    lexical = bm25_or(text, ccf_of, max(depth, BASELINE_DEPTH))
    dense = e5_cosine(text, ids, matrix, max(depth, BASELINE_DEPTH))
    matched = platform_match(text, ccf_of, depth)
    weighted = weighted_bm25(text, ccf_of, BASELINE_DEPTH)
    row_of = {doc: i for i, doc in enumerate(ids)}
    from ipoc.search.vectors import Embedder

    qvec = Embedder.shared().long_query(text)
    sims = {doc: float(matrix[row_of[doc]] @ qvec) for doc in dict.fromkeys([d for d, _ in weighted] + dense)}
    systems: dict[str, Callable[[], list[str]]] = {
        "bm25_or": lambda: lexical[:depth],
        "e5_cosine": lambda: dense[:depth],
        "rrf_baseline": lambda: rrf(lexical, dense)[:depth],
        "search_lexical": lambda: platform_search(text, ccf_of, depth, "lexical"),
        "search_semantic": lambda: platform_search(text, ccf_of, depth, "semantic"),
        "search_hybrid": lambda: platform_search(text, ccf_of, depth, "hybrid"),
        "match": lambda: [doc for doc, _ in matched],
        "convex_0.3": lambda: convex(weighted, sims, 0.3)[:depth],
        "convex_0.5": lambda: convex(weighted, sims, 0.5)[:depth],
    }
    return {name: ranking() for name, ranking in systems.items()}, matched
