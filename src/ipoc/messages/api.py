"""JSON API of the message centre (under /api/v1): the caller's own messages only."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from ipoc.messages import service as messages
from ipoc.messages.schemas import MarkedOut, MessageOut, UnreadOut
from ipoc.schemas import PathId
from ipoc.web.deps import DB, LoggedIn

router = APIRouter(tags=["站内消息"])


@router.get("/messages", response_model=list[MessageOut])
def list_messages(
    session: DB,
    p: LoggedIn,
    unread: bool = False,
    category: Literal["decision", "reminder"] | None = None,
):
    """The caller's messages, unread first, newest first (at most 200)."""
    return messages.list_for(session, p, unread=unread, category=category)


@router.get("/messages/unread", response_model=UnreadOut)
def unread(session: DB, p: LoggedIn):
    return UnreadOut(unread=messages.unread_count(session, p))


@router.post("/messages/read", response_model=MarkedOut)
def mark_all_read(session: DB, p: LoggedIn):
    return MarkedOut(marked=messages.mark_read(session, p))


@router.post("/messages/{message_id}/read", response_model=MarkedOut)
def mark_read(message_id: PathId, session: DB, p: LoggedIn):
    """Mark one of the caller's messages read; another user's message is 404."""
    return MarkedOut(marked=messages.mark_read(session, p, message_id))
