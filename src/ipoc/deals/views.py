"""Pages of contacts and deals: lists with filters, totals and XLSX export, the new-contact form (pre-filled
from an accepted match or an event), the new-deal form, and the deal page with its timeline and one form per
step it may take next. The rules live in service.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BeforeValidator

from ipoc.deals import flows
from ipoc.deals import service as svc
from ipoc.deals.models import CHANNELS, CONTACT_STATES, MODES, STAGES, Deal
from ipoc.deals.schemas import CloseContactIn, ContactIn, DealEditIn, DealIn, StepIn
from ipoc.schemas import PathId, QueryId
from ipoc.web.deps import DB, CurrentPrincipal, LoggedIn
from ipoc.web.export import xlsx_response
from ipoc.web.forms import FormResult, OrgFields, Posted, see_other, submit
from ipoc.web.templating import render

router = APIRouter()


def _parties(session: DB, p: CurrentPrincipal) -> OrgFields:
    """The two parties of a contact or deal, chosen by organisation name (unregistered ones by their own name)."""
    return OrgFields(session, p, ("seeker_org_id", "provider_org_id"))


# A filter form's "all" option sends the year empty: no filter.
QueryYear = Annotated[int | None, BeforeValidator(lambda v: None if v == "" else v), Query(ge=1985, le=2100)]


# --- contacts -----------------------------------------------------------------------------------------


def _contact_filters(status: str, channel: str, year: int | None) -> dict[str, Any]:
    return {"status": status or None, "channel": channel or None, "year": year}


@router.get("/contacts")
def contacts(
    request: Request, session: DB, p: CurrentPrincipal, status: str = "", channel: str = "", year: QueryYear = None
):
    ctx = {
        "title": "对接记录",
        "contacts": svc.list_contacts(session, p, **_contact_filters(status, channel, year)),
        "states": list(CONTACT_STATES.items()),
        "channels": list(CHANNELS.items()),
        "f": {"status": status, "channel": channel, "year": year or ""},
        "staff": svc.manages(p, p.center_id or 0),
    }
    return render(request, "deals/contacts.html", ctx)


@router.get("/contacts/export")
def export_contacts(session: DB, p: CurrentPrincipal, status: str = "", channel: str = "", year: QueryYear = None):
    rows = svc.contact_rows(svc.list_contacts(session, p, **_contact_filters(status, channel, year)))
    return xlsx_response(
        session,
        title="对接记录",
        filename="对接记录.xlsx",
        headers=svc.CONTACT_HEADERS,
        rows=rows,
        entity_type="tech_contacts",
        filters={"状态": CONTACT_STATES.get(status, status), "对接方式": CHANNELS.get(channel, channel), "年度": year},
    )


def _contact_form(request: Request, values: dict[str, Any], form: FormResult | None = None):
    ctx = {
        "title": "登记对接",
        "errors": form.errors if form else {},
        "values": form.values if form else values,
        "channels": list(CHANNELS.items()),
    }
    return render(request, "deals/contact_form.html", ctx, status_code=form.status if form else 200)


@router.get("/contacts/new")
def new_contact(request: Request, session: DB, p: LoggedIn, match_id: QueryId = None, event_id: QueryId = None):
    defaults = svc.contact_defaults(session, p, match_id=match_id, event_id=event_id)
    return _contact_form(request, _parties(session, p).show(defaults))


@router.post("/contacts/new")
def create_contact(request: Request, posted: Posted, session: DB, p: LoggedIn):
    parties = _parties(session, p)
    form, contact = submit(posted, session, ContactIn, lambda data: svc.create_contact(session, p, data), orgs=parties)
    return see_other(f"/contacts/{contact.id}") if contact else _contact_form(request, {}, form)


def _contact_page(request: Request, session: DB, p: CurrentPrincipal, contact_id: int, form: FormResult | None = None):
    contact = svc.get_contact(session, p, contact_id)
    deals = [d for d in svc.list_deals(session, p) if d.contact_id == contact.id]
    ctx = {
        "title": contact.subject,
        "c": contact,
        "deals": deals,
        "manage": svc.manages(p, contact.center_id),
        "errors": form.errors if form else {},
        "values": form.values if form else {},
    }
    return render(request, "deals/contact.html", ctx, status_code=form.status if form else 200)


@router.get("/contacts/{contact_id}")
def contact_detail(contact_id: PathId, request: Request, session: DB, p: CurrentPrincipal):
    return _contact_page(request, session, p, contact_id)


@router.post("/contacts/{contact_id}/close")
def close_contact(contact_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    svc.managed_contact(session, p, contact_id)  # 404/403 before validating the form
    form, done = submit(
        posted, session, CloseContactIn, lambda data: svc.close_contact(session, p, contact_id, data.reason)
    )
    return see_other(f"/contacts/{contact_id}") if done else _contact_page(request, session, p, contact_id, form)


# --- deals --------------------------------------------------------------------------------------------


def _deal_filters(stage: str, mode: str, year: int | None) -> dict[str, Any]:
    return {"state": stage or None, "mode": mode or None, "year": year}


@router.get("/deals")
def deals(request: Request, session: DB, p: CurrentPrincipal, stage: str = "", mode: str = "", year: QueryYear = None):
    found = svc.list_deals(session, p, **_deal_filters(stage, mode, year))
    ctx = {
        "title": "技术合同",
        "deals": found,
        "totals": svc.totals(found),
        "stages": list(STAGES.items()),
        "modes": list(MODES.items()),
        "f": {"stage": stage, "mode": mode, "year": year or ""},
        "staff": svc.manages(p, p.center_id or 0),
        "unchecked": svc.unchecked_count(session, p),
    }
    return render(request, "deals/deals.html", ctx)


@router.post("/deals/recheck")
def recheck_unchecked(posted: Posted, session: DB, p: LoggedIn):
    """Check every contract signed before the rights check existed; each then counts in the ledger or says why not."""
    svc.recheck_unchecked(session, p)
    return see_other("/deals")


@router.get("/deals/export")
def export_deals(session: DB, p: CurrentPrincipal, stage: str = "", mode: str = "", year: QueryYear = None):
    rows = svc.deal_rows(svc.list_deals(session, p, **_deal_filters(stage, mode, year)))
    return xlsx_response(
        session,
        title="技术合同",
        filename="技术合同.xlsx",
        headers=svc.DEAL_HEADERS,
        rows=rows,
        entity_type="tech_deals",
        filters={"阶段": STAGES.get(stage, stage), "交易方式": MODES.get(mode, mode), "签订年度": year},
    )


def _deal_form(request: Request, values: dict[str, Any], form: FormResult | None = None, *, deal: Deal | None = None):
    """The new-deal form, or (``deal``) the form correcting an open deal's basic data."""
    ctx = {
        "title": f"修改交易：{deal.title}" if deal else "登记交易",
        "action": f"/deals/{deal.id}/edit" if deal else "/deals/new",
        "edit": deal is not None,
        "errors": form.errors if form else {},
        "values": form.values if form else values,
        "modes": list(MODES.items()),
    }
    return render(request, "deals/deal_form.html", ctx, status_code=form.status if form else 200)


