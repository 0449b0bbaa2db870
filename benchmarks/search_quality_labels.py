"""Labelled query set for the search quality benchmark and its metrics (nDCG@10, Recall@100).

The labels (benchmarks/quality/labels.jsonl) hold only queries and CCF 2022 record ids (`id` hashes); the texts
stay in ../shared/data. How they were made: benchmarks/README.md, section "Search quality".
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

LABELS = Path(__file__).resolve().parent / "quality" / "labels.jsonl"


@dataclass(frozen=True, slots=True)
class QualityQuery:
    id: str
    text: str
    relevant: dict[str, int]  # CCF record id -> grade (2 = answers the need, 1 = partly relevant)


def load_quality_labels(path: Path = LABELS) -> list[QualityQuery]:
    """Every labelled query, in file order."""
    queries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            queries.append(QualityQuery(row["id"], row["text"], {k: int(v) for k, v in row["relevant"].items()}))
    return queries


def ndcg_at(ranked_ids: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """Normalised discounted cumulative gain with graded gains 2^grade - 1."""
    gains = sorted((2**g - 1 for g in relevant.values() if g > 0), reverse=True)[:k]
    ideal = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    if ideal == 0:
        return 0.0
    found = sum((2 ** relevant.get(doc, 0) - 1) / math.log2(i + 2) for i, doc in enumerate(ranked_ids[:k]))
    return found / ideal


def recall_at(ranked_ids: Sequence[str], relevant: Mapping[str, int], k: int = 100) -> float:
    """Share of the relevant records (grade > 0) found in the first k."""
    wanted = {doc for doc, g in relevant.items() if g > 0}
    return len(wanted.intersection(ranked_ids[:k])) / len(wanted) if wanted else 0.0
