"""The message centre's pages: the caller's own messages (unread first), filters, mark read, e-mail copies."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request

from ipoc.auth.models import User
from ipoc.config import get_settings
from ipoc.messages import service as messages
from ipoc.messages.models import CATEGORIES
from ipoc.messages.schemas import EmailIn
from ipoc.schemas import PathId
from ipoc.web.deps import DB, LoggedIn
from ipoc.web.forms import Posted, see_other, submit
from ipoc.web.templating import render

router = APIRouter()
PAGE = "/messages"


def _page(request: Request, session: DB, p: LoggedIn, *, show: str, category: str | None, **form: Any):
    """The page; after a refused e-mail form, with its ``errors``, ``values`` and ``status_code``."""
    status_code = form.pop("status_code", 200)
    user = session.get(User, p.user_id)
    assert user is not None  # login_required found this user for the request
    ctx = {
        "title": "站内消息",
        "messages": messages.list_for(session, p, unread=show == "unread", category=category),
        "show": show,
        "category": category or "",
        "categories": CATEGORIES,
        "email": user.email or "",
        "smtp": bool(get_settings().smtp_host),
        **form,
    }
    return render(request, "messages/page.html", ctx, status_code=status_code)


@router.get(PAGE)
def messages_page(
    request: Request,
    session: DB,
    p: LoggedIn,
    show: Literal["all", "unread"] = "all",
    category: Literal["", "decision", "reminder"] = "",
):
    return _page(request, session, p, show=show, category=category or None)


@router.post(f"{PAGE}/read")
def mark_all_read(session: DB, p: LoggedIn):
    messages.mark_read(session, p)
    return see_other(PAGE)


@router.post(PAGE + "/{message_id}/read")
def mark_read(message_id: PathId, session: DB, p: LoggedIn):
    messages.mark_read(session, p, message_id)
    return see_other(PAGE)


@router.post(f"{PAGE}/email")
def set_email(request: Request, posted: Posted, session: DB, p: LoggedIn):
    form, user = submit(posted, session, EmailIn, lambda data: messages.set_email(session, p, data.email))
    if user is None:
        return _page(
            request,
            session,
            p,
            show="all",
            category=None,
            errors=form.errors,
            values=form.values,
            status_code=form.status,
        )
    return see_other(PAGE)
