"""Time ``ipoc audit verify`` (chain, audited rows against their trail, patents against import batch records)
on the full demo, then with N more audited rows (created, a tenth updated, through the ORM as the application
writes them), on SQLite or PostgreSQL.

    .venv/bin/python benchmarks/audit_verify.py                       # SQLite, full demo + 100,000 rows
    .venv/bin/python benchmarks/audit_verify.py --rows 0 --database-url postgresql://postgres@127.0.0.1:5432/test

A PostgreSQL URL names a server database used only to create (and drop afterwards) a scratch database.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from ipoc.audit.models import AuditRecord
from ipoc.audit.rows import uncovered_patents, verify_rows
from ipoc.audit.service import verify_chain
from ipoc.cli import app as cli
from ipoc.config import Settings, set_settings
from ipoc.db import session_scope
from ipoc.ops.migrate import upgrade
from ipoc.reference.models import Industry


def _timed(label: str, results: dict, fn):
    start = time.perf_counter()
    value = fn()
    results[label] = round(time.perf_counter() - start, 3)
    return value


def verify_times() -> dict:
    out: dict = {}
    with session_scope() as session:
        out["audit_records"] = session.scalar(select(func.count(AuditRecord.id)))
        chain = _timed("chain_s", out, lambda: verify_chain(session))
        rows = _timed("rows_s", out, lambda: verify_rows(session))
        patents = _timed("patents_s", out, lambda: uncovered_patents(session))
    out["ok"] = chain.ok and not rows and not patents
    out["total_s"] = round(out["chain_s"] + out["rows_s"] + out["patents_s"], 3)
    return out


def add_rows(n: int, batch: int = 5000) -> None:
    """N industries through the ORM (one create record each), then a tenth of them updated (one record each)."""
    for start in range(0, n, batch):
        with session_scope() as session:
            session.add_all(
                Industry(name=f"基准{i}", naming_term=f"基准{i}", category="重点", source="基准测试数据")
                for i in range(start, min(n, start + batch))
            )
    with session_scope() as session:
        for industry in session.scalars(select(Industry).where(Industry.name.like("基准%")).limit(n // 10)):
            industry.category = "优势特色"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ipoc-audit-bench-"))
    scratch = None
    url = f"sqlite:///{root / 'bench.sqlite3'}"
    if args.database_url:
        scratch = f"audit_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(Settings(database_url=args.database_url, secret_key="x").sqlalchemy_url)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"CREATE DATABASE {scratch}"))
        url = make_url(admin.url).set(database=scratch).render_as_string(hide_password=False)
    try:
        set_settings(Settings(data_dir=root / "var", database_url=url, secret_key="bench"))
        upgrade()
        report: dict = {"database": make_url(url).get_backend_name()}
        loaded = _timed("demo_load_s", report, lambda: CliRunner().invoke(cli, ["demo", "load"]))
        assert loaded.exit_code == 0, loaded.output
        report["full_demo"] = verify_times()
        if args.rows:
            _timed("add_rows_s", report, lambda: add_rows(args.rows))
            report[f"full_demo_plus_{args.rows}_rows"] = verify_times()
        print(json.dumps(report, indent=2))
    finally:
        if scratch:
            from ipoc.db import dispose_engine

            dispose_engine(url)
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {scratch}"))


if __name__ == "__main__":
    main()
