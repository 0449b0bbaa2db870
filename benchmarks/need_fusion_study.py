"""How far BM25 and e5-small can go on the graded needs: the study behind "the bar is out of reach" in
benchmarks/README.md ("Need quality", second pass). Not part of `make quality`; about four minutes.

    .venv/bin/python benchmarks/need_fusion_study.py

For every graded need it gathers each signal the platform has or could cheaply have (BM25 over any word, the
natural-text key terms with 16 or 32 terms and one or two to match, plain e5 of the whole need, of its title and of
its best sentence), then prints nDCG@10 / MRR / judged@10 of each signal alone and of their reciprocal-rank fusions,
each also "condensed" (unjudged patents dropped, which favours rankings the judges never pooled: the truth lies
between the two figures), and of a linear fusion of ten features learned by coordinate ascent under five-fold
cross-validation by need (and in-sample, its ceiling on these labels).
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from embed_ccf_cache import CCF_PATENTS, DEFAULT_OUT, ensure_cache, load_ccf
from matching_needs import load_needs
from need_quality import judged_at, load_labels, ndcg_at, reciprocal_rank
from need_systems import bm25_or, ccf_instance, e5_cosine, rrf

Ranking = Callable[[str], list[str]]
DEPTH = 100
LEXICAL_VARIANTS = {"key16_two": (16, 2), "key32_two": (32, 2), "key32_one": (32, 1)}
_SENTENCE = re.compile(r"(?<=[。！？；;!?\n])")


def lexical_variant(text: str, ccf_of: dict[str, str], terms: int, must: int) -> list[str]:
    """The platform's natural-text ranking with another number of key terms and of terms a hit must hold."""
    import ipoc.search.query as query
    from ipoc.db import session_scope
    from ipoc.search import index_sync

    kept = query.MAX_KEY_TERMS, query.SHOULD_MATCH
    query.MAX_KEY_TERMS, query.SHOULD_MATCH = terms, must
    try:
        with session_scope() as session:
            index = index_sync.lexical(session).index
            found = index.search(query.Words(text), limit=DEPTH, with_facets=False, with_snippets=False)
    finally:
        query.MAX_KEY_TERMS, query.SHOULD_MATCH = kept
    return [ccf_of[h.application_no] for h in found.hits]


def best_sentence(text: str, ids: list[str], matrix: np.ndarray) -> list[str]:
    """e5 of each sentence of the need; a patent scores its best sentence's cosine (late interaction)."""
    from ipoc.search.vectors import Embedder

    parts = [p.strip() for p in _SENTENCE.split(text) if len(p.strip()) >= 6][:24] or [text]
    sims = (matrix @ np.array([Embedder.shared().query(p) for p in parts]).T).max(axis=1)
    return [ids[i] for i in np.argsort(-sims)[:DEPTH]]


def gather(labels, needs, ccf_of, ids, matrix) -> dict[str, dict[str, list[str]]]:
    """Every signal's ranking of every need: signal → need → CCF ids best first."""
    signals: dict[str, dict[str, list[str]]] = {}
    for need_id in labels:
        need = needs[need_id]
        found = {
            "bm25_or": bm25_or(need.text, ccf_of, DEPTH),
            "e5": e5_cosine(need.text, ids, matrix, DEPTH),
            "e5_title": e5_cosine(need.title, ids, matrix, DEPTH),
            "e5_best_sentence": best_sentence(need.text, ids, matrix),
        }
        for name, (terms, must) in LEXICAL_VARIANTS.items():
            found[name] = lexical_variant(need.text, ccf_of, terms, must)
        for name, ranking in found.items():
            signals.setdefault(name, {})[need_id] = ranking
    return signals


def measure(rankings: dict[str, list[str]], labels, condensed: bool = False) -> tuple[float, float, float]:
    """Mean nDCG@10, MRR (grade ≥ 2) and judged@10; condensed drops the patents nobody judged."""
    rows = []
    for need_id, grades in labels.items():
        ranked = [d for d in rankings[need_id] if d in grades] if condensed else rankings[need_id]
        rows.append((ndcg_at(ranked, grades), reciprocal_rank(ranked, grades), judged_at(ranked, grades)))
    return tuple(float(x) for x in np.mean(rows, axis=0))  # type: ignore[return-value]


def fusions(signals) -> dict[str, dict[str, list[str]]]:
    combos = {
        "rrf(bm25_or, e5) = baseline": ("bm25_or", "e5"),
        "rrf(key16_two, e5) ~ platform": ("key16_two", "e5"),
        "rrf(key32_two, e5)": ("key32_two", "e5"),
        "rrf(key32_one, e5)": ("key32_one", "e5"),
        "rrf(bm25_or, e5, e5_title)": ("bm25_or", "e5", "e5_title"),
        "rrf(key32_one, e5, e5_title)": ("key32_one", "e5", "e5_title"),
        "rrf(bm25_or, e5_best_sentence)": ("bm25_or", "e5_best_sentence"),
        "rrf(bm25_or, key16_two, e5, e5_title)": ("bm25_or", "key16_two", "e5", "e5_title"),
    }
    needs = next(iter(signals.values())).keys()
    return {name: {n: rrf(*(signals[s][n] for s in parts))[:50] for n in needs} for name, parts in combos.items()}


