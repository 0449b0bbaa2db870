"""Pages: what is due for the caller, and their notifications with mark-as-read."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ipoc.reminders import service as reminders
from ipoc.schemas import PathId
from ipoc.web.deps import DB, LoggedIn
from ipoc.web.templating import render

router = APIRouter()


@router.get("/reminders")
def reminders_page(request: Request, session: DB, p: LoggedIn):
    ctx = {
        "title": "待办提醒",
        "due": reminders.due_items(session, p),
        "notifications": reminders.notifications(session, p),
    }
    return render(request, "reminders/page.html", ctx)


@router.post("/reminders/notifications/read")
def mark_all_read(session: DB, p: LoggedIn):
    reminders.mark_read(session, p)
    return RedirectResponse("/reminders", status_code=303)


@router.post("/reminders/notifications/{notification_id}/read")
def mark_read(notification_id: PathId, session: DB, p: LoggedIn):
    reminders.mark_read(session, p, notification_id)
    return RedirectResponse("/reminders", status_code=303)
