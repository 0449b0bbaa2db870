"""Faults survived (issue 11, point 9): the server, a job worker and an import killed with SIGKILL mid-way, on
SQLite and PostgreSQL. Afterwards nothing acknowledged is lost, nothing is half-written, and the audit chain
and the search index agree with the database once the platform is started again."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from ipoc.audit.models import AuditRecord
from ipoc.auth import service as accounts
from ipoc.auth.models import User
from ipoc.auth.roles import Role
from ipoc.patents.importer import BATCH_SIZE
from ipoc.patents.models import Patent
from ipoc.transfer.models import Demand
from tests import live
from tests.conftest import make_user
from tests.import_files import good_row, write_csv
from tests.worlds.transfer import transfer_world

ACKS_BEFORE_KILL = 30


def _member_token(session) -> str:
    transfer_world(session)
    user = session.scalar(select(User).where(User.username == "owner"))
    _token, plaintext = accounts.create_token(session, user, "fault test")
    session.commit()
    return plaintext


def _demand(n: int) -> dict[str, object]:
    return {
        "title": f"断电测试需求{n}",
        "problem": "需求内容：1）提高矫顽力（2）降低成本",
        "desired_effect": "矫顽力提高",
        "modes": ["licence"],
        "public_summary": "寻求稀土永磁技术",
    }


def _post_until_refused(url: str, token: str, acked: dict[int, str], stop: threading.Event, base: int) -> None:
    """Keep creating demands; remember each one the server acknowledged (201 with its id)."""
    headers = {"Authorization": f"Bearer {token}"}
    n = base
    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        while not stop.is_set():
            n += 1
            try:
                answer = client.post("/api/v1/demands", json=_demand(n))
            except httpx.HTTPError:
                continue  # the server is gone (killed) or not back yet: not acknowledged, nothing to keep
            if answer.status_code == 201:
                acked[answer.json()["id"]] = answer.json()["title"]


def _verify_audit(instance) -> None:
    done = live.ipoc(instance, "audit", "verify")
    assert done.returncode == 0, done.stdout + done.stderr


def test_server_killed_during_writes_keeps_every_acknowledged_write(instance, session) -> None:
    token = _member_token(session)
    server = live.Server(instance)
    acked: dict[int, str] = {}
    stop = threading.Event()
    writers = [
        threading.Thread(target=_post_until_refused, args=(server.url, token, acked, stop, 1000 * k)) for k in range(4)
    ]
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + 60
    while len(acked) < ACKS_BEFORE_KILL and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill_hard()  # while the four writers still have requests in flight
    stop.set()
    for writer in writers:
        writer.join(timeout=30)
    assert len(acked) >= ACKS_BEFORE_KILL, server.output()[-2000:]

    session.expire_all()
    kept = dict(session.execute(select(Demand.id, Demand.title).where(Demand.id.in_(acked))).all())
    assert kept == acked, "every acknowledged demand is in the database, as acknowledged"
    creations = select(AuditRecord.entity_id).where(
        AuditRecord.entity_type == "tech_demands", AuditRecord.action == "create"
    )
    created = set(session.scalars(creations))
    every = {str(i) for i in session.scalars(select(Demand.id))}
    assert every <= created, "no demand in the database lacks its audit record (nothing half-written)"
    _verify_audit(instance)

    restarted = live.Server(instance)
    try:
        headers = {"Authorization": f"Bearer {token}"}
        for demand_id, title in list(acked.items())[:5]:
            answer = httpx.get(f"{restarted.url}/api/v1/demands/{demand_id}", headers=headers, timeout=10)
            assert answer.status_code == 200 and answer.json()["title"] == title
        assert httpx.post(f"{restarted.url}/api/v1/demands", json=_demand(9999), headers=headers).status_code == 201
    finally:
        restarted.stop()
    _verify_audit(instance)


def _index_agrees(server: live.Server, token: str, patents: int, timeout: float = 60) -> dict:
    """Wait for the restarted platform's index to reach the database revision; return its status."""
    deadline = time.monotonic() + timeout
    status: dict = {}
    while time.monotonic() < deadline:
        status = httpx.get(f"{server.url}/api/v1/search/status", headers={"Authorization": f"Bearer {token}"}).json()
        if status["index_rev"] >= status["db_rev"] and status["documents"] == patents:
            return status
        time.sleep(0.3)
    raise AssertionError(f"index did not catch up with {patents} patents: {status}")


