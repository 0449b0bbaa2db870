"""Pages of open licensing: the public listing and detail with the fee calculator, the declaration form,
the workflow buttons, the written notice, and the hand entry of the facts the legal bars depend on."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData

from ipoc.audit import service as audit
from ipoc.errors import DomainError
from ipoc.licensing import flows
from ipoc.licensing import service as lic
from ipoc.licensing.models import FEE_METHODS
from ipoc.licensing.schemas import (
    AnnounceIn,
    DeclarationIn,
    FactIn,
    FeeQuery,
    NoticeIn,
    PhraseIn,
    RecordalIn,
    SubmitIn,
    WithdrawIn,
)
from ipoc.patents import rights
from ipoc.patents.models import LICENCE_TYPES, SUSPENSION_REASONS
from ipoc.patents.service import get_patent
from ipoc.reference.models import Industry
from ipoc.schemas import PathId, QueryId
from ipoc.web.deps import DB, CurrentPrincipal, LoggedIn
from ipoc.web.forms import FormResult, Posted, attempt, field_errors, parse_form, see_other, submit
from ipoc.web.templating import render

router = APIRouter()
FACT_KINDS = {
    "licence": "许可",
    "pledge": "质押",
    "pledge_release": "质押解除",
    "suspension": "中止（权属纠纷或保全）",
    "suspension_end": "中止结束",
    "fee": "年费缴纳",
    "evaluation_report": "专利权评价报告",
}


def _industries(session: DB) -> list[tuple[int, str]]:
    return [(i.id, i.name) for i in session.query(Industry).order_by(Industry.id)]


@router.get("/open-licences")
def listing(
    request: Request, session: DB, p: CurrentPrincipal, q: str = "", ipc: str = "", industry_id: QueryId = None
):
    ctx = {
        "title": "专利开放许可",
        "declarations": lic.list_public(session, q=q.strip(), ipc=ipc, industry_id=industry_id),
        "managed": lic.list_managed(session, p),
        "industries": _industries(session),
        "filters": {"q": q, "ipc": ipc, "industry_id": industry_id},
        "fee_standard": lic.fee_standard,
    }
    return render(request, "licensing/list.html", ctx)


def _form_ctx(session: DB, **extra: Any) -> dict[str, Any]:
    return {
        "title": "起草开放许可声明",
        "fee_methods": list(FEE_METHODS.items()),
        "industries": _industries(session),
        "errors": {},
        "values": {},
        **extra,
    }


@router.get("/open-licences/new")
def new_page(request: Request, session: DB, p: LoggedIn, patent: str = ""):
    return render(request, "licensing/form.html", _form_ctx(session, values={"application_no": patent}))


@router.post("/open-licences/new")
def create(request: Request, posted: Posted, session: DB, p: LoggedIn):
    form, created = submit(posted, session, DeclarationIn, lambda data: lic.create_declaration(session, p, data))
    if created is None:
        ctx = _form_ctx(session, errors=form.errors, values=form.values)
        return render(request, "licensing/form.html", ctx, status_code=form.status)
    return see_other(f"/open-licences/{created.id}")


def _fee_query(request: Request) -> tuple[FeeQuery | None, dict[str, str]]:
    raw = {k: v for k, v in request.query_params.items() if k in FeeQuery.model_fields and v.strip()}
    try:
        return FeeQuery.model_validate(raw), {}
    except ValidationError as exc:
        return None, field_errors(exc)


def _detail(request: Request, session: DB, p: CurrentPrincipal, declaration_id: int, form: FormResult | None = None):
    d = lic.get_declaration(session, p, declaration_id)
    query, errors = _fee_query(request)
    quote = None
    if query is not None and request.query_params:
        try:
            quote = lic.fee_quote(d, query)
        except DomainError as exc:
            errors[exc.field or "__all__"] = exc.message
    manage = lic.may_manage(session, p, d)
    ctx = {
        "title": f"开放许可声明：{d.patent.title}",
        "d": d,
        "fee_standard": lic.fee_standard(d),
        "quote": quote,
        "fee_errors": errors,
        "fee_values": dict(request.query_params),
        "manage": manage,
        "steps": {t.action for t in flows.DECLARATIONS.available(d.state, lic.owner_roles(p))},  # for manage
        "licences": lic.licences_visible_to(session, p, d),
        "recordable": flows.LICENCES.by_action["record"].sources,  # a licence's states that show the form
        "bars": lic.bars(session, d.patent, *lic.declaration_texts(d), org_id=d.org_id)
        if manage and d.state in flows.UNDECIDED
        else [],
        "history": audit.history(session, "open_licence_declarations", d.id) if manage else [],
        "errors": form.errors if form else {},
        "values": form.values if form else {},
    }
    return render(request, "licensing/detail.html", ctx, status_code=form.status if form and form.errors else 200)


@router.get("/open-licences/{declaration_id}")
def detail(declaration_id: PathId, request: Request, session: DB, p: CurrentPrincipal):
    return _detail(request, session, p, declaration_id)


def _act(request: Request, posted: FormData, session: DB, p: LoggedIn, declaration_id: int, model, action):
    """Parse a workflow form, run the service action, show the page again with any refusal."""
    form, _ = submit(posted, session, model, action)
    if form.errors:
        return _detail(request, session, p, declaration_id, form)
    return see_other(f"/open-licences/{declaration_id}")


@router.post("/open-licences/{declaration_id}/submit")
def submit_declaration(declaration_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    return _act(
        request, posted, session, p, declaration_id, SubmitIn, lambda _d: lic.submit(session, p, declaration_id)
    )


@router.post("/open-licences/{declaration_id}/announce")
def announce(declaration_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    def action(data: AnnounceIn) -> None:
        lic.announce(session, p, declaration_id, data)

    return _act(request, posted, session, p, declaration_id, AnnounceIn, action)


@router.post("/open-licences/{declaration_id}/withdraw")
def withdraw(declaration_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    def action(data: WithdrawIn) -> None:
        lic.withdraw(session, p, declaration_id, data)

    return _act(request, posted, session, p, declaration_id, WithdrawIn, action)


@router.post("/open-licences/{declaration_id}/licences")
def take_licence(declaration_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    def action(data: NoticeIn) -> None:
        lic.take_licence(session, p, declaration_id, data)

    return _act(request, posted, session, p, declaration_id, NoticeIn, action)


@router.post("/open-licences/{declaration_id}/licences/{licence_id}/recordal")
def recordal(declaration_id: PathId, licence_id: PathId, request: Request, posted: Posted, session: DB, p: LoggedIn):
    def action(data: RecordalIn) -> None:
        lic.record_recordal(session, p, licence_id, data)

    return _act(request, posted, session, p, declaration_id, RecordalIn, action)


def _facts_ctx(session: DB, p: LoggedIn, application_no: str, **extra: Any) -> dict[str, Any]:
    patent = get_patent(session, application_no)
    return {
        "title": f"开放许可条件：{patent.title}",
        "patent": patent,
        "may_act": lic.may_act_for(session, p, patent),
        "holders": rights.holding(session, patent).patentee_names,
        "reports": lic.evaluation_reports(session, patent),
        "bars": lic.bars(session, patent, org_id=p.org_id if lic.is_patentee(session, p, patent) else None),
        "kinds": list(FACT_KINDS.items()),
        "licence_types": list(LICENCE_TYPES.items()),
        "suspension_reasons": list(SUSPENSION_REASONS.items()),
        "errors": {},
        "values": {},
        **extra,
    }


@router.get("/open-licences/facts/{application_no}")
def facts_page(application_no: str, request: Request, session: DB, p: LoggedIn):
    return render(request, "licensing/facts.html", _facts_ctx(session, p, application_no))


@router.post("/open-licences/facts/{application_no}")
def record_fact(application_no: str, request: Request, posted: Posted, session: DB, p: LoggedIn):
    form = parse_form(posted, FactIn)
    if form.ok and form.data is not None:
        data = form.data
        attempt(session, form, lambda: lic.record_fact(session, p, application_no, data))
    if form.errors:
        ctx = _facts_ctx(session, p, application_no, errors=form.errors, values=form.values)
        return render(request, "licensing/facts.html", ctx, status_code=form.status)
    return see_other(f"/open-licences/facts/{get_patent(session, application_no).application_no}")


# --- the advertising phrases (region admin) -----------------------------------------------------------


def _phrases_page(request: Request, session: DB, p: LoggedIn, form: FormResult | None = None):
    lic.require_phrase_admin(p)
    ctx = {
        "title": "开放许可声明禁用用语",
        "phrases": lic.advertising_phrases(session),
        "errors": form.errors if form else {},
        "values": form.values if form else {},
    }
    return render(request, "licensing/phrases.html", ctx, status_code=form.status if form else 200)


@router.get("/advertising-phrases")
def phrases_page(request: Request, session: DB, p: LoggedIn):
    return _phrases_page(request, session, p)


@router.post("/advertising-phrases")
def add_phrase(request: Request, posted: Posted, session: DB, p: LoggedIn):
    form, _ = submit(posted, session, PhraseIn, lambda data: lic.add_phrase(session, p, data))
    if form.errors:
        return _phrases_page(request, session, p, form)
    return see_other("/advertising-phrases")


@router.post("/advertising-phrases/{phrase_id}/delete")
def remove_phrase(phrase_id: PathId, session: DB, p: LoggedIn):
    lic.remove_phrase(session, p, phrase_id)
    return see_other("/advertising-phrases")