def features(need_id: str, signals, ids: list[str], matrix: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Per candidate: reciprocal ranks in eight signals, the cosine to the need's top-5 (pseudo-relevance
    feedback) and whether the platform's lexical side found it at all."""
    names = ("bm25_or", "key16_two", "key32_one", "e5", "e5_title", "e5_best_sentence")
    ranks = {s: {d: r for r, d in enumerate(signals[s][need_id], start=1)} for s in names}
    candidates = list(dict.fromkeys(d for s in names for d in signals[s][need_id][:50]))
    row = {d: i for i, d in enumerate(ids)}
    first = rrf(signals["bm25_or"][need_id], signals["e5"][need_id])[:5]
    centre = matrix[[row[d] for d in first]].mean(axis=0)
    table = []
    for doc in candidates:
        cells = [1.0 / (60 + ranks[s][doc]) if doc in ranks[s] else 0.0 for s in names]
        cells += [float(matrix[row[doc]] @ centre), float(doc in ranks["key16_two"])]
        table.append(cells)
    return candidates, np.array(table)


def learned(signals, labels, ids, matrix, seed: int) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Coordinate ascent on nDCG@10 + MRR/2: rankings under five-fold cross-validation, and in-sample."""
    table = {n: features(n, signals, ids, matrix) for n in labels}
    stacked = np.vstack([x for _, x in table.values()])
    mean, spread = stacked.mean(axis=0), stacked.std(axis=0) + 1e-9

    def ranked(need_id: str, weights: np.ndarray) -> list[str]:
        candidates, x = table[need_id]
        return [candidates[i] for i in np.argsort(-(((x - mean) / spread) @ weights))[:50]]

    def objective(weights: np.ndarray, needs: list[str]) -> float:
        return float(
            np.mean(
                [
                    ndcg_at(ranked(n, weights), labels[n]) + reciprocal_rank(ranked(n, weights), labels[n]) / 2
                    for n in needs
                ]
            )
        )

    def fit(needs: list[str]) -> np.ndarray:
        weights = np.zeros(stacked.shape[1])
        weights[[0, 3]] = 1.0  # start from the baseline: bm25_or and e5
        best = objective(weights, needs)
        for _ in range(3):
            for j in range(len(weights)):
                for step in (-1.0, -0.5, -0.25, 0.25, 0.5, 1.0):
                    trial = weights.copy()
                    trial[j] += step
                    if (score := objective(trial, needs)) > best + 1e-6:
                        best, weights = score, trial
        return weights

    order = list(labels)
    np.random.default_rng(seed).shuffle(order)
    held_out: dict[str, list[str]] = {}
    for fold in range(5):
        test = order[fold::5]
        weights = fit([n for n in order if n not in test])
        held_out.update({n: ranked(n, weights) for n in test})
    everything = fit(order)
    return held_out, {n: ranked(n, everything) for n in order}


def main() -> int:
    if not CCF_PATENTS.is_file():
        print(f"real data not found at {CCF_PATENTS} (../shared/data is absent): skipped", file=sys.stderr)
        return 0
    rows, labels, needs = load_ccf(), load_labels(), load_needs()
    ids, matrix = ensure_cache(DEFAULT_OUT, rows)
    with tempfile.TemporaryDirectory(prefix="ipoc-fusion-study-") as tmp:
        ccf_of = ccf_instance(Path(tmp), rows, ids, matrix)
        signals = gather(labels, needs, ccf_of, ids, matrix)
    systems = {**{n: {k: v[:50] for k, v in s.items()} for n, s in signals.items()}, **fusions(signals)}
    held_out, in_sample = learned(signals, labels, ids, matrix, seed=0)
    systems["learned, 5-fold held out"] = held_out
    systems["learned, in sample (ceiling)"] = in_sample
    print(f"{'ranking':40s} {'nDCG@10':>8s} {'MRR':>6s} {'judged':>7s} | condensed {'nDCG@10':>8s} {'MRR':>6s}")
    for name, rankings in systems.items():
        ndcg, mrr, judged = measure(rankings, labels)
        c_ndcg, c_mrr, _ = measure(rankings, labels, condensed=True)
        print(f"{name:40s} {ndcg:8.3f} {mrr:6.3f} {judged:7.3f} | {'':9s} {c_ndcg:8.3f} {c_mrr:6.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
