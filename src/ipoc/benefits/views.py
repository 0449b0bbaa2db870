"""Pages: the public calculator (/benefits) and a unit's policy (/benefits/policy)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ipoc.auth.roles import Principal, Role
from ipoc.benefits import service as benefits
from ipoc.benefits.models import POLICY_SOURCES
from ipoc.benefits.rules import LAW_RULES_93, MODES, PATENT_KINDS, ROUNDING_NOTE, STATUTE
from ipoc.benefits.schemas import CalcInput, PolicyInput
from ipoc.schemas import QueryId
from ipoc.web.deps import DB, CurrentPrincipal, LoggedIn
from ipoc.web.forms import Posted, attempt, parse_form, see_other, submit
from ipoc.web.templating import render

router = APIRouter()


def _calc_ctx(session: DB, p: Principal, **extra) -> dict:
    own = benefits.terms_for(session, p, "policy")[0] == "policy"
    return {
        "title": "收益分享计算器",
        "statute": list(STATUTE.values()),
        "modes": [*MODES.items(), ("grant_reward", "专利授权奖金及发放期限")],
        "kinds": list(PATENT_KINDS.items()),
        "bases": [("policy", "本单位收益分享政策"), ("statutory", "法定标准")] if own else [("statutory", "法定标准")],
        "rounding": ROUNDING_NOTE,
        "grant_source": LAW_RULES_93,
        **extra,
    }


@router.get("/benefits")
def calculator(request: Request, session: DB, p: CurrentPrincipal):
    return render(request, "benefits/calculator.html", _calc_ctx(session, p))


@router.post("/benefits")
def calculate(request: Request, posted: Posted, session: DB, p: CurrentPrincipal):
    form, result = submit(posted, session, CalcInput, lambda data: benefits.compute(session, p, data))
    ctx = _calc_ctx(session, p, errors=form.errors, values=form.values, result=result)
    return render(request, "benefits/calculator.html", ctx, status_code=form.status if form.errors else 200)


def _policy_ctx(state: benefits.PolicyState, p: Principal, **extra) -> dict:
    policy = state.policy
    values = {}
    if policy is not None:
        keys = ("source", "transfer_licence_pct", "equity_pct", "profit_pct", "profit_years", "effective_on")
        values = {k: str(getattr(policy, k)) for k in keys}
        values |= {
            "invention_reward_yuan": str(policy.invention_reward_yuan),
            "utility_design_reward_yuan": str(policy.utility_design_reward_yuan),
            "document_ref": policy.document_ref,
            "note": policy.note,
            "state_established": "true" if policy.state_established else "false",
        }
    return {
        "title": f"收益分享政策 · {state.org.name}",
        "state": state,
        "editable": p.role is Role.MEMBER and p.org_id == state.org.id,
        "sources": list(POLICY_SOURCES.items()),
        "statute": list(STATUTE.values()),
        "values": values,
        **extra,
    }


@router.get("/benefits/policy")
def policy_page(request: Request, session: DB, p: LoggedIn, org_id: QueryId = None, saved: bool = False):
    if p.role is not Role.MEMBER and org_id is None:
        ctx = {"title": "各单位收益分享政策", "policies": benefits.list_policies(session, p)}
        return render(request, "benefits/policies.html", ctx)
    state = benefits.get_policy(session, p, org_id)
    return render(request, "benefits/policy.html", _policy_ctx(state, p, saved=saved))


@router.post("/benefits/policy")
def save_policy(request: Request, posted: Posted, session: DB, p: LoggedIn):
    form = parse_form(posted, PolicyInput)
    if form.ok and form.data is not None:
        data = form.data
        attempt(session, form, lambda: benefits.save_policy(session, p, data))
    if form.errors:
        state = benefits.get_policy(session, p)
        ctx = _policy_ctx(state, p, errors=form.errors)
        ctx["values"] = form.values
        return render(request, "benefits/policy.html", ctx, status_code=form.status)
    return see_other("/benefits/policy?saved=1")
