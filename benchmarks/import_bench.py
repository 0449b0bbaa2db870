"""Import rate per export layout (issue 14, point 8): rows/s of the real import for CNIPA CSV, incoPat XLSX and
PatSnap XLSX files, each beside the bare insert of the same parsed rows, and the import's peak memory.

    .venv/bin/python benchmarks/import_bench.py [--rows 100000] [--layouts cnipa_csv,incopat_xlsx,patsnap_xlsx]
        [--rounds 1] [--postgres postgresql://postgres@127.0.0.1:5432/test] [--no-readme]

The files are synthetic, written untimed in each tool's exact column layout by tests/export_layouts.py (where the
layouts come from is said there). The timing is engine_bench's, reused as it is: the real import is
``patents.service.run_import`` (what ``ipoc patents import`` runs: read, validate, upsert, audit, lexical index
caught up) on a fresh SQLite instance; the floor is the same file read and parsed by the importer's own reader and
parser (untimed), then inserted bare into the same four tables, 1,000 rows a transaction (engine_bench's
``stage_floor``). The ratio is floor rows/s over import rows/s (how many times longer the import takes).

Peak memory: the import runs in a child process that starts the lexical indexing process of its own; the figure is
the highest sum of the resident set sizes (VmRSS) of that child and all its descendants, sampled every 0.1 s from
/proc, in MB. Beside it, the importing process's own high-water mark (its VmHWM, from the kernel). Both include the
interpreter and its libraries (about 150-250 MB before the first row).

Standard output: one JSON line per figure; standard error: progress. With ``--readme`` (default on) the table in
benchmarks/README.md between the ``import-bench`` markers is rewritten.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.export_layouts, run from anywhere

import engine_bench
from engine_bench import log
from tests.export_layouts import LAYOUTS, Layout, rows, write_export

START, END = "<!-- import-bench:start -->", "<!-- import-bench:end -->"
DEFAULT_LAYOUTS = "cnipa_csv,incopat_xlsx,patsnap_xlsx"


# --- the files -----------------------------------------------------------------------------------------------


def write_file(layout: Layout, path: Path, count: int) -> None:
    """The export exactly as the tool writes it, title rows above the header included."""
    write_export(path, layout, rows(layout, count))


# --- memory of the import's process tree ---------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(p) for p in (task / "children").read_text().split()]
    return found


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _tree_rss_mb(pid: int) -> float:
    return _rss_mb(pid) + sum(_tree_rss_mb(child) for child in _children(pid))


class ImportTreePeak:
    """Samples, while it is open, the summed RSS of this process's child running ``--stage import`` and all its
    descendants (the indexing process among them); ``peak_mb`` is the highest sum seen."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval, self.peak_mb = interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for pid in _children(os.getpid()):
                try:
                    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue
                if b"--stage" in argv and argv[argv.index(b"--stage") + 1] == b"import":
                    self.peak_mb = max(self.peak_mb, _tree_rss_mb(pid))

    def __enter__(self) -> ImportTreePeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --- the run -------------------------------------------------------------------------------------------------


def measure(args: argparse.Namespace, layout: Layout, database: str, path: Path, figures: list[dict]) -> dict:
    """engine_bench's floor/import pair on one database kind; the import line gains the process tree's peak."""
    scratch = (lambda name: engine_bench.ScratchPostgres(args.postgres, name)) if database == "postgresql" else None
    with ImportTreePeak() as tree:
        engine_bench.import_pair(args, args.rows, path, f"{layout.key}:{database}", scratch, figures)
    line = next(f for f in figures if f["figure"] == f"import_rate:{layout.key}:{database}")
    line["tree_peak_rss_mb"] = round(tree.peak_mb, 1)
    print(json.dumps({"figure": f"import_peak_rss_mb:{layout.key}:{database}", **_memory(line)}, ensure_ascii=False))
    return line


def _memory(line: dict) -> dict:
    return {
        "records": line["records"],
        "value": line["tree_peak_rss_mb"],
        "unit": "MB",
        "process_peak_rss_mb": line["peak_rss_mb"],
        "note": "summed VmRSS of the import process and its indexing child, sampled every 0.1 s; beside it the "
        "import process's own VmHWM",
    }


def write_readme(results: list[dict], command: str) -> None:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        START,
        f"Last run: `{command}` on {when} (load average at the end {load}; {os.cpu_count()} cores, shared machine). "
        "Synthetic rows in each tool's column layout (tests/export_layouts.py). "
        "Ratio = bare-insert rows/s ÷ import rows/s (target ≤ 3). Peak = import process and its "
        "indexing child together (the import process alone in brackets).",
        "",
        "| layout | columns | file | rows | import | bare insert (floor) | ratio | peak memory |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['layout']} ({r['database']}) | {r['columns']} | {r['file_mb']} MB {r['kind']} | "
            f"{r['records']:,} | {r['value']:,.0f} rows/s | {r['floor']:,.0f} rows/s | {r['ratio']}× | "
            f"{r['tree_peak_rss_mb']:,.0f} MB ({r['peak_rss_mb']:,.0f} MB) |"
        )
    lines.append(END)
    engine_bench.replace_readme_section(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--layouts", default=DEFAULT_LAYOUTS, help=f"of {', '.join(LAYOUTS)}")
    parser.add_argument("--rounds", type=int, default=1, help="floor/import pairs per layout (median)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ipoc-import-bench"))
    parser.add_argument("--postgres", help="admin URL: also measure on PostgreSQL, in a scratch database")
    parser.add_argument("--keep-files", action="store_true", help="keep the generated exports in --workdir")
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    args.kept = set()  # engine_bench.import_pair keeps no instance
    return args


def main() -> int:
    args = parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for key in args.layouts.split(","):
        layout = LAYOUTS[key.strip()]
        path = args.workdir / f"{layout.key}-{args.rows}{layout.suffix}"
        start = time.perf_counter()
        write_file(layout, path, args.rows)
        size_mb = round(path.stat().st_size / 2**20, 1)
        log(f"{layout.key}: {args.rows:,} rows written in {time.perf_counter() - start:.0f} s, {size_mb} MB")
        for database in ["sqlite"] + (["postgresql"] if args.postgres else []):
            figures: list[dict] = []
            line = measure(args, layout, database, path, figures)
            about = {"layout": layout.key, "database": database, "columns": len(layout.headers)}
            results.append({**line, **about, "kind": layout.kind, "file_mb": size_mb})
        if not args.keep_files:
            path.unlink()
    if not args.no_readme:
        command = "benchmarks/import_bench.py " + " ".join(sys.argv[1:])
        write_readme(results, f".venv/bin/python {command.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
