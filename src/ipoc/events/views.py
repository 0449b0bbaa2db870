"""Pages of events: the list (upcoming and past, with filters and XLSX export), the new/edit form and the
event page with its presented items, sign-up, participant list, attendance, contacts and state buttons.
A refused form on the event page is shown again on that page, next to its field."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData

from ipoc.centers.models import Center
from ipoc.errors import NotFound
from ipoc.events import flows
from ipoc.events import service as svc
from ipoc.events.models import EVENT_KINDS, EVENT_STATES, PARTICIPANT_ROLES
from ipoc.events.schemas import AttendanceIn, CancelIn, EventIn, ItemIn, SignupIn, WalkInIn
from ipoc.schemas import PathId, QueryId
from ipoc.web.deps import DB, CurrentPrincipal, LoggedIn
from ipoc.web.export import named, xlsx_response
from ipoc.web.forms import FormResult, OrgFields, Posted, see_other, submit
from ipoc.web.templating import render

router = APIRouter()


def _filters(kind: str, status: str, center_id: int | None) -> dict[str, Any]:
    return {"kind": kind or None, "state": status or None, "center_id": center_id}


@router.get("/events")
def events(
    request: Request, session: DB, p: CurrentPrincipal, kind: str = "", status: str = "", center_id: QueryId = None
):
    upcoming, past = svc.split_by_time(svc.list_events(session, p, **_filters(kind, status, center_id)))
    ctx = {
        "title": "对接活动",
        "upcoming": upcoming,
        "past": past,
        "kinds": list(EVENT_KINDS.items()),
        "states": list(EVENT_STATES.items()),
        "centers": [(c.id, c.name) for c in session.query(Center).order_by(Center.id)],
        "f": {"kind": kind, "status": status, "center_id": center_id},
        "fmt": svc.fmt,
    }
    return render(request, "events/list.html", ctx)


@router.get("/events/export")
def export_events(session: DB, p: CurrentPrincipal, kind: str = "", status: str = "", center_id: QueryId = None):
    rows = svc.event_rows(svc.list_events(session, p, **_filters(kind, status, center_id)))
    return xlsx_response(
        session, title="对接活动", filename="对接活动.xlsx", headers=svc.EVENT_HEADERS, rows=rows,
        entity_type="tech_events",
        filters={"类型": EVENT_KINDS.get(kind, kind), "状态": EVENT_STATES.get(status, status),
                 "运营中心": named(session, Center, center_id)},
    )  # fmt: skip


def _event_form(request: Request, action: str, form: FormResult | None = None, values=None):
    ctx = {
        "title": "新建对接活动" if action.endswith("new") else "修改对接活动",
        "action": action,
        "kinds": list(EVENT_KINDS.items()),
        "errors": form.errors if form else {},
        "values": form.values if form else (values or {"kind": "matchmaking", "audience": "public"}),
    }
    return render(request, "events/form.html", ctx, status_code=form.status if form else 200)


@router.get("/events/new")
def new_event(request: Request, p: LoggedIn):
    return _event_form(request, "/events/new")


@router.post("/events/new")
def create_event(request: Request, posted: Posted, session: DB, p: LoggedIn):
    form, event = submit(posted, session, EventIn, lambda data: svc.create_event(session, p, data))
    return see_other(f"/events/{event.id}") if event else _event_form(request, "/events/new", form)


@router.get("/events/{event_id}")
def event_detail(event_id: PathId, request: Request, session: DB, p: CurrentPrincipal):
    return _detail(request, session, p, event_id)


def _detail(request: Request, session: DB, p, event_id: int, form_name: str = "", form: FormResult | None = None):
    """The event page; ``form_name``/``form`` carry a refused form back to where it was filled in."""
    event = svc.get_event(session, p, event_id)
    view = svc.participant_view(p, event)
    manage = svc.organises(p, event)
    ctx = {
        "title": event.title,
        "e": event,
        "fmt": svc.fmt,
        "items": [svc.item_fields(i) for i in event.items],
        "view": view,
        "people": [svc.signup_fields(s, view) for s in svc.participants(p, event)],
        "own_signup": any(s.org_id == p.org_id for s in event.signups) if p.org_id else False,
        "manage": manage,
        "steps": flows.EVENTS.available(event.state, None) if manage else [],
        "on_the_day": manage and svc.attendance_open(event),
        "roles": list(PARTICIPANT_ROLES.items()),
        "contacts": svc.event_contacts(session, p, event),
        "sees_contacts": svc.sees_contacts(p, event),
        "presentable": svc.presentable(session) if manage and event.state in flows.EDITABLE else None,
        "form_name": form_name,
        "errors": form.errors if form else {},
        "values": form.values if form else {},
    }
    return render(request, "events/detail.html", ctx, status_code=form.status if form else 200)


@router.get("/events/{event_id}/edit")
def edit_event(event_id: PathId, request: Request, session: DB, p: LoggedIn):
    event = svc.managed_event(session, p, event_id)
    return _event_form(request, f"/events/{event_id}/edit", values=svc.event_input(event))


@router.post("/events/{event_id}/edit")
def update_event(event_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    form, _ = submit(posted, session, EventIn, lambda data: svc.update_event(session, p, event_id, data))
    return _event_form(request, f"/events/{event_id}/edit", form) if form.errors else see_other(f"/events/{event_id}")


@router.get("/events/{event_id}/signups/export")
def export_participants(event_id: PathId, session: DB, p: LoggedIn):
    event = svc.get_event(session, p, event_id)
    rows = svc.participant_rows(p, event)
    return xlsx_response(
        session, title=f"参会名单：{event.title}", filename=f"参会名单-{event.id}.xlsx",
        headers=svc.PARTICIPANT_HEADERS, rows=rows, entity_type="tech_event_signups",
    )  # fmt: skip


def _on_page(
    request: Request, posted: FormData, session: DB, p, event_id: int, name: str, model, action, lists=(), orgs=None
):
    """A form posted from the event page: back to the page on success, the page with the error otherwise."""
    form, _ = submit(posted, session, model, action, lists=lists, orgs=orgs)
    return _detail(request, session, p, event_id, name, form) if form.errors else see_other(f"/events/{event_id}")


@router.post("/events/{event_id}/signup")
def signup(event_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    action = lambda data: svc.signup(session, p, event_id, data)  # noqa: E731
    return _on_page(request, posted, session, p, event_id, "signup", SignupIn, action)


@router.post("/events/{event_id}/signup/withdraw")
def withdraw_signup(event_id: PathId, session: DB, p: LoggedIn):
    svc.withdraw_signup(session, p, event_id)
    return see_other(f"/events/{event_id}")


@router.post("/events/{event_id}/walk-in")
def walk_in(event_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    action = lambda data: svc.walk_in(session, p, event_id, data)  # noqa: E731
    registered = OrgFields(session, p, ("org_id",))  # a registered organisation is named, not numbered
    return _on_page(request, posted, session, p, event_id, "walk_in", WalkInIn, action, orgs=registered)


@router.post("/events/{event_id}/attendance")
def attendance(event_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    action = lambda data: svc.mark_attendance(session, p, event_id, data)  # noqa: E731
    return _on_page(request, posted, session, p, event_id, "attendance", AttendanceIn, action, ("attended",))


@router.post("/events/{event_id}/items")
def add_item(event_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    action = lambda data: svc.add_item(session, p, event_id, data)  # noqa: E731
    return _on_page(request, posted, session, p, event_id, "item", ItemIn, action)


@router.post("/events/{event_id}/items/{item_id}/{verb}")
def item_action(event_id: PathId, item_id: PathId, verb: str, session: DB, p: LoggedIn):
    if verb == "remove":
        svc.remove_item(session, p, event_id, item_id)
    elif verb in ("up", "down"):
        svc.move_item(session, p, event_id, item_id, -1 if verb == "up" else 1)
    else:
        raise NotFound("页面不存在")
    return see_other(f"/events/{event_id}")


@router.post("/events/{event_id}/{verb}")
def event_action(event_id: PathId, verb: str, request: Request, posted: Posted, session: DB, p: LoggedIn):
    if verb not in flows.BY_ACTION:
        raise NotFound("页面不存在")
    if verb == "cancel":
        action = lambda data: svc.transition(session, p, event_id, "cancel", data.reason)  # noqa: E731
        return _on_page(request, posted, session, p, event_id, "cancel", CancelIn, action)
    svc.transition(session, p, event_id, verb)
    return see_other(f"/events/{event_id}")
