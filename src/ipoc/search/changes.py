"""The patent change counter: every transaction that changes patents takes the next revision, and each
index records the revision it holds, so that an index behind the database knows it and catches up."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ipoc.search.models import ChangeCounter

PATENTS = "patents"


def next_rev(session: Session) -> int:
    """Lock the counter row until commit, so that revisions become visible in the order they were taken."""
    current = session.scalar(select(ChangeCounter.value).where(ChangeCounter.name == PATENTS).with_for_update())
    rev = (current or 0) + 1
    session.execute(update(ChangeCounter).where(ChangeCounter.name == PATENTS).values(value=rev))
    return rev


def current_rev(session: Session) -> int:
    return session.scalar(select(ChangeCounter.value).where(ChangeCounter.name == PATENTS)) or 0
