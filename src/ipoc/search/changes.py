"""The change counters: every transaction that changes patents takes the next revision, and each index records
the revision it holds, so that an index behind the database knows it and catches up. A second counter,
``vectors``, is bumped when stored passage vectors were added, so that the index writer (whichever process it is)
learns that its vector index is behind.

A session that took a patent revision is marked (``session.info[REV_KEY]``); when it commits, the index writer
catches up (``ipoc.search.index_sync`` listens for that commit: a module that takes revisions imports it)."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ipoc.db import rowcount
from ipoc.search.models import ChangeCounter

PATENTS = "patents"
VECTORS = "vectors"
REV_KEY = "ipoc.patents_rev"  # in session.info: the revision this transaction took, until it commits


def next_rev(session: Session) -> int:
    """Lock the counter row until commit, so that revisions become visible in the order they were taken."""
    current = session.scalar(select(ChangeCounter.value).where(ChangeCounter.name == PATENTS).with_for_update())
    rev = (current or 0) + 1
    session.execute(update(ChangeCounter).where(ChangeCounter.name == PATENTS).values(value=rev))
    session.info[REV_KEY] = rev
    return rev


def current_rev(session: Session) -> int:
    return session.scalar(select(ChangeCounter.value).where(ChangeCounter.name == PATENTS)) or 0


def revisions(session: Session) -> tuple[int, int]:
    """(patents revision, vectors revision) in one query: what the index follower polls."""
    values: dict[str, int] = {
        name: value for name, value in session.execute(select(ChangeCounter.name, ChangeCounter.value))
    }
    return values.get(PATENTS, 0) or 0, values.get(VECTORS, 0) or 0


def bump_vectors(session: Session) -> int:
    """Say that passage vectors were stored; the row is created on first use (no migration needed)."""
    for _ in range(2):
        bumped = session.execute(
            update(ChangeCounter).where(ChangeCounter.name == VECTORS).values(value=ChangeCounter.value + 1)
        )
        if rowcount(bumped):
            return session.scalar(select(ChangeCounter.value).where(ChangeCounter.name == VECTORS)) or 0
        try:
            with session.begin_nested():
                session.execute(insert(ChangeCounter).values(name=VECTORS, value=1))
            return 1
        except IntegrityError:  # another process created it meanwhile: bump that one
            continue
    raise RuntimeError("vectors change counter could not be bumped")
