"""Scale benchmark of the patent database (issue 3, point 7): import rate with lexical indexing, embedding rate,
lexical and hybrid latency (top 20 with facets and snippets) and peak memory, at each corpus size.

    .venv/bin/python benchmarks/search_bench.py [--sizes 100000,1000000]

Prints one JSON line per figure on standard output; progress goes to standard error. Corpora are the 4,097 real
CCF 2022 patents replicated and perturbed (benchmarks/corpus.py). Only ~500 real passages are embedded (that is
the embedding-rate figure); every patent's vector is one of those real vectors plus small gaussian noise,
re-normalised, because embedding 100k passages takes hours on these machines.

Each size runs in a fresh data dir (SQLite) in three processes whose peak RSS is measured apart: the import
(`ipoc patents import FILE --json`), the vector stage (bulk insert + `sync_vectors`) and the search stage.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import corpus

HERE = Path(__file__).resolve()
REAL_PASSAGES = 500
NOISE_SIGMA = 0.015  # per dimension: noise norm ~0.29, cosine to the real vector ~0.96
VECTOR_CHUNK = 20_000
SYNTH_NOTE = f"{corpus.NOTE}; vectors: {REAL_PASSAGES} real e5 passages perturbed with gaussian noise"
TARGETS = {
    "import_rate": ">= 3000",
    "lexical_p95_ms": "<= 20 at 1M",
    "hybrid_p95_ms": "<= 100 at 1M",
    "peak_memory_mb": "<= 4096",
}


def log(message: str) -> None:
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"[bench {time.strftime('%H:%M:%S')} load {load}] {message}", file=sys.stderr, flush=True)


def emit(figure: str, value: float, unit: str, records: int, note: str | None = SYNTH_NOTE) -> None:
    line: dict[str, object] = {"figure": figure, "value": value, "unit": unit, "records": records}
    if note:
        line["note"] = note
    if figure in TARGETS:
        line["target"] = TARGETS[figure]
    print(json.dumps(line, ensure_ascii=False), flush=True)


# --- child processes -------------------------------------------------------------------------------------


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "IPOC_DATABASE_URL"}
    env["IPOC_DATA_DIR"] = str(data_dir)
    return env


def run_child(args: list[str], data_dir: Path) -> tuple[str, float, float]:
    """Run a command against `data_dir`; (stdout, seconds, its peak RSS in MB). Fails loudly on non-zero exit.

    The peak is the child's VmHWM polled from /proc: getrusage's ru_maxrss of a child starts from the parent's RSS
    at fork, so it would report this process's size instead."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, env=_env(data_dir), cwd=data_dir, text=True)
    peak = [0.0]
    watcher = threading.Thread(target=_watch_peak, args=(proc, peak), daemon=True)
    watcher.start()
    out, _ = proc.communicate()
    watcher.join()
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} … exited {proc.returncode}; stdout: {out[-2000:]}")
    return out, seconds, peak[0]


def _watch_peak(proc: subprocess.Popen, peak: list[float]) -> None:
    status = Path(f"/proc/{proc.pid}/status")
    while proc.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak[0] = max(peak[0], int(line.split()[1]) / 1024)
        except (OSError, ValueError):
            pass
        time.sleep(0.2)


def ipoc_command() -> list[str]:
    script = Path(sys.executable).with_name("ipoc")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from ipoc.cli import app; app()"]


def stage(name: str, data_dir: Path, workdir: Path) -> tuple[dict, float]:
    """Run one in-process stage of this script in a child; (its JSON answer, its peak RSS in MB)."""
    args = [sys.executable, str(HERE), "--stage", name, "--data-dir", str(data_dir), "--workdir", str(workdir)]
    out, _, peak = run_child(args, data_dir)
    return json.loads(out.strip().splitlines()[-1]), peak


# --- the run as a whole ----------------------------------------------------------------------------------


