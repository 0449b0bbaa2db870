"""Jobs: create, report progress, finish; the queue that runs them lives in ``ipoc.jobs.queue``.

A job is a row with a kind and JSON params (who started it included), never a closure, so that any worker
process can run it. Progress is committed in its own short transactions so that a page polling the job sees it
move while the work itself commits in batches. A job run inline (the CLI's import, the demo load) is created
``running`` and belongs to this process's inline heartbeat while it runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, SessionTransaction

from ipoc.audit.context import Actor, current_actor
from ipoc.auth.roles import Principal, Role
from ipoc.db import session_scope, utcnow
from ipoc.errors import NotFound
from ipoc.jobs import heartbeat
from ipoc.jobs.models import Job

log = logging.getLogger(__name__)

# Wakes this process's job slots as soon as a new job is committed (they also poll the table).
_wakeup = threading.Condition()
_generation = 0


def wake() -> None:
    global _generation
    with _wakeup:
        _generation += 1
        _wakeup.notify_all()


def generation() -> int:
    return _generation


def wait_for_work(seen: int, timeout: float) -> None:
    """Sleep until ``wake`` is called after ``seen`` was read, or ``timeout`` seconds pass."""
    with _wakeup:
        if _generation == seen:
            _wakeup.wait(timeout)


def actor_params(actor: Actor) -> dict[str, Any]:
    return {"id": actor.id, "label": actor.label, "ip": actor.ip, "request_id": actor.request_id}


def actor_of(job: Job) -> Actor:
    """Who the job acts as: the user who started it, as recorded in its params."""
    data = (job.params or {}).get("actor") or {}
    return Actor(
        id=data.get("id"), label=data.get("label") or "system", ip=data.get("ip"), request_id=data.get("request_id")
    )


def create(
    session: Session,
    kind: str,
    *,
    owner_id: int | None,
    label: str,
    params: dict[str, Any],
    actor: Actor | None = None,
    inline: bool = False,
) -> Job:
    """Queue a job (``launch``: claimed by a worker once the session commits), or, ``inline``, record one that the
    caller runs itself (created ``running`` so that no worker takes it). A queued job acts as ``actor``, by default
    the one bound to the session (the request's user)."""
    actor = actor or current_actor(session.info)
    job = Job(
        kind=kind,
        owner_id=owner_id,
        label=label,
        params={**params, "actor": actor_params(actor)},
        status="running" if inline else "queued",
        started_at=utcnow() if inline else None,
    )
    if inline:
        session.add(job)
        session.flush()
        return job
    return launch(session, job)


_LAUNCHED = "ipoc_jobs_launched"  # session.info: the open transaction queued a job


def launch(session: Session, job: Job) -> Job:
    """Queue ``job`` in the session's transaction: this process's job runner is woken once that transaction
    commits, never before, so the work starts only with the commit that created it. Nobody commits to launch a
    job; one whose transaction rolls back never existed and never runs."""
    session.add(job)
    session.flush()
    session.info[_LAUNCHED] = True
    return job


@event.listens_for(Session, "after_commit")
def _wake_after_launching_commit(session: Session) -> None:
    """Fired by a savepoint's release too: only the outermost commit makes the job visible to the runner."""
    if not session.in_nested_transaction() and session.info.pop(_LAUNCHED, False):
        wake()


@event.listens_for(Session, "after_transaction_end")
def _forget_launches_of_ended_transaction(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ended without committing (rolled back, closed) launched nothing."""
    if transaction.parent is None:
        session.info.pop(_LAUNCHED, None)


def wait(job_id: int, timeout: float = 30.0, *, poll: float = 0.05) -> Job:
    """Block until the job has ended (for the CLI and tests); raises TimeoutError past ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        with session_scope() as session:
            job = get(session, job_id)
            if job.finished:
                return job
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} still {job.status} after {timeout} s")
        time.sleep(poll)


def get(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound("任务不存在")
    return job


def list_for(session: Session, owner_id: int | None, *, kinds: Iterable[str] = (), limit: int = 20) -> list[Job]:
    """The newest jobs (of one owner, when given; of the given kinds, when given)."""
    stmt = select(Job).order_by(Job.id.desc()).limit(limit)
    if owner_id is not None:
        stmt = stmt.where(Job.owner_id == owner_id)
    if kinds:
        stmt = stmt.where(Job.kind.in_(list(kinds)))
    return list(session.scalars(stmt))


class Progress:
    """Reports a job's progress from inside the work, committing it apart from the work's own transaction."""

    def __init__(self, job_id: int | None, *, min_step: int = 1, worker_id: str | None = None) -> None:
        self.job_id = job_id
        self.worker_id = worker_id  # when given, updates apply only while the job is still this worker's
        self.min_step = min_step
        self._last = -min_step
        self._inline = False

    def start(self, total: int | None = None, message: str = "") -> None:
        """Run an inline job here: it belongs to this process's heartbeat until ``finish`` or ``fail``."""
        values: dict[str, Any] = {"status": "running", "total": total, "started_at": utcnow(), "message": message}
        if self.job_id is not None and not self._inline:
            values["worker_id"] = heartbeat.inline_acquire()
            self._inline = True
        self._set(**values)

    def update(self, done: int, total: int | None = None, message: str | None = None) -> None:
        if done - self._last < self.min_step:
            return
        self._last = done
        values: dict[str, Any] = {"done": done}
        if total is not None:
            values["total"] = total
        if message is not None:
            values["message"] = message
        self._set(**values)

    def finish(self, result: dict[str, Any], message: str = "") -> None:
        self._set(status="done", result=result, message=message, finished_at=utcnow())
        self._release()

    def fail(self, message: str) -> None:
        self._set(status="failed", message=message, finished_at=utcnow())
        self._release()

    def _release(self) -> None:
        if self._inline:
            self._inline = False
            heartbeat.inline_release()

    def _set(self, **values: Any) -> None:
        if self.job_id is None:
            return
        stmt = update(Job).where(Job.id == self.job_id)
        if self.worker_id is not None:
            stmt = stmt.where(Job.worker_id == self.worker_id)
        with session_scope() as session:
            session.execute(stmt.values(**values))


def visible_job(session: Session, principal: Principal, job_id: int) -> Job:
    """A job is its owner's; the region bureau's administrators see every job."""
    job = get(session, job_id)
    if principal.role is Role.REGION_ADMIN or (job.owner_id is not None and job.owner_id == principal.user_id):
        return job
    raise NotFound("任务不存在")