def test_import_killed_midway_keeps_whole_batches_and_the_index_agrees_after_restart(instance, session) -> None:
    rows = [good_row(serial) for serial in range(1, 6 * BATCH_SIZE + 1)]
    source = write_csv(Path(instance.data_dir) / "big.csv", rows)
    importer = live.Process(instance, "patents", "import", str(source), name="import")
    deadline = time.monotonic() + 120
    committed = 0
    while time.monotonic() < deadline and importer.popen.poll() is None:
        session.expire_all()
        committed = session.scalar(select(func.count(Patent.id))) or 0
        if committed >= BATCH_SIZE:
            break
        time.sleep(0.05)
    importer.kill_hard()
    session.expire_all()
    committed = session.scalar(select(func.count(Patent.id))) or 0
    assert 0 < committed < len(rows), "killed after some batches and before the end"
    assert committed % BATCH_SIZE == 0, "each batch is committed whole or not at all"
    _verify_audit(instance)

    token = _admin_token(session)
    server = live.Server(instance)
    try:
        _index_agrees(server, token, committed)
        again = live.ipoc(instance, "patents", "import", str(source), "--json")
        assert again.returncode == 0, again.stderr
        _index_agrees(server, token, len(rows))
    finally:
        server.stop()
    _verify_audit(instance)


def _admin_token(session) -> str:
    admin = session.scalar(select(User).where(User.username == "admin")) or make_user(
        session, "admin", Role.REGION_ADMIN
    )
    _token, token = accounts.create_token(session, admin, "fault test")
    session.commit()
    return token


def _wait_for(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _job_status(server: live.Server, headers: dict[str, str], job_id: int) -> str:
    return httpx.get(f"{server.url}/api/v1/jobs/{job_id}", headers=headers).json()["status"]


def test_worker_killed_mid_import_loses_no_upload_and_the_next_worker_and_index_agree(instance, session, backend):
    if backend != "postgresql":
        pytest.skip("separate job workers run on PostgreSQL; SQLite runs its jobs in the web process")
    token = _admin_token(session)
    rows = [good_row(serial) for serial in range(1, 6 * BATCH_SIZE + 1)]
    source = write_csv(Path(instance.data_dir) / "upload.csv", rows)
    env = live.env_for(instance, IPOC_RUN_JOBS_IN_WEB="false")
    server = live.Server(instance, env=env)
    worker = live.Process(instance, "worker", name="worker-1", env=env)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with source.open("rb") as upload:
            answer = httpx.post(
                f"{server.url}/api/v1/patents/imports", files={"file": ("upload.csv", upload)}, headers=headers
            )
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["id"]

        def count() -> int:
            session.expire_all()
            return session.scalar(select(func.count(Patent.id))) or 0

        _wait_for(lambda: count() >= BATCH_SIZE)
        worker.kill_hard()
        committed = count()
        assert 0 < committed < len(rows) and committed % BATCH_SIZE == 0, "whole batches only"
        _verify_audit(instance)

        successor = live.Process(instance, "worker", name="worker-2", env=env)
        try:
            _wait_for(lambda: _job_status(server, headers, job_id) == "interrupted", timeout=60)
            _index_agrees(server, token, committed)
            with source.open("rb") as upload:
                again = httpx.post(
                    f"{server.url}/api/v1/patents/imports", files={"file": ("upload.csv", upload)}, headers=headers
                )
            retry_id = again.json()["id"]
            _wait_for(lambda: _job_status(server, headers, retry_id) == "done", timeout=180)
            _index_agrees(server, token, len(rows))
        finally:
            successor.stop()
    finally:
        server.stop()
        worker.kill_hard()
    _verify_audit(instance)
