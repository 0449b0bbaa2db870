"""Demands and offers as explicit tables. A demand is drafted, published, and closed (from a draft or while
published) by its organisation or the center that handles it; an offer is drafted, published, and withdrawn
by its organisation. Being verified, a deadline still ahead and the patents' entitlement are checked by the
service before the step."""

from __future__ import annotations

from ipoc.transfer.models import DEMAND_STATES, OFFER_STATES, DemandState, OfferState
from ipoc.workflow import Machine, Transition

DEMANDS = Machine(
    name="demands",
    title="技术需求",
    states=DemandState,
    labels=DEMAND_STATES,
    owners={"manager": "需求单位会员或承办运营中心工作人员"},
    transitions=(
        Transition("publish", "发布技术需求", {DemandState.DRAFT}, DemandState.PUBLISHED, "manager"),
        Transition("close", "关闭技术需求", {DemandState.DRAFT, DemandState.PUBLISHED}, DemandState.CLOSED, "manager"),
    ),
    initial=DemandState.DRAFT,
    terminal=frozenset({DemandState.CLOSED}),
    wrong_state="需求当前为“{state}”，不能{action}",
)

OFFERS = Machine(
    name="offers",
    title="技术供给",
    states=OfferState,
    labels=OFFER_STATES,
    owners={"org": "供给单位会员"},
    transitions=(
        Transition("publish", "发布技术供给", {OfferState.DRAFT}, OfferState.PUBLISHED, "org"),
        Transition("withdraw", "撤回技术供给", {OfferState.DRAFT, OfferState.PUBLISHED}, OfferState.WITHDRAWN, "org"),
    ),
    initial=OfferState.DRAFT,
    terminal=frozenset({OfferState.WITHDRAWN}),
    wrong_state="技术供给当前为“{state}”，不能{action}",
)
