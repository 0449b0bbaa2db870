"""Pages of demands and offers: lists with filters and XLSX export, detail pages, new/edit forms and the
publish/close/withdraw buttons. Confidential detail is shown only through ``service.reveal``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ipoc.audit import service as audit
from ipoc.centers.models import ACTIVE_STATUSES, Center
from ipoc.errors import Conflict, DomainError, Forbidden, NotFound
from ipoc.matching import service as matching
from ipoc.reference.models import Industry
from ipoc.schemas import PathId, QueryId
from ipoc.transfer import flows
from ipoc.transfer import inbox as desk
from ipoc.transfer import service as svc
from ipoc.transfer.models import DEMAND_STATES, MODES, OFFER_STATES, TRL_LABELS
from ipoc.transfer.schemas import DemandIn, OfferIn
from ipoc.web.deps import DB, CurrentPrincipal, LoggedIn
from ipoc.web.export import named, xlsx_response
from ipoc.web.forms import FormResult, OrgFields, Posted, refusable, see_other, submit
from ipoc.web.templating import render

router = APIRouter()


def _choices(session: DB) -> dict[str, Any]:
    centers = session.query(Center).filter(Center.state.in_(ACTIVE_STATUSES)).order_by(Center.id)
    return {
        "industries": [(i.id, i.name) for i in session.query(Industry).order_by(Industry.id)],
        "centers": [(c.id, c.name) for c in centers],
        "modes": list(MODES.items()),
        "trls": list(TRL_LABELS.items()),
    }


def _filters(industry_id: int | None, mode: str, status: str) -> dict[str, Any]:
    return {"industry_id": industry_id, "mode": mode or None, "state": status or None}


def _described(session: DB, industry_id: int | None, mode: str, status: str, states: dict[str, str]) -> dict:
    """The filter of a list export, for its title row."""
    return {
        "产业": named(session, Industry, industry_id),
        "合作方式": MODES.get(mode, mode),
        "状态": states.get(status, status),
    }


# --- demands ------------------------------------------------------------------------------------------


@router.get("/demands")
def demands(
    request: Request, session: DB, p: CurrentPrincipal, industry_id: QueryId = None, mode: str = "", status: str = ""
):
    ctx = {
        "title": "技术需求",
        "demands": svc.list_demands(session, p, **_filters(industry_id, mode, status)),
        "states": list(DEMAND_STATES.items()),
        "filter_values": {"industry_id": industry_id, "mode": mode, "status": status},
        **_choices(session),
    }
    return render(request, "transfer/demands.html", ctx)


@router.get("/demands/export")
def export_demands(session: DB, p: CurrentPrincipal, industry_id: QueryId = None, mode: str = "", status: str = ""):
    rows = svc.demand_rows(svc.list_demands(session, p, **_filters(industry_id, mode, status)))
    return xlsx_response(
        session,
        title="技术需求",
        filename="技术需求.xlsx",
        headers=svc.DEMAND_HEADERS,
        rows=rows,
        entity_type="tech_demands",
        filters=_described(session, industry_id, mode, status, DEMAND_STATES),
    )


def _demand_form(
    request: Request, session: DB, p: CurrentPrincipal, action: str, form: FormResult | None = None, values=None
):
    ctx = {
        "title": "登记技术需求" if action.endswith("new") else "修改技术需求",
        "action": action,
        "staff": p.is_(*svc.ON_BEHALF),
        "errors": form.errors if form else {},
        "values": form.values if form else (values or {}),
        **_choices(session),
    }
    return render(request, "transfer/demand_form.html", ctx, status_code=form.status if form else 200)


@router.get("/demands/new")
def new_demand(request: Request, session: DB, p: LoggedIn):
    return _demand_form(request, session, p, "/demands/new")


@router.post("/demands/new")
def create_demand(request: Request, posted: Posted, session: DB, p: LoggedIn):
    on_behalf = OrgFields(session, p, ("org_id",))  # staff name the demand's organisation
    form, saved = submit(
        posted, session, DemandIn, lambda data: svc.create_demand(session, p, data), lists=("modes",), orgs=on_behalf
    )
    return see_other(f"/demands/{saved.id}") if saved else _demand_form(request, session, p, "/demands/new", form)


@router.get("/demands/{demand_id}")
def demand_detail(demand_id: PathId, request: Request, session: DB, p: CurrentPrincipal):
    demand = svc.get_demand(session, p, demand_id)
    ctx = {
        "title": demand.title,
        "d": demand,
        "confidential": svc.reveal(session, p, demand),
        "manage": svc.may_manage_demand(p, demand),
        "steps": {t.action for t in flows.DEMANDS.available(demand.state, None)},  # the buttons, for manage
        "editable": demand.state not in flows.DEMANDS.terminal,
        "matches": matching.may_view_demand_matches(p, demand),
        # the history holds the confidential detail: only for those who manage the demand (all in its circle)
        "history": audit.history(session, "tech_demands", demand.id) if svc.may_manage_demand(p, demand) else [],
    }
    return render(request, "transfer/demand.html", ctx)


@router.get("/demands/{demand_id}/edit")
def edit_demand(demand_id: PathId, request: Request, session: DB, p: LoggedIn):
    demand = svc.managed_demand(session, p, demand_id)
    return _demand_form(request, session, p, f"/demands/{demand_id}/edit", values=svc.demand_input(demand))


@router.post("/demands/{demand_id}/edit")
def update_demand(demand_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    form, saved = submit(
        posted, session, DemandIn, lambda data: svc.update_demand(session, p, demand_id, data), lists=("modes",)
    )
    return (
        see_other(f"/demands/{saved.id}")
        if saved
        else _demand_form(request, session, p, f"/demands/{demand_id}/edit", form)
    )


@router.post("/demands/{demand_id}/{verb}")
def demand_action(demand_id: PathId, verb: str, session: DB, p: LoggedIn):
    actions = {"publish": svc.publish_demand, "close": svc.close_demand}
    if verb not in actions:
        raise NotFound("页面不存在")
    actions[verb](session, p, demand_id)
    return see_other(f"/demands/{demand_id}")


# --- offers -------------------------------------------------------------------------------------------


@router.get("/offers")
def offers(
    request: Request, session: DB, p: CurrentPrincipal, industry_id: QueryId = None, mode: str = "", status: str = ""
):
    found = svc.list_offers(session, p, **_filters(industry_id, mode, status))
    patentees = svc.patentees_of(session, found)  # every listed patent's holders at once
    ctx = {
        "title": "技术供给",
        "offers": found,
        "holders": {o.id: svc.holders_line(o, patentees) for o in found},
        "states": list(OFFER_STATES.items()),
        "filter_values": {"industry_id": industry_id, "mode": mode, "status": status},
        **_choices(session),
    }
    return render(request, "transfer/offers.html", ctx)


@router.get("/offers/export")
def export_offers(session: DB, p: CurrentPrincipal, industry_id: QueryId = None, mode: str = "", status: str = ""):
    rows = svc.offer_rows(session, svc.list_offers(session, p, **_filters(industry_id, mode, status)))
    return xlsx_response(
        session,
        title="技术供给",
        filename="技术供给.xlsx",
        headers=svc.OFFER_HEADERS,
        rows=rows,
        entity_type="tech_offers",
        filters=_described(session, industry_id, mode, status, OFFER_STATES),
    )


def _offer_form(request: Request, session: DB, action: str, form: FormResult | None = None, values=None):
    ctx = {
        "title": "登记技术供给" if action.endswith("new") else "修改技术供给",
        "action": action,
        "errors": form.errors if form else {},
        "values": form.values if form else (values or {}),
        **_choices(session),
    }
    return render(request, "transfer/offer_form.html", ctx, status_code=form.status if form else 200)


@router.get("/offers/new")
def new_offer(request: Request, session: DB, p: LoggedIn):
    return _offer_form(request, session, "/offers/new")


@router.post("/offers/new")
def create_offer(request: Request, posted: Posted, session: DB, p: LoggedIn):
    form, saved = submit(posted, session, OfferIn, lambda data: svc.create_offer(session, p, data), lists=("modes",))
    return see_other(f"/offers/{saved.id}") if saved else _offer_form(request, session, "/offers/new", form)


def _offer_page(request: Request, session: DB, p: CurrentPrincipal, offer_id: int, refusal: DomainError | None = None):
    offer = svc.get_offer(session, p, offer_id)
    ctx = {
        "title": offer.title,
        "o": offer,
        "patentees": {pid: "、".join(names) for pid, names in svc.patentees_of(session, [offer]).items()},
        "manage": svc.may_manage_offer(p, offer),
        "steps": {t.action for t in flows.OFFERS.available(offer.state, None)},  # the buttons, for manage
        "editable": offer.state not in flows.OFFERS.terminal,
        "matches": matching.may_view_offer_matches(session, p, offer),
        "history": audit.history(session, "tech_offers", offer.id) if svc.may_manage_offer(p, offer) else [],
        "refusal": refusal.message if refusal else None,
    }
    return render(request, "transfer/offer.html", ctx, status_code=refusal.status_code if refusal else 200)


@router.get("/offers/{offer_id}")
def offer_detail(offer_id: PathId, request: Request, session: DB, p: CurrentPrincipal):
    return _offer_page(request, session, p, offer_id)


@router.get("/offers/{offer_id}/edit")
def edit_offer(offer_id: PathId, request: Request, session: DB, p: LoggedIn):
    values = svc.offer_input(svc.managed_offer(session, p, offer_id))
    values["application_nos"] = " ".join(values["application_nos"])
    return _offer_form(request, session, f"/offers/{offer_id}/edit", values=values)


@router.post("/offers/{offer_id}/edit")
def update_offer(offer_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    form, saved = submit(
        posted, session, OfferIn, lambda data: svc.update_offer(session, p, offer_id, data), lists=("modes",)
    )
    return (
        see_other(f"/offers/{saved.id}") if saved else _offer_form(request, session, f"/offers/{offer_id}/edit", form)
    )


@router.post("/offers/{offer_id}/{verb}")
def offer_action(offer_id: PathId, verb: str, request: Request, session: DB, p: LoggedIn):
    """Publish or withdraw; a refusal (someone else's patent, a lapsed one) shows on the offer with its reason."""
    actions = {"publish": svc.publish_offer, "withdraw": svc.withdraw_offer}
    if verb not in actions:
        raise NotFound("页面不存在")
    try:
        with refusable(session):
            actions[verb](session, p, offer_id)
    except (Forbidden, Conflict) as exc:
        return _offer_page(request, session, p, offer_id, exc)
    return see_other(f"/offers/{offer_id}")


@router.get("/inbox")
def inbox_page(request: Request, session: DB, p: LoggedIn):
    return render(request, "transfer/inbox.html", {"title": "对接工作台", "box": desk.inbox(session, p)})


@router.get("/inbox.xlsx")
def inbox_export(session: DB, p: LoggedIn):
    rows = desk.export_rows(desk.inbox(session, p))
    name = "对接工作台"
    return xlsx_response(
        session, title=name, filename=f"{name}.xlsx", headers=desk.EXPORT_HEADERS, rows=rows, entity_type="inbox"
    )
