"""Database engine and sessions: SQLite (WAL, foreign keys) by default, PostgreSQL in production."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, CursorResult, DateTime, Engine, MetaData, Result, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from ipoc.config import get_settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Naive UTC, stored the same way on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_savepoint_inside_transaction(connection: Connection, _name: str | None) -> None:
    """Open the transaction before a savepoint that would otherwise be the outermost one.

    The sqlite3 driver begins a transaction only before a data-changing statement, so a SAVEPOINT issued first
    (a refusable action that is the request's first write) would start one itself, and its RELEASE would commit
    the request's work at once. Beginning here keeps the savepoint nested: it is committed or rolled back with the
    session. IMMEDIATE takes the write lock now (waiting ``busy_timeout`` for it), as the driver's own BEGIN before
    the first write would: a deferred one would read the action's first rows from a snapshot that a concurrent
    commit could make impossible to write from (SQLITE_BUSY_SNAPSHOT, which no waiting cures)."""
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is not None and not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN IMMEDIATE")


_engines: dict[str, Engine] = {}
_factories: dict[str, sessionmaker[Session]] = {}


def _pool_args() -> dict[str, object]:
    """The connection pool sized with the web process's thread pool and request slots (see Settings); a request
    that gets no connection within ``db_pool_timeout_s`` fails (503) instead of waiting on forever."""
    s = get_settings()
    return {"pool_size": s.db_pool_size, "max_overflow": s.db_max_overflow, "pool_timeout": s.db_pool_timeout_s}


def engine_for(url: str) -> Engine:
    """One engine (and pool) per database URL, so instances side by side never share connections."""
    if url not in _engines:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False}, **_pool_args())
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "savepoint", _sqlite_savepoint_inside_transaction)
        else:
            engine = create_engine(url, pool_pre_ping=True, **_pool_args())
        _engines[url] = engine
    return _engines[url]


def dispose_engine(url: str) -> None:
    engine = _engines.pop(url, None)
    _factories.pop(url, None)
    if engine is not None:
        engine.dispose()


def get_engine() -> Engine:
    return engine_for(get_settings().sqlalchemy_url)


def session_factory() -> sessionmaker[Session]:
    url = get_settings().sqlalchemy_url
    if url not in _factories:
        _factories[url] = sessionmaker(bind=engine_for(url), expire_on_commit=False)
    return _factories[url]


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched: `Session.execute` is typed as returning a plain `Result`, but for a
    statement without RETURNING it is a `CursorResult`, which carries the count."""
    assert isinstance(result, CursorResult), "only a statement without RETURNING has a row count"
    return result.rowcount


@contextmanager
def session_scope() -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error so nothing is half-written."""
    session = session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