@router.get("/deals/new")
def new_deal(request: Request, session: DB, p: LoggedIn, contact_id: QueryId = None):
    return _deal_form(request, _parties(session, p).show(svc.deal_defaults(session, p, contact_id)))


@router.post("/deals/new")
def create_deal(request: Request, posted: Posted, session: DB, p: LoggedIn):
    form, deal = submit(
        posted, session, DealIn, lambda data: svc.create_deal(session, p, data), orgs=_parties(session, p)
    )
    return see_other(f"/deals/{deal.id}") if deal else _deal_form(request, {}, form)


def _deal_page(request: Request, session: DB, p: CurrentPrincipal, deal: Deal, form: FormResult | None = None):
    ctx = {
        "title": deal.title,
        "d": deal,
        "steps": svc.available_steps(p, deal),
        "labels": flows.FIELD_LABELS,
        "stages": STAGES,
        "contact_visible": deal.contact_id is not None and svc.may_see_contacts(p),
        "errors": form.errors if form else {},
        "values": form.values if form else {},
        "failed": form.values.get("action") if form else None,
        "may_recheck": svc.manages(p, deal.center_id) and deal.state in flows.CONTRACT_STAGES,
    }
    return render(request, "deals/deal.html", ctx, status_code=form.status if form else 200)


@router.get("/deals/{deal_id}")
def deal_detail(deal_id: PathId, request: Request, session: DB, p: CurrentPrincipal):
    return _deal_page(request, session, p, svc.get_deal(session, p, deal_id))


@router.get("/deals/{deal_id}/edit")
def edit_deal(deal_id: PathId, request: Request, session: DB, p: LoggedIn):
    deal = svc.get_deal(session, p, deal_id)
    return _deal_form(request, _parties(session, p).show(svc.deal_edit_values(deal)), deal=deal)


@router.post("/deals/{deal_id}/edit")
def save_deal(deal_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    deal = svc.get_deal(session, p, deal_id)  # 404 out of scope, before validating the form
    form, done = submit(
        posted, session, DealEditIn, lambda data: svc.update_deal(session, p, deal_id, data), orgs=_parties(session, p)
    )
    return see_other(f"/deals/{deal_id}") if done else _deal_form(request, {}, form, deal=deal)


@router.post("/deals/{deal_id}/transition")
def deal_step(deal_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    svc.get_deal(session, p, deal_id)  # 404 out of scope, before validating the form
    form, done = submit(posted, session, StepIn, lambda data: svc.transition(session, p, deal_id, data))
    if done:
        return see_other(f"/deals/{deal_id}")
    return _deal_page(request, session, p, svc.get_deal(session, p, deal_id), form)


@router.post("/deals/{deal_id}/recheck")
def recheck_deal(deal_id: PathId, posted: Posted, session: DB, p: LoggedIn):
    svc.recheck(session, p, deal_id)
    return see_other(f"/deals/{deal_id}")
