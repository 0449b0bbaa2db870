"""JSON API of events (under /api/v1); who sees and does what is decided in the service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Response
from fastapi import status as http

from ipoc.auth.roles import Role
from ipoc.events import service as svc
from ipoc.events.models import TechEvent
from ipoc.events.schemas import (
    AttendanceIn,
    AttendanceOut,
    CancelIn,
    EventIn,
    EventOut,
    ItemIn,
    ItemOut,
    SignupIn,
    SignupOut,
    WalkInIn,
)
from ipoc.schemas import PathId, QueryId, request_input
from ipoc.web.deps import DB, CurrentPrincipal, LoggedIn

router = APIRouter(tags=["对接活动"])


def event_out(e: TechEvent) -> EventOut:
    return EventOut(
        id=e.id,
        center_id=e.center_id,
        center=e.center.name if e.center else None,
        kind=e.kind,
        kind_label=e.kind_label,
        title=e.title,
        starts_at=e.starts_at,
        ends_at=e.ends_at,
        place=e.place,
        organisers=e.organisers,
        description=e.description,
        capacity=e.capacity,
        signup_deadline=e.signup_deadline,
        public=e.public,
        state=e.state,
        state_label=e.state_label,
        status=e.state,  # the key before the state column had one name everywhere
        status_label=e.state_label,
        cancel_reason=e.cancel_reason,
        signups=e.signup_count,
        attended=e.attended_count,
        attendance_rate=e.attendance_rate,
    )


def _attendance(e: TechEvent) -> AttendanceOut:
    return AttendanceOut(signups=e.signup_count, attended=e.attended_count, attendance_rate=e.attendance_rate)


@router.get("/events", response_model=list[EventOut])
def list_events(session: DB, p: CurrentPrincipal, kind: str = "", status: str = "", center_id: QueryId = None):
    rows = svc.list_events(session, p, kind=kind or None, state=status or None, center_id=center_id)
    return [event_out(e) for e in rows]


@router.post("/events", status_code=http.HTTP_201_CREATED, response_model=EventOut)
def create_event(data: EventIn, session: DB, p: LoggedIn):
    return event_out(svc.create_event(session, p, data))


@router.get("/events/{event_id}", response_model=EventOut)
def get_event(event_id: PathId, session: DB, p: CurrentPrincipal):
    return event_out(svc.get_event(session, p, event_id))


@router.patch("/events/{event_id}", response_model=EventOut)
def update_event(event_id: PathId, session: DB, p: LoggedIn, changes: dict[str, Any] = Body()):
    current = svc.event_input(svc.managed_event(session, p, event_id))
    return event_out(svc.update_event(session, p, event_id, request_input(EventIn, current | changes)))


@router.get("/events/{event_id}/items", response_model=list[ItemOut])
def list_items(event_id: PathId, session: DB, p: CurrentPrincipal):
    return [ItemOut(**svc.item_fields(i)) for i in svc.get_event(session, p, event_id).items]


@router.post("/events/{event_id}/items", status_code=http.HTTP_201_CREATED, response_model=ItemOut)
def add_item(event_id: PathId, data: ItemIn, session: DB, p: LoggedIn):
    return ItemOut(**svc.item_fields(svc.add_item(session, p, event_id, data)))


@router.delete("/events/{event_id}/items/{item_id}", status_code=http.HTTP_204_NO_CONTENT)
def remove_item(event_id: PathId, item_id: PathId, session: DB, p: LoggedIn):
    svc.remove_item(session, p, event_id, item_id)
    return Response(status_code=http.HTTP_204_NO_CONTENT)


@router.get("/events/{event_id}/signups", response_model=list[SignupOut])
def list_signups(event_id: PathId, session: DB, p: LoggedIn):
    event = svc.get_event(session, p, event_id)
    view = svc.require_participant_list(p, event)
    return [SignupOut(**svc.signup_fields(s, view)) for s in svc.participants(p, event)]


@router.post("/events/{event_id}/signups", status_code=http.HTTP_201_CREATED, response_model=SignupOut)
def add_signup(event_id: PathId, session: DB, p: LoggedIn, body: dict[str, Any] = Body()):
    """A member signs up its own organisation; the organising staff enter a walk-in (org_id or org_name)."""
    if p.is_(Role.CENTER_STAFF):
        entry = svc.walk_in(session, p, event_id, request_input(WalkInIn, body))
        return SignupOut(**svc.signup_fields(entry, svc.FULL))
    entry = svc.signup(session, p, event_id, request_input(SignupIn, body))
    return SignupOut(**svc.signup_fields(entry, svc.OWN))


@router.delete("/events/{event_id}/signups/mine", status_code=http.HTTP_204_NO_CONTENT)
def withdraw_signup(event_id: PathId, session: DB, p: LoggedIn):
    """A member takes back its organisation's sign-up before the event starts."""
    svc.withdraw_signup(session, p, event_id)
    return Response(status_code=http.HTTP_204_NO_CONTENT)


@router.get("/events/{event_id}/attendance", response_model=AttendanceOut)
def get_attendance(event_id: PathId, session: DB, p: CurrentPrincipal):
    return _attendance(svc.get_event(session, p, event_id))


@router.put("/events/{event_id}/attendance", response_model=AttendanceOut)
def mark_attendance(event_id: PathId, data: AttendanceIn, session: DB, p: LoggedIn):
    return _attendance(svc.mark_attendance(session, p, event_id, data))


@router.post("/events/{event_id}/{action}", response_model=EventOut)
def transition(event_id: PathId, action: str, session: DB, p: LoggedIn, body: dict[str, Any] | None = Body(None)):
    """open, close, reopen, hold, cancel (with {"reason": …})."""
    reason = request_input(CancelIn, body or {}).reason if action == "cancel" else ""
    return event_out(svc.transition(session, p, event_id, action, reason))
