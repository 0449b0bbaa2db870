"""JSON API of demands and offers (under /api/v1); who sees what is decided in the service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body
from fastapi import status as http
from sqlalchemy.orm import Session

from ipoc.schemas import PathId, QueryId, request_input
from ipoc.transfer import inbox as desk
from ipoc.transfer import service as svc
from ipoc.transfer.models import Demand, Offer
from ipoc.transfer.schemas import (
    DemandIn,
    DemandOut,
    InboxDeal,
    InboxItem,
    InboxMatch,
    InboxOut,
    OfferIn,
    OfferOut,
    OfferPatentOut,
)
from ipoc.web.deps import DB, CurrentPrincipal, LoggedIn

router = APIRouter(tags=["技术需求与供给"])


def demand_out(session: DB, p: CurrentPrincipal, d: Demand, *, single: bool) -> DemandOut:
    """Lists carry public fields only; a single record carries the detail to those allowed (audited)."""
    fields = svc.public_fields(p, d)
    fields["confidential_detail"] = svc.reveal(session, p, d) if single else None
    return DemandOut(**fields)


def offer_out(session: Session, o: Offer, patentees: dict[int, list[str]] | None = None) -> OfferOut:
    """``patentees`` (svc.patentees_of) read once for a whole list; else read for this offer."""
    patentees = svc.patentees_of(session, [o]) if patentees is None else patentees
    return OfferOut(
        id=o.id,
        org=o.org.name,
        title=o.title,
        problem_solved=o.problem_solved,
        advantage=o.advantage,
        trl=o.trl,
        trl_label=o.trl_label,
        field=o.field,
        products=o.products,
        expected_terms=o.expected_terms,
        industry=o.industry.name if o.industry else None,
        modes=list(o.modes),
        price_min_yuan=o.price_min_yuan,
        price_max_yuan=o.price_max_yuan,
        application_nos=[pt.application_no for pt in o.patents],
        patents=[
            OfferPatentOut(application_no=pt.application_no, title=pt.title, patentees=patentees[pt.id])
            for pt in o.patents
        ],
        state=o.state,
        status=o.state,  # the key before the state column had one name everywhere
    )


@router.get("/demands", response_model=list[DemandOut])
def list_demands(session: DB, p: CurrentPrincipal, industry_id: QueryId = None, mode: str = "", status: str = ""):
    rows = svc.list_demands(session, p, industry_id=industry_id, mode=mode or None, state=status or None)
    return [demand_out(session, p, d, single=False) for d in rows]


@router.post("/demands", status_code=http.HTTP_201_CREATED, response_model=DemandOut)
def create_demand(data: DemandIn, session: DB, p: LoggedIn):
    return demand_out(session, p, svc.create_demand(session, p, data), single=True)


@router.get("/demands/{demand_id}", response_model=DemandOut)
def get_demand(demand_id: PathId, session: DB, p: CurrentPrincipal):
    return demand_out(session, p, svc.get_demand(session, p, demand_id), single=True)


@router.patch("/demands/{demand_id}", response_model=DemandOut)
def update_demand(demand_id: PathId, session: DB, p: LoggedIn, changes: dict[str, Any] = Body()):
    current = svc.demand_input(svc.managed_demand(session, p, demand_id))
    demand = svc.update_demand(session, p, demand_id, request_input(DemandIn, current | changes))
    return demand_out(session, p, demand, single=True)


@router.post("/demands/{demand_id}/publish", response_model=DemandOut)
def publish_demand(demand_id: PathId, session: DB, p: LoggedIn):
    return demand_out(session, p, svc.publish_demand(session, p, demand_id), single=True)


@router.post("/demands/{demand_id}/close", response_model=DemandOut)
def close_demand(demand_id: PathId, session: DB, p: LoggedIn):
    return demand_out(session, p, svc.close_demand(session, p, demand_id), single=True)


@router.get("/offers", response_model=list[OfferOut])
def list_offers(session: DB, p: CurrentPrincipal, industry_id: QueryId = None, mode: str = "", status: str = ""):
    rows = svc.list_offers(session, p, industry_id=industry_id, mode=mode or None, state=status or None)
    patentees = svc.patentees_of(session, rows)
    return [offer_out(session, o, patentees) for o in rows]


@router.post("/offers", status_code=http.HTTP_201_CREATED, response_model=OfferOut)
def create_offer(data: OfferIn, session: DB, p: LoggedIn):
    return offer_out(session, svc.create_offer(session, p, data))


@router.get("/offers/{offer_id}", response_model=OfferOut)
def get_offer(offer_id: PathId, session: DB, p: CurrentPrincipal):
    return offer_out(session, svc.get_offer(session, p, offer_id))


@router.patch("/offers/{offer_id}", response_model=OfferOut)
def update_offer(offer_id: PathId, session: DB, p: LoggedIn, changes: dict[str, Any] = Body()):
    current = svc.offer_input(svc.managed_offer(session, p, offer_id))
    return offer_out(session, svc.update_offer(session, p, offer_id, request_input(OfferIn, current | changes)))


@router.post("/offers/{offer_id}/publish", response_model=OfferOut)
def publish_offer(offer_id: PathId, session: DB, p: LoggedIn):
    return offer_out(session, svc.publish_offer(session, p, offer_id))


@router.post("/offers/{offer_id}/withdraw", response_model=OfferOut)
def withdraw_offer(offer_id: PathId, session: DB, p: LoggedIn):
    return offer_out(session, svc.withdraw_offer(session, p, offer_id))


@router.get("/inbox", response_model=InboxOut)
def inbox(session: DB, p: LoggedIn):
    """What the center's staff have to act on: matches to review, deals to follow, unmatched demands, events."""
    box = desk.inbox(session, p)
    return InboxOut(
        matches=[
            InboxMatch(
                id=r.match.id,
                source=r.source,
                target=r.target.label,
                score=r.match.score,
                confidence=r.match.confidence,
                reasons=r.match.reasons,
            )
            for r in box.matches
        ],
        deals=[
            InboxDeal(id=r.deal.id, title=r.deal.title, stage=r.deal.state, idle_days=r.idle_days) for r in box.deals
        ],
        unmatched_demands=[InboxItem(id=d.id, title=d.title) for d in box.unmatched],
        events=[InboxItem(id=e.id, title=e.title) for e in box.events],
    )
