"""A killed import leaves an audit record for every batch it committed: each batch's ``import_batch`` record is
committed with its rows, so after ``kill -9`` every patent is named by one and ``ipoc audit verify`` passes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from ipoc.audit.models import AuditRecord
from ipoc.audit.rows import IMPORT_BATCH, uncovered_patents, verify_rows
from ipoc.patents.importer import BATCH_SIZE
from ipoc.patents.models import Patent
from tests.import_files import good_row, write_csv

IPOC = str(Path(sys.executable).parent / "ipoc")


def _env(instance) -> dict[str, str]:
    return {
        **os.environ,
        "IPOC_DATA_DIR": str(instance.data_dir),
        "IPOC_DATABASE_URL": instance.sqlalchemy_url,
        "IPOC_SECRET_KEY": instance.resolved_secret_key,
    }


def _count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(Patent.id))) or 0


def test_a_killed_import_leaves_a_record_for_every_batch_it_committed(instance, session, tmp_path):
    rows = [good_row(serial) for serial in range(1, 8 * BATCH_SIZE + 1)]
    source = write_csv(tmp_path / "big.csv", rows)
    with (tmp_path / "import.log").open("wb") as log:
        child = subprocess.Popen(
            [IPOC, "patents", "import", str(source), "--json"],
            env=_env(instance), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and child.poll() is None and _count(session) < 2 * BATCH_SIZE:
            time.sleep(0.05)
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
        child.wait(30)
    committed = _count(session)
    assert child.returncode == -signal.SIGKILL, (tmp_path / "import.log").read_text(errors="replace")[-2000:]
    assert 2 * BATCH_SIZE <= committed < len(rows), "killed after a few batches and before the end"

    records = session.scalars(select(AuditRecord).where(AuditRecord.action == IMPORT_BATCH)).all()
    assert len(records) == committed // BATCH_SIZE
    assert sum(json.loads(r.meta_json)["inserted"] for r in records) == committed
    assert uncovered_patents(session) == []
    assert verify_rows(session) == []
    verified = subprocess.run(
        [IPOC, "audit", "verify"], env=_env(instance), capture_output=True, text=True, timeout=120, check=False
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "audited rows match the audit trail" in verified.stdout
