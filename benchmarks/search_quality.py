"""Search quality of the platform's own rankings: nDCG@10 and Recall@100 of lexical, semantic and hybrid search on
the labelled CCF queries (benchmarks/quality/labels.jsonl, see benchmarks/README.md).

A temporary instance (SQLite) imports the 4,097 CCF 2022 patents through the real importer, stores their cached
vectors as `ipoc embed run` would and builds its indexes; every query then goes through `search.service.search`.
Lexical mode requires every word of free text, as CNIPA does, which a sentence-like need rarely meets; so the
ranking the hybrid's lexical side uses (`query.any_of`: any of the query's content words, BM25-ranked) is
reported beside the three modes as `lexical_any`, and hybrid must beat it too.
Exit status 1 when hybrid does not beat lexical, lexical_any and semantic on both metrics.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from embed_ccf_cache import CCF_PATENTS, DEFAULT_OUT, ensure_cache, load_ccf
from search_quality_labels import QualityQuery, load_quality_labels, ndcg_at, recall_at

DEPTH = 100
MODES = ("lexical", "semantic", "hybrid")
DIAGNOSTICS = ("lexical_any",)
METRICS = {"ndcg@10": lambda ranked, rel: ndcg_at(ranked, rel, 10), "recall@100": lambda r, rel: recall_at(r, rel, 100)}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def application_no(serial: int) -> str:
    """A valid 12-digit invention number (year 2022, serial from 1): the CCF records carry no number."""
    from ipoc.patents.numbers import check_char

    body = f"20221{serial:07d}"
    return f"{body}.{check_char(body)}"


def use_instance(data_dir: Path) -> None:
    """Point ipoc at a fresh SQLite instance in data_dir and create its schema."""
    from ipoc.config import Settings, set_settings

    set_settings(Settings(data_dir=data_dir, database_url=None))
    import ipoc.models  # noqa: F401  (every mapper must know every table)
    from ipoc.ops.migrate import upgrade

    upgrade()


def import_ccf(rows: list[dict], workdir: Path) -> dict[str, str]:
    """Import the records through the real importer (lexical index included); returns application no → CCF id."""
    from ipoc.db import session_scope
    from ipoc.patents import service as patents

    numbers = {application_no(n): row["id"] for n, row in enumerate(rows, start=1)}
    path = workdir / "ccf2022.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["申请号", "发明名称", "申请人", "摘要"])
        for no, row in zip(numbers, rows, strict=True):
            writer.writerow([no, row["title"], row["assignee"], row["abstract"]])
    with session_scope() as session:
        job = patents.start_import(session, owner_id=None, filename=path.name)
    result = patents.run_import(path, job)
    log(f"imported {result.imported}, rejected {result.rejected} of {len(rows)} CCF records")
    return numbers


def store_vectors(numbers: dict[str, str], ids: list[str], matrix: np.ndarray) -> int:
    """Store each patent's cached vector under its passage_hash, then build the vector index and the floor."""
    from sqlalchemy import select

    from ipoc.db import session_scope
    from ipoc.patents.models import Patent
    from ipoc.search import index_sync
    from ipoc.search.models import PassageVector
    from ipoc.search.semantic import MODEL
    from ipoc.search.vectors import pack

    row_of = {ccf_id: i for i, ccf_id in enumerate(ids)}
    with session_scope() as session:
        stored = {}
        for no, passage in session.execute(select(Patent.application_no, Patent.passage_hash)):
            stored.setdefault(passage, matrix[row_of[numbers[no]]])
        session.add_all(PassageVector(text_hash=key, model=MODEL, vector=pack(vec)) for key, vec in stored.items())
    with session_scope() as session:
        index_sync.sync_vectors(session)
    log(f"stored {len(stored)} passage vectors, vector index and score floor built")
    return len(stored)


