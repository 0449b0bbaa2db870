"""Pooling for the matching labels: for every CCF 2019 need, the top 10 CCF 2022 patents of BM25 (the platform's
any-of-words lexical ranking) and the top 10 of plain e5 cosine (no floor), written with their texts to a judging
sheet OUTSIDE the repository (the texts are never committed). The judge reads each need and its pooled patents and
writes the grades into benchmarks/quality/matching_labels.jsonl. See benchmarks/README.md, "Matching quality".

    .venv/bin/python benchmarks/matching_pool.py --out /tmp/matching-pools.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from embed_ccf_cache import CCF_PATENTS, DEFAULT_OUT, ensure_cache, load_ccf
from matching_needs import load_needs
from search_quality import import_ccf, log, store_vectors, use_instance

POOL_DEPTH = 10


def bm25_top(text: str, ccf_of: dict[str, str], depth: int = POOL_DEPTH) -> list[str]:
    from ipoc.db import session_scope
    from ipoc.search import index_sync
    from ipoc.search.query import Words

    with session_scope() as session:
        index = index_sync.lexical(session).index
        found = index.search(Words(text), limit=depth, with_facets=False, with_snippets=False, with_count=False)
    return [ccf_of[h.application_no] for h in found.hits]


def cosine_top(text: str, ids: list[str], matrix: np.ndarray, depth: int = POOL_DEPTH) -> list[str]:
    from ipoc.search.vectors import Embedder

    sims = matrix @ Embedder.shared().query(text)
    return [ids[i] for i in np.argsort(-sims)[:depth]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="judging sheet (keep it outside the repository)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    if not CCF_PATENTS.is_file():
        print(f"real data not found at {CCF_PATENTS}: skipped", file=sys.stderr)
        return 0
    rows = load_ccf()
    by_id = {row["id"]: row for row in rows}
    ids, matrix = ensure_cache(args.cache, rows)
    with tempfile.TemporaryDirectory(prefix="ipoc-matching-pool-") as tmp:
        use_instance(Path(tmp))
        numbers = import_ccf(rows, Path(tmp))
        store_vectors(numbers, ids, matrix)
        with args.out.open("w", encoding="utf-8") as sheet:
            for need in load_needs().values():
                lexical, dense = bm25_top(need.text, numbers), cosine_top(need.text, ids, matrix)
                pool = list(dict.fromkeys(lexical + dense))
                candidates = [
                    {
                        "id": pid,
                        "by": "+".join(n for n, side in (("bm25", lexical), ("e5", dense)) if pid in side),
                        "title": by_id[pid]["title"],
                        "abstract": by_id[pid]["abstract"][:160],
                    }
                    for pid in pool
                ]
                line = {"need": need.id, "text": need.text[:400], "candidates": candidates}
                sheet.write(json.dumps(line, ensure_ascii=False) + "\n")
    log(f"pools written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