def pick_queries(records: list[dict], count: int, seed: int = 3) -> list[str]:
    """Queries from real text so that they hit: whole titles, two title words, and titles of real enterprise needs."""
    import rjieba

    rng = random.Random(seed)
    needs = corpus.need_titles()
    needs = rng.sample(needs, min(len(needs), count // 3))
    pairs = []
    for record in rng.sample(records, count // 3):
        words = [w for w in rjieba.cut(record["title"]) if len(w) >= 2 and w not in ("一种", "方法", "装置", "系统")]
        pairs.append(" ".join(words[:2]) or record["title"])
    titles = [r["title"].removeprefix("一种") for r in rng.sample(records, count - len(needs) - len(pairs))]
    queries = titles + pairs + needs
    rng.shuffle(queries)
    return queries


def bench_size(size: int, sources: list, workdir: Path) -> None:
    data_dir = workdir / f"n{size}"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    started = time.perf_counter()
    csv_path = corpus.write_csv(data_dir / "corpus.csv", sources, size)
    log(f"{size}: corpus written in {time.perf_counter() - started:.0f}s ({csv_path.stat().st_size >> 20} MB)")
    run_child([*ipoc_command(), "db", "upgrade"], data_dir)

    out, seconds, import_mb = run_child([*ipoc_command(), "patents", "import", str(csv_path), "--json"], data_dir)
    counts = json.loads(out.strip().splitlines()[-1])
    log(f"{size}: import {seconds:.0f}s, {counts}, peak {import_mb:.0f} MB")
    if counts.get("imported") != size:
        log(f"{size}: WARNING expected {size} imported rows, got {counts}")
    emit("import_rate", round(size / seconds, 1), "records/s", size)

    vectors, vectors_mb = stage("vectors", data_dir, workdir)
    log(f"{size}: vectors {vectors}, peak {vectors_mb:.0f} MB")
    found, search_mb = stage("search", data_dir, workdir)
    log(f"{size}: search {json.dumps({k: v for k, v in found.items() if k != 'latency'}, ensure_ascii=False)}")
    for mode, latency in found["latency"].items():
        note = SYNTH_NOTE + (f"; {found['notes'][mode]}" if found["notes"].get(mode) else "")
        emit(f"{mode}_p50_ms", latency["p50"], "ms", size, note)
        emit(f"{mode}_p95_ms", latency["p95"], "ms", size, note)
    peaks = {"import": import_mb, "vector index build": vectors_mb, "search": search_mb}
    detail = ", ".join(f"{name} {mb:.0f} MB" for name, mb in peaks.items())
    emit("peak_memory_mb", round(max(peaks.values()), 1), "MB", size, f"{SYNTH_NOTE}; max RSS per process: {detail}")
    log(f"{size}: done in {time.perf_counter() - started:.0f}s")


# --- stages run in a child process -----------------------------------------------------------------------


def _use_data_dir(data_dir: Path) -> None:
    from ipoc.config import Settings, set_settings

    set_settings(Settings(data_dir=data_dir))
    import ipoc.models  # noqa: F401  (every mapper must know every table)


def stage_embed(workdir: Path) -> dict:
    """Embed ~500 real passages (the embedding-rate figure) and keep them for the vector stage."""
    import numpy as np

    from ipoc.search.vectors import Embedder, passage_text

    sources = corpus.load_ccf()
    picked = list(range(0, len(sources), max(1, len(sources) // REAL_PASSAGES)))[:REAL_PASSAGES]
    texts = [passage_text(sources[i]["title"], sources[i].get("abstract")) for i in picked]  # loads the model
    embedder = Embedder.shared()
    embedder.passages(texts[:4])  # warm-up
    start = time.perf_counter()
    vectors = embedder.passages(texts)
    rate = len(texts) / (time.perf_counter() - start)
    np.savez(workdir / "real_vectors.npz", vectors=vectors, picked=np.asarray(picked), count=len(sources))
    return {"rate": round(rate, 2), "passages": len(texts)}


def stage_vectors(data_dir: Path, workdir: Path) -> dict:
    """Give every patent a perturbed real vector, stored as `ipoc embed run` would, then build the vector index."""
    import numpy as np
    from sqlalchemy import select

    from ipoc.db import get_engine, session_scope
    from ipoc.patents.models import Patent
    from ipoc.search import index_sync
    from ipoc.search.models import PassageVector
    from ipoc.search.semantic import MODEL
    from ipoc.search.vectors import pack

    _use_data_dir(data_dir)
    saved = np.load(workdir / "real_vectors.npz")
    real, sources = saved["vectors"], int(saved["count"])
    row_of = {int(source): row for row, source in enumerate(saved["picked"])}
    rng = np.random.default_rng(11)
    engine = get_engine()
    insert = _insert_ignoring_duplicates(engine.dialect.name, PassageVector.__table__)
    start, last_id, stored = time.perf_counter(), 0, 0
    while True:
        with engine.connect() as conn:
            chunk = conn.execute(
                select(Patent.id, Patent.application_no, Patent.passage_hash)
                .where(Patent.id > last_id)
                .order_by(Patent.id)
                .limit(VECTOR_CHUNK)
            ).all()
        if not chunk:
            break
        last_id = chunk[-1].id
        origin = [corpus.source_of(row.application_no, sources) for row in chunk]
        base = real[[row_of.get(src, src % len(real)) for src in origin]]
        noisy = base + rng.normal(0.0, NOISE_SIGMA, base.shape).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        by_hash = {row.passage_hash: vec for row, vec in zip(chunk, noisy, strict=True)}
        with engine.begin() as conn:
            conn.execute(insert, [{"text_hash": h, "model": MODEL, "vector": pack(v)} for h, v in by_hash.items()])
        stored += len(by_hash)
        log(f"vectors stored: {stored}")
    insert_seconds = time.perf_counter() - start
    start = time.perf_counter()
    with session_scope() as session:
        index_sync.sync_vectors(session)
    index = index_sync.vector_index()
    return {
        "stored": stored,
        "insert_s": round(insert_seconds, 1),
        "sync_s": round(time.perf_counter() - start, 1),
        "index_mode": index.mode if index is not None else None,
        "index_size": len(index) if index is not None else 0,
    }


def _insert_ignoring_duplicates(dialect: str, table):
    """Perturbed copies can repeat a passage text, and a passage is stored once."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing(index_elements=["text_hash"])


def stage_search(data_dir: Path, workdir: Path, warmup: int) -> dict:
    """Latency of the service's search, one session per query as a request would have."""
    from ipoc.db import session_scope
    from ipoc.search.schemas import SearchRequest
    from ipoc.search.service import search

    _use_data_dir(data_dir)
    queries = json.loads((workdir / "queries.json").read_text(encoding="utf-8"))
    result: dict = {"queries": len(queries), "latency": {}, "notes": {}}
    for mode in ("lexical", "hybrid"):
        for q in queries[:warmup]:
            with session_scope() as session:
                search(session, SearchRequest(q=q, mode=mode, limit=20))
        times, with_hits, flags = [], 0, set()
        for q in queries:
            start = time.perf_counter()
            with session_scope() as session:
                answer = search(session, SearchRequest(q=q, mode=mode, limit=20))
            times.append((time.perf_counter() - start) * 1000)
            with_hits += bool(answer.hits)
            flags |= {name for name in ("degraded", "stale") if getattr(answer, name)}
        cuts = statistics.quantiles(times, n=100, method="inclusive")
        result["latency"][mode] = {"p50": round(cuts[49], 2), "p95": round(cuts[94], 2)}
        result[f"{mode}_with_hits"] = with_hits
        note = f"{with_hits}/{len(queries)} queries with hits"
        result["notes"][mode] = note + (f"; answers flagged {', '.join(sorted(flags))}" if flags else "")
    result["diagnostics_p50_ms"] = _diagnostics(queries)
    return result


def _diagnostics(queries: list[str]) -> dict[str, float]:
    """Where a search's time goes, for the log: the e5 query embedding and the index status check."""
    from ipoc.db import session_scope
    from ipoc.search import index_sync
    from ipoc.search.vectors import Embedder

    embed, check = [], []
    for q in queries[:30]:
        start = time.perf_counter()
        Embedder.shared().query(q)
        embed.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        with session_scope() as session:
            index_sync.status(session)
        check.append((time.perf_counter() - start) * 1000)
    return {"query_embedding": round(statistics.median(embed), 1), "index_status": round(statistics.median(check), 1)}


# --- entry point -----------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="corpus sizes, comma-separated")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ipoc-bench"), help="where corpora and data go")
    parser.add_argument("--queries", type=int, default=150, help="timed queries per mode (at least 100)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed queries per mode first")
    parser.add_argument("--keep", action="store_true", help="keep each size's data dir (several GB at 1M)")
    parser.add_argument(
        "--reuse-vectors", action="store_true", help="reuse the real vectors of an earlier run (no embedding figure)"
    )
    parser.add_argument("--stage", choices=["embed", "vectors", "search"], help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if args.stage:
        stages = {
            "embed": lambda: stage_embed(args.workdir),
            "vectors": lambda: stage_vectors(args.data_dir, args.workdir),
            "search": lambda: stage_search(args.data_dir, args.workdir, args.warmup),
        }
        answer = stages[args.stage]()
        print(json.dumps(answer, ensure_ascii=False))
        return 0
    missing = corpus.shared_data_missing()
    if missing:
        log(missing)
        return 0
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    args.workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    records = corpus.load_ccf()
    sources = corpus.load_sources(records)
    queries = pick_queries(records, max(args.queries, 100))
    (args.workdir / "queries.json").write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    if not (args.reuse_vectors and (args.workdir / "real_vectors.npz").is_file()):
        embedded, embed_mb = stage("embed", args.workdir, args.workdir)
        log(f"embedding: {embedded}, peak {embed_mb:.0f} MB")
        note = "real CCF passages (title + abstract)"
        emit("embedding_rate", embedded["rate"], "passages/s", embedded["passages"], note)
    for size in sizes:
        bench_size(size, sources, args.workdir)
        if not args.keep:
            shutil.rmtree(args.workdir / f"n{size}", ignore_errors=True)
    log(f"all sizes done in {(time.perf_counter() - started) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