def rankings(query: QualityQuery, ccf_of: dict[str, str]) -> dict[str, list[str]]:
    """CCF ids best first, per mode and for the hybrid's lexical side."""
    from ipoc.db import session_scope
    from ipoc.search import index_sync, service
    from ipoc.search.query import any_of, parse
    from ipoc.search.schemas import SearchRequest

    def ranked_ids(mode: str) -> list[str]:
        answer = service.search(session, SearchRequest(q=query.text, mode=mode, limit=DEPTH))
        if answer.degraded or answer.stale:
            raise RuntimeError(f"{mode} answer incomplete (degraded={answer.degraded}, stale={answer.stale})")
        return [ccf_of[h.application_no] for h in answer.hits]

    with session_scope() as session:
        ranked = {mode: ranked_ids(mode) for mode in MODES}
        index = index_sync.lexical(session).index
        node = parse(query.text)
        found = index.search(any_of(node), limit=DEPTH, with_facets=False, with_snippets=False)
        ranked["lexical_any"] = [ccf_of[h.application_no] for h in found.hits]
    return ranked


def evaluate(labels: list[QualityQuery], ccf_of: dict[str, str], per_query: bool) -> dict[str, dict[str, float]]:
    scores: dict[str, dict[str, list[float]]] = {name: {m: [] for m in METRICS} for name in MODES + DIAGNOSTICS}
    for query in labels:
        ranked = rankings(query, ccf_of)
        for name, ids in ranked.items():
            for metric, fn in METRICS.items():
                scores[name][metric].append(fn(ids, query.relevant))
        if per_query:
            cells = " ".join(f"{n}={scores[n]['ndcg@10'][-1]:.2f}/{len(ids)}" for n, ids in ranked.items())
            log(f"{query.id} {query.text}: nDCG@10/hits {cells}")
    return {name: {m: float(np.mean(v)) for m, v in by_metric.items()} for name, by_metric in scores.items()}


def verdict(figures: dict[str, dict[str, float]], winner: str, others: tuple[str, ...]) -> list[str]:
    """Where ``winner`` fails to beat another ranking on a metric (empty when it beats them all on all)."""
    return [
        f"{winner} {metric} {figures[winner][metric]:.3f} <= {other} {figures[other][metric]:.3f}"
        for other in others
        for metric in figures[winner]
        if figures[winner][metric] <= figures[other][metric]
    ]


def report(
    figures: dict[str, dict[str, float]],
    *,
    keys: tuple[str, str],
    count: int,
    records: int,
    headings: dict[str, str],
    width: int,
) -> None:
    """One JSON line per ranking and metric on stdout (``keys``: what the ranking's name and the number of labelled
    items are called), a table on stderr with ``headings`` over the metrics' columns."""
    name_key, count_key = keys
    for name, by_metric in figures.items():
        for metric, value in by_metric.items():
            line = {name_key: name, "metric": metric, "value": round(value, 4), count_key: count, "records": records}
            print(json.dumps(line))
    columns = {metric: max(len(heading) + 1, 6) for metric, heading in headings.items()}
    print(
        "\n" + f"{'ranking':<{width}} " + " ".join(f"{h:>{columns[m]}}" for m, h in headings.items()), file=sys.stderr
    )
    for name, by_metric in figures.items():
        cells = " ".join(f"{by_metric[m]:>{columns[m]}.3f}" for m in headings)
        print(f"{name:<{width}} {cells}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, default=DEFAULT_OUT, help="default $IPOC_DATA_DIR/quality-vectors")
    parser.add_argument("--per-query", action="store_true", help="log each query's nDCG@10 and hit count per ranking")
    args = parser.parse_args()
    if not CCF_PATENTS.is_file():
        print(f"real data not found at {CCF_PATENTS} (../shared/data is absent): skipped", file=sys.stderr)
        return 0
    rows, labels = load_ccf(), load_quality_labels()
    log(f"vector cache {args.cache}")
    ids, matrix = ensure_cache(args.cache, rows)
    with tempfile.TemporaryDirectory(prefix="ipoc-quality-") as tmp:
        use_instance(Path(tmp))
        numbers = import_ccf(rows, Path(tmp))
        store_vectors(numbers, ids, matrix)
        figures = evaluate(labels, numbers, args.per_query)
    headings = {"ndcg@10": "nDCG@10", "recall@100": "Recall@100"}
    report(figures, keys=("mode", "queries"), count=len(labels), records=len(rows), headings=headings, width=18)
    failures = verdict(figures, "hybrid", ("lexical", "lexical_any", "semantic"))
    for failure in failures:
        print(f"hybrid does not beat both single methods: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
