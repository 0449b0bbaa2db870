"""JSON API of reminders (under /api/v1): the caller's due items (their reminder messages: /api/v1/messages)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from ipoc.reminders import service as reminders
from ipoc.web.deps import DB, LoggedIn

router = APIRouter(tags=["待办提醒"])


class DueItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    kind_label: str
    title: str
    due_on: date | None
    link: str
    days_left: int | None
    overdue: bool


@router.get("/reminders/due", response_model=list[DueItemOut])
def due(session: DB, p: LoggedIn):
    return reminders.due_items(session, p)
