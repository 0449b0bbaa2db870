"""JSON API of the benefits domain (under /api/v1)."""

from __future__ import annotations

from fastapi import APIRouter

from ipoc.benefits import service as benefits
from ipoc.benefits.rules import STATUTE, Statute
from ipoc.benefits.schemas import CalcInput, CalcOut, GrantRewardOut, PolicyInput, PolicyOut, PolicyView, ShareOut
from ipoc.schemas import QueryId
from ipoc.web.deps import DB, CurrentPrincipal, LoggedIn

router = APIRouter(tags=["收益分享"])


def _view(state: benefits.PolicyState) -> PolicyView:
    return PolicyView(
        org_id=state.org.id,
        policy=PolicyOut.model_validate(state.policy) if state.policy else None,
        bound_by_minimums=state.bound,
        warnings=state.warnings,
    )


@router.get("/benefits/statute", response_model=list[Statute])
def statute():
    """The statutory numbers the platform enforces, each with its legal source."""
    return list(STATUTE.values())


@router.get("/benefits/policy", response_model=PolicyView)
def get_policy(session: DB, p: LoggedIn, org_id: QueryId = None):
    """A member's own unit policy; center staff and the region admin name the unit with ``org_id``."""
    return _view(benefits.get_policy(session, p, org_id))


@router.put("/benefits/policy", response_model=PolicyView)
def put_policy(data: PolicyInput, session: DB, p: LoggedIn):
    return _view(benefits.save_policy(session, p, data))


@router.post("/benefits/calculate", response_model=CalcOut)
def calculate(data: CalcInput, session: DB, p: CurrentPrincipal):
    """Inventors' share (or the reward on grant with its due date), on the statutory default or the
    member's own policy; open to everyone."""
    result = benefits.compute(session, p, data)
    share = result.share
    reward = result.grant_reward
    return CalcOut(
        basis=result.basis,
        basis_label=result.basis_label,
        share=ShareOut(**vars(share), mode_label=share.mode_label, share_wan=share.share_wan) if share else None,
        grant_reward=GrantRewardOut(**vars(reward), kind_label=reward.kind_label) if reward else None,
    )
