"""The messages' world: the transfer world plus a returnable dossier, a published demand with a proposed match
and a deal at 意向, all of the owner organisation (包头): one of each decision that sends a message."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ipoc.applications.models import Application, Call
from ipoc.auth.roles import Principal
from ipoc.deals import service as deals
from ipoc.deals.models import Deal
from ipoc.deals.schemas import DealIn
from ipoc.matching.models import Match
from ipoc.orgs.models import Organisation
from ipoc.patents.models import Patent
from ipoc.reference.models import Industry
from ipoc.transfer import service as transfer
from ipoc.transfer.schemas import DemandIn
from tests.worlds.transfer import transfer_world

TODAY = date(2026, 11, 30)


def make_world(session) -> tuple[Organisation, dict[str, Principal], Application, Match, Deal]:
    """transfer_world plus a returnable dossier, a published demand with a proposed match, and a deal at 意向,
    all of the owner organisation (包头)."""
    owner, center, people = transfer_world(session)
    call = Call(year=2026, title="2026年度申报", opens_on=date(2026, 3, 1), closes_on=date(2026, 12, 31))
    session.add(call)
    session.flush()
    dossier = Application(
        call_id=call.id,
        org_id=owner.id,
        region_id=owner.region_id,
        industry_id=session.scalar(select(Industry.id).order_by(Industry.id).limit(1)),
        builder_type="leading_enterprise",
        route="via_bureau",
        state="submitted",
    )
    session.add(dossier)
    demand = transfer.create_demand(
        session,
        people["owner"],
        DemandIn(
            center_id=center.id,
            title="高温稳定的钕铁硼永磁体",
            problem="电机工作温度高，矫顽力下降",
            desired_effect="180 度下矫顽力不低于 20 kOe",
            public_summary="寻求提高高温矫顽力的工艺",
            modes="transfer",
        ),
        today=TODAY,
    )
    transfer.publish_demand(session, people["owner"], demand.id, today=TODAY)
    patent = session.scalar(select(Patent))
    match = Match(
        center_id=center.id, demand_id=demand.id, target_kind="patent", patent_id=patent.id, score=1.0, confidence=0.9
    )
    match.rank = 1
    session.add(match)
    session.commit()
    deal = deals.create_deal(
        session,
        people["staff"],
        DealIn(title="永磁体工艺转让", mode="transfer", seeker_org_id=owner.id, provider_name="包头稀土研究院"),
        today=TODAY,
    )
    session.commit()
    return owner, people, dossier, match, deal
