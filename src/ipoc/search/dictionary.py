"""The editable domain dictionary: terms the segmenter keeps whole, on top of the bundled seed list.

A new term changes how text is split, so it takes effect when the index is rebuilt; until then the search
page says the dictionary has changed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc.errors import Conflict
from ipoc.search.models import DictionaryTerm
from ipoc.search.schemas import DictionaryTermIn
from ipoc.search.text import fold


def list_terms(session: Session) -> list[DictionaryTerm]:
    return list(session.scalars(select(DictionaryTerm).order_by(DictionaryTerm.term)))


def add_term(session: Session, data: DictionaryTermIn) -> DictionaryTerm:
    term = fold(data.term)
    if session.scalar(select(DictionaryTerm.id).where(DictionaryTerm.term == term)):
        raise Conflict("该词条已存在", field="term")
    entry = DictionaryTerm(term=term, note=data.note)
    session.add(entry)
    session.flush()
    return entry


def remove_term(session: Session, term_id: int) -> None:
    entry = session.get(DictionaryTerm, term_id)
    if entry is not None:
        session.delete(entry)
        session.flush()
