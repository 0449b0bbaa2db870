"""The job queue in the database: claims never collide, a dead worker's job is marked interrupted by the next
worker's sweep while live workers' jobs are left alone, ``ipoc worker`` runs a queued import as a real process and
stops cleanly on SIGTERM, and a second web process starting on the same database leaves the first one's job alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from ipoc.audit.context import Actor, acting_as
from ipoc.audit.models import AuditRecord
from ipoc.auth.roles import Role
from ipoc.cli import app as cli
from ipoc.config import Settings
from ipoc.db import session_scope, utcnow
from ipoc.jobs import heartbeat, queue
from ipoc.jobs import service as jobs
from ipoc.jobs.models import Job, Worker
from ipoc.patents import service as patents
from ipoc.patents.models import Patent
from tests import live
from tests.conftest import make_user
from tests.patent_corpus import CORPUS, write_csv

TIMEOUT_S = 60


def queue_jobs(n: int, kind: str = "test-noop") -> list[int]:
    with session_scope() as session:
        made = [jobs.create(session, kind, owner_id=None, label=f"#{i}", params={"i": i}) for i in range(n)]
        return [job.id for job in made]


def job(job_id: int) -> Job:
    with session_scope() as session:
        return session.get(Job, job_id)


def running_job(worker_id: str, *, kind: str = "test-noop") -> int:
    """A job as a worker that claimed it leaves it while working on it."""
    with session_scope() as session:
        made = jobs.create(session, kind, owner_id=None, label="running", params={})
        made.status, made.worker_id, made.started_at = "running", worker_id, utcnow()
        return made.id


def add_worker(worker_id: str, *, hostname: str, pid: int, beat_seconds_ago: float) -> None:
    beat = utcnow() - timedelta(seconds=beat_seconds_ago)
    with session_scope() as session:
        session.add(Worker(id=worker_id, kind="worker", hostname=hostname, pid=pid, started_at=beat, heartbeat_at=beat))


def dead_pid() -> int:
    """The pid of a process of this host that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def until(condition, timeout: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


# --- claiming ------------------------------------------------------------------------------------------------


def test_concurrent_claimers_never_take_the_same_job(instance):
    ids = queue_jobs(24)
    taken: dict[str, list[int]] = {}
    start = threading.Barrier(4)

    def claimer(name: str) -> None:
        mine = taken.setdefault(name, [])
        start.wait()
        while (claimed := queue.claim(name)) is not None:
            mine.append(claimed.id)

    threads = [threading.Thread(target=claimer, args=(f"claimer-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_S)
    every = [job_id for mine in taken.values() for job_id in mine]
    assert sorted(every) == ids, "each job claimed exactly once"
    for name, mine in taken.items():
        for job_id in mine:
            claimed = job(job_id)
            assert (claimed.status, claimed.worker_id, claimed.attempts) == ("running", name, 1)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_claim_skips_a_row_another_transaction_holds(instance):
    first, second = queue_jobs(2)
    with session_scope() as holder:
        holder.execute(select(Job).where(Job.id == first).with_for_update())
        got: list[Job | None] = []
        claimer = threading.Thread(target=lambda: got.append(queue.claim("other")))
        claimer.start()
        claimer.join(10)
        assert not claimer.is_alive(), "a claim never waits for a row another worker holds"
    assert got[0] is not None and got[0].id == second
    assert job(first).status == "queued"


# --- the sweep -----------------------------------------------------------------------------------------------


def test_the_next_worker_marks_dead_workers_jobs_interrupted_and_leaves_live_ones(instance, monkeypatch):
    finished = threading.Event()
    queue.register("test-noop", lambda _job, _progress: finished.set() or {"ok": True})
    live = queue.Heartbeat("worker").start()
    add_worker("elsewhere:1:worker:a", hostname="elsewhere", pid=1, beat_seconds_ago=2)
    add_worker("elsewhere:2:worker:b", hostname="elsewhere", pid=2, beat_seconds_ago=queue.STALE_S + 60)
    add_worker(f"{heartbeat.HOSTNAME}:x:worker:c", hostname=heartbeat.HOSTNAME, pid=dead_pid(), beat_seconds_ago=1)
    add_worker(f"{heartbeat.HOSTNAME}:y:worker:e", hostname=heartbeat.HOSTNAME, pid=os.getpid(), beat_seconds_ago=120)
    mine = running_job(live.id)
    remote = running_job("elsewhere:1:worker:a")
    stale = running_job("elsewhere:2:worker:b")
    killed = running_job(f"{heartbeat.HOSTNAME}:x:worker:c")
    vanished = running_job("nowhere:9:worker:d")  # its worker row is already gone
    held_up = running_job(f"{heartbeat.HOSTNAME}:y:worker:e")  # alive here, its heartbeat held up (the GIL)
    waiting = queue_jobs(1)[0]

    monkeypatch.setattr(heartbeat, "HEARTBEAT_S", 0.1)
    monkeypatch.setattr(queue, "SWEEP_S", 0.2)
    runner = queue.Runner("worker").start()
    try:
        for dead in (stale, killed, vanished):
            assert (job(dead).status, job(dead).message) == ("interrupted", heartbeat.INTERRUPTED)
        for alive in (mine, remote, held_up):
            assert job(alive).status == "running", "a live worker's job is never touched"
        assert jobs.wait(waiting, TIMEOUT_S).status == "done", "the next worker runs what was queued"
        with session_scope() as session:
            workers = set(session.scalars(select(Worker.id)))
        assert {live.id, "elsewhere:1:worker:a", runner.id} <= workers
        assert not workers & {"elsewhere:2:worker:b", f"{heartbeat.HOSTNAME}:x:worker:c"}

        live.stop()  # killed: its row gone, as after the timeout; the periodic sweep finds its job
        until(lambda: job(mine).status == "interrupted", timeout=10)
        assert job(remote).status == "running"
    finally:
        assert runner.stop(TIMEOUT_S)
    assert finished.is_set()


def test_an_inline_cli_import_belongs_to_its_process_and_is_not_swept(instance, tmp_path):
    with session_scope() as session:
        made = patents.start_import(session, owner_id=None, filename="inline.csv")
    assert made.status == "running" and made.worker_id is None, "no worker may claim an inline job"
    progress = jobs.Progress(made.id)
    progress.start()
    owner = job(made.id).worker_id
    assert owner and owner.startswith(f"{heartbeat.HOSTNAME}:{os.getpid()}:inline:")
    with session_scope() as session:
        assert queue.sweep(session) == 0
    progress.finish({"imported": 0})
    with session_scope() as session:
        assert session.get(Worker, owner) is None, "the inline heartbeat ends with the last inline job"


# --- ipoc worker as a process ------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["postgresql"])
def test_ipoc_worker_process_runs_a_queued_import_and_stops_on_sigterm(instance, session, tmp_path):
    staff = make_user(session, "importer", Role.REGION_ADMIN)
    actor = Actor(id=staff.id, label="importer", ip="203.0.113.7")
    with acting_as(actor), session_scope() as inner:
        queued = patents.start_import(inner, owner_id=staff.id, filename="worker.csv", queued=True)
        target = patents._upload_path(f"import-{queued.id}", "worker.csv")
        target.parent.mkdir(parents=True, exist_ok=True)
        write_csv(target, CORPUS)
    assert job(queued.id).status == "queued"

    ipoc = live.IPOC
    worker = subprocess.Popen(
        [ipoc, "worker", "--concurrency", "2"],
        env=live.env_for(instance),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        done = jobs.wait(queued.id, TIMEOUT_S)
        if done.status != "done":
            worker.send_signal(signal.SIGTERM)
            pytest.fail(f"{done.message}\n{worker.communicate(timeout=TIMEOUT_S)[0]}")
        assert done.result["imported"] == len(CORPUS) and done.attempts == 1
        assert done.worker_id and done.worker_id.split(":")[1] == str(worker.pid), "run by the worker process"
        with session_scope() as inner:
            assert inner.scalar(select(func.count()).select_from(Patent)) == len(CORPUS)
            of_job = select(AuditRecord.actor_label, AuditRecord.actor_id).where(
                AuditRecord.entity_type == "Job", AuditRecord.entity_id == str(queued.id)
            )
            actors = {tuple(row) for row in inner.execute(of_job)}
            assert actors == {("importer", staff.id)}, "the worker acts as the user who uploaded the file"
            assert inner.get(Worker, done.worker_id) is not None
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=TIMEOUT_S)[0]
    assert worker.returncode == 0, output
    assert "stopped" in output
    with session_scope() as inner:
        assert inner.get(Worker, done.worker_id) is None, "a clean stop removes the worker's row"


def start_worker(instance: Settings) -> subprocess.Popen:
    ipoc = live.IPOC
    return subprocess.Popen(
        [ipoc, "worker"], env=live.env_for(instance), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_worker_killed_mid_job_has_its_job_marked_interrupted_by_the_next_worker(instance):
    with session_scope() as inner:
        stuck = patents.start_import(inner, owner_id=None, filename="stuck.csv", queued=True)
        fifo = patents._upload_path(f"import-{stuck.id}", "stuck.csv")
        fifo.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(fifo)  # the import blocks reading it: the job is really running when the worker is killed
    first = start_worker(instance)
    try:
        until(lambda: job(stuck.id).status == "running")
        first.kill()
        first.communicate(timeout=TIMEOUT_S)
        assert job(stuck.id).status == "running", "nothing else notices the kill by itself"
        second = start_worker(instance)
        try:
            until(lambda: job(stuck.id).status == "interrupted")
        finally:
            second.send_signal(signal.SIGTERM)
            output = second.communicate(timeout=TIMEOUT_S)[0]
        assert second.returncode == 0, output
    finally:
        first.kill()
        fifo.unlink()
    interrupted = job(stuck.id)
    assert interrupted.message == heartbeat.INTERRUPTED and interrupted.worker_id.split(":")[1] == str(first.pid)


def test_sigterm_releases_a_job_that_outlasts_the_grace_period(instance):
    from ipoc.jobs import worker as job_worker

    started, release = threading.Event(), threading.Event()

    def slow(_job, _progress):
        started.set()
        release.wait(TIMEOUT_S)
        return {"late": True}

    queue.register("test-slow", slow)
    held = queue_jobs(1, kind="test-slow")[0]
    threading.Timer(0.1, lambda: started.wait(TIMEOUT_S) and os.kill(os.getpid(), signal.SIGTERM)).start()
    try:
        assert job_worker.run(concurrency=1, grace=0.5) == 0
    finally:
        release.set()
    time.sleep(0.3)  # the abandoned handler's last progress write must not take the job back
    released = job(held)
    assert (released.status, released.worker_id, released.attempts) == ("queued", None, 1)


# --- web processes -----------------------------------------------------------------------------------------------


SECOND_WEB_PROCESS = """
from fastapi.testclient import TestClient
from ipoc.shell.app import create_app
with TestClient(create_app()) as client:
    assert client.get("/healthz").status_code == 200
print("second web process ran")
"""


def test_a_second_web_process_leaves_the_first_ones_running_job_alone(instance):
    started, release = threading.Event(), threading.Event()

    def blocking(_job, _progress):
        started.set()
        release.wait(TIMEOUT_S)
        return {"ok": True}

    queue.register("test-block", blocking)
    with TestClient(create_web_app(instance)) as client:
        assert client.get("/healthz").status_code == 200
        held = queue_jobs(1, kind="test-block")[0]
        assert started.wait(TIMEOUT_S), "the web process's own runner runs the job"
        second = subprocess.run(
            [sys.executable, "-c", SECOND_WEB_PROCESS],
            env=live.env_for(instance),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
        assert second.returncode == 0, second.stderr
        assert job(held).status == "running", "starting another web process interrupts nothing alive"
        release.set()
        assert jobs.wait(held, TIMEOUT_S).status == "done"


def create_web_app(instance: Settings):
    from ipoc.shell.app import create_app

    return create_app(instance)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_serve_refuses_several_processes_on_sqlite(instance):
    result = CliRunner().invoke(cli, ["serve", "--workers", "2"])
    assert result.exit_code == 2
    assert "SQLite 数据库只能由一个进程写入" in result.output
