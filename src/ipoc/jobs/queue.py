"""The job queue in the database: workers claim queued jobs and run them by kind (their heartbeat, and the sweep
of the jobs of workers that are gone, live in ``ipoc.jobs.heartbeat``).

Claiming is one ``UPDATE … WHERE id = (SELECT … LIMIT 1) … RETURNING``: on PostgreSQL the inner select takes
``FOR UPDATE SKIP LOCKED`` so concurrent claimers pass over each other's row; SQLite has one writer at a time and
the ``status = 'queued'`` guard makes a second claim of the same row a no-op. A job of a serial kind waits while
another of its kind runs (the other slots go on with other work).
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from ipoc.audit.context import acting_as
from ipoc.db import session_scope, utcnow
from ipoc.errors import DomainError
from ipoc.jobs import service as jobs
from ipoc.jobs.heartbeat import STALE_S, Heartbeat, sweep
from ipoc.jobs.models import Job, Worker

log = logging.getLogger(__name__)
SWEEP_S = 15.0  # how often a runner looks for jobs of dead workers
POLL_S = 1.0  # how often an idle slot looks at the table when not woken

Handler = Callable[[Job, jobs.Progress], dict[str, Any]]
# kind → "module:function"; imported on first use so that the queue depends on no domain module.
HANDLERS: dict[str, str] = {
    "import": "ipoc.patents.service:import_job",
    "export": "ipoc.search.service:export_job",
    "reindex": "ipoc.search.views:rebuild_job",
    "embed": "ipoc.search.semantic:embedding_job",
    "mail": "ipoc.messages.mail:send_job",
}
_registered: dict[str, Handler] = {}
# Kinds run one job at a time: two embedding runs at once would both embed every passage still missing.
SERIAL_KINDS = ("embed",)


def register(kind: str, handler: Handler) -> None:
    """Add (or, in tests, replace) the handler of a kind."""
    _registered[kind] = handler


def handler_for(kind: str) -> Handler:
    if kind not in _registered:
        target = HANDLERS.get(kind)
        if target is None:
            raise LookupError(f"no handler for job kind {kind!r}")
        module, name = target.split(":")
        _registered[kind] = getattr(importlib.import_module(module), name)
    return _registered[kind]


# --- claiming and running ---------------------------------------------------------------------------------------


def _claimable():
    """The oldest queued job, passing over one of a serial kind while another job of that kind runs."""
    other = aliased(Job)
    busy = exists().where(other.kind == Job.kind, other.status == "running")
    return (
        select(Job.id)
        .where(Job.status == "queued", or_(Job.kind.not_in(SERIAL_KINDS), ~busy))
        .order_by(Job.id)
        .limit(1)
    )


def live_runners(session: Session) -> int:
    """How many job runners (``ipoc worker``, a web process's runner) have beaten recently: none means a queued
    job waits for the next ``ipoc serve`` or ``ipoc worker``."""
    fresh = utcnow() - timedelta(seconds=STALE_S)
    runners = select(func.count()).where(Worker.kind.in_(("web", "worker")), Worker.heartbeat_at >= fresh)
    return session.scalar(runners) or 0


def claim(worker_id: str) -> Job | None:
    """Take the oldest queued job for ``worker_id``, or None when there is none (or another claimer won it)."""
    with session_scope() as session:
        oldest = _claimable()
        if session.scalar(oldest) is None:  # a plain read first: an idle poll takes no write lock
            return None
        session.commit()  # end the read snapshot, so that SQLite's write below need not upgrade it
        if session.get_bind().dialect.name == "postgresql":
            oldest = oldest.with_for_update(skip_locked=True)
        claimed = session.execute(
            update(Job)
            .where(Job.id == oldest.scalar_subquery(), Job.status == "queued")
            .values(status="running", worker_id=worker_id, started_at=utcnow(), attempts=Job.attempts + 1)
            .returning(Job.id)
        ).scalar()
        if claimed is None:
            return None
        return session.get(Job, claimed, populate_existing=True)


def execute(job: Job) -> None:
    """Run a claimed job by its kind's handler, acting as the user who started it; it always ends readable."""
    progress = jobs.Progress(job.id, worker_id=job.worker_id)
    with acting_as(jobs.actor_of(job)):
        try:
            progress.finish(handler_for(job.kind)(job, progress))
        except DomainError as exc:
            progress.fail(exc.message)
        except Exception:  # the job must end in a state the user can read, whatever went wrong
            log.exception("job %s (%s) failed", job.id, job.kind)
            progress.fail("任务执行出错，详情见服务器日志")


class Runner:
    """``concurrency`` job slots and a heartbeat: the body of ``ipoc worker`` and of the web's in-process runner."""

    def __init__(self, kind: str, *, concurrency: int = 1, poll: float | None = None) -> None:
        self.heartbeat = Heartbeat(kind, sweep_every=SWEEP_S)
        self.concurrency = max(1, concurrency)
        self.poll = POLL_S if poll is None else poll
        self._stopping = threading.Event()
        self._slots: list[threading.Thread] = []
        self._busy = 0
        self._busy_lock = threading.Lock()

    @property
    def id(self) -> str:
        return self.heartbeat.id

    @property
    def busy(self) -> int:
        return self._busy

    def start(self) -> Runner:
        self.heartbeat.start()
        with session_scope() as session:
            sweep(session, me=self.id)
        for n in range(self.concurrency):
            slot = threading.Thread(target=self._slot, name=f"ipoc-job-{n}", daemon=True)
            slot.start()
            self._slots.append(slot)
        return self

    def _slot(self) -> None:
        while not self._stopping.is_set():
            seen = jobs.generation()
            try:
                job = claim(self.id)
            except Exception:
                log.warning("claiming a job failed", exc_info=True)
                job = None
            if job is None:
                jobs.wait_for_work(seen, self.poll)
                continue
            with self._busy_lock:
                self._busy += 1
            try:
                execute(job)
            finally:
                with self._busy_lock:
                    self._busy -= 1

    def stop(self, timeout: float | None = None) -> bool:
        """Claim nothing more, let the running jobs finish (up to ``timeout`` s); True when all slots ended.
        A job still running past the timeout keeps its row ``running`` until the next sweep after exit."""
        self._stopping.set()
        jobs.wake()
        for slot in self._slots:
            slot.join(timeout)
        ended = not any(slot.is_alive() for slot in self._slots)
        if ended:
            self.heartbeat.stop()
        return ended


# --- the web process's in-process runner (SQLite default) -----------------------------------------------------

_web_lock = threading.Lock()
_web: dict[str, Any] = {"count": 0, "runner": None}


def start_in_process(concurrency: int) -> None:
    """Start this process's runner (once, however many app lifespans ask for it)."""
    with _web_lock:
        if _web["runner"] is None:
            _web["runner"] = Runner("web", concurrency=concurrency).start()
        _web["count"] += 1


def stop_in_process(timeout: float = 60.0) -> None:
    with _web_lock:
        _web["count"] -= 1
        if _web["count"] > 0 or _web["runner"] is None:
            return
        runner, _web["runner"], _web["count"] = _web["runner"], None, 0
    if not runner.stop(timeout):
        log.warning("in-process jobs still running at shutdown; the next sweep marks them interrupted")
