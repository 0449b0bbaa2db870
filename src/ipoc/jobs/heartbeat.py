"""The processes that run jobs and their heartbeat: a job's owner is alive, or its running jobs are swept.

Every process that runs jobs (``ipoc worker``, the web process's in-process runner on the SQLite default, an
inline CLI import) has a ``workers`` row whose heartbeat it refreshes every few seconds. A running job names its
worker; the sweep, run by every runner at start and periodically, marks interrupted the running jobs whose worker
is gone: it ran on this host under a pid that is no longer alive, or on another host and its heartbeat is stale.
A live process's jobs are never touched, so a second web process or worker starting up leaves the first one's work
alone. Below both ``ipoc.jobs.service`` (an inline job belongs to this process's heartbeat) and ``ipoc.jobs.queue``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from ipoc.db import rowcount, session_scope, utcnow
from ipoc.jobs.models import Job, Worker

log = logging.getLogger(__name__)
INTERRUPTED = "执行任务的进程已停止，任务被中断，可重新发起（已完成部分不会重复）"
HOSTNAME = socket.gethostname()[:200]
HEARTBEAT_S = 5.0  # how often a worker refreshes its heartbeat
STALE_S = 30.0  # a heartbeat older than this means a worker of another host is gone
LOCAL_STALE_S = 600.0  # on this host the pid says; this only catches a pid reused since by another process


# --- workers and their heartbeat ------------------------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, under another user
        return True
    return True


class Heartbeat:
    """This process's ``workers`` row, refreshed by a daemon thread (which also sweeps) until ``stop``."""

    def __init__(self, kind: str, *, interval: float | None = None, sweep_every: float | None = None) -> None:
        self.kind = kind
        self.id = f"{HOSTNAME}:{os.getpid()}:{kind}:{uuid.uuid4().hex[:8]}"
        self.interval = HEARTBEAT_S if interval is None else interval
        self.sweep_every = sweep_every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Heartbeat:
        with session_scope() as session:
            session.add(Worker(id=self.id, kind=self.kind, hostname=HOSTNAME, pid=os.getpid()))
        self._thread = threading.Thread(target=self._loop, name=f"ipoc-heartbeat-{self.kind}", daemon=True)
        self._thread.start()
        return self

    def beat(self) -> None:
        """Refresh the heartbeat; a row swept away meanwhile (the process was paused past the timeout) returns."""
        with session_scope() as session:
            found = session.execute(update(Worker).where(Worker.id == self.id).values(heartbeat_at=utcnow()))
            if not rowcount(found):
                session.add(Worker(id=self.id, kind=self.kind, hostname=HOSTNAME, pid=os.getpid()))

    def _loop(self) -> None:
        since_sweep = 0.0
        while not self._stop.wait(self.interval):
            try:
                self.beat()
                since_sweep += self.interval
                if self.sweep_every is not None and since_sweep >= self.sweep_every:
                    since_sweep = 0.0
                    with session_scope() as session:
                        sweep(session, me=self.id)
            except Exception:  # a database hiccup must not end the heartbeat; the next beat tries again
                log.warning("heartbeat of %s failed", self.id, exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)
        try:
            with session_scope() as session:
                session.execute(delete(Worker).where(Worker.id == self.id))
        except Exception:
            log.warning("could not remove worker %s", self.id, exc_info=True)


def _gone(worker: Worker, now: datetime, cutoff: datetime) -> bool:
    """Another host's worker is gone when its heartbeat is stale. One of this host is gone when its pid is: a
    live process whose heartbeat thread was held up (a long native call keeping the GIL) keeps its jobs."""
    if worker.hostname != HOSTNAME:
        return worker.heartbeat_at < cutoff
    return not pid_alive(worker.pid) or worker.heartbeat_at < now - timedelta(seconds=LOCAL_STALE_S)


def sweep(session: Session, *, me: str | None = None, stale_after: float | None = None) -> int:
    """Forget the workers that are gone and mark their running jobs interrupted; returns how many jobs."""
    now = utcnow()
    cutoff = now - timedelta(seconds=STALE_S if stale_after is None else stale_after)
    gone = [worker.id for worker in session.scalars(select(Worker)) if worker.id != me and _gone(worker, now, cutoff)]
    if gone:
        session.execute(delete(Worker).where(Worker.id.in_(gone)))
    orphaned = or_(
        and_(Job.worker_id.is_not(None), Job.worker_id.not_in(select(Worker.id))),
        # an inline job whose process died between creating it and starting it
        and_(Job.worker_id.is_(None), Job.created_at < cutoff),
    )
    result = session.execute(
        update(Job)
        .where(Job.status == "running", orphaned)
        .values(status="interrupted", message=INTERRUPTED, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    interrupted = rowcount(result)
    if interrupted:
        log.warning("marked %s job(s) of stopped workers interrupted", interrupted)
    return interrupted


# --- inline jobs (the CLI's import, the demo load) -----------------------------------------------------------

_inline_lock = threading.Lock()
_inline: dict[str, Any] = {"count": 0, "heartbeat": None}


def inline_acquire() -> str:
    """The worker id of this process's inline jobs, its heartbeat started by the first of them."""
    with _inline_lock:
        if _inline["heartbeat"] is None:
            _inline["heartbeat"] = Heartbeat("inline").start()
        _inline["count"] += 1
        return _inline["heartbeat"].id


def inline_release() -> None:
    with _inline_lock:
        _inline["count"] -= 1
        if _inline["count"] <= 0 and _inline["heartbeat"] is not None:
            _inline["heartbeat"].stop()
            _inline.update(count=0, heartbeat=None)
