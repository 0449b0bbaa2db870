"""Hybrid ranking: one list from the lexical and the semantic rankings of the same query.

Weighted reciprocal-rank fusion: ranks, not raw scores, are combined, because BM25 scores and cosine
similarities live on unrelated scales that move with the query. The semantic side weighs more because it only
brings hits that passed the calibrated floor. Weights and the lexical-only rule were chosen on the labelled
queries (benchmarks/search_quality.py, benchmarks/README.md).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

RRF_K = 60
LEXICAL_WEIGHT = 1.0
SEMANTIC_WEIGHT = 1.5
# A lexical-only hit stays when its score reaches this share of the best lexical score: it matched the query's
# words as well as the leaders did, whatever the semantic side thought of it.
STRONG_LEXICAL = 0.3

Doc = TypeVar("Doc", bound=Hashable)  # what both rankings rank: patent ids, matching candidates' keys …


@dataclass(frozen=True, slots=True)
class FusedHit(Generic[Doc]):
    id: Doc
    score: float  # higher is better
    lexical_rank: int | None  # 1-based rank in the lexical list, None when only the semantic side found it
    semantic_rank: int | None  # 1-based rank among the semantic hits that passed the score floor
    sim: float | None  # cosine similarity, None when only the lexical side found it


def fuse(
    lexical: Sequence[tuple[Doc, float]],
    semantic: Sequence[tuple[Doc, float]],
    *,
    k: int,
    rrf_k: int = RRF_K,
    lexical_weight: float = LEXICAL_WEIGHT,
    semantic_weight: float = SEMANTIC_WEIGHT,
    strong_lexical: float = STRONG_LEXICAL,
) -> list[FusedHit[Doc]]:
    """Best k of both rankings, each given best first.

    `semantic` holds only the hits that passed the calibrated floor. Documents both sides found, and every
    semantic hit, are kept; a lexical-only document is kept when it matched strongly (score at least
    `strong_lexical` times the best lexical score), so an exact-word hit the embedding missed is never lost while
    weak one-word matches of an unrelated query do not come back as results.
    """
    lex_rank = {doc: rank for rank, (doc, _) in enumerate(lexical, start=1)}
    lex_score = dict(lexical)
    sem_rank = {doc: rank for rank, (doc, _) in enumerate(semantic, start=1)}
    sim = dict(semantic)
    best_lexical = max((score for _, score in lexical), default=0.0)
    hits: list[FusedHit[Doc]] = []
    for doc in lex_rank.keys() | sem_rank.keys():
        lr, sr = lex_rank.get(doc), sem_rank.get(doc)
        if sr is None and lex_score[doc] < strong_lexical * best_lexical:
            continue
        score = (lexical_weight / (rrf_k + lr) if lr else 0.0) + (semantic_weight / (rrf_k + sr) if sr else 0.0)
        hits.append(FusedHit(doc, score, lr, sr, sim.get(doc)))
    hits.sort(key=lambda h: (-h.score, h.lexical_rank or h.semantic_rank or 0))
    return hits[:k]
