"""What the login throttle costs (issue 11, point 6): the time of one throttle check and of recording one attempt,
with a day of hostile history already in ``login_attempts`` (a spray over many addresses and usernames).

    .venv/bin/python benchmarks/login_throttle.py [--rows 100000] [--database-url postgresql+psycopg://...]

Without --database-url it runs on a fresh SQLite file. Prints median and p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from ipoc.auth import service as accounts
from ipoc.auth.models import LoginAttempt
from ipoc.config import Settings, set_settings
from ipoc.db import session_scope, utcnow
from ipoc.ops.migrate import upgrade


def _history(rows: int) -> None:
    """A day of failures from 5,000 addresses against 2,000 usernames, plus some successes of ``admin``."""
    rng = random.Random(11)
    now = utcnow()
    batch = []
    for n in range(rows):
        batch.append(
            {
                "username": "admin" if n % 7 == 0 else f"user{rng.randrange(2000)}",
                "ip": f"10.{rng.randrange(20)}.{rng.randrange(250)}.{rng.randrange(250)}",
                "ts": now - timedelta(seconds=rng.randrange(86_400)),
                "success": n % 997 == 0,
            }
        )
        if len(batch) == 5000:
            with session_scope() as s:
                s.execute(insert(LoginAttempt), batch)
            batch = []
    if batch:
        with session_scope() as s:
            s.execute(insert(LoginAttempt), batch)


def _timed(action, times: int) -> list[float]:
    spent = []
    for n in range(times):
        start = time.perf_counter()
        action(n)
        spent.append((time.perf_counter() - start) * 1000)
    return spent


def _report(name: str, spent: list[float]) -> None:
    p95 = statistics.quantiles(spent, n=20)[-1]
    print(f"{name:<28} median {statistics.median(spent):6.2f} ms   p95 {p95:6.2f} ms   ({len(spent)} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ipoc-throttle-") as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'ipoc.sqlite3'}"
        set_settings(Settings(data_dir=Path(folder) / "var", database_url=url, secret_key="bench"))
        upgrade()
        _history(args.rows)
        print(f"{args.rows} attempts in login_attempts, {url.split(':')[0]}")

        def check(n: int) -> None:
            with contextlib.suppress(accounts.TooManyAttempts):
                accounts.check_throttle("admin" if n % 2 else f"user{n}", f"10.1.{n % 250}.{n % 200}")

        _report("check_throttle", _timed(check, 300))
        _report("record_attempt", _timed(lambda n: accounts.record_attempt("admin", f"192.0.2.{n % 250}", False), 300))


if __name__ == "__main__":
    main()
