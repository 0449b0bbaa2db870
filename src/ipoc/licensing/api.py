"""JSON API of open licensing (under /api/v1); every rule is in the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from ipoc.licensing import service as lic
from ipoc.licensing.models import OpenLicenceDeclaration
from ipoc.licensing.schemas import (
    AnnounceIn,
    DeclarationIn,
    DeclarationOut,
    FactIn,
    FeeOut,
    FeeQuery,
    LicenceOut,
    NoticeIn,
    PhraseIn,
    PhraseOut,
    RecordalIn,
    WithdrawIn,
)
from ipoc.schemas import PathId, QueryId
from ipoc.web.deps import DB, CurrentPrincipal, LoggedIn

router = APIRouter(tags=["开放许可"])


def out(d: OpenLicenceDeclaration) -> DeclarationOut:
    return DeclarationOut(
        id=d.id,
        application_no=d.patent.application_no,
        title=d.patent.title,
        patentee=d.patentee,
        state=d.state,
        fee_method=d.fee_method,
        fee_standard=lic.fee_standard(d),
        term_years=d.term_years,
        field=d.field,
        products=d.products,
        ipc_main=d.patent.ipc_main,
        industry=d.industry.name if d.industry else None,
        other_terms=d.other_terms,
        announced_on=d.announced_on,
        withdrawn_on=d.withdrawn_on,
        withdrawal_reason=d.withdrawal_reason,
    )


@router.get("/open-licences", response_model=list[DeclarationOut])
def list_declarations(session: DB, q: str = "", ipc: str = "", industry_id: QueryId = None):
    """Announced declarations (public)."""
    return [out(d) for d in lic.list_public(session, q=q.strip(), ipc=ipc, industry_id=industry_id)]


@router.get("/open-licences/{declaration_id}", response_model=DeclarationOut)
def get_declaration(declaration_id: PathId, session: DB, p: CurrentPrincipal):
    return out(lic.get_declaration(session, p, declaration_id))


@router.post("/open-licences", status_code=status.HTTP_201_CREATED, response_model=DeclarationOut)
def create_declaration(data: DeclarationIn, session: DB, p: LoggedIn):
    return out(lic.create_declaration(session, p, data))


@router.post("/open-licences/{declaration_id}/submit", response_model=DeclarationOut)
def submit(declaration_id: PathId, session: DB, p: LoggedIn):
    return out(lic.submit(session, p, declaration_id))


@router.post("/open-licences/{declaration_id}/announce", response_model=DeclarationOut)
def announce(declaration_id: PathId, data: AnnounceIn, session: DB, p: LoggedIn):
    return out(lic.announce(session, p, declaration_id, data))


@router.post("/open-licences/{declaration_id}/withdraw", response_model=DeclarationOut)
def withdraw(declaration_id: PathId, data: WithdrawIn, session: DB, p: LoggedIn):
    return out(lic.withdraw(session, p, declaration_id, data))


@router.post("/open-licences/{declaration_id}/licences", status_code=status.HTTP_201_CREATED, response_model=LicenceOut)
def take_licence(declaration_id: PathId, data: NoticeIn, session: DB, p: LoggedIn):
    return LicenceOut.model_validate(lic.take_licence(session, p, declaration_id, data))


@router.post("/open-licences/licences/{licence_id}/recordal", response_model=LicenceOut)
def record_recordal(licence_id: PathId, data: RecordalIn, session: DB, p: LoggedIn):
    return LicenceOut.model_validate(lic.record_recordal(session, p, licence_id, data))


@router.get("/open-licences/{declaration_id}/fee", response_model=FeeOut)
def fee(declaration_id: PathId, session: DB, p: CurrentPrincipal, query: Annotated[FeeQuery, Depends()]):
    """The fee calculator: licence fee under the declared standard, and the patentee's annual-fee reduction."""
    quote = lic.fee_quote(lic.get_declaration(session, p, declaration_id), query)
    rate = None if quote.reduction_percent is None else f"{quote.reduction_percent.normalize():f}"
    return FeeOut(
        licence_fee_yuan=quote.licence_fee_yuan,
        licence_fee_wan=quote.licence_fee_wan,
        explanation=quote.explanation,
        annual_fee_payable_yuan=quote.annual_fee_payable_yuan,
        reduction_percent=rate,
        reduction_note=quote.reduction_note,
    )


@router.post("/open-licences/facts/{application_no}", status_code=status.HTTP_201_CREATED)
def record_fact(application_no: str, data: FactIn, session: DB, p: LoggedIn) -> dict[str, int | str]:
    """A licence, pledge, release, fee payment or evaluation report entered by hand."""
    fact = lic.record_fact(session, p, application_no, data)
    return {"id": fact.id, "kind": data.kind}


@router.get("/advertising-phrases", response_model=list[PhraseOut])
def list_phrases(session: DB, p: LoggedIn):
    """The advertising phrases an open-licence declaration may not contain (细则85)."""
    return [PhraseOut.model_validate(x) for x in lic.advertising_phrases(session)]


@router.post("/advertising-phrases", status_code=status.HTTP_201_CREATED, response_model=PhraseOut)
def add_phrase(data: PhraseIn, session: DB, p: LoggedIn):
    """Region admin only; audited."""
    return PhraseOut.model_validate(lic.add_phrase(session, p, data))


@router.delete("/advertising-phrases/{phrase_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_phrase(phrase_id: PathId, session: DB, p: LoggedIn) -> None:
    """Region admin only; audited."""
    lic.remove_phrase(session, p, phrase_id)
