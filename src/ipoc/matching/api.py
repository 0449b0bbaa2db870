"""JSON API of matching (under /api/v1); who sees and decides what is settled in the service."""

from __future__ import annotations

from fastapi import APIRouter

from ipoc.matching import service as svc
from ipoc.matching.models import Match, MatchState
from ipoc.matching.schemas import DecisionIn, MatchOut, TargetOut
from ipoc.patents.models import Patent
from ipoc.schemas import PathId
from ipoc.web.deps import DB, CurrentPrincipal, LoggedIn

router = APIRouter(tags=["匹配"])


def match_out(session: DB, m: Match) -> MatchOut:
    view = svc.target_view(session, m)
    patent = session.get(Patent, m.patent_id) if m.patent_id else None
    return MatchOut(
        id=m.id,
        demand_id=m.demand_id,
        offer_id=m.offer_id,
        center_id=m.center_id,
        target=TargetOut(
            kind=m.target_kind,
            kind_label=m.kind_label,
            id=svc.target_id(m),
            label=view.label,
            detail=view.detail,
            path=view.path,
        ),
        application_no=patent.application_no if patent else None,
        rank=m.rank,
        score=m.score,
        confidence=m.confidence,
        confidence_label=m.confidence_label,
        reasons=list(m.reasons),
        state=m.state,
        state_label=m.state_label,
        status=m.state,  # the key before the state column had one name everywhere
        status_label=m.state_label,
        decision_reason=m.decision_reason,
        reason_code=m.reason_code,
        forwarded_to_org_id=m.forwarded_to_org_id,
        decided_at=m.decided_at,
        contact_path=f"/contacts/new?match_id={m.id}" if m.state == MatchState.ACCEPTED else None,
    )


@router.get("/demands/{demand_id}/matches", response_model=list[MatchOut])
def demand_matches(demand_id: PathId, session: DB, p: CurrentPrincipal):
    _, matches = svc.demand_matches(session, p, demand_id)
    return [match_out(session, m) for m in matches]


@router.post("/demands/{demand_id}/matches/refresh", response_model=list[MatchOut])
def refresh_demand(demand_id: PathId, session: DB, p: LoggedIn):
    return [match_out(session, m) for m in svc.propose_for_demand(session, p, demand_id)]


@router.get("/offers/{offer_id}/matches", response_model=list[MatchOut])
def offer_matches(offer_id: PathId, session: DB, p: CurrentPrincipal):
    _, matches = svc.offer_matches(session, p, offer_id)
    return [match_out(session, m) for m in matches]


@router.post("/offers/{offer_id}/matches/refresh", response_model=list[MatchOut])
def refresh_offer(offer_id: PathId, session: DB, p: LoggedIn):
    return [match_out(session, m) for m in svc.propose_for_offer(session, p, offer_id)]


@router.get("/matches/{match_id}", response_model=MatchOut)
def get_match(match_id: PathId, session: DB, p: CurrentPrincipal):
    return match_out(session, svc.get_match(session, p, match_id))


@router.post("/matches/{match_id}/decision", response_model=MatchOut)
def decide(match_id: PathId, data: DecisionIn, session: DB, p: LoggedIn):
    match = svc.decide(session, p, match_id, data.action, data.reason, data.forward_to_org_id, note=data.note)
    return match_out(session, match)
