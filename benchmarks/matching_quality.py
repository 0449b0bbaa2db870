"""Matching quality: MRR and P@5 of demand→patent ranking on labelled real enterprise needs (CCF BDCI 2019) against
the 4,097 CCF 2022 patents, for the platform's combined ranking (`matching.service.rank_patents_for_text`) and two
baselines: BM25 alone (the lexical side: any of the need's content words) and embedding alone (plain e5 cosine over
all patents, no floor). Labels: benchmarks/quality/matching_labels.jsonl; how they were made: benchmarks/README.md,
"Matching quality".

The instance is built as benchmarks/search_quality.py builds it (temporary SQLite, real importer, cached vectors).
Exit status 1 when the combined ranking does not beat both baselines on both metrics; 0 with a message when
../shared/data is absent.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from embed_ccf_cache import CCF_PATENTS, DEFAULT_OUT, ensure_cache, load_ccf
from matching_needs import NEEDS, LabelledNeed, load_matching_labels, load_needs, precision_at, reciprocal_rank
from matching_pool import bm25_top, cosine_top
from search_quality import import_ccf, log, report, store_vectors, use_instance, verdict

DEPTH = 100
RANKINGS = ("combined", "bm25", "embedding")
METRICS: dict[str, Callable[[list[str], dict[str, int]], float]] = {
    "mrr": reciprocal_rank,
    "p@5": lambda ranked, grades: precision_at(ranked, grades, 5),
}


def combined(text: str, ccf_of: dict[str, str]) -> list[str]:
    from ipoc.db import session_scope
    from ipoc.matching import service as matching

    with session_scope() as session:
        if not matching.semantic_ready(session):
            raise RuntimeError("vectors incomplete: the combined ranking would be lexical only")
        found = matching.rank_patents_for_text(session, text, limit=DEPTH)
    return [ccf_of[c.application_no] for c in found]


def evaluate(
    labels: list[LabelledNeed], texts: dict[str, str], ccf_of: dict[str, str], ids: list[str], matrix: np.ndarray
) -> tuple[dict[str, dict[str, float]], list[dict]]:
    per_need = []
    for need in labels:
        text = texts[need.id]
        ranked = {
            "combined": combined(text, ccf_of),
            "bm25": bm25_top(text, ccf_of, DEPTH),
            "embedding": cosine_top(text, ids, matrix, DEPTH),
        }
        row = {"need": need.id}
        for name, docs in ranked.items():
            for metric, fn in METRICS.items():
                row[f"{name}_{metric}"] = fn(docs, need.relevant)
        per_need.append(row)
    figures = {
        name: {metric: float(np.mean([r[f"{name}_{metric}"] for r in per_need])) for metric in METRICS}
        for name in RANKINGS
    }
    return figures, per_need


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, default=DEFAULT_OUT, help="default $IPOC_DATA_DIR/quality-vectors")
    parser.add_argument("--per-need", action="store_true", help="log each need's reciprocal rank per ranking")
    args = parser.parse_args()
    if not CCF_PATENTS.is_file() or not NEEDS.is_file():
        print("real data not found (../shared/data is absent): skipped", file=sys.stderr)
        return 0
    rows, labels = load_ccf(), load_matching_labels()
    texts = {need_id: need.text for need_id, need in load_needs().items()}
    ids, matrix = ensure_cache(args.cache, rows)
    with tempfile.TemporaryDirectory(prefix="ipoc-matching-quality-") as tmp:
        use_instance(Path(tmp))
        numbers = import_ccf(rows, Path(tmp))
        store_vectors(numbers, ids, matrix)
        figures, per_need = evaluate(labels, texts, numbers, ids, matrix)
    if args.per_need:
        for row in per_need:
            log(" ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
    headings = {"mrr": "MRR", "p@5": "P@5"}
    report(figures, keys=("ranking", "needs"), count=len(labels), records=len(rows), headings=headings, width=12)
    failures = verdict(figures, "combined", ("bm25", "embedding"))
    for failure in failures:
        print(f"the combined ranking does not beat both baselines: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
