"""A core-domain database as a search restriction: any of its IPC prefixes or keywords, or added by hand."""

from __future__ import annotations

from typing import overload

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc.errors import NotFound
from ipoc.patents.models import IndustryDatabase, IndustryDatabasePatent
from ipoc.search.query import IdSet, Node, Or, Phrase, Term


@overload
def database_restriction(session: Session, database_id: int) -> Node: ...
@overload
def database_restriction(session: Session, database_id: None) -> None: ...
@overload
def database_restriction(session: Session, database_id: int | None) -> Node | None: ...


def database_restriction(session: Session, database_id: int | None) -> Node | None:
    if database_id is None:
        return None
    database = session.get(IndustryDatabase, database_id)
    if database is None:
        raise NotFound("专题库不存在")
    parts: list[Node] = [Term(prefix, "IPC") for prefix in database.ipc_prefixes]
    parts += [Phrase(keyword, "TX") for keyword in database.keywords]
    added = session.scalars(
        select(IndustryDatabasePatent.patent_id).where(IndustryDatabasePatent.database_id == database.id)
    ).all()
    if added:
        parts.append(IdSet(tuple(added)))
    if not parts:
        return IdSet(())
    return parts[0] if len(parts) == 1 else Or(tuple(parts))
