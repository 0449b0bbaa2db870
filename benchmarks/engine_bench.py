"""Close to the engine (issue 13, point 7): each figure of import and lexical search beside its floor, in one run.

    .venv/bin/python benchmarks/engine_bench.py [--sizes 100000,1000000] [--postgres-max 100000] [--queries 300]

Floors, measured in the same run as the product so that a shared, loaded machine slows both alike:

- **raw tantivy**: the same index directory opened with the tantivy Python API, a searcher kept open, the same
  query (the product's compiler builds it from the same segmented tokens, untimed: same fields, boosts and
  phrases), top 20 with the total count, and the 20 stored documents read. Against it: the service's in-process
  ``search()`` in lexical mode with the web page's page size (20), facets and snippets as the page gets them, one
  session per query as a request has; and the same searches over HTTP (``ipoc serve`` on loopback, the JSON API,
  one keep-alive connection). The three run interleaved, query by query.
- **bare insert**: the same parsed rows (the importer's own reader and parser, untimed), the same column values
  (the importer's ``_columns``), inserted into the same four tables (patents, applicants, their links, legal
  events) with explicit ids, 1,000 rows per transaction: SQLAlchemy Core ``executemany`` on SQLite, ``COPY`` on
  PostgreSQL. Against it: the real import (``patents.service.run_import``, what ``ipoc patents import`` runs:
  read, validate, upsert, audit records, lexical index caught up and committed), on a fresh instance of each.

Standard output: one JSON line per figure with its floor, ratio and target; standard error: progress. With
``--readme`` (default on) the table in benchmarks/README.md between the ``engine-bench`` markers is rewritten.
PostgreSQL runs in a scratch database created on ``--postgres`` (trust auth) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import corpus
import search_bench

HERE = Path(__file__).resolve()
README = HERE.parent / "README.md"
START, END = "<!-- engine-bench:start -->", "<!-- engine-bench:end -->"
PAGE = 20  # the search page's page size (ipoc.search.views.PER_PAGE)
BATCH = 1000  # the importer's batch size: the floor commits as often
TARGETS = {
    "lexical_p95_ms": ("<= 5x raw tantivy p95", lambda ratio, diff: ratio <= 5.0),
    "lexical_p50_ms": ("(p95 is the target)", None),
    "http_p95_ms": ("<= in-process p95 + 5 ms", lambda ratio, diff: diff <= 5.0),
    "http_p50_ms": ("<= in-process p50 + 5 ms", lambda ratio, diff: diff <= 5.0),
    "import_rate": ("<= 3x bare insert time", lambda ratio, diff: ratio <= 3.0),
}
log = search_bench.log


def emit(rows: list[dict], figure: str, records: int, value: float, floor: float, floor_name: str, **extra) -> None:
    """A figure beside its floor. For latencies the ratio is value/floor; for rates it is floor/value (how many
    times longer the product takes), so that a ratio above 1 always means slower than the floor."""
    rate = figure.startswith("import")
    ratio = (floor / value if rate else value / floor) if value and floor else float("inf")
    diff = value - floor
    target, check = TARGETS.get(figure.split(":")[0], ("", None))
    line = {
        "figure": figure,
        "records": records,
        "value": round(value, 2),
        "floor": round(floor, 2),
        "floor_is": floor_name,
        "ratio": round(ratio, 2),
        "difference": round(diff, 2),
        "target": target,
        "met": None if check is None else bool(check(ratio, diff)),
        **extra,
    }
    rows.append(line)
    print(json.dumps(line, ensure_ascii=False), flush=True)


def quantiles(times: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return cuts[49], cuts[94]


# --- child stages --------------------------------------------------------------------------------------------


def _settings(data_dir: Path, database_url: str | None) -> None:
    from ipoc.config import Settings, set_settings

    set_settings(Settings(data_dir=data_dir, database_url=database_url))
    import ipoc.models  # noqa: F401


def stage_import(data_dir: Path, database_url: str | None, csv_path: Path) -> dict:
    """The real import as the CLI runs it; also when the importer itself returned (the index may still follow)."""
    from ipoc.db import session_scope
    from ipoc.jobs.service import Progress
    from ipoc.patents import service as patents

    _settings(data_dir, database_url)
    with session_scope() as session:
        job = patents.start_import(session, owner_id=None, filename=csv_path.name)
    progress = Progress(job.id, min_step=1 << 20)
    progress.start(message=str(csv_path))
    returned = []
    importer = patents.import_file

    def timed_import_file(*args, **kwargs):
        try:
            return importer(*args, **kwargs)
        finally:
            returned.append(time.perf_counter())

    patents.import_file = timed_import_file
    start = time.perf_counter()
    result = patents.run_import(csv_path, job, progress)
    seconds = time.perf_counter() - start
    progress.finish(result.summary())
    return {"seconds": seconds, "importer_seconds": returned[0] - start, "result": result.summary()}


def _parsed_rows(csv_path: Path) -> Iterator:
    """Every row as the importer parses it (reader, header synonyms, parse_row)."""
    from ipoc.patents.parsing import parse_row
    from ipoc.patents.reading import open_rows

    with open_rows(csv_path) as source:
        headers = {canonical: header for header, canonical in source.mapping.items()}
        for item in source:
            if isinstance(item, tuple):
                parsed = parse_row(item[0], item[1], headers)
                if not isinstance(parsed, list):
                    yield parsed


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def stage_floor(data_dir: Path, database_url: str | None, csv_path: Path) -> dict:
    """Bare insert of the parsed rows into the same tables: explicit ids, 1,000 rows a transaction."""
    from sqlalchemy import insert

    from ipoc.db import get_engine, session_scope, utcnow
    from ipoc.patents import importer
    from ipoc.patents.models import Applicant, LegalEvent, Patent, PatentApplicant

    _settings(data_dir, database_url)
    # Values built before the clock starts (batch by batch, the records are not kept): the floor is the
    # database's share only.
    with session_scope() as session:
        regions = importer._region_ids(session)
    applicant_ids: dict[str, int] = {}
    batches = []
    event_id = parsed = 0
    for chunk in _chunks(_parsed_rows(csv_path), BATCH):
        start, parsed = parsed, parsed + len(chunk)
        patents, applicants, links, events = [], [], [], []
        for offset, record in enumerate(chunk):
            pid = start + offset + 1
            row = importer._columns(record, record.content_hash(), None, 1, regions)
            patents.append({"id": pid, **row, "created_at": utcnow()})
            for position, name in enumerate(dict.fromkeys(record.applicants)):
                if name not in applicant_ids:
                    applicant_ids[name] = len(applicant_ids) + 1
                    kind = dict(zip(record.applicants, record.applicant_types, strict=False)).get(name)
                    applicants.append({"id": applicant_ids[name], "name": name, "kind": kind})
                links.append({"patent_id": pid, "position": position, "applicant_id": applicant_ids[name]})
            for e in record.legal_events:
                event_id += 1
                events.append(
                    {
                        "id": event_id,
                        "patent_id": pid,
                        "kind": e.kind,
                        "event_date": e.date,
                        "detail": e.detail,
                        "source": "import",
                        "created_at": utcnow(),
                    }
                )
        batches.append((patents, applicants, links, events))
    engine = get_engine()
    tables = [Patent.__table__, Applicant.__table__, PatentApplicant.__table__, LegalEvent.__table__]
    start = time.perf_counter()
    if engine.dialect.name == "postgresql":
        _copy_batches(engine, tables, batches)
    else:
        for batch in batches:
            with engine.begin() as conn:
                for table, rows in zip((tables[1], tables[0], tables[2], tables[3]), _reorder(batch), strict=True):
                    if rows:
                        conn.execute(insert(table), rows)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "rows": parsed,
        "method": "COPY" if engine.dialect.name != "sqlite" else "executemany",
    }


def _reorder(batch: tuple) -> tuple:
    """Applicants first: the links point at them."""
    patents, applicants, links, events = batch
    return applicants, patents, links, events


def _copy_batches(engine, tables: list, batches: list) -> None:
    """COPY each table's rows of a batch in one transaction per batch (psycopg 3's copy protocol)."""
    from sqlalchemy import JSON

    order = (tables[1], tables[0], tables[2], tables[3])
    raw = engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()
        for batch in batches:
            for table, rows in zip(order, _reorder(batch), strict=True):
                if not rows:
                    continue
                columns = list(rows[0])
                is_json = [isinstance(table.c[c].type, JSON) for c in columns]
                with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(
                            [json.dumps(row[c]) if j else row[c] for c, j in zip(columns, is_json, strict=True)]
                        )
            raw.driver_connection.commit()
    finally:
        raw.close()


def stage_search(data_dir: Path, queries_path: Path, warmup: int, port: int) -> dict:
    """Raw tantivy, in-process search() and HTTP, interleaved query by query."""
    import tantivy

    from ipoc.db import session_scope
    from ipoc.search import index_sync
    from ipoc.search.query import read
    from ipoc.search.schemas import SearchRequest
    from ipoc.search.service import search

    _settings(data_dir, None)
    queries = json.loads(queries_path.read_text(encoding="utf-8"))
    raw_index = tantivy.Index.open(str(data_dir / "index" / "lexical"))
    raw_searcher = raw_index.searcher()
    with session_scope() as session:
        # The vector index follows an import too: brought up to date here (there are no vectors), so that the
        # server's follower finds nothing to do while it is timed. Then this process gives up the writer role.
        index_sync.sync_vectors(session)
    index_sync.forget_handles()
    with session_scope() as session:
        compiler = index_sync.lexical(session).index.compiler
        index_sync.lexical(session).index._searcher()  # doc frequencies for natural text come from it
        compiled = [compiler.compile(read(q).node) for q in queries]

    def raw(i: int) -> int:
        found = raw_searcher.search(compiled[i], limit=PAGE, count=True)
        for _, address in found.hits:
            raw_searcher.doc(address)
        return found.count

    def in_process(i: int) -> int:
        with session_scope() as session:
            return search(session, SearchRequest(q=queries[i], mode="lexical", limit=PAGE)).total

    server = _serve(data_dir, port)
    try:
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)  # keep-alive; lighter than httpx

        def http_search(i: int) -> int:
            params = urllib.parse.urlencode({"q": queries[i], "mode": "lexical", "limit": PAGE})
            client.request("GET", f"/api/v1/patents/search?{params}")
            response = client.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {body[:200]!r}")
            return json.loads(body)["total"]

        _wait_ready(port)
        for i in range(min(warmup, len(queries))):
            raw(i), in_process(i), http_search(i)
        times: dict[str, list[float]] = {"raw": [], "in_process": [], "http": []}
        mismatched = 0
        for i in range(len(queries)):
            totals = []
            for name, fn in (("raw", raw), ("in_process", in_process), ("http", http_search)):
                start = time.perf_counter()
                totals.append(fn(i))
                times[name].append((time.perf_counter() - start) * 1000)
            mismatched += len(set(totals)) > 1
        client.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    out = {name: dict(zip(("p50", "p95"), quantiles(values), strict=True)) for name, values in times.items()}
    with_hits = sum(1 for c in compiled if raw_searcher.search(c, limit=1, count=True).count)
    return {"latency": out, "queries": len(queries), "with_hits": with_hits, "total_mismatches": mismatched}


def _serve(data_dir: Path, port: int) -> subprocess.Popen:
    env = search_bench._env(data_dir)
    env["IPOC_RUN_JOBS_IN_WEB"] = "false"  # nothing but searches in the server while it is timed
    args = [*search_bench.ipoc_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(args, env=env, cwd=data_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_ready(port: int, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            probe.request("GET", "/api/v1/patents/search?mode=lexical&q=x")
            if probe.getresponse().status == 200:
                probe.close()
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("server did not answer in time")


# --- the run -------------------------------------------------------------------------------------------------


def child(name: str, args: argparse.Namespace, data_dir: Path, url: str | None = None, csv_path: Path | None = None):
    cmd = [sys.executable, str(HERE), "--stage", name, "--data-dir", str(data_dir), "--workdir", str(args.workdir)]
    if url:
        cmd += ["--database-url", url]
    if csv_path:
        cmd += ["--csv", str(csv_path)]
    out, _, peak_mb = search_bench.run_child(cmd, data_dir)
    return {**json.loads(out.strip().splitlines()[-1]), "peak_rss_mb": round(peak_mb, 1)}


def upgrade(data_dir: Path, url: str | None) -> None:
    env = search_bench._env(data_dir)
    if url:
        env["IPOC_DATABASE_URL"] = url
    subprocess.run([*search_bench.ipoc_command(), "db", "upgrade"], env=env, cwd=data_dir, check=True)


class ScratchPostgres:
    """A database of its own on the server, dropped afterwards."""

    def __init__(self, admin_url: str, name: str) -> None:
        import psycopg

        self.admin_url, self.name = admin_url, name
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        parts = urllib.parse.urlsplit(admin_url)
        self.url = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def import_pair(args, size: int, csv_path: Path, label: str, url_factory, rows: list[dict]) -> None:
    """Floor and product on fresh instances of one database kind, floor first then product, twice alternated
    when --rounds > 1; the figure is the median."""
    products, floors, importer_only, peaks = [], [], [], []
    for round_no in range(args.rounds):
        for which in ("floor", "import"):
            data_dir = args.workdir / f"{label}-{which}-{size}"
            shutil.rmtree(data_dir, ignore_errors=True)
            data_dir.mkdir(parents=True)
            scratch = url_factory(f"ipoc_engine_{which}_{os.getpid()}") if url_factory else None
            try:
                url = scratch.url if scratch else None
                upgrade(data_dir, url)
                answer = child(which, args, data_dir, url, csv_path)
            finally:
                if scratch:
                    scratch.drop()
            if which == "floor":
                floors.append(size / answer["seconds"])
                method = answer["method"]
            else:
                products.append(size / answer["seconds"])
                peaks.append(answer["peak_rss_mb"])
                importer_only.append(size / answer["importer_seconds"])
                if answer["result"]["imported"] != size:
                    log(f"WARNING: imported {answer['result']}")
            log(f"{label} {size} round {round_no + 1} {which}: {answer}")
            if not (which == "import" and label == "sqlite" and round_no == args.rounds - 1 and size in args.kept):
                shutil.rmtree(data_dir, ignore_errors=True)
    product, floor = statistics.median(products), statistics.median(floors)
    emit(
        rows,
        f"import_rate:{label}",
        size,
        product,
        floor,
        f"bare insert ({method}), rows/s",
        unit="rows/s",
        peak_rss_mb=max(peaks),
    )
    emit(
        rows,
        f"importer_rate:{label}",
        size,
        statistics.median(importer_only),
        floor,
        f"bare insert ({method}), rows/s",
        unit="rows/s",
        note="until the importer returned, before the lexical index had caught up (not the target figure)",
    )


def search_figures(args, size: int, rows: list[dict]) -> None:
    data_dir = args.workdir / f"sqlite-import-{size}"
    found = child("search", args, data_dir)
    log(f"search {size}: {found}")
    lat = found["latency"]
    note = f"{found['with_hits']}/{found['queries']} queries with hits; totals differing: {found['total_mismatches']}"
    for q in ("p50", "p95"):
        emit(rows, f"lexical_{q}_ms", size, lat["in_process"][q], lat["raw"][q], f"raw tantivy {q}, ms", note=note)
    for q in ("p50", "p95"):
        emit(rows, f"http_{q}_ms", size, lat["http"][q], lat["in_process"][q], f"in-process {q}, ms", note=note)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_readme(rows: list[dict], command: str) -> None:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        START,
        f"Last run: `{command}` on {when} (load average at the end {load}; 2 cores, shared machine).",
        "",
        "| figure | records | value | floor | ratio | target | met? |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        met = {True: "yes", False: "**no**", None: "—"}[r["met"]]
        unit = r.get("unit", "ms")
        lines.append(
            f"| {r['figure']} | {r['records']:,} | {r['value']:,} {unit} | {r['floor']:,} ({r['floor_is']}) | "
            f"{r['ratio']}× (Δ {r['difference']:+,}) | {r['target']} | {met} |"
        )
    lines.append(END)
    replace_readme_section(lines)


def replace_readme_section(lines: list[str]) -> None:
    """Put ``lines`` (its first and last are the section's markers) in place of that section of the README, or
    at its end the first time."""
    start, end = lines[0], lines[-1]
    text = README.read_text(encoding="utf-8")
    if start in text and end in text:
        text = text[: text.index(start)] + "\n".join(lines) + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    README.write_text(text, encoding="utf-8")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ipoc-engine-bench"))
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1, help="import floor/product pairs per database (median)")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test", help="admin URL")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--postgres-max", type=int, default=10**9, help="sizes above this skip PostgreSQL")
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument("--stage", choices=["import", "floor", "search"], help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if args.stage:
        stages = {
            "import": lambda: stage_import(args.data_dir, args.database_url, args.csv),
            "floor": lambda: stage_floor(args.data_dir, args.database_url, args.csv),
            "search": lambda: stage_search(args.data_dir, args.workdir / "queries.json", args.warmup, _free_port()),
        }
        print(json.dumps(stages[args.stage](), ensure_ascii=False, default=str))
        return 0
    missing = corpus.shared_data_missing()
    if missing:
        log(missing)
        return 0
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    args.kept = set(sizes)
    args.workdir.mkdir(parents=True, exist_ok=True)
    records = corpus.load_ccf()
    sources = corpus.load_sources(records)
    queries = search_bench.pick_queries(records, args.queries)
    (args.workdir / "queries.json").write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    rows: list[dict] = []
    for size in sizes:
        csv_path = corpus.write_csv(args.workdir / f"corpus-{size}.csv", sources, size)
        import_pair(args, size, csv_path, "sqlite", None, rows)
        search_figures(args, size, rows)
        shutil.rmtree(args.workdir / f"sqlite-import-{size}", ignore_errors=True)
        if not args.no_postgres and size <= args.postgres_max:
            import_pair(args, size, csv_path, "postgresql", lambda name: ScratchPostgres(args.postgres, name), rows)
        csv_path.unlink(missing_ok=True)
    if not args.no_readme:
        command = "benchmarks/engine_bench.py " + " ".join(sys.argv[1:])
        write_readme(rows, f".venv/bin/python {command.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
