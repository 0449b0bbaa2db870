"""Search hits are filled in from the database, the source of truth, never from an index's stored copy."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc.patents.models import Patent
from ipoc.search.schemas import SearchHit


def hydrate(session: Session, patent_ids: list[int]) -> list[SearchHit]:
    """Result rows come from the database, the source of truth, in the ranking's order."""
    if not patent_ids:
        return []
    patents = {p.id: p for p in session.scalars(select(Patent).where(Patent.id.in_(patent_ids)))}
    hits = []
    for pid in patent_ids:
        patent = patents.get(pid)
        if patent is None:  # deleted since it was indexed
            continue
        hits.append(
            SearchHit(
                application_no=patent.application_no,
                score=0.0,
                title=patent.title,
                patent_id=patent.id,
                kind=patent.kind,
                applicants=[a.name for a in patent.applicants],
                application_date=patent.application_date,
                status_class=patent.status_class,
            )
        )
    return hits
