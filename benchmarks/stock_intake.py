"""Time of a university's stock-patent intake: N application numbers pasted into a batch, half of them in the
patent database (linked and screened), on a fresh SQLite instance or PostgreSQL database. Not part of `make test`.

    .venv/bin/python benchmarks/stock_intake.py [--rows 5000] [--backend sqlite|postgresql]

PostgreSQL uses a scratch database `ipoc_bench` on IPOC_TEST_DATABASE_URL's server (dropped and re-created).
Prints one JSON line: {"backend", "rows", "linked", "seconds"}.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ipoc.config import Settings, set_settings
from ipoc.db import session_scope
from ipoc.ops.migrate import upgrade
from ipoc.patents.models import Patent
from ipoc.patents.numbers import check_char

PG_URL = os.environ.get("IPOC_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def number(serial: int) -> str:
    body = f"20191{serial:07d}"
    return f"{body}.{check_char(body)}"


def instance_url(backend: str, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder}/bench.sqlite3"
    admin = Settings(database_url=PG_URL, secret_key="x").sqlalchemy_url
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS ipoc_bench WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE ipoc_bench"))
    engine.dispose()
    return make_url(PG_URL).set(database="ipoc_bench").render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    set_settings(Settings(data_dir=folder / "var", database_url=instance_url(args.backend, folder), secret_key="x"))
    upgrade()

    from ipoc.ops import demo
    from ipoc.ops.demo_lifecycle import demo_principal
    from ipoc.stock import service as stock
    from ipoc.stock.schemas import BatchIn

    with session_scope() as session:
        demo.load(session)
        session.add_all(
            Patent(application_no=number(i), kind="invention", title=f"专利{i}", content_hash="x", passage_hash="x",
                   rev=1, status_class="valid", application_date=date(2019, 1, 1))
            for i in range(args.rows // 2)
        )  # fmt: skip
    with session_scope() as session:
        batch_id = stock.create_batch(session, demo_principal(session, "member"), BatchIn(title="盘点")).id
    listing = "\n".join(number(i) for i in range(args.rows))
    with session_scope() as session:
        started = time.perf_counter()
        record = stock.intake_text(session, demo_principal(session, "member"), batch_id, listing)
        session.flush()
        seconds = time.perf_counter() - started
    line = {"backend": args.backend, "rows": record.added, "linked": record.linked, "seconds": round(seconds, 2)}
    print(json.dumps(line))


if __name__ == "__main__":
    main()
