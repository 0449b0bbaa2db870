"""Demo matches, made through the services the pages use: the demo center's staff propose patents and offers for
every published demand the center handles, and demands and enterprises for the published offers of its industry;
the best patent of the first demand is accepted (so the contact form can be tried) and one offer match is forwarded
to the enterprise. Runs after ``ipoc.ops.demo_transfer``; without demands it does nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoc import clock
from ipoc.auth.models import User
from ipoc.matching import service as matching
from ipoc.matching.models import Match
from ipoc.ops.demo_lifecycle import demo_principal
from ipoc.transfer.models import Demand, DemandState, Offer, OfferState

STAFF = "center"


def load(session: Session, today: date | None = None) -> bool:
    """Propose once; False when matches exist already, or there is no demo center staff or no demand to match."""
    if session.scalar(select(Match.id).limit(1)) is not None:
        return False
    if session.scalar(select(User.id).where(User.username == STAFF)) is None:
        return False
    staff = demo_principal(session, STAFF)
    demands = list(
        session.scalars(
            select(Demand)
            .where(Demand.state == DemandState.PUBLISHED, Demand.center_id == staff.center_id)
            .order_by(Demand.id)
        )
    )
    if not demands:
        return False
    today = today or clock.today()
    proposed = [matching.propose_for_demand(session, staff, d.id, today) for d in demands]
    for offer in session.scalars(select(Offer).where(Offer.state == OfferState.PUBLISHED).order_by(Offer.id)):
        if matching.may_refresh_offer(session, staff, offer):
            matching.propose_for_offer(session, staff, offer.id, today)
    first = proposed[0]
    patents = [m for m in first if m.target_kind == "patent"]
    if patents:
        matching.decide(session, staff, patents[0].id, "accept", note="技术路线与需求一致，建议安排对接")
    offers = [m for matches in proposed for m in matches if m.target_kind == "offer"]
    if offers:
        matching.decide(session, staff, offers[0].id, "forward")
    session.flush()
    return True
