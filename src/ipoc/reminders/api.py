"""JSON API of reminders (under /api/v1): the caller's due items and notifications."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from ipoc.reminders import service as reminders
from ipoc.schemas import Timestamp
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


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    text: str
    link: str
    due_on: date | None
    created_at: Timestamp
    read_at: Timestamp | None


@router.get("/reminders/due", response_model=list[DueItemOut])
def due(session: DB, p: LoggedIn):
    return reminders.due_items(session, p)


@router.get("/reminders/notifications", response_model=list[NotificationOut])
def notifications(session: DB, p: LoggedIn):
    return reminders.notifications(session, p)
