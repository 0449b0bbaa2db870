"""Saved searches that watch the database: after every import, each is run over the patents that arrived
since it was last checked, and its owner sees the new matches in the app (a count in the navigation bar and
the list on the saved-searches page)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ipoc.auth.roles import Principal
from ipoc.errors import NotFound
from ipoc.patents.models import Patent
from ipoc.search import index_sync
from ipoc.search.hits import hydrate
from ipoc.search.models import SavedSearch
from ipoc.search.query import And, read
from ipoc.search.restriction import database_restriction
from ipoc.search.schemas import SavedSearchIn, SearchHit

KEEP_NEW = 1000  # newest matches kept per saved search until its owner reads them
CHECK_CHUNK = 20_000


def list_for(session: Session, principal: Principal) -> list[SavedSearch]:
    return list(
        session.scalars(select(SavedSearch).where(SavedSearch.owner_id == principal.user_id).order_by(SavedSearch.id))
    )


def _own(session: Session, principal: Principal, saved_id: int) -> SavedSearch:
    entry = session.get(SavedSearch, saved_id)
    if entry is None or entry.owner_id != principal.user_id:
        raise NotFound("保存的检索不存在")
    return entry


def create(session: Session, principal: Principal, data: SavedSearchIn) -> SavedSearch:
    read(data.query)  # refuse a deliberate query that cannot run, with the parser's message
    database_restriction(session, data.database_id)  # and one over a database that does not exist
    entry = SavedSearch(
        owner_id=principal.user_id,
        name=data.name,
        query=data.query,
        filters=data.filters,
        mode=data.mode,
        database_id=data.database_id,
        notify=data.notify,
        seen_max_id=session.scalar(select(func.max(Patent.id))) or 0,
        new_patent_ids=[],
    )
    session.add(entry)
    session.flush()
    return entry


def delete(session: Session, principal: Principal, saved_id: int) -> None:
    session.delete(_own(session, principal, saved_id))
    session.flush()


def unread_count(session: Session, principal: Principal) -> int:
    return sum(entry.new_count for entry in list_for(session, principal) if entry.notify)


def take_new(session: Session, principal: Principal, saved_id: int) -> list[SearchHit]:
    """The new matches, newest first; reading them clears the reminder."""
    entry = _own(session, principal, saved_id)
    hits = hydrate(session, sorted(entry.new_patent_ids or [], reverse=True))
    entry.new_patent_ids = []
    session.flush()
    return hits


def check_all(session: Session) -> int:
    """Run every saved search over the patents added since it was last checked; returns new matches found."""
    newest = session.scalar(select(func.max(Patent.id))) or 0
    index = index_sync.lexical(session).index
    found = 0
    for entry in session.scalars(select(SavedSearch).where(SavedSearch.seen_max_id < newest)):
        matches = _matches_between(session, index, entry, entry.seen_max_id, newest)
        if matches:
            entry.new_patent_ids = sorted({*entry.new_patent_ids, *matches})[-KEEP_NEW:]
            found += len(matches)
        entry.seen_max_id = newest
    session.flush()
    return found


def _matches_between(session: Session, index, entry: SavedSearch, after: int, upto: int) -> list[int]:
    node = read(entry.query).node
    restriction = database_restriction(session, entry.database_id)
    if restriction is not None:
        node = restriction if node is None else And((node, restriction))
    matches: list[int] = []
    ids = select(Patent.id).where(Patent.id > after, Patent.id <= upto).order_by(Patent.id)
    batch: list[int] = []
    for patent_id in session.scalars(ids):
        batch.append(patent_id)
        if len(batch) >= CHECK_CHUNK:
            matches += index.filter_ids(batch, query=node, filters=entry.filters)
            batch = []
    if batch:
        matches += index.filter_ids(batch, query=node, filters=entry.filters)
    return matches
