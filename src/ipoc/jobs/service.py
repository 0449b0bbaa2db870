"""Jobs: create, report progress, finish; and run one in a background thread of the web process.

Progress is committed in its own short transactions so that a page polling the job sees it move while the
work itself commits in batches; a job found ``running`` at start-up was cut off and is marked interrupted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ipoc.audit.context import Actor, acting_as
from ipoc.auth.roles import Principal, Role
from ipoc.db import session_scope, utcnow
from ipoc.errors import DomainError, NotFound
from ipoc.jobs.models import Job

log = logging.getLogger(__name__)
INTERRUPTED = "服务重启时任务被中断，可重新发起（已完成部分不会重复）"
_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ipoc-job")


def create(session: Session, kind: str, *, owner_id: int | None, label: str, params: dict[str, Any]) -> Job:
    job = Job(kind=kind, owner_id=owner_id, label=label, params=params)
    session.add(job)
    session.flush()
    return job


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

    def __init__(self, job_id: int | None, *, min_step: int = 1) -> None:
        self.job_id = job_id
        self.min_step = min_step
        self._last = -min_step

    def start(self, total: int | None = None, message: str = "") -> None:
        self._set(status="running", total=total, started_at=utcnow(), message=message)

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

    def fail(self, message: str) -> None:
        self._set(status="failed", message=message, finished_at=utcnow())

    def _set(self, **values: Any) -> None:
        if self.job_id is None:
            return
        with session_scope() as session:
            session.execute(update(Job).where(Job.id == self.job_id).values(**values))


def run_in_background(job_id: int, actor: Actor, work: Callable[[Progress], dict[str, Any]]) -> Future[None]:
    """Run ``work`` for the job in a worker thread, acting as the user who started it."""
    return _executor.submit(_run, job_id, actor, work)


def _run(job_id: int, actor: Actor, work: Callable[[Progress], dict[str, Any]]) -> None:
    progress = Progress(job_id)
    with acting_as(actor):
        try:
            progress.start()
            progress.finish(work(progress))
        except DomainError as exc:
            progress.fail(exc.message)
        except Exception:  # the job must end in a state the user can read, whatever went wrong
            log.exception("job %s failed", job_id)
            progress.fail("任务执行出错，详情见服务器日志")


def mark_interrupted(session: Session) -> int:
    """At start-up: a job still marked running or queued was cut off by the last shutdown."""
    result = session.execute(
        update(Job)
        .where(Job.status.in_(["running", "queued"]))
        .values(status="interrupted", message=INTERRUPTED, finished_at=utcnow())
    )
    return result.rowcount or 0


def visible_job(session: Session, principal: Principal, job_id: int) -> Job:
    """A job is its owner's; the region bureau's administrators see every job."""
    job = get(session, job_id)
    if principal.role is Role.REGION_ADMIN or (job.owner_id is not None and job.owner_id == principal.user_id):
        return job
    raise NotFound("任务不存在")
