"""Ranking quality on real enterprise needs: every system of benchmarks/need_systems.py side by side on the graded
needs of benchmarks/quality/need_labels.jsonl (nDCG@10 with gain 2^grade − 1, MRR of the first patent of grade ≥ 2,
judged@10), the semantic side's recall against plain e5 cosine, and the calibration of `ipoc match`'s confidence
labels. How the labels were made: benchmarks/README.md, "Need quality".

    .venv/bin/python benchmarks/need_quality.py --focus search   # make quality
    .venv/bin/python benchmarks/need_quality.py --focus match    # make match-quality

Exit status 1 when the focused system (search_hybrid, or match) does not beat the plain RRF baseline by at least
10% on nDCG@10 and on MRR, or does not beat BM25-OR and e5 cosine alone; when judged@10 of any system is below
0.9; when the semantic side keeps less than 95% of the relevant patents plain e5 ranks in its top 50; or (match)
when 高 or 中 misses its precision. 0 with a message when ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

import numpy as np
from embed_ccf_cache import CCF_PATENTS, DEFAULT_OUT, ensure_cache, load_ccf
from matching_needs import load_needs
from need_systems import all_rankings, ccf_instance
from search_quality import log, report

LABELS = Path(__file__).resolve().parent / "quality" / "need_labels.jsonl"
DEPTH = 50
RELEVANT = 2  # grade at which a patent answers the need (MRR, precision of the confidence labels)
MARGIN = 1.10  # the platform must beat the plain fusion by 10%
JUDGED_FLOOR = 0.9
SEMANTIC_RECALL_FLOOR = 0.95
LABEL_PRECISION = {"高": 0.8, "中": 0.5}
BASELINES = ("rrf_baseline", "bm25_or", "e5_cosine")


def load_labels(path: Path = LABELS) -> dict[str, dict[str, int]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {row["need"]: {doc: int(g) for doc, g in row["grades"].items()} for row in rows}


def ndcg_at(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    gains = [2 ** grades.get(doc, 0) - 1 for doc in ranked[:k]]
    ideal = sorted((2**g - 1 for g in grades.values()), reverse=True)[:k]
    best = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains)) / best if best else 0.0


def reciprocal_rank(ranked: list[str], grades: dict[str, int]) -> float:
    return next((1.0 / r for r, doc in enumerate(ranked, start=1) if grades.get(doc, 0) >= RELEVANT), 0.0)


def judged_at(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    top = ranked[:k]
    return sum(doc in grades for doc in top) / len(top) if top else 1.0


def semantic_kept(semantic: list[str], dense: list[str], grades: dict[str, int]) -> tuple[int, int]:
    """Relevant patents plain e5 puts in its top 50, and how many of them the semantic side keeps in its top 50."""
    wanted = [doc for doc in dense[:50] if grades.get(doc, 0) >= 1]
    return sum(doc in set(semantic[:50]) for doc in wanted), len(wanted)


def evaluate(labels, texts, numbers, ids, matrix, per_need: bool):
    scores: dict[str, dict[str, list[float]]] = {}
    kept = wanted = 0
    pairs: list[tuple[float, int]] = []  # the match ranking's top 10: (confidence, answers the need)
    for need_id, grades in labels.items():
        ranked, matched = all_rankings(texts[need_id], numbers, ids, matrix, DEPTH)
        for name, docs in ranked.items():
            by_metric = scores.setdefault(name, {"ndcg@10": [], "mrr": [], "judged@10": []})
            by_metric["ndcg@10"].append(ndcg_at(docs, grades))
            by_metric["mrr"].append(reciprocal_rank(docs, grades))
            by_metric["judged@10"].append(judged_at(docs, grades))
        k, w = semantic_kept(ranked["search_semantic"], ranked["e5_cosine"], grades)
        kept, wanted = kept + k, wanted + w
        pairs += [(value, int(grades[doc] >= RELEVANT)) for doc, value in matched[:10] if doc in grades]
        if per_need:
            cells = " ".join(f"{n}={scores[n]['ndcg@10'][-1]:.2f}" for n in ranked)
            log(f"{need_id[:8]} {texts[need_id][:24]}: nDCG@10 {cells}")
    figures = {name: {m: float(np.mean(v)) for m, v in by.items()} for name, by in scores.items()}
    return figures, (kept, wanted), pairs


def label_precision(pairs: list[tuple[float, int]]) -> dict[str, tuple[float, int]]:
    """Precision at grade ≥ 2 of each confidence label as `ipoc match` assigns them."""
    from ipoc.matching.scoring import confidence_label

    by_label: dict[str, list[int]] = {}
    for value, relevant in pairs:
        by_label.setdefault(confidence_label(value), []).append(relevant)
    return {label: (float(np.mean(v)), len(v)) for label, v in by_label.items()}


def lowest_floor(pairs: list[tuple[float, int]], precision: float, below: float = 2.0, support: int = 20) -> float:
    """The lowest confidence from which the pairs under ``below`` reach ``precision`` (for fitting the labels)."""
    ranked = sorted((p for p in pairs if p[0] < below), key=lambda p: -p[0])
    best, hits = below, 0
    for n, (value, relevant) in enumerate(ranked, start=1):
        hits += relevant
        if n >= support and hits / n >= precision:
            best = value
    return best


def verdict(figures, recall, precision, focus: str) -> list[str]:
    system = "search_hybrid" if focus == "search" else "match"
    failures = []
    for metric in ("ndcg@10", "mrr"):
        mine = figures[system][metric]
        for other in BASELINES:
            need = figures[other][metric] * (MARGIN if other == "rrf_baseline" else 1.0)
            if mine <= need:
                failures.append(f"{system} {metric} {mine:.3f} <= {need:.3f} ({other})")
    failures += [
        f"{name} judged@10 {by['judged@10']:.3f} < {JUDGED_FLOOR}"
        for name, by in figures.items()
        if by["judged@10"] < JUDGED_FLOOR
    ]
    kept, wanted = recall
    if wanted and kept / wanted < SEMANTIC_RECALL_FLOOR:
        failures.append(f"semantic keeps {kept}/{wanted} of e5's relevant top-50 patents")
    if focus == "match":
        for label, floor in LABEL_PRECISION.items():
            value, count = precision.get(label, (1.0, 0))
            if count and value < floor:
                failures.append(f"confidence {label}: precision {value:.3f} < {floor} over {count}")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--focus", choices=("search", "match"), default="search")
    parser.add_argument("--per-need", action="store_true")
    parser.add_argument("--cache", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    if not CCF_PATENTS.is_file():
        print(f"real data not found at {CCF_PATENTS} (../shared/data is absent): skipped", file=sys.stderr)
        return 0
    rows = load_ccf()
    labels = load_labels()
    texts = {need_id: need.text for need_id, need in load_needs().items()}
    ids, matrix = ensure_cache(args.cache, rows)
    with tempfile.TemporaryDirectory(prefix="ipoc-need-quality-") as tmp:
        numbers = ccf_instance(Path(tmp), rows, ids, matrix)
        figures, recall, pairs = evaluate(labels, texts, numbers, ids, matrix, args.per_need)
        precision = label_precision(pairs)
    headings = {"ndcg@10": "nDCG@10", "mrr": "MRR", "judged@10": "judged@10"}
    report(figures, keys=("ranking", "needs"), count=len(labels), records=len(rows), headings=headings, width=16)
    kept, wanted = recall
    print(f"\nsemantic keeps {kept} of the {wanted} relevant patents plain e5 ranks in its top 50", file=sys.stderr)
    for label, (value, count) in sorted(precision.items()):
        print(f"match confidence {label}: precision@grade≥{RELEVANT} {value:.3f} over {count}", file=sys.stderr)
    for low in (0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.0):
        band = [relevant for value, relevant in pairs if value >= low]
        if band:
            print(f"  confidence ≥ {low:.1f}: precision {np.mean(band):.3f} over {len(band)}", file=sys.stderr)
    high = lowest_floor(pairs, LABEL_PRECISION["高"])
    print(
        f"fitted floors: 高 from {high:.3f}, 中 from {lowest_floor(pairs, LABEL_PRECISION['中'], high):.3f}",
        file=sys.stderr,
    )
    failures = verdict(figures, recall, precision, args.focus)
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
