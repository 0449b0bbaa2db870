"""Search hits are filled in from the database, the source of truth, never from an index's stored copy."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc.patents.models import Applicant, Patent, PatentApplicant
from ipoc.search.schemas import SearchHit

_HIT_COLUMNS = (
    Patent.id,
    Patent.application_no,
    Patent.title,
    Patent.kind,
    Patent.application_date,
    Patent.status_class,
)


def hydrate(session: Session, patent_ids: list[int]) -> list[SearchHit]:
    """Result rows come from the database, the source of truth, in the ranking's order: two column queries (the
    patents, their applicants in order), not ORM objects with every text column of a patent."""
    if not patent_ids:
        return []
    rows = {row.id: row for row in session.execute(select(*_HIT_COLUMNS).where(Patent.id.in_(patent_ids)))}
    names: dict[int, list[str]] = {}
    for patent_id, name in session.execute(
        select(PatentApplicant.patent_id, Applicant.name)
        .join(Applicant, Applicant.id == PatentApplicant.applicant_id)
        .where(PatentApplicant.patent_id.in_(rows))
        .order_by(PatentApplicant.patent_id, PatentApplicant.position)
    ):
        names.setdefault(patent_id, []).append(name)
    return [
        SearchHit(
            application_no=row.application_no,
            score=0.0,
            title=row.title,
            patent_id=row.id,
            kind=row.kind,
            applicants=names.get(row.id, []),
            application_date=row.application_date,
            status_class=row.status_class,
        )
        for row in (rows.get(pid) for pid in patent_ids)
        if row is not None  # deleted since it was indexed
    ]
