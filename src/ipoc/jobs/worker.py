"""``ipoc worker``: run queued jobs out of the web process, and follow the search index.

The first SIGTERM or SIGINT stops claiming and lets the running jobs finish for up to ``grace`` seconds; jobs still
running then (or at a second signal) are released back to the queue for another worker, and the process exits.
A worker killed outright leaves its jobs ``running`` until another runner's sweep sees its heartbeat go stale.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

from sqlalchemy import update

from ipoc.db import rowcount, session_scope
from ipoc.jobs.models import Job
from ipoc.jobs.queue import Runner
from ipoc.search import index_sync

log = logging.getLogger(__name__)


def release(worker_id: str) -> int:
    """Put this worker's running jobs back in the queue (it is stopping before they finished)."""
    with session_scope() as session:
        result = session.execute(
            update(Job)
            .where(Job.worker_id == worker_id, Job.status == "running")
            .values(status="queued", worker_id=None, started_at=None, message="")
        )
    return rowcount(result)


def run(concurrency: int = 1, grace: float = 60.0) -> int:
    """Run until SIGTERM/SIGINT; returns the exit status (0: every claimed job finished or was released)."""
    signals: list[int] = []
    stopping = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        signals.append(signum)
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    runner = Runner("worker", concurrency=concurrency).start()
    index_sync.start_follower()  # this worker writes the search index while it holds the writer lock
    log.info("worker %s running %s job slot(s)", runner.id, runner.concurrency)
    try:
        while not stopping.wait(1.0):
            pass
        log.info("worker %s stopping: %s job(s) running, up to %s s to finish", runner.id, runner.busy, grace)
        deadline = time.monotonic() + grace
        ended = False
        while not ended and len(signals) < 2 and time.monotonic() < deadline:
            ended = runner.stop(timeout=0.2)
        if not ended:
            released = release(runner.id)
            log.warning("worker %s released %s unfinished job(s) back to the queue", runner.id, released)
            runner.heartbeat.stop()
    finally:
        index_sync.stop_follower()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("worker %s stopped", runner.id)
    return 0
