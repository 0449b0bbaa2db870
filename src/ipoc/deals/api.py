"""JSON API of contacts, deals and a center's conversion ledger (under /api/v1); who sees what is decided in
the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import status as http

from ipoc import money
from ipoc.deals import service as svc
from ipoc.deals.models import Contact, Deal
from ipoc.deals.schemas import (
    CloseContactIn,
    ContactIn,
    ContactOut,
    ConversionOut,
    ConversionYearOut,
    DealEditIn,
    DealIn,
    DealOut,
    StepIn,
    StepOut,
)
from ipoc.schemas import PathId
from ipoc.web.deps import DB, CurrentPrincipal, LoggedIn

router = APIRouter(tags=["对接与技术合同"])
Year = Annotated[int | None, Query(ge=1985, le=2100)]


def contact_out(c: Contact) -> ContactOut:
    return ContactOut(
        id=c.id,
        center_id=c.center_id,
        match_id=c.match_id,
        event_id=c.event_id,
        demand_id=c.demand_id,
        offer_id=c.offer_id,
        subject=c.subject,
        seeker=c.seeker,
        seeker_org_id=c.seeker_org_id,
        provider=c.provider,
        provider_org_id=c.provider_org_id,
        contacted_on=c.contacted_on,
        channel=c.channel,
        notes=c.notes,
        state=c.state,
        state_label=c.state_label,
        status=c.state,
        close_reason=c.close_reason,
    )


def deal_out(d: Deal) -> DealOut:
    return DealOut(
        id=d.id,
        center_id=d.center_id,
        contact_id=d.contact_id,
        title=d.title,
        state=d.state,
        stage=d.state,
        mode=d.mode,
        amount_yuan=d.amount_yuan,
        amount_wan=None if d.amount_yuan is None else money.wan(d.amount_yuan),
        provider=d.provider,
        provider_org_id=d.provider_org_id,
        seeker=d.seeker,
        seeker_org_id=d.seeker_org_id,
        intention_on=d.intention_on,
        negotiation_on=d.negotiation_on,
        signed_on=d.signed_on,
        recorded_on=d.recorded_on,
        abandoned_on=d.abandoned_on,
        contract_no=d.contract_no,
        record_no=d.record_no,
        abandon_reason=d.abandon_reason,
        application_nos=[pt.application_no for pt in d.patents],
        licence_start=d.licence_start,
        licence_end=d.licence_end,
        territory=d.territory,
        rights_state=d.rights_state,
        rights_note=d.rights_note,
        rights_checked_on=d.rights_checked_on,
        steps=[
            StepOut(action=s.action, from_stage=s.from_stage, to_stage=s.to_stage, on=s.on, note=s.note)
            for s in d.steps
        ],
    )


@router.get("/contacts", response_model=list[ContactOut])
def list_contacts(session: DB, p: CurrentPrincipal, status: str = "", channel: str = "", year: Year = None):
    rows = svc.list_contacts(session, p, status=status or None, channel=channel or None, year=year)
    return [contact_out(c) for c in rows]


@router.post("/contacts", status_code=http.HTTP_201_CREATED, response_model=ContactOut)
def create_contact(data: ContactIn, session: DB, p: LoggedIn):
    return contact_out(svc.create_contact(session, p, data))


@router.get("/contacts/{contact_id}", response_model=ContactOut)
def get_contact(contact_id: PathId, session: DB, p: CurrentPrincipal):
    return contact_out(svc.get_contact(session, p, contact_id))


@router.post("/contacts/{contact_id}/close", response_model=ContactOut)
def close_contact(contact_id: PathId, data: CloseContactIn, session: DB, p: LoggedIn):
    return contact_out(svc.close_contact(session, p, contact_id, data.reason))


@router.get("/deals", response_model=list[DealOut])
def list_deals(session: DB, p: CurrentPrincipal, stage: str = "", mode: str = "", year: Year = None):
    return [deal_out(d) for d in svc.list_deals(session, p, state=stage or None, mode=mode or None, year=year)]


@router.post("/deals", status_code=http.HTTP_201_CREATED, response_model=DealOut)
def create_deal(data: DealIn, session: DB, p: LoggedIn):
    return deal_out(svc.create_deal(session, p, data))


@router.get("/deals/{deal_id}", response_model=DealOut)
def get_deal(deal_id: PathId, session: DB, p: CurrentPrincipal):
    return deal_out(svc.get_deal(session, p, deal_id))


@router.put("/deals/{deal_id}", response_model=DealOut)
def update_deal(deal_id: PathId, data: DealEditIn, session: DB, p: LoggedIn):
    """Correct an open deal's title, mode, parties and notes (the whole set, as the edit form sends it)."""
    return deal_out(svc.update_deal(session, p, deal_id, data))


@router.post("/deals/{deal_id}/transition", response_model=DealOut)
def transition(deal_id: PathId, data: StepIn, session: DB, p: LoggedIn):
    return deal_out(svc.transition(session, p, deal_id, data))


@router.post("/deals/{deal_id}/recheck", response_model=DealOut)
def recheck(deal_id: PathId, session: DB, p: LoggedIn):
    """Check a signed contract's rights and conflicts again; only a passed one counts in the ledger."""
    return deal_out(svc.recheck(session, p, deal_id))


@router.get("/centers/{center_id}/conversion", response_model=ConversionOut)
def conversion(center_id: PathId, session: DB, p: CurrentPrincipal):
    years, projects = svc.center_conversion(session, p, center_id)
    return ConversionOut(
        center_id=center_id,
        years=[
            ConversionYearOut(year=y.year, amount_yuan=y.amount_yuan, amount_wan=y.amount_wan, deals=y.deals)
            for y in years.values()
        ],
        cumulative_projects=projects,
    )
