"""Pages: what is due for the caller (their reminder messages are in the message centre, /messages)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ipoc.reminders import service as reminders
from ipoc.web.deps import DB, LoggedIn
from ipoc.web.export import xlsx_response
from ipoc.web.templating import render

router = APIRouter()


@router.get("/reminders")
def reminders_page(request: Request, session: DB, p: LoggedIn):
    return render(request, "reminders/page.html", {"title": "待办提醒", "due": reminders.due_items(session, p)})


@router.get("/reminders.xlsx")
def due_export(session: DB, p: LoggedIn):
    """The caller's due list as on the page: soonest deadline first, undated items last."""
    headers = ["类别", "事项", "截止日期", "剩余天数", "是否逾期"]
    rows = [
        [d.kind_label, d.title, d.due_on, d.days_left, "是" if d.overdue else ""]
        for d in reminders.due_items(session, p)
    ]
    return xlsx_response(
        session, title="待办事项", filename="待办事项.xlsx", headers=headers, rows=rows, entity_type="due_items"
    )
