"""Search hits are filled in from the database, the source of truth, never from an index's stored copy."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Row, Select, bindparam, select
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


@cache
def _hits_query() -> Select:
    """Built once: constructing the statement cost about as much as running it on a page of 20."""
    return (
        select(*_HIT_COLUMNS, Applicant.name.label("applicant"))
        .outerjoin(PatentApplicant, PatentApplicant.patent_id == Patent.id)
        .outerjoin(Applicant, Applicant.id == PatentApplicant.applicant_id)
        .where(Patent.id.in_(bindparam("ids", expanding=True)))
        .order_by(Patent.id, PatentApplicant.position)
    )


def hydrate(session: Session, patent_ids: list[int]) -> list[SearchHit]:
    """Result rows come from the database, the source of truth, in the ranking's order: one column query (each
    patent with its applicants in order, outer-joined), not ORM objects with every text column of a patent."""
    if not patent_ids:
        return []
    rows: dict[int, Row] = {}
    names: dict[int, list[str]] = {}
    for row in session.execute(_hits_query(), {"ids": list(patent_ids)}):
        rows.setdefault(row.id, row)
        if row.applicant is not None:
            names.setdefault(row.id, []).append(row.applicant)
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
