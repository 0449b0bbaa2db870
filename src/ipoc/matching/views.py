"""Pages of matching: a demand's or offer's ranked matches with their reasons and decision forms, the refresh
button, the XLSX export, and one match's page (an accepted match links to the contact form)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ipoc.matching import service as svc
from ipoc.matching.models import REJECT_REASONS, Match
from ipoc.matching.schemas import DecisionIn
from ipoc.schemas import PathId
from ipoc.web.deps import DB, CurrentPrincipal, LoggedIn
from ipoc.web.export import xlsx_response
from ipoc.web.forms import FormResult, Posted, attempt, parse_form, see_other
from ipoc.web.templating import render

router = APIRouter()


def _rows(session: DB, p: CurrentPrincipal, matches: list[Match]) -> list[dict]:
    return [{"m": m, "target": svc.target_view(session, m), "decide": svc.may_decide(p, m)} for m in matches]


def _list_page(request: Request, session: DB, p: CurrentPrincipal, kind: str, source, matches: list[Match]):
    may_refresh = svc.may_refresh_demand(p, source) if kind == "demand" else svc.may_refresh_offer(session, p, source)
    ctx = {
        "title": f"匹配结果：{source.title}",
        "kind": kind,
        "source": source,
        "base": f"/{kind}s/{source.id}",
        "rows": _rows(session, p, matches),
        "may_refresh": may_refresh,
        "reasons": list(REJECT_REASONS.items()),
    }
    return render(request, "matching/matches.html", ctx)


@router.get("/demands/{demand_id}/matches")
def demand_matches(demand_id: PathId, request: Request, session: DB, p: CurrentPrincipal):
    demand, matches = svc.demand_matches(session, p, demand_id)
    return _list_page(request, session, p, "demand", demand, matches)


@router.get("/offers/{offer_id}/matches")
def offer_matches(offer_id: PathId, request: Request, session: DB, p: CurrentPrincipal):
    offer, matches = svc.offer_matches(session, p, offer_id)
    return _list_page(request, session, p, "offer", offer, matches)


@router.post("/demands/{demand_id}/matches/refresh")
def refresh_demand(demand_id: PathId, session: DB, p: LoggedIn):
    svc.propose_for_demand(session, p, demand_id)
    return see_other(f"/demands/{demand_id}/matches")


@router.post("/offers/{offer_id}/matches/refresh")
def refresh_offer(offer_id: PathId, session: DB, p: LoggedIn):
    svc.propose_for_offer(session, p, offer_id)
    return see_other(f"/offers/{offer_id}/matches")


def _export(session: DB, source, matches: list[Match], what: str):
    return xlsx_response(
        session,
        title=f"匹配结果：{source.title}",
        filename=f"匹配结果-{what}{source.id}.xlsx",
        headers=svc.EXPORT_HEADERS,
        rows=svc.export_rows(session, matches),
        entity_type="tech_matches",
    )


@router.get("/demands/{demand_id}/matches/export")
def export_demand(demand_id: PathId, session: DB, p: CurrentPrincipal):
    demand, matches = svc.demand_matches(session, p, demand_id)
    return _export(session, demand, matches, "需求")


@router.get("/offers/{offer_id}/matches/export")
def export_offer(offer_id: PathId, session: DB, p: CurrentPrincipal):
    offer, matches = svc.offer_matches(session, p, offer_id)
    return _export(session, offer, matches, "供给")


def _match_page(request: Request, session: DB, p: CurrentPrincipal, m: Match, form: FormResult | None = None):
    ctx = {
        "title": f"匹配 #{m.id}",
        "m": m,
        "target": svc.target_view(session, m),
        "source": svc.source_label(session, m),
        "decide": svc.may_decide(p, m),
        "reasons": list(REJECT_REASONS.items()),
        "errors": form.errors if form else {},
        "values": form.values if form else {},
    }
    return render(request, "matching/match.html", ctx, status_code=form.status if form else 200)


@router.get("/matches/{match_id}")
def match_detail(match_id: PathId, request: Request, session: DB, p: CurrentPrincipal):
    return _match_page(request, session, p, svc.get_match(session, p, match_id))


@router.post("/matches/{match_id}/decision")
def decide(match_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    match = svc.get_match(session, p, match_id)
    form = parse_form(posted, DecisionIn)
    if form.ok and form.data is not None:
        data = form.data
        attempt(
            session, form,
            lambda: svc.decide(session, p, match_id, data.action, data.reason, data.forward_to_org_id, note=data.note),
        )  # fmt: skip
    if form.errors:
        session.refresh(match)
        return _match_page(request, session, p, match, form)
    back = request.query_params.get("back")
    return see_other(back if back in (match.source_path + "/matches",) else f"/matches/{match_id}")
