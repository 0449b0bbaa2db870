"""Load benchmark (issue 11, point 4): simulated users against a real server on loopback, full demo data.

    .venv/bin/python benchmarks/load_bench.py --backend postgresql --users 50 --duration 600 --web-workers 2
    .venv/bin/python benchmarks/load_bench.py --backend sqlite --users 20 --duration 600

Starts a fresh instance (a new SQLite file or PostgreSQL database), loads the full demo, gives every demo
account a known password, starts `ipoc serve` (and `ipoc worker` processes on PostgreSQL), drives the mix in
benchmarks/load/locustfile.py with Locust for the given time, then prints one table and one JSON line:
requests, failures, rate and p50/p95/p99 per request kind, beside the floor measured in the same run (the
health check, which touches no database). The verdict fails on any failed request, on a server log line
saying "database is locked", and, unless --no-latency-limit, on a p99 above --p99-limit-ms for pages and API.
Traffic goes to 127.0.0.1 only; the run stops by itself after --duration seconds.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
LOCUSTFILE = HERE / "load" / "locustfile.py"
PASSWORD = "loadPassw0rd!"
PG_ADMIN = os.environ.get("IPOC_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
FLOOR = "/healthz [public]"
DEMO_ACCOUNTS = ("admin", "baotou", "chifeng", "expert", "center", "member", "dairy")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SERVER_FAULTS = ("database is locked", "Traceback (most recent call last)", "QueuePool limit")


@dataclass
class Row:
    name: str
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


@dataclass
class Outcome:
    backend: str
    users: int
    duration_s: int
    web_workers: int
    job_workers: int
    rows: list[Row]
    total: Row
    server_faults: list[str]
    failures: list[str]
    p99_limit_ms: float | None

    @property
    def ok(self) -> bool:
        slow = self.p99_limit_ms is not None and self.total.p99_ms > self.p99_limit_ms
        return self.total.failures == 0 and not self.server_faults and self.total.requests > 0 and not slow


def log(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the instance --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg(sql: str) -> None:
    from sqlalchemy import create_engine, text

    url = PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


class Instance:
    """A fresh database and data dir, removed again on exit."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.root = Path(tempfile.mkdtemp(prefix="ipoc-load-"))
        self.pg_name = f"ipoc_load_{uuid.uuid4().hex[:10]}" if backend == "postgresql" else None
        if self.pg_name:
            _pg(f"CREATE DATABASE {self.pg_name}")
            url = PG_ADMIN.rsplit("/", 1)[0] + f"/{self.pg_name}"
        else:
            url = f"sqlite:///{self.root / 'ipoc.sqlite3'}"
        self.env = {
            **os.environ,
            "IPOC_DATA_DIR": str(self.root),
            "IPOC_DATABASE_URL": url,
            "IPOC_SECRET_KEY": uuid.uuid4().hex,
            "IPOC_RUN_JOBS_IN_WEB": "false" if backend == "postgresql" else "true",
        }

    def ipoc(self, *args: str, timeout: float = 600) -> str:
        done = subprocess.run(
            [str(BIN / "ipoc"), *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"ipoc {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done.stdout

    def prepare(self) -> None:
        self.ipoc("db", "upgrade")
        self.ipoc("demo", "load")
        script = (
            "from ipoc.db import session_scope\n"
            "from ipoc.auth import service as accounts\n"
            "from ipoc.auth.models import User\n"
            "import ipoc.models\n"
            "with session_scope() as s:\n"
            "    for u in s.query(User).all():\n"
            f"        accounts.reset_password(s, u, {PASSWORD!r})\n"
            "        u.must_change_password = False\n"
        )
        subprocess.run([sys.executable, "-c", script], env=self.env, check=True, timeout=300)

    def close(self) -> None:
        if self.pg_name:
            _pg(f"DROP DATABASE IF EXISTS {self.pg_name} WITH (FORCE)")
        shutil.rmtree(self.root, ignore_errors=True)


class Servers:
    """`ipoc serve` (and `ipoc worker`s) as child processes, their output kept in log files."""

    def __init__(self, instance: Instance, web_workers: int, job_workers: int) -> None:
        self.port = _free_port()
        self.logs = instance.root / "logs"
        self.logs.mkdir()
        serve = [str(BIN / "ipoc"), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if web_workers > 1:
            serve += ["--workers", str(web_workers)]
        self.processes = [self._start("web", serve, instance.env)]
        for n in range(job_workers):
            self.processes.append(self._start(f"worker{n}", [str(BIN / "ipoc"), "worker"], instance.env))
        self._wait_healthy()

    def _start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        out = (self.logs / f"{name}.log").open("w")
        return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if any(p.poll() is not None for p in self.processes):
                break
            time.sleep(0.3)
        raise RuntimeError(f"server did not become healthy; see {self.logs}")

    def faults(self) -> list[str]:
        found = []
        for path in sorted(self.logs.glob("*.log")):
            for line in path.read_text(errors="replace").splitlines():
                if any(fault in line for fault in SERVER_FAULTS):
                    found.append(f"{path.name}: {line.strip()[:200]}")
        return found

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def warm_up(url: str) -> None:
    """Every account logs in once first, as on any working day: 127.0.0.1 becomes a known address for each, so
    the mistypers' failures slow the address only for unknown accounts (as the login throttle intends)."""
    for username in DEMO_ACCOUNTS:
        with httpx.Client(base_url=url, timeout=30) as client:
            csrf = CSRF.search(client.get("/login").text)
            form = {"username": username, "password": PASSWORD, "csrf_token": csrf.group(1) if csrf else ""}
            answer = client.post("/login", data=form)
            if answer.status_code != 303:
                raise RuntimeError(f"warm-up login of {username} answered {answer.status_code}")


# --- the run ----------------------------------------------------------------------------------------------


def run_locust(url: str, users: int, duration: int, prefix: Path) -> None:
    rate = max(1, users // 10)
    argv = [
        str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "--only-summary", "-u", str(users), "-r", str(rate),
        "-t", f"{duration}s", "--stop-timeout", "30", "--host", url, "--csv", str(prefix), "--exit-code-on-error", "0",
    ]  # fmt: skip
    env = {**os.environ, "IPOC_LOAD_PASSWORD": PASSWORD, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=duration + 180, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"locust failed ({done.returncode}): {done.stderr[-3000:]}")


def _row(record: dict[str, str]) -> Row:
    def number(key: str) -> float:
        value = record.get(key, "")
        return float(value) if value not in ("", "N/A") else 0.0

    name = record["Name"] if record["Type"] in ("", None) else f"{record['Type']} {record['Name']}"
    return Row(
        name=name.strip(),
        requests=int(number("Request Count")),
        failures=int(number("Failure Count")),
        rps=round(number("Requests/s"), 2),
        p50_ms=number("50%"),
        p95_ms=number("95%"),
        p99_ms=number("99%"),
        max_ms=round(number("Max Response Time"), 1),
    )


def read_stats(prefix: Path) -> tuple[list[Row], Row, list[str]]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as stream:
        rows = [_row(record) for record in csv.DictReader(stream)]
    failures = []
    failures_csv = Path(f"{prefix}_failures.csv")
    if failures_csv.exists():
        with failures_csv.open(encoding="utf-8") as stream:
            failures = [f"{r['Method']} {r['Name']}: {r['Error']} × {r['Occurrences']}" for r in csv.DictReader(stream)]
    total = next(r for r in rows if r.name.endswith("Aggregated"))
    return [r for r in rows if r is not total], total, failures


def run(args: argparse.Namespace) -> Outcome:
    instance = Instance(args.backend)
    servers = None
    try:
        log(f"{args.backend}: preparing the full demo in {instance.root}")
        instance.prepare()
        job_workers = args.job_workers if args.backend == "postgresql" else 0
        servers = Servers(instance, args.web_workers, job_workers)
        warm_up(servers.url)
        log(f"server up at {servers.url}: {args.users} users for {args.duration} s")
        prefix = instance.root / "locust"
        run_locust(servers.url, args.users, args.duration, prefix)
        healthy = httpx.get(f"{servers.url}/healthz", timeout=10).status_code == 200
        rows, total, failures = read_stats(prefix)
        faults = servers.faults() + ([] if healthy else ["/healthz did not answer 200 after the run"])
        limit = None if args.no_latency_limit else args.p99_limit_ms
        return Outcome(
            args.backend, args.users, args.duration, args.web_workers, job_workers, rows, total, faults, failures, limit
        )
    finally:
        if servers is not None:
            servers.stop()
        if not args.keep:
            instance.close()


def report(outcome: Outcome) -> None:
    print(
        f"\n{outcome.backend}: {outcome.users} users, {outcome.duration_s} s, "
        f"{outcome.web_workers} web process(es), {outcome.job_workers} job worker(s)"
    )
    print(f"{'request':<42}{'count':>8}{'fail':>6}{'req/s':>8}{'p50':>7}{'p95':>7}{'p99':>7}{'max':>8}")
    for row in sorted(outcome.rows, key=lambda r: r.name != FLOOR.split(" [")[0] and FLOOR not in r.name):
        print(
            f"{row.name[:41]:<42}{row.requests:>8}{row.failures:>6}{row.rps:>8.1f}"
            f"{row.p50_ms:>7.0f}{row.p95_ms:>7.0f}{row.p99_ms:>7.0f}{row.max_ms:>8.0f}"
        )
    t = outcome.total
    print(f"{'all':<42}{t.requests:>8}{t.failures:>6}{t.rps:>8.1f}{t.p50_ms:>7.0f}{t.p95_ms:>7.0f}{t.p99_ms:>7.0f}")
    print("(the health check touches no database: it is the floor the other rows stand on)")
    for line in outcome.failures + outcome.server_faults:
        print(f"  ! {line}")
    print(f"verdict: {'PASS' if outcome.ok else 'FAIL'}")
    print(json.dumps({**asdict(outcome), "ok": outcome.ok}, ensure_ascii=False))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=600, help="seconds of load")
    parser.add_argument("--web-workers", type=int, default=1, help="`ipoc serve --workers` (PostgreSQL only)")
    parser.add_argument("--job-workers", type=int, default=1, help="`ipoc worker` processes (PostgreSQL only)")
    parser.add_argument("--p99-limit-ms", type=float, default=500)
    parser.add_argument("--no-latency-limit", action="store_true", help="judge errors only (the CI version)")
    parser.add_argument("--keep", action="store_true", help="keep the instance and logs for a look afterwards")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    outcome = run(parse_args(argv))
    report(outcome)
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
