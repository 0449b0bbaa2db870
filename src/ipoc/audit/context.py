"""Who is acting: set per request by the web layer and per command by the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    id: int | None
    label: str
    ip: str | None = None
    request_id: str | None = None


SYSTEM = Actor(id=None, label="system")
_current: ContextVar[Actor] = ContextVar("ipoc_actor", default=SYSTEM)


SESSION_KEY = "ipoc_actor"


def current_actor(session_info: dict | None = None) -> Actor:
    """The actor bound to a database session (web requests), else the one of this context (CLI)."""
    if session_info and SESSION_KEY in session_info:
        return session_info[SESSION_KEY]
    return _current.get()


def bind_actor(session_info: dict, actor: Actor) -> None:
    session_info[SESSION_KEY] = actor


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)
